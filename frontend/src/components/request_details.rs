//! Everything the server decoded from a request's CSR and its object, for the detail
//! page. All of it is rendered as text.

use leptos::prelude::*;
use shared::admin::RequestView;

use super::request_row::{
    I18n, age_words, groups_text, lifetime_words, phase_meaning, phase_name, phase_words,
    subject_text,
};
use super::risk_flags::RiskFlags;
use crate::i18n::{t, t_string, use_i18n};

fn or_unknown(i18n: I18n, value: Option<String>) -> String {
    value
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| t_string!(i18n, row.unknown).to_owned())
}

/// How it was decided, in words: who (when CertDesk knows), why, and when.
pub fn decision_words(i18n: I18n, decision: &shared::admin::Decision) -> impl IntoView + use<> {
    let when = decision.at.map(|at| {
        format!(
            " ({})",
            super::time::format_utc(at.unix_timestamp() as f64 * 1000.0)
        )
    });
    let message = decision.message.clone().filter(|m| !m.trim().is_empty());
    let said = match decision.kind.as_str() {
        "Approved" => {
            let who = decision.approved_by.clone();
            let who = move || {
                who.clone()
                    .unwrap_or_else(|| t_string!(i18n, detail.outside).to_owned())
            };
            // CertDesk's own approval message ("Approved by <who>[: <words>]") is read
            // back: only the approver's words are shown beside the sentence.
            let message = match message.as_deref().map(shared::decision::read) {
                Some(Some(shared::decision::Said::Approved { words, .. })) => {
                    words.map(str::to_owned)
                }
                _ => message,
            };
            match message {
                Some(message) => t!(i18n, detail.approved_by_said,
                    <who> = move || view! { {who()} },
                    <message> = move || view! { {message.clone()} })
                .into_any(),
                None => t!(i18n, detail.approved_by, <who> = move || view! { {who()} }).into_any(),
            }
        }
        kind => {
            let phase = match kind {
                "Denied" => Some(shared::Phase::Denied),
                "Failed" => Some(shared::Phase::Failed),
                _ => None,
            };
            let named = decision.kind.clone();
            let kind =
                move || phase.map_or_else(|| named.clone(), |p| phase_words(i18n, p).to_owned());
            // CertDesk's own denial ("Denied by <approver>: <reason>") is read back and
            // said in the page's language; anything else as the cluster holds it.
            let denied = message
                .as_deref()
                .and_then(|m| match shared::decision::read(m) {
                    Some(shared::decision::Said::Denied { by, reason }) => {
                        Some((by.to_owned(), reason.to_owned()))
                    }
                    _ => None,
                });
            match denied {
                Some((by, reason)) => t!(i18n, detail.denied_by,
                    <who> = move || view! { {by.clone()} },
                    <reason> = move || view! { {reason.clone()} })
                .into_any(),
                None => {
                    let message = move || {
                        message
                            .clone()
                            .unwrap_or_else(|| t_string!(i18n, detail.no_reason).to_owned())
                    };
                    t!(i18n, detail.decided_said,
                        <kind> = move || view! { {kind()} },
                        <message> = move || view! { {message()} })
                    .into_any()
                }
            }
        }
    };
    view! { {said} {when} }
}

/// The request's facts as a description list, then its risk flags.
#[component]
pub fn RequestDetails(view: RequestView) -> impl IntoView {
    let i18n = use_i18n();
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
                {
                    let subject = subject_text(i18n, &view);
                    t!(i18n, detail.from, <subject> = move || view! {
                        <span data-testid="detail-subject">{subject.clone()}</span>
                    })
                }
            </h2>
            <p>
                <span class=format!("phase phase-{}", phase_name(view.phase).to_lowercase()) data-testid="detail-phase">
                    {move || phase_words(i18n, view.phase)}
                </span>
                " " {move || phase_meaning(i18n, view.phase)}
            </p>
            {view.decision.as_ref().map(|d| view! {
                <p class="card" data-testid="decision">{decision_words(i18n, d)}</p>
            })}
            {view.invite.clone().map(|invite| view! {
                <p class="card" data-testid="invite-match">
                    {
                        let (name, from) = (invite.name.clone(), invite.created_by.clone());
                        let name = move || view! { <code>{name.clone()}</code> };
                        let from = move || view! { <strong data-testid="invite-from">{from.clone()}</strong> };
                        if invite.grants.is_empty() {
                            t!(i18n, detail.invite_match, <name> = name, <from> = from).into_any()
                        } else {
                            t!(i18n, detail.invite_match_roles, <name> = name, <from> = from).into_any()
                        }
                    }
                </p>
            })}
            {view.renewal_of.clone().map(|serial| view! {
                <p class="card" data-testid="renewal-of">
                    {t!(i18n, detail.renewal_of, <serial> = move || view! { <code>{serial.clone()}</code> })}
                </p>
            })}
            <h3>{t!(i18n, risk.heading)}</h3>
            <RiskFlags risks=view.risks.clone() />
            <h3>{t!(i18n, detail.from_csr)}</h3>
            <dl class="facts wide">
                <div><dt>{t!(i18n, detail.username)}</dt><dd data-testid="detail-username">{or_unknown(i18n, view.username.clone())}</dd></div>
                <div><dt>{t!(i18n, detail.groups)}</dt><dd data-testid="detail-groups">{groups_text(i18n, &view.groups)}</dd></div>
                <div><dt>{t!(i18n, detail.key)}</dt><dd>{or_unknown(i18n, view.key.clone())}</dd></div>
                <div><dt>{t!(i18n, detail.lifetime)}</dt><dd>{move || lifetime_words(i18n, view.expiration_seconds)}</dd></div>
            </dl>
            {view.decode_error.clone().map(|e| view! {
                <p class="risk risk-red">{t!(i18n, detail.undecodable, <why> = move || view! { <code>{e.clone()}</code> })}</p>
            })}
            <h3>{t!(i18n, detail.about)}</h3>
            <dl class="facts wide">
                <div><dt>{t!(i18n, detail.note)}</dt><dd data-testid="detail-note">{view.note.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| t_string!(i18n, row.none).to_owned())}</dd></div>
                <div><dt>{t!(i18n, detail.asked)}</dt><dd>{move || age_words(i18n, view.age_seconds)} {created.map(|c| format!(" ({c})"))}</dd></div>
                <div><dt>{t!(i18n, detail.csr_object)}</dt><dd><code data-testid="detail-name">{view.name.clone()}</code></dd></div>
                <div><dt>{t!(i18n, detail.managed)}</dt><dd>{move || if view.managed { t_string!(i18n, detail.yes) } else { t_string!(i18n, detail.not_managed) }}</dd></div>
                <div><dt>{t!(i18n, detail.created_by)}</dt><dd>{or_unknown(i18n, view.created_by.clone())}</dd></div>
                <div><dt>{t!(i18n, detail.sent_from)}</dt><dd>{or_unknown(i18n, view.client_address.clone())}</dd></div>
                <div><dt>{t!(i18n, detail.browser)}</dt><dd>{or_unknown(i18n, view.user_agent.clone())}</dd></div>
            </dl>
        </section>
    }
}
