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

/// What the browser needs to know about the cluster and the policy.
#[utoipa::path(get, path = "/api/v1/config", tag = "requester",
    responses((status = 200, description = "The portal's configuration", body = PortalConfig)))]
#[tracing::instrument(skip(state))]
async fn portal_config(State(state): State<AppState>) -> Json<PortalConfig> {
    Json(state.portal.as_ref().clone())
}
