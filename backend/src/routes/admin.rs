//! The approvers' API under `/api/v1/admin`: every call carries the approver's own
//! Kubernetes token and is made to the cluster with that token alone.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::cluster::approver::{
    self, ApproveBody, ApproveOutcome, DenyBody, RequestView, RoleView, WhoAmI,
};
use crate::error::Result;
use crate::extract::{BearerToken, Json};
use shared::ApiError;

/// The approvers' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/whoami", get(whoami))
        .route("/requests", get(list))
        .route("/requests/{name}/approve", post(approve))
        .route("/requests/{name}/deny", post(deny))
        .route("/roles", get(roles))
}

fn client(state: &AppState, token: &BearerToken) -> Result<kube::Client> {
    Ok(state.cluster()?.client_for_token(token.expose())?)
}

/// Who the approver is and what they may do.
#[utoipa::path(get, path = "/api/v1/admin/whoami", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "The approver's identity and abilities", body = WhoAmI),
        (status = 400, description = "Malformed body or bad input", body = ApiError),
        (status = 401, description = "The token is not valid for the cluster", body = ApiError),
        (status = 403, description = "The API server refused the approver (its own message)", body = ApiError),
        (status = 503, description = "The cluster is unreachable", body = ApiError),
    ))]
#[tracing::instrument(skip(state, token))]
async fn whoami(State(state): State<AppState>, token: BearerToken) -> Result<axum::Json<WhoAmI>> {
    Ok(axum::Json(
        approver::whoami(&client(&state, &token)?).await?,
    ))
}

/// Every kube-apiserver-client CSR in the watch cache, decoded, with risk flags.
#[utoipa::path(get, path = "/api/v1/admin/requests", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "The requests, newest first", body = Vec<RequestView>),
        (status = 400, description = "Malformed body or bad input", body = ApiError),
        (status = 401, description = "The token is not valid for the cluster", body = ApiError),
        (status = 403, description = "The API server refused the approver (its own message)", body = ApiError),
        (status = 503, description = "The cluster is unreachable", body = ApiError),
    ))]
#[tracing::instrument(skip(state, token))]
async fn list(
    State(state): State<AppState>,
    token: BearerToken,
) -> Result<axum::Json<Vec<RequestView>>> {
    let client = client(&state, &token)?;
    // The bindings are fetched alongside the access review; nothing is shown unless
    // the review allows listing.
    let (allowed, bound) = tokio::join!(
        approver::ensure_may_list(&client),
        approver::bound_users(&client)
    );
    allowed?;
    let cluster = state.cluster()?;
    let mut views: Vec<RequestView> = cluster
        .cache
        .all()
        .iter()
        .map(|csr| {
            approver::view(
                csr,
                &cluster.cache.decoding(csr),
                &state.portal.policy,
                &bound,
            )
        })
        .collect();
    views.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.name.cmp(&b.name)));
    Ok(axum::Json(views))
}

/// Approves the request as the approver, after a dry run of every grant's binding.
#[utoipa::path(post, path = "/api/v1/admin/requests/{name}/approve", tag = "admin",
    security(("bearer" = [])), params(("name" = String, Path, description = "The CSR's name")),
    request_body = ApproveBody,
    responses(
        (status = 200, description = "Approved; each binding's outcome", body = ApproveOutcome),
        (status = 400, description = "Malformed body or bad input", body = ApiError),
        (status = 401, description = "The token is not valid for the cluster", body = ApiError),
        (status = 403, description = "The API server refused the approver (its own message)", body = ApiError),
        (status = 503, description = "The cluster is unreachable", body = ApiError),
        (status = 404, description = "No such CSR", body = ApiError),
        (status = 409, description = "Already denied or failed, or a conflicting binding", body = ApiError),
    ))]
#[tracing::instrument(skip(state, token, body))]
async fn approve(
    State(state): State<AppState>,
    token: BearerToken,
    Path(name): Path<String>,
    Json(body): Json<ApproveBody>,
) -> Result<axum::Json<ApproveOutcome>> {
    let outcome = approver::approve(&client(&state, &token)?, &name, &body).await?;
    state.metrics.approvals.inc();
    tracing::info!(approver = %outcome.approved_by, complete = outcome.complete, "request approved");
    Ok(axum::Json(outcome))
}

/// Denies the request as the approver, with a reason.
#[utoipa::path(post, path = "/api/v1/admin/requests/{name}/deny", tag = "admin",
    security(("bearer" = [])), params(("name" = String, Path, description = "The CSR's name")),
    request_body = DenyBody,
    responses(
        (status = 204, description = "Denied"),
        (status = 400, description = "Malformed body or bad input", body = ApiError),
        (status = 401, description = "The token is not valid for the cluster", body = ApiError),
        (status = 403, description = "The API server refused the approver (its own message)", body = ApiError),
        (status = 503, description = "The cluster is unreachable", body = ApiError),
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
    approver::deny(&client(&state, &token)?, &name, &body.reason).await?;
    state.metrics.denials.inc();
    tracing::info!("request denied");
    Ok(StatusCode::NO_CONTENT)
}

/// The query of `GET /api/v1/admin/roles`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct RolesQuery {
    /// Also list the Roles of this namespace.
    namespace: Option<String>,
}

/// The Roles (of a namespace) and ClusterRoles the approver can see, with their rules.
#[utoipa::path(get, path = "/api/v1/admin/roles", tag = "admin", security(("bearer" = [])),
    params(RolesQuery),
    responses(
        (status = 200, description = "The roles", body = Vec<RoleView>),
        (status = 400, description = "Malformed body or bad input", body = ApiError),
        (status = 401, description = "The token is not valid for the cluster", body = ApiError),
        (status = 403, description = "The API server refused the approver (its own message)", body = ApiError),
        (status = 503, description = "The cluster is unreachable", body = ApiError),
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
