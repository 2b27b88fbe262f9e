//! Invites: an approver decides in advance who may ask for access, and sends a link.
//!
//! An invite names one identity (username and groups), the certificate lifetime, the
//! role grants that come with it, and how long the link stays valid. The link carries an
//! [`InviteToken`]: the invite's name and a secret. The cluster keeps only the secret's
//! SHA-256, so a leaked list of invites opens nothing, and an invite is used at most once.
//!
//! ```
//! use shared::invite::InviteToken;
//!
//! let token = InviteToken::parse("invite-abcdefghij.0123456789abcdefghijklmnop").unwrap();
//! assert_eq!(token.name, "invite-abcdefghij");
//! assert!(InviteToken::parse("invite-abc").is_none());
//! assert!(InviteToken::parse("../etc.x").is_none());
//! ```

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::admin::Grant;

/// The prefix of every invite's object name.
pub const NAME_PREFIX: &str = "invite-";

/// The key of the request page's URL fragment that carries an invite token
/// (`/start/#invite=<token>`). A fragment is never sent to a server, so the secret stays
/// out of every access log; the page sends it in a POST body.
pub const FRAGMENT_PARAMETER: &str = "invite";

/// The page an invite link opens: the whole request form's app (its own bundle, with
/// the invite's form), so the first visit's form (`/`) carries none of it. A link to
/// `/#invite=…` (made before) still works: that page passes it on here.
pub const LINK_PAGE: &str = "/start/";

/// Returns the invite token of a URL fragment such as `#invite=<token>`, if it has one.
pub fn token_of_fragment(fragment: &str) -> Option<&str> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix(FRAGMENT_PARAMETER)?.strip_prefix('='))
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

/// The body of `POST /api/v1/invites/open`: the invite link's token, which never
/// travels in a path or a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpenInvite {
    /// The invite link's token.
    pub token: String,
}

/// The shortest and longest time an invite link may stay valid, in seconds.
pub const VALIDITY_SECONDS: std::ops::RangeInclusive<u32> = 60..=30 * 24 * 3600;

/// An invite link's token, `<invite name>.<secret>`, split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteToken<'a> {
    /// The invite object's name (`invite-…`).
    pub name: &'a str,
    /// The secret whose SHA-256 the invite holds.
    pub secret: &'a str,
}

impl<'a> InviteToken<'a> {
    /// Splits a token into the invite's name and the secret, or returns `None` when it
    /// does not have that shape (lowercase letters, digits and dashes only, so the name
    /// is safe as a Kubernetes object name and in a URL).
    pub fn parse(token: &'a str) -> Option<Self> {
        let (name, secret) = token.trim().split_once('.')?;
        let plain = |s: &str, extra: bool| {
            !s.is_empty()
                && s.len() <= 63
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || (extra && b == b'-'))
        };
        (name.starts_with(NAME_PREFIX)
            && name.len() > NAME_PREFIX.len()
            && plain(name, true)
            && !name.ends_with('-')
            && plain(secret, false))
        .then_some(Self { name, secret })
    }
}

/// The body of `POST /api/v1/admin/invites`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    /// The username (`CN`) the invitee's certificate will carry.
    pub username: String,
    /// The groups (`O`) the invitee's certificate will carry.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Roles to grant the invitee.
    #[serde(default)]
    pub grants: Vec<Grant>,
    /// The certificate's lifetime in seconds.
    pub expiration_seconds: u32,
    /// How long the link stays valid, in seconds.
    pub valid_for_seconds: u32,
}

/// The answer to creating an invite. The token is shown this once: the cluster keeps
/// only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteCreated {
    /// The invite as approvers see it.
    pub invite: InviteView,
    /// The secret token of the link.
    pub token: String,
    /// The link's path and fragment on this portal, such as `/start/#invite=<token>`.
    pub path: String,
}

/// Where an invite stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InviteState {
    /// Waiting to be used.
    Open,
    /// A request was made with it.
    Used,
    /// An approver revoked it.
    Revoked,
    /// Its link is no longer valid.
    Expired,
}

/// An invite as approvers see it (`GET /api/v1/admin/invites`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteView {
    /// The invite object's name.
    pub name: String,
    /// The username the invite is for.
    pub username: String,
    /// The groups the invite is for.
    pub groups: Vec<String>,
    /// The roles granted with it.
    pub grants: Vec<Grant>,
    /// The certificate's lifetime in seconds.
    pub expiration_seconds: u32,
    /// The approver who made it.
    pub created_by: String,
    /// When the link stops being valid.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Where it stands.
    pub state: InviteState,
    /// The request made with it, once used.
    pub request: Option<String>,
    /// Who revoked it, if someone did.
    pub revoked_by: Option<String>,
    /// Whether its grants were bound when it was made (so a request made with it can be
    /// approved automatically); otherwise the approver makes them on approval.
    pub grants_bound: bool,
}

/// What an invite link tells the invitee (`GET /api/v1/invites/{token}`): the identity
/// the request form is locked to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteInfo {
    /// The username the certificate will carry.
    pub username: String,
    /// The groups the certificate will carry.
    pub groups: Vec<String>,
    /// The certificate's lifetime in seconds.
    pub expiration_seconds: u32,
    /// The approver who sent it.
    pub invited_by: String,
    /// When the link stops being valid.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Whether a request made with it is approved at once.
    pub auto_approved: bool,
}

/// How a request matches the invite it was made with, for the approval page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteMatch {
    /// The invite's name.
    pub name: String,
    /// The approver who made the invite.
    pub created_by: String,
    /// The roles the invite grants (pre-filled on the approval page).
    pub grants: Vec<Grant>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_read_from_the_fragment() {
        assert_eq!(
            token_of_fragment("#invite=invite-abc.def"),
            Some("invite-abc.def")
        );
        assert_eq!(token_of_fragment("invite=x&other=y"), Some("x"));
        assert_eq!(token_of_fragment("#other=y&invite=x"), Some("x"));
        assert_eq!(token_of_fragment("#invite="), None);
        assert_eq!(token_of_fragment("#invitee=x"), None);
        assert_eq!(token_of_fragment(""), None);
    }

    #[test]
    fn a_token_is_a_name_and_a_secret_of_safe_characters() {
        let token = InviteToken::parse(" invite-k2.abc123 ").unwrap();
        assert_eq!((token.name, token.secret), ("invite-k2", "abc123"));
        for bad in [
            "",
            ".",
            "invite-.abc",
            "invite-a.",
            "invite-a-.abc",
            "other-a.abc",
            "invite-a.ab-c",
            "invite-A.abc",
            "invite-a.abc.def",
            "invite-a/../x.abc",
            "invite-a\n.abc",
            &format!("invite-{}.abc", "a".repeat(60)),
        ] {
            assert!(InviteToken::parse(bad).is_none(), "{bad:?}");
        }
        // Whitespace around a pasted link's token is not part of it.
        assert!(InviteToken::parse("invite-a.abc\n").is_some());
    }
}
