//! A request's risk flags in plain words, red for what is very likely a mistake to
//! approve, amber for what deserves a second look, and a note for what lowers the risk
//! (a renewal of the same identity, a request matching an invite).

use leptos::prelude::*;
use shared::admin::{Risk, Severity};
use shared::risk::RiskCode;

use super::request_row::I18n;
use crate::i18n::{t, t_string, use_i18n};

/// The CSS class of a severity (`risk-red`, `risk-amber` or `risk-info`).
pub fn severity_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Red => "risk risk-red",
        Severity::Amber => "risk risk-amber",
        Severity::Info => "risk risk-info",
    }
}

/// The word a person reads before the flag (colour is not the only signal).
pub fn severity_word(i18n: I18n, severity: Severity) -> &'static str {
    match severity {
        Severity::Red => t_string!(i18n, risk.danger),
        Severity::Amber => t_string!(i18n, risk.check),
        Severity::Info => t_string!(i18n, risk.note),
    }
}

/// A flag in full, in the page's language. In English the server's own words (which
/// name the group, the prefix, the look-alike); in another language the catalogue's
/// sentence for the flag's code (the names are on the same page, from the CSR).
pub fn risk_words(i18n: I18n, risk: &Risk) -> String {
    if crate::language::is_english(i18n) {
        return risk.message.clone();
    }
    use RiskCode as C;
    let said = match risk.code {
        C::SystemGroup => t_string!(i18n, risk.system_group_said),
        C::AdminGroup => t_string!(i18n, risk.admin_group_said),
        C::GroupLooksLikeAdmin => t_string!(i18n, risk.group_looks_like_admin_said),
        C::UnreadableName => t_string!(i18n, risk.unreadable_name_said),
        C::SystemUser => t_string!(i18n, risk.system_user_said),
        C::ReservedUsername => t_string!(i18n, risk.reserved_username_said),
        C::UsernameLooksLike => t_string!(i18n, risk.username_looks_like_said),
        C::ExistingSubject => t_string!(i18n, risk.existing_subject_said),
        C::CaRequested => t_string!(i18n, risk.ca_requested_said),
        C::SignatureInvalid => t_string!(i18n, risk.signature_invalid_said),
        C::RsaBelow3072 => t_string!(i18n, risk.rsa_below_3072_said),
        C::LongDuration => t_string!(i18n, risk.long_duration_said),
        C::Renewal => t_string!(i18n, risk.renewal_said),
        C::Invite => t_string!(i18n, risk.invite_said),
        C::DuplicateRequest => t_string!(i18n, risk.duplicate_request_said),
        C::SharedKey => t_string!(i18n, risk.shared_key_said),
        C::MadeOutsideCertDesk => t_string!(i18n, risk.made_outside_certdesk_said),
        _ => t_string!(i18n, risk.other_said),
    };
    said.to_owned()
}

/// The list of risk flags, or a short note when there are none.
#[component]
pub fn RiskFlags(risks: Vec<Risk>) -> impl IntoView {
    let i18n = use_i18n();
    if risks.is_empty() {
        return view! { <p class="muted risks-none" data-testid="no-risks">{t!(i18n, risk.none)}</p> }
            .into_any();
    }
    view! {
        <ul class="risks" aria-label=move || t_string!(i18n, risk.heading)>
            {risks
                .into_iter()
                .map(|risk| {
                    let (severity, code) = (risk.severity, risk.code.as_str());
                    view! {
                        <li
                            class=severity_class(severity)
                            data-testid="risk"
                            data-code=code
                        >
                            <strong>{move || severity_word(i18n, severity)} ": "</strong>
                            {move || risk_words(i18n, &risk)}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
