//! Prometheus metrics: submissions, decisions and HTTP latency.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;

/// The labels of one HTTP latency series.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// The HTTP method.
    pub method: String,
    /// The route template (such as `/api/v1/requests/{id}`), never the raw path.
    pub route: String,
    /// The response status code.
    pub status: u16,
}

/// The labels of one notification series: the sink (from the operator's file), the
/// event kind and the outcome (`sent`, `failed` or `retried`), all from closed sets.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NotifyLabels {
    /// The sink's name.
    pub sink: String,
    /// The event kind.
    pub event: String,
    /// `sent`, `failed` or `retried`.
    pub outcome: String,
}

/// The labels of one sink's delivery latency.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SinkLabels {
    /// The sink's name.
    pub sink: String,
}

/// The backend's metrics and the registry that renders them.
pub struct Metrics {
    registry: Registry,
    /// CSRs created in the cluster.
    pub submissions: Counter,
    /// Requests approved through CertDesk.
    pub approvals: Counter,
    /// Requests denied through CertDesk.
    pub denials: Counter,
    /// HTTP request durations in seconds.
    pub http: Family<HttpLabels, Histogram>,
    /// Live status streams open now (set when `/metrics` is read).
    pub event_streams: Gauge,
    /// Notifications sent, failed and retried, per sink and event.
    pub notifications: Family<NotifyLabels, Counter>,
    /// Events this replica could not take on because its delivery queue was full.
    pub notification_overflow: Counter,
    /// Seconds from an event to its delivery, per sink.
    pub notification_latency: Family<SinkLabels, Histogram>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("certdesk");
        let submissions = Counter::default();
        let approvals = Counter::default();
        let denials = Counter::default();
        let http = Family::<HttpLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "submissions",
            "Certificate requests created in the cluster",
            submissions.clone(),
        );
        registry.register(
            "approvals",
            "Requests approved through CertDesk",
            approvals.clone(),
        );
        registry.register(
            "denials",
            "Requests denied through CertDesk",
            denials.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            http.clone(),
        );
        let event_streams = Gauge::default();
        registry.register(
            "event_streams_open",
            "Live status streams (server-sent events) open now",
            event_streams.clone(),
        );
        let notifications = Family::<NotifyLabels, Counter>::default();
        registry.register(
            "notifications",
            "Notifications sent, failed and retried, per sink and event",
            notifications.clone(),
        );
        let notification_overflow = Counter::default();
        registry.register(
            "notification_queue_overflow",
            "Events this replica left to others (or a later pass) because its delivery queue was full",
            notification_overflow.clone(),
        );
        let notification_latency = Family::<SinkLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.01, 2.0, 16))) as fn() -> Histogram,
        );
        registry.register(
            "notification_delivery_seconds",
            "Seconds from an event to its delivery at a sink",
            notification_latency.clone(),
        );
        Self {
            registry,
            notifications,
            notification_overflow,
            notification_latency,
            event_streams,
            submissions,
            approvals,
            denials,
            http,
        }
    }
}

impl Metrics {
    /// Returns the metrics in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Records every request's latency under its route template.
///
/// Every label comes from a closed set, so no request can make the server keep a new
/// series: the method is one of the standard ones or `other`, the route is the matched
/// template, `unmatched` for an unknown API path, or `static` for the app's files.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = method_label(request.method()).to_owned();
    let route = match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned(),
        None if request.uri().path().starts_with("/api/") => "unmatched".to_owned(),
        None => "static".to_owned(),
    };
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let labels = HttpLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    state
        .metrics
        .http
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}

/// Returns the method's label: the standard methods by name, anything else `other`.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
