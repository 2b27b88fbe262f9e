//! Why the plugin could not do what was asked, each as one sentence a person can act on.

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command was run outside kubectl without what kubectl would pass.
    #[error("{0}")]
    Usage(String),
    /// The store holds no credential for this API server and user.
    #[error(
        "no CertDesk credential is stored for {username} on {server}: import the kubeconfig CertDesk gave you with `kubectl certdesk import FILE`, or request access at {portal}"
    )]
    NotImported {
        /// The API server.
        server: String,
        /// The user.
        username: String,
        /// Where to ask.
        portal: String,
    },
    /// The stored certificate has expired and could not be renewed in time.
    #[error(
        "your CertDesk certificate for {username} expired at {not_after}; request access again at {portal}"
    )]
    Expired {
        /// The user.
        username: String,
        /// When it expired.
        not_after: String,
        /// Where to ask.
        portal: String,
    },
    /// CertDesk refused the renewal (access removed, wrong CA, …).
    #[error("CertDesk refused to renew your certificate: {message} ({portal})")]
    Refused {
        /// CertDesk's message.
        message: String,
        /// Its stable code, such as `renewal_access_removed`.
        code: String,
        /// Where to ask.
        portal: String,
    },
    /// CertDesk could not be reached or did not answer in time.
    #[error("CertDesk at {portal} cannot be reached: {reason}")]
    Unreachable {
        /// Where it was asked.
        portal: String,
        /// What happened.
        reason: String,
    },
    /// The renewal was made but not issued in time (or was denied).
    #[error("the renewal {request} was not issued: {reason}; see {portal}")]
    NotIssued {
        /// The request id.
        request: String,
        /// What happened to it.
        reason: String,
        /// Where to look.
        portal: String,
    },
    /// A kubeconfig or store file could not be read or written.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// Another plugin process held the renewal lock for too long.
    #[error("another kubectl-certdesk has been renewing for {seconds} s (lock {path}); try again")]
    Locked {
        /// The lock file.
        path: String,
        /// How long this process waited.
        seconds: u64,
    },
    /// Key generation or signing failed.
    #[error("the new key could not be made: {0}")]
    Key(String),
}

/// The result of a plugin operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A file error for `path`.
    pub fn file(path: &std::path::Path, reason: impl std::fmt::Display) -> Self {
        Self::File {
            path: path.display().to_string(),
            reason: reason.to_string(),
        }
    }
}
