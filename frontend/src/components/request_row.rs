//! One request in the approvers' list, and the words it is described with.

use leptos::prelude::*;
use shared::Phase;
use shared::admin::RequestView;

pub use shared::duration::duration_words;

/// The requested lifetime in words; none means the signer's maximum.
pub fn lifetime_words(expiration_seconds: Option<i32>) -> String {
    match expiration_seconds {
        Some(seconds) => duration_words(i64::from(seconds)),
        None => "not set (the signer's maximum)".to_owned(),
    }
}

/// How long ago the request was made: "just now", "5 minutes ago".
pub fn age_words(age_seconds: Option<i64>) -> String {
    match age_seconds {
        None => "unknown".to_owned(),
        Some(s) if s < 60 => "just now".to_owned(),
        Some(s) => {
            let rounded = if s >= 86_400 {
                s / 86_400 * 86_400
            } else if s >= 3_600 {
                s / 3_600 * 3_600
            } else {
                s / 60 * 60
            };
            format!("{} ago", duration_words(rounded))
        }
    }
}

/// The phase's name as the page shows it.
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
pub fn phase_meaning(phase: Phase) -> &'static str {
    match phase {
        Phase::Pending => "Waiting for an approver to approve or deny it.",
        Phase::Approved => "Approved; the cluster's signer has not issued the certificate yet.",
        Phase::Issued => "Approved and signed: the requester can download their kubeconfig.",
        Phase::Denied => "Denied by an approver.",
        Phase::Failed => "The cluster's signer failed to issue a certificate.",
        Phase::Gone => "The cluster no longer has this request.",
        Phase::Withdrawn => {
            "The requester withdrew it (proved with its key); CertDesk will not approve it."
        }
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
pub fn subject_text(view: &RequestView) -> String {
    view.username
        .clone()
        .unwrap_or_else(|| "(could not be decoded)".to_owned())
}

/// The groups to show, or "none".
pub fn groups_text(groups: &[String]) -> String {
    if groups.is_empty() {
        "none".to_owned()
    } else {
        groups.join(", ")
    }
}

/// A flag's few words, for the list's chips (the detail page says it in full).
pub fn risk_label(code: shared::risk::RiskCode) -> &'static str {
    use shared::risk::RiskCode as C;
    match code {
        C::SystemGroup => "system group",
        C::AdminGroup => "admin group",
        C::GroupLooksLikeAdmin => "looks like an admin group",
        C::UnreadableName => "hidden characters",
        C::SystemUser => "system user",
        C::ReservedUsername => "reserved name",
        C::UsernameLooksLike => "look-alike name",
        C::ExistingSubject => "existing user",
        C::CaRequested => "asks for a CA",
        C::SignatureInvalid => "bad signature",
        C::RsaBelow3072 => "short RSA key",
        C::LongDuration => "long lifetime",
        C::Renewal => "renewal",
        C::Invite => "invite",
        C::DuplicateRequest => "duplicate",
        C::SharedKey => "shared key",
        C::MadeOutsideCertDesk => "made outside CertDesk",
        _ => "flag",
    }
}

/// The column headings of the list's table, in order (the phone's cards show each as
/// its cell's label).
pub const COLUMNS: [&str; 8] = [
    "Requested user",
    "Groups",
    "Key",
    "Lifetime",
    "Asked",
    "Status",
    "Flags",
    "Note",
];

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
    let phase = view.phase;
    let tick_box = selection
        .filter(|_| phase == Phase::Pending)
        .map(|selected| {
            let name = view.name.clone();
            let label = format!("Select the request of {}", subject_text(&view));
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
    let label = |i: usize| COLUMNS[i];
    view! {
        <tr class=class data-testid="request-row" data-name=view.name.clone() data-phase=phase_name(phase)>
            <td class="tick">{tick_box}</td>
            <th scope="row" data-label=label(0)>
                <a href=href class="subject" data-testid="request-link" title=format!("CSR object {}", view.name)>
                    {subject_text(&view)}
                </a>
            </th>
            <td data-label=label(1) data-testid="groups">{groups_text(&view.groups)}</td>
            <td data-label=label(2)>{view.key.clone().unwrap_or_else(|| "unknown".to_owned())}</td>
            <td data-label=label(3) data-testid="lifetime">{lifetime_words(view.expiration_seconds)}</td>
            <td data-label=label(4)>{age_words(view.age_seconds)}</td>
            <td data-label=label(5)>
                <span class=format!("phase phase-{}", phase_name(phase).to_lowercase())>{phase_name(phase)}</span>
            </td>
            <td data-label=label(6) class="flags">
                {view.decode_error.clone().map(|e| view! {
                    <span class="chip risk-red" data-testid="risk-chip" data-code="undecodable" title=e>"undecodable"</span>
                })}
                {view.risks.iter().map(|r| view! {
                    <span class=format!("chip {}", super::risk_flags::severity_class(r.severity).trim_start_matches("risk "))
                        data-testid="risk-chip" data-code=r.code.as_str() title=r.message.clone()>
                        {risk_label(r.code)}
                    </span>
                }).collect_view()}
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
