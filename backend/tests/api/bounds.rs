//! What a stranger can make the server keep or spend: metric series from invented
//! methods and paths, cached API answers, API-server calls for ids CertDesk never made.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};

use crate::helpers::TestApp;

#[tokio::test]
async fn invented_methods_and_paths_add_no_metric_series() {
    let app = TestApp::spawn(&[]).await;
    let send = |method: Method, path: String| {
        let router = app.router();
        async move {
            let request = Request::builder()
                .method(method)
                .uri(path)
                .body(Body::empty())
                .expect("request");
            router.oneshot_raw(request).await.status()
        }
    };
    // One of each kind first, so every series that can exist does.
    send(
        Method::from_bytes(b"FOO0").unwrap(),
        "/api/v1/nope-0".into(),
    )
    .await;
    send(Method::GET, "/some/static/path-0".into()).await;
    app.get("/metrics").await;
    let before = app.get("/metrics").await.text();
    for i in 1..=2000 {
        let method = Method::from_bytes(format!("FOO{i}").as_bytes()).unwrap();
        send(method, format!("/api/v1/nope-{i}")).await;
        send(Method::GET, format!("/some/static/path-{i}")).await;
    }
    let after = app.get("/metrics").await.text();
    let series = |text: &str| text.lines().filter(|l| l.contains("_count{")).count();
    assert_eq!(
        series(&before),
        series(&after),
        "new series appeared:\n{after}"
    );
    assert!(!after.contains("FOO"), "a made-up method became a label");
    assert!(!after.contains("nope-"), "a raw path became a label");
    assert!(after.contains("method=\"other\""), "{after}");
    assert!(after.contains("route=\"unmatched\""), "{after}");
}

