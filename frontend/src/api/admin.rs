//! Typed calls to the approvers' API (`/api/v1/admin/*`). Each sends the approver's own
//! token as `Authorization: Bearer …`; the token is never logged or stored here.

use gloo_net::http::{Request, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::ApiError;
use shared::admin::{
    ApproveBody, ApproveOutcome, DenyBody, IdentityCheck, RequestDetail, RoleView, WhoAmI,
};
use shared::admin_list::{ListQuery, RequestPage};
use shared::invite::{CreateInvite, InviteCreated, InviteView};
use shared::people::{PersonView, RemoveAccessOutcome};

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
    whoami_at("", token).await
}

/// [`whoami`] at the CertDesk `portal` (a peer's origin; empty: this one).
pub async fn whoami_at(portal: &str, token: &str) -> Result<WhoAmI, ApiError> {
    get(&format!("{portal}/api/v1/admin/whoami"), token).await
}

/// Returns one page of the requests, decoded and flagged, filtered and ordered on the
/// server (`GET /admin/requests?…`).
pub async fn requests(token: &str, query: &ListQuery) -> Result<RequestPage, ApiError> {
    requests_at("", token, query).await
}

/// [`requests`] at the CertDesk `portal` (a peer's origin; empty: this one).
pub async fn requests_at(
    portal: &str,
    token: &str,
    query: &ListQuery,
) -> Result<RequestPage, ApiError> {
    get(
        &format!("{portal}/api/v1/admin/requests?{}", query_string(query)),
        token,
    )
    .await
}

/// The list query as a query string (`phase=Pending&q=…&page=2`), each value encoded.
pub fn query_string(query: &ListQuery) -> String {
    let mut parts = Vec::new();
    if let Some(phase) = query.phase {
        parts.push(format!(
            "phase={}",
            crate::components::request_row::phase_name(phase)
        ));
    }
    if let Some(q) = query.q.as_deref().filter(|q| !q.trim().is_empty()) {
        parts.push(format!("q={}", path_segment(q)));
    }
    if let Some(page) = query.page.filter(|p| *p > 1) {
        parts.push(format!("page={page}"));
    }
    if let Some(per_page) = query.per_page {
        parts.push(format!("per_page={per_page}"));
    }
    if let Some(group) = query.group.as_deref().filter(|g| !g.is_empty()) {
        parts.push(format!("group={}", path_segment(group)));
    }
    if let Some(risk) = query.risk {
        parts.push(format!("risk={}", risk.as_str()));
    }
    if let Some(sort) = query
        .sort
        .filter(|s| *s != shared::admin_list::SortKey::Waiting)
    {
        parts.push(format!("sort={}", sort.as_str()));
    }
    parts.join("&")
}

/// Returns one request for its approval page (`GET /admin/requests/{name}`), read with
/// the approver's token, and the cluster's signer warning.
pub async fn request(token: &str, name: &str) -> Result<RequestDetail, ApiError> {
    get(
        &format!("/api/v1/admin/requests/{}", path_segment(name)),
        token,
    )
    .await
}

/// Returns whether the approver may hand out the request's identity
/// (`GET /admin/requests/{name}/identity`): the cluster's answer, asked before the click.
pub async fn identity(token: &str, name: &str) -> Result<IdentityCheck, ApiError> {
    get(
        &format!("/api/v1/admin/requests/{}/identity", path_segment(name)),
        token,
    )
    .await
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
    approve_at("", token, name, body).await
}

/// [`approve`] at the CertDesk `portal` (a peer's origin; empty: this one).
pub async fn approve_at(
    portal: &str,
    token: &str,
    name: &str,
    body: &ApproveBody,
) -> Result<ApproveOutcome, ApiError> {
    let url = format!(
        "{portal}/api/v1/admin/requests/{}/approve",
        path_segment(name)
    );
    decode(post(&url, token, body).await?).await
}

/// Denies the request with the reason (`POST /admin/requests/{name}/deny`).
pub async fn deny(token: &str, name: &str, body: &DenyBody) -> Result<(), ApiError> {
    deny_at("", token, name, body).await
}

