//! Key pairs and certificate signing requests, made where this code runs (in CertDesk,
//! the requester's browser).
//!
//! [`generate`] makes a fresh key pair of the chosen [`KeyAlgorithm`] and a PKCS#10
//! certificate signing request for `CN=<username>` with one `O=<group>` per group. The
//! CSR is public and is what the browser sends; the [`PrivateKey`] never has to leave
//! the caller.
//!
//! Private keys are exported as unencrypted PKCS#8 (`-----BEGIN PRIVATE KEY-----`) for
//! every algorithm: `kubectl` (through Go's `crypto/tls`) reads PKCS#8 RSA, ECDSA and
//! Ed25519 keys, so one format serves all of them and needs no per-algorithm branch
//! when the kubeconfig is assembled. Ed25519 keys are written as PKCS#8 v1 (RFC 8410),
//! the form `openssl genpkey` writes, because OpenSSL 3.0 cannot read ring's v2 form.
//!
//! Randomness comes from the operating system on the host and from
//! `crypto.getRandomValues` in the browser; no seeded generator is ever used.
//!
//! ```
//! use shared::keys::{generate, Subject};
//! use shared::KeyAlgorithm;
//!
//! let subject = Subject { username: "minjun".into(), groups: vec!["dev-team".into()] };
//! let key = generate(KeyAlgorithm::EcdsaP256, &subject).unwrap();
//! assert!(key.csr_pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
//! assert!(key.private_key.pkcs8_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
//! // The key's Debug output never shows the key.
//! assert_eq!(format!("{:?}", key.private_key), "PrivateKey(<redacted>)");
//! ```

use std::fmt;

use rcgen::{KeyPair, PublicKeyData, SignatureAlgorithm, SigningKey};
use rsa::pkcs8::EncodePrivateKey;
use yasna::models::ObjectIdentifier;
use zeroize::Zeroizing;

use crate::KeyAlgorithm;

/// The object identifier of the X.520 `commonName` attribute (2.5.4.3).
const OID_COMMON_NAME: &[u64] = &[2, 5, 4, 3];
/// The object identifier of the X.520 `organizationName` attribute (2.5.4.10).
const OID_ORGANIZATION_NAME: &[u64] = &[2, 5, 4, 10];
/// `ecdsa-with-SHA256` (RFC 5758).
const OID_ECDSA_WITH_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
/// `ecdsa-with-SHA384` (RFC 5758).
const OID_ECDSA_WITH_SHA384: &[u64] = &[1, 2, 840, 10045, 4, 3, 3];
/// `id-Ed25519` (RFC 8410).
const OID_ED25519: &[u64] = &[1, 3, 101, 112];
/// `sha256WithRSAEncryption` (RFC 4055).
const OID_SHA256_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 11];

/// The PEM label of an unencrypted PKCS#8 private key.
const PKCS8_LABEL: &str = "PRIVATE KEY";
/// The PEM label of a PKCS#1 RSA private key.
const PKCS1_LABEL: &str = "RSA PRIVATE KEY";
/// The PEM label of a SEC1 elliptic-curve private key.
const SEC1_LABEL: &str = "EC PRIVATE KEY";
/// `rsaEncryption` (RFC 8017).
const OID_RSA_ENCRYPTION: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
/// `id-ecPublicKey` (RFC 5480).
const OID_EC_PUBLIC_KEY: &[u64] = &[1, 2, 840, 10045, 2, 1];
/// `secp256r1` (P-256).
const OID_P256: &[u64] = &[1, 2, 840, 10045, 3, 1, 7];
/// `secp384r1` (P-384).
const OID_P384: &[u64] = &[1, 3, 132, 0, 34];

/// Wraps a PKCS#1 or SEC1 private key in a PKCS#8 `PrivateKeyInfo` (RFC 5208): the
/// inner encoding is PKCS#8's `privateKey` for both.
fn wrap_pkcs8(algorithm: &[u64], curve: Option<&[u64]>, inner: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(yasna::construct_der(|writer| {
        writer.write_sequence(|writer| {
            writer.next().write_u8(0);
            writer.next().write_sequence(|writer| {
                writer
                    .next()
                    .write_oid(&ObjectIdentifier::from_slice(algorithm));
                match curve {
                    Some(curve) => writer
                        .next()
                        .write_oid(&ObjectIdentifier::from_slice(curve)),
                    None => writer.next().write_null(),
                }
            });
            writer.next().write_bytes(inner);
        });
    }))
}

