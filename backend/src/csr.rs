//! Reading and vetting a requester's certificate signing request.
//!
//! This module stands in for `shared::inspect::inspect_csr` and `shared::policy::check`
//! until they land on this branch: [`vet`] and [`describe`] are the only entry points the
//! rest of the backend uses, so the swap touches this file alone.
// TODO(keys issue): replace the x509-parser code below with shared::inspect + shared::policy.

use serde::Serialize;
use shared::{ApiError, ErrorCode, PolicyLimits};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::ParsedExtension;
use x509_parser::oid_registry::{OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::AttributeTypeAndValue;

use crate::error::Error;

/// The public key a CSR carries, as far as policy and approvers care.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyDescription {
    /// A human label such as "ECDSA P-256" or "RSA 3072".
    pub label: String,
    /// Whether the key is RSA (its certificate also carries `key encipherment`).
    pub is_rsa: bool,
    /// The key size in bits (0 when unknown).
    pub bits: usize,
}

/// What a CSR asks for: the subject Kubernetes will see and the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsrSummary {
    /// The common name, which Kubernetes takes as the username.
    pub username: String,
    /// The organisations, which Kubernetes takes as groups.
    pub groups: Vec<String>,
    /// The public key.
    pub key: KeyDescription,
    /// Whether the CSR asks for a CA certificate (`basicConstraints CA:TRUE`).
    pub asks_for_ca: bool,
    /// Whether the CSR's self-signature verifies.
    pub signature_valid: bool,
}

/// A CSR that parsed, verified and passed the policy.
#[derive(Debug, Clone)]
pub struct VettedCsr {
    /// The decoded request.
    pub summary: CsrSummary,
    /// The CSR as PEM, as the `CertificateSigningRequest`'s `spec.request` carries it.
    pub pem: String,
}

/// One policy rule a CSR breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// A stable code such as `group_system_prefix`.
    pub code: &'static str,
    /// What is wrong, for a person.
    pub message: String,
}

/// Parses a PEM CSR, verifies its self-signature and applies the policy.
///
/// A CSR that does not parse is `csr_invalid`, one whose signature does not verify is
/// `csr_signature_invalid`, and one breaking the policy is `policy_violation` with every
/// violation listed in `details`.
pub fn vet(pem: &str, limits: &PolicyLimits) -> Result<VettedCsr, Error> {
    let der = pem_to_der(pem)?;
    let summary = summarize(&der)?;
    // Policy first: ring cannot verify signatures of keys the policy refuses anyway
    // (RSA below 2048 bits), and the policy's answer says more.
    let violations = check(&summary, limits);
    if !violations.is_empty() {
        let message = violations
            .iter()
            .map(|v| v.message.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let details = serde_json::json!({ "violations": violations });
        return Err(Error::Client(
            ApiError::new(ErrorCode::PolicyViolation, message).with_details(details),
        ));
    }
    if !summary.signature_valid {
        return Err(Error::client(
            ErrorCode::CsrSignatureInvalid,
            "The CSR's signature does not verify with its own public key.",
        ));
    }
    Ok(VettedCsr {
        summary,
        pem: der_to_pem(&der),
    })
}

/// Decodes a CSR as stored in a `CertificateSigningRequest` (PEM bytes) without
/// applying the policy, for the approver's view.
pub fn describe(pem: &[u8]) -> Result<CsrSummary, Error> {
    let text = std::str::from_utf8(pem)
        .map_err(|_| Error::client(ErrorCode::CsrInvalid, "The CSR is not PEM text."))?;
    summarize(&pem_to_der(text)?)
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>, Error> {
    let invalid = |why: &str| {
        Error::client(
            ErrorCode::CsrInvalid,
            format!("The CSR is not a PEM certificate request: {why}."),
        )
    };
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.trim().as_bytes())
        .map_err(|_| invalid("no PEM block"))?;
    if block.label != "CERTIFICATE REQUEST" && block.label != "NEW CERTIFICATE REQUEST" {
        return Err(invalid(&format!(
            "the PEM block is labelled {:?}",
            block.label
        )));
    }
    Ok(block.contents)
}

fn der_to_pem(der: &[u8]) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE REQUEST-----\n");
    for chunk in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE REQUEST-----\n");
    pem
}

fn strings<'a>(
    values: impl Iterator<Item = &'a AttributeTypeAndValue<'a>>,
) -> Result<Vec<String>, Error> {
    values
        .map(|value| {
            value.as_str().map(str::to_owned).map_err(|_| {
                Error::client(
                    ErrorCode::CsrInvalid,
                    "The CSR cannot be parsed: a subject attribute is not a string.",
                )
            })
        })
        .collect()
}

