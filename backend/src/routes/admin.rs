//! The approvers' API under `/api/v1/admin`: every call carries the approver's own
//! Kubernetes token and is made to the cluster with that token alone.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::AdminErrors;
use crate::AppState;
use crate::cluster::approver::{
    self, ApproveBody, ApproveOutcome, DenyBody, IdentityCheck, RequestView, RoleView, WhoAmI,
};
use crate::cluster::{invites, people, standing};
use crate::error::Result;
use crate::extract::{BearerToken, Json};
use shared::ApiError;
use shared::admin::RequestDetail;
use shared::invite::{CreateInvite, InviteCreated, InviteView};
use shared::people::{PersonView, RemoveAccessOutcome};

/// The approvers' routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(whoami))
        .routes(routes!(request))
        .routes(routes!(identity))
        .routes(routes!(approve))
        .routes(routes!(deny))
        .routes(routes!(roles))
        .routes(routes!(namespaces))
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(revoke_invite))
        .routes(routes!(people))
        .routes(routes!(remove_access))
        .routes(routes!(restore_access))
        .merge(super::admin_list::router())
        .merge(super::admin_notifications::router())
}

/// Refuses a name from the URL that cannot be a CSR's (404, no API call).
fn ensure_csr_name(name: &str) -> Result<()> {
    if crate::cluster::requests::is_csr_name(name) {
        Ok(())
    } else {
        Err(crate::error::Error::client(
            shared::ErrorCode::NotFound,
            "There is no certificate signing request of that name.",
        ))
    }
}

pub(super) fn client(state: &AppState, token: &BearerToken) -> Result<kube::Client> {
    Ok(state.cluster()?.client_for_token(token.expose())?)
}

/// Who the approver is and what they may do.
#[utoipa::path(get, path = "/whoami", tag = "admin", security(("bearer" = [])),
    responses(AdminErrors,
        (status = 200, description = "The approver's identity and abilities", body = WhoAmI),
    ))]
#[tracing::instrument(skip(state, token))]
async fn whoami(State(state): State<AppState>, token: BearerToken) -> Result<axum::Json<WhoAmI>> {
    Ok(axum::Json(
        approver::whoami(&client(&state, &token)?).await?,
    ))
}

/// On every approver route: a token the API server refused (401) is answered with the
/// cause its claims show (expired, another audience, an issuer the API server does not
/// trust) and, when the API server's configuration is the fix, the
/// `AuthenticationConfiguration` for the configured issuer. The API server has refused
/// it: nothing here trusts the claims.
pub(super) async fn explain_refusals(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let token = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let response = next.run(request).await;
    let (Some(token), axum::http::StatusCode::UNAUTHORIZED) = (token, response.status()) else {
        return response;
    };
    let oidc = state.settings.oidc.as_ref().map(|o| &o.config);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let refusal = shared::oidc::diagnose(&token, oidc, now);
    let mut details = serde_json::json!({ "refusal": refusal });
    if let Some(oidc) = oidc
        && refusal.needs_api_server_config()
    {
        let minor = state.cluster.as_ref().and_then(|c| c.signing.minor());
        details["authentication_config"] = shared::oidc::authentication_config(oidc, minor).into();
    }
    crate::error::Error::Client(
        shared::ApiError::new(shared::ErrorCode::TokenInvalid, refusal.message())
            .with_details(details),
    )
    .into_response()
}

/// One request, read with the approver's own token, decoded and flagged, with a warning
/// when another approved request got no certificate from this cluster's signer.
#[utoipa::path(get, path = "/requests/{name}", tag = "admin",
    security(("bearer" = [])), params(("name" = String, Path, description = "The CSR's name")),
    responses(AdminErrors,
        (status = 200, description = "The request", body = RequestDetail),
        (status = 404, description = "No such CSR", body = ApiError),
    ))]
