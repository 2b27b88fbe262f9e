//! `GET /api/v1/config`.

use axum::Json;
use axum::extract::State;
use shared::PortalConfig;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::ServerErrors;
use crate::AppState;

/// The portal configuration route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(portal_config))
}

/// What the browser needs to know about the cluster and the policy.
#[utoipa::path(get, path = "/config", tag = "requester",
    responses(ServerErrors, (status = 200, description = "The portal's configuration", body = PortalConfig)))]
#[tracing::instrument(skip(state))]
async fn portal_config(State(state): State<AppState>) -> Json<PortalConfig> {
    Json(state.portal.as_ref().clone())
}
