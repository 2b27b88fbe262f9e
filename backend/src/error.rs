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
        (status, Json(body)).into_response()
    }
}