/// The PEM label of a PKCS#10 certificate signing request.
const CSR_LABEL: &str = "CERTIFICATE REQUEST";

/// The identity a certificate is requested for, as Kubernetes reads it from the
/// certificate's subject.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subject {
    /// The Kubernetes username, written as the subject's only common name (`CN`).
    pub username: String,
    /// The Kubernetes groups, each written as one organization (`O`) attribute, in
    /// this order.
    pub groups: Vec<String>,
}

/// A freshly generated key pair and the certificate signing request it signed.
#[derive(Debug)]
pub struct GeneratedKey {
    /// The algorithm the key pair was generated for.
    pub algorithm: KeyAlgorithm,
    /// The PKCS#10 certificate signing request, PEM-encoded (`CERTIFICATE REQUEST`).
    /// It holds only the public key and the subject, so it is safe to send anywhere.
    pub csr_pem: String,
    /// The private key; it is wiped from memory when dropped.
    pub private_key: PrivateKey,
}

/// A private key in unencrypted PKCS#8 form.
///
/// Its bytes are overwritten with zeros when it is dropped, it has no `Serialize`
/// implementation (so it cannot end up in an API body by accident), and its `Debug`
/// output is redacted. Copies the caller makes from [`PrivateKey::pkcs8_pem`] or
/// [`PrivateKey::pkcs8_der`] are the caller's to protect.
pub struct PrivateKey {
    der: Zeroizing<Vec<u8>>,
    pem: Zeroizing<String>,
}

impl PrivateKey {
    /// Returns the key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, LF line endings),
    /// the form a kubeconfig's `client-key-data` carries (base64-encoded once more).
    pub fn pkcs8_pem(&self) -> &str {
        &self.pem
    }

