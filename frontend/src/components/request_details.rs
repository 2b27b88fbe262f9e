//! Everything the server decoded from a request's CSR and its object, for the detail
//! page. All of it is rendered as text.

use leptos::prelude::*;
use shared::admin::RequestView;

use super::request_row::{
    age_words, groups_text, lifetime_words, phase_meaning, phase_name, subject_text,
};
use super::risk_flags::RiskFlags;

fn or_unknown(value: Option<String>) -> String {
    value
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// How it was decided, in words: who (when CertDesk knows), when and why.
pub fn decision_words(decision: &shared::admin::Decision) -> String {
    let when = decision
        .at
        .map(|at| {
            format!(
                " on {}",
                super::time::format_utc(at.unix_timestamp() as f64 * 1000.0)
            )
        })
        .unwrap_or_default();
    let message = decision.message.as_deref().filter(|m| !m.trim().is_empty());
    match decision.kind.as_str() {
        "Approved" => format!(
            "Approved by {}{when}{}",
            decision
                .approved_by
                .as_deref()
                .unwrap_or("someone outside CertDesk (kubectl)"),
            message
                .map(|m| format!(": {m}"))
                .unwrap_or_else(|| ".".to_owned())
        ),
        kind => format!("{kind}{when}: {}", message.unwrap_or("no reason was given")),
    }
}

/// The request's facts as a description list, then its risk flags.
#[component]
pub fn RequestDetails(view: RequestView) -> impl IntoView {
    // The browser formats the date: no date-formatting code in the bundle.
    let created = view.created.map(|c| {
        String::from(
            js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
                c.unix_timestamp() as f64 * 1000.0,
            ))
            .to_iso_string(),
        )
    });
    view! {
        <section class="card" data-testid="request-details" aria-labelledby="details-title">
            <h2 id="details-title">
                "Request from " <span data-testid="detail-subject">{subject_text(&view)}</span>
            </h2>
            <p>
                <span class=format!("phase phase-{}", phase_name(view.phase).to_lowercase()) data-testid="detail-phase">
                    {phase_name(view.phase)}
                </span>
                " " {phase_meaning(view.phase)}
            </p>
            {view.decision.as_ref().map(|d| view! {
                <p class="card" data-testid="decision">{decision_words(d)}</p>
            })}
            {view.invite.clone().map(|invite| view! {
                <p class="card" data-testid="invite-match">
                    "Matches invite " <code>{invite.name.clone()}</code> " from "
                    <strong data-testid="invite-from">{invite.created_by.clone()}</strong>
                    {(!invite.grants.is_empty()).then_some(" — its roles are chosen below.")}
                </p>
            })}
            {view.renewal_of.clone().map(|serial| view! {
                <p class="card" data-testid="renewal-of">
                    "Renewal, same identity: renews certificate " <code>{serial}</code> "."
                </p>
            })}
            <h3>"Risk flags"</h3>
            <RiskFlags risks=view.risks.clone() />
            <h3>"From the CSR"</h3>
            <dl class="facts wide">
                <div><dt>"Username (CN)"</dt><dd data-testid="detail-username">{or_unknown(view.username.clone())}</dd></div>
                <div><dt>"Groups (O)"</dt><dd data-testid="detail-groups">{groups_text(&view.groups)}</dd></div>
                <div><dt>"Key"</dt><dd>{or_unknown(view.key.clone())}</dd></div>
                <div><dt>"Requested lifetime"</dt><dd>{lifetime_words(view.expiration_seconds)}</dd></div>
            </dl>
            {view.decode_error.clone().map(|e| view! {
                <p class="risk risk-red">"The CSR could not be decoded: " {e}</p>
            })}
            <h3>"About the request"</h3>
            <dl class="facts wide">
                <div><dt>"Note from the requester"</dt><dd data-testid="detail-note">{view.note.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "none".to_owned())}</dd></div>
                <div><dt>"Asked"</dt><dd>{age_words(view.age_seconds)} {created.map(|c| format!(" ({c})"))}</dd></div>
                <div><dt>"CSR object"</dt><dd><code data-testid="detail-name">{view.name.clone()}</code></dd></div>
                <div><dt>"Made through CertDesk"</dt><dd>{if view.managed { "yes" } else { "no (created directly in the cluster)" }}</dd></div>
                <div><dt>"Created by"</dt><dd>{or_unknown(view.created_by.clone())}</dd></div>
                <div><dt>"Sent from"</dt><dd>{or_unknown(view.client_address.clone())}</dd></div>
                <div><dt>"Browser"</dt><dd>{or_unknown(view.user_agent.clone())}</dd></div>
            </dl>
        </section>
    }
}
