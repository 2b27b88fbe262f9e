//! Renewal by proof of possession: `POST /api/v1/renewals/challenge` and
//! `POST /api/v1/renewals`.

use std::convert::Infallible;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use shared::renewal::{RenewalChallenge, RenewalRequest};
use shared::{ApiError, ErrorCode, RequestTicket};
use time::OffsetDateTime;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::openapi::ServerErrors;
use crate::AppState;
use crate::audit::{Action, Entry, timestamp};
use crate::cluster::renewal;
use crate::cluster::submit::{self, Kind, NewRequest};
use crate::error::{Error, Result};
use crate::extract::{ClientAddress, Json};
use crate::routes::requests::{BODY_LIMIT, auto_approve, check_lifetime_and_note, origin};

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
        state.challenge_key.issue(OffsetDateTime::now_utc())?,
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
    check_lifetime_and_note(&state, body.expiration_seconds, body.note.as_deref())?;
    let cluster = state.cluster()?;
    let vetted = renewal::vet(
        &body,
        &state.challenge_key,
        &state.client_ca_pem,
        &state.portal,
        &cluster.records,
        OffsetDateTime::now_utc(),
    )?;
    let record = renewal::confirm_record(&cluster.client, &vetted).await?;
    let id = vetted.id.clone();
    tracing::Span::current().record("id", id.0.as_str());
    if cluster.records.get(&id.0).is_some() {
        return Err(replayed());
    }
    let origin = origin(address, &headers, body.note);
    let lifetime = renewal::lifetime_cap(&vetted.old, body.expiration_seconds);
    let created = submit::create(
        cluster,
        NewRequest {
            id: &id,
            csr: &vetted.csr,
            expiration_seconds: lifetime,
            origin: &origin,
            kind: Kind::Renewal {
                of_serial: vetted.old.serial.clone(),
                granted_namespace: vetted
                    .record
                    .as_ref()
                    .and_then(|r| r.spec.namespace.clone()),
            },
        },
    )
    .await
    .map_err(|error| match error {
        Error::Client(api) if api.code == ErrorCode::Conflict => replayed(),
        other => other,
    })?
    .csr;
    state.metrics.submissions.inc();
    let username = vetted.csr.summary.username.as_str();
    cluster.audit.record(
        &created,
        Entry {
            action: Action::RenewalRequested,
            actor: username,
            subject: username,
            request: Some(&id.0),
            note: format!(
                "{username:?} asked to renew certificate {} (valid until {}) with a proof of possession of its key.",
                vetted.old.serial,
                timestamp(vetted.old.not_after)
            ),
        },
    );
    if state.portal.auto_approve_renewals && record.is_some() {
        let message = format!(
            "Approved automatically by CertDesk: a renewal of certificate {} for the same identity, with proof of possession of its key.",
            vetted.old.serial
        );
        auto_approve(
            cluster,
            created,
            "certdesk (renewal)",
            message,
            &[],
            username,
        )
        .await;
    }
    Ok((StatusCode::CREATED, axum::Json(RequestTicket { id })))
}

fn replayed() -> Error {
    Error::client(
        ErrorCode::RenewalChallengeReplayed,
        "This renewal challenge was already used; start the renewal again for a fresh one.",
    )
}
