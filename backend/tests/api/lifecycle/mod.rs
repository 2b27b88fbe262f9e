//! The credential lifecycle against the real control plane, a file a feature: issuance
//! records, invites, renewal by proof of possession, removing access, and the audit
//! trail. The helpers they share are here.

mod audit;
mod invites;
mod records;
mod removal;
mod renewal;

use axum::http::StatusCode;
use backend::cluster::resources::{Invite, InviteSpec, IssuedCertificate};
use e2e::cluster::{ControlPlane, TempRole};
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use k8s_openapi::api::events::v1::Event;
use kube::Api;
use kube::api::{DeleteParams, ListParams, PostParams};
use shared::KeyAlgorithm;
use shared::keys::{GeneratedKey, Subject, generate};
use shared::kubeconfig::{Credentials, Kubeconfig};
use tempfile::TempDir;

use crate::helpers::{Server, TestApp, unique};

const HOUR: u32 = 3600;
const APPROVER: &str = "system:serviceaccount:certdesk:certdesk-approver";
/// These tests send many submissions from one (absent) address; the limiter is tested
/// elsewhere.
const UNLIMITED: [&str; 4] = ["--submit-per-minute", "100000", "--submit-burst", "10000"];

fn cluster() -> ControlPlane {
    ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"))
}

/// A certificate the cluster issued through CertDesk, with its key.
struct Issued {
    id: String,
    key: GeneratedKey,
    certificate_pem: String,
    username: String,
}

/// A backend acting as the local identity that may approve, with `flag` on.
async fn auto_approving(cluster: &ControlPlane, flag: &str) -> TestApp {
    let flags = [&UNLIMITED[..], &[flag]].concat();
    TestApp::on_cluster_as(&cluster.backend_auto_approve_kubeconfig(), &flags).await
}

fn key_for(username: &str, groups: &[&str]) -> GeneratedKey {
    let subject = Subject {
        username: username.to_owned(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    };
    generate(KeyAlgorithm::EcdsaP256, &subject).unwrap()
}

async fn wait_issued(app: &TestApp, id: &str) -> String {
    let status = app.wait_for_status(id, |s| s["phase"] == "Issued").await;
    status["certificate_pem"].as_str().unwrap().to_owned()
}

/// Submits a fresh request and approves it as the approver with `grants`.
async fn issue(
    app: &TestApp,
    cluster: &ControlPlane,
    username: &str,
    grants: serde_json::Value,
) -> Issued {
    let key = key_for(username, &[]);
    let id = app.submit(&key.csr_pem, HOUR).await;
    let token = cluster.approver_token().unwrap();
    app.wait_listed(&token, |v| v["name"] == id.as_str())
        .await
        .unwrap();
    app.approve(&id, &serde_json::json!({ "grants": grants }), &token)
        .await
        .assert_status(StatusCode::OK);
    let certificate_pem = wait_issued(app, &id).await;
    Issued {
        id,
        key,
        certificate_pem,
        username: username.to_owned(),
    }
}

/// A kubeconfig file for the issued certificate, for real kubectl.
struct KubeconfigFile {
    _dir: TempDir,
    path: std::path::PathBuf,
}

fn kubeconfig(cluster: &ControlPlane, issued: &Issued) -> KubeconfigFile {
    let (server, ca) = (cluster.server().unwrap(), cluster.ca_pem().unwrap());
    let yaml = Kubeconfig::for_user(Credentials {
        cluster_name: "local",
        server_url: &server,
        ca_pem: &ca,
        certificate_pem: &issued.certificate_pem,
        private_key_pem: issued.key.private_key.pkcs8_pem(),
        username: &issued.username,
        namespace: "default",
    })
    .to_yaml()
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, yaml.as_bytes()).unwrap();
    KubeconfigFile { _dir: dir, path }
}

fn can_get_pods(file: &KubeconfigFile) -> (bool, String) {
    let run = e2e::tools::kubectl(&file.path, &["get", "pods", "-n", "default"], None).unwrap();
    (run.success, format!("{}{}", run.stdout, run.stderr))
}

fn pod_reader_grant(role: &TempRole) -> serde_json::Value {
    serde_json::json!([{ "kind": "Role", "name": role.name, "namespace": role.namespace }])
}

async fn record(cluster: &ControlPlane, name: &str) -> Option<IssuedCertificate> {
    Api::<IssuedCertificate>::all(cluster.admin_client().await.unwrap())
        .get_opt(name)
        .await
        .unwrap()
}

async fn wait_record(cluster: &ControlPlane, name: &str) -> IssuedCertificate {
    for _ in 0..150 {
        if let Some(record) = record(cluster, name).await {
            return record;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("no IssuedCertificate {name} within 30 s");
}

/// The reasons of the audit Events about the object `name`.
async fn event_reasons(cluster: &ControlPlane, name: &str) -> Vec<String> {
    let events = Api::<Event>::namespaced(cluster.admin_client().await.unwrap(), "default")
        .list(&ListParams::default())
        .await
        .unwrap();
    events
        .items
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .filter_map(|e| e.reason)
        .collect()
}

async fn wait_events(cluster: &ControlPlane, name: &str, wanted: &[&str]) -> Vec<String> {
    let mut reasons = Vec::new();
    for _ in 0..100 {
        reasons = event_reasons(cluster, name).await;
        if wanted.iter().all(|w| reasons.iter().any(|r| r == w)) {
            return reasons;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("Events about {name} are {reasons:?}, wanted {wanted:?}");
}

/// `POST /api/v1/admin/invites` as the approver; returns the answer's JSON.
async fn invite(app: &TestApp, token: &str, body: serde_json::Value) -> serde_json::Value {
    let response = app
        .post_json("/api/v1/admin/invites", &body, Some(token))
        .await;
    response.assert_status(StatusCode::CREATED);
    response.json()
}

fn submit_body(key: &GeneratedKey, seconds: u32, invite: Option<&str>) -> serde_json::Value {
    serde_json::json!({ "csr_pem": key.csr_pem, "expiration_seconds": seconds, "invite": invite })
}

/// A renewal body for `issued`, signed with `signer` (normally the issued key).
async fn renewal(
    app: &TestApp,
    certificate_pem: &str,
    new_key: &GeneratedKey,
    signer: &GeneratedKey,
) -> serde_json::Value {
    let challenge = app
        .post_json("/api/v1/renewals/challenge", &serde_json::json!({}), None)
        .await;
    challenge.assert_status(StatusCode::OK);
    let challenge = challenge.json()["challenge"].as_str().unwrap().to_owned();
    let proof =
        shared::renewal::sign_proof(&signer.private_key, &challenge, &new_key.csr_pem).unwrap();
    serde_json::json!({
        "csr_pem": new_key.csr_pem, "expiration_seconds": HOUR,
        "certificate_pem": certificate_pem, "challenge": challenge, "proof": proof,
    })
}

/// `POST /api/v1/invites/open` with the link's token in the body.
async fn open_invite(app: &TestApp, token: &str) -> crate::helpers::TestResponse {
    app.post_json(
        "/api/v1/invites/open",
        &serde_json::json!({ "token": token }),
        None,
    )
    .await
}
