//! The wire format of the API types, as the browser and the backend both rely on it.

use shared::{KeyAlgorithm, Phase, RequestId, RequestStatus, SubmitRequest};
use time::macros::datetime;

#[test]
fn request_status_serializes_with_rfc3339_times_and_omits_empty_fields() {
    let status = RequestStatus {
        id: RequestId("certdesk-minjun-abc".into()),
        phase: Phase::Issued,
        reason: None,
        message: None,
        certificate_pem: Some("-----BEGIN CERTIFICATE-----".into()),
        not_after: Some(datetime!(2026-12-22 10:00:00 UTC)),
        namespace: None,
        not_issued: None,
        lifetime_cut: None,
        grants: vec![],
        submitted_at: Some(datetime!(2026-12-21 09:00:00 UTC)),
        requested_seconds: None,
        note: None,
        typical_wait_seconds: None,
    };
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["phase"], "Issued");
    assert_eq!(json["not_after"], "2026-12-22T10:00:00Z");
    assert!(json.get("reason").is_none());
    assert!(json.get("namespace").is_none());
    assert!(json.get("grants").is_none());
    assert_eq!(json["submitted_at"], "2026-12-21T09:00:00Z");
    let back: RequestStatus = serde_json::from_value(json).unwrap();
    assert_eq!(back, status);
}

#[test]
fn a_submission_with_an_unknown_field_is_refused() {
    // A client that tries to send anything beside the CSR (a key, say) gets an error.
    let body = r#"{"csr_pem":"x","expiration_seconds":600,"private_key":"secret"}"#;
    assert!(serde_json::from_str::<SubmitRequest>(body).is_err());
}

#[test]
fn key_algorithms_use_kebab_case_names() {
    assert_eq!(
        serde_json::to_string(&KeyAlgorithm::EcdsaP256).unwrap(),
        "\"ecdsa-p256\""
    );
    assert_eq!(
        serde_json::to_string(&KeyAlgorithm::Rsa4096).unwrap(),
        "\"rsa4096\""
    );
    assert!(KeyAlgorithm::Rsa2048.is_rsa());
    assert!(!KeyAlgorithm::Ed25519.is_rsa());
}

#[test]
fn final_phases_are_the_ones_that_cannot_change() {
    assert!(!Phase::Pending.is_final());
    assert!(!Phase::Approved.is_final());
    assert!(Phase::Issued.is_final());
    assert!(Phase::Gone.is_final());
}
