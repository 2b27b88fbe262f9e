//! Keys in openssl's PEM forms, a certificate's issuer, and the renewal proof, checked
//! against keys and certificates openssl made.

use shared::KeyAlgorithm;
use shared::inspect::{inspect_certificate, issued_by, public_key_matches};
use shared::keys::{PrivateKey, Subject, generate};
use shared::renewal::{ProofError, sign_proof, verify_proof};

use crate::helpers::Scratch;

/// openssl's key commands and the PEM label each writes.
const OPENSSL_KEYS: [(&str, &[&str], &str); 6] = [
    (
        "p256-sec1",
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "key.pem",
        ],
        "EC PRIVATE KEY",
    ),
    (
        "p384-sec1",
        &[
            "ecparam",
            "-name",
            "secp384r1",
            "-genkey",
            "-noout",
            "-out",
            "key.pem",
        ],
        "EC PRIVATE KEY",
    ),
    (
        "p256-pkcs8",
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "key.pem",
        ],
        "PRIVATE KEY",
    ),
    (
        "ed25519",
        &["genpkey", "-algorithm", "ED25519", "-out", "key.pem"],
        "PRIVATE KEY",
    ),
    (
        "rsa-pkcs8",
        &["genrsa", "-out", "key.pem", "2048"],
        "PRIVATE KEY",
    ),
    (
        "rsa-pkcs1",
        &["genrsa", "-traditional", "-out", "key.pem", "2048"],
        "RSA PRIVATE KEY",
    ),
];

/// A self-signed certificate for `key.pem` in the scratch directory.
fn self_signed(scratch: &Scratch, subject: &str) -> String {
    scratch.openssl(&[
        "req", "-x509", "-new", "-key", "key.pem", "-subj", subject, "-days", "1", "-out",
        "cert.pem",
    ]);
    scratch.read("cert.pem")
}

#[test]
fn every_openssl_key_form_reads_matches_its_certificate_and_proves_possession() {
    let new = generate(
        KeyAlgorithm::EcdsaP256,
        &Subject {
            username: "minjun".into(),
            groups: vec![],
        },
    )
    .unwrap();
    for (name, command, label) in OPENSSL_KEYS {
        let scratch = Scratch::new(name);
        scratch.openssl(command);
        let key_pem = scratch.read("key.pem");
        assert!(
            key_pem.contains(&format!("BEGIN {label}")),
            "{name}: {key_pem}"
        );
        let certificate = self_signed(&scratch, "/CN=minjun");

        let key = PrivateKey::from_pem(&key_pem).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            key.pkcs8_pem().starts_with("-----BEGIN PRIVATE KEY-----"),
            "{name}"
        );
        let info = inspect_certificate(&certificate).unwrap();
        assert!(
            public_key_matches(&info, &key_pem).unwrap(),
            "{name}: the key does not match"
        );

        let proof = sign_proof(&key, "a-challenge", &new.csr_pem).unwrap();
        verify_proof(&certificate, "a-challenge", &new.csr_pem, &proof)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // The proof binds the challenge and the CSR.
        assert!(
            matches!(
                verify_proof(&certificate, "another-challenge", &new.csr_pem, &proof),
                Err(ProofError::ProofInvalid(_))
            ),
            "{name}"
        );
        let other = generate(
            KeyAlgorithm::Ed25519,
            &Subject {
                username: "minjun".into(),
                groups: vec![],
            },
        )
        .unwrap();
        assert!(
            matches!(
                verify_proof(&certificate, "a-challenge", &other.csr_pem, &proof),
                Err(ProofError::ProofInvalid(_))
            ),
            "{name}"
        );
        // openssl agrees the PKCS#8 form is the same key.
        let converted = scratch.write("converted.pem", key.pkcs8_pem());
        let ours = scratch
            .openssl(&["pkey", "-in", converted.to_str().unwrap(), "-pubout"])
            .stdout;
        let theirs = scratch
            .openssl(&["pkey", "-in", "key.pem", "-pubout"])
            .stdout;
        assert_eq!(ours, theirs, "{name}");
    }
}

#[test]
fn a_proof_by_another_key_or_garbage_does_not_verify() {
    let scratch = Scratch::new("wrong-key");
    scratch.openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "key.pem",
    ]);
    let certificate = self_signed(&scratch, "/CN=minjun");
    let subject = Subject {
        username: "minjun".into(),
        groups: vec![],
    };
    let new = generate(KeyAlgorithm::EcdsaP256, &subject).unwrap();
    let stranger = generate(KeyAlgorithm::EcdsaP256, &subject).unwrap();
    let proof = sign_proof(&stranger.private_key, "c", &new.csr_pem).unwrap();
    assert!(matches!(
        verify_proof(&certificate, "c", &new.csr_pem, &proof),
        Err(ProofError::ProofInvalid(_))
    ));
    assert!(matches!(
        verify_proof(&certificate, "c", &new.csr_pem, "not base64!"),
        Err(ProofError::ProofMalformed)
    ));
    assert!(matches!(
        verify_proof(&certificate, "c", &new.csr_pem, ""),
        Err(ProofError::ProofInvalid(_))
    ));
    assert!(matches!(
        verify_proof(&certificate, "c", "garbage", &proof),
        Err(ProofError::CsrInvalid(_))
    ));
}

#[test]
fn unusable_keys_are_refused_with_a_reason() {
    for (pem, wanted) in [
        ("", "PEM"),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "found \"CERTIFICATE\"",
        ),
        (
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
            "encrypted keys are not supported",
        ),
        (
            "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
            "does not hold",
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
            "does not hold",
        ),
    ] {
        let error = PrivateKey::from_pem(pem)
            .err()
            .unwrap_or_else(|| panic!("{pem:?} was read"));
        let text = error.to_string();
        assert!(text.contains(wanted) || wanted == "PEM", "{pem:?}: {text}");
        assert_eq!(error.code(), "private_key_invalid");
    }
}

#[test]
fn a_certificate_is_issued_by_the_ca_that_signed_it_and_by_no_other() {
    let scratch = Scratch::new("issuer");
    for ca in ["ca", "other"] {
        scratch.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{ca}.key"),
            "-subj",
            &format!("/CN={ca}"),
            "-days",
            "1",
            "-out",
            &format!("{ca}.crt"),
        ]);
    }
    // A CA with the same name but another key: the name alone must not pass.
    scratch.openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "impostor.key",
        "-subj",
        "/CN=ca",
        "-days",
        "1",
        "-out",
        "impostor.crt",
    ]);
    scratch.openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-subj",
        "/CN=minjun",
        "-out",
        "leaf.csr",
    ]);
    scratch.openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-set_serial",
        "1",
        "-days",
        "1",
        "-out",
        "leaf.crt",
    ]);
    let leaf = scratch.read("leaf.crt");
    let (ca, other, impostor) = (
        scratch.read("ca.crt"),
        scratch.read("other.crt"),
        scratch.read("impostor.crt"),
    );
    assert!(issued_by(&leaf, &ca).unwrap());
    assert!(
        issued_by(&leaf, &format!("{other}{ca}")).unwrap(),
        "any CA of a bundle"
    );
    assert!(!issued_by(&leaf, &other).unwrap());
    assert!(!issued_by(&leaf, &impostor).unwrap());
    assert!(!issued_by(&ca, &other).unwrap());
    assert!(issued_by("garbage", &ca).is_err());
}
