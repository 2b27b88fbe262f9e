//! Decoding of certificate signing requests and certificates into plain, serializable
//! data, for the backend's checks, the approval page and the Inspect page.
//!
//! Every function here takes untrusted text and either returns the decoded data or an
//! [`InspectError`] with a stable [`code`](InspectError::code); none of them panics on
//! any input.
//!
//! [`inspect_csr`] also verifies the request's self-signature (proof that the requester
//! holds the private key) and fails with [`InspectError::SignatureInvalid`] when it
//! does not verify, so a [`CsrInfo`] always describes a correctly signed request.
//!
//! ```
//! use shared::inspect::{inspect_csr, PublicKeyInfo, EcCurve};
//! use shared::keys::{generate, Subject};
//! use shared::KeyAlgorithm;
//!
//! let subject = Subject { username: "minjun".into(), groups: vec!["dev-team".into()] };
//! let key = generate(KeyAlgorithm::EcdsaP256, &subject).unwrap();
//! let csr = inspect_csr(&key.csr_pem).unwrap();
//! assert_eq!(csr.common_name, "minjun");
//! assert_eq!(csr.organizations, ["dev-team"]);
//! assert_eq!(csr.public_key, PublicKeyInfo::Ecdsa { curve: EcCurve::P256 });
//! ```

use std::fmt::Write as _;

use base64::Engine as _;
use rcgen::{KeyPair, PublicKeyData as _};
use ring::signature;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::cri_attributes::ParsedCriAttribute;
use x509_parser::der_parser::asn1_rs::Oid;
use x509_parser::extensions::{GeneralName as X509GeneralName, ParsedExtension, X509Extension};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
    OID_PKCS1_SHA256WITHRSA, OID_PKCS1_SHA384WITHRSA, OID_PKCS1_SHA512WITHRSA,
    OID_PKCS9_EXTENSION_REQUEST, OID_SIG_ECDSA_WITH_SHA256, OID_SIG_ECDSA_WITH_SHA384,
    OID_SIG_ED25519,
};
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

use crate::subject::decode_name;
use crate::{ErrorCode, KeyAlgorithm};

/// The largest input, in bytes, the functions here accept. A CSR or certificate for a
/// 4096-bit RSA key with ten groups is under 3 KB of PEM.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// The PEM label Kubernetes requires of a CSR (`spec.request`).
const CSR_LABEL: &str = "CERTIFICATE REQUEST";
/// The PEM label of a certificate.
const CERTIFICATE_LABEL: &str = "CERTIFICATE";

/// Why a CSR, certificate or key could not be inspected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The input was empty or only whitespace.
    #[error("the input is empty")]
    InputEmpty,
    /// The input is larger than [`MAX_INPUT_BYTES`].
    #[error("the input is {size} bytes, more than the {MAX_INPUT_BYTES} accepted")]
    InputTooLarge {
        /// The input's size in bytes.
        size: usize,
    },
    /// The PEM framing or its base64 body is malformed, or the number of PEM blocks is
    /// not what was expected.
    #[error("the PEM text is malformed: {reason}")]
    PemInvalid {
        /// What is wrong with it.
        reason: String,
    },
    /// The PEM block has a different label than expected (for example a certificate
    /// where a certificate request was expected).
    #[error("expected a \"{expected}\" PEM block, found \"{found}\"")]
    PemLabelUnexpected {
        /// The label that was expected.
        expected: &'static str,
        /// The label that was found.
        found: String,
    },
    /// The input is neither PEM nor valid base64.
    #[error("the input is neither PEM nor base64")]
    Base64Invalid,
    /// The DER structure inside does not parse as the expected ASN.1 object, or has
    /// bytes after it.
    #[error("the DER structure is malformed: {reason}")]
    DerInvalid {
        /// What the parser reported.
        reason: String,
    },
    /// The request's subject has no common name (`CN`), which Kubernetes uses as the
    /// username.
    #[error("the subject has no common name (CN)")]
    SubjectMissingCn,
    /// The request's subject has more than one common name; which one a reader takes
    /// as the username would be ambiguous.
    #[error("the subject has {count} common names (CN); exactly one is required")]
    SubjectMultipleCn {
        /// How many common names it has.
        count: usize,
    },
    /// A subject attribute's value is not a string type Kubernetes can read, or is not
    /// valid in its declared encoding.
    #[error("the subject attribute {attribute} does not hold a readable string")]
    SubjectValueInvalid {
        /// The attribute's short name or object identifier.
        attribute: String,
    },
    /// A known extension in the request could not be decoded.
    #[error("the extension {oid} is malformed")]
    ExtensionInvalid {
        /// The extension's object identifier.
        oid: String,
    },
    /// The public key is malformed for its declared algorithm.
    #[error("the public key is malformed: {reason}")]
    PublicKeyInvalid {
        /// What is wrong with it.
        reason: String,
    },
    /// The request is signed with an algorithm (or a key size) this code cannot verify:
    /// only RSA PKCS#1 v1.5 with SHA-256/384/512, ECDSA P-256/P-384 with SHA-256/384,
    /// and Ed25519 are supported.
    #[error("the signature algorithm {algorithm} is not supported")]
    SignatureAlgorithmUnsupported {
        /// The algorithm's name or object identifier, or the reason it is unsupported.
        algorithm: String,
    },
    /// The request's self-signature does not verify with its own public key: it was
    /// altered, or whoever made it does not hold the private key.
    #[error("the signature does not verify with the request's own public key")]
    SignatureInvalid,
    /// The private key could not be read (only unencrypted PKCS#8, PKCS#1 and SEC1 RSA,
    /// ECDSA P-256/P-384 and Ed25519 keys are supported).
    #[error("the private key is not a usable RSA, ECDSA P-256/P-384 or Ed25519 key")]
    PrivateKeyInvalid,
}

