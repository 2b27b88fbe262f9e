//! `GET /api/v1/openapi.json`: the OpenAPI 3 document of the whole `/api/v1`, generated
//! from the handlers' annotations and the shared types' schemas.

use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::AppState;

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "CertDesk API",
        description = "Submit CSRs, follow them, and approve or deny them with the approver's own Kubernetes token. Every error body is an ApiError."
    ),
    paths(
        super::config::portal_config,
        super::requests::submit,
        super::requests::status,
        super::requests::events,
        super::admin::whoami,
        super::admin::list,
        super::admin::identity,
        super::admin::approve,
        super::admin::deny,
        super::admin::roles,
        super::admin::create_invite,
        super::admin::list_invites,
        super::admin::revoke_invite,
        super::admin::people,
        super::admin::remove_access,
        super::invites::invite,
        super::renewals::challenge,
        super::renewals::renew,
        openapi_json,
    ),
    components(schemas(shared::ApiError, shared::ErrorCode)),
    modifiers(&BearerToken),
    tags(
        (name = "requester", description = "What the requester's browser calls"),
        (name = "admin", description = "The approvers' API; `Authorization: Bearer <the approver's Kubernetes token>`"),
    )
)]
pub struct ApiDoc;

/// Declares the approvers' bearer token (their own Kubernetes token).
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The route serving the document.
pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi_json))
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "requester",
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json")))]
async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}
