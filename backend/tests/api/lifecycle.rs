//! The credential lifecycle against the real control plane: issuance records, invites,
//! renewal by proof of possession, removing access, and the audit Events.

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

#[tokio::test]
#[ignore = "needs cluster"]
async fn an_issued_request_has_one_record_that_outlives_its_csr_with_two_backends_running() {
    let cluster = cluster();
    // Two replicas, both following the same CSRs.
    let (one, two) = tokio::join!(
        TestApp::on_cluster(&cluster, &UNLIMITED),
        TestApp::on_cluster(&cluster, &UNLIMITED)
    );
    let role = cluster
        .create_pod_reader("default", &unique("reader"))
        .unwrap();
    let username = unique("recorded");
    let issued = issue(&one, &cluster, &username, pod_reader_grant(&role)).await;

    let record = wait_record(&cluster, &issued.id).await;
    let certificate = shared::inspect::inspect_certificate(&issued.certificate_pem).unwrap();
    assert_eq!(record.spec.username, username);
    assert_eq!(record.spec.serial, certificate.serial);
    assert_eq!(
        record.spec.sha256_fingerprint,
        certificate.sha256_fingerprint
    );
    assert_eq!(record.spec.not_after, certificate.not_after);
    assert_eq!(record.spec.approver.as_deref(), Some(APPROVER));
    assert_eq!(record.spec.namespace.as_deref(), Some("default"));
    assert_eq!(record.spec.requester.note.as_deref(), Some("for the tests"));
    assert_eq!(record.spec.bindings.len(), 1);
    assert_eq!(record.spec.bindings[0].role, role.name);
    assert!(!record.spec.certificate.contains("PRIVATE KEY"));
    // Exactly one record names this certificate, though both replicas saw it issued.
    let all = Api::<IssuedCertificate>::all(cluster.admin_client().await.unwrap())
        .list(&ListParams::default())
        .await
        .unwrap();
    let same: Vec<_> = all
        .items
        .iter()
        .filter(|r| r.spec.serial == certificate.serial)
        .collect();
    assert_eq!(same.len(), 1, "{same:?}");
    // `kubectl get issuedcertificates` prints the user, the expiry and the approver.
    let printed = cluster
        .admin_kubectl(&["get", "issuedcertificates", &issued.id])
        .unwrap();
    assert!(printed.success, "{}", printed.stderr);
    for column in ["USER", "EXPIRES", "APPROVER", &username, APPROVER] {
        assert!(
            printed.stdout.contains(column),
            "{column} in {}",
            printed.stdout
        );
    }

    // The cluster's cleaner deletes decided CSRs after an hour; do it now.
    Api::<CertificateSigningRequest>::all(cluster.admin_client().await.unwrap())
        .delete(&issued.id, &DeleteParams::default())
        .await
        .unwrap();
    for app in [&one, &two] {
        let status = app
            .wait_for_status(&issued.id, |s| {
                s["phase"] != "Gone" && s["certificate_pem"].is_string()
            })
            .await;
        assert_eq!(status["phase"], "Issued", "{status}");
        assert_eq!(status["certificate_pem"], issued.certificate_pem.as_str());
        assert_eq!(status["namespace"], "default");
    }

    // The audit trail: Events on the request and on the record.
    wait_events(
        &cluster,
        &issued.id,
        &["Submitted", "Approved", "Granted", "Issued"],
    )
    .await;
    let issued_events = event_reasons(&cluster, &issued.id)
        .await
        .into_iter()
        .filter(|r| r == "Issued")
        .count();
    assert_eq!(
        issued_events, 1,
        "one replica wrote the record, so one Issued Event"
    );
    let _ = Api::<IssuedCertificate>::all(cluster.admin_client().await.unwrap())
        .delete(&issued.id, &DeleteParams::default())
        .await;
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

#[tokio::test]
#[ignore = "needs cluster"]
async fn an_invite_locks_the_identity_is_single_use_and_refuses_revoked_expired_and_tampered_links()
{
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &UNLIMITED).await;
    let token = cluster.approver_token().unwrap();
    let role = cluster
        .create_pod_reader("default", &unique("reader"))
        .unwrap();
    let username = unique("invitee");
    let created = invite(
        &app,
        &token,
        serde_json::json!({
            "username": username, "groups": ["dev-team"], "grants": pod_reader_grant(&role),
            "expiration_seconds": HOUR, "valid_for_seconds": 3600,
        }),
    )
    .await;
    let link_token = created["token"].as_str().unwrap().to_owned();
    let name = created["invite"]["name"].as_str().unwrap().to_owned();
    assert_eq!(created["path"], format!("/#invite={link_token}"));
    assert_eq!(created["invite"]["created_by"], APPROVER);
    assert_eq!(created["invite"]["state"], "open");
    assert_eq!(created["invite"]["grants_bound"], false);
    // The cluster holds only the secret's hash.
    let object = Api::<Invite>::all(cluster.admin_client().await.unwrap())
        .get(&name)
        .await
        .unwrap();
    let secret = link_token.split_once('.').unwrap().1;
    assert!(!serde_json::to_string(&object).unwrap().contains(secret));

    let info = open_invite(&app, &link_token).await;
    info.assert_status(StatusCode::OK);
    assert_eq!(info.json()["username"], username.as_str());
    assert_eq!(info.json()["invited_by"], APPROVER);

    // A tampered secret, an unknown name and a malformed token are all the same refusal.
    let mut tampered = link_token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'a' { 'b' } else { 'a' });
    for bad in [
        tampered.as_str(),
        "invite-nosuchinvite.abcdef",
        "not-a-token",
    ] {
        open_invite(&app, bad)
            .await
            .assert_error(StatusCode::FORBIDDEN, "invite_invalid");
        let key = key_for(&username, &["dev-team"]);
        app.post_json(
            "/api/v1/requests",
            &submit_body(&key, HOUR, Some(bad)),
            None,
        )
        .await
        .assert_error(StatusCode::FORBIDDEN, "invite_invalid");
    }

    // Another identity, other groups, another lifetime: refused, and the invite stays open.
    for (key, seconds) in [
        (key_for("someone-else", &["dev-team"]), HOUR),
        (key_for(&username, &["qa"]), HOUR),
        (key_for(&username, &["dev-team"]), 2 * HOUR),
    ] {
        app.post_json(
            "/api/v1/requests",
            &submit_body(&key, seconds, Some(&link_token)),
            None,
        )
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invite_mismatch");
    }
    open_invite(&app, &link_token)
        .await
        .assert_status(StatusCode::OK);

    // The real use.
    let key = key_for(&username, &["dev-team"]);
    let response = app
        .post_json(
            "/api/v1/requests",
            &submit_body(&key, HOUR, Some(&link_token)),
            None,
        )
        .await;
    response.assert_status(StatusCode::CREATED);
    let id = response.json()["id"].as_str().unwrap().to_owned();
    // The approval page shows where it came from, and the invite's grants.
    let view = app
        .wait_listed(&token, |v| v["name"] == id.as_str())
        .await
        .unwrap();
    assert_eq!(view["invite"]["name"], name.as_str());
    assert_eq!(view["invite"]["created_by"], APPROVER);
    assert_eq!(view["invite"]["grants"][0]["name"], role.name.as_str());
    assert!(
        view["risks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "invite")
    );
    assert_eq!(view["phase"], "Pending", "auto-approval is off");

    // Single use: the same link again is refused, whatever is sent with it.
    let again = key_for(&username, &["dev-team"]);
    app.post_json(
        "/api/v1/requests",
        &submit_body(&again, HOUR, Some(&link_token)),
        None,
    )
    .await
    .assert_error(StatusCode::CONFLICT, "invite_used");
    open_invite(&app, &link_token)
        .await
        .assert_error(StatusCode::CONFLICT, "invite_used");
    let listed = app.get_with_token("/api/v1/admin/invites", &token).await;
    let entry = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name.as_str())
        .cloned()
        .unwrap();
    assert_eq!(entry["state"], "used");
    assert_eq!(entry["request"], id.as_str());
    // A used invite cannot be revoked.
    app.post_json(
        &format!("/api/v1/admin/invites/{name}/revoke"),
        &serde_json::json!({}),
        Some(&token),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");

    // Revoked: refused.
    let revoked = invite(
        &app,
        &token,
        serde_json::json!({ "username": username, "expiration_seconds": HOUR, "valid_for_seconds": 3600 }),
    )
    .await;
    let revoked_name = revoked["invite"]["name"].as_str().unwrap();
    let answer = app
        .post_json(
            &format!("/api/v1/admin/invites/{revoked_name}/revoke"),
            &serde_json::json!({}),
            Some(&token),
        )
        .await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.json()["state"], "revoked");
    assert_eq!(answer.json()["revoked_by"], APPROVER);
    let key = key_for(&username, &[]);
    app.post_json(
        "/api/v1/requests",
        &submit_body(&key, HOUR, revoked["token"].as_str()),
        None,
    )
    .await
    .assert_error(StatusCode::GONE, "invite_revoked");

    // Expired: an invite whose link ran out (made directly, with a known secret).
    let expired_name = format!("invite-{}", unique("exp").replace('-', ""));
    let secret = "expiredsecret";
    let mut expired = Invite::new(
        &expired_name,
        InviteSpec {
            username: username.clone(),
            groups: vec![],
            grants: vec![],
            bindings: vec![],
            expiration_seconds: HOUR,
            expires_at: time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
            token_sha256: data_encoding::HEXLOWER
                .encode(ring::digest::digest(&ring::digest::SHA256, secret.as_bytes()).as_ref()),
            // The admission policy lets only the creating user be named.
            created_by: "certdesk-local-admin".to_owned(),
            created_by_groups: vec![],
        },
    );
    expired.metadata.labels = None;
    Api::<Invite>::all(cluster.admin_client().await.unwrap())
        .create(&PostParams::default(), &expired)
        .await
        .unwrap();
    let expired_token = format!("{expired_name}.{secret}");
    app.post_json(
        "/api/v1/requests",
        &submit_body(&key, HOUR, Some(&expired_token)),
        None,
    )
    .await
    .assert_error(StatusCode::GONE, "invite_expired");

    // An approver without the right to invite is refused by the cluster itself.
    let stranger = cluster.token_without_rights(&unique("no-invite")).unwrap();
    app.post_json(
        "/api/v1/admin/invites",
        &serde_json::json!({ "username": username, "expiration_seconds": HOUR, "valid_for_seconds": 3600 }),
        Some(&stranger),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");

    // A portal that takes invites only refuses a plain request.
    let invite_only = TestApp::on_cluster(&cluster, &["--invite-required"]).await;
    invite_only
        .post_json("/api/v1/requests", &submit_body(&key, HOUR, None), None)
        .await
        .assert_error(StatusCode::FORBIDDEN, "invite_required");
    wait_events(&cluster, &name, &["InviteCreated", "InviteUsed"]).await;
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn with_auto_approval_an_invited_request_is_issued_with_the_invites_grants() {
    let cluster = cluster();
    let app = auto_approving(&cluster, "--auto-approve-invites").await;
    let token = cluster.approver_token().unwrap();
    let role = cluster
        .create_pod_reader("default", &unique("reader"))
        .unwrap();
    let username = unique("auto-invitee");
    let created = invite(
        &app,
        &token,
        serde_json::json!({
            "username": username, "grants": pod_reader_grant(&role),
            "expiration_seconds": HOUR, "valid_for_seconds": 600,
        }),
    )
    .await;
    assert_eq!(created["invite"]["grants_bound"], true);
    // The grant was made with the approver's credentials when the invite was made.
    assert!(
        cluster
            .can_i(&username, &[], "list", "pods", "default")
            .unwrap()
    );
    let link = created["token"].as_str().unwrap();
    assert_eq!(open_invite(&app, link).await.json()["auto_approved"], true);

    let key = key_for(&username, &[]);
    let response = app
        .post_json(
            "/api/v1/requests",
            &submit_body(&key, HOUR, Some(link)),
            None,
        )
        .await;
    response.assert_status(StatusCode::CREATED);
    let id = response.json()["id"].as_str().unwrap().to_owned();
    let certificate_pem = wait_issued(&app, &id).await;
    let status = app.get(&format!("/api/v1/requests/{id}")).await.json();
    assert_eq!(status["reason"], "CertDeskAutoApprove");
    assert_eq!(status["namespace"], "default");
    let issued = Issued {
        id: id.clone(),
        key,
        certificate_pem,
        username: username.clone(),
    };
    let file = kubeconfig(&cluster, &issued);
    let (ok, output) = can_get_pods(&file);
    assert!(ok, "{output}");
    let record = wait_record(&cluster, &id).await;
    assert_eq!(
        record.spec.invite.as_deref(),
        created["invite"]["name"].as_str()
    );
    assert!(record.spec.approver.unwrap().contains(APPROVER));

    // Revoking an unused invite removes the grant made with it.
    let unused = invite(
        &app,
        &token,
        serde_json::json!({
            "username": unique("never-came"), "grants": pod_reader_grant(&role),
            "expiration_seconds": HOUR, "valid_for_seconds": 600,
        }),
    )
    .await;
    let never = unused["invite"]["username"].as_str().unwrap().to_owned();
    assert!(
        cluster
            .can_i(&never, &[], "list", "pods", "default")
            .unwrap()
    );
    let unused_name = unused["invite"]["name"].as_str().unwrap();
    app.post_json(
        &format!("/api/v1/admin/invites/{unused_name}/revoke"),
        &serde_json::json!({}),
        Some(&token),
    )
    .await
    .assert_status(StatusCode::OK);
    assert!(
        !cluster
            .can_i(&never, &[], "list", "pods", "default")
            .unwrap()
    );
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

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_renewal_needs_this_cas_live_certificate_the_same_subject_its_key_and_a_fresh_challenge()
{
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &UNLIMITED).await;
    let token = cluster.approver_token().unwrap();
    let username = unique("renewer");
    let issued = issue(&app, &cluster, &username, serde_json::json!([])).await;
    wait_record(&cluster, &issued.id).await;
    let serial = shared::inspect::inspect_certificate(&issued.certificate_pem)
        .unwrap()
        .serial;

    // The good renewal.
    let new_key = key_for(&username, &[]);
    let body = renewal(&app, &issued.certificate_pem, &new_key, &issued.key).await;
    let response = app.post_json("/api/v1/renewals", &body, None).await;
    response.assert_status(StatusCode::CREATED);
    let id = response.json()["id"].as_str().unwrap().to_owned();
    let view = app
        .wait_listed(&token, |v| v["name"] == id.as_str())
        .await
        .unwrap();
    assert_eq!(view["renewal_of"], serial.as_str());
    let flag = view["risks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "renewal")
        .cloned()
        .unwrap();
    assert_eq!(flag["severity"], "info");
    assert_eq!(view["phase"], "Pending", "renewal auto-approval is off");
    wait_events(&cluster, &id, &["RenewalRequested"]).await;

    // The same challenge again (a replayed request, or another CSR with it).
    app.post_json("/api/v1/renewals", &body, None)
        .await
        .assert_error(StatusCode::CONFLICT, "renewal_challenge_replayed");

    // A proof signed by another key.
    let stranger = key_for(&username, &[]);
    let body = renewal(&app, &issued.certificate_pem, &new_key, &stranger).await;
    let refused = app
        .post_json("/api/v1/renewals", &body, None)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "renewal_proof_invalid");
    assert_eq!(refused["details"]["reason"], "proof_does_not_verify");

    // Another subject.
    let other = key_for(&format!("{username}-x"), &[]);
    let body = renewal(&app, &issued.certificate_pem, &other, &issued.key).await;
    app.post_json("/api/v1/renewals", &body, None)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "renewal_subject_mismatch");

    // A challenge CertDesk did not issue.
    let mut body = renewal(&app, &issued.certificate_pem, &new_key, &issued.key).await;
    body["challenge"] = serde_json::json!("AAAA");
    app.post_json("/api/v1/renewals", &body, None)
        .await
        .assert_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "renewal_challenge_invalid",
        );

    // Certificates made with openssl: by another CA, and by this CA but expired.
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let openssl = |args: &[&str]| e2e::tools::ok("openssl", args, None).unwrap();
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        &path("old.key"),
    ]);
    openssl(&[
        "req",
        "-new",
        "-key",
        &path("old.key"),
        "-subj",
        &format!("/CN={username}"),
        "-out",
        &path("old.csr"),
    ]);
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        &path("other-ca.key"),
        "-subj",
        "/CN=another-ca",
        "-days",
        "1",
        "-out",
        &path("other-ca.crt"),
    ]);
    let ca_key = cluster.ca_key_path();
    let ca_crt = cluster.dir().join("ca.crt");
    for (name, ca, key, days, code) in [
        (
            "foreign.crt",
            path("other-ca.crt"),
            path("other-ca.key"),
            "1",
            "renewal_wrong_ca",
        ),
        (
            "expired.crt",
            ca_crt.to_str().unwrap().to_owned(),
            ca_key.to_str().unwrap().to_owned(),
            "-1",
            "renewal_certificate_expired",
        ),
    ] {
        openssl(&[
            "x509",
            "-req",
            "-in",
            &path("old.csr"),
            "-CA",
            &ca,
            "-CAkey",
            &key,
            "-set_serial",
            "7",
            "-days",
            days,
            "-out",
            &path(name),
        ]);
        let certificate = std::fs::read_to_string(path(name)).unwrap();
        let old_key =
            shared::keys::PrivateKey::from_pem(&std::fs::read_to_string(path("old.key")).unwrap())
                .unwrap();
        let challenge = app
            .post_json("/api/v1/renewals/challenge", &serde_json::json!({}), None)
            .await
            .json();
        let challenge = challenge["challenge"].as_str().unwrap();
        let proof = shared::renewal::sign_proof(&old_key, challenge, &new_key.csr_pem).unwrap();
        let body = serde_json::json!({
            "csr_pem": new_key.csr_pem, "expiration_seconds": HOUR,
            "certificate_pem": certificate, "challenge": challenge, "proof": proof,
        });
        app.post_json("/api/v1/renewals", &body, None)
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, code);
    }
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn removing_access_takes_the_bindings_away_marks_the_records_and_stops_renewal() {
    let cluster = cluster();
    let app = auto_approving(&cluster, "--auto-approve-renewals").await;
    let token = cluster.approver_token().unwrap();
    let role = cluster
        .create_pod_reader("default", &unique("reader"))
        .unwrap();
    let username = unique("leaver");
    let issued = issue(&app, &cluster, &username, pod_reader_grant(&role)).await;
    let file = kubeconfig(&cluster, &issued);
    let (ok, output) = can_get_pods(&file);
    assert!(ok, "{output}");
    wait_record(&cluster, &issued.id).await;

    // A renewal of a live CertDesk certificate is approved at once, and works. It asks
    // for thirty days; it gets no longer than the certificate it renews (an hour).
    let new_key = key_for(&username, &[]);
    let mut body = renewal(&app, &issued.certificate_pem, &new_key, &issued.key).await;
    body["expiration_seconds"] = serde_json::json!(30 * 24 * HOUR);
    let response = app.post_json("/api/v1/renewals", &body, None).await;
    response.assert_status(StatusCode::CREATED);
    let renewed_id = response.json()["id"].as_str().unwrap().to_owned();
    let renewed = Issued {
        certificate_pem: wait_issued(&app, &renewed_id).await,
        id: renewed_id.clone(),
        key: new_key,
        username: username.clone(),
    };
    let lifetime = |pem: &str| {
        let certificate = shared::inspect::inspect_certificate(pem).unwrap();
        (certificate.not_after - certificate.not_before).whole_seconds()
    };
    assert!(
        lifetime(&renewed.certificate_pem) <= lifetime(&issued.certificate_pem),
        "the renewal outlives the certificate it renews"
    );
    let renewed_file = kubeconfig(&cluster, &renewed);
    let (ok, output) = can_get_pods(&renewed_file);
    assert!(
        ok,
        "the renewed certificate keeps the user's grants: {output}"
    );
    let renewed_record = wait_record(&cluster, &renewed_id).await;
    assert!(renewed_record.spec.renewal_of.is_some());

    // The People view lists them with both certificates and the binding.
    let people = app.get_with_token("/api/v1/admin/people", &token).await;
    people.assert_status(StatusCode::OK);
    let person = people
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["username"] == username.as_str())
        .cloned()
        .unwrap();
    assert_eq!(
        person["certificates"].as_array().unwrap().len(),
        2,
        "{person}"
    );
    assert_eq!(person["bindings"][0]["role"], role.name.as_str());

    let outcome = app
        .post_json(
            &format!("/api/v1/admin/people/{username}/remove-access"),
            &serde_json::json!({}),
            Some(&token),
        )
        .await;
    outcome.assert_status(StatusCode::OK);
    let outcome = outcome.json();
    assert_eq!(outcome["complete"], true, "{outcome}");
    assert_eq!(outcome["bindings"][0]["removed"], true);
    assert_eq!(outcome["records_marked"].as_array().unwrap().len(), 2);
    assert!(outcome["authenticates_until"].is_string());

    // Real kubectl with the old kubeconfigs: still authenticated, no longer allowed.
    for file in [&file, &renewed_file] {
        let (ok, output) = can_get_pods(file);
        assert!(!ok && output.contains("Forbidden"), "{output}");
    }
    let (name, _) = e2e::kubeconfig::Kubeconfig::at(&file.path)
        .whoami()
        .unwrap();
    assert_eq!(
        name, username,
        "the certificate still authenticates until it expires"
    );

    let people = app
        .get_with_token("/api/v1/admin/people", &token)
        .await
        .json();
    let person = people
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["username"] == username.as_str())
        .cloned()
        .unwrap();
    assert!(person["bindings"].as_array().unwrap().is_empty());
    assert!(
        person["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["access_removed"]["by"] == APPROVER)
    );
    wait_events(&cluster, &issued.id, &["AccessRemoved"]).await;

    // A removed user cannot renew themselves back in (the record is read afresh, not
    // from the cache, so this holds the moment access is removed).
    let again = key_for(&username, &[]);
    let body = renewal(&app, &renewed.certificate_pem, &again, &renewed.key).await;
    app.post_json("/api/v1/renewals", &body, None)
        .await
        .assert_error(StatusCode::FORBIDDEN, "renewal_access_removed");

    // Nor with the same certificate re-encoded outside its signed part (another valid
    // encoding of the CA's signature): a certificate is known by issuer and serial.
    let reencoded = reencode_signature(&renewed.certificate_pem);
    let (original, copy) = (
        shared::inspect::inspect_certificate(&renewed.certificate_pem).unwrap(),
        shared::inspect::inspect_certificate(&reencoded).unwrap(),
    );
    assert_ne!(original.sha256_fingerprint, copy.sha256_fingerprint);
    assert_eq!(original.serial, copy.serial);
    let body = renewal(&app, &reencoded, &again, &renewed.key).await;
    app.post_json("/api/v1/renewals", &body, None)
        .await
        .assert_error(StatusCode::FORBIDDEN, "renewal_access_removed");
}

