//! Request and response bodies of CertDesk's HTTP API (`/api/v1`).
//!
//! No type here has a field that could carry a private key: the browser keeps the key,
//! and only the certificate signing request crosses the wire.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What the browser needs to know about the cluster and the operator's policy before it
/// makes a key (`GET /api/v1/config`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalConfig {
    /// The cluster's name, used for the kubeconfig's cluster and context entries.
    pub cluster_name: String,
    /// The API server URL requesters reach the cluster at (may differ from the URL the
    /// backend itself uses).
    pub server_url: String,
    /// PEM bundle of the certificate authorities that sign the API server's serving
    /// certificate; empty when the operator has not configured one yet.
    pub ca_bundle_pem: String,
    /// The key algorithms the operator allows, the first being the default.
    pub key_algorithms: Vec<KeyAlgorithm>,
    /// Bounds on the requested certificate lifetime.
    pub duration: DurationLimits,
    /// Limits on the subject a request may ask for.
    pub policy: PolicyLimits,
    /// Whether a request must come through an invite link.
    pub invite_required: bool,
    /// Whether requests made with an invite are approved without an approver.
    #[serde(default)]
    pub auto_approve_invites: bool,
    /// Whether renewals of a live CertDesk certificate are approved without an approver.
    #[serde(default)]
    pub auto_approve_renewals: bool,
    /// The credential plugin's builds this portal serves (none: the portal does not
    /// offer it; `cargo install --path cli` still works).
    #[serde(default)]
    pub plugin_downloads: Vec<PluginDownload>,
    /// Whom requesters may ask about a waiting request (the operator's words, such as
    /// "#platform-access on Slack"); none when the operator named no one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvers_contact: Option<String>,
    /// Approvers may sign in with this OpenID Connect issuer (none: they paste a token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<crate::oidc::OidcConfig>,
    /// The CertDesk installs of other clusters this one federates with, in display order
    /// (none: this install stands alone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<Peer>,
}

/// Another cluster's CertDesk, as the operator listed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Peer {
    /// The cluster's name (its entries in the merged kubeconfig: `<user>@<name>`).
    pub name: String,
    /// Its CertDesk's origin, such as `https://certdesk.staging.example.com`.
    pub url: String,
    /// Where it is shown among the clusters (lower first; unset last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<i32>,
    /// Whether the request form selects it by default.
    #[serde(default)]
    pub default: bool,
}

/// The key algorithms a browser can generate a key pair with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum KeyAlgorithm {
    /// ECDSA over NIST P-256 with SHA-256: small, fast, and the default.
    EcdsaP256,
    /// ECDSA over NIST P-384 with SHA-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
    /// RSA with a 2048-bit modulus, signed with SHA-256.
    Rsa2048,
    /// RSA with a 3072-bit modulus, signed with SHA-256.
    Rsa3072,
    /// RSA with a 4096-bit modulus, signed with SHA-256.
    Rsa4096,
}

impl KeyAlgorithm {
    /// Every algorithm, in the order a form offers them.
    pub const ALL: [KeyAlgorithm; 6] = [
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::EcdsaP384,
        KeyAlgorithm::Ed25519,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
    ];

    /// Returns whether the algorithm is RSA, whose certificates also carry the
    /// `key encipherment` usage and whose keys take long to generate.
    pub fn is_rsa(self) -> bool {
        matches!(self, Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096)
    }

    /// Returns a short human label, such as "ECDSA P-256".
    pub fn label(self) -> &'static str {
        match self {
            Self::EcdsaP256 => "ECDSA P-256",
            Self::EcdsaP384 => "ECDSA P-384",
            Self::Ed25519 => "Ed25519",
            Self::Rsa2048 => "RSA 2048",
            Self::Rsa3072 => "RSA 3072",
            Self::Rsa4096 => "RSA 4096",
        }
    }
}

/// A build of the credential plugin (`kubectl-certdesk`) the portal serves under
/// `/downloads/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginDownload {
    /// Where it runs, such as `linux-amd64`.
    pub platform: String,
    /// Its file name under `/downloads/`.
    pub file: String,
    /// The SHA-256 of the file, lowercase hex (`sha256sum`'s form).
    pub sha256: String,
}

/// Bounds on a certificate's requested lifetime, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DurationLimits {
    /// The lifetime a form proposes for a certificate downloaded by hand.
    pub default_seconds: u32,
    /// The shortest lifetime accepted (the Kubernetes API's minimum is 600 s).
    pub min_seconds: u32,
    /// The longest lifetime accepted: for a certificate downloaded by hand, which
    /// nothing renews and nothing can revoke.
    pub max_seconds: u32,
    /// The lifetime of certificates the credential plugin (`kubectl-certdesk`) keeps
    /// renewed: short, since a removed person keeps a certificate until it expires.
    #[serde(default = "plugin_seconds")]
    pub plugin_seconds: u32,
}

fn plugin_seconds() -> u32 {
    8 * 3600
}

impl Default for DurationLimits {
    /// Seven days at most (and by default) for a downloaded certificate, eight hours
    /// for one the plugin renews, at least ten minutes.
    fn default() -> Self {
        Self {
            default_seconds: 7 * 24 * 3600,
            min_seconds: 600,
            max_seconds: 7 * 24 * 3600,
            plugin_seconds: plugin_seconds(),
        }
    }
}

