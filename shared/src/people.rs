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

/// How many days before expiry a certificate counts as expiring soon.
pub const EXPIRING_SOON_DAYS: i64 = 7;

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
    /// Whether it expires within [`EXPIRING_SOON_DAYS`].
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
    /// Whether a live certificate expires within [`EXPIRING_SOON_DAYS`].
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
