//! `inspect_certificate` on a client certificate issued by an openssl CA.

use base64::Engine as _;
use shared::KeyAlgorithm;
use shared::inspect::{
    EcCurve, ExtendedKeyUsage, KeyUsage, PublicKeyInfo, inspect_certificate, inspect_csr,
    public_key_matches,
};
use shared::keys::{Subject, generate};
use time::OffsetDateTime;

use crate::helpers::Scratch;

/// An openssl CA that signs `csr_pem` as a 30-day client certificate, as
/// kube-controller-manager would.
fn issue(scratch: &Scratch, csr_pem: &str) -> String {
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
        "ca-key.pem",
        "-subj",
        "/CN=test-ca",
        "-days",
        "365",
        "-out",
        "ca.pem",
    ]);
    scratch.write("csr.pem", csr_pem);
    scratch.write(
        "client.ext",
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
    );
    scratch.openssl(&[
        "x509",
        "-req",
        "-in",
        "csr.pem",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca-key.pem",
        "-set_serial",
        "0x5A3B0C",
        "-days",
        "30",
        "-extfile",
        "client.ext",
        "-out",
        "client.pem",
    ]);
    scratch.read("client.pem")
}

#[test]
fn a_client_certificate_decodes_to_what_openssl_shows() {
    let scratch = Scratch::new("cert");
    let subject = Subject {
        username: "minjun".into(),
        groups: vec!["dev-team".into()],
    };
    let key = generate(KeyAlgorithm::EcdsaP256, &subject).unwrap();
    let cert_pem = issue(&scratch, &key.csr_pem);

    let info = inspect_certificate(&cert_pem).unwrap();
    assert_eq!(info.common_name.as_deref(), Some("minjun"));
    assert_eq!(info.organizations, ["dev-team"]);
    assert_eq!(info.subject, "CN=minjun, O=dev-team");
    assert_eq!(info.issuer, "CN=test-ca");
    assert!(!info.is_ca);
    assert_eq!(info.key_usage, [KeyUsage::DigitalSignature]);
    assert_eq!(info.extended_key_usage, [ExtendedKeyUsage::ClientAuth]);
    assert_eq!(
        info.public_key,
        PublicKeyInfo::Ecdsa {
            curve: EcCurve::P256
        }
    );
    assert_eq!(info.signature_algorithm, "ecdsa-with-SHA256");

    let serial = scratch
        .openssl(&["x509", "-in", "client.pem", "-noout", "-serial"])
        .stdout;
    assert_eq!(serial.trim(), format!("serial={}", info.serial));
    assert_eq!(info.serial, "5A3B0C");

    let fingerprint = scratch
        .openssl(&[
            "x509",
            "-in",
            "client.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ])
        .stdout;
    assert_eq!(
        fingerprint.trim(),
        format!("sha256 Fingerprint={}", info.sha256_fingerprint)
    );

    // Thirty days of validity, starting about now.
    assert_eq!(info.not_after - info.not_before, time::Duration::days(30));
    let age = OffsetDateTime::now_utc() - info.not_before;
    assert!(
        age >= time::Duration::ZERO && age < time::Duration::minutes(10),
        "{age}"
    );
    let end = scratch
        .openssl(&["x509", "-in", "client.pem", "-noout", "-enddate"])
        .stdout;
    let format = time::macros::format_description!(
        "notAfter=[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT"
    );
    let openssl_end = time::PrimitiveDateTime::parse(end.trim(), format)
        .unwrap()
        .assume_utc();
    assert_eq!(info.not_after, openssl_end);

    // The certificate certifies the browser's key, and no other.
    assert_eq!(
        info.public_key_sha256,
        inspect_csr(&key.csr_pem).unwrap().public_key_sha256
    );
    assert!(public_key_matches(&info, key.private_key.pkcs8_pem()).unwrap());
    let other = generate(KeyAlgorithm::EcdsaP256, &subject).unwrap();
    assert!(!public_key_matches(&info, other.private_key.pkcs8_pem()).unwrap());
    let ca_key = scratch.read("ca-key.pem");
    assert!(!public_key_matches(&info, &ca_key).unwrap());
}

#[test]
fn base64_of_pem_and_base64_of_der_decode_the_same() {
    let scratch = Scratch::new("cert-b64");
    let subject = Subject {
        username: "minjun".into(),
        groups: vec!["dev-team".into()],
    };
    let key = generate(KeyAlgorithm::Rsa2048, &subject).unwrap();
    let cert_pem = issue(&scratch, &key.csr_pem);
    let from_pem = inspect_certificate(&cert_pem).unwrap();
    assert_eq!(from_pem.public_key, PublicKeyInfo::Rsa { bits: 2048 });
    assert!(public_key_matches(&from_pem, key.private_key.pkcs8_pem()).unwrap());

    // kubeconfig's client-certificate-data: base64 of the PEM.
    let b64 = base64::engine::general_purpose::STANDARD;
    assert_eq!(
        inspect_certificate(&b64.encode(&cert_pem)).unwrap(),
        from_pem
    );

    // base64 of the DER, also with line breaks as `openssl base64` writes it.
    scratch.openssl(&[
        "x509",
        "-in",
        "client.pem",
        "-outform",
        "DER",
        "-out",
        "client.der",
    ]);
    let der = std::fs::read(scratch.path("client.der")).unwrap();
    assert_eq!(inspect_certificate(&b64.encode(&der)).unwrap(), from_pem);
    let wrapped = scratch.openssl(&["base64", "-in", "client.der"]).stdout;
    assert!(wrapped.contains('\n'));
    assert_eq!(inspect_certificate(&wrapped).unwrap(), from_pem);

    // A chain decodes its first (leaf) certificate.
    let chain = format!("{cert_pem}{}", scratch.read("ca.pem"));
    assert_eq!(inspect_certificate(&chain).unwrap(), from_pem);
}

#[test]
fn the_ca_certificate_is_a_ca() {
    let scratch = Scratch::new("cert-ca");
    let key = generate(
        KeyAlgorithm::Ed25519,
        &Subject {
            username: "x".into(),
            groups: vec![],
        },
    )
    .unwrap();
    issue(&scratch, &key.csr_pem);
    let ca = inspect_certificate(&scratch.read("ca.pem")).unwrap();
    assert!(ca.is_ca);
    assert_eq!(ca.common_name.as_deref(), Some("test-ca"));
    assert_eq!(ca.subject, ca.issuer);
}

#[test]
fn certificate_info_round_trips_through_json() {
    let scratch = Scratch::new("cert-json");
    let key = generate(
        KeyAlgorithm::EcdsaP384,
        &Subject {
            username: "minjun".into(),
            groups: vec![],
        },
    )
    .unwrap();
    let info = inspect_certificate(&issue(&scratch, &key.csr_pem)).unwrap();
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(
        json["public_key"],
        serde_json::json!({"type": "ecdsa", "curve": "p384"})
    );
    assert_eq!(
        json["extended_key_usage"],
        serde_json::json!(["client_auth"])
    );
    let back: shared::CertificateInfo = serde_json::from_value(json).unwrap();
    assert_eq!(back, info);
}
