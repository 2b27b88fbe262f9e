//! The one error type handlers return; it renders as `shared::ApiError` JSON.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shared::{ApiError, ErrorCode};

/// An error answer: a caller's mistake (4xx, with its message) or a fault (5xx, logged
/// in full and answered generically).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A mistake the caller can fix; the message is shown to them as is.
    #[error("{0}")]
    Client(ApiError),
    /// A fault on our side; the caller sees a generic message.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The result type of handlers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Returns a caller's-mistake error with the given code and message.
    pub fn client(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Client(ApiError::new(code, message))
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let body = self.into_body();
        let status = StatusCode::from_u16(body.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let busy = body.code == ErrorCode::Overloaded;
        let mut response = (status, Json(body)).into_response();
        if busy {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

impl From<crate::cluster::Error> for Error {
    /// The one place a workflow's failure becomes an answer: the caller's mistakes and
    /// the approver's refusals keep their code and message; CertDesk's own refusals by
    /// the API server are faults of the installation (logged with the API server's
    /// message, which names the missing rule; answered without it).
    fn from(error: crate::cluster::Error) -> Self {
        use crate::cluster::{Error as Domain, Whose};
        match error {
            Domain::NotFound(message) => Self::client(ErrorCode::NotFound, message),
            Domain::Conflict { code, message } => Self::client(code, message),
            Domain::IdentityNotAllowed(check) => Self::Client(
                ApiError::new(ErrorCode::IdentityNotAllowed, check.message.clone())
                    .with_details(serde_json::json!({ "missing": check.missing })),
            ),
            Domain::Policy(violations) => {
                let message = violations
                    .iter()
                    .map(|v| v.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                Self::Client(
                    ApiError::new(ErrorCode::PolicyViolation, message)
                        .with_details(serde_json::json!({ "violations": violations })),
                )
            }
            Domain::Invite(error) | Domain::Renewal(error) | Domain::Invalid(error) => {
                Self::Client(error)
            }
            Domain::Kube {
                whose: Whose::Approver,
                source,
            } => approvers_refusal(source),
            Domain::Kube {
                whose: Whose::Own,
                source,
            } => own_failure(source),
            Domain::Internal(error) => Self::Internal(error),
        }
    }
}

/// The API server's answer to the approver's own token, in the caller's terms: its
/// refusals keep their own message (a 403 names the right the approver lacks), and an
/// unreachable API server is a 503 `cluster_unreachable`.
fn approvers_refusal(error: kube::Error) -> Error {
    let kube::Error::Api(status) = error else {
        return transport_failure(error);
    };
    let message = status.message.clone();
    match status.code {
        401 => Error::client(
            ErrorCode::TokenInvalid,
            format!("The cluster did not accept the token: {message}"),
        ),
        403 => Error::client(ErrorCode::Forbidden, message),
        404 => Error::client(ErrorCode::NotFound, message),
        409 => Error::client(ErrorCode::Conflict, message),
        400 | 422 => {
            let causes: Vec<serde_json::Value> = status
                .details
                .iter()
                .flat_map(|d| d.causes.iter())
                .map(|c| serde_json::json!({ "reason": c.reason, "message": c.message, "field": c.field }))
                .collect();
            let code = if status.code == 400 {
                ErrorCode::BadRequest
            } else {
                ErrorCode::Invalid
            };
            Error::Client(
                ApiError::new(code, message).with_details(serde_json::json!({ "causes": causes })),
            )
        }
        429 | 503 | 504 => busy(status.code, &message),
        _ => Error::Internal(anyhow::Error::new(kube::Error::Api(status))),
    }
}

/// The API server's answer to CertDesk's own identity: busy or away is a 503 (the
/// caller may retry); anything else means the installation lacks a right or sent
/// something wrong, which the caller can do nothing about: a 500, logged in full.
fn own_failure(error: kube::Error) -> Error {
    match error {
        kube::Error::Api(status) if matches!(status.code, 429 | 503 | 504) => {
            busy(status.code, &status.message)
        }
        kube::Error::Api(status) if status.code == 409 => Error::client(
            ErrorCode::Conflict,
            "The cluster changed while CertDesk was writing; try again.",
        ),
        kube::Error::Api(status) => {
            tracing::error!(
                code = status.code,
                reason = status.reason.as_str(),
                message = status.message.as_str(),
                "the API server refused CertDesk's own ServiceAccount: compare its RBAC with deploy/rbac-backend.yaml (`certdesk check` lists what is missing)"
            );
            Error::Internal(anyhow::anyhow!(
                "the API server refused CertDesk's own identity ({})",
                status.code
            ))
        }
        other => transport_failure(other),
    }
}

fn busy(code: u16, message: &str) -> Error {
    if code == 429 {
        Error::client(
            ErrorCode::Overloaded,
            format!("The Kubernetes API server is busy; try again in a moment: {message}"),
        )
    } else {
        Error::client(
            ErrorCode::ClusterUnreachable,
            format!("The Kubernetes API server is overloaded or unavailable: {message}"),
        )
    }
}

fn transport_failure(error: kube::Error) -> Error {
    match error {
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::RustlsTls(_) => {
            tracing::warn!(error = %error, "the Kubernetes API server is unreachable");
            Error::unreachable()
        }
        other => Error::Internal(anyhow::Error::new(other)),
    }
}

impl Error {
    /// Returns the body this error answers with (a fault logged in full first).
    pub fn into_body(self) -> ApiError {
        match self {
            Self::Client(error) => error,
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                ApiError::new(
                    ErrorCode::Internal,
                    "CertDesk hit an unexpected fault; the details are in the server's log.",
                )
            }
        }
    }

    /// Returns the 503 answer for when the backend cannot reach the API server.
    pub fn unreachable() -> Self {
        Self::client(
            ErrorCode::ClusterUnreachable,
            "CertDesk cannot reach the Kubernetes API server right now; try again shortly.",
        )
    }
}
