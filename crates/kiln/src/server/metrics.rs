//! `/metrics`: the Prometheus registry of the server. Build counts are read from the store at
//! each scrape; request and phase durations are observed as they happen.

mod text;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use kiln_executor::PhaseObserver;
use kiln_model::codebuild::BuildPhaseType;
use kiln_model::{OperationInfo, codebuild, events, logs, secretsmanager, ssm};
use kiln_store::{BuildCount, BuildState, Store};

use text::{Histogram, PHASE_BUCKETS, REQUEST_BUCKETS, Writer};

/// The exposition format's content type.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Every build status, so that dashboards see zeros rather than missing series.
const STATUSES: &[&str] = &["SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "IN_PROGRESS", "STOPPED"];

/// Labels of requests that name no operation Kiln knows: clients choose those names, and
/// every distinct label value would be a new series.
const UNKNOWN: &str = "unknown";

/// The services by target prefix, with their label and operations.
const SERVICES: &[(&str, &str, &[OperationInfo])] = &[
    (codebuild::TARGET_PREFIX, "codebuild", codebuild::OPERATIONS),
    (logs::TARGET_PREFIX, "logs", logs::OPERATIONS),
    (ssm::TARGET_PREFIX, "ssm", ssm::OPERATIONS),
    (secretsmanager::TARGET_PREFIX, "secretsmanager", secretsmanager::OPERATIONS),
    (events::TARGET_PREFIX, "events", events::OPERATIONS),
];

/// The (service, operation) labels of an API call; unknown names become `unknown`.
pub fn call_labels(call: Option<&kiln_wire::Call>) -> (&'static str, &'static str) {
    let Some(call) = call else { return (UNKNOWN, UNKNOWN) };
    let Some((_, service, operations)) = SERVICES.iter().find(|(prefix, _, _)| *prefix == call.target_prefix) else {
        return (UNKNOWN, UNKNOWN);
    };
    let operation = operations.iter().find(|o| o.name == call.operation).map_or(UNKNOWN, |o| o.name);
    (service, operation)
}

pub struct Metrics {
    store: Arc<dyn Store>,
    requests: Mutex<Requests>,
    phases: Mutex<BTreeMap<&'static str, Histogram>>,
}

#[derive(Default)]
struct Requests {
    /// By (service, operation).
    durations: BTreeMap<(&'static str, &'static str), Histogram>,
    /// By (service, operation, HTTP status).
    totals: BTreeMap<(&'static str, &'static str, u16), u64>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Metrics {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Metrics { store, requests: Mutex::default(), phases: Mutex::default() }
    }

    /// One API request (routed to the API, not S3 or webhooks) and how it was answered.
    pub fn observe_request(&self, labels: (&'static str, &'static str), status: u16, took: Duration) {
        let mut requests = lock(&self.requests);
        requests.durations.entry(labels).or_insert_with(|| Histogram::new(REQUEST_BUCKETS)).observe(took.as_secs_f64());
        *requests.totals.entry((labels.0, labels.1, status)).or_default() += 1;
    }

    /// The exposition document; reads the build counts from the store (blocking).
    pub fn render(&self) -> kiln_store::Result<String> {
        let counts = self.store.build_counts()?;
        let mut w = Writer::default();
        write_builds(&mut w, &counts);
        {
            let phases = lock(&self.phases);
            w.family("kiln_phase_duration_seconds", "histogram", "Duration of build phases, by phase.");
            for (phase, h) in phases.iter() {
                w.histogram("kiln_phase_duration_seconds", &[("phase", phase)], h);
            }
        }
        let requests = lock(&self.requests);
        w.family("kiln_api_request_duration_seconds", "histogram", "API request durations, by service and operation.");
        for ((service, operation), h) in &requests.durations {
            w.histogram("kiln_api_request_duration_seconds", &[("service", service), ("operation", operation)], h);
        }
        w.family("kiln_api_requests_total", "counter", "API requests, by service, operation and HTTP status code.");
        for ((service, operation, code), n) in &requests.totals {
            let code = code.to_string();
            let labels = [("service", *service), ("operation", *operation), ("code", code.as_str())];
            w.sample("kiln_api_requests_total", &labels, *n as f64);
        }
        Ok(w.finish())
    }
}

impl PhaseObserver for Metrics {
    fn phase_ended(&self, phase: BuildPhaseType, seconds: f64) {
        lock(&self.phases).entry(phase.as_str()).or_insert_with(|| Histogram::new(PHASE_BUCKETS)).observe(seconds);
    }
}

fn write_builds(w: &mut Writer, counts: &[BuildCount]) {
    let mut by_status: BTreeMap<&str, u64> = STATUSES.iter().map(|s| (*s, 0)).collect();
    let (mut queued, mut running) = (0u64, 0u64);
    for c in counts {
        let status = if c.status.is_empty() { UNKNOWN } else { c.status.as_str() };
        *by_status.entry(status).or_default() += c.count;
        match c.state {
            BuildState::Queued => queued += c.count,
            BuildState::Running => running += c.count,
            BuildState::Done => {}
        }
    }
    // A gauge: deleting builds (BatchDeleteBuilds) lowers it.
    w.family("kiln_builds_total", "gauge", "Builds in the store, by build status.");
    for (status, n) in &by_status {
        w.sample("kiln_builds_total", &[("status", status)], *n as f64);
    }
    w.family("kiln_queue_depth", "gauge", "Builds waiting for a free slot (QUEUED).");
    w.sample("kiln_queue_depth", &[], queued as f64);
    w.family("kiln_running_builds", "gauge", "Builds claimed by the executor and not yet finished.");
    w.sample("kiln_running_builds", &[], running as f64);
}

/// `GET /metrics`. Unsigned, as Prometheus scrapes.
pub async fn scrape(metrics: Arc<Metrics>) -> Response {
    let (status, body) = match tokio::task::spawn_blocking(move || metrics.render()).await {
        Ok(Ok(text)) => (StatusCode::OK, text),
        Ok(Err(e)) => {
            tracing::error!("metrics: cannot read the store: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, format!("cannot read the store: {e}\n"))
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("metrics failed: {e}\n")),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(prefix: &str, operation: &str) -> kiln_wire::Call {
        kiln_wire::Call {
            protocol: kiln_wire::Protocol::AwsJson11,
            target_prefix: prefix.to_string(),
            operation: operation.to_string(),
        }
    }

    #[test]
    fn labels_are_known_names_only() {
        assert_eq!(call_labels(Some(&call(codebuild::TARGET_PREFIX, "ListBuilds"))), ("codebuild", "ListBuilds"));
        assert_eq!(call_labels(Some(&call(logs::TARGET_PREFIX, "GetLogEvents"))), ("logs", "GetLogEvents"));
        assert_eq!(call_labels(Some(&call(codebuild::TARGET_PREFIX, "Made-Up"))), ("codebuild", UNKNOWN));
        assert_eq!(call_labels(Some(&call("Nope_2020", "ListBuilds"))), (UNKNOWN, UNKNOWN));
        assert_eq!(call_labels(None), (UNKNOWN, UNKNOWN));
    }

    #[test]
    fn renders_builds_phases_and_requests() {
        let store = kiln_store::SqliteStore::open_in_memory().expect("store");
        let metrics = Metrics::new(Arc::new(store));
        metrics.phase_ended(BuildPhaseType::Build, 2.0);
        metrics.observe_request(("codebuild", "ListBuilds"), 200, Duration::from_millis(3));
        metrics.observe_request(("codebuild", "ListBuilds"), 400, Duration::from_millis(30));
        let text = metrics.render().expect("render");
        for line in [
            "kiln_builds_total{status=\"SUCCEEDED\"} 0",
            "kiln_queue_depth 0",
            "kiln_running_builds 0",
            "kiln_phase_duration_seconds_bucket{phase=\"BUILD\",le=\"1\"} 0",
            "kiln_phase_duration_seconds_bucket{phase=\"BUILD\",le=\"5\"} 1",
            "kiln_phase_duration_seconds_count{phase=\"BUILD\"} 1",
            "kiln_api_request_duration_seconds_count{service=\"codebuild\",operation=\"ListBuilds\"} 2",
            "kiln_api_requests_total{service=\"codebuild\",operation=\"ListBuilds\",code=\"200\"} 1",
            "kiln_api_requests_total{service=\"codebuild\",operation=\"ListBuilds\",code=\"400\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
    }
}
