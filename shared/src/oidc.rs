//! Approvers' sign-in with OpenID Connect: what the operator configures (the issuer and
//! the public client CertDesk's page is), why the API server refused a token (read from
//! the token's own claims, never trusted for anything else), and the API server's
//! `AuthenticationConfiguration` for this issuer.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Which of the issuer's tokens the page sends to the API server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum TokenKind {
    /// The ID token (what kubelogin and the API server's OIDC authenticator use).
    #[default]
    IdToken,
    /// The access token, for issuers whose access tokens are JWTs for the API server.
    AccessToken,
}

/// The operator's OpenID Connect settings, as the page reads them from `/api/v1/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcConfig {
    /// The issuer URL (`iss`), HTTPS.
    pub issuer_url: String,
    /// The issuer's name on the button ("Sign in with …").
    pub display_name: String,
    /// The public client's ID (no secret: the page is the client, with PKCE).
    pub client_id: String,
    /// The scopes asked for; `openid` is always among them.
    pub scopes: Vec<String>,
    /// Which token the page sends.
    pub token: TokenKind,
    /// The audience the API server expects (`aud`); the client ID unless told otherwise.
    pub audience: String,
    /// The claim the API server reads the username from (for display and the snippet).
    pub username_claim: String,
    /// The prefix the API server puts before it.
    pub username_prefix: String,
    /// The claim it reads groups from.
    pub groups_claim: String,
    /// The prefix it puts before each group.
    pub groups_prefix: String,
}

/// The claims of a token that say why an API server may refuse it.
#[derive(Debug, Clone, Default, Deserialize)]
struct Claims {
    iss: Option<String>,
    #[serde(default)]
    aud: Audience,
    exp: Option<i64>,
    nonce: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
    #[default]
    None,
}

impl Audience {
    fn list(&self) -> Vec<String> {
        match self {
            Self::One(one) => vec![one.clone()],
            Self::Many(many) => many.clone(),
            Self::None => Vec::new(),
        }
    }
}

/// Why the API server refused a token, as far as its own claims tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum Refusal {
    /// Not a JWT: a pasted token cut short, or an opaque token the API server cannot read.
    NotJwt,
    /// It expired at `expired_at` (seconds since the epoch).
    Expired {
        /// Its `exp`.
        expired_at: i64,
    },
    /// It is for other audiences than the one the API server expects.
    Audience {
        /// Its `aud`.
        found: Vec<String>,
        /// The audience configured for this issuer.
        expected: String,
    },
    /// It comes from an issuer CertDesk is not configured for (and so, presumably,
    /// the API server neither).
    OtherIssuer {
        /// Its `iss`.
        found: String,
    },
    /// It comes from the configured issuer, is for the right audience and has not
    /// expired: the API server does not trust this issuer (yet).
    IssuerNotTrusted {
        /// The issuer.
        issuer: String,
    },
    /// Nothing in the token explains it (a revoked ServiceAccount token, say).
    Unknown,
}

/// The longest token examined (the API server's own limit on headers is larger; a JWT
/// beyond this is no token an issuer made for people).
const MAX_TOKEN: usize = 16 * 1024;

fn claims(token: &str) -> Option<Claims> {
    if token.len() > MAX_TOKEN {
        return None;
    }
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// What the page reads of its own tokens: whom they are from and for, when they expire,
/// and the nonce it asked for (it checks these; the API server checks the signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    /// `iss`.
    pub issuer: Option<String>,
    /// `aud`.
    pub audience: Vec<String>,
    /// `exp`, seconds since the epoch.
    pub expires: Option<i64>,
    /// `nonce`.
    pub nonce: Option<String>,
}

/// Reads a JWT's claims without verifying it (the API server verifies).
pub fn read_claims(token: &str) -> Option<TokenClaims> {
    let claims = claims(token)?;
    Some(TokenClaims {
        audience: claims.aud.list(),
        issuer: claims.iss,
        expires: claims.exp,
        nonce: claims.nonce,
    })
}