#[tracing::instrument(skip(state, token))]
async fn request(
    State(state): State<AppState>,
    token: BearerToken,
    Path(name): Path<String>,
) -> Result<axum::Json<RequestDetail>> {
    ensure_csr_name(&name)?;
    let client = client(&state, &token)?;
    let cluster = state.cluster()?;
    let csr = approver::view::read(&client, &name).await?;
    let bound = cluster.bindings.users();
    let all = cluster.cache.all();
    let neighbours = neighbours(cluster, &all);
    let context =
        shared::risk::RiskContext::new(&state.portal.policy, &bound).with_neighbours(&neighbours);
    let request = view_of(cluster, &csr, &context);
    let signer_warning = cluster.signing.stalled(
        all.iter().map(AsRef::as_ref),
        &name,
        time::OffsetDateTime::now_utc(),
    );
    let current_bindings = match (&request.username, request.phase) {
        (Some(user), shared::Phase::Approved | shared::Phase::Issued) => {
            people::certdesk_bindings(&client)
                .await?
                .into_iter()
                .filter(|b| &b.user == user)
                .map(|b| b.binding)
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(axum::Json(RequestDetail {
        request,
        signer_warning,
        current_bindings,
    }))
}

/// Every cached request and issuance record, indexed for the flags requests raise
/// about each other.
pub(super) fn neighbours(
    cluster: &crate::cluster::Cluster,
    all: &[std::sync::Arc<k8s_openapi::api::certificates::v1::CertificateSigningRequest>],
) -> shared::risk::Neighbours {
    let waiting = |csr: &k8s_openapi::api::certificates::v1::CertificateSigningRequest| {
        standing::phase(csr) == shared::Phase::Pending
            && !csr
                .metadata
                .name
                .as_deref()
                .is_some_and(|name| cluster.withdrawals.contains(name))
    };
    approver::view::neighbours(
        all,
        |csr| cluster.cache.decoding(csr),
        waiting,
        &cluster.records.all(),
    )
}

/// The CSR as the approver sees it, with why it is not issued when the cluster's
/// signer missed the deadline.
pub(super) fn view_of(
    cluster: &crate::cluster::Cluster,
    csr: &k8s_openapi::api::certificates::v1::CertificateSigningRequest,
    context: &shared::risk::RiskContext<'_>,
) -> RequestView {
    let mut view = approver::view(
        csr,
        &cluster.cache.decoding(csr),
        context,
        cluster.own_username(),
    );
    match view.phase {
        shared::Phase::Approved => view.not_issued = standing::of_csr(cluster, csr).not_issued,
        shared::Phase::Pending if cluster.withdrawals.contains(&view.name) => {
            view.phase = shared::Phase::Withdrawn;
            view.risks.clear();
        }
        _ => {}
    }
    view
}

/// Whether the approver may hand out the request's identity: `impersonate` on each
/// requested group, and on the username when it already has bindings. The approval
/// page shows it before the click; approving runs the same check.
#[utoipa::path(get, path = "/requests/{name}/identity", tag = "admin",
    security(("bearer" = [])), params(("name" = String, Path, description = "The CSR's name")),
    responses(AdminErrors,
        (status = 200, description = "The cluster's answer, with every missing permission", body = IdentityCheck),
        (status = 404, description = "No such CSR", body = ApiError),
    ))]
#[tracing::instrument(skip(state, token))]
async fn identity(
    State(state): State<AppState>,
    token: BearerToken,
    Path(name): Path<String>,
) -> Result<axum::Json<IdentityCheck>> {
    let client = client(&state, &token)?;
    ensure_csr_name(&name)?;
    let check = approver::identity_of_request(state.cluster()?, &client, &name).await?;
    Ok(axum::Json(check))
}

/// Approves the request as the approver, after a dry run of every grant's binding.
#[utoipa::path(post, path = "/requests/{name}/approve", tag = "admin",
    security(("bearer" = [])), params(("name" = String, Path, description = "The CSR's name")),
    request_body = ApproveBody,
    responses(AdminErrors,
        (status = 200, description = "Approved; each binding's outcome", body = ApproveOutcome),
        (status = 404, description = "No such CSR", body = ApiError),
        (status = 403, description = "`identity_not_allowed`: the approver may not impersonate a requested group or the bound username", body = ApiError),
        (status = 409, description = "Already denied or failed, or a conflicting binding", body = ApiError),
    ))]