impl InspectError {
    /// Returns a stable, machine-readable code for the error, such as
    /// `"signature_invalid"`. A code, once published, keeps its meaning.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InputEmpty => "input_empty",
            Self::InputTooLarge { .. } => "input_too_large",
            Self::PemInvalid { .. } => "pem_invalid",
            Self::PemLabelUnexpected { .. } => "pem_label_unexpected",
            Self::Base64Invalid => "base64_invalid",
            Self::DerInvalid { .. } => "der_invalid",
            Self::SubjectMissingCn => "subject_missing_cn",
            Self::SubjectMultipleCn { .. } => "subject_multiple_cn",
            Self::SubjectValueInvalid { .. } => "subject_value_invalid",
            Self::ExtensionInvalid { .. } => "extension_invalid",
            Self::PublicKeyInvalid { .. } => "public_key_invalid",
            Self::SignatureAlgorithmUnsupported { .. } => "signature_algorithm_unsupported",
            Self::SignatureInvalid => "signature_invalid",
            Self::PrivateKeyInvalid => "private_key_invalid",
        }
    }

    /// Returns the API error code a submission failing with this error is answered with:
    /// [`ErrorCode::CsrSignatureInvalid`] for a bad signature, [`ErrorCode::CsrInvalid`]
    /// for everything else.
    pub fn api_code(&self) -> ErrorCode {
        match self {
            Self::SignatureInvalid => ErrorCode::CsrSignatureInvalid,
            _ => ErrorCode::CsrInvalid,
        }
    }
}

/// What a certificate signing request asks for. Only [`inspect_csr`] makes one, after
/// the request's self-signature verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsrInfo {
    /// The subject's only common name: the Kubernetes username.
    pub common_name: String,
    /// Every organization (`O`) of the subject, in order: the Kubernetes groups.
    pub organizations: Vec<String>,
    /// Every other subject attribute, in order (Kubernetes ignores them).
    pub other_subject_attributes: Vec<SubjectAttribute>,
    /// The requested public key.
    pub public_key: PublicKeyInfo,
    /// SHA-256 of the DER SubjectPublicKeyInfo, as colon-separated uppercase hex; equal
    /// for a request, the certificate issued for it and its private key.
    pub public_key_sha256: String,
    /// The algorithm the request is signed with, such as `ecdsa-with-SHA256`.
    pub signature_algorithm: String,
    /// Every extension the request asks for, from every `extensionRequest` attribute.
    pub extensions: Vec<ExtensionInfo>,
    /// The object identifiers of request attributes other than `extensionRequest`
    /// (such as `challengePassword`); their values are not decoded.
    pub other_attributes: Vec<String>,
}

/// One subject attribute other than the common name and organizations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectAttribute {
    /// The attribute's short name (`OU`, `C`, `emailAddress`, …) or, when it has none
    /// known here, its dotted object identifier.
    pub name: String,
    /// The attribute's dotted object identifier.
    pub oid: String,
    /// The attribute's value.
    pub value: String,
}

/// A public key's algorithm and strength.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PublicKeyInfo {
    /// An RSA key with a modulus of `bits` bits.
    Rsa {
        /// The modulus size in bits.
        bits: u32,
    },
    /// An elliptic-curve (ECDSA) key.
    Ecdsa {
        /// The curve.
        curve: EcCurve,
    },
    /// An Ed25519 key.
    Ed25519,
    /// A key of another algorithm, named by its object identifier.
    Other {
        /// The algorithm's dotted object identifier.
        oid: String,
    },
}

impl PublicKeyInfo {
    /// Returns the [`KeyAlgorithm`] this key is an instance of, or `None` when it is
    /// none of them (for example RSA with a 2560-bit modulus, or curve P-521).
    pub fn key_algorithm(&self) -> Option<KeyAlgorithm> {
        match self {
            Self::Rsa { bits: 2048 } => Some(KeyAlgorithm::Rsa2048),
            Self::Rsa { bits: 3072 } => Some(KeyAlgorithm::Rsa3072),
            Self::Rsa { bits: 4096 } => Some(KeyAlgorithm::Rsa4096),
            Self::Ecdsa {
                curve: EcCurve::P256,
            } => Some(KeyAlgorithm::EcdsaP256),
            Self::Ecdsa {
                curve: EcCurve::P384,
            } => Some(KeyAlgorithm::EcdsaP384),
            Self::Ed25519 => Some(KeyAlgorithm::Ed25519),
            _ => None,
        }
    }

