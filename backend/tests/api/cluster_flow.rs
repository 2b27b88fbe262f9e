//! The whole flow against the real local control plane: submit, follow, approve, deny,
//! refusals by RBAC, garbage collection, and tokens kept out of the logs.

use axum::http::StatusCode;
use e2e::cluster::ControlPlane;
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use shared::Phase;

use crate::helpers::{Server, TestApp, openssl_csr, unique};

const HOUR: u32 = 3600;

fn cluster() -> ControlPlane {
    ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"))
}

async fn csr_object(cluster: &ControlPlane, name: &str) -> CertificateSigningRequest {
    Api::<CertificateSigningRequest>::all(cluster.admin_client().await.unwrap())
        .get(name)
        .await
        .unwrap()
}

fn phase_of(csr: &CertificateSigningRequest) -> Phase {
    backend::cluster::standing::phase(csr)
}

/// Returns the bearer token in the backend's kubeconfig (written by kubectl).
fn backend_token(cluster: &ControlPlane) -> String {
    let text = std::fs::read_to_string(cluster.backend_kubeconfig()).unwrap();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("token: "))
        .expect("a token in the kubeconfig")
        .trim()
        .to_owned()
}

/// Creates a ServiceAccount with no roles at all and returns a token for it.
async fn powerless_token(cluster: &ControlPlane) -> String {
    let admin = cluster.admin_client().await.unwrap();
    let name = unique("powerless");
    let accounts = Api::<ServiceAccount>::namespaced(admin, "certdesk");
    let account: ServiceAccount =
        serde_json::from_value(serde_json::json!({ "metadata": { "name": name } })).unwrap();
    accounts
        .create(&PostParams::default(), &account)
        .await
        .unwrap();
    let request = serde_json::json!({ "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": { "expirationSeconds": 3600 } });
    let answer: serde_json::Value = accounts
        .create_subresource("token", &name, &PostParams::default(), &request)
        .await
        .unwrap();
    answer["status"]["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_submission_becomes_exactly_the_specified_csr_and_approval_streams_to_issued() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let username = unique("minjun");
    let id = app
        .submit(
            &openssl_csr(&format!("/CN={username}/O=dev-team"), "ec", &[]),
            HOUR,
        )
        .await;
    assert!(id.starts_with(&format!("certdesk-{username}-")), "{id}");

    let csr = csr_object(&cluster, &id).await;
    assert_eq!(csr.spec.signer_name, "kubernetes.io/kube-apiserver-client");
    assert_eq!(
        csr.spec.usages.as_deref().unwrap(),
        ["digital signature", "client auth"]
    );
    assert_eq!(csr.spec.expiration_seconds, Some(3600));
    assert_eq!(
        csr.spec.username.as_deref(),
        Some("system:serviceaccount:certdesk:certdesk")
    );
    let labels = csr.metadata.labels.clone().unwrap();
    assert_eq!(
        labels
            .get("app.kubernetes.io/managed-by")
            .map(String::as_str),
        Some("certdesk")
    );
    let annotations = csr.metadata.annotations.clone().unwrap();
    assert_eq!(annotations["certdesk.dev/note"], "for the tests");
    assert_eq!(annotations["certdesk.dev/user-agent"], "certdesk-tests/1");
    assert_eq!(phase_of(&csr), Phase::Pending);

    let mut stream = app.events(&id).await;
    assert_eq!(stream.next_status().await.unwrap().phase, Phase::Pending);

    let token = cluster.approver_token().unwrap();
    let approve = app
        .approve(&id, &serde_json::json!({ "message": "welcome" }), &token)
        .await;
    approve.assert_status(StatusCode::OK);
    assert_eq!(approve.json()["complete"], true);

    let mut phases = Vec::new();
    let issued = loop {
        let status = stream
            .next_status()
            .await
            .expect("the stream ends only after a final phase");
        phases.push(status.phase);
        if status.phase.is_final() {
            break status;
        }
    };
    assert_eq!(phases, [Phase::Approved, Phase::Issued]);
    assert_eq!(issued.reason.as_deref(), Some("CertDeskApprove"));
    assert!(
        issued
            .message
            .as_deref()
            .unwrap()
            .contains("system:serviceaccount:certdesk:certdesk-approver"),
        "{issued:?}"
    );
    assert!(
        stream.next_status().await.is_none(),
        "the stream closes after Issued"
    );

    let pem = issued.certificate_pem.unwrap();
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    let cert = block.parse_x509().unwrap();
    let cn: Vec<_> = cert
        .subject()
        .iter_common_name()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    let o: Vec<_> = cert
        .subject()
        .iter_organization()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(cn, [username]);
    assert_eq!(o, ["dev-team"]);
    let not_after = cert.validity().not_after.to_datetime();
    assert_eq!(issued.not_after, Some(not_after));
    let lifetime = not_after - time::OffsetDateTime::now_utc();
    assert!(
        lifetime <= time::Duration::seconds(3600 + 60)
            && lifetime >= time::Duration::seconds(3600 - 300),
        "{lifetime}"
    );

    let status = app.get(&format!("/api/v1/requests/{id}")).await.json();
    assert_eq!(status["phase"], "Issued");
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn approving_without_approval_rights_is_the_api_servers_403_and_the_csr_stays_pending() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let id = app
        .submit(
            &openssl_csr(&format!("/CN={}", unique("norights")), "ec", &[]),
            HOUR,
        )
        .await;
    for token in [backend_token(&cluster), powerless_token(&cluster).await] {
        let response = app.approve(&id, &serde_json::json!({}), &token).await;
        let json = response.assert_error(StatusCode::FORBIDDEN, "forbidden");
        // The API server's own wording, naming the identity it refused.
        let message = json["message"].as_str().unwrap();
        assert!(
            message.contains("is forbidden") && message.contains("system:serviceaccount:certdesk:"),
            "{message}"
        );
        assert_eq!(phase_of(&csr_object(&cluster, &id).await), Phase::Pending);
    }
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn an_escalating_grant_is_refused_in_the_dry_run_and_the_csr_stays_pending() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let username = unique("escalate");
    let id = app
        .submit(&openssl_csr(&format!("/CN={username}"), "ec", &[]), HOUR)
        .await;
    let body =
        serde_json::json!({ "grants": [{ "kind": "ClusterRole", "name": "cluster-admin" }] });
    let token = cluster.approver_token().unwrap();
    let response = app.approve(&id, &body, &token).await;
    response.assert_status(StatusCode::FORBIDDEN);
    let message = response.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("escalat"), "{message}");
    assert_eq!(phase_of(&csr_object(&cluster, &id).await), Phase::Pending);
    let bindings = Api::<ClusterRoleBinding>::all(cluster.admin_client().await.unwrap());
    let name = backend::cluster::approver::binding_name(&username, "cluster-admin");
    assert!(bindings.get_opt(&name).await.unwrap().is_none());
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_grant_within_the_approvers_rights_becomes_a_labelled_binding() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let username = unique("viewer");
    let id = app
        .submit(&openssl_csr(&format!("/CN={username}"), "ec", &[]), HOUR)
        .await;
    let body = serde_json::json!({ "grants": [{ "kind": "ClusterRole", "name": "view", "namespace": "default" }] });
    let token = cluster.approver_token().unwrap();
    let response = app.approve(&id, &body, &token).await;
    response.assert_status(StatusCode::OK);
    let outcome = response.json();
    assert_eq!(outcome["complete"], true, "{outcome}");
    assert_eq!(outcome["bindings"][0]["result"], "created", "{outcome}");
    let name = backend::cluster::approver::binding_name(&username, "view");
    let api = Api::<k8s_openapi::api::rbac::v1::RoleBinding>::namespaced(
        cluster.admin_client().await.unwrap(),
        "default",
    );
    let binding = api.get(&name).await.unwrap();
    assert_eq!(binding.subjects.unwrap()[0].name, username);
    assert_eq!(
        binding.metadata.labels.unwrap()["app.kubernetes.io/managed-by"],
        "certdesk"
    );
    // Retrying reports the binding as already there, not as a failure.
    let again = app.approve(&id, &body, &token).await;
    again.assert_status(StatusCode::OK);
    assert_eq!(again.json()["bindings"][0]["result"], "already_exists");
    api.delete(&name, &DeleteParams::default()).await.unwrap();

    // The namespace is recorded on the CSR by the approval and reaches the requester.
    let csr = csr_object(&cluster, &id).await;
    let annotations = csr.metadata.annotations.unwrap();
    assert_eq!(annotations["certdesk.dev/granted-namespace"], "default");
    let grants: serde_json::Value =
        serde_json::from_str(&annotations["certdesk.dev/grants"]).unwrap();
    assert_eq!(grants, body["grants"]);
    let status = app
        .wait_for_status(&id, |s| s["namespace"] == "default")
        .await;
    assert!(
        matches!(status["phase"].as_str(), Some("Approved" | "Issued")),
        "{status}"
    );
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn hostile_namespace_text_never_reaches_the_requesters_status() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let token = cluster.approver_token().unwrap();
    let id = app
        .submit(
            &openssl_csr(&format!("/CN={}", unique("hostile-ns")), "ec", &[]),
            HOUR,
        )
        .await;
    // A grant whose namespace is no namespace name is refused before anything changes.
    let hostile = "default\ncontexts: [{name: evil}]";
    let body = serde_json::json!({ "grants": [{ "kind": "ClusterRole", "name": "view", "namespace": hostile }] });
    let response = app.approve(&id, &body, &token).await;
    response.assert_error(StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(phase_of(&csr_object(&cluster, &id).await), Phase::Pending);

    // Approved with no namespaced grant, then the annotation is set by hand to hostile
    // text: the status ignores it rather than handing it to the kubeconfig.
    let response = app.approve(&id, &serde_json::json!({}), &token).await;
    response.assert_status(StatusCode::OK);
    let api = Api::<CertificateSigningRequest>::all(cluster.admin_client().await.unwrap());
    let marker = unique("marker");
    let patch = serde_json::json!({ "metadata": { "annotations": {
        "certdesk.dev/granted-namespace": hostile, "certdesk.dev/note": marker } } });
    api.patch(&id, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    // The approver's list shows the note, so it tells when the cache has the patch.
    let cached = app
        .wait_listed(&token, |r| {
            r["name"] == id.as_str() && r["note"] == marker.as_str()
        })
        .await;
    assert!(
        cached.is_some(),
        "the watch cache never saw the patched annotations"
    );
    let status_after = app.get(&format!("/api/v1/requests/{id}")).await.json();
    assert!(
        matches!(status_after["phase"].as_str(), Some("Approved" | "Issued")),
        "{status_after}"
    );
    assert!(status_after.get("namespace").is_none(), "{status_after}");
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_denial_reaches_the_requesters_stream_with_its_reason() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let id = app
        .submit(
            &openssl_csr(&format!("/CN={}", unique("denied")), "ec", &[]),
            HOUR,
        )
        .await;
    let mut stream = app.events(&id).await;
    assert_eq!(stream.next_status().await.unwrap().phase, Phase::Pending);
    let token = cluster.approver_token().unwrap();
    let missing = app.deny(&id, " ", &token).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    let response = app.deny(&id, "unknown person", &token).await;
    response.assert_status(StatusCode::NO_CONTENT);
    let status = stream.next_status().await.unwrap();
    assert_eq!(status.phase, Phase::Denied);
    assert_eq!(status.reason.as_deref(), Some("CertDeskDeny"));
    assert!(
        status
            .message
            .as_deref()
            .unwrap()
            .contains("unknown person"),
        "{status:?}"
    );
    assert!(stream.next_status().await.is_none());
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_deleted_csr_shows_gone() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let id = app
        .submit(
            &openssl_csr(&format!("/CN={}", unique("gone")), "ec", &[]),
            HOUR,
        )
        .await;
    let mut stream = app.events(&id).await;
    assert_eq!(stream.next_status().await.unwrap().phase, Phase::Pending);
    Api::<CertificateSigningRequest>::all(cluster.admin_client().await.unwrap())
        .delete(&id, &DeleteParams::default())
        .await
        .unwrap();
    assert_eq!(stream.next_status().await.unwrap().phase, Phase::Gone);
    let response = app.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["phase"], "Gone");
    // Ids CertDesk never issued are not found rather than gone.
    assert_eq!(
        app.get("/api/v1/requests/not-ours").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn whoami_and_the_request_list_speak_for_the_approver() {
    let cluster = cluster();
    // A policy that lets the admin group through to the approver, flagged.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, "groups:\n  allowed: [kubeadm:cluster-admins]\n").unwrap();
    let app = TestApp::on_cluster(&cluster, &["--policy-file", policy.to_str().unwrap()]).await;
    let token = cluster.approver_token().unwrap();
    let me = app.get_with_token("/api/v1/admin/whoami", &token).await;
    me.assert_status(StatusCode::OK);
    let me = me.json();
    assert_eq!(
        me["username"],
        "system:serviceaccount:certdesk:certdesk-approver"
    );
    assert_eq!(me["can"]["approve"], true);
    assert_eq!(me["can"]["list_requests"], true);

    let id = app
        .submit(
            &openssl_csr(
                &format!("/CN={}/O=kubeadm:cluster-admins", unique("risky")),
                "rsa:2048",
                &[],
            ),
            HOUR,
        )
        .await;
    let view = app
        .wait_listed(&token, |r| r["name"] == id.as_str())
        .await
        .expect("the new request is listed");
    let codes: Vec<&str> = view["risks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"admin_group") && codes.contains(&"rsa_below_3072"),
        "{view}"
    );
    assert_eq!(view["key"], "RSA 2048");
    let usages = csr_object(&cluster, &id).await.spec.usages.unwrap();
    assert_eq!(
        usages,
        ["digital signature", "key encipherment", "client auth"]
    );

    // The approval page reads the one request, with the approver's own token.
    let one = app
        .get_with_token(&format!("/api/v1/admin/requests/{id}"), &token)
        .await;
    one.assert_status(StatusCode::OK);
    assert_eq!(one.json()["request"]["name"], id.as_str());
    assert_eq!(one.json()["request"]["key"], "RSA 2048");
    app.get_with_token("/api/v1/admin/requests/certdesk-nobody-zz", &token)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.get_with_token("/api/v1/admin/requests/Not%20A%20Name", &token)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");

    let powerless = powerless_token(&cluster).await;
    let refused = app
        .get_with_token("/api/v1/admin/requests", &powerless)
        .await;
    refused.assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.get_with_token(&format!("/api/v1/admin/requests/{id}"), &powerless)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let bogus = app
        .get_with_token("/api/v1/admin/whoami", "not-a-token")
        .await;
    bogus.assert_error(StatusCode::UNAUTHORIZED, "token_invalid");
}

#[test]
#[ignore = "needs cluster"]
fn the_approvers_token_appears_in_no_log_line_at_any_level() {
    // The real binary with every crate at TRACE: what an operator who turns logging all
    // the way up would see.
    let cluster = cluster();
    let server = Server::start(&cluster, "trace", &[]);
    let token = cluster.approver_token().unwrap();
    let csr = openssl_csr(&format!("/CN={}", unique("logged")), "ec", &[]);
    let (status, ticket) = server.curl(
        "POST",
        "/api/v1/requests",
        Some(&serde_json::json!({ "csr_pem": csr, "expiration_seconds": HOUR })),
        None,
    );
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap().to_owned();
    assert_eq!(
        server
            .curl("GET", "/api/v1/admin/whoami", None, Some(&token))
            .0,
        200
    );
    // Until the watch has seen the request, the list does not show it.
    let listed = (0..100).any(|_| {
        let search = format!("/api/v1/admin/requests?q={id}");
        let (_, list) = server.curl("GET", &search, None, Some(&token));
        let found = list["items"]
            .as_array()
            .is_some_and(|l| l.iter().any(|v| v["name"] == id.as_str()));
        if !found {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        found
    });
    assert!(listed);
    let body =
        serde_json::json!({ "grants": [{ "kind": "ClusterRole", "name": "cluster-admin" }] });
    server.curl(
        "POST",
        &format!("/api/v1/admin/requests/{id}/approve"),
        Some(&body),
        Some(&token),
    );
    let (status, _) = server.curl(
        "POST",
        &format!("/api/v1/admin/requests/{id}/deny"),
        Some(&serde_json::json!({ "reason": "test" })),
        Some(&token),
    );
    assert_eq!(status, 204);

    let logs = server.logs();
    // The capture works: the denial's audit line and the HTTP client's TRACE lines are in it.
    assert!(
        logs.contains("action=\"Denied\""),
        "the audit line of the denial is logged:\n{logs}"
    );
    assert!(logs.contains(" TRACE "), "TRACE lines are logged:\n{logs}");
    // The whole token, and any long fragment of it (its signature part).
    assert!(!logs.contains(&token), "the token leaked into the logs");
    let signature = token.rsplit('.').next().unwrap();
    assert!(
        !logs.contains(&signature[..32]),
        "part of the token leaked into the logs"
    );
}
