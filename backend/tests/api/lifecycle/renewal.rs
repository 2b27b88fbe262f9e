//! Renewal by proof of possession of a live certificate's key.

use super::*;

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
