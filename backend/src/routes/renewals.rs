//! Renewal by proof of possession: `POST /api/v1/renewals/challenge` and
//! `POST /api/v1/renewals`.

use std::convert::Infallible;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use shared::renewal::{RenewalChallenge, RenewalRequest};
use shared::{ApiError, RequestTicket};
use time::OffsetDateTime;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::openapi::ServerErrors;
use crate::AppState;
use crate::cluster::renewal;
use crate::error::Result;
use crate::extract::{ClientAddress, Json};
use crate::routes::requests::{BODY_LIMIT, origin};

/// The renewal routes; both count against the per-client submission limit.
pub fn router(state: AppState) -> OpenApiRouter<AppState> {
    let limited = axum::middleware::from_fn_with_state(state, crate::limits::submit);
    OpenApiRouter::new()
        .routes(routes!(challenge).layer(limited.clone()))
        .routes(
            routes!(renew)
                .layer::<_, Infallible>(limited)
                // The old certificate travels beside the new CSR.
                .layer(DefaultBodyLimit::max(2 * BODY_LIMIT)),
        )
}

/// A fresh challenge for a renewal, valid for five minutes.
#[utoipa::path(post, path = "/renewals/challenge", tag = "requester",
    responses(ServerErrors,
        (status = 200, description = "The challenge to sign with the old key", body = RenewalChallenge),
    ))]
#[tracing::instrument(skip(state))]
async fn challenge(State(state): State<AppState>) -> Result<axum::Json<RenewalChallenge>> {
    Ok(axum::Json(
        state
            .challenge_key
            .issue(OffsetDateTime::now_utc())
            .map_err(crate::error::Error::from)?,
    ))
}

/// Renews a certificate: a new CSR for the same subject, with the old key's proof of
/// possession over the challenge and the new CSR. Created like any request, annotated as
/// a renewal of the old serial; approved at once only when the operator enabled renewal
/// auto-approval and CertDesk issued the old certificate.
#[utoipa::path(post, path = "/renewals", tag = "requester", request_body = RenewalRequest,
    responses(ServerErrors,
        (status = 201, description = "Created; the new request's id", body = RequestTicket),
        (status = 400, description = "Malformed body", body = ApiError),
        (status = 403, description = "Access was removed (`renewal_access_removed`)", body = ApiError),
        (status = 409, description = "The challenge was already used (`renewal_challenge_replayed`)", body = ApiError),
        (status = 413, description = "The body is over the limit", body = ApiError),
        (status = 422, description = "Refused: `renewal_wrong_ca`, `renewal_certificate_expired`, `renewal_subject_mismatch`, `renewal_proof_invalid`, `renewal_challenge_invalid`, `renewal_challenge_expired`, `certificate_invalid`, or the CSR's own errors", body = ApiError),
    ))]
#[tracing::instrument(skip(state, headers, body), fields(id))]
async fn renew(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Json(body): Json<RenewalRequest>,
) -> Result<(StatusCode, axum::Json<RequestTicket>)> {
    let origin = origin(address, &headers, body.note.clone());
    let id = renewal::renew(
        state.cluster()?,
        &state.challenge_key,
        &state.client_ca_pem,
        &body,
        &origin,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(RequestTicket { id })))
}