/// Returns the certificate with its ECDSA signature (r, s) re-encoded as (r, n - s):
/// another valid signature by the same key over the same signed part, so the
/// certificate verifies against its CA while its DER (and fingerprint) differ.
fn reencode_signature(pem_text: &str) -> String {
    // The order of the P-256 group (the local control plane's CA key is P-256).
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    let der = pem::parse(pem_text).unwrap().into_contents();
    let (outer, _) = tlv(&der);
    let (tbs, rest) = element(outer);
    let (algorithm, rest) = element(rest);
    let (bits, _) = tlv(rest);
    let (signature, _) = tlv(&bits[1..]);
    let (r, rest) = element(signature);
    let (s, _) = tlv(rest);
    let mut wide = [0u8; 32];
    let s = &s[s.len().saturating_sub(32)..];
    wide[32 - s.len()..].copy_from_slice(s);
    let mut flipped = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut digit = i16::from(N[i]) - i16::from(wide[i]) - borrow;
        borrow = i16::from(digit < 0);
        if digit < 0 {
            digit += 256;
        }
        flipped[i] = digit as u8;
    }
    let mut minimal: Vec<u8> = flipped.iter().copied().skip_while(|b| *b == 0).collect();
    if minimal.first().is_some_and(|b| b & 0x80 != 0) {
        minimal.insert(0, 0);
    }
    let signature = encode(0x30, &[r.to_vec(), encode(0x02, &minimal)].concat());
    let bits = encode(0x03, &[vec![0], signature].concat());
    let certificate = encode(0x30, &[tbs.to_vec(), algorithm.to_vec(), bits].concat());
    pem::encode(&pem::Pem::new("CERTIFICATE", certificate))
}

