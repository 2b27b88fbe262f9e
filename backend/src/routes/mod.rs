//! The HTTP routes, one module a resource, merged into one router.

pub mod admin;
pub mod admin_list;
pub mod admin_notifications;
pub mod assets;
pub mod config;
pub mod health;
pub mod invites;
pub mod openapi;
pub mod renewals;
pub mod requests;

use std::sync::Arc;

use axum::extract::MatchedPath;
use axum::http::{Request, header};
use axum::{Extension, Router};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::Error;

/// Builds the router: `/healthz`, `/readyz`, `/metrics`, the API under `/api/v1`, and
/// the static app with a fallback to `index.html` for the app's own routes; every
/// response carries the security headers.
pub fn router(state: AppState) -> Router {
    let static_dir = state.settings.serve.static_dir.clone();
    let index_html = assets::index_pages(&static_dir);
    // The page may call the OIDC issuer and the peers' CertDesks, and nothing else.
    let connect: Vec<String> = state
        .settings
        .oidc
        .iter()
        .flat_map(|o| o.connect_origins.iter().cloned())
        .chain(state.settings.peers.iter().map(|p| p.url.clone()))
        .collect();
    let whole_form_first = !state.settings.peers.is_empty();
    let spa = assets::service(&static_dir, whole_form_first)
        .layer(axum::middleware::from_fn(assets::cache_control));
    // The routes a peer's page calls (CORS for exactly the peers' origins): the
    // configuration, requests and their status, and the approvers' routes. Invites and
    // renewals stay this install's own.
    let peers = peer_cors(&state.settings.peers);
    let api = OpenApiRouter::new()
        .merge(config::router().layer(peers.clone()))
        .merge(openapi::router())
        .merge(requests::router(state.clone()).layer(peers.clone()))
        .merge(renewals::router(state.clone()))
        .merge(invites::router(state.clone()))
        .nest(
            "/admin",
            // CORS outermost: a refusal the layers inside make (401 explained, 429)
            // reaches a peer's page as a refusal, not as a network failure.
            admin::router()
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    admin::explain_refusals,
                ))
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    crate::limits::sign_in,
                ))
                .layer(peers),
        )
        .fallback(|| async { Error::client(shared::ErrorCode::NotFound, "No such API endpoint.") })
        // API answers are about one person's request or an approver's view: no cache
        // (browser, proxy or CDN) may keep them.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        ));
    let (api, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest("/api/v1", api)
        .split_for_parts();
    let api = api.layer(Extension(Arc::new(document)));
    // Probes and metrics stay outside the in-flight bound and the deadline: a kubelet
    // must not restart a replica because it is busy.
    let served = api
        .fallback_service(spa)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::limits::in_flight,
        ));
    let mut router = Router::new()
        .merge(health::router(
            state.settings.serve.metrics_listen.is_none(),
        ))
        .merge(served)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .with_state(state)
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let matched = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map(MatchedPath::as_str)
                    .unwrap_or("static");
                // The method and route alone: no headers (the approver's token) and no query.
                tracing::info_span!("http", method = %request.method(), matched_path = matched)
            }),
        );
    for (name, value) in crate::security::headers() {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    // The app's policy on pages and scripts, a short one allowing nothing elsewhere.
    let app_policy = crate::security::app_policy(&index_html, &connect);
    let subresource_policy = header::HeaderValue::from_static(crate::security::SUBRESOURCE_POLICY);
    router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        move |response: &axum::response::Response| {
            Some(
                if crate::security::needs_app_policy(response.headers().get(header::CONTENT_TYPE)) {
                    app_policy.clone()
                } else {
                    subresource_policy.clone()
                },
            )
        },
    ));
    // Outermost: any layer or dependency that prints request headers sees it redacted.
    router.layer(SetSensitiveRequestHeadersLayer::new([
        header::AUTHORIZATION,
        header::COOKIE,
    ]))
}

/// CORS for the peers' origins only: no credentials (the approver's token travels in
/// `Authorization`, never a cookie), the methods and headers the pages use, preflights
/// cached for 10 minutes. Without peers it answers no origin at all.
fn peer_cors(peers: &[shared::Peer]) -> tower_http::cors::CorsLayer {
    use axum::http::Method;
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origins: Vec<header::HeaderValue> = peers
        .iter()
        .filter_map(|p| header::HeaderValue::from_str(&p.url).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(600))
}
