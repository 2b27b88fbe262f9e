//! Extractors whose rejections are the same [`ApiError`](shared::ApiError) JSON as every
//! other error.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use shared::ErrorCode;

use crate::error::Error;

/// A JSON body; malformed, oversized or non-JSON bodies are answered with a typed error.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> Error {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Error::client(
            ErrorCode::PayloadTooLarge,
            "The request body is larger than this endpoint accepts.",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::client(
            ErrorCode::UnsupportedMediaType,
            "The request body must be JSON (Content-Type: application/json).",
        ),
        _ => Error::client(ErrorCode::BadRequest, rejection.body_text()),
    }
}

/// The approver's bearer token from the `Authorization` header.
///
/// Its `Debug` output is redacted, so it never reaches a log line through a span field.
pub struct BearerToken(String);

impl BearerToken {
    /// Returns the token, to hand to a Kubernetes client and nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let missing = || {
            Error::client(
                ErrorCode::TokenMissing,
                "Sign in with your Kubernetes token: send it as `Authorization: Bearer <token>`.",
            )
        };
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(missing)?;
        let value = header.to_str().map_err(|_| missing())?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(missing)?;
        Ok(Self(token.to_owned()))
    }
}

/// The client's IP address: the connection's peer, or, when the peer is one of
/// `--trusted-proxies`, the address it forwarded for ([`crate::client::client_of`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl FromRequestParts<crate::AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(crate::client::client_of(
            peer_ip(&parts.extensions),
            &parts.headers,
            &state.settings.serve.trusted_proxies,
        )))
    }
}

/// Returns the peer's IP address recorded by `into_make_service_with_connect_info`.
pub fn peer_ip(extensions: &axum::http::Extensions) -> Option<std::net::IpAddr> {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
}