/// [`deny`] at the CertDesk `portal` (a peer's origin; empty: this one).
pub async fn deny_at(
    portal: &str,
    token: &str,
    name: &str,
    body: &DenyBody,
) -> Result<(), ApiError> {
    let url = format!("{portal}/api/v1/admin/requests/{}/deny", path_segment(name));
    let response = post(&url, token, body).await?;
    if response.ok() {
        Ok(())
    } else {
        decode::<serde_json::Value>(response).await.map(|_| ())
    }
}

/// Makes an invite (`POST /admin/invites`); the answer holds the link's token, once.
pub async fn create_invite(token: &str, body: &CreateInvite) -> Result<InviteCreated, ApiError> {
    decode(post("/api/v1/admin/invites", token, body).await?).await
}

/// Returns the invites the approver can see (`GET /admin/invites`).
pub async fn invites(token: &str) -> Result<Vec<InviteView>, ApiError> {
    get("/api/v1/admin/invites", token).await
}

/// Revokes an invite (`POST /admin/invites/{name}/revoke`).
pub async fn revoke_invite(token: &str, name: &str) -> Result<InviteView, ApiError> {
    let url = format!("/api/v1/admin/invites/{}/revoke", path_segment(name));
    decode(post(&url, token, &serde_json::json!({})).await?).await
}

/// Returns the notification sinks with their last delivery and failure
/// (`GET /admin/notifications`).
pub async fn notifications(token: &str) -> Result<Vec<shared::admin::SinkStatus>, ApiError> {
    get("/api/v1/admin/notifications", token).await
}

/// Returns everyone CertDesk issued to (`GET /admin/people`).
pub async fn people(token: &str) -> Result<Vec<PersonView>, ApiError> {
    get("/api/v1/admin/people", token).await
}

/// Removes a person's access (`POST /admin/people/{username}/remove-access`).
pub async fn remove_access(token: &str, username: &str) -> Result<RemoveAccessOutcome, ApiError> {
    let url = format!(
        "/api/v1/admin/people/{}/remove-access",
        path_segment(username)
    );
    decode(post(&url, token, &serde_json::json!({})).await?).await
}

/// Returns the namespaces the approver may list (`GET /admin/namespaces`).
pub async fn namespaces(token: &str) -> Result<shared::admin::NamespaceList, ApiError> {
    get("/api/v1/admin/namespaces", token).await
}

/// Restores a person's access (`POST /admin/people/{username}/restore-access`).
pub async fn restore_access(token: &str, username: &str) -> Result<(), ApiError> {
    let url = format!(
        "/api/v1/admin/people/{}/restore-access",
        path_segment(username)
    );
    let response = post(&url, token, &serde_json::json!({})).await?;
    if response.ok() {
        Ok(())
    } else {
        decode::<serde_json::Value>(response).await.map(|_| ())
    }
}

/// Returns each grant with the rules of the role it names (for the preview), loading
/// the roles of each namespace the grants name; a role the approver cannot see comes
/// back with no rules.
pub async fn grant_rules(
    token: &str,
    grants: &[shared::admin::Grant],
) -> Result<Vec<shared::admin_preview::GrantRules>, ApiError> {
    let mut namespaces: Vec<Option<&str>> = grants
        .iter()
        .map(|g| g.namespace.as_deref().filter(|n| !n.is_empty()))
        .collect();
    namespaces.sort();
    namespaces.dedup();
    let mut known: Vec<RoleView> = Vec::new();
    for namespace in namespaces {
        known.extend(roles(token, namespace).await?);
    }
    Ok(grants
        .iter()
        .map(|grant| shared::admin_preview::GrantRules {
            grant: grant.clone(),
            rules: known
                .iter()
                .find(|r| {
                    r.kind == grant.kind
                        && r.name == grant.name
                        && (r.kind == shared::admin::RoleKind::ClusterRole
                            || r.namespace == grant.namespace)
                })
                .map(|r| r.rules.clone())
                .unwrap_or_default(),
        })
        .collect())
}