    /// Returns a short human label, such as "RSA 2048", "ECDSA P-256" or "Ed25519".
    pub fn label(&self) -> String {
        match self {
            Self::Rsa { bits } => format!("RSA {bits}"),
            Self::Ecdsa {
                curve: EcCurve::P256,
            } => "ECDSA P-256".to_owned(),
            Self::Ecdsa {
                curve: EcCurve::P384,
            } => "ECDSA P-384".to_owned(),
            Self::Ecdsa {
                curve: EcCurve::Other(oid),
            } => format!("ECDSA (curve {oid})"),
            Self::Ed25519 => "Ed25519".to_owned(),
            Self::Other { oid } => format!("unknown algorithm {oid}"),
        }
    }
}

/// An elliptic curve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EcCurve {
    /// NIST P-256 (secp256r1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
    /// Another curve, named by its dotted object identifier (or `"unnamed"` when the key
    /// gives explicit parameters instead of a named curve).
    Other(String),
}

/// One extension of a request or certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionInfo {
    /// The extension's dotted object identifier.
    pub oid: String,
    /// Whether the extension is marked critical.
    pub critical: bool,
    /// The decoded value, for the extensions an approver needs to see.
    pub value: ExtensionValue,
}

/// The decoded value of an extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExtensionValue {
    /// `basicConstraints`: whether the subject is a certificate authority.
    BasicConstraints {
        /// The `cA` flag.
        ca: bool,
        /// The path length constraint, if any.
        path_len: Option<u32>,
    },
    /// `keyUsage`.
    KeyUsage {
        /// The usages, in the extension's bit order.
        usages: Vec<KeyUsage>,
    },
    /// `extendedKeyUsage`.
    ExtendedKeyUsage {
        /// The purposes.
        usages: Vec<ExtendedKeyUsage>,
    },
    /// `subjectAltName`.
    SubjectAltName {
        /// The names.
        names: Vec<GeneralName>,
    },
    /// Any other extension; its value is not decoded.
    Other,
}

/// A `keyUsage` bit (RFC 5280, section 4.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyUsage {
    /// `digitalSignature`.
    DigitalSignature,
    /// `nonRepudiation`, also called `contentCommitment`.
    ContentCommitment,
    /// `keyEncipherment`.
    KeyEncipherment,
    /// `dataEncipherment`.
    DataEncipherment,
    /// `keyAgreement`.
    KeyAgreement,
    /// `keyCertSign`: the key may sign certificates.
    KeyCertSign,
    /// `cRLSign`.
    CrlSign,
    /// `encipherOnly`.
    EncipherOnly,
    /// `decipherOnly`.
    DecipherOnly,
}

/// An `extendedKeyUsage` purpose (RFC 5280, section 4.2.1.12).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtendedKeyUsage {
    /// TLS client authentication, the purpose of a Kubernetes client certificate.
    ClientAuth,
    /// TLS server authentication.
    ServerAuth,
    /// Code signing.
    CodeSigning,
    /// E-mail protection.
    EmailProtection,
    /// Time stamping.
    TimeStamping,
    /// OCSP response signing.
    OcspSigning,
    /// Any purpose (`anyExtendedKeyUsage`).
    Any,
    /// Another purpose, named by its dotted object identifier.
    Other(String),
}

/// One name of a `subjectAltName` extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum GeneralName {
    /// A DNS name.
    Dns(String),
    /// An e-mail address (`rfc822Name`).
    Email(String),
    /// A URI.
    Uri(String),
    /// An IP address, in its usual text form.
    Ip(String),
    /// Any other kind of name, described in text.
    Other(String),
}

/// What a certificate says. Its signature is not checked here: that needs the issuer,
/// and the cluster that issued it is the authority on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// The subject's common name as Kubernetes reads it (the last `CN` when there are
    /// several), or `None` when there is none.
    pub common_name: Option<String>,
    /// Every organization (`O`) of the subject, in order: the Kubernetes groups.
    pub organizations: Vec<String>,
    /// The whole subject as text, such as `CN=minjun, O=dev-team`.
    pub subject: String,
    /// The whole issuer as text.
    pub issuer: String,
    /// The serial number in uppercase hex without separators, as
    /// `openssl x509 -serial` prints it.
    pub serial: String,
    /// The start of the validity period.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// The end of the validity period.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// Whether the certificate is a certificate authority (`basicConstraints` `cA`).
    pub is_ca: bool,
    /// The key usages, empty when the extension is absent.
    pub key_usage: Vec<KeyUsage>,
    /// The extended key usages, empty when the extension is absent.
    pub extended_key_usage: Vec<ExtendedKeyUsage>,
    /// The certified public key.
    pub public_key: PublicKeyInfo,
    /// SHA-256 of the DER SubjectPublicKeyInfo, as colon-separated uppercase hex.
    pub public_key_sha256: String,
    /// The algorithm the issuer signed with, such as `ecdsa-with-SHA256`.
    pub signature_algorithm: String,
    /// SHA-256 of the certificate's DER, as colon-separated uppercase hex, as
    /// `openssl x509 -noout -fingerprint -sha256` prints it.
    pub sha256_fingerprint: String,
}