    /// Returns the key as PKCS#8 DER.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.der
    }

    /// Reads back a key exported with [`PrivateKey::pkcs8_pem`] (for example one kept in
    /// the browser's storage while a request waits for approval).
    ///
    /// Only unencrypted PKCS#8 (`PRIVATE KEY`) holding an RSA, ECDSA P-256/P-384 or
    /// Ed25519 key is accepted; the key is checked to be usable before it is returned.
    pub fn from_pkcs8_pem(pem_text: &str) -> Result<Self, KeyError> {
        let parsed =
            pem::parse(pem_text).map_err(|e| KeyError::PrivateKeyInvalid(e.to_string()))?;
        if parsed.tag() != PKCS8_LABEL {
            return Err(KeyError::PrivateKeyInvalid(format!(
                "expected a \"{PKCS8_LABEL}\" PEM block, found \"{}\"",
                parsed.tag()
            )));
        }
        let der = Zeroizing::new(parsed.into_contents());
        // Loading it proves it is a PKCS#8 key ring can sign with; the copy is wiped.
        KeyPair::try_from(der.as_slice())
            .map(Zeroizing::new)
            .map_err(|e| KeyError::PrivateKeyInvalid(e.to_string()))?;
        Ok(Self::from_der(der))
    }

    /// Reads an unencrypted private key in any PEM form `openssl` and `kubectl` use:
    /// PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`, what `openssl genrsa` wrote
    /// before OpenSSL 3) or SEC1 (`EC PRIVATE KEY`, what `openssl ecparam -genkey`
    /// writes), and returns it as PKCS#8.
    ///
    /// The SEC1 key must carry its public key, as OpenSSL's always do.
    pub fn from_pem(pem_text: &str) -> Result<Self, KeyError> {
        let parsed =
            pem::parse(pem_text).map_err(|e| KeyError::PrivateKeyInvalid(e.to_string()))?;
        let tag = parsed.tag().to_owned();
        let inner = Zeroizing::new(parsed.into_contents());
        let candidates: Vec<Zeroizing<Vec<u8>>> = match tag.as_str() {
            PKCS8_LABEL => vec![inner],
            PKCS1_LABEL => vec![wrap_pkcs8(OID_RSA_ENCRYPTION, None, &inner)],
            // SEC1 names its curve in an optional field; trying each supported curve
            // lets ring, which checks the key against the curve, decide.
            SEC1_LABEL => [OID_P256, OID_P384]
                .into_iter()
                .map(|curve| wrap_pkcs8(OID_EC_PUBLIC_KEY, Some(curve), &inner))
                .collect(),
            other => {
                return Err(KeyError::PrivateKeyInvalid(format!(
                    "expected a \"{PKCS8_LABEL}\", \"{PKCS1_LABEL}\" or \"{SEC1_LABEL}\" PEM block, found \"{other}\" (encrypted keys are not supported)"
                )));
            }
        };
        for der in candidates {
            if KeyPair::try_from(der.as_slice())
                .map(Zeroizing::new)
                .is_ok()
            {
                return Ok(Self::from_der(der));
            }
        }
        Err(KeyError::PrivateKeyInvalid(format!(
            "the \"{tag}\" block does not hold an RSA, ECDSA P-256/P-384 or Ed25519 key"
        )))
    }

    /// Signs `message` with the key: ECDSA P-256 with SHA-256 and P-384 with SHA-384
    /// (ASN.1 DER signatures), Ed25519, or RSA PKCS#1 v1.5 with SHA-256, the algorithm
    /// [`crate::inspect::verify_with_certificate_key`] checks with.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let key_pair = Zeroizing::new(
            KeyPair::try_from(self.der.as_slice())
                .map_err(|e| KeyError::PrivateKeyInvalid(e.to_string()))?,
        );
        key_pair.sign(message).map_err(KeyError::Signing)
    }

    fn from_der(der: Zeroizing<Vec<u8>>) -> Self {
        let block = pem::Pem::new(PKCS8_LABEL, der.as_slice());
        let pem = Zeroizing::new(pem::encode_config(&block, pem_config()));
        // `Pem` holds its own copy of the bytes and does not wipe it.
        let mut contents = block.into_contents();
        zeroize::Zeroize::zeroize(&mut contents);
        Self { der, pem }
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// Why a key pair or a certificate signing request could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The RSA key generator failed (for example, no randomness was available).
    #[error("could not generate the RSA key: {0}")]
    RsaGeneration(#[source] rsa::Error),
    /// The generated RSA key could not be encoded as PKCS#8.
    #[error("could not encode the RSA key as PKCS#8: {0}")]
    RsaEncoding(#[source] rsa::pkcs8::Error),
    /// The ECDSA or Ed25519 key generator, or loading the RSA key for signing, failed
    /// (for example, no randomness was available).
    #[error("could not generate the key pair: {0}")]
    KeyGeneration(#[source] rcgen::Error),
    /// Signing the certificate signing request failed.
    #[error("could not sign the certificate signing request: {0}")]
    Signing(#[source] rcgen::Error),
    /// RSA keys are not made by this function (see [`generate_reporting_without_rsa`]).
    #[error("RSA keys are made in the key-generation worker, not here")]
    RsaNotHere,
    /// A private key could not be read (or, once read, used to sign).
    #[error("the private key is not usable: {0}")]
    PrivateKeyInvalid(String),
    /// Two primes found apart do not make an RSA key the standard allows (see
    /// [`crate::rsa_primes::key_from_primes`]).
    #[error("the primes do not make a sound RSA key: {0}")]
    RsaPrimesInvalid(String),
}

impl KeyError {
    /// Returns a stable, machine-readable code for the error, such as
    /// `"key_generation_failed"`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::RsaGeneration(_)
            | Self::RsaEncoding(_)
            | Self::KeyGeneration(_)
            | Self::RsaNotHere
            | Self::RsaPrimesInvalid(_) => "key_generation_failed",
            Self::Signing(_) => "csr_signing_failed",
            Self::PrivateKeyInvalid(_) => "private_key_invalid",
        }
    }
}

/// Generates a new key pair of `algorithm` and a certificate signing request for
/// `subject`, signed with the new key.
///
/// The CSR's subject is `CN=<username>` followed by one `O=<group>` per group, in the
/// order given, each value a UTF8String; it carries no attributes and no extensions
/// (the signer sets the usages). The subject is written exactly as given: check it
/// first with [`crate::policy::check_subject`].
///
/// RSA keys take from a fraction of a second (2048 bits) to many seconds (4096 bits) in
/// a browser; this function blocks until the key is made.
pub fn generate(algorithm: KeyAlgorithm, subject: &Subject) -> Result<GeneratedKey, KeyError> {
    generate_reporting(algorithm, subject, |_| {})
}

/// A step of key generation, announced just before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerationStep {
    /// The key pair is being generated (for RSA, the long search for two primes).
    GeneratingKey,
    /// The certificate signing request is being built and signed with the new key.
    SigningCsr,
}

/// Does what [`generate`] does, and calls `on_step` just before each
/// [`GenerationStep`] starts, so a caller can show which step a long RSA key
/// generation is in. No real percentage can be given: the prime search takes a random
/// number of attempts.
pub fn generate_reporting(
    algorithm: KeyAlgorithm,
    subject: &Subject,
    on_step: impl FnMut(GenerationStep),
) -> Result<GeneratedKey, KeyError> {
    generate_with(algorithm, subject, on_step, rsa_key_pair)
}

/// Does what [`generate_reporting`] does for ECDSA and Ed25519, and refuses RSA with
/// [`KeyError::RsaNotHere`]. A program that makes RSA keys elsewhere (the browser page,
/// whose RSA keys are made in a Web Worker) calls this one, so the RSA key generator is
/// not linked into it.
pub fn generate_reporting_without_rsa(
    algorithm: KeyAlgorithm,
    subject: &Subject,
    on_step: impl FnMut(GenerationStep),
) -> Result<GeneratedKey, KeyError> {
    generate_with(algorithm, subject, on_step, |_| Err(KeyError::RsaNotHere))
}

/// Makes an RSA key pair of the given size ready to sign, and its PKCS#8 DER encoding.
type RsaKeyPairMaker = fn(usize) -> Result<(Zeroizing<KeyPair>, Zeroizing<Vec<u8>>), KeyError>;

fn generate_with(
    algorithm: KeyAlgorithm,
    subject: &Subject,
    mut on_step: impl FnMut(GenerationStep),
    rsa: RsaKeyPairMaker,
) -> Result<GeneratedKey, KeyError> {
    on_step(GenerationStep::GeneratingKey);
    let (key_pair, der) = new_key_pair(algorithm, rsa)?;
    on_step(GenerationStep::SigningCsr);
    let csr_der = signed_csr(&key_pair, algorithm, subject)?;
    let csr_pem = pem::encode_config(&pem::Pem::new(CSR_LABEL, csr_der), pem_config());
    Ok(GeneratedKey {
        algorithm,
        csr_pem,
        private_key: PrivateKey::from_der(der),
    })
}

/// The CSR for `subject` signed with a key pair made elsewhere (an RSA key from primes
/// found in parallel), and the key.
pub(crate) fn with_key_pair(
    algorithm: KeyAlgorithm,
    subject: &Subject,
    key_pair: &KeyPair,
    der: Zeroizing<Vec<u8>>,
) -> Result<GeneratedKey, KeyError> {
    let csr_der = signed_csr(key_pair, algorithm, subject)?;
    let csr_pem = pem::encode_config(&pem::Pem::new(CSR_LABEL, csr_der), pem_config());
    Ok(GeneratedKey {
        algorithm,
        csr_pem,
        private_key: PrivateKey::from_der(der),
    })
}

/// Makes a key pair ready to sign, and its PKCS#8 DER encoding.
fn new_key_pair(
    algorithm: KeyAlgorithm,
    rsa: RsaKeyPairMaker,
) -> Result<(Zeroizing<KeyPair>, Zeroizing<Vec<u8>>), KeyError> {
    match algorithm {
        KeyAlgorithm::EcdsaP256 => ring_key_pair(&rcgen::PKCS_ECDSA_P256_SHA256),
        KeyAlgorithm::EcdsaP384 => ring_key_pair(&rcgen::PKCS_ECDSA_P384_SHA384),
        KeyAlgorithm::Ed25519 => ring_key_pair(&rcgen::PKCS_ED25519),
        KeyAlgorithm::Rsa2048 => rsa(2048),
        KeyAlgorithm::Rsa3072 => rsa(3072),
        KeyAlgorithm::Rsa4096 => rsa(4096),
    }
}

/// Generates an RSA key pair: ring signs with RSA but cannot generate RSA keys, so the
/// `rsa` crate makes the key and ring (through rcgen) signs the CSR with it.
fn rsa_key_pair(bits: usize) -> Result<(Zeroizing<KeyPair>, Zeroizing<Vec<u8>>), KeyError> {
    let rsa_key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits)
        .map_err(KeyError::RsaGeneration)?;
    rsa_signing_pair(&rsa_key)
}

