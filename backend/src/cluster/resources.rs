//! CertDesk's own custom resources, `certdesk.dev/v1alpha1`: issuance records and
//! invites. The cluster is CertDesk's only database; these are the two kinds of object
//! that outlive a `CertificateSigningRequest` (which the cluster deletes an hour after
//! it is decided).
//!
//! Their CRDs are `deploy/crds.yaml`, checked against [`definitions`] by a test.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{CustomResource, CustomResourceExt as _};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::admin::{Grant, RoleKind};
use shared::people::{BindingRef, Removal};
use time::OffsetDateTime;

/// The API group of CertDesk's resources.
pub const GROUP: &str = "certdesk.dev";

/// A record of one certificate CertDesk issued, named after its request (the CSR).
///
/// Written by the backend when the request's certificate appears; it holds only public
/// material (the certificate, never a key).
// Clippy reads each `printcolumn(type_ = …)` as a repeated attribute; they are columns.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "certdesk.dev",
    version = "v1alpha1",
    kind = "IssuedCertificate",
    plural = "issuedcertificates",
    shortname = "issuedcert",
    category = "certdesk",
    status = "IssuedCertificateStatus",
    derive = "PartialEq",
    doc = "A client certificate CertDesk issued: who it names, who approved it, what was granted, and whether access was since removed.",
    printcolumn(name = "User", type_ = "string", json_path = ".spec.username"),
    printcolumn(name = "Groups", type_ = "string", json_path = ".spec.groups"),
    // A `date` column prints an age, which a future time does not have.
    printcolumn(name = "Expires", type_ = "string", json_path = ".spec.notAfter"),
    printcolumn(name = "Approver", type_ = "string", json_path = ".spec.approver"),
    printcolumn(
        name = "Removed-By",
        type_ = "string",
        json_path = ".status.accessRemoved.by"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct IssuedCertificateSpec {
    /// The certificate's username (its common name).
    pub username: String,
    /// The certificate's groups (its organizations).
    #[serde(default)]
    pub groups: Vec<String>,
    /// The serial number, colon-separated hex.
    pub serial: String,
    /// The SHA-256 fingerprint of the certificate's DER, colon-separated hex.
    pub sha256_fingerprint: String,
    /// When the certificate became valid.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub not_before: OffsetDateTime,
    /// When the certificate stops being valid.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub not_after: OffsetDateTime,
    /// The approver's username, when CertDesk recorded the approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    /// The approval's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_message: Option<String>,
    /// The role bindings made with the approval (or the invite).
    #[serde(default)]
    pub bindings: Vec<BindingRecord>,
    /// The namespace the requester's kubeconfig context uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The certificate, PEM-encoded.
    pub certificate: String,
    /// What the requester said and where the request came from.
    #[serde(default)]
    pub requester: RequesterRecord,
    /// The serial of the certificate this one renewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_of: Option<String>,
    /// The invite the request was made with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
}

/// What happened to an issued certificate after issuance.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuedCertificateStatus {
    /// Set when an approver removed the user's access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_removed: Option<RemovalRecord>,
}

/// The requester's annotations, copied from the request.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequesterRecord {
    /// The requester's note for the approver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The address the request came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_address: Option<String>,
    /// The requester's browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// When the request was made (its CSR's creation).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    #[schemars(with = "Option<String>")]
    pub requested_at: Option<OffsetDateTime>,
}

/// Who did something, and when.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
pub struct RemovalRecord {
    /// The approver's username.
    pub by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub at: OffsetDateTime,
}

impl From<&RemovalRecord> for Removal {
    fn from(record: &RemovalRecord) -> Self {
        Self {
            by: record.by.clone(),
            at: record.at,
        }
    }
}

/// One role grant: a Role in a namespace, or a ClusterRole in a namespace or cluster-wide.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrantRecord {
    /// `Role` or `ClusterRole`.
    pub kind: RoleKindRecord,
    /// The role's name.
    pub name: String,
    /// The namespace to bind in; none binds a ClusterRole cluster-wide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// The kind of role a grant binds.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum RoleKindRecord {
    /// A namespaced Role.
    Role,
    /// A ClusterRole.
    ClusterRole,
}

impl From<RoleKind> for RoleKindRecord {
    fn from(kind: RoleKind) -> Self {
        match kind {
            RoleKind::Role => Self::Role,
            RoleKind::ClusterRole => Self::ClusterRole,
        }
    }
}

impl From<RoleKindRecord> for RoleKind {
    fn from(kind: RoleKindRecord) -> Self {
        match kind {
            RoleKindRecord::Role => Self::Role,
            RoleKindRecord::ClusterRole => Self::ClusterRole,
        }
    }
}

impl From<&Grant> for GrantRecord {
    fn from(grant: &Grant) -> Self {
        Self {
            kind: grant.kind.into(),
            name: grant.name.clone(),
            namespace: grant.namespace.clone().filter(|n| !n.is_empty()),
        }
    }
}

impl From<&GrantRecord> for Grant {
    fn from(record: &GrantRecord) -> Self {
        Self {
            kind: record.kind.into(),
            name: record.name.clone(),
            namespace: record.namespace.clone(),
        }
    }
}

/// A role binding CertDesk made.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BindingRecord {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub kind: String,
    /// The binding's name.
    pub name: String,
    /// Its namespace, for a RoleBinding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Whether it binds a Role or a ClusterRole.
    pub role_kind: RoleKindRecord,
    /// The role's name.
    pub role: String,
}

