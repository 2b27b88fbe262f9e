//! Everyone CertDesk issued a certificate to, for approvers (`/api/v1/admin/people`),
//! and taking their access away.
//!
//! Kubernetes cannot revoke a client certificate: it authenticates until it expires.
//! What CertDesk can take back are the role bindings it made; [`RemoveAccessOutcome`]
//! says which were removed and until when the certificate still authenticates.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ApiError;
use crate::admin::RoleKind;

/// A live certificate counts as expiring soon once less than this share of its life
/// is left (the credential plugin renews at two thirds, so a certificate it keeps
/// renewed shows as expiring only when its renewal is late).
pub const EXPIRING_SOON_FRACTION: f64 = 0.25;

/// Whether a certificate valid from `not_before` to `not_after` is live and expiring
/// soon at `now` ([`EXPIRING_SOON_FRACTION`]).
pub fn expiring_soon(
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    now: OffsetDateTime,
) -> bool {
    let life = (not_after - not_before).as_seconds_f64();
    let left = (not_after - now).as_seconds_f64();
    not_before <= now && left > 0.0 && left < life * EXPIRING_SOON_FRACTION
}

/// What the cluster lets any authenticated user do, whatever bindings are removed: the
/// built-in `system:basic-user`, `system:discovery` and `system:public-info-viewer`
/// roles bound to `system:authenticated`.
pub const WHAT_REMAINS: &str = "Kubernetes cannot revoke a certificate: until it expires, the \
user can still do what every authenticated user may (ask who they are with kubectl auth \
whoami, check their own permissions with kubectl auth can-i, read API discovery, version \
and health endpoints), and bindings to the groups their certificate names still apply. \
CertDesk renews nothing for them any more, so with the credential plugin's short \
certificates their access ends within one lifetime.";

/// Who removed someone's access, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Removal {
    /// The approver's username.
    pub by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A role binding CertDesk made for a user.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BindingRef {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub kind: String,
    /// The binding's name.
    pub name: String,
    /// Its namespace, for a RoleBinding.
    pub namespace: Option<String>,
    /// Whether it binds a Role or a ClusterRole.
    pub role_kind: RoleKind,
    /// The role's name.
    pub role: String,
}

/// One certificate CertDesk issued, from its issuance record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedView {
    /// The request id (and the record's name).
    pub request: String,
    /// The certificate's serial number (hex).
    pub serial: String,
    /// The certificate's SHA-256 fingerprint.
    pub sha256_fingerprint: String,
    /// The groups the certificate names.
    pub groups: Vec<String>,
    /// When it became valid.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// When it stops being valid.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// Who approved it, when known.
    pub approver: Option<String>,
    /// The serial of the certificate it renewed, for a renewal.
    pub renewal_of: Option<String>,
    /// The invite it was requested with, if any.
    pub invite: Option<String>,
    /// Whether it is valid now.
    pub live: bool,
    /// Whether it is live with less than [`EXPIRING_SOON_FRACTION`] of its life left.
    pub expiring_soon: bool,
    /// Whether (and by whom) access was removed after it was issued.
    pub access_removed: Option<Removal>,
}

/// A person: everything CertDesk issued for one username.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonView {
    /// The username.
    pub username: String,
    /// Their certificates, newest first.
    pub certificates: Vec<IssuedView>,
    /// The bindings CertDesk made for them that still exist.
    pub bindings: Vec<BindingRef>,
    /// When their last live certificate stops authenticating, if one is live.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub authenticates_until: Option<OffsetDateTime>,
    /// Whether their last certificate to expire is expiring soon ([`expiring_soon`]):
    /// nothing has renewed it yet.
    pub expiring_soon: bool,
    /// Who removed their access and when, while it stays removed (CertDesk takes and
    /// renews nothing for them until an approver restores it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_removed: Option<Removal>,
}

/// What happened to one binding when access was removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BindingRemoval {
    /// The binding.
    pub binding: BindingRef,
    /// Whether it is gone now (removed here, or already gone).
    pub removed: bool,
    /// Why it could not be removed (the API server's own answer).
    pub error: Option<ApiError>,
}

/// The answer to `POST /api/v1/admin/people/{username}/remove-access`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoveAccessOutcome {
    /// The username.
    pub username: String,
    /// Each binding's outcome.
    pub bindings: Vec<BindingRemoval>,
    /// The issuance records marked as removed.
    pub records_marked: Vec<String>,
    /// The pending requests and renewals for the username that were denied.
    #[serde(default)]
    pub requests_denied: Vec<String>,
    /// Whether every binding is gone and every record marked.
    pub complete: bool,
    /// Until when a certificate of theirs still authenticates (Kubernetes cannot revoke it).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub authenticates_until: Option<OffsetDateTime>,
    /// What the user can still do, in plain words.
    pub what_remains: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_expiring_soon_in_the_last_quarter_of_its_life() {
        let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let end = start + time::Duration::hours(8);
        let at = |hours: f64| start + time::Duration::seconds_f64(hours * 3600.0);
        assert!(!expiring_soon(start, end, at(5.9)));
        assert!(expiring_soon(start, end, at(6.1)));
        assert!(!expiring_soon(start, end, at(8.0)), "expired, not expiring");
        assert!(!expiring_soon(start, end, at(-1.0)), "not valid yet");
        // A week-long certificate: in its last 42 hours.
        let week = start + time::Duration::days(7);
        assert!(!expiring_soon(start, week, at(7.0 * 24.0 - 43.0)));
        assert!(expiring_soon(start, week, at(7.0 * 24.0 - 41.0)));
    }
}
