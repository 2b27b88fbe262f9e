//! The approvers' view of the notification sinks: which are configured, what each is
//! told, and its last delivery and failure (from the cluster's outbox, so the same on
//! every replica). Sink URLs and secrets are never part of it.

use axum::extract::State;
use shared::admin::SinkStatus;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::admin::client;
use super::openapi::AdminErrors;
use crate::AppState;
use crate::cluster::approver;
use crate::error::Result;
use crate::extract::BearerToken;

/// The notification sinks' route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(notifications))
}

/// The configured notification sinks with their last delivery and last failure.
#[utoipa::path(get, path = "/notifications", tag = "admin", security(("bearer" = [])),
    responses(AdminErrors,
        (status = 200, description = "The sinks", body = Vec<SinkStatus>),
    ))]
#[tracing::instrument(skip(state, token))]
async fn notifications(
    State(state): State<AppState>,
    token: BearerToken,
) -> Result<axum::Json<Vec<SinkStatus>>> {
    let client = client(&state, &token)?;
    approver::ensure_may_list(&client).await?;
    Ok(axum::Json(match &state.notifier {
        Some(notifier) => notifier.status(),
        None => crate::notify::status(&state.settings.notifications, &[]),
    }))
}
