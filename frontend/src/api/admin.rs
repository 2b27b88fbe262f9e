//! Typed calls to the approvers' API (`/api/v1/admin/*`). Each sends the approver's own
//! token as `Authorization: Bearer …`; the token is never logged or stored here.

use gloo_net::http::{Request, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::ApiError;
use shared::admin::{ApproveBody, ApproveOutcome, DenyBody, RequestView, RoleView, WhoAmI};

use super::{decode, unreachable};

fn authorised(builder: RequestBuilder, token: &str) -> RequestBuilder {
    builder.header("Authorization", &format!("Bearer {token}"))
}

fn path_segment(name: &str) -> String {
    String::from(js_sys::encode_uri_component(name))
}

async fn get<T: DeserializeOwned>(url: &str, token: &str) -> Result<T, ApiError> {
    let response = authorised(Request::get(url), token)
        .send()
        .await
        .map_err(unreachable)?;
    decode(response).await
}

async fn post(
    url: &str,
    token: &str,
    body: &impl Serialize,
) -> Result<gloo_net::http::Response, ApiError> {
    authorised(Request::post(url), token)
        .json(body)
        .map_err(|e| {
            ApiError::new(
                shared::ErrorCode::Internal,
                format!("The request could not be prepared: {e}"),
            )
        })?
        .send()
        .await
        .map_err(unreachable)
}

/// Returns who the token belongs to and what they may do (`GET /admin/whoami`).
pub async fn whoami(token: &str) -> Result<WhoAmI, ApiError> {
    get("/api/v1/admin/whoami", token).await
}

/// Returns every request the cluster holds, decoded and flagged (`GET /admin/requests`).
pub async fn requests(token: &str) -> Result<Vec<RequestView>, ApiError> {
    get("/api/v1/admin/requests", token).await
}

/// Returns the Roles of the namespace (if given) and the ClusterRoles the approver can
/// see (`GET /admin/roles?namespace=`).
pub async fn roles(token: &str, namespace: Option<&str>) -> Result<Vec<RoleView>, ApiError> {
    let url = match namespace.filter(|n| !n.is_empty()) {
        Some(namespace) => format!("/api/v1/admin/roles?namespace={}", path_segment(namespace)),
        None => "/api/v1/admin/roles".to_owned(),
    };
    get(&url, token).await
}

/// Approves the request and makes its bindings (`POST /admin/requests/{name}/approve`).
pub async fn approve(
    token: &str,
    name: &str,
    body: &ApproveBody,
) -> Result<ApproveOutcome, ApiError> {
    let url = format!("/api/v1/admin/requests/{}/approve", path_segment(name));
    decode(post(&url, token, body).await?).await
}

/// Denies the request with the reason (`POST /admin/requests/{name}/deny`).
pub async fn deny(token: &str, name: &str, body: &DenyBody) -> Result<(), ApiError> {
    let url = format!("/api/v1/admin/requests/{}/deny", path_segment(name));
    let response = post(&url, token, body).await?;
    if response.ok() {
        Ok(())
    } else {
        decode::<serde_json::Value>(response).await.map(|_| ())
    }
}
