//! Renewal by proof of possession: the backend's half (see `shared::renewal` for the
//! browser's).
//!
//! Challenges are stateless, so any replica can check any other's: a challenge is a
//! random nonce and an expiry, authenticated with HMAC-SHA256 under the operator's
//! renewal secret (`--renewal-secret-file`; a random one per process when unset). A
//! challenge is spent by the request made with it: the request's id derives from the
//! nonce, so the API server refuses a second CSR of the same name (409) for as long as
//! the challenge is valid (minutes; a decided CSR stays for an hour).

use std::sync::Arc;

use base64::Engine as _;
use ring::hmac;
use shared::inspect::CertificateInfo;
use shared::renewal::{ProofError, RenewalChallenge, RenewalRequest};
use shared::{ApiError, ErrorCode, PortalConfig, RequestId};
use time::OffsetDateTime;

use super::error::{Error, Result};
use super::records::RecordStore;
use super::requests::{Origin, sanitize};
use super::resources::IssuedCertificate;
use super::submit::{self, Kind, NewRequest};
use super::{Cluster, auto_approve};
use crate::audit::{Action, Entry, timestamp};
use crate::csr::VettedCsr;

/// How long a challenge is accepted.
pub const CHALLENGE_LIFETIME: time::Duration = time::Duration::minutes(5);

/// The nonce's length in bytes (128 bits).
const NONCE_BYTES: usize = 16;
/// The authentication tag's length in bytes (a truncated HMAC-SHA256).
const TAG_BYTES: usize = 16;
/// What the HMAC covers first, so the key signs nothing else by accident.
const TAG_CONTEXT: &[u8] = b"certdesk renewal challenge v1\0";

/// The key that authenticates challenges.
#[derive(Clone)]
pub struct ChallengeKey(Arc<hmac::Key>);

impl std::fmt::Debug for ChallengeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChallengeKey(<redacted>)")
    }
}

impl ChallengeKey {
    /// Returns the key for an operator's secret (several replicas share one).
    pub fn from_secret(secret: &[u8]) -> Self {
        Self(Arc::new(hmac::Key::new(hmac::HMAC_SHA256, secret)))
    }

    /// Returns a fresh random key (challenges then verify only in this process).
    pub fn random() -> anyhow::Result<Self> {
        let rng = ring::rand::SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng)
            .map_err(|_| anyhow::anyhow!("the system random number generator failed"))?;
        Ok(Self(Arc::new(key)))
    }

    /// Issues a challenge valid for [`CHALLENGE_LIFETIME`] from `now`.
    pub fn issue(&self, now: OffsetDateTime) -> Result<RenewalChallenge> {
        use ring::rand::SecureRandom as _;
        let mut nonce = [0u8; NONCE_BYTES];
        ring::rand::SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| {
                Error::Internal(anyhow::anyhow!("the system random number generator failed"))
            })?;
        let expires_at = now + CHALLENGE_LIFETIME;
        let mut payload = nonce.to_vec();
        payload.extend_from_slice(&expires_at.unix_timestamp().to_be_bytes());
        let tag = self.tag(&payload);
        payload.extend_from_slice(&tag.as_ref()[..TAG_BYTES]);
        Ok(RenewalChallenge {
            challenge: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload),
            // The expiry travels in whole seconds.
            expires_at: OffsetDateTime::from_unix_timestamp(expires_at.unix_timestamp())
                .unwrap_or(expires_at),
        })
    }

    /// Checks that the challenge was issued with this key and has not expired at
    /// `now`; returns its nonce.
    pub fn check(&self, challenge: &str, now: OffsetDateTime) -> Result<[u8; NONCE_BYTES]> {
        let invalid = || {
            Error::Renewal(ApiError::new(
                ErrorCode::RenewalChallengeInvalid,
                "The renewal challenge was not issued by CertDesk or was altered; start the renewal again.",
            ))
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(challenge.trim().as_bytes())
            .map_err(|_| invalid())?;
        if bytes.len() != NONCE_BYTES + 8 + TAG_BYTES {
            return Err(invalid());
        }
        let (payload, tag) = bytes.split_at(NONCE_BYTES + 8);
        let expected = self.tag(payload);
        if !constant_time_eq(&expected.as_ref()[..TAG_BYTES], tag) {
            return Err(invalid());
        }
        let mut expiry = [0u8; 8];
        expiry.copy_from_slice(&payload[NONCE_BYTES..]);
        if now.unix_timestamp() >= i64::from_be_bytes(expiry) {
            return Err(Error::Renewal(ApiError::new(
                ErrorCode::RenewalChallengeExpired,
                "The renewal challenge has expired (it is valid for five minutes); start the renewal again.",
            )));
        }
        let mut nonce = [0u8; NONCE_BYTES];
        nonce.copy_from_slice(&payload[..NONCE_BYTES]);
        Ok(nonce)
    }

    fn tag(&self, payload: &[u8]) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.0);
        context.update(TAG_CONTEXT);
        context.update(payload);
        context.sign()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Returns the request id a renewal made with this challenge gets: the username and 80
