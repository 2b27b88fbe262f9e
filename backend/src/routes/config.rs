//! `GET /api/v1/config`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use shared::PortalConfig;

use crate::AppState;

/// The portal configuration route.
pub fn router() -> Router<AppState> {
    Router::new().route("/config", get(portal_config))
}

#[tracing::instrument(skip(state))]
async fn portal_config(State(state): State<AppState>) -> Json<PortalConfig> {
    Json(state.portal.as_ref().clone())
}
