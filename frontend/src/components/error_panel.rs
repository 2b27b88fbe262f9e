//! Shows an `ApiError` to a person: what went wrong and its stable code. In English the
//! server's own message (which may name more, such as the API server's words); in
//! another language the catalogue's sentence for the code, worded by the browser (the
//! backend's English message stays for API users).

use leptos::prelude::*;
use shared::{ApiError, ErrorCode};

use super::request_row::I18n;
use crate::i18n::{t, t_string, use_i18n};

/// The error in the page's language.
pub fn error_words(i18n: I18n, error: &ApiError) -> String {
    if crate::language::is_english(i18n) && !error.message.trim().is_empty() {
        return error.message.clone();
    }
    code_words(i18n, error.code).to_owned()
}

/// The catalogue's sentence for a code.
pub fn code_words(i18n: I18n, code: ErrorCode) -> &'static str {
    use ErrorCode as C;
    match code {
        C::BadRequest => t_string!(i18n, error.bad_request),
        C::PayloadTooLarge => t_string!(i18n, error.payload_too_large),
        C::UnsupportedMediaType => t_string!(i18n, error.unsupported_media_type),
        C::RateLimited => t_string!(i18n, error.rate_limited),
        C::CsrInvalid => t_string!(i18n, error.csr_invalid),
        C::CsrSignatureInvalid => t_string!(i18n, error.csr_signature_invalid),
        C::PolicyViolation => t_string!(i18n, error.policy_violation),
        C::TokenMissing => t_string!(i18n, error.token_missing),
        C::TokenInvalid => t_string!(i18n, error.token_invalid),
        C::SignInFailed => t_string!(i18n, error.sign_in_failed),
        C::Forbidden => t_string!(i18n, error.forbidden),
        C::NotFound => t_string!(i18n, error.not_found),
        C::Conflict => t_string!(i18n, error.conflict),
        C::Invalid => t_string!(i18n, error.invalid),
        C::ClusterUnreachable => t_string!(i18n, error.cluster_unreachable),
        C::InviteRequired => t_string!(i18n, error.invite_required),
        C::InviteInvalid => t_string!(i18n, error.invite_invalid),
        C::InviteExpired => t_string!(i18n, error.invite_expired),
        C::InviteRevoked => t_string!(i18n, error.invite_revoked),
        C::InviteUsed => t_string!(i18n, error.invite_used),
        C::InviteMismatch => t_string!(i18n, error.invite_mismatch),
        C::CertificateInvalid => t_string!(i18n, error.certificate_invalid),
        C::RenewalChallengeInvalid => t_string!(i18n, error.renewal_challenge_invalid),
        C::RenewalChallengeExpired => t_string!(i18n, error.renewal_challenge_expired),
        C::RenewalChallengeReplayed => t_string!(i18n, error.renewal_challenge_replayed),
        C::RenewalWrongCa => t_string!(i18n, error.renewal_wrong_ca),
        C::RenewalCertificateExpired => t_string!(i18n, error.renewal_certificate_expired),
        C::RenewalSubjectMismatch => t_string!(i18n, error.renewal_subject_mismatch),
        C::RenewalProofInvalid => t_string!(i18n, error.renewal_proof_invalid),
        C::RenewalAccessRemoved => t_string!(i18n, error.renewal_access_removed),
        C::AccessRemoved => t_string!(i18n, error.access_removed),
        C::IdentityNotAllowed => t_string!(i18n, error.identity_not_allowed),
        C::InsecureTransport => t_string!(i18n, error.insecure_transport),
        C::RequestWithdrawn => t_string!(i18n, error.request_withdrawn),
        C::RequestDecided => t_string!(i18n, error.request_decided),
        C::WithdrawalProofInvalid => t_string!(i18n, error.withdrawal_proof_invalid),
        C::Overloaded => t_string!(i18n, error.overloaded),
        C::Timeout => t_string!(i18n, error.timeout),
        C::PortalUnreachable => t_string!(i18n, error.portal_unreachable),
        C::Internal => t_string!(i18n, error.internal),
        _ => t_string!(i18n, error.unknown),
    }
}

/// Words for an error in loading a page's own data (the service's configuration, which
/// the first visit's form reads): the catalogue's sentence for the codes such a read
/// meets — the browser could not reach CertDesk, CertDesk was busy, slow, limited or
/// failed — and the general one for any other code (shown with the code). The first
/// visit's bundle then carries these few sentences rather than one for every code.
fn loading_words(i18n: I18n, error: &ApiError) -> String {
    use ErrorCode as C;
    if crate::language::is_english(i18n) && !error.message.trim().is_empty() {
        return error.message.clone();
    }
    match error.code {
        C::PortalUnreachable => t_string!(i18n, error.portal_unreachable),
        C::Overloaded => t_string!(i18n, error.overloaded),
        C::Timeout => t_string!(i18n, error.timeout),
        C::RateLimited => t_string!(i18n, error.rate_limited),
        C::ClusterUnreachable => t_string!(i18n, error.cluster_unreachable),
        C::Internal => t_string!(i18n, error.internal),
        _ => t_string!(i18n, error.unknown),
    }
    .to_owned()
}

/// [`ErrorPanel`] for an error in loading a page's own data ([`loading_words`]).
#[component]
pub fn LoadingErrorPanel(error: ApiError) -> impl IntoView {
    let i18n = use_i18n();
    let code = error.code.as_str();
    panel(move || loading_words(i18n, &error), code)
}

/// The panel's markup: the words, then the code.
fn panel(words: impl Fn() -> String + Send + Sync + 'static, code: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="card error" role="alert">
            <p>{words}</p>
            <p class="muted"><small>{t!(i18n, error.code)} " " <code>{code}</code></small></p>
        </div>
    }
}

/// The error's words and code inline, for a line that holds more.
#[component]
pub fn ErrorWords(error: ApiError) -> impl IntoView {
    let i18n = use_i18n();
    let code = error.code.as_str();
    view! { <span>{move || error_words(i18n, &error)} " (" <code>{code}</code> ")"</span> }
}

/// A panel with the error's words (rendered as text) and its code.
#[component]
pub fn ErrorPanel(error: ApiError) -> impl IntoView {
    let i18n = use_i18n();
    let code = error.code.as_str();
    panel(move || error_words(i18n, &error), code)
}
