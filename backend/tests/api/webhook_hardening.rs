//! The webhook under attack: mutual TLS keeps out everyone but the API server; without
//! it, a flood of forged reviews costs the API server no more than the rate limit and
//! the answer cache allow; and with auto-approval on, the webhook limits CertDesk's own
//! ServiceAccount to what CertDesk itself would approve, so its stolen token mints no
//! identity.

use e2e::cluster::ControlPlane;
use serde_json::json;

use crate::helpers::unique;
use crate::tls_client;
use backend::webhook::PATH;

use crate::webhook::{Scope, approved, first_refusal, start};

/// A forged AdmissionReview: `user` newly approves a CSR for `subject` (openssl-made).
fn forged_review(user: &str, csr_pem: &str) -> String {
    use base64::Engine as _;
    let request = base64::engine::general_purpose::STANDARD.encode(csr_pem);
    let csr = |conditions: serde_json::Value| {
        json!({
            "apiVersion": "certificates.k8s.io/v1",
            "kind": "CertificateSigningRequest",
            "metadata": { "name": "forged" },
            "spec": {
                "request": request,
                "signerName": "kubernetes.io/kube-apiserver-client",
                "usages": ["client auth"],
                "username": "mallory",
            },
            "status": { "conditions": conditions },
        })
    };
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "00000000-0000-0000-0000-000000000000",
            "kind": { "group": "certificates.k8s.io", "version": "v1", "kind": "CertificateSigningRequest" },
            "resource": { "group": "certificates.k8s.io", "version": "v1", "resource": "certificatesigningrequests" },
            "subResource": "approval",
            "name": "forged",
            "operation": "UPDATE",
            "userInfo": { "username": user, "groups": ["system:authenticated"] },
            "object": csr(json!([{ "type": "Approved", "status": "True", "reason": "Forged" }])),
            "oldObject": csr(json!([])),
            "dryRun": false,
        },
    })
    .to_string()
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn with_mutual_tls_only_the_api_server_is_heard() {
    let cluster = ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"));
    let scope = unique("scope");
    let client_ca = cluster.dir().join("pki/webhook-client-ca.crt");
    let webhook = start(
        &cluster,
        &cluster.backend_kubeconfig(),
        &["--webhook-client-ca-file", client_ca.to_str().unwrap()],
        Scope::Label(&scope),
    );
    let path = PATH;
    let review = forged_review("mallory", &e2e::tools::openssl_csr("/CN=m/O=a").unwrap());

    // No client certificate, or one from another CA (the cluster's admin): refused at
    // the handshake, before a byte of the review is read.
    let admin = (
        std::fs::read_to_string(cluster.dir().join("pki/admin.crt")).unwrap(),
        std::fs::read_to_string(cluster.dir().join("pki/admin.key")).unwrap(),
    );
    for client in [None, Some((admin.0.as_str(), admin.1.as_str()))] {
        let outcome = async {
            let mut connection = tls_client::connect(&webhook.url, &webhook.ca_pem, client).await?;
            connection.post_json(path, &review).await
        }
        .await;
        assert!(outcome.is_err(), "a stranger was answered: {outcome:?}");
    }
    // With the API server's own client certificate the webhook answers.
    let apiserver = (
        std::fs::read_to_string(cluster.dir().join("pki/webhook-client.crt")).unwrap(),
        std::fs::read_to_string(cluster.dir().join("pki/webhook-client.key")).unwrap(),
    );
    let mut connection = tls_client::connect(
        &webhook.url,
        &webhook.ca_pem,
        Some((&apiserver.0, &apiserver.1)),
    )
    .await
    .unwrap();
    let (status, body) = connection.post_json(path, &review).await.unwrap();
    assert_eq!(status, 200, "{body}");

    // And the real API server, which presents that certificate, still has kubectl's
    // approvals judged.
    let token = cluster.approver_token().unwrap();
    let refused = first_refusal(&cluster, &token, || {
        let name = unique("certdesk-mtls");
        let pem = e2e::tools::openssl_csr(&format!(
            "/CN={}/O=kubeadm:cluster-admins",
            unique("gasida")
        ))
        .unwrap();
        cluster
            .create_csr_from_pem(&name, &pem, &[("certdesk-webhook-test", &scope)])
            .unwrap();
        name
    });
    assert!(
        refused
            .stderr
            .contains("impersonate on groups/kubeadm:cluster-admins is missing"),
        "{}",
        refused.stderr
    );
}

