//! The question asked when an approver presses Approve with a role picked in the grant
//! picker but not added: add it and approve, approve without it, or go back. An
//! approval never drops a picked grant silently.

use leptos::prelude::*;
use shared::admin_preview::GrantRules;

use super::grant_picker::grant_words;
use crate::i18n::{t, t_string, use_i18n};
use crate::language::fill;

/// What the approver answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Add the picked grant, then approve.
    AddAndApprove,
    /// Approve with the grants already added only.
    ApproveWithout,
    /// Neither: back to the form.
    Back,
}

/// The question about `picked`; `answer` runs with the choice.
#[component]
pub fn PickedGrantPrompt(picked: GrantRules, answer: Callback<Answer>) -> impl IntoView {
    let i18n = use_i18n();
    let grant = picked.grant.clone();
    let words = move || grant_words(i18n, &grant);
    let add_words = words.clone();
    let dangers = shared::grant_risk::dangers(&picked.grant, &picked.rules);
    let far = !dangers.is_empty();
    view! {
        <div class="card warning" role="alertdialog" aria-labelledby="picked-title" data-testid="picked-prompt">
            <p id="picked-title"><strong>{move || fill(t_string!(i18n, grant.picked_question), &[("grant", &words())])}</strong></p>
            <p>{t!(i18n, grant.picked_why)}</p>
            {far.then(|| view! {
                <p class="hint" data-testid="picked-far">
                    {t!(i18n, grant.picked_far)}
                </p>
            })}
            <div class="actions">
                {(!far).then(|| view! {
                    <button type="button" class="primary" data-testid="picked-add"
                        on:click=move |_| answer.run(Answer::AddAndApprove)>
                        {move || fill(t_string!(i18n, grant.picked_add), &[("grant", &add_words())])}
                    </button>
                })}
                <button type="button" class="secondary" data-testid="picked-skip"
                    on:click=move |_| answer.run(Answer::ApproveWithout)>
                    {t!(i18n, grant.picked_skip)}
                </button>
                <button type="button" data-testid="picked-back" on:click=move |_| answer.run(Answer::Back)>
                    {t!(i18n, grant.picked_back)}
                </button>
            </div>
        </div>
    }
}
