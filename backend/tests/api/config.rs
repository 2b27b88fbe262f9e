//! Routing: the config endpoint, health, static files and the SPA fallback.

use axum::http::StatusCode;

use crate::helpers::{INDEX_HTML, TestApp, TokenKubeconfig};

#[tokio::test]
async fn config_reports_the_configured_cluster() {
    let app = TestApp::spawn(&[
        "--cluster-name",
        "prod-eu",
        "--public-server-url",
        "https://k8s.example:6443",
    ])
    .await;
    let response = app.get("/api/v1/config").await;
    assert_eq!(response.status, StatusCode::OK);
    let config: shared::PortalConfig = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(config.cluster_name, "prod-eu");
    assert_eq!(config.server_url, "https://k8s.example:6443");
    assert_eq!(config.key_algorithms[0], shared::KeyAlgorithm::EcdsaP256);
}

#[tokio::test]
async fn config_takes_the_server_and_ca_from_the_kubeconfig() {
    let kubeconfig = TokenKubeconfig::new("https://10.1.2.3:6443");
    let app = TestApp::spawn(&["--kubeconfig", kubeconfig.path()]).await;
    let config: shared::PortalConfig =
        serde_json::from_slice(&app.get("/api/v1/config").await.body).unwrap();
    assert_eq!(config.server_url, "https://10.1.2.3:6443");
    assert_eq!(config.ca_bundle_pem, kubeconfig.ca_pem);
    // Nothing answers at 10.1.2.3, so the backend is not ready.
    assert_eq!(
        app.get("/readyz").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn healthz_answers_ok() {
    let response = TestApp::spawn(&[]).await.get("/healthz").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.text(), "ok");
}

#[tokio::test]
async fn app_routes_fall_back_to_index_html() {
    let app = TestApp::spawn(&[]).await;
    for path in ["/", "/requests/certdesk-minjun-x", "/admin"] {
        let response = app.get(path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_eq!(response.text(), INDEX_HTML, "{path}");
    }
    let js = app.get("/app.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(
        js.content_type.contains("javascript"),
        "{}",
        js.content_type
    );
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_404_not_the_app() {
    let response = TestApp::spawn(&[]).await.get("/api/v1/nope").await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json()["code"], "not_found");
}
