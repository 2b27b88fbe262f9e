//! Withdrawing a pending request, proved by the key the requester holds.
//!
//! Only the browser that made a request holds its private key, so a signature with
//! that key over the request id is the requester's word that the request should go:
//! nobody else (not a person who learnt the id from a link or a log) can make it. The
//! backend checks the signature against the public key in the request's own CSR.
//!
//! ```
//! use shared::keys::{generate, Subject};
//! use shared::withdrawal::{sign, verify};
//! use shared::KeyAlgorithm;
//!
//! let subject = Subject { username: "minjun".into(), groups: vec![] };
//! let mine = generate(KeyAlgorithm::EcdsaP256, &subject).unwrap();
//! let proof = sign(&mine.private_key, "certdesk-minjun-abc").unwrap();
//! assert!(verify(&mine.csr_pem, "certdesk-minjun-abc", &proof).is_ok());
//! // Bound to one request: the same proof does not withdraw another.
//! assert!(verify(&mine.csr_pem, "certdesk-minjun-xyz", &proof).is_err());
//! ```

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::inspect::InspectError;
use crate::keys::{KeyError, PrivateKey};

/// What every withdrawal message starts with, so a signature made for a withdrawal can
/// never be taken for one over anything else (a renewal proof, a CSR).
pub const CONTEXT: &[u8] = b"CertDesk withdrawal of a pending request, v1\0";

/// The longest proof accepted, in base64 characters (an RSA-8192 signature is 1,368).
pub const MAX_PROOF_CHARS: usize = 2048;

/// The body of `POST /api/v1/requests/{id}/withdraw`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    /// The request key's signature over [`digest`] of the request id, base64 (standard
    /// alphabet).
    pub proof: String,
}

/// Why a withdrawal proof does not hold.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WithdrawalError {
    /// The key could not sign.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The proof is not base64, or too long to be a signature.
    #[error("the proof is not a base64 signature")]
    ProofMalformed,
    /// The proof does not verify with the request's public key.
    #[error("the proof was not made with this request's key: {0}")]
    ProofInvalid(#[source] InspectError),
}

/// Returns the SHA-256 the proof signs: of [`CONTEXT`], the id's length and its bytes.
pub fn digest(request_id: &str) -> [u8; 32] {
    let length = u32::try_from(request_id.len()).unwrap_or(u32::MAX);
    let mut hasher = Sha256::new();
    hasher.update(CONTEXT);
    hasher.update(length.to_be_bytes());
    hasher.update(request_id.as_bytes());
    hasher.finalize().into()
}

/// Signs the withdrawal of `request_id` with the request's key; returns it base64.
pub fn sign(key: &PrivateKey, request_id: &str) -> Result<String, WithdrawalError> {
    let signature = key.sign(&digest(request_id))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(signature))
}

/// Verifies a proof made by [`sign`] against the public key of the request's CSR.
pub fn verify(csr_pem: &str, request_id: &str, proof: &str) -> Result<(), WithdrawalError> {
    let proof = proof.trim();
    if proof.is_empty() || proof.len() > MAX_PROOF_CHARS {
        return Err(WithdrawalError::ProofMalformed);
    }
    let signature = base64::engine::general_purpose::STANDARD
        .decode(proof.as_bytes())
        .map_err(|_| WithdrawalError::ProofMalformed)?;
    crate::inspect::verify_with_csr_key(csr_pem, &digest(request_id), &signature)
        .map_err(WithdrawalError::ProofInvalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyAlgorithm;
    use crate::keys::{Subject, generate};

    fn key(algorithm: KeyAlgorithm) -> crate::keys::GeneratedKey {
        let subject = Subject {
            username: "minjun".into(),
            groups: vec!["dev-team".into()],
        };
        generate(algorithm, &subject).expect("key")
    }

    #[test]
    fn only_the_requests_key_withdraws_it() {
        for algorithm in [
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
            KeyAlgorithm::Ed25519,
        ] {
            let mine = key(algorithm);
            let theirs = key(algorithm);
            let proof = sign(&mine.private_key, "certdesk-minjun-1").expect("sign");
            verify(&mine.csr_pem, "certdesk-minjun-1", &proof).expect("verifies");
            let forged = sign(&theirs.private_key, "certdesk-minjun-1").expect("sign");
            assert!(matches!(
                verify(&mine.csr_pem, "certdesk-minjun-1", &forged),
                Err(WithdrawalError::ProofInvalid(_))
            ));
            assert!(verify(&mine.csr_pem, "certdesk-minjun-2", &proof).is_err());
        }
    }

    #[test]
    fn a_renewal_style_signature_is_not_a_withdrawal() {
        let mine = key(KeyAlgorithm::Ed25519);
        // A signature over the bare id (or anything without the context) is refused.
        let bare = mine.private_key.sign(b"certdesk-minjun-1").expect("sign");
        let bare = base64::engine::general_purpose::STANDARD.encode(bare);
        assert!(verify(&mine.csr_pem, "certdesk-minjun-1", &bare).is_err());
    }

    #[test]
    fn malformed_proofs_are_refused_before_any_crypto() {
        let mine = key(KeyAlgorithm::EcdsaP256);
        for proof in ["", "   ", "not base64!", &"A".repeat(MAX_PROOF_CHARS + 4)] {
            assert!(matches!(
                verify(&mine.csr_pem, "certdesk-minjun-1", proof),
                Err(WithdrawalError::ProofMalformed)
            ));
        }
        assert!(verify("not a csr", "certdesk-minjun-1", "AAAA").is_err());
    }
}
