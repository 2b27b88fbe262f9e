//! Requesters' API: `POST /requests`, `GET /requests/{id}` and its event stream.

use std::convert::Infallible;
use std::net::IpAddr;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use shared::{ApiError, ErrorCode, RequestStatus, RequestTicket, SubmitRequest};
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::openapi::ServerErrors;
use crate::AppState;
use crate::audit::{Action, Entry};
use crate::cluster::Cluster;
use crate::cluster::approver;
use crate::cluster::cache::Change;
use crate::cluster::invites;
use crate::cluster::records;
use crate::cluster::requests::{self, Origin};
use crate::cluster::submit::{self, Created, Kind, NewRequest};
use crate::error::{Error, Result};
use crate::extract::{ClientAddress, Json};
use shared::admin::Grant;

/// The largest submission body accepted; a CSR, even RSA 4096, is under 4 KiB.
pub const BODY_LIMIT: usize = 16 * 1024;

/// The longest note a requester may leave, in characters.
pub const MAX_NOTE_CHARS: usize = 1000;

/// The requesters' routes; submissions, and more generously the status and its
/// stream, are rate-limited per client.
pub fn router(state: AppState) -> OpenApiRouter<AppState> {
    let submit_limit = axum::middleware::from_fn_with_state(state.clone(), crate::limits::submit);
    let read_limit = axum::middleware::from_fn_with_state(state, crate::limits::read);
    OpenApiRouter::new()
        .routes(
            routes!(submit)
                .layer::<_, Infallible>(submit_limit.clone())
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .routes(
            routes!(withdraw)
                .layer::<_, Infallible>(submit_limit)
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .routes(routes!(status).layer(read_limit.clone()))
        .routes(routes!(events).layer(read_limit))
}

/// Submits a CSR: inspected, verified and checked against the policy, then created in
/// the cluster as a `CertificateSigningRequest`.
#[utoipa::path(post, path = "/requests", tag = "requester", request_body = SubmitRequest,
    responses(ServerErrors,
        (status = 201, description = "Created; the request id", body = RequestTicket),
        (status = 400, description = "Malformed body or CSR", body = ApiError),
        (status = 413, description = "The body is over the limit", body = ApiError),
        (status = 422, description = "Policy violations, each with its code", body = ApiError),
    ))]
#[tracing::instrument(skip(state, headers, body), fields(id))]
async fn submit(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Json(body): Json<SubmitRequest>,
) -> Result<(StatusCode, axum::Json<RequestTicket>)> {
    if body.invite.is_none() && state.portal.invite_required {
        return Err(Error::client(
            ErrorCode::InviteRequired,
            "This portal takes requests through invite links only: ask an approver for one.",
        ));
    }
    check_lifetime_and_note(&state, body.expiration_seconds, body.note.as_deref())?;
    // Vetted before the cluster is needed: a bad CSR is refused even when it is away.
    let known_users = state
        .cluster
        .as_ref()
        .map(|c| c.bindings.users())
        .unwrap_or_default();
    let vetted = crate::csr::vet(&body.csr_pem, &state.portal, &known_users)?;
    let cluster = state.cluster()?;
    let invite = match body.invite.as_deref() {
        Some(token) => Some(invites::open(&cluster.client, token).await?),
        None => None,
    };
    if let Some(invite) = &invite {
        invites::check_match(invite, &vetted.summary, body.expiration_seconds)?;
    }
    let id = requests::new_request_id(&vetted.summary.username)?;
    tracing::Span::current().record("id", id.0.as_str());
    let origin = origin(address, &headers, body.note);
    let Created {
        csr: created,
        invite,
    } = submit::create(
        cluster,
        NewRequest {
            id: &id,
            csr: &vetted,
            expiration_seconds: body.expiration_seconds,
            origin: &origin,
            kind: Kind::Submission {
                invite: invite.map(Box::new),
            },
        },
    )
    .await?;
    state.metrics.submissions.inc();
    let username = vetted.summary.username.as_str();
    cluster.audit.record(
        &created,
        Entry {
            action: Action::Submitted,
            actor: "requester",
            subject: username,
            request: Some(&id.0),
            note: format!(
                "Request for {username:?} (groups {:?}, {}) submitted from {}.",
                vetted.summary.groups,
                vetted.summary.key.label,
                origin
                    .client_address
                    .as_deref()
                    .unwrap_or("an unknown address")
            ),
        },
    );
    if let Some(invite) = invite {
        cluster.audit.record(
            &invite,
            Entry {
                action: Action::InviteUsed,
                actor: "requester",
                subject: username,
                request: Some(&id.0),
                note: format!("Invite used for request {id}."),
            },
        );
        if state.config.auto_approve_invites && invites::grants_bound(&invite) {
            let grants: Vec<Grant> = invite.spec.grants.iter().map(Grant::from).collect();
            let approved_by = format!("certdesk (invite from {})", invite.spec.created_by);
            let message = format!(
                "Approved automatically by CertDesk: the request matches invite {} from {}.",
                invite.metadata.name.as_deref().unwrap_or_default(),
                invite.spec.created_by
            );
            auto_approve(cluster, created, &approved_by, message, &grants, username).await;
        }
    }
    Ok((StatusCode::CREATED, axum::Json(RequestTicket { id })))
}

