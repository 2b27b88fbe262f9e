//! What an approval did: who approved, each binding's result, and whether a retry is
//! needed to create bindings that failed.

use leptos::prelude::*;
use shared::admin::{ApproveOutcome, BindingResult};

use crate::i18n::{t, t_string, use_i18n};

/// The result as `data-result` holds it (English, stable).
fn result_words(result: BindingResult) -> &'static str {
    match result {
        BindingResult::Created => "created",
        BindingResult::AlreadyExists => "already existed",
        BindingResult::Failed => "failed",
    }
}

/// The result as a person reads it.
fn result_said(i18n: super::request_row::I18n, result: BindingResult) -> &'static str {
    match result {
        BindingResult::Created => t_string!(i18n, outcome.created),
        BindingResult::AlreadyExists => t_string!(i18n, outcome.already),
        BindingResult::Failed => t_string!(i18n, outcome.failed),
    }
}

/// The outcome panel.
#[component]
pub fn ApproveOutcomeView(outcome: ApproveOutcome) -> impl IntoView {
    let i18n = use_i18n();
    let who = outcome.approved_by.clone();
    let complete = outcome.complete;
    view! {
        <section
            class=if complete { "card outcome ok" } else { "card outcome warn" }
            data-testid="outcome"
            data-complete=complete.to_string()
            role="status"
        >
            <h3>{t!(i18n, outcome.approved_by, <who> = move || view! { {who.clone()} })}</h3>
            {if outcome.bindings.is_empty() {
                view! { <p>{t!(i18n, outcome.no_bindings)}</p> }.into_any()
            } else {
                view! {
                    <ul class="bindings">
                        {outcome.bindings.into_iter().map(|b| {
                            let class = if b.result == BindingResult::Failed { "risk risk-red" } else { "" };
                            let result = b.result;
                            let (kind, name) = (b.kind.clone(), b.name.clone());
                            let kind = move || view! { {kind.clone()} };
                            let name = move || view! { <code>{name.clone()}</code> };
                            let said = move || view! { <strong>{result_said(i18n, result)}</strong> };
                            let line = match b.namespace.clone() {
                                Some(ns) => t!(i18n, outcome.binding_in, <kind> = kind, <name> = name,
                                    <namespace> = move || view! { <code>{ns.clone()}</code> }, <result> = said).into_any(),
                                None => t!(i18n, outcome.binding, <kind> = kind, <name> = name, <result> = said).into_any(),
                            };
                            view! {
                                <li class=class data-testid="binding-outcome" data-result=result_words(b.result)>
                                    {line}
                                    {b.error.map(|e| view! { <br /> <super::error_panel::ErrorWords error=e /> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {(!complete).then(|| view! {
                <p data-testid="outcome-retry">
                    <strong>{t!(i18n, outcome.incomplete)}</strong>
                    " " {t!(i18n, outcome.retry)}
                </p>
            })}
        </section>
    }
}
