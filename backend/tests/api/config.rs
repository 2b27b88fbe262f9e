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

const PEERS: &str = r#"[{"name":"staging","url":"https://certdesk.staging.example.com","order":2},{"name":"prod","url":"https://certdesk.prod.example.com","order":1,"default":true}]"#;

fn with_origin(method: &str, uri: &str, origin: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .body(axum::body::Body::empty())
        .expect("request")
}

#[tokio::test]
async fn config_names_the_peers_in_their_order() {
    let app = TestApp::spawn(&["--cluster-name", "dev", "--peers", PEERS]).await;
    let config: shared::PortalConfig =
        serde_json::from_slice(&app.get("/api/v1/config").await.body).unwrap();
    let names: Vec<&str> = config.peers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["prod", "staging"]);
    assert!(config.peers[0].default && !config.peers[1].default);
    // Alone: no peers in the configuration, and no origin allowed.
    let alone = TestApp::spawn(&[]).await;
    assert!(
        alone
            .get("/api/v1/config")
            .await
            .json()
            .get("peers")
            .is_none()
    );
    let answer = alone
        .send(with_origin(
            "GET",
            "/api/v1/config",
            "https://certdesk.prod.example.com",
        ))
        .await;
    assert!(answer.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn only_a_peers_origin_may_read_the_routes_a_peer_needs_and_never_with_credentials() {
    let app = TestApp::spawn(&["--cluster-name", "dev", "--peers", PEERS]).await;
    let peer = "https://certdesk.prod.example.com";
    for uri in [
        "/api/v1/config",
        "/api/v1/admin/requests",
        "/api/v1/requests",
    ] {
        // The preflight: exact origin, the pages' methods and headers, cached 10 minutes.
        let preflight = app.send(with_origin("OPTIONS", uri, peer)).await;
        let h = &preflight.headers;
        assert_eq!(
            h.get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap()),
            Some(peer),
            "{uri}"
        );
        assert_eq!(
            h.get("access-control-max-age").map(|v| v.to_str().unwrap()),
            Some("600"),
            "{uri}"
        );
        let headers = h
            .get("access-control-allow-headers")
            .unwrap()
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            headers.contains("authorization") && headers.contains("content-type"),
            "{uri}: {headers}"
        );
        assert!(h.get("access-control-allow-credentials").is_none(), "{uri}");
        // Another origin, a look-alike and a null origin get no CORS headers at all.
        for stranger in [
            "https://evil.example.com",
            "https://certdesk.prod.example.com.evil.example",
            "null",
            "http://certdesk.prod.example.com",
        ] {
            let answer = app.send(with_origin("OPTIONS", uri, stranger)).await;
            assert!(
                answer.headers.get("access-control-allow-origin").is_none(),
                "{uri} {stranger}"
            );
        }
    }
    let answer = app.send(with_origin("GET", "/api/v1/config", peer)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer
            .headers
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap()),
        Some(peer)
    );
    assert!(answer.headers.get("vary").is_some());
    // Invites and renewals stay this install's own.
    let answer = app
        .send(with_origin("OPTIONS", "/api/v1/renewals/challenge", peer))
        .await;
    assert!(answer.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn peers_that_make_no_sense_stop_the_backend_naming_the_peer() {
    use clap::Parser as _;
    for (peers, named) in [
        (r#"[{"name":"Prod","url":"https://p.example"}]"#, "Prod"),
        (r#"[{"name":"p","url":"http://p.example"}]"#, "p's url"),
        (
            r#"[{"name":"dev","url":"https://p.example"}]"#,
            "own --cluster-name",
        ),
        ("not json", "CERTDESK_PEERS"),
    ] {
        let config = backend::config::Config::try_parse_from([
            "certdesk",
            "--cluster-name",
            "dev",
            "--peers",
            peers,
        ])
        .unwrap();
        let error = config.peers.validate("dev").unwrap_err().to_string();
        assert!(error.contains(named), "{peers}: {error}");
    }
}