/// Decodes a PEM `CERTIFICATE REQUEST` and verifies its self-signature.
///
/// The input must hold exactly one PEM block, labelled `CERTIFICATE REQUEST` (the only
/// label the Kubernetes API server accepts); text around the block is ignored. The
/// subject must have exactly one common name, and every subject value must be a string
/// Kubernetes can read. The request's self-signature must verify with its own public
/// key, or the answer is [`InspectError::SignatureInvalid`].
pub fn inspect_csr(pem_text: &str) -> Result<CsrInfo, InspectError> {
    check_size(pem_text)?;
    let blocks = pem::parse_many(pem_text).map_err(pem_error)?;
    let block = match blocks.as_slice() {
        [] => {
            return Err(InspectError::PemInvalid {
                reason: "no PEM block found".to_owned(),
            });
        }
        [block] => block,
        more => {
            return Err(InspectError::PemInvalid {
                reason: format!("{} PEM blocks found, exactly one expected", more.len()),
            });
        }
    };
    if block.tag() != CSR_LABEL {
        return Err(InspectError::PemLabelUnexpected {
            expected: CSR_LABEL,
            found: block.tag().to_owned(),
        });
    }
    inspect_csr_der(block.contents())
}

/// Decodes a DER-encoded certificate signing request and verifies its self-signature,
/// with the same guarantees as [`inspect_csr`].
pub fn inspect_csr_der(der: &[u8]) -> Result<CsrInfo, InspectError> {
    if der.is_empty() {
        return Err(InspectError::InputEmpty);
    }
    if der.len() > MAX_INPUT_BYTES {
        return Err(InspectError::InputTooLarge { size: der.len() });
    }
    let (rest, csr) = X509CertificationRequest::from_der(der).map_err(der_error)?;
    if !rest.is_empty() {
        return Err(trailing_bytes(rest.len()));
    }
    let info = &csr.certification_request_info;
    let subject = decode_name(&info.subject)?;
    let common_name = match subject.common_names.len() {
        0 => return Err(InspectError::SubjectMissingCn),
        1 => subject.common_names.into_iter().next().unwrap_or_default(),
        count => return Err(InspectError::SubjectMultipleCn { count }),
    };
    let public_key = decode_public_key(&info.subject_pki)?;
    verify_signature(
        &info.subject_pki,
        &public_key,
        &csr.signature_algorithm,
        csr.signature_value.data.as_ref(),
        info.raw,
    )?;

    let mut extensions = Vec::new();
    let mut other_attributes = Vec::new();
    for attribute in info.iter_attributes() {
        match attribute.parsed_attribute() {
            ParsedCriAttribute::ExtensionRequest(request) => {
                for extension in &request.extensions {
                    extensions.push(decode_extension(extension)?);
                }
            }
            // An extensionRequest x509-parser could not decode must not slip through
            // as an "other" attribute: its extensions would go unchecked.
            _ if attribute.oid == OID_PKCS9_EXTENSION_REQUEST => {
                return Err(InspectError::DerInvalid {
                    reason: "the extensionRequest attribute is malformed".to_owned(),
                });
            }
            _ => other_attributes.push(attribute.oid.to_id_string()),
        }
    }

    Ok(CsrInfo {
        common_name,
        organizations: subject.organizations,
        other_subject_attributes: subject.others,
        public_key,
        public_key_sha256: colon_hex(&Sha256::digest(info.subject_pki.raw)),
        signature_algorithm: algorithm_name(&csr.signature_algorithm.algorithm),
        extensions,
        other_attributes,
    })
}

/// Decodes an X.509 certificate given as PEM text, as base64 of PEM (the form of a
/// kubeconfig's `client-certificate-data`), or as base64 of DER.
///
/// When the PEM holds a chain, the first block (the leaf) is decoded and must be
/// labelled `CERTIFICATE`. The certificate's own signature is not verified.
pub fn inspect_certificate(input: &str) -> Result<CertificateInfo, InspectError> {
    let der = certificate_der(input)?;
    inspect_certificate_der(&der)
}

