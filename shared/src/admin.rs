//! The approvers' API (`/api/v1/admin/*`): who the approver is, the requests as they
//! see them (decoded and flagged), and the bodies and answers of approve and deny.

use serde::{Deserialize, Serialize};

use crate::{ApiError, Phase};

/// Who the approver is and what the cluster lets them do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhoAmI {
    /// The username the cluster knows the token by.
    pub username: String,
    /// The groups the cluster puts the token in.
    pub groups: Vec<String>,
    /// What the approver may do.
    pub can: Abilities,
}

/// The approver's relevant permissions, from SelfSubjectAccessReviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Abilities {
    /// `approve` on the `kubernetes.io/kube-apiserver-client` signer.
    pub approve: bool,
    /// `update` on `certificatesigningrequests/approval`.
    pub update_approval: bool,
    /// `list` on `certificatesigningrequests`.
    pub list_requests: bool,
    /// `create` on `rolebindings` (in every namespace).
    pub create_role_bindings: bool,
    /// `create` on `clusterrolebindings`.
    pub create_cluster_role_bindings: bool,
    /// `create` on CertDesk's `invites`.
    #[serde(default)]
    pub create_invites: bool,
    /// `list` on CertDesk's `issuedcertificates` (the People view).
    #[serde(default)]
    pub list_people: bool,
}

/// How serious a risk flag is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Approving is very likely a mistake.
    Red,
    /// Worth a second look.
    Amber,
    /// Lowers the risk (for example, a renewal of the same identity).
    Info,
}

/// Whether an approver may hand out a request's identity: the cluster's answer to
/// "may you `impersonate` each requested group, and the username when it already has
/// bindings?" (`GET /api/v1/admin/requests/{name}/identity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityCheck {
    /// Whether the approver may issue this identity.
    pub allowed: bool,
    /// Every permission asked, as `groups/<name>` or `users/<name>` of the `impersonate`
    /// verb.
    pub checked: Vec<String>,
    /// The permissions the approver lacks, in the same form.
    pub missing: Vec<String>,
    /// Whether the username already has bindings (so the username itself was checked).
    pub username_bound: bool,
    /// The answer for a person ("You may issue this identity." or what is missing).
    pub message: String,
}

/// One reason an approver should look twice at a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Risk {
    /// A stable code such as `system_group`.
    pub code: crate::risk::RiskCode,
    /// How serious it is.
    pub severity: Severity,
    /// What the risk is, for a person.
    pub message: String,
}

/// One request for its approval page (`GET /api/v1/admin/requests/{name}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestDetail {
    /// The request, decoded and flagged.
    pub request: RequestView,
    /// Set when another approved request got no certificate from this cluster's signer
    /// within CertDesk's deadline: approving may not give the requester access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer_warning: Option<String>,
    /// For an approved or issued request: the bindings CertDesk made for its username
    /// that still exist (that the approver can see).
    #[serde(default)]
    pub current_bindings: Vec<crate::people::BindingRef>,
}

/// How a request was decided, as its condition says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    /// `Approved`, `Denied` or `Failed`.
    pub kind: String,
    /// When, as the condition's last update time.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub at: Option<time::OffsetDateTime>,
    /// The condition's message (CertDesk's denials: "Denied by <approver>: <reason>").
    pub message: Option<String>,
    /// Who approved, as `certdesk.dev/approved-by` says (written only by the approving
    /// user, so it names them).
    pub approved_by: Option<String>,
}

/// A CSR as the approver sees it: decoded, annotated and flagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestView {
    /// The CSR object's name.
    pub name: String,
    /// Where it stands.
    pub phase: Phase,
    /// Whether CertDesk created it.
    pub managed: bool,
    /// Who created the CSR object (`spec.username`).
    pub created_by: Option<String>,
    /// When the CSR object was created.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created: Option<time::OffsetDateTime>,
    /// The age in seconds.
    pub age_seconds: Option<i64>,
    /// The requested username (CN), when the CSR decodes.
    pub username: Option<String>,
    /// The requested groups (O).
    pub groups: Vec<String>,
    /// The key, such as "ECDSA P-256".
    pub key: Option<String>,
    /// The requested lifetime in seconds.
    pub expiration_seconds: Option<i32>,
    /// The requester's note.
    pub note: Option<String>,
    /// The address the request came from.
    pub client_address: Option<String>,
    /// The requester's user agent.
    pub user_agent: Option<String>,
    /// Why the CSR could not be decoded, if it could not.
    pub decode_error: Option<String>,
    /// The risk flags.
    pub risks: Vec<Risk>,
    /// The invite the request was made with, if any.
    #[serde(default)]
    pub invite: Option<crate::invite::InviteMatch>,
    /// For a renewal: the serial number of the certificate it renews.
    #[serde(default)]
    pub renewal_of: Option<String>,
    /// Set when the request was approved but nothing was issued within CertDesk's
    /// signing deadline: this cluster does not seem to issue client certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_issued: Option<String>,
    /// How it was decided, once it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