/// Refuses a lifetime outside the operator's limits (422 `policy_violation`) and a note
/// longer than [`MAX_NOTE_CHARS`] (400), as every way of asking for a certificate does.
pub(crate) fn check_lifetime_and_note(
    state: &AppState,
    expiration_seconds: u32,
    note: Option<&str>,
) -> Result<()> {
    if let Some(violation) =
        shared::policy::check_duration(expiration_seconds, &state.portal.duration)
    {
        let message = violation.message.clone();
        let details = serde_json::json!({ "violations": [violation] });
        return Err(Error::Client(
            ApiError::new(ErrorCode::PolicyViolation, message).with_details(details),
        ));
    }
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(Error::client(
            ErrorCode::BadRequest,
            format!("The note is longer than {MAX_NOTE_CHARS} characters."),
        ));
    }
    Ok(())
}

/// Where a request came from, for the approver: the note, the peer address and the
/// browser's user agent.
pub(crate) fn origin(address: Option<IpAddr>, headers: &HeaderMap, note: Option<String>) -> Origin {
    Origin {
        note,
        client_address: address.map(|a| a.to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// Approves a request as CertDesk itself; a refusal (the operator did not give the
/// backend the approval rights) leaves it pending for an approver, and is logged.
pub(crate) async fn auto_approve(
    cluster: &Cluster,
    csr: CertificateSigningRequest,
    approved_by: &str,
    message: String,
    grants: &[Grant],
    username: &str,
) {
    let id = csr.metadata.name.clone().unwrap_or_default();
    let regarding = kube::Resource::object_ref(&csr, &());
    match approver::approve_automatically(
        &cluster.client,
        csr,
        approved_by,
        message.clone(),
        grants,
    )
    .await
    {
        Ok(()) => cluster.audit.record_on(
            regarding,
            Entry {
                action: Action::AutoApproved,
                actor: approved_by,
                subject: username,
                request: Some(&id),
                note: message,
            },
        ),
        Err(error) => tracing::warn!(
            request = id,
            ?error,
            "auto-approval failed (does CertDesk's ServiceAccount have deploy/rbac-backend-auto-approve.yaml?); the request waits for an approver"
        ),
    }
}

/// Where the request stands (from the watch cache).
#[utoipa::path(get, path = "/requests/{id}", tag = "requester",
    params(("id" = String, Path, description = "The request id")),
    responses(ServerErrors,
        (status = 200, description = "The request's status", body = RequestStatus),
        (status = 404, description = "Not a request CertDesk made", body = ApiError),
    ))]
#[tracing::instrument(skip(state))]
async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<RequestStatus>> {
    ensure_request_id(&id)?;
    Ok(axum::Json(current_status(state.cluster()?, &id).await?))
}

/// Withdraws a pending request: the body carries the request key's signature over its
/// id (`shared::withdrawal`), so only the holder of the key can. CertDesk records it
/// in a `Withdrawal`; the request leaves the approvers' list and is no longer approved
/// through CertDesk. Answers the request's new status.
#[utoipa::path(post, path = "/requests/{id}/withdraw", tag = "requester",
    params(("id" = String, Path, description = "The request id")),
    request_body = shared::withdrawal::WithdrawRequest,
    responses(ServerErrors,
        (status = 200, description = "Withdrawn (or it already was); its status", body = RequestStatus),
        (status = 403, description = "The proof was not made with the request's key (`withdrawal_proof_invalid`)", body = ApiError),
        (status = 404, description = "Not a request CertDesk made, or the cluster no longer has it", body = ApiError),
        (status = 409, description = "Already decided (`request_decided`)", body = ApiError),
    ))]
