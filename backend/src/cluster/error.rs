//! What goes wrong in a workflow, in the domain's words, with whose credentials a
//! Kubernetes call failed. It becomes an HTTP answer in one place,
//! [`crate::error::Error`]'s `From` at the route edge: a refusal of the approver's
//! own token is theirs to see (a 403 names their missing right), a refusal of
//! CertDesk's own ServiceAccount is a fault of the installation (a 500 that names no
//! ServiceAccount, logged in full with the rule the API server says is missing).

use shared::admin::IdentityCheck;
use shared::{ApiError, ErrorCode, Violation};

/// Whose credentials made a Kubernetes call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// The approver's own token: RBAC's answer is about them.
    Approver,
    /// CertDesk's own identity (its ServiceAccount).
    Own,
}

/// Why a workflow did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked about does not exist (or is not CertDesk's to speak of).
    #[error("{0}")]
    NotFound(String),
    /// It exists, but its state forbids this (already decided, withdrawn, used).
    #[error("{message}")]
    Conflict {
        /// The stable code (`conflict`, `request_decided`, `request_withdrawn`…).
        code: ErrorCode,
        /// What happened and what to do, for a person.
        message: String,
    },
    /// The deciding person may not issue this identity; the check names each missing
    /// permission.
    #[error("{}", .0.message)]
    IdentityNotAllowed(IdentityCheck),
    /// The request breaks the operator's policy; every violation is listed.
    #[error("{}", violations_message(.0))]
    Policy(Vec<Violation>),
    /// An invite link cannot be used (invalid, used, revoked, expired, or not what the
    /// request asks for).
    #[error("{}", .0.message)]
    Invite(ApiError),
    /// A renewal is refused (its challenge, certificate, proof or the person's access).
    #[error("{}", .0.message)]
    Renewal(ApiError),
    /// The caller's input is wrong in another way (a malformed CSR, a grant without a
    /// namespace, a bad proof); the error says how.
    #[error("{}", .0.message)]
    Invalid(ApiError),
    /// A call to the API server failed.
    #[error("the Kubernetes API call made with {whose:?} credentials failed: {source}")]
    Kube {
        /// Whose credentials it was made with.
        whose: Whose,
        /// What the API server (or the connection) said.
        #[source]
        source: kube::Error,
    },
    /// A fault of CertDesk's own.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The result of a workflow.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn violations_message(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| v.message.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Error {
    /// A failed call made with CertDesk's own identity.
    pub fn own(source: kube::Error) -> Self {
        Self::Kube {
            whose: Whose::Own,
            source,
        }
    }

    /// A failed call made with the approver's token.
    pub fn approver(source: kube::Error) -> Self {
        Self::Kube {
            whose: Whose::Approver,
            source,
        }
    }

    /// A refusal of the caller's input, with its code and message.
    pub fn invalid(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Invalid(ApiError::new(code, message))
    }

    /// A conflict with the object's state.
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    /// Returns the API server's status code, when the error is its answer.
    pub fn kube_code(&self) -> Option<u16> {
        match self {
            Self::Kube {
                source: kube::Error::Api(status),
                ..
            } => Some(status.code),
            _ => None,
        }
    }
}

/// Whether a Kubernetes error is the API server's "not found".
pub fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}

/// Whether a Kubernetes error is the API server's "conflict" (a name taken, a stale
/// resourceVersion).
pub fn is_conflict(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 409)
}
