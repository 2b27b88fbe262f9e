//! Every algorithm makes a key and CSR that openssl accepts and `inspect_csr` reads back.

use shared::KeyAlgorithm;
use shared::inspect::{EcCurve, PublicKeyInfo, inspect_csr};
use shared::keys::{Subject, generate};

use crate::helpers::Scratch;

fn subject() -> Subject {
    Subject {
        username: "minjun".into(),
        groups: vec!["dev-team".into(), "ops".into()],
    }
}

/// What `openssl req -text` prints for the key of each algorithm.
fn openssl_key_lines(algorithm: KeyAlgorithm) -> &'static [&'static str] {
    match algorithm {
        KeyAlgorithm::EcdsaP256 => &[
            "id-ecPublicKey",
            "(256 bit)",
            "NIST CURVE: P-256",
            "ecdsa-with-SHA256",
        ],
        KeyAlgorithm::EcdsaP384 => &[
            "id-ecPublicKey",
            "(384 bit)",
            "NIST CURVE: P-384",
            "ecdsa-with-SHA384",
        ],
        KeyAlgorithm::Ed25519 => &[
            "Public Key Algorithm: ED25519",
            "Signature Algorithm: ED25519",
        ],
        KeyAlgorithm::Rsa2048 => &["rsaEncryption", "(2048 bit)", "sha256WithRSAEncryption"],
        KeyAlgorithm::Rsa3072 => &["rsaEncryption", "(3072 bit)", "sha256WithRSAEncryption"],
        KeyAlgorithm::Rsa4096 => &["rsaEncryption", "(4096 bit)", "sha256WithRSAEncryption"],
    }
}

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

fn check_algorithm(algorithm: KeyAlgorithm) {
    let scratch = Scratch::new(&format!("gen-{algorithm:?}"));
    let key = generate(algorithm, &subject()).unwrap();
    assert_eq!(key.algorithm, algorithm);
    scratch.write("csr.pem", &key.csr_pem);
    scratch.write("key.pem", key.private_key.pkcs8_pem());

    // openssl verifies the self-signature and reads one O per group, in order.
    let verify = scratch.openssl(&["req", "-in", "csr.pem", "-noout", "-verify", "-subject"]);
    assert!(verify.all().contains("verify OK"), "{}", verify.all());
    assert!(
        verify
            .stdout
            .contains("subject=CN = minjun, O = dev-team, O = ops"),
        "{}",
        verify.stdout
    );

    let text = scratch
        .openssl(&["req", "-in", "csr.pem", "-noout", "-text"])
        .stdout;
    for line in openssl_key_lines(algorithm) {
        assert!(
            text.contains(line),
            "{algorithm:?}: `{line}` missing from\n{text}"
        );
    }
    assert!(
        !text.contains("X509v3"),
        "the CSR asks for no extensions:\n{text}"
    );

    // The private key is PKCS#8 and is the private half of the CSR's public key.
    assert!(
        key.private_key
            .pkcs8_pem()
            .starts_with("-----BEGIN PRIVATE KEY-----\n")
    );
    let from_key = scratch
        .openssl(&["pkey", "-in", "key.pem", "-pubout"])
        .stdout;
    let from_csr = scratch
        .openssl(&["req", "-in", "csr.pem", "-noout", "-pubkey"])
        .stdout;
    assert_eq!(from_key, from_csr);

    // inspect_csr reads back the same subject and key.
    let info = inspect_csr(&key.csr_pem).unwrap();
    assert_eq!(info.common_name, "minjun");
    assert_eq!(info.organizations, ["dev-team", "ops"]);
    assert!(info.other_subject_attributes.is_empty());
    assert_eq!(info.public_key, expected_public_key(algorithm));
    assert_eq!(info.public_key.key_algorithm(), Some(algorithm));
    assert!(info.extensions.is_empty());
    assert!(info.other_attributes.is_empty());
}

#[test]
fn ecdsa_p256_key_and_csr() {
    check_algorithm(KeyAlgorithm::EcdsaP256);
}

#[test]
fn ecdsa_p384_key_and_csr() {
    check_algorithm(KeyAlgorithm::EcdsaP384);
}

#[test]
fn ed25519_key_and_csr() {
    check_algorithm(KeyAlgorithm::Ed25519);
}

#[test]
fn rsa_2048_key_and_csr() {
    check_algorithm(KeyAlgorithm::Rsa2048);
}

#[test]
fn rsa_3072_key_and_csr() {
    check_algorithm(KeyAlgorithm::Rsa3072);
}

#[test]
fn rsa_4096_key_and_csr() {
    check_algorithm(KeyAlgorithm::Rsa4096);
}

#[test]
fn eleven_groups_are_eleven_organizations_in_order() {
    // rcgen's own DistinguishedName would keep only one O; Kubernetes needs all of them.
    let groups: Vec<String> = (0..11).map(|i| format!("group-{i}")).collect();
    let subject = Subject {
        username: "minjun".into(),
        groups: groups.clone(),
    };
    let key = generate(KeyAlgorithm::EcdsaP256, &subject).unwrap();
    assert_eq!(inspect_csr(&key.csr_pem).unwrap().organizations, groups);

    let scratch = Scratch::new("eleven");
    scratch.write("csr.pem", &key.csr_pem);
    let subject_line = scratch
        .openssl(&["req", "-in", "csr.pem", "-noout", "-subject"])
        .stdout;
    assert_eq!(
        subject_line.matches("O = group-").count(),
        11,
        "{subject_line}"
    );
}

#[test]
fn non_ascii_names_survive_as_utf8() {
    let subject = Subject {
        username: "김민준".into(),
        groups: vec!["개발팀".into(), "dev team".into()],
    };
    let key = generate(KeyAlgorithm::Ed25519, &subject).unwrap();
    let info = inspect_csr(&key.csr_pem).unwrap();
    assert_eq!(info.common_name, "김민준");
    assert_eq!(info.organizations, ["개발팀", "dev team"]);
}

#[test]
fn two_keys_of_the_same_algorithm_differ() {
    let a = generate(KeyAlgorithm::EcdsaP256, &subject()).unwrap();
    let b = generate(KeyAlgorithm::EcdsaP256, &subject()).unwrap();
    assert_ne!(a.private_key.pkcs8_der(), b.private_key.pkcs8_der());
    assert_ne!(a.csr_pem, b.csr_pem);
}
