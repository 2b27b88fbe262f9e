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

#[tracing::instrument(skip(state, token))]
async fn whoami(State(state): State<AppState>, token: BearerToken) -> Result<axum::Json<WhoAmI>> {
    Ok(axum::Json(
        approver::whoami(&client(&state, &token)?).await?,
    ))
}

#[tracing::instrument(skip(state, token))]
async fn list(
    State(state): State<AppState>,
    token: BearerToken,
) -> Result<axum::Json<Vec<RequestView>>> {
    let client = client(&state, &token)?;
    approver::ensure_may_list(&client).await?;
    let bound = approver::bound_users(&client).await;
    let cluster = state.cluster()?;
    let mut views: Vec<RequestView> = cluster
        .cache
        .all()
        .iter()
        .map(|csr| approver::view(csr, &state.portal.policy, &bound))
        .collect();
    views.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.name.cmp(&b.name)));
    Ok(axum::Json(views))
}

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
#[derive(Debug, Deserialize)]
struct RolesQuery {
    namespace: Option<String>,
}

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
