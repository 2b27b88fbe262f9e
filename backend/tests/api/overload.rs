//! What failed sign-ins, slow clients and many requests at once can make the server and
//! the API server spend: a junk token costs one API-server call and, repeated, none; the
//! requests in flight are bounded; a request has a deadline.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use e2e::cluster::ControlPlane;

use crate::helpers::TestApp;

/// The API server's own count of requests whose credentials it could not authenticate.
fn failed_authentications(cluster: &ControlPlane) -> u64 {
    let metrics = cluster
        .admin_kubectl_ok(&["get", "--raw", "/metrics"])
        .unwrap_or_else(|e| panic!("{e:#}"));
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("authentication_attempts{result=\"error\"} "))
        .map_or(0, |value| value.trim().parse().expect("a count"))
}

fn whoami_from(peer: &str, token: &str) -> Request<Body> {
    let peer: std::net::SocketAddr = peer.parse().expect("address");
    let mut request = Request::get("/api/v1/admin/whoami")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    request
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_junk_token_costs_one_api_call_and_repeated_failures_cost_none() {
    // A control plane of this test's own: no other test's junk tokens in its counts.
    let cluster = ControlPlane::start().unwrap_or_else(|e| panic!("{e:#}"));
    let app = TestApp::on_cluster(
        &cluster,
        &[
            "--sign-in-failures-burst",
            "3",
            "--sign-in-failures-per-minute",
            "1",
        ],
    )
    .await;
    let attacker = "203.0.113.7:4000";
    // Three failures in a burst are let through; the fourth locks the client out.
    for attempt in 1..=4 {
        let before = failed_authentications(&cluster);
        let answer = app
            .router()
            .oneshot_raw(whoami_from(attacker, &format!("junk-{attempt}")))
            .await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            failed_authentications(&cluster) - before,
            1,
            "attempt {attempt}: a junk token costs exactly one API-server call"
        );
    }
    let before = failed_authentications(&cluster);
    let locked = app
        .router()
        .oneshot_raw(whoami_from(attacker, "junk-5"))
        .await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        failed_authentications(&cluster),
        before,
        "a locked-out client costs the API server nothing"
    );
    // Another client, with a real token, is not held back.
    let token = cluster.approver_token().unwrap_or_else(|e| panic!("{e:#}"));
    let approver = app
        .router()
        .oneshot_raw(whoami_from("198.51.100.20:4000", &token))
        .await;
    assert_eq!(approver.status(), StatusCode::OK);
}

/// A submission whose body never arrives: its handler waits for as long as it is let.
fn stalled_submission() -> Request<Body> {
    let never = futures::stream::pending::<Result<Bytes, std::io::Error>>();
    Request::post("/api/v1/requests")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(never))
        .expect("request")
}

#[tokio::test]
async fn requests_in_flight_are_bounded_and_each_has_a_deadline() {
    let app = TestApp::spawn(&["--max-in-flight", "1", "--request-timeout-seconds", "1"]).await;
    let stalled = tokio::spawn(app.router().oneshot_raw(stalled_submission()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = app.get("/api/v1/config").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.json()["code"], "overloaded");
    let answer = tokio::time::timeout(Duration::from_secs(5), stalled)
        .await
        .expect("the deadline ended the stalled request")
        .expect("task");
    assert_eq!(answer.status(), StatusCode::GATEWAY_TIMEOUT);
    // Its place came back; probes were never counted.
    assert_eq!(app.get("/api/v1/config").await.status, StatusCode::OK);
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn probes_answer_while_the_server_is_full() {
    let app = TestApp::spawn(&["--max-in-flight", "1", "--request-timeout-seconds", "30"]).await;
    let stalled = tokio::spawn(app.router().oneshot_raw(stalled_submission()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        app.get("/api/v1/config").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    stalled.abort();
}

/// Reads from `stream` until the server closes it; returns how long that took.
fn closed_within(stream: &mut std::net::TcpStream, limit: Duration) -> Option<Duration> {
    use std::io::Read;
    stream.set_read_timeout(Some(limit)).expect("timeout");
    let start = std::time::Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) if start.elapsed() < limit => return Some(start.elapsed()),
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

#[test]
#[ignore = "needs cluster"]
fn slow_headers_and_idle_connections_are_closed() {
    use std::io::Write;
    let cluster = ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"));
    let server =
        crate::helpers::Server::start(&cluster, "warn", &["--header-read-timeout-seconds", "1"]);
    let address = server.url.trim_start_matches("http://").to_owned();
    // Headers fed a byte at a time, never finished (slowloris).
    let mut slow = std::net::TcpStream::connect(&address).expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .expect("write");
    assert!(
        closed_within(&mut slow, Duration::from_secs(5)).is_some(),
        "a connection that never finishes its headers is closed"
    );
    // A keep-alive connection that answered once and then says nothing.
    let mut idle = std::net::TcpStream::connect(&address).expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    let took = closed_within(&mut idle, Duration::from_secs(5))
        .expect("an idle keep-alive connection is closed");
    assert!(
        took >= Duration::from_millis(900),
        "closed too early: {took:?}"
    );
}