impl From<&BindingRecord> for BindingRef {
    fn from(record: &BindingRecord) -> Self {
        Self {
            kind: record.kind.clone(),
            name: record.name.clone(),
            namespace: record.namespace.clone(),
            role_kind: record.role_kind.into(),
            role: record.role.clone(),
        }
    }
}

impl From<&BindingRef> for BindingRecord {
    fn from(binding: &BindingRef) -> Self {
        Self {
            kind: binding.kind.clone(),
            name: binding.name.clone(),
            namespace: binding.namespace.clone(),
            role_kind: binding.role_kind.into(),
            role: binding.role.clone(),
        }
    }
}

/// An invite: who may ask for access through a link, with what, until when.
///
/// Made by an approver (with their own credentials, so RBAC decides who may invite);
/// it holds only the SHA-256 of the link's secret. Its status records its single use.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "certdesk.dev",
    version = "v1alpha1",
    kind = "Invite",
    plural = "invites",
    category = "certdesk",
    status = "InviteStatus",
    derive = "PartialEq",
    doc = "An invite link for one identity: single-use, expiring, revocable.",
    printcolumn(name = "User", type_ = "string", json_path = ".spec.username"),
    printcolumn(name = "Invited-By", type_ = "string", json_path = ".spec.createdBy"),
    printcolumn(name = "Expires", type_ = "string", json_path = ".spec.expiresAt"),
    printcolumn(name = "Used-For", type_ = "string", json_path = ".status.usedBy"),
    printcolumn(
        name = "Revoked-By",
        type_ = "string",
        json_path = ".status.revoked.by"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct InviteSpec {
    /// The username the invitee's certificate will carry.
    pub username: String,
    /// The groups the invitee's certificate will carry.
    #[serde(default)]
    pub groups: Vec<String>,
    /// The roles granted with the invite.
    #[serde(default)]
    pub grants: Vec<GrantRecord>,
    /// The bindings made for the grants when the invite was made (only when requests
    /// with invites are approved automatically; otherwise the approver makes them).
    #[serde(default)]
    pub bindings: Vec<BindingRecord>,
    /// The certificate's lifetime in seconds.
    pub expiration_seconds: u32,
    /// When the link stops being valid.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub expires_at: OffsetDateTime,
    /// The lowercase hex SHA-256 of the link's secret.
    pub token_sha256: String,
    /// The approver who made it. CertDesk's admission policy lets only that very user
    /// create an invite naming them, and nobody change an invite's spec afterwards.
    pub created_by: String,
    /// The groups the approver was in when they made it (as the cluster told CertDesk;
    /// the admission policy refuses a group they are not in). An invite that CertDesk
    /// approves by itself asks the cluster again, at use, whether this user in these
    /// groups may issue its identity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created_by_groups: Vec<String>,
}

/// What became of an invite.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InviteStatus {
    /// The request made with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_by: Option<String>,
    /// When it was used.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    #[schemars(with = "Option<String>")]
    pub used_at: Option<OffsetDateTime>,
    /// Who revoked it, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<RemovalRecord>,
}

/// The definitions of CertDesk's custom resources, as `deploy/crds.yaml` holds them.
pub fn definitions() -> Vec<CustomResourceDefinition> {
    vec![
        IssuedCertificate::crd(),
        Invite::crd(),
        super::withdrawals::Withdrawal::crd(),
        super::removals::Removal::crd(),
        crate::notify::outbox::Notification::crd(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "# CertDesk's custom resources: issuance records and invites. Generated from\n\
# backend/src/cluster/resources.rs; a test keeps the two equal. To regenerate:\n\
#   CERTDESK_WRITE_CRDS=1 cargo test -p backend --lib deploy_crds\n";

    #[test]
    fn deploy_crds_yaml_is_what_the_types_define() {
        // The clone under test, not the one the test was built in (the target directory
        // is shared by clones, and cargo reuses a build from another one's directory).
        let package = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
        let path = package.join("../deploy/crds.yaml");
        let generated = definitions();
        if std::env::var_os("CERTDESK_WRITE_CRDS").is_some() {
            let yaml = serde_saphyr::to_string_multiple(&generated).unwrap();
            std::fs::write(&path, format!("{HEADER}{yaml}")).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let on_disk: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&text).unwrap();
        let generated: Vec<serde_json::Value> = generated
            .iter()
            .map(|crd| serde_json::to_value(crd).unwrap())
            .collect();
        assert!(
            on_disk == generated,
            "deploy/crds.yaml is not what the types define: run CERTDESK_WRITE_CRDS=1 cargo test -p backend --lib deploy_crds"
        );
    }

    #[test]
    fn the_resources_are_cluster_scoped_with_status_and_columns() {
        for crd in definitions() {
            assert_eq!(crd.spec.scope, "Cluster");
            assert_eq!(crd.spec.group, GROUP);
            let version = &crd.spec.versions[0];
            let columns: Vec<&str> = version
                .additional_printer_columns
                .iter()
                .flatten()
                .map(|c| c.name.as_str())
                .collect();
            // A withdrawal and a removal are facts, written once: no status, no expiry;
            // a notification's claim and outcomes are written with preconditions and
            // merge patches of the object itself (no status subresource).
            if matches!(
                crd.spec.names.kind.as_str(),
                "Withdrawal" | "Removal" | "Notification"
            ) {
                assert!(columns.contains(&"User"), "{columns:?}");
                continue;
            }
            assert!(
                version
                    .subresources
                    .as_ref()
                    .and_then(|s| s.status.as_ref())
                    .is_some()
            );
            assert!(
                columns.contains(&"User") && columns.contains(&"Expires"),
                "{columns:?}"
            );
        }
    }
}