#[tokio::test]
async fn api_answers_are_never_cached() {
    let app = TestApp::spawn(&[]).await;
    for path in [
        "/api/v1/config",
        "/api/v1/requests/certdesk-nobody-x",
        "/api/v1/nope",
    ] {
        let request = Request::get(path).body(Body::empty()).expect("request");
        let response = app.router().oneshot_raw(request).await;
        assert_eq!(
            response
                .headers()
                .get(header::CACHE_CONTROL)
                .map(|v| v.as_bytes()),
            Some(&b"no-store"[..]),
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_id_certdesk_never_makes_is_not_found_before_the_cluster_is_asked() {
    // No cluster at all: anything that asked it would answer 503 cluster_unreachable.
    let app = TestApp::spawn(&[]).await;
    for id in [
        "certdesk-..%2F..%2Fnamespaces",
        "certdesk-",
        "certdesk-UPPER",
        "certdesk-a%20b",
        "kube-apiserver-client-x",
        &format!("certdesk-{}", "a".repeat(260)),
    ] {
        for suffix in ["", "/events"] {
            let response = app.get(&format!("/api/v1/requests/{id}{suffix}")).await;
            assert_eq!(
                response.status,
                StatusCode::NOT_FOUND,
                "{id}{suffix}: {}",
                response.text()
            );
            assert_eq!(response.json()["code"], "not_found");
        }
    }
    // A well-formed id does reach for the cluster (and finds none here).
    let response = app.get("/api/v1/requests/certdesk-minjun-abc123").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn event_streams_are_capped_per_client_and_in_all_and_places_come_back() {
    let cluster = e2e::cluster::ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"));
    let app = TestApp::on_cluster(
        &cluster,
        &[
            "--max-event-streams",
            "3",
            "--max-event-streams-per-client",
            "2",
        ],
    )
    .await;
    let pem = crate::helpers::openssl_csr(
        &format!("/CN={}", crate::helpers::unique("streamer")),
        "ec",
        &[],
    );
    let id = app.submit(&pem, 3600).await;
    let uri = format!("/api/v1/requests/{id}/events");
    let open = |peer: &str| {
        let router = app.router();
        let peer: std::net::SocketAddr = format!("{peer}:40000").parse().expect("address");
        let uri = uri.clone();
        async move {
            let mut request = Request::get(uri).body(Body::empty()).expect("request");
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            router.oneshot_raw(request).await
        }
    };
    let first = open("10.1.0.1").await;
    let second = open("10.1.0.1").await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    let refused = open("10.1.0.1").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    let third = open("10.1.0.2").await;
    assert_eq!(third.status(), StatusCode::OK);
    assert_eq!(
        open("10.1.0.3").await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the server's cap"
    );
    // A client that goes away gives its place back.
    drop(first);
    assert_eq!(open("10.1.0.3").await.status(), StatusCode::OK);
    drop((second, third));
}

/// Sends `request` as if it arrived from `peer` (what the server's socket records).
async fn from_peer(
    app: &TestApp,
    peer: &str,
    mut request: Request<Body>,
) -> axum::response::Response {
    let peer: std::net::SocketAddr = peer.parse().expect("address");
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    app.router().oneshot_raw(request).await
}

fn submission(pem: &str, forwarded_for: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/api/v1/requests").header("content-type", "application/json");
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    let body = serde_json::json!({ "csr_pem": pem, "expiration_seconds": 3600 });
    request.body(Body::from(body.to_string())).expect("request")
}

#[tokio::test]
async fn clients_are_told_apart_behind_trusted_proxies_and_nowhere_else() {
    // No cluster: an accepted submission is 503, a limited one 429.
    let app = TestApp::spawn(&[
        "--trusted-proxies",
        "10.0.0.0/8",
        "--submit-burst",
        "1",
        "--submit-per-minute",
        "1",
    ])
    .await;
    let pem = crate::helpers::openssl_csr("/CN=minjun", "ec", &[]);
    let status = |response: axum::response::Response| response.status();
    let proxy = "10.0.0.5:443";
    assert_eq!(
        status(from_peer(&app, proxy, submission(&pem, Some("198.51.100.1"))).await),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        status(from_peer(&app, proxy, submission(&pem, Some("198.51.100.1"))).await),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        status(from_peer(&app, proxy, submission(&pem, Some("198.51.100.2"))).await),
        StatusCode::SERVICE_UNAVAILABLE,
        "another client behind the same proxy"
    );
    // A peer that is not a trusted proxy is itself the client, whatever it claims.
    let stranger = "203.0.113.5:5000";
    assert_eq!(
        status(from_peer(&app, stranger, submission(&pem, Some("198.51.100.3"))).await),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        status(from_peer(&app, stranger, submission(&pem, Some("198.51.100.4"))).await),
        StatusCode::TOO_MANY_REQUESTS
    );
    // An IPv6 client is its /64.
    assert_eq!(
        status(from_peer(&app, "[2001:db8:5:6::1]:5000", submission(&pem, None)).await),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        status(from_peer(&app, "[2001:db8:5:6::ffff]:5000", submission(&pem, None)).await),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn status_reads_and_invite_links_are_rate_limited_per_client_too() {
    let app = TestApp::spawn(&["--read-burst", "2", "--read-per-minute", "1"]).await;
    let get = |path: &str| Request::get(path).body(Body::empty()).expect("request");
    let open = || {
        Request::post("/api/v1/invites/open")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"token":"invite-x.y"}"#))
            .expect("request")
    };
    let peer = "203.0.113.9:5000";
    for _ in 0..2 {
        let answer = from_peer(&app, peer, get("/api/v1/requests/certdesk-minjun-abc")).await;
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    let limited = from_peer(&app, peer, get("/api/v1/requests/certdesk-minjun-abc")).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        from_peer(
            &app,
            peer,
            get("/api/v1/requests/certdesk-minjun-abc/events")
        )
        .await
        .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        from_peer(&app, peer, open()).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client is not held back by the first.
    assert_eq!(
        from_peer(&app, "203.0.113.10:5000", open()).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}
