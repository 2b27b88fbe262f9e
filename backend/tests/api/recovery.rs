//! The cluster going away and coming back: 503 `cluster_unreachable` while it is away,
//! and service again when it returns, without restarting the backend.

use axum::http::StatusCode;
use e2e::cluster::ControlPlane;

use crate::helpers::{TestApp, cluster_script, openssl_csr, unique};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs cluster (starts a control plane of its own, to stop its API server)"]
async fn a_stopped_api_server_is_503_cluster_unreachable_and_service_resumes_when_it_returns() {
    let cluster = tokio::task::spawn_blocking(ControlPlane::start)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e:#}"));
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let token = cluster.approver_token().unwrap();
    let csr = |name: &str| openssl_csr(&format!("/CN={}", unique(name)), "ec", &[]);
    let before = app.submit(&csr("before"), 3600).await;

    tokio::task::block_in_place(|| cluster_script(&cluster, "stop-apiserver"));

    let body = serde_json::json!({ "csr_pem": csr("during"), "expiration_seconds": 3600 });
    let submit = app.post_json("/api/v1/requests", &body, None).await;
    submit.assert_error(StatusCode::SERVICE_UNAVAILABLE, "cluster_unreachable");
    let whoami = app.get_with_token("/api/v1/admin/whoami", &token).await;
    whoami.assert_error(StatusCode::SERVICE_UNAVAILABLE, "cluster_unreachable");
    assert!(
        app.wait_for("/readyz", StatusCode::SERVICE_UNAVAILABLE, 30)
            .await,
        "/readyz never reported the cluster away"
    );
    // What the watch cache holds is still served.
    let cached = app.get(&format!("/api/v1/requests/{before}")).await;
    cached.assert_status(StatusCode::OK);
    assert_eq!(cached.json()["phase"], "Pending");

    tokio::task::block_in_place(|| cluster_script(&cluster, "start-apiserver"));

    assert!(
        app.wait_for("/readyz", StatusCode::OK, 60).await,
        "/readyz did not recover"
    );
    let after = app.submit(&csr("after"), 3600).await;
    // The watch resumed: the approvers' list (served only from the cache) shows it.
    let listed = app
        .wait_listed(&token, |r| r["name"] == after.as_str())
        .await;
    assert!(
        listed.is_some(),
        "the watch cache did not resume after the API server returned"
    );
    cluster.stop().unwrap();
}
