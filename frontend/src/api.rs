//! Typed calls to the backend's `/api/v1`; every call returns the server's `ApiError`
//! on failure, or one made here when the server could not be reached.

pub mod admin;
pub mod changes;
pub mod status_stream;

use gloo_net::http::{Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::invite::InviteInfo;
use shared::renewal::{RenewalChallenge, RenewalRequest};
use shared::{ApiError, ErrorCode, PortalConfig, RequestStatus, RequestTicket, SubmitRequest};

/// Fetches this portal's configuration (`GET /api/v1/config`).
pub async fn config() -> Result<PortalConfig, ApiError> {
    config_at("").await
}

/// Fetches the configuration of the CertDesk at `portal` (an origin such as
/// `https://certdesk.b.example`; empty for this one): a peer answers this page by CORS.
pub async fn config_at(portal: &str) -> Result<PortalConfig, ApiError> {
    let response = Request::get(&format!("{portal}/api/v1/config"))
        .send()
        .await
        .map_err(unreachable)?;
    decode(response).await
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if response.ok() {
        return response.json::<T>().await.map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("The server's answer could not be read: {e}"),
            )
        });
    }
    let status = response.status();
    match response.json::<ApiError>().await {
        Ok(error) => Err(error),
        Err(_) => Err(ApiError::new(
            ErrorCode::Internal,
            format!("The server answered HTTP {status} without an explanation."),
        )),
    }
}

/// The error a request that got no answer at all gets (the browser's own words, such
/// as "TypeError: Failed to fetch", are kept in the log, not shown).
pub(crate) fn unreachable(error: gloo_net::Error) -> ApiError {
    web_sys::console::warn_1(&format!("CertDesk could not be reached: {error}").into());
    ApiError::new(
        ErrorCode::PortalUnreachable,
        "CertDesk could not be reached from this browser: check your connection, then try again. \
         What you typed is kept.",
    )
}

/// Submits a certificate signing request (`POST /api/v1/requests`) to the CertDesk at
/// `portal` (empty: this one). The body holds the CSR, the lifetime, the note and the
/// invite token: never the private key.
pub async fn submit(portal: &str, body: &SubmitRequest) -> Result<RequestTicket, ApiError> {
    post_json(&format!("{portal}/api/v1/requests"), body).await
}

/// Reads what an invite link offers (`POST /api/v1/invites/open`, the token in the
/// body: never in a URL).
pub async fn invite(token: &str) -> Result<InviteInfo, ApiError> {
    post_json(
        "/api/v1/invites/open",
        &shared::invite::OpenInvite {
            token: token.to_owned(),
        },
    )
    .await
}

/// Asks for a renewal challenge (`POST /api/v1/renewals/challenge`).
pub async fn renewal_challenge() -> Result<RenewalChallenge, ApiError> {
    post_json("/api/v1/renewals/challenge", &serde_json::json!({})).await
}

/// Sends a renewal (`POST /api/v1/renewals`): the new CSR, the old certificate and the
/// old key's signature over the challenge; never a private key.
pub async fn renew(body: &RenewalRequest) -> Result<RequestTicket, ApiError> {
    post_json("/api/v1/renewals", body).await
}

async fn post_json<T: DeserializeOwned>(url: &str, body: &impl Serialize) -> Result<T, ApiError> {
    let response = Request::post(url)
        .json(body)
        .map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("The request could not be prepared: {e}"),
            )
        })?
        .send()
        .await
        .map_err(unreachable)?;
    decode(response).await
}

/// Fetches a request's current status (`GET /api/v1/requests/{id}`) from the CertDesk
/// at `portal` (empty: this one).
pub async fn request_status(portal: &str, id: &str) -> Result<RequestStatus, ApiError> {
    let response = Request::get(&request_url(portal, id, ""))
        .send()
        .await
        .map_err(unreachable)?;
    decode(response).await
}

/// Withdraws a pending request (`POST /api/v1/requests/{id}/withdraw`) with the
/// request key's signature over its id; answers its new status.
pub async fn withdraw(portal: &str, id: &str, proof: String) -> Result<RequestStatus, ApiError> {
    post_json(
        &request_url(portal, id, "/withdraw"),
        &shared::withdrawal::WithdrawRequest { proof },
    )
    .await
}

/// The URL of a request at the CertDesk `portal` (empty: this one; `suffix` such as
/// `/events`), its id percent-encoded.
pub fn request_url(portal: &str, id: &str, suffix: &str) -> String {
    let id: String = js_sys::encode_uri_component(id).into();
    format!("{portal}/api/v1/requests/{id}{suffix}")
}