/// An RSA key ready to sign (through rcgen and ring), and its PKCS#8 DER encoding.
pub(crate) fn rsa_signing_pair(
    rsa_key: &rsa::RsaPrivateKey,
) -> Result<(Zeroizing<KeyPair>, Zeroizing<Vec<u8>>), KeyError> {
    let document = rsa_key.to_pkcs8_der().map_err(KeyError::RsaEncoding)?;
    let der = Zeroizing::new(document.as_bytes().to_vec());
    let pkcs8 = rustls_pki_types::PrivatePkcs8KeyDer::from(der.as_slice());
    let key_pair = KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA256)
        .map_err(KeyError::KeyGeneration)?;
    Ok((Zeroizing::new(key_pair), der))
}

/// Generates an ECDSA or Ed25519 key pair with ring.
fn ring_key_pair(
    algorithm: &'static SignatureAlgorithm,
) -> Result<(Zeroizing<KeyPair>, Zeroizing<Vec<u8>>), KeyError> {
    let key_pair =
        Zeroizing::new(KeyPair::generate_for(algorithm).map_err(KeyError::KeyGeneration)?);
    let der = Zeroizing::new(key_pair.serialize_der());
    if algorithm == &rcgen::PKCS_ED25519 {
        return Ok((key_pair, ed25519_pkcs8_v1(&der)?));
    }
    Ok((key_pair, der))
}

