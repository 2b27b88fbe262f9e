//! Denying several pending requests with one reason (the approvers' list): each is
//! denied through the same endpoint as one at a time, so each is checked by the
//! cluster with the approver's own rights, and each result is reported.

use std::collections::BTreeSet;

use leptos::prelude::*;
use shared::admin::DenyBody;

use crate::api;

/// What a bulk denial did.
#[derive(Clone, Default)]
struct Report {
    denied: usize,
    failed: Vec<String>,
}

/// The bar shown while requests are ticked; `done` is bumped after a run so the list
/// fetches again.
#[component]
pub fn BulkDeny(
    token: String,
    selected: RwSignal<BTreeSet<String>>,
    done: RwSignal<u32>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let report = RwSignal::new(None::<Report>);
    let token = StoredValue::new(token);
    let deny = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let why = reason.get_untracked().trim().to_owned();
        if why.is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        let names: Vec<String> = selected.get_untracked().into_iter().collect();
        let token = token.get_value();
        leptos::task::spawn_local(async move {
            let mut outcome = Report::default();
            for name in names {
                let body = DenyBody {
                    reason: why.clone(),
                };
                match api::admin::deny(&token, &name, &body).await {
                    Ok(()) => outcome.denied += 1,
                    Err(e) => {
                        outcome
                            .failed
                            .push(format!("{name}: {} ({})", e.message, e.code.as_str()))
                    }
                }
            }
            selected.try_set(BTreeSet::new());
            reason.try_set(String::new());
            report.try_set(Some(outcome));
            busy.try_set(false);
            done.try_update(|t| *t = t.wrapping_add(1));
        });
    };
    view! {
        {move || (!selected.with(BTreeSet::is_empty)).then(|| view! {
            <form class="card bulk" data-testid="bulk-deny" on:submit=deny>
                <label for="bulk-reason">
                    {move || format!("Deny the {} selected with one reason (shown to each requester)", selected.with(BTreeSet::len))}
                </label>
                <textarea id="bulk-reason" data-testid="bulk-reason" rows="2" maxlength="500" required
                    prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                <div class="actions">
                    <button type="submit" class="danger" data-testid="bulk-deny-button"
                        prop:disabled=move || busy.get() || reason.with(|r| r.trim().is_empty())>
                        {move || format!("Deny {} selected", selected.with(BTreeSet::len))}
                    </button>
                    <button type="button" class="secondary" data-testid="bulk-clear"
                        on:click=move |_| selected.set(BTreeSet::new())>"Clear the selection"</button>
                </div>
            </form>
        })}
        {move || report.get().map(|r| view! {
            <div class="card" role="status" data-testid="bulk-report">
                <p>{format!("Denied {}.", r.denied)}</p>
                {(!r.failed.is_empty()).then(|| view! {
                    <p class="field-error">{format!("{} could not be denied:", r.failed.len())}</p>
                    <ul>{r.failed.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul>
                })}
            </div>
        })}
    }
}