/// Splits a DER element into its contents and what follows it.
fn tlv(der: &[u8]) -> (&[u8], &[u8]) {
    let (length, header) = match der[1] {
        short if short < 0x80 => (usize::from(short), 2),
        long => {
            let count = usize::from(long & 0x7f);
            let length = der[2..2 + count]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (length, 2 + count)
        }
    };
    (&der[header..header + length], &der[header + length..])
}

/// Splits a DER element, header included, from what follows it.
fn element(der: &[u8]) -> (&[u8], &[u8]) {
    let (contents, rest) = tlv(der);
    let whole = der.len() - rest.len();
    debug_assert!(whole >= contents.len());
    (&der[..whole], rest)
}

fn encode(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match contents.len() {
        short @ 0..=0x7f => out.push(short as u8),
        long => {
            let bytes: Vec<u8> = long
                .to_be_bytes()
                .iter()
                .copied()
                .skip_while(|b| *b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
    }
    out.extend_from_slice(contents);
    out
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn the_people_view_and_remove_access_are_the_clusters_decision() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &UNLIMITED).await;
    let stranger = cluster.token_without_rights(&unique("no-people")).unwrap();
    app.get_with_token("/api/v1/admin/people", &stranger)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let token = cluster.approver_token().unwrap();
    app.post_json(
        "/api/v1/admin/people/nobody-at-all/remove-access",
        &serde_json::json!({}),
        Some(&token),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[test]
#[ignore = "needs cluster"]
fn every_action_is_one_json_audit_line_with_the_request_the_actor_and_the_subject() {
    let cluster = cluster();
    // The real binary, logging as an operator would collect it.
    let server = Server::start(&cluster, "info", &["--log-format", "json"]);
    let token = cluster.approver_token().unwrap();
    let username = unique("audited");
    let key = key_for(&username, &[]);
    let (status, ticket) = server.curl(
        "POST",
        "/api/v1/requests",
        Some(&submit_body(&key, HOUR, None)),
        None,
    );
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap().to_owned();
    let deny = serde_json::json!({ "reason": "not this one" });
    let denied = (0..100).any(|_| {
        // The approver's deny needs the CSR in the API server, not in the cache.
        let (status, _) = server.curl(
            "POST",
            &format!("/api/v1/admin/requests/{id}/deny"),
            Some(&deny),
            Some(&token),
        );
        status == 204
    });
    assert!(denied);

    let logs = server.logs();
    let audit: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| {
            line["target"] == "certdesk::audit" && line["fields"]["request"] == id.as_str()
        })
        .collect();
    let actions: Vec<&str> = audit
        .iter()
        .filter_map(|l| l["fields"]["action"].as_str())
        .collect();
    assert_eq!(actions, ["Submitted", "Denied"], "{logs}");
    assert_eq!(audit[0]["fields"]["actor"], "requester");
    assert_eq!(audit[1]["fields"]["actor"], APPROVER);
    assert!(
        audit
            .iter()
            .all(|l| l["fields"]["subject"] == username.as_str()),
        "{audit:?}"
    );
    assert!(
        audit[1]["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("not this one")
    );
    assert!(!logs.contains(&token));
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
