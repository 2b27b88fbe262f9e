//! What an approval did: who approved, each binding's result, and whether a retry is
//! needed to create bindings that failed.

use leptos::prelude::*;
use shared::admin::{ApproveOutcome, BindingResult};

fn result_words(result: BindingResult) -> &'static str {
    match result {
        BindingResult::Created => "created",
        BindingResult::AlreadyExists => "already existed",
        BindingResult::Failed => "failed",
    }
}

/// The outcome panel.
#[component]
pub fn ApproveOutcomeView(outcome: ApproveOutcome) -> impl IntoView {
    let complete = outcome.complete;
    view! {
        <section
            class=if complete { "card outcome ok" } else { "card outcome warn" }
            data-testid="outcome"
            data-complete=complete.to_string()
            role="status"
        >
            <h3>"Approved by " {outcome.approved_by.clone()}</h3>
            {if outcome.bindings.is_empty() {
                view! { <p>"No role bindings were asked for."</p> }.into_any()
            } else {
                view! {
                    <ul class="bindings">
                        {outcome.bindings.into_iter().map(|b| {
                            let class = if b.result == BindingResult::Failed { "risk risk-red" } else { "" };
                            view! {
                                <li class=class data-testid="binding-outcome" data-result=result_words(b.result)>
                                    {b.kind} " " <code>{b.name}</code>
                                    {b.namespace.map(|ns| view! { " in namespace " <code>{ns}</code> })}
                                    ": " <strong>{result_words(b.result)}</strong>
                                    {b.error.map(|e| view! { <br /> <span>{e.message} " (" {e.code.as_str()} ")"</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {(!complete).then(|| view! {
                <p data-testid="outcome-retry">
                    <strong>"Not every binding was made."</strong>
                    " The request is approved; approving again with the same roles creates only the missing bindings."
                </p>
            })}
        </section>
    }
}