/// The start of ring's Ed25519 PKCS#8 v2 document (RFC 5958): version 1, the Ed25519
/// algorithm, and the 32-byte private key; the public key `[1]` follows the seed.
const ED25519_V2_PREFIX: [u8; 16] = [
    0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// The start of an Ed25519 PKCS#8 v1 document (RFC 8410): version 0, the Ed25519
/// algorithm, and the 32-byte private key, which is all it holds.
const ED25519_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Rewrites ring's Ed25519 PKCS#8 v2 key as PKCS#8 v1, the form `openssl genpkey`
/// writes: OpenSSL 3.0 cannot read ring's v2 documents, and v1 is the form every
/// reader (Go's `x509.ParsePKCS8PrivateKey` included) accepts.
fn ed25519_pkcs8_v1(v2: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let seed = match (v2.get(..16), v2.get(16..48)) {
        (Some(prefix), Some(seed)) if prefix == ED25519_V2_PREFIX => seed,
        _ => return Err(KeyError::KeyGeneration(rcgen::Error::CouldNotParseKeyPair)),
    };
    let mut v1 = Zeroizing::new(Vec::with_capacity(48));
    v1.extend_from_slice(&ED25519_V1_PREFIX);
    v1.extend_from_slice(seed);
    Ok(v1)
}

/// Builds and signs a PKCS#10 `CertificationRequest` (RFC 2986) in DER.
///
/// rcgen's own CSR builder cannot be used: its `DistinguishedName` keeps one value per
/// attribute type, and Kubernetes reads every `O` as a group.
fn signed_csr(
    key_pair: &KeyPair,
    algorithm: KeyAlgorithm,
    subject: &Subject,
) -> Result<Vec<u8>, KeyError> {
    let spki = key_pair.subject_public_key_info();
    let info = yasna::construct_der(|writer| {
        writer.write_sequence(|writer| {
            writer.next().write_u8(0); // version v1(0)
            writer.next().write_sequence(|writer| {
                let attributes = std::iter::once((OID_COMMON_NAME, subject.username.as_str()))
                    .chain(
                        subject
                            .groups
                            .iter()
                            .map(|group| (OID_ORGANIZATION_NAME, group.as_str())),
                    );
                for (oid, value) in attributes {
                    // One attribute per RelativeDistinguishedName, like openssl writes them.
                    writer.next().write_set(|writer| {
                        writer.next().write_sequence(|writer| {
                            writer.next().write_oid(&ObjectIdentifier::from_slice(oid));
                            writer.next().write_utf8_string(value);
                        });
                    });
                }
            });
            writer.next().write_der(&spki);
            // attributes [0] IMPLICIT SET OF Attribute: present and empty.
            writer
                .next()
                .write_tagged_implicit(yasna::Tag::context(0), |writer| writer.write_set(|_| {}));
        });
    });
    let signature = key_pair.sign(&info).map_err(KeyError::Signing)?;
    Ok(yasna::construct_der(|writer| {
        writer.write_sequence(|writer| {
            writer.next().write_der(&info);
            writer.next().write_sequence(|writer| {
                let (oid, rsa) = match algorithm {
                    KeyAlgorithm::EcdsaP256 => (OID_ECDSA_WITH_SHA256, false),
                    KeyAlgorithm::EcdsaP384 => (OID_ECDSA_WITH_SHA384, false),
                    KeyAlgorithm::Ed25519 => (OID_ED25519, false),
                    KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                        (OID_SHA256_WITH_RSA, true)
                    }
                };
                writer.next().write_oid(&ObjectIdentifier::from_slice(oid));
                // RSA signature algorithms carry explicit NULL parameters (RFC 4055).
                if rsa {
                    writer.next().write_null();
                }
            });
            writer
                .next()
                .write_bitvec_bytes(&signature, signature.len() * 8);
        });
    }))
}

