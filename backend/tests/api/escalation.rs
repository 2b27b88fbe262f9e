//! The identity rule's proven holes stay closed: a ServiceAccount's username (existing
//! or not yet) and a name the API server reads otherwise than its bytes show are
//! refused to an approver who holds only `certdesk:approver` and `view`, through
//! CertDesk's API and — with the webhook registered — through `kubectl certificate
//! approve`. And a right missing from CertDesk's own ServiceAccount is CertDesk's fault
//! (500, naming no ServiceAccount), not the caller's.

use axum::http::StatusCode;
use e2e::cluster::ControlPlane;
use serde_json::json;

use crate::helpers::{Server, TestApp, unique};
use crate::webhook::{Scope, approved, first_refusal};

fn cluster() -> ControlPlane {
    ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"))
}

/// A user bound to cluster-admin, removed when dropped.
struct Admin<'a> {
    cluster: &'a ControlPlane,
    name: String,
}

impl<'a> Admin<'a> {
    fn bind(cluster: &'a ControlPlane) -> Self {
        let name = unique("alice");
        cluster
            .admin_kubectl_ok(&[
                "create",
                "clusterrolebinding",
                &name,
                "--clusterrole=cluster-admin",
                &format!("--user={name}"),
            ])
            .unwrap();
        Self { cluster, name }
    }
}

impl Drop for Admin<'_> {
    fn drop(&mut self) {
        let _ = self.cluster.admin_kubectl(&[
            "delete",
            "clusterrolebinding",
            &self.name,
            "--ignore-not-found",
        ]);
    }
}