#[tracing::instrument(skip(state, token, body))]
async fn approve(
    State(state): State<AppState>,
    token: BearerToken,
    Path(name): Path<String>,
    Json(body): Json<ApproveBody>,
) -> Result<axum::Json<ApproveOutcome>> {
    ensure_csr_name(&name)?;
    let outcome =
        approver::approve(state.cluster()?, &client(&state, &token)?, &name, &body).await?;
    Ok(axum::Json(outcome))
}

/// Denies the request as the approver, with a reason.
#[utoipa::path(post, path = "/requests/{name}/deny", tag = "admin",
    security(("bearer" = [])), params(("name" = String, Path, description = "The CSR's name")),
    request_body = DenyBody,
    responses(AdminErrors,
        (status = 204, description = "Denied"),
        (status = 404, description = "No such CSR", body = ApiError),
        (status = 409, description = "Not pending any more", body = ApiError),
    ))]
#[tracing::instrument(skip(state, token, body))]
async fn deny(
    State(state): State<AppState>,
    token: BearerToken,
    Path(name): Path<String>,
    Json(body): Json<DenyBody>,
) -> Result<StatusCode> {
    ensure_csr_name(&name)?;
    approver::deny(
        state.cluster()?,
        &client(&state, &token)?,
        &name,
        &body.reason,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The query of `GET /api/v1/admin/roles`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct RolesQuery {
    /// Also list the Roles of this namespace.
    namespace: Option<String>,
}

/// The Roles (of a namespace) and ClusterRoles the approver can see, with their rules.
#[utoipa::path(get, path = "/roles", tag = "admin", security(("bearer" = [])),
    params(RolesQuery),
    responses(AdminErrors,
        (status = 200, description = "The roles", body = Vec<RoleView>),
    ))]
#[tracing::instrument(skip(state, token))]
async fn roles(
    State(state): State<AppState>,
    token: BearerToken,
    Query(query): Query<RolesQuery>,
) -> Result<axum::Json<Vec<RoleView>>> {
    Ok(axum::Json(
        approver::roles(&client(&state, &token)?, query.namespace.as_deref()).await?,
    ))
}

/// The namespaces the approver may list, for the grant picker; `listable: false` when
/// the cluster does not let them list namespaces.
#[utoipa::path(get, path = "/namespaces", tag = "admin", security(("bearer" = [])),
    responses(AdminErrors,
        (status = 200, description = "The namespaces", body = shared::admin::NamespaceList),
    ))]
#[tracing::instrument(skip(state, token))]
async fn namespaces(
    State(state): State<AppState>,
    token: BearerToken,
) -> Result<axum::Json<shared::admin::NamespaceList>> {
    let listed = approver::roles::namespaces(&client(&state, &token)?).await?;
    Ok(axum::Json(shared::admin::NamespaceList {
        listable: listed.is_some(),
        namespaces: listed.unwrap_or_default(),
    }))
}

/// Makes an invite as the approver: the identity, lifetime and grants are checked now
/// (grants by a dry run as the approver), and the link's token is returned once.
#[utoipa::path(post, path = "/invites", tag = "admin", security(("bearer" = [])),
    request_body = CreateInvite,
    responses(AdminErrors,
        (status = 201, description = "The invite and its link (the token is shown only now)", body = InviteCreated),
        (status = 422, description = "The identity or lifetime breaks the policy", body = ApiError),
    ))]
#[tracing::instrument(skip(state, token, body))]
async fn create_invite(
    State(state): State<AppState>,
    token: BearerToken,
    Json(body): Json<CreateInvite>,
) -> Result<(StatusCode, axum::Json<InviteCreated>)> {
    let cluster = state.cluster()?;
    let created = invites::create(
        cluster,
        &client(&state, &token)?,
        &body,
        &state.portal,
        state.portal.auto_approve_invites,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// Every invite the approver may see (listed with their own token), newest first.
#[utoipa::path(get, path = "/invites", tag = "admin", security(("bearer" = [])),
    responses(AdminErrors,
        (status = 200, description = "The invites", body = Vec<InviteView>),
    ))]
