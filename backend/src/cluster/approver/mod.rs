//! Approvers' side: everything here acts with the approver's own token, so Kubernetes
//! RBAC decides what they may do — the bindings they grant (its escalation check on
//! `bind`) and, through `impersonate`, the identity they hand out
//! ([`crate::cluster::access`]).
//!
//! - [`abilities`]: who the approver is and what they may do;
//! - [`decide`]: approve and deny through the `/approval` subresource, with their audit
//!   entries and metrics;
//! - [`grants`]: the RoleBindings and ClusterRoleBindings a grant becomes;
//! - [`roles`]: the roles an approver can choose from;
//! - [`view`]: a CSR decoded for the approver, with its risk flags.

pub mod abilities;
pub mod decide;
pub mod grants;
pub mod roles;
pub mod view;

pub use abilities::{ensure_may_list, ensure_may_list_records, identity, may, whoami};
pub use decide::{approve, deny, identity_of_request};
pub use grants::{binding_name, binding_ref, check_bindings, delete_binding, make_bindings};
pub use roles::roles;
pub use shared::admin::{
    Abilities, ApproveBody, ApproveOutcome, BindingOutcome, BindingResult, DenyBody, Grant,
    IdentityCheck, RequestView, Risk, RoleKind, RoleView, Rule, Severity, WhoAmI,
};
pub use view::view;

/// The condition reason CertDesk writes when approving.
pub const APPROVE_REASON: &str = "CertDeskApprove";
/// The condition reason CertDesk writes when it approves by itself (auto-approval).
pub const AUTO_APPROVE_REASON: &str = "CertDeskAutoApprove";
/// The condition reason CertDesk writes when denying.
pub const DENY_REASON: &str = "CertDeskDeny";
