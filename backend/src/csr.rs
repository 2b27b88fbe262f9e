//! Reading and vetting a requester's certificate signing request with the same code the
//! browser runs: `shared::inspect` parses and verifies, `shared::policy` decides.
//!
//! [`vet`] and [`describe`] are the only entry points the rest of the backend uses; the
//! username and groups are `shared::subject`'s reading, exactly as the API server's.

use serde::Serialize;
use shared::inspect::{self, CsrInfo, ExtensionValue, InspectError, PublicKeyInfo};
use shared::names::NameIndex;
use shared::{ApiError, PortalConfig, policy};

use crate::cluster::Error;

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
    /// Whether the CSR's self-signature verifies (always true for a summary that was
    /// produced: inspection refuses a CSR whose signature does not verify).
    pub signature_valid: bool,
    /// The SHA-256 of its SubjectPublicKeyInfo (colon-separated hex), as
    /// `shared::inspect` reads certificates' too.
    pub public_key_sha256: String,
}

/// A CSR that parsed, verified and passed the policy.
#[derive(Debug, Clone)]
pub struct VettedCsr {
    /// The decoded request.
    pub summary: CsrSummary,
    /// The CSR as PEM, as the `CertificateSigningRequest`'s `spec.request` carries it.
    pub pem: String,
}

/// Parses a PEM CSR, verifies its self-signature and applies the operator's policy;
/// `known_users` are the users that already have bindings (a look-alike is refused).
///
/// A CSR that does not parse is `csr_invalid`, one whose signature does not verify is
/// `csr_signature_invalid`, and one breaking the policy is `policy_violation` with every
/// violation (`shared::policy::Violation`) listed in `details.violations`.
pub fn vet(pem: &str, portal: &PortalConfig, known_users: &NameIndex) -> Result<VettedCsr, Error> {
    let info = inspect::inspect_csr(pem).map_err(inspect_error)?;
    let violations = policy::check(&info, &portal.policy, &portal.key_algorithms, known_users);
    if !violations.is_empty() {
        return Err(Error::Policy(violations));
    }
    Ok(VettedCsr {
        summary: summarize(&info),
        pem: format!("{}\n", pem.trim()),
    })
}

/// Decodes a CSR as stored in a `CertificateSigningRequest` (PEM bytes) without
/// applying the policy, for the approver's view.
pub fn describe(pem: &[u8]) -> Result<CsrSummary, Error> {
    let text = std::str::from_utf8(pem)
        .map_err(|_| Error::invalid(shared::ErrorCode::CsrInvalid, "The CSR is not PEM text."))?;
    let info = inspect::inspect_csr(text).map_err(inspect_error)?;
    Ok(summarize(&info))
}

fn inspect_error(error: InspectError) -> Error {
    Error::Invalid(
        ApiError::new(error.api_code(), error.to_string())
            .with_details(serde_json::json!({ "reason": error.code() })),
    )
}

fn summarize(info: &CsrInfo) -> CsrSummary {
    let (is_rsa, bits) = match info.public_key {
        PublicKeyInfo::Rsa { bits } => (true, bits as usize),
        PublicKeyInfo::Ecdsa { .. } | PublicKeyInfo::Ed25519 | PublicKeyInfo::Other { .. } => {
            (false, key_bits(&info.public_key))
        }
    };
    CsrSummary {
        username: info.common_name.clone(),
        groups: info.organizations.clone(),
        public_key_sha256: info.public_key_sha256.clone(),
        key: KeyDescription {
            label: info.public_key.label(),
            is_rsa,
            bits,
        },
        asks_for_ca: info
            .extensions
            .iter()
            .any(|e| matches!(e.value, ExtensionValue::BasicConstraints { ca: true, .. })),
        signature_valid: true,
    }
}

fn key_bits(key: &PublicKeyInfo) -> usize {
    match key.key_algorithm() {
        Some(shared::KeyAlgorithm::EcdsaP256) | Some(shared::KeyAlgorithm::Ed25519) => 256,
        Some(shared::KeyAlgorithm::EcdsaP384) => 384,
        _ => 0,
    }
}
