//! A request's risk flags in plain words, red for what is very likely a mistake to
//! approve, amber for what deserves a second look, and a note for what lowers the risk
//! (a renewal of the same identity, a request matching an invite).

use leptos::prelude::*;
use shared::admin::{Risk, Severity};

/// The CSS class of a severity (`risk-red`, `risk-amber` or `risk-info`).
pub fn severity_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Red => "risk risk-red",
        Severity::Amber => "risk risk-amber",
        Severity::Info => "risk risk-info",
    }
}

/// The word a person reads before the flag (colour is not the only signal).
pub fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Red => "Danger",
        Severity::Amber => "Check",
        Severity::Info => "Note",
    }
}

/// The list of risk flags, or a short note when there are none.
#[component]
pub fn RiskFlags(risks: Vec<Risk>) -> impl IntoView {
    if risks.is_empty() {
        return view! { <p class="muted risks-none" data-testid="no-risks">"No risk flags."</p> }
            .into_any();
    }
    view! {
        <ul class="risks" aria-label="Risk flags">
            {risks
                .into_iter()
                .map(|risk| {
                    view! {
                        <li
                            class=severity_class(risk.severity)
                            data-testid="risk"
                            data-code=risk.code.as_str()
                        >
                            <strong>{severity_word(risk.severity)} ": "</strong>
                            {risk.message}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
