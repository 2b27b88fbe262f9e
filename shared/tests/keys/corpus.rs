//! Nasty inputs: each one gets a typed error or a decoded request the policy refuses,
//! never a panic.

use base64::Engine as _;
use shared::inspect::{
    ExtensionValue, InspectError, MAX_INPUT_BYTES, PublicKeyInfo, inspect_certificate, inspect_csr,
    inspect_csr_der,
};
use shared::keys::{Subject, generate};
use shared::policy::{Field, ViolationCode, check};
use shared::{KeyAlgorithm, PolicyLimits};

use crate::helpers::Scratch;

fn csr(username: &str, groups: &[&str]) -> String {
    let subject = Subject {
        username: username.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
    };
    generate(KeyAlgorithm::EcdsaP256, &subject).unwrap().csr_pem
}

fn csr_der(pem_text: &str) -> Vec<u8> {
    pem::parse(pem_text).unwrap().into_contents()
}

fn codes(pem_text: &str) -> Vec<ViolationCode> {
    check(
        &inspect_csr(pem_text).unwrap(),
        &test_limits(),
        &KeyAlgorithm::ALL,
        &shared::names::NameIndex::new(),
    )
    .into_iter()
    .map(|v| v.code)
    .collect()
}

fn error(result: Result<impl std::fmt::Debug, InspectError>) -> InspectError {
    result.expect_err("the input must be refused")
}

#[test]
fn a_certificate_where_a_csr_is_expected_has_the_wrong_label() {
    let scratch = Scratch::new("label");
    scratch.openssl(&[
        "req",
        "-x509",
        "-new",
        "-nodes",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-keyout",
        "k.pem",
        "-subj",
        "/CN=x",
        "-out",
        "c.pem",
    ]);
    let cert = scratch.read("c.pem");
    let err = error(inspect_csr(&cert));
    assert_eq!(err.code(), "pem_label_unexpected");
    assert_eq!(
        err,
        InspectError::PemLabelUnexpected {
            expected: "CERTIFICATE REQUEST",
            found: "CERTIFICATE".into()
        }
    );
    // And the other way round.
    assert_eq!(
        error(inspect_certificate(&csr("x", &[]))).code(),
        "pem_label_unexpected"
    );
    // The old "NEW CERTIFICATE REQUEST" label is refused too: the API server refuses it.
    let old = csr("x", &[]).replace("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST");
    assert_eq!(error(inspect_csr(&old)).code(), "pem_label_unexpected");
}

#[test]
fn truncated_pem_is_refused() {
    let pem_text = csr("minjun", &["dev-team"]);
    // Cut anywhere: the END line goes missing, or the body is short.
    for cut in [
        10,
        pem_text.len() / 3,
        pem_text.len() / 2,
        pem_text.len() - 30,
    ] {
        let err = error(inspect_csr(&pem_text[..cut]));
        assert!(
            ["pem_invalid", "der_invalid"].contains(&err.code()),
            "cut at {cut}: {err:?}"
        );
    }
    // Body lines dropped but the framing intact: the DER is short.
    let lines: Vec<&str> = pem_text.lines().collect();
    let short = [&lines[..2], &lines[lines.len() - 1..]].concat().join("\n");
    assert_eq!(error(inspect_csr(&short)).code(), "der_invalid");
}

#[test]
fn empty_oversized_and_multi_block_input_is_refused() {
    assert_eq!(error(inspect_csr("")), InspectError::InputEmpty);
    assert_eq!(error(inspect_csr(" \n\t")), InspectError::InputEmpty);
    assert_eq!(error(inspect_certificate("")), InspectError::InputEmpty);
    assert_eq!(error(inspect_csr_der(&[])), InspectError::InputEmpty);
    let huge = "A".repeat(MAX_INPUT_BYTES + 1);
    assert_eq!(error(inspect_csr(&huge)).code(), "input_too_large");
    assert_eq!(error(inspect_certificate(&huge)).code(), "input_too_large");
    assert_eq!(error(inspect_csr("hello")).code(), "pem_invalid");
    let two = format!("{}{}", csr("a", &[]), csr("b", &[]));
    assert_eq!(error(inspect_csr(&two)).code(), "pem_invalid");
    assert_eq!(
        error(inspect_certificate("not base64 at all!")),
        InspectError::Base64Invalid
    );
    assert_eq!(error(inspect_certificate("aGVsbG8=")).code(), "der_invalid");
}

#[test]
fn trailing_bytes_after_the_der_are_refused() {
    let mut der = csr_der(&csr("minjun", &[]));
    der.push(0);
    assert_eq!(error(inspect_csr_der(&der)).code(), "der_invalid");
}