/// Decodes a DER-encoded X.509 certificate, with the same guarantees as
/// [`inspect_certificate`].
pub fn inspect_certificate_der(der: &[u8]) -> Result<CertificateInfo, InspectError> {
    if der.is_empty() {
        return Err(InspectError::InputEmpty);
    }
    if der.len() > MAX_INPUT_BYTES {
        return Err(InspectError::InputTooLarge { size: der.len() });
    }
    let (rest, certificate) = X509Certificate::from_der(der).map_err(der_error)?;
    if !rest.is_empty() {
        return Err(trailing_bytes(rest.len()));
    }
    let subject = decode_name(certificate.subject())?;
    let public_key = decode_public_key(certificate.public_key())?;

    let mut is_ca = false;
    let mut key_usage = Vec::new();
    let mut extended_key_usage = Vec::new();
    for extension in certificate.extensions() {
        match decode_extension(extension)?.value {
            ExtensionValue::BasicConstraints { ca, .. } => is_ca = ca,
            ExtensionValue::KeyUsage { usages } => key_usage = usages,
            ExtensionValue::ExtendedKeyUsage { usages } => extended_key_usage = usages,
            ExtensionValue::SubjectAltName { .. } | ExtensionValue::Other => {}
        }
    }

    let validity = certificate.validity();
    Ok(CertificateInfo {
        common_name: subject.common_names.last().cloned(),
        organizations: subject.organizations,
        subject: certificate.subject().to_string(),
        issuer: certificate.issuer().to_string(),
        serial: serial_hex(certificate.raw_serial()),
        not_before: validity.not_before.to_datetime(),
        not_after: validity.not_after.to_datetime(),
        is_ca,
        key_usage,
        extended_key_usage,
        public_key,
        public_key_sha256: colon_hex(&Sha256::digest(certificate.public_key().raw)),
        signature_algorithm: algorithm_name(&certificate.signature_algorithm.algorithm),
        sha256_fingerprint: colon_hex(&Sha256::digest(der)),
    })
}

/// Returns whether `private_key_pem` (unencrypted PKCS#8, PKCS#1 or SEC1, as
/// [`crate::keys::PrivateKey::from_pem`] reads) is the private half of the public key
/// that `certificate` certifies.
///
/// The two match when the key's SubjectPublicKeyInfo, written in its canonical DER
/// form, has the same SHA-256 as the certificate's.
pub fn public_key_matches(
    certificate: &CertificateInfo,
    private_key_pem: &str,
) -> Result<bool, InspectError> {
    check_size(private_key_pem)?;
    let key = crate::keys::PrivateKey::from_pem(private_key_pem)
        .map_err(|_| InspectError::PrivateKeyInvalid)?;
    let key_pair = zeroize::Zeroizing::new(
        KeyPair::try_from(key.pkcs8_der()).map_err(|_| InspectError::PrivateKeyInvalid)?,
    );
    let spki = key_pair.subject_public_key_info();
    Ok(colon_hex(&Sha256::digest(&spki)) == certificate.public_key_sha256)
}

/// Returns whether the certificate (in any form [`inspect_certificate`] reads) was
/// signed by one of the CA certificates of the PEM bundle: its issuer is the CA's
/// subject and its signature verifies with the CA's public key.
///
/// Validity periods are not checked here.
pub fn issued_by(certificate: &str, ca_bundle_pem: &str) -> Result<bool, InspectError> {
    let der = certificate_der(certificate)?;
    let (_, leaf) = X509Certificate::from_der(&der).map_err(der_error)?;
    check_size(ca_bundle_pem)?;
    let blocks = pem::parse_many(ca_bundle_pem).map_err(pem_error)?;
    for block in blocks.iter().filter(|b| b.tag() == CERTIFICATE_LABEL) {
        let Ok((_, ca)) = X509Certificate::from_der(block.contents()) else {
            continue;
        };
        if ca.subject().as_raw() != leaf.issuer().as_raw() {
            continue;
        }
        let Ok(key) = decode_public_key(ca.public_key()) else {
            continue;
        };
        let verified = verify_signature(
            ca.public_key(),
            &key,
            &leaf.signature_algorithm,
            leaf.signature_value.data.as_ref(),
            leaf.tbs_certificate.as_ref(),
        );
        if verified.is_ok() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Verifies `signature` over `message` with the public key the certificate certifies,
/// with the algorithm its key implies: ECDSA P-256 with SHA-256, ECDSA P-384 with
/// SHA-384 (ASN.1 DER signatures), Ed25519, or RSA PKCS#1 v1.5 with SHA-256 (keys of
/// 2048 to 8192 bits).
pub fn verify_with_certificate_key(
    certificate: &str,
    message: &[u8],
    signature_value: &[u8],
) -> Result<(), InspectError> {
    let der = certificate_der(certificate)?;
    let (_, certificate) = X509Certificate::from_der(&der).map_err(der_error)?;
    verify_with_key(certificate.public_key(), message, signature_value)
}

/// Verifies `signature` over `message` with the public key of a PEM certificate
/// signing request, with the algorithms of [`verify_with_certificate_key`]: proof that
/// the signer holds the request's key. The request's own self-signature is not checked
/// here ([`inspect_csr`] does that).
pub fn verify_with_csr_key(
    csr_pem: &str,
    message: &[u8],
    signature_value: &[u8],
) -> Result<(), InspectError> {
    check_size(csr_pem)?;
    let block = pem::parse(csr_pem.trim()).map_err(pem_error)?;
    let (_, csr) = X509CertificationRequest::from_der(block.contents()).map_err(der_error)?;
    verify_with_key(
        &csr.certification_request_info.subject_pki,
        message,
        signature_value,
    )
}

fn verify_with_key(
    spki: &SubjectPublicKeyInfo<'_>,
    message: &[u8],
    signature_value: &[u8],
) -> Result<(), InspectError> {
    let verifier: &'static dyn signature::VerificationAlgorithm = match decode_public_key(spki)? {
        PublicKeyInfo::Ecdsa {
            curve: EcCurve::P256,
        } => &signature::ECDSA_P256_SHA256_ASN1,
        PublicKeyInfo::Ecdsa {
            curve: EcCurve::P384,
        } => &signature::ECDSA_P384_SHA384_ASN1,
        PublicKeyInfo::Ed25519 => &signature::ED25519,
        PublicKeyInfo::Rsa { bits } if (2048..=RSA_MAX_BITS).contains(&bits) => {
            &signature::RSA_PKCS1_2048_8192_SHA256
        }
        other => {
            return Err(InspectError::SignatureAlgorithmUnsupported {
                algorithm: other.label(),
            });
        }
    };
    signature::UnparsedPublicKey::new(verifier, spki.subject_public_key.data.as_ref())
        .verify(message, signature_value)
        .map_err(|_| InspectError::SignatureInvalid)
}

fn check_size(input: &str) -> Result<(), InspectError> {
    if input.trim().is_empty() {
        return Err(InspectError::InputEmpty);
    }
    if input.len() > MAX_INPUT_BYTES {
        return Err(InspectError::InputTooLarge { size: input.len() });
    }
    Ok(())
}

/// Finds the certificate DER in PEM text, base64 of PEM, or base64 of DER.
fn certificate_der(input: &str) -> Result<Vec<u8>, InspectError> {
    check_size(input)?;
    let text = input.trim();
    if text.contains("-----BEGIN") {
        return first_certificate_block(text);
    }
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| InspectError::Base64Invalid)?;
    if decoded.trim_ascii_start().starts_with(b"-----BEGIN") {
        let pem_text = std::str::from_utf8(&decoded).map_err(|_| InspectError::PemInvalid {
            reason: "the decoded PEM text is not UTF-8".to_owned(),
        })?;
        return first_certificate_block(pem_text);
    }
    Ok(decoded)
}

