//! Key and CSR generation in a real browser (headless Chromium through
//! `wasm-bindgen-test-runner`): randomness from `crypto.getRandomValues`, every
//! algorithm, read back by the same decoder the backend runs.
#![cfg(target_arch = "wasm32")]

use shared::inspect::{EcCurve, PublicKeyInfo, inspect_csr};
use shared::keys::{PrivateKey, Subject, generate};
use shared::policy::check;
use shared::{KeyAlgorithm, PolicyLimits};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn expected_public_key(algorithm: KeyAlgorithm) -> PublicKeyInfo {
    match algorithm {
        KeyAlgorithm::EcdsaP256 => PublicKeyInfo::Ecdsa {
            curve: EcCurve::P256,
        },
        KeyAlgorithm::EcdsaP384 => PublicKeyInfo::Ecdsa {
            curve: EcCurve::P384,
        },
        KeyAlgorithm::Ed25519 => PublicKeyInfo::Ed25519,
        KeyAlgorithm::Rsa2048 => PublicKeyInfo::Rsa { bits: 2048 },
        KeyAlgorithm::Rsa3072 => PublicKeyInfo::Rsa { bits: 3072 },
        KeyAlgorithm::Rsa4096 => PublicKeyInfo::Rsa { bits: 4096 },
    }
}

fn generates_and_reads_back(algorithm: KeyAlgorithm) {
    let subject = Subject {
        username: "minjun".into(),
        groups: vec!["dev-team".into(), "ops".into()],
    };
    let key = generate(algorithm, &subject).unwrap();
    // inspect_csr fails unless the self-signature verifies.
    let info = inspect_csr(&key.csr_pem).unwrap();
    assert_eq!(info.common_name, "minjun");
    assert_eq!(info.organizations, ["dev-team", "ops"]);
    assert_eq!(info.public_key, expected_public_key(algorithm));
    assert!(
        check(
            &info,
            &test_limits(),
            &KeyAlgorithm::ALL,
            &shared::names::NameIndex::new()
        )
        .is_empty()
    );
    let restored = PrivateKey::from_pkcs8_pem(key.private_key.pkcs8_pem()).unwrap();
    assert_eq!(restored.pkcs8_der(), key.private_key.pkcs8_der());
    // A second key is different: the browser's randomness is in use. (RSA keys are
    // slow to make in a debug build, and their primes come from the same source.)
    if !algorithm.is_rsa() {
        let other = generate(algorithm, &subject).unwrap();
        assert_ne!(other.private_key.pkcs8_der(), key.private_key.pkcs8_der());
    }
}

#[wasm_bindgen_test]
fn ecdsa_p256_in_the_browser() {
    generates_and_reads_back(KeyAlgorithm::EcdsaP256);
}

#[wasm_bindgen_test]
fn ecdsa_p384_in_the_browser() {
    generates_and_reads_back(KeyAlgorithm::EcdsaP384);
}

#[wasm_bindgen_test]
fn ed25519_in_the_browser() {
    generates_and_reads_back(KeyAlgorithm::Ed25519);
}

#[wasm_bindgen_test]
fn rsa_2048_in_the_browser() {
    generates_and_reads_back(KeyAlgorithm::Rsa2048);
}

#[wasm_bindgen_test]
fn rsa_3072_in_the_browser() {
    generates_and_reads_back(KeyAlgorithm::Rsa3072);
}

#[wasm_bindgen_test]
fn rsa_4096_in_the_browser() {
    generates_and_reads_back(KeyAlgorithm::Rsa4096);
}

/// The default policy, with the groups these tests' CSRs ask for offered.
fn test_limits() -> PolicyLimits {
    PolicyLimits {
        allowed_groups: vec!["dev-team".to_owned(), "qa".to_owned(), "ops".to_owned()],
        ..PolicyLimits::default()
    }
}

/// The operator's rules, run in the browser: every input of
/// `fixtures/policy-rules.json` is refused with its rule's code under that policy, the
/// same inputs the backend refuses (backend/tests/api/policy_rules.rs).
#[wasm_bindgen_test]
fn every_policy_rule_refuses_its_input_in_the_browser() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/policy-rules.json")).unwrap();
    let limits: PolicyLimits = serde_json::from_value(fixture["limits"].clone()).unwrap();
    let nobody = shared::names::NameIndex::new();
    for case in fixture["cases"].as_array().unwrap() {
        let username = case["username"].as_str().unwrap();
        let groups: Vec<String> = serde_json::from_value(case["groups"].clone()).unwrap();
        let codes: Vec<&str> = shared::policy::check_subject(username, &groups, &limits, &nobody)
            .iter()
            .map(|v| v.code.as_str())
            .collect();
        let rule = case["rule"].as_str().unwrap();
        assert!(codes.contains(&rule), "{case}: {codes:?}");
    }
    for case in fixture["accepted"].as_array().unwrap() {
        let groups: Vec<String> = serde_json::from_value(case["groups"].clone()).unwrap();
        let username = case["username"].as_str().unwrap();
        assert!(shared::policy::check_subject(username, &groups, &limits, &nobody).is_empty());
    }
}
