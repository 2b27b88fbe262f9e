//! Liveness.

use axum::Router;
use axum::routing::get;

use crate::AppState;

/// `GET /healthz`: the process is up and serving.
pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(|| async { "ok" }))
}