fn first_certificate_block(text: &str) -> Result<Vec<u8>, InspectError> {
    let blocks = pem::parse_many(text).map_err(pem_error)?;
    let Some(first) = blocks.into_iter().next() else {
        return Err(InspectError::PemInvalid {
            reason: "no PEM block found".to_owned(),
        });
    };
    if first.tag() != CERTIFICATE_LABEL {
        return Err(InspectError::PemLabelUnexpected {
            expected: CERTIFICATE_LABEL,
            found: first.tag().to_owned(),
        });
    }
    Ok(first.into_contents())
}

fn pem_error(error: pem::PemError) -> InspectError {
    InspectError::PemInvalid {
        reason: error.to_string(),
    }
}

fn der_error<E: std::fmt::Display>(error: E) -> InspectError {
    InspectError::DerInvalid {
        reason: error.to_string(),
    }
}

fn trailing_bytes(count: usize) -> InspectError {
    InspectError::DerInvalid {
        reason: format!("{count} bytes follow the DER structure"),
    }
}

fn algorithm_name(oid: &Oid<'_>) -> String {
    let registry = x509_parser::objects::oid_registry();
    x509_parser::objects::oid2sn(oid, registry)
        .map(str::to_owned)
        .unwrap_or_else(|_| oid.to_id_string())
}

fn decode_public_key(spki: &SubjectPublicKeyInfo<'_>) -> Result<PublicKeyInfo, InspectError> {
    let algorithm = &spki.algorithm.algorithm;
    let key = spki.subject_public_key.data.as_ref();
    if *algorithm == OID_PKCS1_RSAENCRYPTION {
        Ok(PublicKeyInfo::Rsa {
            bits: rsa_modulus_bits(key)?,
        })
    } else if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = match spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
        {
            Some(oid) if oid == OID_EC_P256 => EcCurve::P256,
            Some(oid) if oid == OID_NIST_EC_P384 => EcCurve::P384,
            Some(oid) => EcCurve::Other(oid.to_id_string()),
            None => EcCurve::Other("unnamed".to_owned()),
        };
        if key.is_empty() {
            return Err(InspectError::PublicKeyInvalid {
                reason: "the EC point is empty".to_owned(),
            });
        }
        Ok(PublicKeyInfo::Ecdsa { curve })
    } else if *algorithm == OID_SIG_ED25519 {
        if key.len() != 32 {
            return Err(InspectError::PublicKeyInvalid {
                reason: format!("an Ed25519 key is 32 bytes, not {}", key.len()),
            });
        }
        Ok(PublicKeyInfo::Ed25519)
    } else {
        Ok(PublicKeyInfo::Other {
            oid: algorithm.to_id_string(),
        })
    }
}

