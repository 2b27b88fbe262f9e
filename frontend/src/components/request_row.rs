//! One request in the approvers' list, and the words it is described with.

use leptos::prelude::*;
use shared::Phase;
use shared::admin::RequestView;

use super::risk_flags::RiskFlags;

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

/// One request as a card: subject, groups, key, lifetime, age, note and risk flags.
/// Every string from the CSR or the requester is rendered as text.
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
    let worst = if view
        .risks
        .iter()
        .any(|r| r.severity == shared::admin::Severity::Red)
    {
        "request-row has-red"
    } else {
        "request-row"
    };
    view! {
        <li class=worst data-testid="request-row" data-name=view.name.clone() data-phase=phase_name(phase)>
            <div class="request-head">
                {tick_box}
                <a href=href class="subject" data-testid="request-link">
                    {subject_text(&view)}
                </a>
                <span class=format!("phase phase-{}", phase_name(phase).to_lowercase())>
                    {phase_name(phase)}
                </span>
            </div>
            <dl class="facts">
                <div><dt>"Groups"</dt><dd data-testid="groups">{groups_text(&view.groups)}</dd></div>
                <div><dt>"Key"</dt><dd>{view.key.clone().unwrap_or_else(|| "unknown".to_owned())}</dd></div>
                <div><dt>"Lifetime"</dt><dd data-testid="lifetime">{lifetime_words(view.expiration_seconds)}</dd></div>
                <div><dt>"Asked"</dt><dd>{age_words(view.age_seconds)}</dd></div>
            </dl>
            {view.note.clone().filter(|n| !n.trim().is_empty()).map(|note| view! {
                <p class="note" data-testid="note">"Note: " <q>{note}</q></p>
            })}
            {view.decode_error.clone().map(|e| view! {
                <p class="risk risk-red">"The CSR could not be decoded: " {e}</p>
            })}
            <RiskFlags risks=view.risks.clone() />
            <p class="muted small">"CSR object " <code data-testid="csr-name">{view.name.clone()}</code></p>
        </li>
    }
}