/// The operator's rules on the subject (username and groups) and key of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyLimits {
    /// The groups a requester may ask for, exactly as the API server will read them;
    /// none by default (the form then offers no group field).
    #[serde(default)]
    pub allowed_groups: Vec<String>,
    /// The most groups one request may carry.
    pub max_groups: u8,
    /// The longest username or group name, in characters.
    pub max_name_chars: u8,
    /// Groups that hold administrative power in this cluster: refused at submission
    /// unless `allowed_groups` lists them too (the operator chose to hand them out),
    /// and flagged red on the approval page always.
    pub admin_groups: Vec<String>,
    /// Username prefixes reserved for other identities (`system:` always among them).
    #[serde(default)]
    pub reserved_username_prefixes: Vec<String>,
    /// A regular expression (regex-lite syntax) every username must match whole, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username_pattern: Option<String>,
    /// The smallest RSA modulus accepted, in bits (at least 2048).
    #[serde(default = "min_rsa_bits")]
    pub min_rsa_bits: u32,
}

fn min_rsa_bits() -> u32 {
    2048
}

impl PolicyLimits {
    /// Returns whether a requester may ask for any group at all.
    pub fn groups_allowed(&self) -> bool {
        !self.allowed_groups.is_empty()
    }
}

/// The usernames allowed when the operator says nothing: ASCII letters and digits, `.`,
/// `_`, `-` and `@`, starting with a letter or digit — how organisations name people,
/// and nothing a look-alike or markup could hide in. A policy's `usernames.pattern`
/// widens or narrows it (`.+` allows any name the other rules allow).
pub const DEFAULT_USERNAME_PATTERN: &str = "[A-Za-z0-9][A-Za-z0-9._@-]*";

impl Default for PolicyLimits {
    /// The design's defaults: no groups, names of 1–64 characters matching
    /// [`DEFAULT_USERNAME_PATTERN`], `system:` reserved, `kubeadm:cluster-admins` an
    /// admin group, RSA from 2048 bits.
    fn default() -> Self {
        Self {
            allowed_groups: Vec::new(),
            max_groups: 10,
            max_name_chars: 64,
            admin_groups: vec!["kubeadm:cluster-admins".to_owned()],
            reserved_username_prefixes: vec!["system:".to_owned()],
            username_pattern: Some(DEFAULT_USERNAME_PATTERN.to_owned()),
            min_rsa_bits: 2048,
        }
    }
}

/// A requester's submission (`POST /api/v1/requests`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// The PKCS#10 certificate signing request, PEM-encoded.
    pub csr_pem: String,
    /// The requested certificate lifetime in seconds.
    pub expiration_seconds: u32,
    /// A note for the approver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The token of the invite link the request is made with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
}

/// The unguessable identifier of one request; it is also the name of the
/// `CertificateSigningRequest` object in the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct RequestId(pub String);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The answer to a successful submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestTicket {
    /// The request's identifier, which the status page's URL carries.
    pub id: RequestId,
}

/// Where a request stands, derived from the `CertificateSigningRequest`'s status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Phase {
    /// Waiting for an approver.
    Pending,
    /// Approved, waiting for the cluster's signer.
    Approved,
    /// Signed: the certificate is available.
    Issued,
    /// Denied by an approver.
    Denied,
    /// The signer failed to issue a certificate.
    Failed,
    /// The cluster no longer has the request (garbage-collected or expired).
    Gone,
    /// The requester withdrew it while it was pending (proved with its key); CertDesk
    /// no longer lists it for approvers nor approves it.
    Withdrawn,
}

impl Phase {
    /// Returns whether the request can still change phase.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Issued | Self::Denied | Self::Failed | Self::Gone | Self::Withdrawn
        )
    }
}

/// A request's current state (`GET /api/v1/requests/{id}` and its event stream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestStatus {
    /// The request's identifier.
    pub id: RequestId,
    /// Where the request stands.
    pub phase: Phase,
    /// The reason of the deciding condition (for example `CertDeskApprove`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The approver's or signer's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The issued certificate, PEM-encoded, once the phase is [`Phase::Issued`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_pem: Option<String>,
    /// When the issued certificate stops being valid.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub not_after: Option<OffsetDateTime>,
    /// The namespace the approver granted a role in (the first namespaced grant), which
    /// the kubeconfig's context uses; none when no namespaced role was granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Set when the request was approved but nothing was issued within CertDesk's
    /// signing deadline: why, and what to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_issued: Option<String>,
    /// Set once issued when the signer gave a shorter lifetime than was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_cut: Option<LifetimeCut>,
    /// The roles granted with the approval (none before it, or when none were).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<crate::admin::Grant>,
    /// When the request was made, as the cluster recorded it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub submitted_at: Option<OffsetDateTime>,
    /// The lifetime asked for, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_seconds: Option<i32>,
    /// The note the requester wrote for the approver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// While pending: how long requests that needed a person waited here, the median of
    /// the last 30 days (none with fewer than three).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typical_wait_seconds: Option<u32>,
}

/// The lifetime asked for and the one the cluster's signer gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LifetimeCut {
    /// The lifetime asked for, in seconds.
    pub requested_seconds: u32,
    /// The lifetime the certificate has, in seconds (from issuance to notAfter).
    pub issued_seconds: u32,
}