/// Counts the significant bits of an RSA public key's modulus.
fn rsa_modulus_bits(rsa_public_key: &[u8]) -> Result<u32, InspectError> {
    let invalid = |reason: &str| InspectError::PublicKeyInvalid {
        reason: reason.to_owned(),
    };
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
    let parsed = yasna::parse_der(rsa_public_key, |reader| {
        reader.read_sequence(|reader| {
            let modulus = reader.next().read_bigint_bytes()?;
            let _exponent = reader.next().read_bigint_bytes()?;
            Ok(modulus)
        })
    });
    let (modulus, positive) = parsed.map_err(|_| invalid("not an RSAPublicKey"))?;
    if !positive {
        return Err(invalid("the modulus is negative"));
    }
    let significant = match modulus.iter().position(|byte| *byte != 0) {
        Some(start) => modulus.get(start..).unwrap_or_default(),
        None => return Err(invalid("the modulus is zero")),
    };
    let Some(first) = significant.first() else {
        return Err(invalid("the modulus is zero"));
    };
    let bits = significant.len().saturating_sub(1).saturating_mul(8)
        + (8 - first.leading_zeros() as usize);
    u32::try_from(bits).map_err(|_| invalid("the modulus is too large"))
}

/// The largest RSA modulus ring verifies with.
const RSA_MAX_BITS: u32 = 8192;

/// Verifies a signature made with `algorithm` over `signed` with the public key `spki`
/// (a CSR's own, or a CA's for a certificate it issued).
fn verify_signature(
    spki: &SubjectPublicKeyInfo<'_>,
    key: &PublicKeyInfo,
    algorithm: &AlgorithmIdentifier<'_>,
    signature_value: &[u8],
    signed: &[u8],
) -> Result<(), InspectError> {
    let oid = &algorithm.algorithm;
    let unsupported = |detail: Option<&str>| InspectError::SignatureAlgorithmUnsupported {
        algorithm: match detail {
            Some(detail) => format!("{} ({detail})", algorithm_name(oid)),
            None => algorithm_name(oid),
        },
    };
    let mismatch = || unsupported(Some("it does not match the public key's algorithm"));

    let verifier: &'static dyn signature::VerificationAlgorithm = if *oid == OID_PKCS1_SHA256WITHRSA
        || *oid == OID_PKCS1_SHA384WITHRSA
        || *oid == OID_PKCS1_SHA512WITHRSA
    {
        let PublicKeyInfo::Rsa { bits } = *key else {
            return Err(mismatch());
        };
        if bits > RSA_MAX_BITS {
            return Err(unsupported(Some("RSA keys above 8192 bits")));
        }
        // Keys from 1024 bits up are verified so that a weak key is reported as too
        // weak by the policy, not as a bad signature.
        match (bits, oid) {
            (..1024, _) => return Err(unsupported(Some("RSA keys below 1024 bits"))),
            (..2048, o) if *o == OID_PKCS1_SHA256WITHRSA => {
                &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
            }
            (..2048, o) if *o == OID_PKCS1_SHA512WITHRSA => {
                &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
            }
            (..2048, _) => return Err(unsupported(Some("RSA keys below 2048 bits"))),
            (_, o) if *o == OID_PKCS1_SHA256WITHRSA => &signature::RSA_PKCS1_2048_8192_SHA256,
            (_, o) if *o == OID_PKCS1_SHA384WITHRSA => &signature::RSA_PKCS1_2048_8192_SHA384,
            _ => &signature::RSA_PKCS1_2048_8192_SHA512,
        }
    } else if *oid == OID_SIG_ECDSA_WITH_SHA256 || *oid == OID_SIG_ECDSA_WITH_SHA384 {
        let sha256 = *oid == OID_SIG_ECDSA_WITH_SHA256;
        match (key, sha256) {
            (
                PublicKeyInfo::Ecdsa {
                    curve: EcCurve::P256,
                },
                true,
            ) => &signature::ECDSA_P256_SHA256_ASN1,
            (
                PublicKeyInfo::Ecdsa {
                    curve: EcCurve::P256,
                },
                false,
            ) => &signature::ECDSA_P256_SHA384_ASN1,
            (
                PublicKeyInfo::Ecdsa {
                    curve: EcCurve::P384,
                },
                true,
            ) => &signature::ECDSA_P384_SHA256_ASN1,
            (
                PublicKeyInfo::Ecdsa {
                    curve: EcCurve::P384,
                },
                false,
            ) => &signature::ECDSA_P384_SHA384_ASN1,
            (
                PublicKeyInfo::Ecdsa {
                    curve: EcCurve::Other(curve),
                },
                _,
            ) => {
                return Err(unsupported(Some(&format!("curve {curve}"))));
            }
            _ => return Err(mismatch()),
        }
    } else if *oid == OID_SIG_ED25519 {
        if *key != PublicKeyInfo::Ed25519 {
            return Err(mismatch());
        }
        &signature::ED25519
    } else {
        return Err(unsupported(None));
    };

    signature::UnparsedPublicKey::new(verifier, spki.subject_public_key.data.as_ref())
        .verify(signed, signature_value)
        .map_err(|_| InspectError::SignatureInvalid)
}

