//! `GET /api/v1/invites/{token}`: what an invite link offers, for the request form.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use shared::ApiError;
use shared::invite::InviteInfo;

use crate::AppState;
use crate::cluster::invites;
use crate::error::Result;

/// The invitee's route.
pub fn router() -> Router<AppState> {
    Router::new().route("/invites/{token}", get(invite))
}

/// The identity and lifetime an invite link locks the request form to, once the
/// link's token is checked (known, untampered, unused, unrevoked, unexpired).
#[utoipa::path(get, path = "/api/v1/invites/{token}", tag = "requester",
    params(("token" = String, Path, description = "The invite link's token")),
    responses(
        (status = 200, description = "What the invite offers", body = InviteInfo),
        (status = 403, description = "Not a valid invite link (`invite_invalid`)", body = ApiError),
        (status = 409, description = "Already used (`invite_used`)", body = ApiError),
        (status = 410, description = "Expired or revoked (`invite_expired`, `invite_revoked`)", body = ApiError),
        (status = 503, description = "The cluster is unreachable", body = ApiError),
    ))]
// The token is a secret: it is not recorded in the span.
#[tracing::instrument(skip_all)]
async fn invite(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<axum::Json<InviteInfo>> {
    let invite = invites::open(&state.cluster()?.client, &token).await?;
    Ok(axum::Json(invites::info_of(
        &invite,
        state.config.auto_approve_invites,
    )))
}
