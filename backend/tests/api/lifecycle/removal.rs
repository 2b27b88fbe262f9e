//! Removing a person's access, and the People view, as the cluster decides.

use super::*;

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
    body["expiration_seconds"] = serde_json::json!(7 * 24 * HOUR);
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
    let nobody = unique("nobody");
    let remove = format!("/api/v1/admin/people/{nobody}/remove-access");
    app.post_json(&remove, &serde_json::json!({}), Some(&stranger))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    // A username CertDesk never issued to can be removed too: its future requests are
    // refused until an approver restores it.
    let token = cluster.approver_token().unwrap();
    app.post_json(&remove, &serde_json::json!({}), Some(&token))
        .await
        .assert_status(StatusCode::OK);
    let people = app
        .get_with_token("/api/v1/admin/people", &token)
        .await
        .json();
    let person = people
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["username"] == nobody.as_str())
        .unwrap_or_else(|| panic!("{people}"));
    assert_eq!(person["access_removed"]["by"], APPROVER, "{person}");
    let key = key_for(&nobody, &[]);
    app.post_json("/api/v1/requests", &submit_body(&key, HOUR, None), None)
        .await
        .assert_error(StatusCode::FORBIDDEN, "access_removed");
    app.post_json(
        &format!("/api/v1/admin/people/{nobody}/restore-access"),
        &serde_json::json!({}),
        Some(&token),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    let id = app.submit(&key.csr_pem, HOUR).await;
    assert!(id.starts_with("certdesk-"), "{id}");
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_pending_renewal_is_denied_at_once_and_nothing_is_taken_until_restored() {
    let cluster = cluster();
    // Renewals wait for an approver here, so one is pending when access is removed.
    let app = TestApp::on_cluster(&cluster, &UNLIMITED).await;
    let token = cluster.approver_token().unwrap();
    let username = unique("leaving");
    let issued = issue(&app, &cluster, &username, serde_json::json!([])).await;
    let new_key = key_for(&username, &[]);
    let body = renewal(&app, &issued.certificate_pem, &new_key, &issued.key).await;
    let response = app.post_json("/api/v1/renewals", &body, None).await;
    response.assert_status(StatusCode::CREATED);
    let pending = response.json()["id"].as_str().unwrap().to_owned();
    app.wait_for_status(&pending, |s| s["phase"] == "Pending")
        .await;

    let outcome = app
        .post_json(
            &format!("/api/v1/admin/people/{username}/remove-access"),
            &serde_json::json!({}),
            Some(&token),
        )
        .await;
    outcome.assert_status(StatusCode::OK);
    let outcome = outcome.json();
    assert_eq!(
        outcome["requests_denied"],
        serde_json::json!([pending]),
        "{outcome}"
    );
    // Denied in the cluster itself, at once: no approver can approve it afterwards.
    let (conditions, _) = cluster.csr_conditions(&pending).unwrap();
    assert_eq!(conditions, ["Denied"]);
    app.approve(&pending, &serde_json::json!({}), &token)
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");

    // While removed: no new request, no renewal.
    let again = key_for(&username, &[]);
    let response = app
        .post_json(
            "/api/v1/requests",
            &serde_json::json!({ "csr_pem": again.csr_pem, "expiration_seconds": HOUR }),
            None,
        )
        .await;
    response.assert_error(StatusCode::FORBIDDEN, "access_removed");
    let body = renewal(&app, &issued.certificate_pem, &again, &issued.key).await;
    app.post_json("/api/v1/renewals", &body, None)
        .await
        .assert_error(StatusCode::FORBIDDEN, "renewal_access_removed");

    // Restored (by an approver): renewals are taken again.
    app.post_json(
        &format!("/api/v1/admin/people/{username}/restore-access"),
        &serde_json::json!({}),
        Some(&token),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    let body = renewal(&app, &issued.certificate_pem, &again, &issued.key).await;
    app.post_json("/api/v1/renewals", &body, None)
        .await
        .assert_status(StatusCode::CREATED);
}
