//! Submissions the backend refuses before it reaches the cluster: malformed bodies,
//! oversized bodies, CSRs that do not verify or break the policy, and floods.

use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::helpers::{TestApp, TokenKubeconfig, openssl_csr, violation_codes};

fn body(csr_pem: &str, seconds: u32) -> serde_json::Value {
    serde_json::json!({ "csr_pem": csr_pem, "expiration_seconds": seconds })
}

/// Returns the violation codes of a policy_violation answer.
#[tokio::test]
async fn malformed_json_is_a_400_with_the_error_shape() {
    let app = TestApp::spawn(&[]).await;
    let request = Request::post("/api/v1/requests")
        .header("content-type", "application/json")
        .body(Body::from("{\"csr_pem\": "))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.json()["code"], "bad_request");
    assert!(!response.json()["message"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_fields_are_a_400() {
    let app = TestApp::spawn(&[]).await;
    let body =
        serde_json::json!({ "csr_pem": "x", "expiration_seconds": 3600, "private_key": "no" });
    let response = app.post_json("/api/v1/requests", &body, None).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.json()["code"], "bad_request");
}

#[tokio::test]
async fn a_non_json_body_is_a_415() {
    let app = TestApp::spawn(&[]).await;
    let request = Request::post("/api/v1/requests")
        .header("content-type", "text/plain")
        .body(Body::from("hi"))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(response.json()["code"], "unsupported_media_type");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let app = TestApp::spawn(&[]).await;
    let response = app
        .post_json(
            "/api/v1/requests",
            &body(&"A".repeat(20 * 1024), 3600),
            None,
        )
        .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.json()["code"], "payload_too_large");
}

#[tokio::test]
async fn garbage_pem_is_csr_invalid() {
    let app = TestApp::spawn(&[]).await;
    let response = app
        .post_json("/api/v1/requests", &body("not a csr", 3600), None)
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json()["code"], "csr_invalid");
}

#[tokio::test]
async fn a_tampered_signature_is_csr_signature_invalid() {
    use base64::Engine;
    let pem = openssl_csr("/CN=tampered", "ec", &[]);
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let tampered = format!(
        "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
        base64::engine::general_purpose::STANDARD.encode(der)
    );
    let app = TestApp::spawn(&[]).await;
    let response = app
        .post_json("/api/v1/requests", &body(&tampered, 3600), None)
        .await;
    assert_eq!(
        response.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        response.text()
    );
    assert_eq!(response.json()["code"], "csr_signature_invalid");
}

#[tokio::test]
async fn each_policy_violation_is_a_422_naming_its_code() {
    let app = TestApp::spawn(&[]).await;
    let groups: String = (0..11).map(|i| format!("/O=team{i}")).collect();
    let cases = [
        (
            openssl_csr("/CN=mallory/O=system:masters", "ec", &[]),
            "group_system",
        ),
        (
            openssl_csr("/CN=system:admin", "ec", &[]),
            "username_system_prefix",
        ),
        (
            openssl_csr(&format!("/CN=many{groups}"), "ec", &[]),
            "too_many_groups",
        ),
        (openssl_csr("/CN=small", "rsa:1024", &[]), "key_too_weak"),
        (
            openssl_csr(
                "/CN=ca",
                "ec",
                &["-addext", "basicConstraints=critical,CA:TRUE"],
            ),
            "extension_not_allowed",
        ),
    ];
    for (pem, code) in cases {
        let response = app
            .post_json("/api/v1/requests", &body(&pem, 3600), None)
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{code}: {}",
            response.text()
        );
        let json = response.json();
        assert_eq!(json["code"], "policy_violation", "{code}");
        assert!(
            violation_codes(&json).iter().any(|c| c == code),
            "{code}: {json}"
        );
    }
}

#[tokio::test]
async fn a_lifetime_outside_the_limits_is_a_policy_violation() {
    let app = TestApp::spawn(&[]).await;
    let pem = openssl_csr("/CN=minjun", "ec", &[]);
    for (seconds, code) in [
        (60, "duration_too_short"),
        (400 * 24 * 3600, "duration_too_long"),
    ] {
        let response = app
            .post_json("/api/v1/requests", &body(&pem, seconds), None)
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{seconds}"
        );
        assert_eq!(violation_codes(&response.json()), [code], "{seconds}");
    }
}

#[tokio::test]
async fn a_valid_request_without_a_cluster_is_a_503_and_floods_get_429_with_retry_after() {
    let app = TestApp::spawn(&["--submit-burst", "1", "--submit-per-minute", "1"]).await;
    let pem = openssl_csr("/CN=minjun", "ec", &[]);
    let first = app
        .post_json("/api/v1/requests", &body(&pem, 3600), None)
        .await;
    assert_eq!(
        first.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        first.text()
    );
    assert_eq!(first.json()["code"], "cluster_unreachable");
    let request = Request::post("/api/v1/requests")
        .header("content-type", "application/json")
        .body(Body::from(body(&pem, 3600).to_string()))
        .unwrap();
    let response = app.router().oneshot_raw(request).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
}

#[tokio::test]
async fn responses_carry_the_security_headers() {
    let app = TestApp::spawn(&[]).await;
    let response = app
        .router()
        .oneshot_raw(Request::get("/").body(Body::empty()).unwrap())
        .await;
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'")
            && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
}

#[tokio::test]
async fn metrics_are_exposed_in_the_prometheus_format() {
    let app = TestApp::spawn(&[]).await;
    app.get("/healthz").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status, StatusCode::OK);
    let text = response.text();
    assert!(text.contains("certdesk_submissions_total"), "{text}");
    assert!(
        text.contains("certdesk_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("route=\"/healthz\""), "{text}");
}

#[tokio::test]
async fn an_unreachable_api_server_is_a_503_cluster_unreachable() {
    // A port nothing listens on: connections are refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kubeconfig = TokenKubeconfig::new(&format!("https://127.0.0.1:{port}"));
    let app = TestApp::spawn(&["--kubeconfig", kubeconfig.path()]).await;
    let pem = openssl_csr("/CN=minjun", "ec", &[]);
    let submit = app
        .post_json("/api/v1/requests", &body(&pem, 3600), None)
        .await;
    assert_eq!(
        submit.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        submit.text()
    );
    assert_eq!(submit.json()["code"], "cluster_unreachable");
    let status = app
        .get("/api/v1/requests/certdesk-minjun-aaaaaaaaaaaaaaaa")
        .await;
    assert_eq!(
        status.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        status.text()
    );
    let whoami = app
        .get_with_token("/api/v1/admin/whoami", "some-token")
        .await;
    assert_eq!(
        whoami.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        whoami.text()
    );
    assert_eq!(
        app.get("/readyz").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}
