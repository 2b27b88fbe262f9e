//! `GET /api/v1/openapi.json`: the OpenAPI 3 document of the whole `/api/v1`. Each
//! route registers its description where it is mounted (utoipa-axum's
//! [`OpenApiRouter`]), so the document and the router cannot disagree; the error
//! answers every route shares are described once, here.

use std::sync::Arc;

use axum::Extension;
use shared::ApiError;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The document's frame: its title, tags, the error schema and the approvers' bearer
/// token. The paths come from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "CertDesk API",
        description = "Submit CSRs, follow them, and approve or deny them with the approver's own Kubernetes token. Every error body is an ApiError."
    ),
    components(schemas(ApiError, shared::ErrorCode)),
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

/// What any route may answer besides its own outcomes.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ServerErrors {
    /// CertDesk or the API server answers as many requests as it allows at once
    /// (`overloaded`), or this client made too many (`rate_limited`); `Retry-After`
    #[response(status = 429)]
    Busy(ApiError),
    /// The cluster is unreachable (`cluster_unreachable`)
    #[response(status = 503)]
    Unavailable(ApiError),
    /// The answer took longer than CertDesk allows a request (`timeout`)
    #[response(status = 504)]
    Timeout(ApiError),
}

/// What any approver route may answer besides its own outcomes.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum AdminErrors {
    /// Malformed body or bad input
    #[response(status = 400)]
    BadRequest(ApiError),
    /// No token (`token_missing`), or the cluster did not accept it (`token_invalid`)
    #[response(status = 401)]
    Unauthorized(ApiError),
    /// The API server refused the approver (its own message)
    #[response(status = 403)]
    Forbidden(ApiError),
    /// Too many failed sign-ins from this client (`rate_limited`), or CertDesk or the
    /// API server is full (`overloaded`); `Retry-After`
    #[response(status = 429)]
    Busy(ApiError),
    /// The cluster is unreachable (`cluster_unreachable`)
    #[response(status = 503)]
    Unavailable(ApiError),
    /// The answer took longer than CertDesk allows a request (`timeout`)
    #[response(status = 504)]
    Timeout(ApiError),
}

/// The route serving the document; the document itself is added as an extension once
/// every route is registered ([`super::router`]).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "requester",
    responses(ServerErrors, (status = 200, description = "The OpenAPI 3 document", content_type = "application/json")))]
async fn openapi_json(
    Extension(document): Extension<Arc<utoipa::openapi::OpenApi>>,
) -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(document.as_ref().clone())
}
