//! Object content streamed to the client: a blocking thread reads from the store into a small
//! channel that the response body drains, so large objects never sit in memory.

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::sync::mpsc;

const CHUNK: usize = 256 * 1024;

struct ChannelBody {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    remaining: u64,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.rx.poll_recv(cx).map(|item| {
            item.map(|result| {
                result.map(|data| {
                    self.remaining = self.remaining.saturating_sub(data.len() as u64);
                    Frame::data(data)
                })
            })
        })
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// A body of exactly `len` bytes read from `reader` (a short reader ends the response early,
/// which the client sees as a broken transfer rather than a wrong object).
pub fn stream(mut reader: Box<dyn Read + Send>, len: u64) -> Body {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let mut left = len;
        while left > 0 {
            let mut buf = vec![0u8; CHUNK.min(usize::try_from(left).unwrap_or(CHUNK))];
            let item = match reader.read(&mut buf) {
                Ok(0) => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "object is shorter than recorded")),
                Ok(n) => {
                    buf.truncate(n);
                    left -= n as u64;
                    Ok(Bytes::from(buf))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            // A closed channel means the client went away: stop reading.
            if tx.blocking_send(item).is_err() || failed {
                break;
            }
        }
    });
    Body::new(ChannelBody { rx, remaining: len })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn streams_exactly_the_content() {
        let data: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        let body = stream(Box::new(std::io::Cursor::new(data.clone())), data.len() as u64);
        let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
        assert_eq!(bytes.as_ref(), &data[..]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_short_object_is_an_error_not_a_short_body() {
        let body = stream(Box::new(std::io::Cursor::new(vec![1u8; 10])), 20);
        assert!(axum::body::to_bytes(body, usize::MAX).await.is_err());
    }
}
