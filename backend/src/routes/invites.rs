//! `POST /api/v1/invites/open`: what an invite link offers, for the request form. The
//! token travels in the body, never in a path or query (which proxies log).

use std::convert::Infallible;

use axum::extract::{DefaultBodyLimit, State};
use shared::ApiError;
use shared::invite::{InviteInfo, OpenInvite};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::openapi::ServerErrors;
use crate::AppState;
use crate::cluster::invites;
use crate::error::Result;
use crate::extract::Json;

/// The invitee's route, rate-limited per client.
pub fn router(state: AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(
        routes!(invite)
            .layer::<_, Infallible>(axum::middleware::from_fn_with_state(
                state,
                crate::limits::read,
            ))
            .layer(DefaultBodyLimit::max(4 * 1024)),
    )
}

/// The identity and lifetime an invite link locks the request form to, once the
/// link's token is checked (known, untampered, unused, unrevoked, unexpired).
#[utoipa::path(post, path = "/invites/open", tag = "requester", request_body = OpenInvite,
    responses(ServerErrors,
        (status = 200, description = "What the invite offers", body = InviteInfo),
        (status = 400, description = "Malformed body", body = ApiError),
        (status = 403, description = "Not a valid invite link (`invite_invalid`)", body = ApiError),
        (status = 409, description = "Already used (`invite_used`)", body = ApiError),
        (status = 410, description = "Expired or revoked (`invite_expired`, `invite_revoked`)", body = ApiError),
    ))]
// The token is a secret: it is not recorded in the span.
#[tracing::instrument(skip_all)]
async fn invite(
    State(state): State<AppState>,
    Json(body): Json<OpenInvite>,
) -> Result<axum::Json<InviteInfo>> {
    let invite = invites::open(&state.cluster()?.client, &body.token).await?;
    Ok(axum::Json(invites::info_of(
        &invite,
        state.portal.auto_approve_invites,
    )))
}
