//! The HTTP routes, one module a resource, merged into one router.

pub mod config;
pub mod health;

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::Request;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::error::Error;

/// Builds the router: `/healthz`, the API under `/api/v1`, and the static app with a
/// fallback to `index.html` for the app's own routes.
pub fn router(state: AppState) -> Router {
    let static_dir = state.config.static_dir.clone();
    let spa = ServeDir::new(&static_dir).fallback(ServeFile::new(static_dir.join("index.html")));
    let api = Router::new()
        .merge(config::router())
        .fallback(|| async { Error::client(shared::ErrorCode::NotFound, "No such API endpoint.") });
    Router::new()
        .merge(health::router())
        .nest("/api/v1", api)
        .with_state(state)
        .fallback_service(spa)
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let matched = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map(MatchedPath::as_str)
                    .unwrap_or("static");
                // The path alone: query strings could one day carry something private.
                tracing::info_span!("http", method = %request.method(), matched_path = matched)
            }),
        )
}