#[tracing::instrument(skip(state, body))]
async fn withdraw(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    Json(body): Json<shared::withdrawal::WithdrawRequest>,
) -> Result<axum::Json<RequestStatus>> {
    ensure_request_id(&id)?;
    let cluster = state.cluster()?;
    let csr = kube::Api::<CertificateSigningRequest>::all(cluster.client.clone())
        .get_opt(&id)
        .await?
        .filter(|csr| csr.spec.signer_name == crate::cluster::cache::SIGNER)
        .filter(requests::is_managed)
        .ok_or_else(not_found)?;
    let record = crate::cluster::withdrawals::withdraw(
        &cluster.client,
        &csr,
        &body.proof,
        address.map(|a| a.to_string()),
    )
    .await?;
    cluster.audit.record(
        &record,
        Entry {
            action: Action::Withdrawn,
            actor: "requester",
            subject: &record.spec.username,
            request: Some(&id),
            note: format!(
                "Request {id} for {:?} withdrawn by the holder of its key.",
                record.spec.username
            ),
        },
    );
    let mut status = requests::status_of(&csr);
    crate::cluster::withdrawals::mark_withdrawn(&mut status);
    Ok(axum::Json(status))
}

/// Refuses, before anything reaches the cache or the API server, an id CertDesk cannot
/// have made: ids are `certdesk-` and then lower-case letters, digits and dashes.
fn ensure_request_id(id: &str) -> Result<()> {
    let shape = id.len() <= 253
        && id.strip_prefix("certdesk-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    if shape { Ok(()) } else { Err(not_found()) }
}

fn not_found() -> Error {
    Error::client(
        ErrorCode::NotFound,
        "There is no CertDesk request with that id.",
    )
}

/// Returns the request's status (see [`submit::current_status`]), 404 for an id
/// CertDesk cannot have made or did not make.
async fn current_status(cluster: &Cluster, id: &str) -> Result<RequestStatus> {
    ensure_request_id(id)?;
    submit::current_status(cluster, id)
        .await?
        .ok_or_else(not_found)
}

/// The request's status as server-sent events (`event: status`, data a `RequestStatus`),
/// ending after a final phase.
#[utoipa::path(get, path = "/requests/{id}/events", tag = "requester",
    params(("id" = String, Path, description = "The request id")),
    responses(ServerErrors,
        (status = 200, description = "`text/event-stream` of `status` events, each a RequestStatus",
            content_type = "text/event-stream", body = RequestStatus),
        (status = 404, description = "Not a request CertDesk made", body = ApiError),
        (status = 429, description = "Too many requests, or too many open streams in all or from this client (`rate_limited`, Retry-After)", body = ApiError),
    ))]
