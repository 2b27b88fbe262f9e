//! One issuance record per certificate, outliving its CSR, with its audit Events.

use super::*;

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
