//! The error body every CertDesk endpoint answers with, and its stable codes.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The body of every error answer: `{"code": "…", "message": "…", "details": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// A stable, machine-readable code.
    pub code: ErrorCode,
    /// A message a person can act on.
    pub message: String,
    /// Structured detail, such as every policy violation or the API server's causes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    /// Returns an error with the given code and message and no details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
        }
    }

    /// Returns the error with structured details attached.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code.as_str())
    }
}

impl std::error::Error for ApiError {}

/// The stable codes of [`ApiError`]. A code, once published, keeps its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request was malformed (bad JSON, a missing field, a wrong type).
    BadRequest,
    /// The request body was larger than the endpoint accepts.
    PayloadTooLarge,
    /// The request was not JSON.
    UnsupportedMediaType,
    /// The client sent too many requests; retry after the `Retry-After` header.
    RateLimited,
    /// The CSR PEM or DER could not be parsed.
    CsrInvalid,
    /// The CSR's self-signature does not verify with its own public key.
    CsrSignatureInvalid,
    /// The request breaks the operator's policy; `details` lists every violation.
    PolicyViolation,
    /// The approver sent no bearer token.
    TokenMissing,
    /// The cluster did not accept the approver's token (HTTP 401 from the API server).
    TokenInvalid,
    /// The OpenID Connect sign-in did not complete (the issuer refused, or its answer
    /// failed the page's checks: state, nonce, issuer, audience). Browser only.
    SignInFailed,
    /// The cluster refused the action; the message is the API server's own.
    Forbidden,
    /// The request or cluster object does not exist.
    NotFound,
    /// The object changed or already exists; reload and retry.
    Conflict,
    /// The API server rejected the object it was sent; `details` carries its causes.
    Invalid,
    /// The backend cannot reach the Kubernetes API server.
    ClusterUnreachable,
    /// This portal accepts requests only through an invite link.
    InviteRequired,
    /// The invite link is not one CertDesk issued (unknown, malformed or tampered with).
    InviteInvalid,
    /// The invite's validity period has ended.
    InviteExpired,
    /// An approver revoked the invite.
    InviteRevoked,
    /// The invite has already been used for a request; each invite is single-use.
    InviteUsed,
    /// The request does not match its invite (username, groups or lifetime).
    InviteMismatch,
    /// The certificate sent could not be read.
    CertificateInvalid,
    /// The renewal challenge was not issued by CertDesk or was altered.
    RenewalChallengeInvalid,
    /// The renewal challenge is too old; fetch a fresh one.
    RenewalChallengeExpired,
    /// The renewal challenge was already used for a renewal.
    RenewalChallengeReplayed,
    /// The certificate to renew was not issued by this cluster's certificate authority.
    RenewalWrongCa,
    /// The certificate to renew has expired (or is not yet valid).
    RenewalCertificateExpired,
    /// The new request's subject differs from the certificate being renewed.
    RenewalSubjectMismatch,
    /// The proof of possession does not verify with the old certificate's public key.
    RenewalProofInvalid,
    /// An approver removed this user's access; the certificate cannot be renewed.
    RenewalAccessRemoved,
    /// An approver removed this user's access: no request for the username is taken or
    /// approved until an approver restores it.
    AccessRemoved,
    /// The deciding person may not hand out the requested identity: the cluster does not
    /// let them `impersonate` a requested group, or the username that already has
    /// bindings. `details.missing` lists each missing permission.
    IdentityNotAllowed,
    /// The request did not come over HTTPS through CertDesk's TLS proxy.
    InsecureTransport,
    /// The requester withdrew this request: CertDesk no longer approves it.
    RequestWithdrawn,
    /// The request was already decided (approved, denied or failed), so it can no
    /// longer be withdrawn.
    RequestDecided,
    /// The withdrawal was not signed with the request's key: only the browser (or the
    /// person) holding that key can withdraw it.
    WithdrawalProofInvalid,
    /// CertDesk, or the Kubernetes API server behind it, is answering as many requests
    /// as it allows at once; try again after `Retry-After` (429, as the API server
    /// answers its own limit).
    Overloaded,
    /// The answer took longer than CertDesk allows a request; the change may have been made.
    Timeout,
    /// The browser could not reach CertDesk at all (the network, or CertDesk
    /// restarting): made by the browser, never sent by the server. Nothing was sent, or
    /// its answer was lost: retry.
    PortalUnreachable,
    /// An unexpected fault in CertDesk; the details are in the server's log.
    Internal,
    /// A code this version of CertDesk does not know (sent by a newer server).
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Returns the code as it appears on the wire, such as `"csr_signature_invalid"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited => "rate_limited",
            Self::CsrInvalid => "csr_invalid",
            Self::CsrSignatureInvalid => "csr_signature_invalid",
            Self::PolicyViolation => "policy_violation",
            Self::TokenMissing => "token_missing",
            Self::TokenInvalid => "token_invalid",
            Self::SignInFailed => "sign_in_failed",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Invalid => "invalid",
            Self::ClusterUnreachable => "cluster_unreachable",
            Self::InviteRequired => "invite_required",
            Self::InviteInvalid => "invite_invalid",
            Self::InviteExpired => "invite_expired",
            Self::InviteRevoked => "invite_revoked",
            Self::InviteUsed => "invite_used",
            Self::InviteMismatch => "invite_mismatch",
            Self::CertificateInvalid => "certificate_invalid",
            Self::RenewalChallengeInvalid => "renewal_challenge_invalid",
            Self::RenewalChallengeExpired => "renewal_challenge_expired",
            Self::RenewalChallengeReplayed => "renewal_challenge_replayed",
            Self::RenewalWrongCa => "renewal_wrong_ca",
            Self::RenewalCertificateExpired => "renewal_certificate_expired",
            Self::RenewalSubjectMismatch => "renewal_subject_mismatch",
            Self::RenewalProofInvalid => "renewal_proof_invalid",
            Self::RenewalAccessRemoved => "renewal_access_removed",
            Self::AccessRemoved => "access_removed",
            Self::IdentityNotAllowed => "identity_not_allowed",
            Self::InsecureTransport => "insecure_transport",
            Self::RequestWithdrawn => "request_withdrawn",
            Self::RequestDecided => "request_decided",
            Self::WithdrawalProofInvalid => "withdrawal_proof_invalid",
            Self::Overloaded => "overloaded",
            Self::Timeout => "timeout",
            Self::PortalUnreachable => "portal_unreachable",
            Self::Internal => "internal",
            Self::Unknown => "unknown",
        }
    }

    /// Whether trying the same thing again later may work (the request was not refused
    /// for what it says, only not answered now).
    pub fn retryable(self) -> bool {
        matches!(
            self,
            Self::PortalUnreachable
                | Self::ClusterUnreachable
                | Self::RateLimited
                | Self::Overloaded
                | Self::Timeout
        )
    }

    /// Returns the HTTP status an endpoint answers with for this code.
    pub fn http_status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::TokenMissing | Self::TokenInvalid | Self::SignInFailed => 401,
            Self::Forbidden
            | Self::InviteRequired
            | Self::InviteInvalid
            | Self::RenewalAccessRemoved
            | Self::AccessRemoved
            | Self::IdentityNotAllowed
            | Self::InsecureTransport
            | Self::WithdrawalProofInvalid => 403,
            Self::NotFound => 404,
            Self::Conflict
            | Self::InviteUsed
            | Self::RenewalChallengeReplayed
            | Self::RequestWithdrawn
            | Self::RequestDecided => 409,
            Self::InviteExpired | Self::InviteRevoked => 410,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::CsrInvalid
            | Self::CsrSignatureInvalid
            | Self::PolicyViolation
            | Self::Invalid
            | Self::InviteMismatch
            | Self::CertificateInvalid
            | Self::RenewalChallengeInvalid
            | Self::RenewalChallengeExpired
            | Self::RenewalWrongCa
            | Self::RenewalCertificateExpired
            | Self::RenewalSubjectMismatch
            | Self::RenewalProofInvalid => 422,
            // As the Kubernetes API server answers its own max-in-flight limit.
            Self::RateLimited | Self::Overloaded => 429,
            Self::ClusterUnreachable | Self::PortalUnreachable => 503,
            Self::Timeout => 504,
            Self::Internal | Self::Unknown => 500,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_wire_name() {
        let codes = [
            ErrorCode::BadRequest,
            ErrorCode::PayloadTooLarge,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::RateLimited,
            ErrorCode::CsrInvalid,
            ErrorCode::CsrSignatureInvalid,
            ErrorCode::PolicyViolation,
            ErrorCode::TokenMissing,
            ErrorCode::TokenInvalid,
            ErrorCode::SignInFailed,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::Conflict,
            ErrorCode::Invalid,
            ErrorCode::ClusterUnreachable,
            ErrorCode::InviteRequired,
            ErrorCode::InviteInvalid,
            ErrorCode::InviteExpired,
            ErrorCode::InviteRevoked,
            ErrorCode::InviteUsed,
            ErrorCode::InviteMismatch,
            ErrorCode::CertificateInvalid,
            ErrorCode::RenewalChallengeInvalid,
            ErrorCode::RenewalChallengeExpired,
            ErrorCode::RenewalChallengeReplayed,
            ErrorCode::RenewalWrongCa,
            ErrorCode::RenewalCertificateExpired,
            ErrorCode::RenewalSubjectMismatch,
            ErrorCode::RenewalProofInvalid,
            ErrorCode::RenewalAccessRemoved,
            ErrorCode::AccessRemoved,
            ErrorCode::IdentityNotAllowed,
            ErrorCode::InsecureTransport,
            ErrorCode::Overloaded,
            ErrorCode::Timeout,
            ErrorCode::PortalUnreachable,
            ErrorCode::Internal,
        ];
        for code in codes {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn an_unknown_code_from_a_newer_server_still_parses() {
        let error: ApiError =
            serde_json::from_str(r#"{"code":"brand_new","message":"m"}"#).unwrap();
        assert_eq!(error.code, ErrorCode::Unknown);
    }

    #[test]
    fn caller_mistakes_are_4xx_and_faults_5xx() {
        assert_eq!(ErrorCode::PolicyViolation.http_status(), 422);
        assert_eq!(ErrorCode::BadRequest.http_status(), 400);
        assert_eq!(ErrorCode::ClusterUnreachable.http_status(), 503);
        assert_eq!(ErrorCode::Internal.http_status(), 500);
    }
}