/// bits derived from the nonce, so a challenge can name one request only.
pub fn request_id(username: &str, nonce: &[u8; NONCE_BYTES]) -> RequestId {
    let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
    hasher.update(b"certdesk renewal request id\0");
    hasher.update(nonce);
    let digest = hasher.finish();
    let random = data_encoding::BASE32_NOPAD
        .encode(&digest.as_ref()[..10])
        .to_ascii_lowercase();
    RequestId(format!("certdesk-{}-{random}", sanitize(username, 40)))
}

/// A renewal that passed every check.
#[derive(Debug)]
pub struct VettedRenewal {
    /// The new CSR.
    pub csr: VettedCsr,
    /// The certificate being renewed.
    pub old: CertificateInfo,
    /// The request id the renewal gets.
    pub id: RequestId,
    /// CertDesk's record of the certificate being renewed, if CertDesk issued it.
    pub record: Option<Arc<IssuedCertificate>>,
}

/// Checks a renewal: the challenge, that the old certificate chains to `ca_bundle_pem`
/// and is valid at `now`, the new CSR and the policy, that both name the same subject,
/// the proof of possession of the old key, and that no approver removed the user's
/// access since the old certificate was issued. Each refusal has its own code.
pub fn vet(
    body: &RenewalRequest,
    key: &ChallengeKey,
    ca_bundle_pem: &str,
    portal: &PortalConfig,
    records: &RecordStore,
    now: OffsetDateTime,
) -> Result<VettedRenewal> {
    let nonce = key.check(&body.challenge, now)?;
    let old = shared::inspect::inspect_certificate(&body.certificate_pem).map_err(|e| {
        Error::Renewal(
            ApiError::new(
                ErrorCode::CertificateInvalid,
                format!("The certificate to renew could not be read: {e}"),
            )
            .with_details(serde_json::json!({ "reason": e.code() })),
        )
    })?;
    let issued_here = !ca_bundle_pem.trim().is_empty()
        && shared::inspect::issued_by(&body.certificate_pem, ca_bundle_pem).unwrap_or(false);
    if !issued_here {
        return Err(Error::Renewal(ApiError::new(
            ErrorCode::RenewalWrongCa,
            format!(
                "The certificate was issued by {:?}, not by this cluster's certificate authority; only this cluster's certificates can be renewed here.",
                old.issuer
            ),
        )));
    }
    if now < old.not_before || now >= old.not_after {
        return Err(Error::Renewal(ApiError::new(
            ErrorCode::RenewalCertificateExpired,
            format!(
                "The certificate is valid from {} to {}, not now; an expired certificate cannot be renewed: request access anew.",
                timestamp(old.not_before),
                timestamp(old.not_after)
            ),
        )));
    }
    // A renewal keeps an identity that already passed; it is not compared with the
    // users that have bindings (the renewing user is one of them).
    let csr = crate::csr::vet(&body.csr_pem, portal, &shared::names::NameIndex::new())?;
    let old_username = old.common_name.clone().unwrap_or_default();
    if csr.summary.username != old_username || csr.summary.groups != old.organizations {
        return Err(Error::Renewal(ApiError::new(
            ErrorCode::RenewalSubjectMismatch,
            format!(
                "A renewal keeps the identity: the certificate names {:?} in groups {:?}, the new request {:?} in groups {:?}.",
                old_username, old.organizations, csr.summary.username, csr.summary.groups
            ),
        )));
    }
    shared::renewal::verify_proof(&body.certificate_pem, &body.challenge, &body.csr_pem, &body.proof)
        .map_err(|error| {
            let reason = match &error {
                ProofError::ProofMalformed => "proof_malformed",
                _ => "proof_does_not_verify",
            };
            Error::Renewal(
                ApiError::new(
                    ErrorCode::RenewalProofInvalid,
                    "The proof does not verify with the certificate's public key: it must be signed with the key of the certificate being renewed.",
                )
                .with_details(serde_json::json!({ "reason": reason })),
            )
        })?;
    // Whether access was removed is read afresh by `confirm_record`: the cache can be a
    // moment behind an approver's removal and behind their restoring it.
    let record = records.by_issuer_and_serial(&old.issuer, &old.serial);
    let id = request_id(&csr.summary.username, &nonce);
    Ok(VettedRenewal {
        csr,
        old,
        id,
        record,
    })
}

