//! One request in the approvers' list, and the words it is described with.

use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_i18n::Locale as _;
use shared::Phase;
use shared::admin::RequestView;

pub use shared::duration::duration_words;

use super::time;
use crate::i18n::{Locale, t, t_string};
use crate::language::fill;

/// The page's i18n context, as the words below take it.
pub type I18n = I18nContext<Locale>;

/// The requested lifetime in the page's words; none means the signer's maximum.
pub fn lifetime_words(i18n: I18n, expiration_seconds: Option<i32>) -> String {
    match expiration_seconds {
        Some(seconds) => time::span_words(i18n.get_locale().as_str(), i64::from(seconds)),
        None => t_string!(i18n, row.signer_maximum).to_owned(),
    }
}

/// How long ago the request was made: "just now", "5 minutes ago".
pub fn age_words(i18n: I18n, age_seconds: Option<i64>) -> AnyView {
    match age_seconds {
        None => t!(i18n, row.unknown).into_any(),
        Some(s) if s < 60 => t!(i18n, row.just_now).into_any(),
        Some(s) => {
            let rounded = if s >= 86_400 {
                s / 86_400 * 86_400
            } else if s >= 3_600 {
                s / 3_600 * 3_600
            } else {
                s / 60 * 60
            };
            let locale = i18n.get_locale();
            t!(
                i18n,
                row.ago,
                span = move || time::span_words(locale.as_str(), rounded)
            )
            .into_any()
        }
    }
}

/// A phase as a person reads it, in the page's language (`data-phase` and the URL keep
/// [`phase_name`]).
pub fn phase_words(i18n: I18n, phase: Phase) -> &'static str {
    match phase {
        Phase::Pending => t_string!(i18n, phase.pending),
        Phase::Approved => t_string!(i18n, phase.approved),
        Phase::Issued => t_string!(i18n, phase.issued),
        Phase::Denied => t_string!(i18n, phase.denied),
        Phase::Failed => t_string!(i18n, phase.failed),
        Phase::Gone => t_string!(i18n, phase.gone),
        Phase::Withdrawn => t_string!(i18n, phase.withdrawn),
    }
}

/// The phase's name in the URL, `data-phase` and the API (English, stable).
pub fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Pending => "Pending",
        Phase::Approved => "Approved",
        Phase::Issued => "Issued",
        Phase::Denied => "Denied",
        Phase::Failed => "Failed",
        Phase::Gone => "Gone",
        Phase::Withdrawn => "Withdrawn",
    }
}

/// What the phase means for the approver.
pub fn phase_meaning(i18n: I18n, phase: Phase) -> &'static str {
    match phase {
        Phase::Pending => t_string!(i18n, meaning.pending),
        Phase::Approved => t_string!(i18n, meaning.approved),
        Phase::Issued => t_string!(i18n, meaning.issued),
        Phase::Denied => t_string!(i18n, meaning.denied),
        Phase::Failed => t_string!(i18n, meaning.failed),
        Phase::Gone => t_string!(i18n, meaning.gone),
        Phase::Withdrawn => t_string!(i18n, meaning.withdrawn),
    }
}

/// The link to a request's detail page.
pub fn detail_href(name: &str) -> String {
    format!(
        "/admin/requests/{}",
        String::from(js_sys::encode_uri_component(name))
    )
}

/// The subject (CN) to show, or a note when the CSR could not be decoded.
pub fn subject_text(i18n: I18n, view: &RequestView) -> String {
    view.username
        .clone()
        .unwrap_or_else(|| t_string!(i18n, row.undecoded).to_owned())
}

/// The groups to show, or "none".
pub fn groups_text(i18n: I18n, groups: &[String]) -> String {
    if groups.is_empty() {
        t_string!(i18n, row.none).to_owned()
    } else {
        groups.join(", ")
    }
}

/// A flag's few words, for the list's chips (the detail page says it in full).
pub fn risk_label(i18n: I18n, code: shared::risk::RiskCode) -> &'static str {
    use shared::risk::RiskCode as C;
    match code {
        C::SystemGroup => t_string!(i18n, risk.system_group),
        C::AdminGroup => t_string!(i18n, risk.admin_group),
        C::GroupLooksLikeAdmin => t_string!(i18n, risk.group_looks_like_admin),
        C::UnreadableName => t_string!(i18n, risk.unreadable_name),
        C::SystemUser => t_string!(i18n, risk.system_user),
        C::ReservedUsername => t_string!(i18n, risk.reserved_username),
        C::UsernameLooksLike => t_string!(i18n, risk.username_looks_like),
        C::ExistingSubject => t_string!(i18n, risk.existing_subject),
        C::CaRequested => t_string!(i18n, risk.ca_requested),
        C::SignatureInvalid => t_string!(i18n, risk.signature_invalid),
        C::RsaBelow3072 => t_string!(i18n, risk.rsa_below_3072),
        C::LongDuration => t_string!(i18n, risk.long_duration),
        C::Renewal => t_string!(i18n, risk.renewal),
        C::Invite => t_string!(i18n, risk.invite),
        C::DuplicateRequest => t_string!(i18n, risk.duplicate_request),
        C::SharedKey => t_string!(i18n, risk.shared_key),
        C::MadeOutsideCertDesk => t_string!(i18n, risk.made_outside_certdesk),
        _ => t_string!(i18n, risk.other),
    }
}