#[test]
fn a_flipped_signature_byte_fails_verification() {
    for algorithm in [
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::Ed25519,
        KeyAlgorithm::Rsa2048,
    ] {
        let subject = Subject {
            username: "minjun".into(),
            groups: vec!["dev-team".into()],
        };
        let mut der = csr_der(&generate(algorithm, &subject).unwrap().csr_pem);
        let last = der.len() - 1;
        der[last] ^= 0x01;
        let err = error(inspect_csr_der(&der));
        assert_eq!(err, InspectError::SignatureInvalid, "{algorithm:?}");
        assert_eq!(err.code(), "signature_invalid");
        assert_eq!(err.api_code(), shared::ErrorCode::CsrSignatureInvalid);
    }
}

#[test]
fn a_changed_subject_fails_verification() {
    // Someone edits the username of a signed request: the signature no longer covers it.
    let der = csr_der(&csr("minjun", &["dev-team"]));
    let at = der.windows(6).position(|w| w == b"minjun").unwrap();
    let mut edited = der.clone();
    edited[at + 5] = b'x';
    assert_eq!(
        error(inspect_csr_der(&edited)),
        InspectError::SignatureInvalid
    );
}

#[test]
fn a_ca_request_decodes_and_is_refused() {
    let scratch = Scratch::new("ca");
    let pem_text = scratch.openssl_csr(
        "ec",
        "/CN=evil",
        &[
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ],
    );
    let info = inspect_csr(&pem_text).unwrap();
    let basic = info
        .extensions
        .iter()
        .find(|e| e.oid == "2.5.29.19")
        .unwrap();
    assert!(basic.critical);
    assert_eq!(
        basic.value,
        ExtensionValue::BasicConstraints {
            ca: true,
            path_len: None
        }
    );
    let violations = check(
        &info,
        &test_limits(),
        &KeyAlgorithm::ALL,
        &shared::names::NameIndex::new(),
    );
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].code, ViolationCode::ExtensionNotAllowed);
    assert_eq!(
        violations[0].field,
        Some(Field::Extension {
            oid: "2.5.29.19".into()
        })
    );
}

#[test]
fn openssl_default_extensions_for_a_client_are_tolerated_but_san_is_not() {
    let scratch = Scratch::new("eku");
    let client = scratch.openssl_csr(
        "ec",
        "/CN=minjun/O=dev-team",
        &[
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-addext",
            "basicConstraints=CA:FALSE",
            "-addext",
            "keyUsage=digitalSignature",
            "-addext",
            "extendedKeyUsage=clientAuth",
        ],
    );
    assert_eq!(codes(&client), []);
    let san = scratch.openssl_csr(
        "ec",
        "/CN=minjun",
        &[
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-addext",
            "subjectAltName=DNS:evil.example",
        ],
    );
    assert_eq!(codes(&san), [ViolationCode::ExtensionNotAllowed]);
    let server = scratch.openssl_csr(
        "ec",
        "/CN=minjun",
        &[
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-addext",
            "extendedKeyUsage=serverAuth,clientAuth",
        ],
    );
    assert_eq!(codes(&server), [ViolationCode::ExtensionNotAllowed]);
}

#[test]
fn an_rsa_1024_request_decodes_and_is_too_weak() {
    let scratch = Scratch::new("rsa1024");
    let pem_text = scratch.openssl_csr("rsa:1024", "/CN=weak", &[]);
    let info = inspect_csr(&pem_text).unwrap();
    assert_eq!(info.public_key, PublicKeyInfo::Rsa { bits: 1024 });
    assert_eq!(codes(&pem_text), [ViolationCode::KeyTooWeak]);
}

#[test]
fn openssl_rsa_and_ed25519_requests_verify() {
    let scratch = Scratch::new("openssl-algs");
    let rsa = scratch.openssl_csr("rsa:2048", "/CN=minjun/O=dev-team", &["-sha384"]);
    assert_eq!(
        inspect_csr(&rsa).unwrap().public_key,
        PublicKeyInfo::Rsa { bits: 2048 }
    );
    let ed = scratch.openssl_csr("ed25519", "/CN=minjun/O=dev-team", &[]);
    assert_eq!(inspect_csr(&ed).unwrap().public_key, PublicKeyInfo::Ed25519);
}

#[test]
fn unsupported_signature_algorithms_are_named() {
    let scratch = Scratch::new("unsupported");
    let p521 = scratch.openssl_csr("ec", "/CN=minjun", &["-pkeyopt", "ec_paramgen_curve:P-521"]);
    assert_eq!(
        error(inspect_csr(&p521)).code(),
        "signature_algorithm_unsupported"
    );
    let sha1 = scratch.openssl_csr("rsa:2048", "/CN=minjun", &["-sha1"]);
    assert_eq!(
        error(inspect_csr(&sha1)).code(),
        "signature_algorithm_unsupported"
    );
}