#[tracing::instrument(skip(state, token))]
async fn list_invites(
    State(state): State<AppState>,
    token: BearerToken,
) -> Result<axum::Json<Vec<InviteView>>> {
    Ok(axum::Json(invites::list(&client(&state, &token)?).await?))
}

/// Revokes an unused invite and removes the bindings made with it.
#[utoipa::path(post, path = "/invites/{name}/revoke", tag = "admin",
    security(("bearer" = [])), params(("name" = String, Path, description = "The invite's name")),
    responses(AdminErrors,
        (status = 200, description = "The revoked invite", body = InviteView),
        (status = 404, description = "No such invite", body = ApiError),
        (status = 409, description = "The invite was already used", body = ApiError),
    ))]
#[tracing::instrument(skip(state, token))]
async fn revoke_invite(
    State(state): State<AppState>,
    token: BearerToken,
    Path(name): Path<String>,
) -> Result<axum::Json<InviteView>> {
    let cluster = state.cluster()?;
    Ok(axum::Json(
        invites::revoke(&client(&state, &token)?, &name, &cluster.audit).await?,
    ))
}

/// Everyone CertDesk issued a certificate to or made a binding for, with their
/// certificates (time left) and their CertDesk-made bindings.
#[utoipa::path(get, path = "/people", tag = "admin", security(("bearer" = [])),
    responses(AdminErrors,
        (status = 200, description = "The people, by username", body = Vec<PersonView>),
        (status = 403, description = "The approver may not list issuance records or bindings", body = ApiError),
    ))]
#[tracing::instrument(skip(state, token))]
async fn people(
    State(state): State<AppState>,
    token: BearerToken,
) -> Result<axum::Json<Vec<PersonView>>> {
    let client = client(&state, &token)?;
    let (allowed, bindings, removals) = tokio::join!(
        approver::ensure_may_list_records(&client),
        people::certdesk_bindings(&client),
        people::removals(&client),
    );
    allowed?;
    let cluster = state.cluster()?;
    Ok(axum::Json(people::people(
        &cluster.records.all(),
        bindings?,
        &removals?,
        time::OffsetDateTime::now_utc(),
    )))
}

/// Removes a person's access, as the approver: records the removal (nothing is taken,
/// approved or renewed for them until restored), denies their pending requests and
/// renewals, marks their issuance records and deletes the bindings CertDesk made for
/// them. Their certificate still authenticates until it expires; the answer says until
/// when and what they can still do.
#[utoipa::path(post, path = "/people/{username}/remove-access", tag = "admin",
    security(("bearer" = [])), params(("username" = String, Path, description = "The username")),
    responses(AdminErrors,
        (status = 200, description = "What was removed", body = RemoveAccessOutcome),
    ))]
#[tracing::instrument(skip(state, token))]
async fn remove_access(
    State(state): State<AppState>,
    token: BearerToken,
    Path(username): Path<String>,
) -> Result<axum::Json<RemoveAccessOutcome>> {
    Ok(axum::Json(
        people::remove_access(state.cluster()?, &client(&state, &token)?, &username).await?,
    ))
}

/// Restores a person's access: CertDesk takes and renews their requests again.
#[utoipa::path(post, path = "/people/{username}/restore-access", tag = "admin",
    security(("bearer" = [])), params(("username" = String, Path, description = "The username")),
    responses(AdminErrors,
        (status = 204, description = "Restored (or it was not removed)"),
    ))]
#[tracing::instrument(skip(state, token))]
async fn restore_access(
    State(state): State<AppState>,
    token: BearerToken,
    Path(username): Path<String>,
) -> Result<StatusCode> {
    people::restore_access(state.cluster()?, &client(&state, &token)?, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}