/// The column headings of the list's table, in order (the phone's cards show each as
/// its cell's label).
pub fn columns(i18n: I18n) -> [&'static str; 8] {
    [
        t_string!(i18n, row.col_user),
        t_string!(i18n, row.col_groups),
        t_string!(i18n, row.col_key),
        t_string!(i18n, row.col_lifetime),
        t_string!(i18n, row.col_asked),
        t_string!(i18n, row.col_status),
        t_string!(i18n, row.col_flags),
        t_string!(i18n, row.col_note),
    ]
}

/// One request as a table row (a card on a phone): subject, groups, key, lifetime,
/// age, phase, its flags as chips (each flag's words in its title; in full on the
/// detail page) and the note. Every string from the CSR or the requester is text.
#[component]
pub fn RequestRow(
    view: RequestView,
    /// The names ticked for a bulk action; pending rows get a box to tick.
    #[prop(optional)]
    selection: Option<RwSignal<std::collections::BTreeSet<String>>>,
) -> impl IntoView {
    let i18n = crate::i18n::use_i18n();
    let phase = view.phase;
    let tick_box = selection
        .filter(|_| phase == Phase::Pending)
        .map(|selected| {
            let name = view.name.clone();
            let subject = subject_text(i18n, &view);
            let label = move || fill(t_string!(i18n, row.select), &[("user", &subject)]);
            let checked = {
                let name = name.clone();
                move || selected.with(|s| s.contains(&name))
            };
            view! {
                <input type="checkbox" class="select-row" data-testid="select-row" aria-label=label
                    prop:checked=checked
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        selected.update(|s| {
                            if on { s.insert(name.clone()); } else { s.remove(&name); }
                        });
                    } />
            }
        });
    let href = detail_href(&view.name);
    let severity = |s: shared::admin::Severity| view.risks.iter().any(|r| r.severity == s);
    let class = if severity(shared::admin::Severity::Red) || view.decode_error.is_some() {
        "request-row has-red"
    } else if severity(shared::admin::Severity::Amber) {
        "request-row has-amber"
    } else {
        "request-row"
    };
    let label = move |i: usize| move || columns(i18n)[i];
    let object = view.name.clone();
    view! {
        <tr class=class data-testid="request-row" data-name=view.name.clone() data-phase=phase_name(phase)>
            <td class="tick">{tick_box}</td>
            <th scope="row" data-label=label(0)>
                <a href=href class="subject" data-testid="request-link" title=move || fill(t_string!(i18n, row.csr_object), &[("name", &object)])>
                    {subject_text(i18n, &view)}
                </a>
            </th>
            <td data-label=label(1) data-testid="groups">{groups_text(i18n, &view.groups)}</td>
            <td data-label=label(2)>{view.key.clone().unwrap_or_else(|| t_string!(i18n, row.unknown).to_owned())}</td>
            <td data-label=label(3) data-testid="lifetime">{move || lifetime_words(i18n, view.expiration_seconds)}</td>
            <td data-label=label(4)>{move || age_words(i18n, view.age_seconds)}</td>
            <td data-label=label(5)>
                <span class=format!("phase phase-{}", phase_name(phase).to_lowercase())>{move || phase_words(i18n, phase)}</span>
            </td>
            <td data-label=label(6) class="flags">
                {view.decode_error.clone().map(|e| view! {
                    <span class="chip risk-red" data-testid="risk-chip" data-code="undecodable" title=e>{t!(i18n, row.undecodable)}</span>
                })}
                {view.risks.iter().map(|r| { let code = r.code; view! {
                    <span class=format!("chip {}", super::risk_flags::severity_class(r.severity).trim_start_matches("risk "))
                        data-testid="risk-chip" data-code=r.code.as_str() title=r.message.clone()>
                        {move || risk_label(i18n, code)}
                    </span>
                }}).collect_view()}
            </td>
            <td data-label=label(7) class="note-cell">
                {view.note.clone().filter(|n| !n.trim().is_empty()).map(|note| {
                    let title = note.clone();
                    view! { <span class="note" data-testid="note" title=title>{note}</span> }
                })}
            </td>
        </tr>
    }
}