/// PEM with LF line endings on every platform.
fn pem_config() -> pem::EncodeConfig {
    pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_key_round_trips_through_its_pem() {
        let subject = Subject {
            username: "minjun".into(),
            groups: vec![],
        };
        let key = generate(KeyAlgorithm::Ed25519, &subject).unwrap();
        let back = PrivateKey::from_pkcs8_pem(key.private_key.pkcs8_pem()).unwrap();
        assert_eq!(back.pkcs8_der(), key.private_key.pkcs8_der());
    }

    #[test]
    fn a_pem_that_is_not_a_pkcs8_key_is_refused() {
        let subject = Subject {
            username: "minjun".into(),
            groups: vec![],
        };
        let key = generate(KeyAlgorithm::Ed25519, &subject).unwrap();
        let error = PrivateKey::from_pkcs8_pem(&key.csr_pem).unwrap_err();
        assert_eq!(error.code(), "private_key_invalid");
        assert!(PrivateKey::from_pkcs8_pem("not a key").is_err());
    }

    #[test]
    fn each_step_is_announced_once_in_order() {
        let subject = Subject {
            username: "minjun".into(),
            groups: vec![],
        };
        let mut steps = Vec::new();
        generate_reporting(KeyAlgorithm::EcdsaP256, &subject, |step| steps.push(step)).unwrap();
        assert_eq!(
            steps,
            [GenerationStep::GeneratingKey, GenerationStep::SigningCsr]
        );
    }

    #[test]
    fn without_rsa_makes_ecdsa_and_refuses_rsa() {
        let subject = Subject {
            username: "minjun".into(),
            groups: vec!["dev-team".into()],
        };
        assert!(generate_reporting_without_rsa(KeyAlgorithm::EcdsaP256, &subject, |_| {}).is_ok());
        let refused = generate_reporting_without_rsa(KeyAlgorithm::Rsa2048, &subject, |_| {});
        assert!(matches!(refused, Err(KeyError::RsaNotHere)));
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let subject = Subject {
            username: "minjun".into(),
            groups: vec![],
        };
        let key = generate(KeyAlgorithm::EcdsaP256, &subject).unwrap();
        let debug = format!("{key:?}");
        assert!(debug.contains("PrivateKey(<redacted>)"));
        assert!(!debug.contains("PRIVATE KEY-----"));
    }
}