/// What a role grant gives: a Role or a ClusterRole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RoleKind {
    /// A namespaced Role (needs a namespace).
    Role,
    /// A ClusterRole, bound in one namespace or (without one) cluster-wide.
    ClusterRole,
}

/// One role to grant the requester on approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// Role or ClusterRole.
    pub kind: RoleKind,
    /// The role's name.
    pub name: String,
    /// The namespace to bind in; none binds a ClusterRole cluster-wide.
    #[serde(default)]
    pub namespace: Option<String>,
}

/// The answer to `GET /api/v1/admin/namespaces`: the namespaces the approver may grant
/// roles in, for the grant picker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NamespaceList {
    /// Whether the cluster lets the approver list namespaces (if not, the picker takes
    /// any name and the cluster decides at approval).
    pub listable: bool,
    /// The namespaces, sorted.
    pub namespaces: Vec<String>,
}

/// The body of `POST /api/v1/admin/requests/{name}/approve`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// Roles to grant the requester.
    #[serde(default)]
    pub grants: Vec<Grant>,
    /// A message for the requester.
    #[serde(default)]
    pub message: Option<String>,
}

/// The body of `POST /api/v1/admin/requests/{name}/deny`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DenyBody {
    /// Why the request is denied; shown to the requester.
    pub reason: String,
}

/// What happened to one binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BindingResult {
    /// The binding was created.
    Created,
    /// An identical binding already existed (a retry).
    AlreadyExists,
    /// Creating it failed; see the error.
    Failed,
}

/// One binding of an approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BindingOutcome {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub kind: String,
    /// The binding's name.
    pub name: String,
    /// Its namespace, for a RoleBinding.
    pub namespace: Option<String>,
    /// What happened.
    pub result: BindingResult,
    /// Why it failed, if it did.
    pub error: Option<ApiError>,
}

/// The answer to an approval: the request is approved; `complete` says whether every
/// binding exists too (if not, retrying the same approval creates the missing ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApproveOutcome {
    /// The CSR's name.
    pub name: String,
    /// The approver's username, as the condition's message names them.
    pub approved_by: String,
    /// Each binding's outcome.
    pub bindings: Vec<BindingOutcome>,
    /// Whether the approval and every binding are in place.
    pub complete: bool,
}

/// One rule of a role, as `kubectl describe role` shows it (the shape of
/// `rbac.authorization.k8s.io/v1` `PolicyRule`, without pulling the Kubernetes types
/// into the browser's bundle).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// The verbs allowed, such as `get` or `*`.
    pub verbs: Vec<String>,
    /// The API groups (`""` is the core group).
    #[serde(default)]
    pub api_groups: Vec<String>,
    /// The resources, such as `pods` or `pods/log`.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Names the rule is limited to; empty means all.
    #[serde(default)]
    pub resource_names: Vec<String>,
    /// Non-resource URLs such as `/healthz`.
    #[serde(default)]
    pub non_resource_urls: Vec<String>,
}

/// A role the approver can grant, with its rules for a preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleView {
    /// Role or ClusterRole.
    pub kind: RoleKind,
    /// Its name.
    pub name: String,
    /// Its namespace, for a Role.
    pub namespace: Option<String>,
    /// What it allows.
    pub rules: Vec<Rule>,
}

/// One notification sink as approvers see it (`GET /api/v1/admin/notifications`): what
/// it is told and how its last deliveries went (across every replica).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SinkStatus {
    /// The sink's name in the operator's file.
    pub name: String,
    /// `slack`, `teams`, `email` or `webhook`.
    pub format: String,
    /// The events it is told about.
    pub events: Vec<String>,
    /// Only requests naming one of these groups (empty: every request).
    pub groups: Vec<String>,
    /// When it last took an event.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_sent: Option<time::OffsetDateTime>,
    /// Its last failure, if any is still on record (a day).
    #[serde(default)]
    pub last_failure: Option<SinkFailure>,
}

/// A sink's failed delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SinkFailure {
    /// When the delivery was given up.
    #[serde(with = "time::serde::rfc3339")]
    pub at: time::OffsetDateTime,
    /// The event's kind.
    pub event: String,
    /// Why (no URL, no secret).
    pub error: String,
}
