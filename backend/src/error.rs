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
        let body = match self {
            Self::Client(error) => error,
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                ApiError::new(
                    ErrorCode::Internal,
                    "CertDesk hit an unexpected fault; the details are in the server's log.",
                )
            }
        };
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

impl From<kube::Error> for Error {
    /// Maps the API server's answers to the caller's terms: its refusals keep their own
    /// message, and an unreachable API server is a 503 `cluster_unreachable`.
    fn from(error: kube::Error) -> Self {
        match error {
            kube::Error::Api(status) => {
                let message = status.message.clone();
                match status.code {
                    401 => Self::client(
                        ErrorCode::TokenInvalid,
                        format!("The cluster did not accept the token: {message}"),
                    ),
                    403 => Self::client(ErrorCode::Forbidden, message),
                    404 => Self::client(ErrorCode::NotFound, message),
                    409 => Self::client(ErrorCode::Conflict, message),
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
                        Self::Client(
                            ApiError::new(code, message)
                                .with_details(serde_json::json!({ "causes": causes })),
                        )
                    }
                    429 => Self::client(
                        ErrorCode::Overloaded,
                        format!(
                            "The Kubernetes API server is busy; try again in a moment: {message}"
                        ),
                    ),
                    503 | 504 => Self::client(
                        ErrorCode::ClusterUnreachable,
                        format!(
                            "The Kubernetes API server is overloaded or unavailable: {message}"
                        ),
                    ),
                    _ => Self::Internal(anyhow::Error::new(kube::Error::Api(status))),
                }
            }
            kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::RustlsTls(_) => {
                tracing::warn!(error = %error, "the Kubernetes API server is unreachable");
                Self::unreachable()
            }
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

impl Error {
    /// Returns the 503 answer for when the backend cannot reach the API server.
    pub fn unreachable() -> Self {
        Self::client(
            ErrorCode::ClusterUnreachable,
            "CertDesk cannot reach the Kubernetes API server right now; try again shortly.",
        )
    }
}
