//! Denying several pending requests with one reason (the approvers' list): the ticked
//! ones, or every pending request the list's query matches on every page. Each is
//! denied through the same endpoint as one at a time, so each is checked by the
//! cluster with the approver's own rights, and each result is reported. The bar stays
//! in view (sticky) while the approver ticks rows further down.

use std::collections::BTreeSet;

use leptos::prelude::*;
use shared::admin::DenyBody;
use shared::admin_list::{ListQuery, MAX_PER_PAGE};
use shared::{ApiError, Phase};

use crate::api;
use crate::components::error_panel::ErrorWords;
use crate::i18n::{t, use_i18n};

/// The most requests one "all that match" denial takes (the list's own ceiling).
const MAX_MATCHING: usize = 10_000;

/// What a bulk denial did.
#[derive(Clone, Default)]
struct Report {
    denied: usize,
    /// Each request that was not denied (none: the list itself could not be read).
    failed: Vec<(Option<String>, ApiError)>,
}

/// Every pending request `query` matches, page by page.
async fn matching_names(token: &str, query: &ListQuery) -> Result<Vec<String>, ApiError> {
    let mut names = Vec::new();
    let mut page = 1;
    loop {
        let wanted = ListQuery {
            phase: Some(Phase::Pending),
            page: Some(page),
            per_page: Some(MAX_PER_PAGE),
            ..query.clone()
        };
        let answer = api::admin::requests(token, &wanted).await?;
        let got = answer.items.len();
        names.extend(answer.items.into_iter().map(|v| v.name));
        if got == 0 || names.len() >= answer.total || names.len() >= MAX_MATCHING {
            return Ok(names);
        }
        page += 1;
    }
}

/// The bar shown while requests are ticked; `done` is bumped after a run so the list
/// fetches again.
#[component]
pub fn BulkDeny(
    selected: RwSignal<BTreeSet<String>>,
    /// Every pending request the query matches, not only the ticked ones.
    all_matching: RwSignal<bool>,
    query: Memo<ListQuery>,
    /// How many pending requests the query matches.
    pending: Signal<usize>,
    done: RwSignal<u32>,
) -> impl IntoView {
    let i18n = use_i18n();
    let reason = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let progress = RwSignal::new(None::<(usize, usize)>);
    let report = RwSignal::new(None::<Report>);
    let approver = crate::approver::use_approver();
    let how_many = move || {
        if all_matching.get() {
            pending.get()
        } else {
            selected.with(BTreeSet::len)
        }
    };
    let deny = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let why = reason.get_untracked().trim().to_owned();
        if why.is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        report.set(None);
        let everything = all_matching.get_untracked();
        let ticked: Vec<String> = selected.get_untracked().into_iter().collect();
        let query = query.get_untracked();
        let token = approver.token();
        leptos::task::spawn_local(async move {
            let mut outcome = Report::default();
            let names = if everything {
                match matching_names(&token, &query).await {
                    Ok(names) => names,
                    Err(e) => {
                        outcome.failed.push((None, e));
                        Vec::new()
                    }
                }
            } else {
                ticked
            };
            let total = names.len();
            for (done_so_far, name) in names.into_iter().enumerate() {
                progress.try_set(Some((done_so_far, total)));
                let body = DenyBody {
                    reason: why.clone(),
                };
                match api::admin::deny(&token, &name, &body).await {
                    Ok(()) => outcome.denied += 1,
                    Err(e) => outcome.failed.push((Some(name), e)),
                }
            }
            progress.try_set(None);
            selected.try_set(BTreeSet::new());
            all_matching.try_set(false);
            reason.try_set(String::new());
            report.try_set(Some(outcome));
            busy.try_set(false);
            done.try_update(|t| *t = t.wrapping_add(1));
        });
    };
    view! {
        {move || (how_many() > 0 || busy.get()).then(|| view! {
            <form class="card bulk" data-testid="bulk-deny" on:submit=deny>
                <label for="bulk-reason">
                    {t!(i18n, bulk.label, count = how_many)}
                </label>
                <textarea id="bulk-reason" data-testid="bulk-reason" rows="2" maxlength="500" required
                    prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                <div class="actions">
                    <button type="submit" class="danger" data-testid="bulk-deny-button"
                        prop:disabled=move || busy.get() || reason.with(|r| r.trim().is_empty())>
                        {t!(i18n, bulk.deny, count = how_many)}
                    </button>
                    <button type="button" class="secondary" data-testid="bulk-clear"
                        prop:disabled=move || busy.get()
                        on:click=move |_| { selected.set(BTreeSet::new()); all_matching.set(false); }>
                        {t!(i18n, list.clear_selection)}
                    </button>
                    {move || progress.get().map(|(done, total)| view! {
                        <span class="muted" role="status" data-testid="bulk-progress">
                            {t!(i18n, bulk.progress, done = move || done, total = move || total)}
                        </span>
                    })}
                </div>
            </form>
        })}
        {move || report.get().map(|r| view! {
            <div class="card" role="status" data-testid="bulk-report">
                <p>{t!(i18n, bulk.denied, count = move || r.denied)}</p>
                {(!r.failed.is_empty()).then(|| {
                    let count = r.failed.len();
                    view! {
                        <p class="field-error">{t!(i18n, bulk.failed, count = move || count)}</p>
                        <ul>{r.failed.into_iter().map(|(name, error)| view! {
                            <li>
                                {match name {
                                    Some(name) => view! { <code>{name}</code> }.into_any(),
                                    None => t!(i18n, bulk.unlisted).into_any(),
                                }}
                                ": " <ErrorWords error />
                            </li>
                        }).collect_view()}</ul>
                    }
                })}
            </div>
        })}
    }
}
