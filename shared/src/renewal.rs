//! Renewal without an admin, by proof of possession.
//!
//! A user who holds a valid certificate and its key asks the backend for a short-lived
//! challenge, makes a new key and a CSR for the same subject, and signs the
//! [`proof_message`] (the challenge bound to the new CSR's SHA-256) with the **old** key.
//! The backend checks that the old certificate was issued by the cluster's CA, is
//! valid now, names the same subject, and that the proof verifies with its public key.
//! The new CSR's signature proves the new key; the proof proves the old one, and binds
//! both to one challenge, so neither a replayed proof nor a swapped CSR is accepted.
//!
//! ```
//! use shared::keys::{generate, Subject};
//! use shared::renewal::{sign_proof, proof_digest};
//! use shared::KeyAlgorithm;
//!
//! let subject = Subject { username: "minjun".into(), groups: vec![] };
//! let old = generate(KeyAlgorithm::EcdsaP256, &subject).unwrap();
//! let new = generate(KeyAlgorithm::Ed25519, &subject).unwrap();
//! let proof = sign_proof(&old.private_key, "challenge", &new.csr_pem).unwrap();
//! assert!(!proof.is_empty());
//! // The digest binds the challenge and the CSR: another CSR gives another digest.
//! assert_ne!(proof_digest("challenge", &new.csr_pem).unwrap(),
//!            proof_digest("challenge", &old.csr_pem).unwrap());
//! ```

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::inspect::InspectError;
use crate::keys::{KeyError, PrivateKey};

/// What every proof message starts with, so a signature made for a renewal can never
/// be taken for a signature over anything else.
pub const PROOF_CONTEXT: &[u8] = b"CertDesk renewal proof of possession, v1\0";

/// The challenge the backend hands out (`POST /api/v1/renewals/challenge`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RenewalChallenge {
    /// The challenge, opaque to the browser; it is signed over, then sent back.
    pub challenge: String,
    /// When the backend stops accepting it.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// A renewal (`POST /api/v1/renewals`): a new CSR for the same subject as the old
/// certificate, with the proof that the sender holds the old certificate's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RenewalRequest {
    /// The new PKCS#10 certificate signing request, PEM-encoded.
    pub csr_pem: String,
    /// The requested certificate lifetime in seconds.
    pub expiration_seconds: u32,
    /// The certificate being renewed, PEM-encoded.
    pub certificate_pem: String,
    /// The challenge, as received.
    pub challenge: String,
    /// The old key's signature over [`proof_message`], base64 (standard alphabet).
    pub proof: String,
    /// A note for the approver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Why a proof could not be made or does not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The new CSR could not be read as PEM.
    #[error("the certificate signing request is not PEM: {0}")]
    CsrInvalid(String),
    /// The old key could not be read or could not sign.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The proof is not base64.
    #[error("the proof is not base64")]
    ProofMalformed,
    /// The proof does not verify with the old certificate's public key (or that key's
    /// algorithm is not supported).
    #[error("the proof does not verify with the certificate's public key: {0}")]
    ProofInvalid(#[source] InspectError),
}

/// Returns the SHA-256 the proof signs: of [`PROOF_CONTEXT`], the challenge's length
/// and bytes, and the SHA-256 of the new CSR's DER.
pub fn proof_digest(challenge: &str, csr_pem: &str) -> Result<[u8; 32], ProofError> {
    let csr = pem::parse(csr_pem).map_err(|e| ProofError::CsrInvalid(e.to_string()))?;
    let length = u32::try_from(challenge.len()).unwrap_or(u32::MAX);
    let mut hasher = Sha256::new();
    hasher.update(PROOF_CONTEXT);
    hasher.update(length.to_be_bytes());
    hasher.update(challenge.as_bytes());
    hasher.update(Sha256::digest(csr.contents()));
    Ok(hasher.finalize().into())
}

/// Signs the proof for `csr_pem` and `challenge` with the old key; returns it base64.
pub fn sign_proof(
    old_key: &PrivateKey,
    challenge: &str,
    csr_pem: &str,
) -> Result<String, ProofError> {
    let digest = proof_digest(challenge, csr_pem)?;
    let signature = old_key.sign(&digest)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(signature))
}

/// Verifies a proof made by [`sign_proof`] against the old certificate's public key.
pub fn verify_proof(
    certificate_pem: &str,
    challenge: &str,
    csr_pem: &str,
    proof: &str,
) -> Result<(), ProofError> {
    let signature = base64::engine::general_purpose::STANDARD
        .decode(proof.trim().as_bytes())
        .map_err(|_| ProofError::ProofMalformed)?;
    let digest = proof_digest(challenge, csr_pem)?;
    crate::inspect::verify_with_certificate_key(certificate_pem, &digest, &signature)
        .map_err(ProofError::ProofInvalid)
}
