//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): HMAC-SHA256 over
//! `{id}.{timestamp}.{body}`, sent as `webhook-signature: v1,<base64>` beside
//! `webhook-id` and `webhook-timestamp` (Unix seconds). A receiver recomputes it with
//! the shared secret and refuses a timestamp outside its tolerance (replays).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// How far a receiver should let a timestamp stray from its clock.
pub const TOLERANCE_SECONDS: i64 = 300;

/// The signing key a secret names: `whsec_<base64>` as Standard Webhooks issues them,
/// else the secret's bytes.
pub fn key_bytes(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix("whsec_")
        .and_then(|b64| STANDARD.decode(b64).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

/// The `webhook-signature` header's value for this delivery.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key_bytes(secret));
    let mut context = ring::hmac::Context::with_key(&key);
    context.update(format!("{id}.{timestamp}.").as_bytes());
    context.update(body);
    format!("v1,{}", STANDARD.encode(context.sign().as_ref()))
}

/// Why a delivery is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The timestamp is too old or too far ahead.
    #[error("the webhook-timestamp is outside the tolerance (a replay or a wrong clock)")]
    Stale,
    /// No signature matches.
    #[error("no webhook-signature matches")]
    Signature,
}

/// Checks a delivery as a receiver would: the timestamp within the tolerance of `now`
/// and one of the space-separated signatures matching (compared in constant time).
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: i64,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> Result<(), Refused> {
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(Refused::Stale);
    }
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key_bytes(secret));
    let mut message = format!("{id}.{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    let matches = signatures.split(' ').any(|candidate| {
        candidate
            .strip_prefix("v1,")
            .and_then(|b64| STANDARD.decode(b64).ok())
            .is_some_and(|tag| ring::hmac::verify(&key, &message, &tag).is_ok())
    });
    if matches {
        Ok(())
    } else {
        Err(Refused::Signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_change_or_replay_does_not() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"type":"certdesk.submitted"}"#;
        let signature = sign(secret, "msg_1", 1_700_000_000, body);
        assert_eq!(
            verify(
                secret,
                "msg_1",
                1_700_000_000,
                &signature,
                body,
                1_700_000_100
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                secret,
                "msg_1",
                1_700_000_000,
                &signature,
                b"{}",
                1_700_000_000
            ),
            Err(Refused::Signature)
        );
        assert_eq!(
            verify(
                secret,
                "msg_2",
                1_700_000_000,
                &signature,
                body,
                1_700_000_000
            ),
            Err(Refused::Signature)
        );
        assert_eq!(
            verify(
                "whsec_b3RoZXI=",
                "msg_1",
                1_700_000_000,
                &signature,
                body,
                1_700_000_000
            ),
            Err(Refused::Signature)
        );
        assert_eq!(
            verify(
                secret,
                "msg_1",
                1_700_000_000,
                &signature,
                body,
                1_700_000_301
            ),
            Err(Refused::Stale)
        );
    }

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // From the Standard Webhooks specification's test vectors.
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