/// Kubernetes' signer back-dates notBefore by this much; below [`SHORT_SECONDS`] of
/// lifetime it does not back-date notAfter with it, so such a certificate's validity
/// is its lifetime plus this much.
const SIGNER_BACKDATE_SECONDS: i64 = super::standing::SIGNER_BACKDATE_SECONDS;
/// The lifetime from which the signer back-dates notAfter too (eight hours).
const SHORT_SECONDS: i64 = 8 * 3600;

/// Returns the lifetime a renewal gets: what it asks for, cut to the lifetime the
/// renewed certificate was issued for (its validity, less the back-dating where the
/// signer added it), so renewing never lengthens a credential. Never below the API's
/// minimum of ten minutes.
pub fn lifetime_cap(old: &shared::CertificateInfo, requested: u32) -> u32 {
    let span = (old.not_after - old.not_before).whole_seconds();
    // A span of at least eight hours and five minutes is a long lifetime the signer
    // back-dated whole; anything shorter may hold five minutes of back-dating.
    let original = if span >= SHORT_SECONDS + SIGNER_BACKDATE_SECONDS {
        span
    } else {
        span - SIGNER_BACKDATE_SECONDS
    };
    let cap = u32::try_from(original.max(600)).unwrap_or(u32::MAX);
    requested.min(cap)
}

/// Renews a certificate: a new CSR for the same subject, with the old key's proof of
/// possession over the challenge and the new CSR (both kept on the CSR, so the admission
/// webhook can check them again). Created like any request, annotated as a renewal of
/// the old serial and record; approved by CertDesk itself when the operator enabled
/// renewal auto-approval and [`auto_approve::basis`] allows it.
pub async fn renew(
    cluster: &Cluster,
    key: &ChallengeKey,
    client_ca_pem: &str,
    body: &RenewalRequest,
    origin: &Origin,
) -> Result<RequestId> {
    let portal = &cluster.rules.portal;
    submit::check_lifetime_and_note(portal, body.expiration_seconds, body.note.as_deref())?;
    let vetted = vet(
        body,
        key,
        client_ca_pem,
        portal,
        &cluster.records,
        OffsetDateTime::now_utc(),
    )?;
    let record = confirm_record(&cluster.client, &vetted).await?;
    super::removals::ensure_not_removed(&cluster.client, &vetted.csr.summary.username, true)
        .await?;
    let id = vetted.id.clone();
    tracing::Span::current().record("id", id.0.as_str());
    if cluster.records.get(&id.0).is_some() {
        return Err(replayed());
    }
    let lifetime = lifetime_cap(&vetted.old, body.expiration_seconds);
    let created = submit::create(
        cluster,
        NewRequest {
            id: &id,
            csr: &vetted.csr,
            expiration_seconds: lifetime,
            origin,
            kind: Kind::Renewal {
                of_serial: vetted.old.serial.clone(),
                of_record: record.as_ref().and_then(|r| r.metadata.name.clone()),
                granted_namespace: record.as_ref().and_then(|r| r.spec.namespace.clone()),
                challenge: body.challenge.clone(),
                proof: body.proof.trim().to_owned(),
            },
        },
    )
    .await
    .map_err(|error| match error.kube_code() {
        Some(409) => replayed(),
        _ => error,
    })?
    .csr;
    cluster.metrics.submissions.inc();
    let username = vetted.csr.summary.username.as_str();
    cluster.audit.record(
        &created,
        Entry {
            action: Action::RenewalRequested,
            actor: username,
            subject: username,
            request: Some(&id.0),
            note: format!(
                "{username:?} asked to renew certificate {} (valid until {}) with a proof of possession of its key.",
                vetted.old.serial,
                timestamp(vetted.old.not_after)
            ),
        },
    );
    if portal.auto_approve_renewals && record.is_some() {
        auto_approve::approve_if_allowed(cluster, created).await;
    }
    Ok(id)
}

