//! No approval gives out more than the approver holds: the identity check against the
//! real control plane (its RBAC answers every `impersonate` question), names that read
//! otherwise refused at submission and flagged for CSRs made by others, and records
//! only for CertDesk's own CSRs.

use axum::http::StatusCode;
use e2e::cluster::ControlPlane;
use k8s_openapi::ByteString;
use k8s_openapi::api::certificates::v1::{
    CertificateSigningRequest, CertificateSigningRequestSpec,
};
use kube::Api;
use kube::api::PostParams;
use shared::KeyAlgorithm;
use shared::keys::{GeneratedKey, Subject, generate};

use crate::helpers::{TestApp, unique};

const HOUR: u32 = 3600;

fn cluster() -> ControlPlane {
    ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"))
}

fn key_for(username: &str, groups: &[&str]) -> GeneratedKey {
    let subject = Subject {
        username: username.to_owned(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    };
    generate(KeyAlgorithm::EcdsaP256, &subject).unwrap()
}

/// A token of a new ServiceAccount bound to `cluster-admin`: an approver who holds
/// everything, `impersonate` included.
pub(crate) fn cluster_admin_token(cluster: &ControlPlane) -> String {
    let name = unique("root");
    cluster
        .admin_kubectl_ok(&["create", "serviceaccount", &name, "-n", "default"])
        .unwrap();
    cluster
        .admin_kubectl_ok(&[
            "create",
            "clusterrolebinding",
            &name,
            "--clusterrole=cluster-admin",
            &format!("--serviceaccount=default:{name}"),
        ])
        .unwrap();
    let token = cluster
        .admin_kubectl_ok(&[
            "create",
            "token",
            &name,
            "-n",
            "default",
            "--duration",
            "1h",
        ])
        .unwrap();
    token.trim().to_owned()
}

/// Creates a CSR for the kube-apiserver-client signer as the cluster admin (as
/// `kubectl create -f csr.yaml` would), optionally with CertDesk's label.
async fn create_csr_as_admin(cluster: &ControlPlane, name: &str, pem: &str, labelled: bool) {
    let mut csr = CertificateSigningRequest {
        spec: CertificateSigningRequestSpec {
            request: ByteString(pem.as_bytes().to_vec()),
            signer_name: "kubernetes.io/kube-apiserver-client".to_owned(),
            usages: Some(vec!["digital signature".into(), "client auth".into()]),
            expiration_seconds: Some(3600),
            ..Default::default()
        },
        ..Default::default()
    };
    csr.metadata.name = Some(name.to_owned());
    if labelled {
        csr.metadata.labels = Some(
            [(
                "app.kubernetes.io/managed-by".to_owned(),
                "certdesk".to_owned(),
            )]
            .into(),
        );
    }
    Api::<CertificateSigningRequest>::all(cluster.admin_client().await.unwrap())
        .create(&PostParams::default(), &csr)
        .await
        .unwrap();
}

async fn phase(cluster: &ControlPlane, name: &str) -> shared::Phase {
    let csr = Api::<CertificateSigningRequest>::all(cluster.admin_client().await.unwrap())
        .get(name)
        .await
        .unwrap();
    backend::cluster::standing::phase(&csr)
}

fn codes_of(view: &serde_json::Value) -> Vec<String> {
    view["risks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_limited_approver_cannot_issue_an_admin_group_nor_a_bound_username() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let token = cluster.approver_token().unwrap();

    // kubeadm:cluster-admins, made with kubectl (CertDesk's form refuses it).
    let name = unique("admins");
    let key = key_for(&unique("mallory"), &["kubeadm:cluster-admins"]);
    create_csr_as_admin(&cluster, &name, &key.csr_pem, false).await;
    let check = app
        .get_with_token(&format!("/api/v1/admin/requests/{name}/identity"), &token)
        .await;
    check.assert_status(StatusCode::OK);
    let check = check.json();
    assert_eq!(check["allowed"], false, "{check}");
    assert_eq!(
        check["missing"],
        serde_json::json!(["groups/kubeadm:cluster-admins"])
    );
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("impersonate on groups/kubeadm:cluster-admins is missing"),
        "{check}"
    );
    let refused = app.approve(&name, &serde_json::json!({}), &token).await;
    let error = refused.assert_error(StatusCode::FORBIDDEN, "identity_not_allowed");
    assert_eq!(
        error["details"]["missing"],
        serde_json::json!(["groups/kubeadm:cluster-admins"])
    );
    assert_eq!(phase(&cluster, &name).await, shared::Phase::Pending);

    // A username already bound to cluster-admin, submitted through CertDesk.
    let alice = unique("alice");
    cluster
        .admin_kubectl_ok(&[
            "create",
            "clusterrolebinding",
            &alice,
            "--clusterrole=cluster-admin",
            &format!("--user={alice}"),
        ])
        .unwrap();
    let key = key_for(&alice, &[]);
    // The binding watch sees the new binding within moments; approval reads afresh.
    let id = app.submit(&key.csr_pem, HOUR).await;
    let refused = app.approve(&id, &serde_json::json!({}), &token).await;
    let error = refused.assert_error(StatusCode::FORBIDDEN, "identity_not_allowed");
    assert_eq!(
        error["details"]["missing"],
        serde_json::json!([format!("users/{alice}")])
    );
    assert_eq!(phase(&cluster, &id).await, shared::Phase::Pending);
    let view = app
        .wait_listed(&token, |r| {
            r["name"] == id.as_str() && !r["risks"].as_array().unwrap().is_empty()
        })
        .await
        .expect("listed");
    assert!(
        codes_of(&view).contains(&"existing_subject".to_owned()),
        "{view}"
    );

    // The same approver holds impersonate on groups/dev-team (deploy/local/approver.yaml).
    let minjun = unique("minjun");
    let key = key_for(&minjun, &["dev-team"]);
    let id = app.submit(&key.csr_pem, HOUR).await;
    let check = app
        .get_with_token(&format!("/api/v1/admin/requests/{id}/identity"), &token)
        .await
        .json();
    assert_eq!(check["allowed"], true, "{check}");
    assert_eq!(check["message"], "You may issue this identity.");
    app.approve(&id, &serde_json::json!({}), &token)
        .await
        .assert_status(StatusCode::OK);
    let status = app.wait_for_status(&id, |s| s["phase"] == "Issued").await;
    assert!(status["certificate_pem"].as_str().is_some());
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_cluster_admin_issues_the_seed_course_admin_certificate_and_it_is_still_flagged() {
    let cluster = cluster();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        "groups:\n  allowed: [dev-team, kubeadm:cluster-admins]\n",
    )
    .unwrap();
    let app = TestApp::on_cluster(&cluster, &["--policy-file", policy.to_str().unwrap()]).await;
    let root = cluster_admin_token(&cluster);
    let username = unique("gasida-cert");
    let key = key_for(&username, &["kubeadm:cluster-admins"]);
    let id = app.submit(&key.csr_pem, HOUR).await;
    let view = app
        .wait_listed(&root, |r| r["name"] == id.as_str())
        .await
        .expect("listed");
    assert!(
        codes_of(&view).contains(&"admin_group".to_owned()),
        "{view}"
    );
    app.approve(&id, &serde_json::json!({}), &root)
        .await
        .assert_status(StatusCode::OK);
    let status = app.wait_for_status(&id, |s| s["phase"] == "Issued").await;

    // kubectl with that certificate is cluster-admin.
    let files = tempfile::tempdir().unwrap();
    let cert = files.path().join("user.crt");
    let private = files.path().join("user.key");
    std::fs::write(&cert, status["certificate_pem"].as_str().unwrap()).unwrap();
    std::fs::write(&private, key.private_key.pkcs8_pem().as_bytes()).unwrap();
    let run = e2e::tools::ok(
        "kubectl",
        &[
            "--server",
            &cluster.server().unwrap(),
            "--certificate-authority",
            cluster.dir().join("pki/ca.crt").to_str().unwrap(),
            "--client-certificate",
            cert.to_str().unwrap(),
            "--client-key",
            private.to_str().unwrap(),
            "auth",
            "can-i",
            "*",
            "*",
        ],
        None,
    )
    .unwrap();
    assert_eq!(run.trim(), "yes");
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn names_that_read_otherwise_are_refused_at_submission_and_flagged_when_made_by_others() {
    let cluster = cluster();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, "groups:\n  allowed: [dev-team]\n").unwrap();
    let app = TestApp::on_cluster(&cluster, &["--policy-file", policy.to_str().unwrap()]).await;
    let token = cluster.approver_token().unwrap();
    let minjun = unique("minjun");
    cluster
        .admin_kubectl_ok(&[
            "create",
            "rolebinding",
            &minjun,
            "--clusterrole=view",
            "-n",
            "default",
            &format!("--user={minjun}"),
        ])
        .unwrap();

    let refused_groups = [
        ("kubeadm:cluster-admins\0", "group_control_chars"),
        ("Kubeadm:Cluster-Admins", "group_looks_like"),
        ("kubeadm:cluster\u{200B}-admins", "group_invisible_chars"),
    ];
    for (group, code) in refused_groups {
        let key = key_for(&unique("nul"), &[group]);
        let answer = app
            .post_json(
                "/api/v1/requests",
                &serde_json::json!({ "csr_pem": key.csr_pem, "expiration_seconds": HOUR }),
                None,
            )
            .await;
        let error = answer.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "policy_violation");
        let codes = crate::helpers::violation_codes(&error);
        assert!(codes.iter().any(|c| c == code), "{group:?}: {error}");

        // The same group in a CSR made with kubectl: flagged red on the approval page.
        let name = unique("foreign");
        let key = key_for(&unique("foreign"), &[group]);
        create_csr_as_admin(&cluster, &name, &key.csr_pem, false).await;
        let view = app
            .wait_listed(&token, |r| r["name"] == name.as_str())
            .await
            .expect("listed");
        let codes = codes_of(&view);
        assert!(
            codes.contains(&"group_looks_like_admin".to_owned()),
            "{group:?}: {view}"
        );
        assert!(
            view["risks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["severity"] == "red"),
            "{view}"
        );
    }

    let look_alike = minjun.replacen('i', "\u{456}", 1);
    for (username, code) in [
        (format!(" {minjun} "), "username_surrounding_space"),
        (look_alike, "username_looks_like"),
    ] {
        let key = key_for(&username, &[]);
        // The binding watch may take a moment to see the new binding.
        let mut last = serde_json::Value::Null;
        for _ in 0..50 {
            let answer = app
                .post_json(
                    "/api/v1/requests",
                    &serde_json::json!({ "csr_pem": key.csr_pem, "expiration_seconds": HOUR }),
                    None,
                )
                .await;
            last = answer.json();
            if answer.status == StatusCode::UNPROCESSABLE_ENTITY {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        assert_eq!(last["code"], "policy_violation", "{username:?}: {last}");
        assert!(last.to_string().contains(code), "{username:?}: {last}");
    }
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn an_inviter_without_impersonate_cannot_invite_for_the_group_when_invites_approve_themselves()
 {
    let cluster = cluster();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, "groups:\n  allowed: [dev-team, ops]\n").unwrap();
    let policy = policy.to_str().unwrap().to_owned();
    let token = cluster.approver_token().unwrap();
    let invite = |username: String, group: &str| {
        serde_json::json!({
            "username": username,
            "groups": [group],
            "grants": [],
            "expiration_seconds": HOUR,
            "valid_for_seconds": HOUR,
        })
    };

    let auto = TestApp::on_cluster_as(
        &cluster.backend_auto_approve_kubeconfig(),
        &["--policy-file", &policy, "--auto-approve-invites"],
    )
    .await;
    let refused = auto
        .post_json(
            "/api/v1/admin/invites",
            &invite(unique("inv"), "ops"),
            Some(&token),
        )
        .await;
    let error = refused.assert_error(StatusCode::FORBIDDEN, "identity_not_allowed");
    assert_eq!(
        error["details"]["missing"],
        serde_json::json!(["groups/ops"])
    );
    auto.post_json(
        "/api/v1/admin/invites",
        &invite(unique("inv"), "dev-team"),
        Some(&token),
    )
    .await
    .assert_status(StatusCode::CREATED);

    // Without auto-approval the approver of the request decides later: the invite is made.
    let manual = TestApp::on_cluster(&cluster, &["--policy-file", &policy]).await;
    manual
        .post_json(
            "/api/v1/admin/invites",
            &invite(unique("inv"), "ops"),
            Some(&token),
        )
        .await
        .assert_status(StatusCode::CREATED);
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_csr_with_certdesks_label_made_by_someone_else_gets_no_record() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let root = cluster_admin_token(&cluster);

    let forged = unique("certdesk-forged");
    let key = key_for(&unique("forger"), &[]);
    create_csr_as_admin(&cluster, &forged, &key.csr_pem, true).await;
    cluster
        .admin_kubectl_ok(&["certificate", "approve", &forged])
        .unwrap();

    // A real CertDesk request issued after it: once its record exists, the writer has
    // seen the forged one too.
    let key = key_for(&unique("genuine"), &[]);
    let id = app.submit(&key.csr_pem, HOUR).await;
    app.approve(&id, &serde_json::json!({}), &root)
        .await
        .assert_status(StatusCode::OK);
    app.wait_for_status(&id, |s| s["phase"] == "Issued").await;
    let records = Api::<backend::cluster::resources::IssuedCertificate>::all(
        cluster.admin_client().await.unwrap(),
    );
    let mut genuine = None;
    for _ in 0..100 {
        genuine = records.get_opt(&id).await.unwrap();
        if genuine.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(genuine.is_some(), "the genuine request has no record");
    assert_eq!(phase(&cluster, &forged).await, shared::Phase::Issued);
    assert!(
        records.get_opt(&forged).await.unwrap().is_none(),
        "a record was written for a CSR CertDesk did not create"
    );
}
