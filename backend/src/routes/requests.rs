//! Requesters' API: `POST /requests`, `GET /requests/{id}` and its event stream.

use std::convert::Infallible;
use std::net::IpAddr;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use shared::{ApiError, ErrorCode, RequestStatus, RequestTicket, SubmitRequest};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::openapi::ServerErrors;
use crate::AppState;
use crate::cluster::requests::Origin;
use crate::cluster::{follow, standing, submit, withdrawals};
use crate::error::{Error, Result};
use crate::extract::{ClientAddress, Json};

/// The largest submission body accepted; a CSR, even RSA 4096, is under 4 KiB.
pub const BODY_LIMIT: usize = 16 * 1024;

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
    let known_users = state
        .cluster
        .as_ref()
        .map(|c| c.bindings.users())
        .unwrap_or_default();
    let vetted = submit::vet(&state.portal, &known_users, &body)?;
    let origin = origin(address, &headers, body.note.clone());
    let ticket = submit::submit(state.cluster()?, &body, &vetted, &origin).await?;
    Ok((StatusCode::CREATED, axum::Json(ticket)))
}

/// Where the request came from, for the approver: the note, the peer address and the
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
    Ok(axum::Json(current_status(&state, &id).await?))
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
    let status = withdrawals::withdraw(
        state.cluster()?,
        &id,
        &body.proof,
        address.map(|a| a.to_string()),
    )
    .await?;
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

/// Returns the request's status ([`standing::of`]), 404 for an id CertDesk cannot have
/// made or did not make.
async fn current_status(state: &AppState, id: &str) -> Result<RequestStatus> {
    ensure_request_id(id)?;
    standing::of(state.cluster()?, id)
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
    let cluster = state.cluster().map_err(IntoResponse::into_response)?;
    let follow = follow::start(cluster, &id)
        .await
        .map_err(|e| Error::from(e).into_response())?
        .ok_or_else(|| not_found().into_response())?;
    let stream = futures::stream::unfold(Some((follow, slot)), |state| async move {
        let (mut follow, slot) = state?;
        let slots = slot.slots();
        tokio::select! {
            status = follow.next() => {
                let status = status?;
                let done = status.phase.is_final();
                let event = Event::default()
                    .event("status")
                    .json_data(&status)
                    .unwrap_or_else(|_| Event::default().event("status").data("{}"));
                Some((Ok(event), (!done).then_some((follow, slot))))
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
