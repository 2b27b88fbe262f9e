//! The question asked when an approver presses Approve with a role picked in the grant
//! picker but not added: add it and approve, approve without it, or go back. An
//! approval never drops a picked grant silently.

use leptos::prelude::*;
use shared::admin_preview::GrantRules;

use super::grant_picker::grant_words;

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
    let words = grant_words(&picked.grant);
    let dangers = shared::grant_risk::dangers(&picked.grant, &picked.rules);
    let far = !dangers.is_empty();
    view! {
        <div class="card warning" role="alertdialog" aria-labelledby="picked-title" data-testid="picked-prompt">
            <p id="picked-title"><strong>{format!("Add {words} before approving?")}</strong></p>
            <p>"You picked it in the form above but did not press \"Add this grant\"."</p>
            {far.then(|| view! {
                <p class="hint" data-testid="picked-far">
                    "It reaches far: add it above, where its risks are shown and confirmed."
                </p>
            })}
            <div class="actions">
                {(!far).then(|| view! {
                    <button type="button" class="primary" data-testid="picked-add"
                        on:click=move |_| answer.run(Answer::AddAndApprove)>
                        {format!("Add {words} and approve")}
                    </button>
                })}
                <button type="button" class="secondary" data-testid="picked-skip"
                    on:click=move |_| answer.run(Answer::ApproveWithout)>
                    "Approve without it"
                </button>
                <button type="button" data-testid="picked-back" on:click=move |_| answer.run(Answer::Back)>
                    "Back"
                </button>
            </div>
        </div>
    }
}
