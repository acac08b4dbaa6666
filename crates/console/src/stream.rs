//! The live log: server-sent events from a build's log, resumable (`Last-Event-ID` is the last
//! log sequence the browser has). Besides log lines (`id: <seq>`, default event type, data =
//! the rendered line), a `build` event carries the phase timeline and status whenever they
//! change, and `end` says the build is over and the log complete.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http_body::Frame;
use kiln_api::Api;
use kiln_model::codebuild::Build;
use kiln_store::LogQuery;
use tokio::sync::mpsc;

/// How often the stream looks for new lines and phase changes.
const POLL: Duration = Duration::from_millis(250);
/// Lines read per look.
const BATCH: usize = 1000;
/// A comment sent this often keeps proxies from closing an idle stream.
const KEEPALIVE_POLLS: u32 = 60;

/// A response body fed by a channel; dropping it (the browser went away) ends the producer.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|chunk| chunk.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// One SSE event; multi-line data is sent as several `data:` lines.
pub fn event(kind: Option<&str>, id: Option<i64>, data: &str) -> String {
    let mut out = String::new();
    if let Some(id) = id {
        out.push_str(&format!("id: {id}\n"));
    }
    if let Some(kind) = kind {
        out.push_str(&format!("event: {kind}\n"));
    }
    for line in data.split('\n') {
        out.push_str("data: ");
        out.push_str(line.trim_end_matches('\r'));
        out.push('\n');
    }
    out.push('\n');
    out
}

/// Where to start: after `Last-Event-ID` when the browser reconnects, else the `from` query.
pub fn start_seq(last_event_id: Option<&str>, query_from: Option<&str>) -> i64 {
    if let Some(last) = last_event_id.and_then(|v| v.trim().parse::<i64>().ok()) {
        return last.saturating_add(1).max(0);
    }
    query_from.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0).max(0)
}

/// The build's status and timeline as the `build` event's JSON.
fn build_event(build: &Build, now_ms: i64) -> String {
    serde_json::json!({
        "status": crate::views::status_of(build),
        "statusHtml": crate::layout::badge(crate::views::status_of(build)),
        "phasesHtml": crate::build_view::phases(build, now_ms),
        "duration": crate::format::span(build.start_time, build.end_time, now_ms),
        "complete": build.build_complete == Some(true),
    })
    .to_string()
}

/// Starts streaming build `id` from log position `from`.
pub fn stream(api: Api, id: String, from: i64) -> Body {
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    tokio::spawn(async move {
        if let Err(e) = pump(&api, &id, from, &tx).await {
            tracing::debug!(build = %id, "log stream ended: {e}");
        }
    });
    Body::new(ChannelBody(rx))
}

async fn pump(api: &Api, id: &str, mut next: i64, tx: &mpsc::Sender<Bytes>) -> Result<(), String> {
    let send = |text: String| async move { tx.send(Bytes::from(text)).await.map_err(|_| "closed".to_string()) };
    // Browsers wait this long before reconnecting after a drop.
    send("retry: 1000\n\n".to_string()).await?;
    let mut last_build = String::new();
    let mut idle = 0u32;
    loop {
        let store = api.store.clone();
        let (id_owned, from) = (id.to_string(), next);
        let (record, events) = tokio::task::spawn_blocking(move || {
            // The build first: if it is complete here, the log read after it is complete too.
            let record = store.get_build(&id_owned);
            let events = store.read_log(
                &id_owned,
                &LogQuery { from: Some(from), forward: true, limit: BATCH, start_ms: None, end_ms: None },
            );
            (record, events)
        })
        .await
        .map_err(|e| e.to_string())?;
        let record = record.map_err(|e| e.to_string())?.ok_or("build deleted")?;
        let events = events.map_err(|e| e.to_string())?;
        let build: Build = serde_json::from_str(&record.doc).map_err(|e| e.to_string())?;
        let full_batch = events.len() == BATCH;
        for e in &events {
            next = e.seq + 1;
            send(event(None, Some(e.seq), &crate::build_view::log_line(e.seq, &e.message))).await?;
        }
        let now = kiln_api::now_ms();
        let snapshot = build_event(&build, now);
        let complete = build.build_complete == Some(true);
        if snapshot != last_build {
            send(event(Some("build"), None, &snapshot)).await?;
            last_build = snapshot;
        }
        if complete && !full_batch {
            send(event(Some("end"), None, crate::views::status_of(&build))).await?;
            return Ok(());
        }
        if events.is_empty() {
            idle += 1;
            if idle >= KEEPALIVE_POLLS {
                send(": keepalive\n\n".to_string()).await?;
                idle = 0;
            }
        } else {
            idle = 0;
        }
        if !full_batch {
            tokio::time::sleep(POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_framed() {
        assert_eq!(event(None, Some(3), "<div>x</div>"), "id: 3\ndata: <div>x</div>\n\n");
        assert_eq!(event(Some("end"), None, "a\nb\r"), "event: end\ndata: a\ndata: b\n\n");
    }

    #[test]
    fn resumes_after_the_last_event() {
        assert_eq!(start_seq(Some("41"), Some("5")), 42);
        assert_eq!(start_seq(None, Some("5")), 5);
        assert_eq!(start_seq(Some("junk"), Some("-3")), 0);
        assert_eq!(start_seq(None, None), 0);
    }
}