const SARS: &[&str] = &["resource=\"subjectaccessreviews\"", "verb=\"POST\""];
const BINDING_LISTS: &[&str] = &["resource=\"rolebindings\"", "verb=\"LIST\""];

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_thousand_forged_reviews_cost_the_api_server_what_the_limit_and_the_cache_allow() {
    // A control plane of its own, so no other test's reviews are counted.
    let cluster = ControlPlane::start().unwrap_or_else(|e| panic!("{e:#}"));
    let (per_minute, burst) = (600u32, 60u32);
    let webhook = start(
        &cluster,
        &cluster.backend_kubeconfig(),
        &[
            "--webhook-reviews-per-minute",
            &per_minute.to_string(),
            "--webhook-reviews-burst",
            &burst.to_string(),
        ],
        Scope::Everything,
    );
    // Three groups, none of which the forged users may impersonate: three questions a
    // review, the username unbound.
    let csr = e2e::tools::openssl_csr("/CN=mallory/O=a/O=b/O=c").unwrap();
    let permissions = 3.0;
    let mut connection = tls_client::connect(&webhook.url, &webhook.ca_pem, None)
        .await
        .unwrap();
    let mut flood = async |reviews: Vec<String>| {
        let (sars, lists) = (
            cluster
                .apiserver_counter("apiserver_request_total", SARS)
                .unwrap(),
            cluster
                .apiserver_counter("apiserver_request_total", BINDING_LISTS)
                .unwrap(),
        );
        let start = std::time::Instant::now();
        let mut answered = 0.0;
        for review in &reviews {
            let (status, body) = connection.post_json(PATH, review).await.unwrap();
            match status {
                200 => {
                    assert!(body.contains("\"allowed\":false"), "{body}");
                    answered += 1.0;
                }
                429 => {}
                other => panic!("{other}: {body}"),
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        let cost = cluster
            .apiserver_counter("apiserver_request_total", SARS)
            .unwrap()
            - sars;
        let lists = cluster
            .apiserver_counter("apiserver_request_total", BINDING_LISTS)
            .unwrap()
            - lists;
        eprintln!(
            "{} forged reviews in {seconds:.2} s: {answered} answered, {cost} access reviews, {lists} binding lists",
            reviews.len()
        );
        (answered, seconds, cost, lists)
    };

    // The same forged review a thousand times: the answer cache asks once per question
    // (every ten seconds at most).
    let same = forged_review("mallory", &csr);
    let (answered, seconds, cost, lists) = flood(vec![same; 1000]).await;
    let cache_allows = permissions * ((seconds / 10.0).floor() + 1.0);
    assert!(
        cost <= cache_allows,
        "{cost} reviews in {seconds:.1} s (allowed {cache_allows})"
    );
    assert_eq!(lists, 0.0, "bindings are read from the watch cache");
    assert!(answered <= f64::from(burst) + f64::from(per_minute) / 60.0 * seconds + 1.0);

    // A thousand different forged users defeat the cache: the rate limit answers.
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let varied = (0..1000)
        .map(|i| forged_review(&format!("mallory-{i}"), &csr))
        .collect();
    let (answered, seconds, cost, lists) = flood(varied).await;
    let limit_allows = f64::from(burst) + f64::from(per_minute) / 60.0 * seconds + 1.0;
    assert!(
        answered <= limit_allows,
        "{answered} answered in {seconds:.1} s"
    );
    assert!(answered < 500.0, "most were refused: {answered}");
    assert!(
        cost <= answered * permissions,
        "{cost} access reviews for {answered} answered reviews"
    );
    assert_eq!(lists, 0.0);
    drop(webhook);
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn with_auto_approval_a_stolen_service_account_token_mints_nothing() {
    let cluster = ControlPlane::start().unwrap_or_else(|e| panic!("{e:#}"));
    let webhook = start(
        &cluster,
        &cluster.backend_auto_approve_kubeconfig(),
        &["--auto-approve-invites", "--auto-approve-renewals"],
        Scope::Everything,
    );
    let stolen = cluster
        .admin_kubectl_ok(&[
            "create",
            "token",
            "certdesk-auto",
            "-n",
            "certdesk",
            "--duration",
            "1h",
        ])
        .unwrap()
        .trim()
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    let thief = dir.path().join("thief.kubeconfig");
    cluster.write_token_kubeconfig(&thief, &stolen).unwrap();

    // The thief makes a kubeadm:cluster-admins CSR as CertDesk (label and all) and
    // approves it with kubectl: the API server asks the webhook, which refuses.
    let pem = e2e::tools::openssl_csr("/CN=mallory/O=kubeadm:cluster-admins").unwrap();
    let make = || {
        use base64::Engine as _;
        let name = unique("certdesk-stolen");
        let object = json!({
            "apiVersion": "certificates.k8s.io/v1",
            "kind": "CertificateSigningRequest",
            "metadata": { "name": name,
                "labels": { "app.kubernetes.io/managed-by": "certdesk" },
                "annotations": { "certdesk.dev/invite": "invite-made-up" } },
            "spec": {
                "request": base64::engine::general_purpose::STANDARD.encode(&pem),
                "signerName": "kubernetes.io/kube-apiserver-client",
                "usages": ["digital signature", "client auth"],
            },
        });
        let run = e2e::tools::kubectl(
            &thief,
            &["create", "-f", "-"],
            Some(object.to_string().as_bytes()),
        )
        .unwrap();
        assert!(run.success, "{}", run.stderr);
        name
    };
    let refused = first_refusal(&cluster, &stolen, make);
    assert!(
        refused.stderr.contains("CertDesk approves by itself only"),
        "{}",
        refused.stderr
    );
    // Through CertDesk's own API, the stolen token is just an approver without the
    // right to impersonate the group.
    let name = make();
    let (status, body) = webhook.server.curl(
        "POST",
        &format!("/api/v1/admin/requests/{name}/approve"),
        Some(&json!({})),
        Some(&stolen),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("identity_not_allowed")),
        "{body}"
    );
    assert!(!approved(&cluster, &name));

    // An invite for a username that is then bound to cluster-admin is not approved by
    // CertDesk; one whose username stays unbound is (so auto-approval works at all).
    let approver = cluster.approver_token().unwrap();
    let invite = |username: &str| {
        let (status, body) = webhook.server.curl(
            "POST",
            "/api/v1/admin/invites",
            Some(&json!({ "username": username, "groups": ["dev-team"],
                "expiration_seconds": 3600, "valid_for_seconds": 600 })),
            Some(&approver),
        );
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().unwrap().to_owned()
    };
    let submit = |username: &str, token: &str| {
        let key = shared::keys::generate(
            shared::KeyAlgorithm::EcdsaP256,
            &shared::Subject {
                username: username.to_owned(),
                groups: vec!["dev-team".to_owned()],
            },
        )
        .unwrap();
        let (status, body) = webhook.server.curl(
            "POST",
            "/api/v1/requests",
            Some(&json!({ "csr_pem": key.csr_pem, "expiration_seconds": 3600, "invite": token })),
            None,
        );
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    };
    let (later_admin, fine) = (unique("eve"), unique("minjun"));
    let (risky_token, fine_token) = (invite(&later_admin), invite(&fine));
    cluster
        .admin_kubectl_ok(&[
            "create",
            "clusterrolebinding",
            &later_admin,
            "--clusterrole=cluster-admin",
            &format!("--user={later_admin}"),
        ])
        .unwrap();
    let risky = submit(&later_admin, &risky_token);
    let fine = submit(&fine, &fine_token);
    let mut fine_approved = false;
    for _ in 0..100 {
        fine_approved = approved(&cluster, &fine);
        if fine_approved {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(fine_approved, "an unbound invitee is approved by CertDesk");
    assert!(
        !approved(&cluster, &risky),
        "a username bound after its invite is not auto-approved"
    );
    assert!(webhook.server.logs().contains("not approved automatically"));
    drop(webhook);
}

#[test]
fn a_forged_review_is_a_review_kube_reads() {
    let review: kube::core::admission::AdmissionReview<
        k8s_openapi::api::certificates::v1::CertificateSigningRequest,
    > = serde_json::from_str(&forged_review("m", "x")).unwrap();
    let request: kube::core::admission::AdmissionRequest<_> = review.try_into().unwrap();
    assert_eq!(request.user_info.username.as_deref(), Some("m"));
}