/// The PKCE `code_challenge` of a verifier (S256: base64url of its SHA-256).
pub fn pkce_challenge(verifier: &str) -> String {
    use sha2::Digest as _;
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// Says why the API server refused `token` (it did: this reads no signature and
/// decides nothing), given the configured issuer, if any, and the time now.
pub fn diagnose(token: &str, oidc: Option<&OidcConfig>, now: i64) -> Refusal {
    let Some(claims) = claims(token) else {
        return Refusal::NotJwt;
    };
    if let Some(exp) = claims.exp
        && exp <= now
    {
        return Refusal::Expired { expired_at: exp };
    }
    let Some(oidc) = oidc else {
        return match claims.iss {
            Some(found) if found != "https://kubernetes.default.svc" && !found.is_empty() => {
                Refusal::OtherIssuer { found }
            }
            _ => Refusal::Unknown,
        };
    };
    match claims.iss {
        Some(iss) if iss.trim_end_matches('/') == oidc.issuer_url.trim_end_matches('/') => {
            let found = claims.aud.list();
            if found.contains(&oidc.audience) {
                Refusal::IssuerNotTrusted { issuer: iss }
            } else {
                Refusal::Audience {
                    found,
                    expected: oidc.audience.clone(),
                }
            }
        }
        Some(found) => Refusal::OtherIssuer { found },
        None => Refusal::Unknown,
    }
}

/// At most this many characters of a claim are repeated in a message.
const SHOWN: usize = 200;

fn shown(text: &str) -> String {
    let cut: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(SHOWN)
        .collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

impl Refusal {
    /// A sentence naming the cause and what to do (English; the API's message).
    pub fn message(&self) -> String {
        match self {
            Self::NotJwt => "The cluster did not accept this token, and it is not a JSON Web Token: it may be cut short or hold a line break or a \"Bearer \" prefix.".to_owned(),
            Self::Expired { .. } => "The cluster did not accept this token: it has expired. Sign in again (or make a new token).".to_owned(),
            Self::Audience { found, expected } => format!(
                "The cluster did not accept this token: it is for the audience {} but the cluster expects {}. The issuer's client ID or the API server's audiences are wrong.",
                if found.is_empty() { "(none)".to_owned() } else { found.iter().map(|a| shown(a)).collect::<Vec<_>>().join(", ") },
                shown(expected),
            ),
            Self::OtherIssuer { found } => format!(
                "The cluster did not accept this token: it was issued by {}, an issuer this cluster does not trust.",
                shown(found)
            ),
            Self::IssuerNotTrusted { issuer } => format!(
                "The cluster did not accept this token from {}: the API server does not trust this issuer. An administrator must add it to the API server's AuthenticationConfiguration.",
                shown(issuer)
            ),
            Self::Unknown => "The cluster did not accept this token: it may have been revoked, or be for another cluster.".to_owned(),
        }
    }

    /// Whether the administrator's API server configuration is the likely fix.
    pub fn needs_api_server_config(&self) -> bool {
        matches!(self, Self::IssuerNotTrusted { .. } | Self::Audience { .. })
    }
}

/// The API server's structured authentication configuration trusting this issuer
/// (`--authentication-config`), as YAML, in the `apiVersion` of Kubernetes `1.<minor>`
/// (`v1` from 1.34, `v1beta1` from 1.30; `v1` when the minor is not known).
pub fn authentication_config(oidc: &OidcConfig, minor: Option<u32>) -> String {
    #[derive(Serialize)]
    struct Config<'a> {
        #[serde(rename = "apiVersion")]
        api_version: &'a str,
        kind: &'a str,
        jwt: Vec<Jwt<'a>>,
    }
    #[derive(Serialize)]
    struct Jwt<'a> {
        issuer: Issuer<'a>,
        #[serde(rename = "claimMappings")]
        claim_mappings: Mappings<'a>,
    }
    #[derive(Serialize)]
    struct Issuer<'a> {
        url: &'a str,
        audiences: Vec<&'a str>,
    }
    #[derive(Serialize)]
    struct Mappings<'a> {
        username: Mapping<'a>,
        groups: Mapping<'a>,
    }
    #[derive(Serialize)]
    struct Mapping<'a> {
        claim: &'a str,
        prefix: &'a str,
    }
    let config = Config {
        api_version: crate::support::authentication_config_api_version(minor),
        kind: "AuthenticationConfiguration",
        jwt: vec![Jwt {
            issuer: Issuer {
                url: &oidc.issuer_url,
                audiences: vec![&oidc.audience],
            },
            claim_mappings: Mappings {
                username: Mapping {
                    claim: &oidc.username_claim,
                    prefix: &oidc.username_prefix,
                },
                groups: Mapping {
                    claim: &oidc.groups_claim,
                    prefix: &oidc.groups_prefix,
                },
            },
        }],
    };
    crate::yaml_writer::to_string(&config)
        .map(|yaml| yaml.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> OidcConfig {
        OidcConfig {
            issuer_url: "https://issuer.example".into(),
            display_name: "Example".into(),
            client_id: "certdesk".into(),
            scopes: vec!["openid".into()],
            token: TokenKind::IdToken,
            audience: "certdesk".into(),
            username_claim: "email".into(),
            username_prefix: "oidc:".into(),
            groups_claim: "groups".into(),
            groups_prefix: "oidc:".into(),
        }
    }

    fn token(claims: serde_json::Value) -> String {
        format!(
            "eyJhbGciOiJFUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    #[test]
    fn each_cause_is_named() {
        let c = config();
        let now = 1_000;
        let t = |v| diagnose(&token(v), Some(&c), now);
        assert_eq!(
            t(serde_json::json!({"iss": c.issuer_url, "aud": "certdesk", "exp": 999})),
            Refusal::Expired { expired_at: 999 }
        );
        assert_eq!(
            t(serde_json::json!({"iss": c.issuer_url, "aud": ["other", "x"], "exp": 2000})),
            Refusal::Audience {
                found: vec!["other".into(), "x".into()],
                expected: "certdesk".into()
            }
        );
        assert_eq!(
            t(serde_json::json!({"iss": "https://evil.example", "aud": "certdesk", "exp": 2000})),
            Refusal::OtherIssuer {
                found: "https://evil.example".into()
            }
        );
        assert_eq!(
            t(
                serde_json::json!({"iss": "https://issuer.example/", "aud": "certdesk", "exp": 2000})
            ),
            Refusal::IssuerNotTrusted {
                issuer: "https://issuer.example/".into()
            }
        );
        assert_eq!(diagnose("not a token", Some(&c), now), Refusal::NotJwt);
        assert_eq!(
            diagnose(&"a.".repeat(20_000), Some(&c), now),
            Refusal::NotJwt
        );
        assert_eq!(
            diagnose(
                &token(serde_json::json!({"iss": "https://kubernetes.default.svc", "exp": 2000})),
                None,
                now
            ),
            Refusal::Unknown
        );
    }

    #[test]
    fn pkce_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let t = token(
            serde_json::json!({"iss": "https://i", "aud": ["a", "b"], "exp": 5, "nonce": "n"}),
        );
        assert_eq!(
            read_claims(&t),
            Some(TokenClaims {
                issuer: Some("https://i".into()),
                audience: vec!["a".into(), "b".into()],
                expires: Some(5),
                nonce: Some("n".into())
            })
        );
    }

    #[test]
    fn messages_repeat_no_control_characters_and_are_bounded() {
        let r = Refusal::OtherIssuer {
            found: format!("https://a\n\u{1b}[31m{}", "b".repeat(500)),
        };
        let m = r.message();
        assert!(!m.chars().any(char::is_control));
        assert!(m.len() < 400, "{m}");
    }

    #[test]
    fn the_snippet_is_yaml_with_hostile_values_quoted() {
        let mut c = config();
        c.username_prefix = "a: b\n- c".into();
        let yaml = authentication_config(&c, None);
        assert!(authentication_config(&c, Some(32)).contains("/v1beta1\n"));
        assert!(yaml.contains("kind: AuthenticationConfiguration"), "{yaml}");
        assert!(
            yaml.contains("url: https://issuer.example")
                || yaml.contains("url: \"https://issuer.example\""),
            "{yaml}"
        );
        assert!(!yaml.contains("\n- c"), "{yaml}");
    }
}