/// The three CSRs the approver must not get approved: a ServiceAccount's username, a
/// BMPString `<admin>\0` (the API server reads `<admin>`), and a ServiceAccount that
/// does not exist yet. Each with the permissions the refusal must name.
fn holes(
    cluster: &ControlPlane,
    admin: &str,
    labels: &[(&str, &str)],
) -> Vec<(String, Vec<String>)> {
    let sa = "system:serviceaccount:kube-system:generic-garbage-collector";
    let (future_ns, future_sa) = (unique("team"), unique("deployer"));
    let future = format!("system:serviceaccount:{future_ns}:{future_sa}");
    let made = [
        (
            e2e::tools::openssl_csr(&format!("/CN={sa}")).unwrap(),
            vec![
                format!("users/{sa}"),
                "serviceaccounts/kube-system/generic-garbage-collector".to_owned(),
            ],
        ),
        (
            e2e::subjects::bmp_common_name_pem(&format!("{admin}\0")),
            vec![format!("users/{admin}")],
        ),
        (
            e2e::tools::openssl_csr(&format!("/CN={future}")).unwrap(),
            vec![
                format!("users/{future}"),
                format!("serviceaccounts/{future_ns}/{future_sa}"),
            ],
        ),
    ];
    made.into_iter()
        .map(|(pem, missing)| {
            let name = unique("certdesk-hole");
            cluster.create_csr_from_pem(&name, &pem, labels).unwrap();
            (name, missing)
        })
        .collect()
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_service_accounts_name_and_a_name_read_otherwise_are_refused_to_a_limited_approver() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let token = cluster.approver_token().unwrap();
    let admin = Admin::bind(&cluster);
    assert!(
        !cluster
            .can_i(
                "system:serviceaccount:certdesk:certdesk-approver",
                &[],
                "*",
                "*",
                "default"
            )
            .unwrap(),
        "the approver is limited"
    );
    for (name, missing) in holes(&cluster, &admin.name, &[]) {
        let refused = app.approve(&name, &json!({}), &token).await;
        let error = refused.assert_error(StatusCode::FORBIDDEN, "identity_not_allowed");
        assert_eq!(
            error["details"]["missing"],
            json!(missing),
            "{name}: {error}"
        );
        for permission in &missing {
            assert!(
                error["message"]
                    .as_str()
                    .unwrap()
                    .contains(&permission.escape_default().to_string()),
                "{error}"
            );
        }
        assert!(!approved(&cluster, &name), "{name} was approved");
        // The approval page's check says the same before the click.
        let check = app
            .get_with_token(&format!("/api/v1/admin/requests/{name}/identity"), &token)
            .await
            .json();
        assert_eq!(check["allowed"], false, "{check}");
        assert_eq!(check["missing"], json!(missing));
    }
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn the_name_checked_is_the_name_the_certificate_authenticates_as() {
    // An approver who may impersonate anyone approves the BMPString `<admin>\0`: the
    // certificate the cluster signs authenticates as `<admin>`, which is exactly the
    // username CertDesk asked about.
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let admin = Admin::bind(&cluster);
    let root = crate::identity::cluster_admin_token(&cluster);
    let name = unique("certdesk-bmp");
    let pem = e2e::subjects::bmp_common_name_pem(&format!("{}\0", admin.name));
    cluster.create_csr_from_pem(&name, &pem, &[]).unwrap();
    let check = app
        .get_with_token(&format!("/api/v1/admin/requests/{name}/identity"), &root)
        .await
        .json();
    assert_eq!(
        check["checked"],
        json!([format!("users/{}", admin.name)]),
        "{check}"
    );
    app.approve(&name, &json!({}), &root)
        .await
        .assert_status(StatusCode::OK);
    let certificate = (0..100)
        .find_map(|_| {
            let csr = cluster.csr(&name).ok()?;
            let certificate = csr["status"]["certificate"].as_str().map(str::to_owned);
            if certificate.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            certificate
        })
        .expect("the certificate is issued");
    use base64::Engine as _;
    let certificate = base64::engine::general_purpose::STANDARD
        .decode(certificate)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("c.crt"), dir.path().join("c.key"));
    std::fs::write(&cert, certificate).unwrap();
    std::fs::write(&key, e2e::subjects::key_pem()).unwrap();
    let whoami = e2e::tools::ok(
        "kubectl",
        &[
            "--kubeconfig",
            "/dev/null",
            "--server",
            &cluster.server().unwrap(),
            "--certificate-authority",
            cluster.dir().join("ca.crt").to_str().unwrap(),
            "--client-certificate",
            cert.to_str().unwrap(),
            "--client-key",
            key.to_str().unwrap(),
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}",
        ],
        None,
    )
    .unwrap();
    assert_eq!(whoami, admin.name);
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn kubectl_cannot_approve_them_either_when_the_webhook_is_registered() {
    let cluster = cluster();
    let scope = unique("scope");
    let _webhook = crate::webhook::start(
        &cluster,
        &cluster.backend_kubeconfig(),
        &[],
        Scope::Label(&scope),
    );
    let token = cluster.approver_token().unwrap();
    let admin = Admin::bind(&cluster);
    let labels = [("certdesk-webhook-test", scope.as_str())];
    let mut pending = holes(&cluster, &admin.name, &labels).into_iter();
    let (first, first_missing) = pending.next().unwrap();
    let mut once = Some(first);
    let refused = first_refusal(&cluster, &token, || {
        once.take().unwrap_or_else(|| {
            let again = unique("certdesk-hole");
            let pem = e2e::tools::openssl_csr(
                "/CN=system:serviceaccount:kube-system:generic-garbage-collector",
            )
            .unwrap();
            cluster.create_csr_from_pem(&again, &pem, &labels).unwrap();
            again
        })
    });
    for permission in &first_missing {
        assert!(
            refused.stderr.contains(permission.as_str()),
            "{}",
            refused.stderr
        );
    }
    for (name, missing) in pending {
        let run = crate::webhook::approve_as(&cluster, &token, &name);
        assert!(!run.success, "{name} was approved with kubectl");
        assert!(!approved(&cluster, &name));
        for permission in &missing {
            assert!(
                run.stderr
                    .contains(&permission.escape_default().to_string()),
                "{}",
                run.stderr
            );
        }
    }
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_right_missing_from_certdesks_own_service_account_is_a_logged_500_that_names_none() {
    // CertDesk's rules less `create` on CSRs, bound to a ServiceAccount of the test's own.
    let cluster = cluster();
    let name = unique("certdesk-limited");
    let rules = cluster
        .admin_kubectl_ok(&["get", "clusterrole", "certdesk:backend", "-o", "json"])
        .unwrap();
    let mut role: serde_json::Value = serde_json::from_str(&rules).unwrap();
    for rule in role["rules"].as_array_mut().unwrap() {
        if rule["resources"] == json!(["certificatesigningrequests"]) {
            rule["verbs"] = json!(["get", "list", "watch"]);
        }
    }
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": { "name": name },
        "rules": role["rules"],
    });
    let run = cluster
        .admin_kubectl_stdin(&["create", "-f", "-"], &role.to_string())
        .unwrap();
    assert!(run.success, "{}", run.stderr);
    let token = cluster.token_without_rights(&name).unwrap();
    cluster
        .admin_kubectl_ok(&[
            "create",
            "clusterrolebinding",
            &name,
            &format!("--clusterrole={name}"),
            &format!("--serviceaccount=default:{name}"),
        ])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("limited.kubeconfig");
    cluster.write_token_kubeconfig(&kubeconfig, &token).unwrap();
    let policy = crate::helpers::local_policy();
    let server = Server::start_as(&kubeconfig, "info", &["--policy-file", &policy]);
    let key = shared::keys::generate(
        shared::KeyAlgorithm::EcdsaP256,
        &shared::Subject {
            username: unique("minjun"),
            groups: vec![],
        },
    )
    .unwrap();
    let (status, body) = server.curl(
        "POST",
        "/api/v1/requests",
        Some(&json!({ "csr_pem": key.csr_pem, "expiration_seconds": 3600 })),
        None,
    );
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["code"], "internal", "{body}");
    assert!(
        !body.to_string().contains("system:serviceaccount"),
        "{body}"
    );
    assert!(!body.to_string().contains(&name), "{body}");
    let logs = server.logs();
    assert!(
        logs.contains("cannot create resource")
            && logs.contains("certificatesigningrequests")
            && logs.contains(&format!("system:serviceaccount:default:{name}")),
        "the log names the missing rule: {logs}"
    );
    let _ = cluster.admin_kubectl(&["delete", "clusterrolebinding,clusterrole", &name]);
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn only_the_approving_user_can_write_who_approved() {
    // The issuance record names the approver from certdesk.dev/approved-by: the API
    // server (CertDesk's admission policy) lets nobody else write it.
    use k8s_openapi::api::certificates::v1::{
        CertificateSigningRequest, CertificateSigningRequestCondition,
    };
    use kube::Api;
    use kube::api::PostParams;
    let cluster = cluster();
    let approver = cluster.approver_client().await.unwrap();
    let api = Api::<CertificateSigningRequest>::all(approver);
    // Not at creation (a requester claiming an approver in advance)…
    let name = unique("certdesk-claim");
    let pem = e2e::tools::openssl_csr(&format!("/CN={}/O=dev-team", unique("minjun"))).unwrap();
    let mut csr: CertificateSigningRequest = serde_json::from_value(json!({
        "metadata": { "name": name, "annotations": { "certdesk.dev/approved-by": "someone-else" } },
        "spec": { "request": base64_of(&pem), "signerName": "kubernetes.io/kube-apiserver-client",
            "usages": ["client auth"] },
    }))
    .unwrap();
    let refused = Api::<CertificateSigningRequest>::all(cluster.admin_client().await.unwrap())
        .create(&PostParams::default(), &csr)
        .await
        .expect_err("a CSR created with approved-by");
    assert!(
        refused.to_string().contains("certdesk.dev/approved-by"),
        "{refused}"
    );
    // …nor with an approval naming someone else; naming oneself is fine.
    csr.metadata.annotations = None;
    cluster.create_csr_from_pem(&name, &pem, &[]).unwrap();
    let mut current = api.get(&name).await.unwrap();
    current
        .status
        .get_or_insert_with(Default::default)
        .conditions = Some(vec![CertificateSigningRequestCondition {
        type_: "Approved".to_owned(),
        status: "True".to_owned(),
        reason: Some("Kubectl".to_owned()),
        ..Default::default()
    }]);
    let claim = |by: &str| {
        let mut claimed = current.clone();
        claimed
            .metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert("certdesk.dev/approved-by".to_owned(), by.to_owned());
        claimed
    };
    let refused = api
        .replace_subresource(
            "approval",
            &name,
            &PostParams::default(),
            &claim("cluster-admin-person"),
        )
        .await
        .expect_err("an approval naming someone else");
    assert!(
        refused.to_string().contains("only that user may write it"),
        "{refused}"
    );
    assert!(!approved(&cluster, &name));
    api.replace_subresource(
        "approval",
        &name,
        &PostParams::default(),
        &claim("system:serviceaccount:certdesk:certdesk-approver"),
    )
    .await
    .expect("an approval naming its approver");
    assert!(approved(&cluster, &name));
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_withdrawal_is_collected_with_its_csr() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let key = shared::keys::generate(
        shared::KeyAlgorithm::EcdsaP256,
        &shared::Subject {
            username: unique("minjun"),
            groups: vec![],
        },
    )
    .unwrap();
    let id = app.submit(&key.csr_pem, 3600).await;
    let proof = shared::withdrawal::sign(&key.private_key, &id).unwrap();
    app.post_json(
        &format!("/api/v1/requests/{id}/withdraw"),
        &json!({ "proof": proof }),
        None,
    )
    .await
    .assert_status(StatusCode::OK);
    let owner = cluster
        .admin_kubectl_ok(&[
            "get",
            "withdrawals.certdesk.dev",
            &id,
            "-o",
            "jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}",
        ])
        .unwrap();
    assert_eq!(owner, format!("CertificateSigningRequest/{id}"));
    // When the cluster deletes the CSR (a day after it was made), the garbage collector
    // deletes the withdrawal with it.
    cluster
        .admin_kubectl_ok(&["delete", "csr", &id, "--wait=false"])
        .unwrap();
    let mut gone = false;
    for _ in 0..300 {
        let left = cluster
            .admin_kubectl_ok(&[
                "get",
                "withdrawals.certdesk.dev",
                &id,
                "--ignore-not-found",
                "-o",
                "name",
            ])
            .unwrap();
        if left.trim().is_empty() {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "the withdrawal outlived its CSR");
}