#[tracing::instrument(skip(state))]
async fn events(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
) -> std::result::Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Response> {
    ensure_request_id(&id).map_err(IntoResponse::into_response)?;
    let slot = state.streams.take(address).map_err(too_many_streams)?;
    let cluster = state
        .cluster()
        .map_err(IntoResponse::into_response)?
        .clone();
    // Subscribe before the first read so no change between the two is missed.
    let changes = cluster.cache.subscribe();
    let first = current_status(&cluster, &id)
        .await
        .map_err(IntoResponse::into_response)?;
    let follow = Follow {
        cluster,
        id,
        changes,
        pending: Some(first),
        last: None,
        slot,
    };
    let stream = futures::stream::unfold(Some(follow), |follow| async move {
        let mut follow = follow?;
        let slots = follow.slot.slots();
        tokio::select! {
            status = follow.next() => {
                let status = status?;
                let done = status.phase.is_final();
                let event = Event::default()
                    .event("status")
                    .json_data(&status)
                    .unwrap_or_else(|_| Event::default().event("status").data("{}"));
                Some((Ok(event), (!done).then_some(follow)))
            }
            // The server is stopping: end the stream cleanly, asking the page to
            // reconnect soon (another replica answers).
            () = slots.closed() => {
                let event = Event::default()
                    .event("closing")
                    .retry(Duration::from_secs(1))
                    .data("the server is stopping; reconnect");
                Some((Ok(event), None))
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// How often a live stream looks again at an approved request that has no certificate.
const SIGNER_RECHECK: Duration = Duration::from_secs(5);

/// One requester's live view of a request: yields each new status until a final one.
/// It holds its stream's place, which comes back when the stream ends or the client
/// goes away.
struct Follow {
    cluster: Cluster,
    id: String,
    changes: tokio::sync::broadcast::Receiver<Change>,
    pending: Option<RequestStatus>,
    last: Option<RequestStatus>,
    slot: crate::streams::StreamSlot,
}

/// The 429 answer when a cap on event streams is reached; the page then polls.
pub(super) fn too_many_streams(refusal: crate::streams::Refusal) -> Response {
    let message = match refusal {
        crate::streams::Refusal::Server => {
            "The server holds as many live status streams as it allows; poll GET /api/v1/requests/{id} instead, or try again later."
        }
        crate::streams::Refusal::Client => {
            "This address holds as many live status streams as it allows; close some, or poll GET /api/v1/requests/{id}."
        }
    };
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(ApiError::new(ErrorCode::RateLimited, message)),
    )
        .into_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(crate::streams::RETRY_AFTER_SECONDS),
    );
    response
}

impl Follow {
    async fn next(&mut self) -> Option<RequestStatus> {
        loop {
            // An approved request still waiting for its certificate is looked at again
            // every few seconds, so the page learns when the signer misses its deadline.
            let awaiting_signer = self
                .last
                .as_ref()
                .is_some_and(|s| s.phase == shared::Phase::Approved && s.not_issued.is_none());
            let status = if let Some(status) = self.pending.take() {
                status
            } else {
                let change = if awaiting_signer {
                    tokio::select! {
                        change = self.changes.recv() => Some(change),
                        () = tokio::time::sleep(SIGNER_RECHECK) => None,
                    }
                } else {
                    Some(self.changes.recv().await)
                };
                match change {
                    None => match current_status(&self.cluster, &self.id).await {
                        Ok(status) => status,
                        Err(_) => continue,
                    },
                    Some(Ok(Change::Applied(csr)))
                        if csr.metadata.name.as_deref() == Some(self.id.as_str()) =>
                    {
                        self.cluster.status_of(&csr)
                    }
                    Some(Ok(Change::Deleted(name))) if name == self.id => {
                        match self.cluster.records.get(&self.id) {
                            Some(record) => records::status_of(&record),
                            None => requests::gone(&self.id),
                        }
                    }
                    Some(Ok(Change::Applied(_) | Change::Deleted(_))) => continue,
                    Some(Ok(Change::Resync) | Err(RecvError::Lagged(_))) => {
                        match current_status(&self.cluster, &self.id).await {
                            Ok(status) => status,
                            Err(_) => continue,
                        }
                    }
                    Some(Err(RecvError::Closed)) => return None,
                }
            };
            if self.last.as_ref() != Some(&status) {
                self.last = Some(status.clone());
                return Some(status);
            }
        }
    }
}