#[test]
fn a_cn_with_control_characters_is_kept_exactly_and_refused() {
    let username = "min\njun\u{7}\u{202E}";
    let info = inspect_csr(&csr(username, &[])).unwrap();
    assert_eq!(info.common_name, username);
    let violations = check(
        &info,
        &test_limits(),
        &KeyAlgorithm::ALL,
        &shared::names::NameIndex::new(),
    );
    assert_eq!(
        violations.iter().map(|v| v.code).collect::<Vec<_>>(),
        [ViolationCode::UsernameControlChars]
    );
}

#[test]
fn eleven_groups_are_too_many() {
    let groups: Vec<String> = (0..11).map(|i| format!("g{i}")).collect();
    let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
    assert_eq!(
        codes(&csr("minjun", &groups)),
        [ViolationCode::TooManyGroups]
    );
}

#[test]
fn system_masters_is_refused() {
    assert_eq!(
        codes(&csr("minjun", &["dev-team", "system:masters"])),
        [ViolationCode::GroupSystem]
    );
    assert_eq!(
        codes(&csr("system:admin", &[])),
        [ViolationCode::UsernameSystemPrefix]
    );
}

#[test]
fn every_violation_is_reported_at_once() {
    let long = "x".repeat(65);
    let groups: Vec<&str> = vec![
        "system:masters",
        "",
        &long,
        "a\tb",
        "g4",
        "g5",
        "g6",
        "g7",
        "g8",
        "g9",
        "g10",
    ];
    let found = codes(&csr("system:\u{0}", &groups));
    for code in [
        ViolationCode::UsernameControlChars,
        ViolationCode::UsernameSystemPrefix,
        ViolationCode::TooManyGroups,
        ViolationCode::GroupSystem,
        ViolationCode::GroupEmpty,
        ViolationCode::GroupTooLong,
        ViolationCode::GroupControlChars,
    ] {
        assert!(found.contains(&code), "{code:?} missing from {found:?}");
    }
}

#[test]
fn subject_shape_errors() {
    let scratch = Scratch::new("subject");
    let ec = ["-pkeyopt", "ec_paramgen_curve:P-256"];
    let no_cn = scratch.openssl_csr("ec", "/O=dev-team", &ec);
    assert_eq!(error(inspect_csr(&no_cn)), InspectError::SubjectMissingCn);
    let two_cn = scratch.openssl_csr("ec", "/CN=alice/CN=bob", &ec);
    assert_eq!(
        error(inspect_csr(&two_cn)),
        InspectError::SubjectMultipleCn { count: 2 }
    );
    let ou = scratch.openssl_csr("ec", "/CN=minjun/OU=finance/O=dev-team", &ec);
    let info = inspect_csr(&ou).unwrap();
    assert_eq!(info.organizations, ["dev-team"]);
    assert_eq!(info.other_subject_attributes[0].name, "OU");
    assert_eq!(info.other_subject_attributes[0].value, "finance");
    let violations = check(
        &info,
        &test_limits(),
        &KeyAlgorithm::ALL,
        &shared::names::NameIndex::new(),
    );
    assert_eq!(violations.len(), 1);
    assert_eq!(
        violations[0].code,
        ViolationCode::SubjectAttributeNotAllowed
    );
    assert_eq!(
        violations[0].field,
        Some(Field::SubjectAttribute { name: "OU".into() })
    );
}

#[test]
fn a_private_key_is_not_a_certificate() {
    let key = generate(
        KeyAlgorithm::EcdsaP256,
        &Subject {
            username: "x".into(),
            groups: vec![],
        },
    )
    .unwrap();
    assert_eq!(
        error(inspect_certificate(key.private_key.pkcs8_pem())).code(),
        "pem_label_unexpected"
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(key.private_key.pkcs8_pem());
    assert_eq!(
        error(inspect_certificate(&b64)).code(),
        "pem_label_unexpected"
    );
}

/// The default policy, with the groups these tests' CSRs ask for offered.
fn test_limits() -> PolicyLimits {
    PolicyLimits {
        allowed_groups: ["dev-team", "qa"]
            .into_iter()
            .map(String::from)
            .chain((0..11).map(|i| format!("g{i}")))
            .collect(),
        // Each test here is about one rule; the default pattern's own tests are in
        // shared::policy.
        username_pattern: None,
        ..PolicyLimits::default()
    }
}