fn replayed() -> Error {
    Error::conflict(
        ErrorCode::RenewalChallengeReplayed,
        "This renewal challenge was already used; start the renewal again for a fresh one.",
    )
}

fn refuse_if_removed(record: Option<&IssuedCertificate>) -> Result<()> {
    match record
        .and_then(|r| r.status.as_ref())
        .and_then(|s| s.access_removed.as_ref())
    {
        Some(removal) => Err(Error::Renewal(ApiError::new(
            ErrorCode::RenewalAccessRemoved,
            format!(
                "{} removed this user's access on {}; the certificate cannot be renewed. Ask an approver.",
                removal.by,
                timestamp(removal.at)
            ),
        ))),
        None => Ok(()),
    }
}

/// Reads the renewal's record afresh from the API server (the cache may not have seen
/// an approver remove the user's access a moment ago) and refuses if access was
/// removed. Returns the current record.
pub async fn confirm_record(
    client: &kube::Client,
    renewal: &VettedRenewal,
) -> Result<Option<IssuedCertificate>> {
    let Some(name) = renewal
        .record
        .as_ref()
        .and_then(|r| r.metadata.name.clone())
    else {
        return Ok(None);
    };
    let current = kube::Api::<IssuedCertificate>::all(client.clone())
        .get_opt(&name)
        .await
        .map_err(Error::own)?;
    refuse_if_removed(current.as_ref())?;
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_verifies_once_issued_and_not_after_expiry_or_change() {
        let key = ChallengeKey::from_secret(b"operator secret");
        let now = OffsetDateTime::now_utc();
        let challenge = key.issue(now).unwrap();
        let nonce = key.check(&challenge.challenge, now).unwrap();
        assert_eq!(
            nonce,
            key.check(&challenge.challenge, now + time::Duration::minutes(4))
                .unwrap()
        );

        let code = |result: Result<[u8; NONCE_BYTES]>| match result {
            Err(Error::Renewal(error)) => error.code,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            code(key.check(&challenge.challenge, now + CHALLENGE_LIFETIME)),
            ErrorCode::RenewalChallengeExpired
        );
        let other = ChallengeKey::from_secret(b"another secret");
        assert_eq!(
            code(other.check(&challenge.challenge, now)),
            ErrorCode::RenewalChallengeInvalid
        );
        let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&challenge.challenge)
            .unwrap();
        // Moving the expiry forward breaks the tag.
        bytes[NONCE_BYTES + 7] ^= 1;
        let altered = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(
            code(key.check(&altered, now)),
            ErrorCode::RenewalChallengeInvalid
        );
        for garbage in ["", "!!", "AAAA", &"A".repeat(500)] {
            assert_eq!(
                code(key.check(garbage, now)),
                ErrorCode::RenewalChallengeInvalid
            );
        }
    }

    #[test]
    fn a_challenge_names_one_request_id() {
        let a = request_id("Min Jun", &[1; NONCE_BYTES]);
        assert_eq!(a, request_id("Min Jun", &[1; NONCE_BYTES]));
        assert_ne!(a, request_id("Min Jun", &[2; NONCE_BYTES]));
        assert!(a.0.starts_with("certdesk-min-jun-"), "{a}");
        assert_eq!(a.0.rsplit('-').next().unwrap().len(), 16);
    }
}