fn decode_extension(extension: &X509Extension<'_>) -> Result<ExtensionInfo, InspectError> {
    let oid = extension.oid.to_id_string();
    let value = match extension.parsed_extension() {
        ParsedExtension::BasicConstraints(constraints) => ExtensionValue::BasicConstraints {
            ca: constraints.ca,
            path_len: constraints.path_len_constraint,
        },
        ParsedExtension::KeyUsage(usage) => {
            let bits = [
                (usage.digital_signature(), KeyUsage::DigitalSignature),
                (usage.non_repudiation(), KeyUsage::ContentCommitment),
                (usage.key_encipherment(), KeyUsage::KeyEncipherment),
                (usage.data_encipherment(), KeyUsage::DataEncipherment),
                (usage.key_agreement(), KeyUsage::KeyAgreement),
                (usage.key_cert_sign(), KeyUsage::KeyCertSign),
                (usage.crl_sign(), KeyUsage::CrlSign),
                (usage.encipher_only(), KeyUsage::EncipherOnly),
                (usage.decipher_only(), KeyUsage::DecipherOnly),
            ];
            ExtensionValue::KeyUsage {
                usages: bits
                    .into_iter()
                    .filter(|(set, _)| *set)
                    .map(|(_, usage)| usage)
                    .collect(),
            }
        }
        ParsedExtension::ExtendedKeyUsage(eku) => {
            let flags = [
                (eku.client_auth, ExtendedKeyUsage::ClientAuth),
                (eku.server_auth, ExtendedKeyUsage::ServerAuth),
                (eku.code_signing, ExtendedKeyUsage::CodeSigning),
                (eku.email_protection, ExtendedKeyUsage::EmailProtection),
                (eku.time_stamping, ExtendedKeyUsage::TimeStamping),
                (eku.ocsp_signing, ExtendedKeyUsage::OcspSigning),
                (eku.any, ExtendedKeyUsage::Any),
            ];
            let mut usages: Vec<ExtendedKeyUsage> = flags
                .into_iter()
                .filter(|(set, _)| *set)
                .map(|(_, usage)| usage)
                .collect();
            usages.extend(
                eku.other
                    .iter()
                    .map(|oid| ExtendedKeyUsage::Other(oid.to_id_string())),
            );
            ExtensionValue::ExtendedKeyUsage { usages }
        }
        ParsedExtension::SubjectAlternativeName(san) => ExtensionValue::SubjectAltName {
            names: san.general_names.iter().map(general_name).collect(),
        },
        ParsedExtension::ParseError { .. } => return Err(InspectError::ExtensionInvalid { oid }),
        _ => ExtensionValue::Other,
    };
    Ok(ExtensionInfo {
        oid,
        critical: extension.critical,
        value,
    })
}

fn general_name(name: &X509GeneralName<'_>) -> GeneralName {
    match name {
        X509GeneralName::DNSName(dns) => GeneralName::Dns((*dns).to_owned()),
        X509GeneralName::RFC822Name(email) => GeneralName::Email((*email).to_owned()),
        X509GeneralName::URI(uri) => GeneralName::Uri((*uri).to_owned()),
        X509GeneralName::IPAddress(bytes) => GeneralName::Ip(ip_text(bytes)),
        X509GeneralName::DirectoryName(name) => {
            GeneralName::Other(format!("directory name {name}"))
        }
        X509GeneralName::OtherName(oid, _) => {
            GeneralName::Other(format!("other name {}", oid.to_id_string()))
        }
        X509GeneralName::RegisteredID(oid) => {
            GeneralName::Other(format!("registered id {}", oid.to_id_string()))
        }
        X509GeneralName::X400Address(_) => GeneralName::Other("X.400 address".to_owned()),
        X509GeneralName::EDIPartyName(_) => GeneralName::Other("EDI party name".to_owned()),
        X509GeneralName::Invalid(_, _) => GeneralName::Other("malformed name".to_owned()),
    }
}

fn ip_text(bytes: &[u8]) -> String {
    if let Ok(octets) = <[u8; 4]>::try_from(bytes) {
        std::net::Ipv4Addr::from(octets).to_string()
    } else if let Ok(octets) = <[u8; 16]>::try_from(bytes) {
        std::net::Ipv6Addr::from(octets).to_string()
    } else {
        format!("malformed address {}", colon_hex(bytes))
    }
}

fn serial_hex(raw: &[u8]) -> String {
    let significant = match raw.iter().position(|byte| *byte != 0) {
        Some(start) => raw.get(start..).unwrap_or_default(),
        None => &[],
    };
    if significant.is_empty() {
        return "00".to_owned();
    }
    significant.iter().fold(
        String::with_capacity(significant.len() * 2),
        |mut out, byte| {
            let _ = write!(out, "{byte:02X}");
            out
        },
    )
}

/// Formats bytes as `AB:CD:…`, the way openssl prints fingerprints.
fn colon_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (index, byte) in bytes.iter().enumerate() {
        if index > 0 {
            out.push(':');
        }
        let _ = write!(out, "{byte:02X}");
    }
    out
}