fn summarize(der: &[u8]) -> Result<CsrSummary, Error> {
    let invalid = |why: String| {
        Error::client(
            ErrorCode::CsrInvalid,
            format!("The CSR cannot be parsed: {why}."),
        )
    };
    let (rest, csr) =
        X509CertificationRequest::from_der(der).map_err(|e| invalid(e.to_string()))?;
    if !rest.is_empty() {
        return Err(invalid("trailing bytes after the request".to_owned()));
    }
    let info = &csr.certification_request_info;
    let mut common_names = strings(info.subject.iter_common_name())?;
    if common_names.len() != 1 {
        return Err(invalid(format!(
            "it has {} common names (CN) where one is needed",
            common_names.len()
        )));
    }
    let username = common_names.remove(0);
    let groups = strings(info.subject.iter_organization())?;
    let algorithm = &info.subject_pki.algorithm.algorithm;
    let key = if *algorithm == OID_SIG_ED25519 {
        KeyDescription {
            label: "Ed25519".to_owned(),
            is_rsa: false,
            bits: 256,
        }
    } else if *algorithm == OID_PKCS1_RSAENCRYPTION {
        let bits = info
            .subject_pki
            .parsed()
            .map(|k| k.key_size())
            .map_err(|e| invalid(e.to_string()))?;
        KeyDescription {
            label: format!("RSA {bits}"),
            is_rsa: true,
            bits,
        }
    } else {
        match info.subject_pki.parsed() {
            Ok(PublicKey::EC(point)) => {
                let bits = point.key_size();
                KeyDescription {
                    label: format!("ECDSA P-{bits}"),
                    is_rsa: false,
                    bits,
                }
            }
            _ => KeyDescription {
                label: format!("unsupported ({algorithm})"),
                is_rsa: false,
                bits: 0,
            },
        }
    };
    let asks_for_ca = csr
        .requested_extensions()
        .map(|mut exts| exts.any(|e| matches!(e, ParsedExtension::BasicConstraints(bc) if bc.ca)))
        .unwrap_or(false);
    let signature_valid = csr.verify_signature().is_ok();
    Ok(CsrSummary {
        username,
        groups,
        key,
        asks_for_ca,
        signature_valid,
    })
}

/// The violation codes of one kind of name: empty, too long, control characters, `system:`.
type NameCodes = [&'static str; 4];
const USERNAME_CODES: NameCodes = [
    "username_empty",
    "username_too_long",
    "username_control_characters",
    "username_system_prefix",
];
const GROUP_CODES: NameCodes = [
    "group_empty",
    "group_too_long",
    "group_control_characters",
    "group_system_prefix",
];

fn check_name(
    what: &str,
    name: &str,
    codes: NameCodes,
    limits: &PolicyLimits,
    out: &mut Vec<Violation>,
) {
    let chars = name.chars().count();
    if chars == 0 {
        out.push(Violation {
            code: codes[0],
            message: format!("The {what} is empty."),
        });
    }
    if chars > usize::from(limits.max_name_chars) {
        out.push(Violation {
            code: codes[1],
            message: format!(
                "The {what} {name:?} is longer than {} characters.",
                limits.max_name_chars
            ),
        });
    }
    if name.chars().any(char::is_control) {
        out.push(Violation {
            code: codes[2],
            message: format!("The {what} {name:?} contains control characters."),
        });
    }
    if name.starts_with("system:") {
        out.push(Violation {
            code: codes[3],
            message: format!(
                "The {what} {name:?} starts with \"system:\", which is reserved for Kubernetes."
            ),
        });
    }
}

/// Returns every policy rule the decoded CSR breaks.
pub fn check(summary: &CsrSummary, limits: &PolicyLimits) -> Vec<Violation> {
    let mut out = Vec::new();
    check_name(
        "username",
        &summary.username,
        USERNAME_CODES,
        limits,
        &mut out,
    );
    if !summary.groups.is_empty() && !limits.groups_allowed {
        out.push(Violation {
            code: "groups_not_allowed",
            message: "Requests may not ask for groups.".to_owned(),
        });
    }
    if summary.groups.len() > usize::from(limits.max_groups) {
        out.push(Violation {
            code: "too_many_groups",
            message: format!(
                "The request asks for {} groups; at most {} are allowed.",
                summary.groups.len(),
                limits.max_groups
            ),
        });
    }
    for group in &summary.groups {
        check_name("group", group, GROUP_CODES, limits, &mut out);
    }
    if summary.key.is_rsa && summary.key.bits < 2048 {
        out.push(Violation {
            code: "rsa_key_too_small",
            message: format!(
                "The RSA key has {} bits; at least 2048 are required.",
                summary.key.bits
            ),
        });
    }
    if summary.key.bits == 0 {
        out.push(Violation {
            code: "key_algorithm_unsupported",
            message: format!("The key algorithm {} is not supported.", summary.key.label),
        });
    }
    if summary.asks_for_ca {
        out.push(Violation {
            code: "ca_requested",
            message: "The request asks for a CA certificate (basicConstraints CA:TRUE).".to_owned(),
        });
    }
    out
}
