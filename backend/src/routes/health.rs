//! Liveness, readiness and metrics.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

/// `GET /healthz` (the process serves), `GET /readyz` (the watch cache has synced) and,
/// unless `--metrics-listen` moves it to a listener of its own ([`metrics_router`]),
/// `GET /metrics` (Prometheus text format).
pub fn router(metrics_here: bool) -> Router<AppState> {
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready));
    if metrics_here {
        router.route("/metrics", get(metrics))
    } else {
        router
    }
}

/// `GET /metrics` alone, for the `--metrics-listen` listener.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match &state.cluster {
        Some(cluster) if cluster.cache.is_ready() => (StatusCode::OK, "ok"),
        Some(cluster) if cluster.cache.is_synced() => {
            // The watch failed: ready again once the API server answers (one cheap call,
            // made only while the backend believes the cluster is away).
            let probe = cluster.client.apiserver_version();
            match tokio::time::timeout(std::time::Duration::from_secs(2), probe).await {
                Ok(Ok(_)) => {
                    cluster.cache.mark_reachable();
                    (StatusCode::OK, "ok")
                }
                _ => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the Kubernetes API server is unreachable",
                ),
            }
        }
        Some(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the CSR watch cache has not synced yet",
        ),
        None => (StatusCode::SERVICE_UNAVAILABLE, "no cluster configured"),
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let open = i64::try_from(state.streams.open()).unwrap_or(i64::MAX);
    state.metrics.event_streams.set(open);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
