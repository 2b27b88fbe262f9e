//! `/admin/requests`: one page of the requests, filtered, searched and ordered on the
//! server (pending first, the longest-waiting on top). The phase, the search and the
//! page live in the URL, so Back and a shared link return to the same place.
//!
//! The page stays live through the server's stream of changes ([`crate::api::changes`]):
//! it fetches its page again only when told something changed, so an idle approver's
//! page transfers next to nothing. Every fetch carries the approver's token and is
//! authorised by the cluster; the stream ends every five minutes and is reopened, so it
//! never outlives a revoked right for long. When the stream cannot be held the page
//! fetches again every 30 seconds instead.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use send_wrapper::SendWrapper;
use shared::admin::RequestView;
use shared::admin_list::{ListQuery, PHASES, RequestPage, RiskFilter, SortKey};
use shared::{ApiError, Phase};

use crate::api;
use crate::approver::use_approver;
use crate::components::bulk_deny::BulkDeny;
use crate::components::error_panel::ErrorPanel;
use crate::components::request_row::{I18n, RequestRow, columns, phase_name, phase_words};
use crate::i18n::{t, t_string, use_i18n};

/// How often the page fetches again when the stream of changes cannot be held.
pub const FALLBACK_REFRESH: Duration = Duration::from_secs(30);

/// The list query the URL's query string says.
pub fn query_of(params: &ParamsMap) -> ListQuery {
    ListQuery {
        phase: params
            .get("phase")
            .and_then(|p| PHASES.into_iter().find(|phase| phase_name(*phase) == p)),
        q: params.get("q").filter(|q| !q.trim().is_empty()),
        page: params
            .get("page")
            .and_then(|p| p.parse().ok())
            .filter(|p| *p > 0),
        per_page: None,
        group: params.get("group").filter(|g| !g.is_empty()),
        risk: params
            .get("risk")
            .and_then(|r| RiskFilter::ALL.into_iter().find(|f| f.as_str() == r)),
        sort: params
            .get("sort")
            .and_then(|s| SortKey::ALL.into_iter().find(|k| k.as_str() == s)),
    }
}

/// The words of a sort key in the page's menu.
fn sort_words(i18n: I18n, key: SortKey) -> &'static str {
    match key {
        SortKey::Waiting => t_string!(i18n, list.sort_waiting),
        SortKey::Newest => t_string!(i18n, list.sort_newest),
        SortKey::Name => t_string!(i18n, list.sort_name),
        SortKey::Risk => t_string!(i18n, list.sort_risk),
    }
}

/// The words of a flag filter in the page's menu.
fn risk_words(i18n: I18n, filter: RiskFilter) -> &'static str {
    match filter {
        RiskFilter::Red => t_string!(i18n, list.risk_red),
        RiskFilter::Flagged => t_string!(i18n, list.risk_flagged),
        RiskFilter::Clear => t_string!(i18n, list.risk_clear),
    }
}

/// The page numbers the pager links to: the first, the last, and two either side of
/// `at`; `None` stands for a gap.
pub fn page_numbers(at: u32, pages: u32) -> Vec<Option<u32>> {
    let mut shown: Vec<u32> = [1, pages]
        .into_iter()
        .chain(at.saturating_sub(2).max(1)..=(at + 2).min(pages))
        .collect();
    shown.sort_unstable();
    shown.dedup();
    let mut out = Vec::new();
    for (i, n) in shown.iter().enumerate() {
        if i > 0 && *n > shown[i - 1] + 1 {
            out.push(None);
        }
        out.push(Some(*n));
    }
    out
}

/// The list page's address for `query`.
pub fn href_of(query: &ListQuery) -> String {
    let search = api::admin::query_string(query);
    if search.is_empty() {
        "/admin/requests".to_owned()
    } else {
        format!("/admin/requests?{search}")
    }
}

/// A row is rebuilt when anything it shows, but its age, changed.
fn row_key(view: &RequestView) -> (String, &'static str, usize, Option<String>) {
    (
        view.name.clone(),
        phase_name(view.phase),
        view.risks.len(),
        view.username.clone(),
    )
}

/// The time now, as the page's language writes it.
fn now_words(i18n: I18n) -> String {
    use leptos_i18n::Locale as _;
    let locale = i18n.get_locale_untracked();
    String::from(js_sys::Date::new_0().to_locale_time_string(locale.as_str()))
}

/// Keeps the stream of changes open while the page is shown, bumping `tick` on each
/// change; falls back to a timer while the stream cannot be held.
fn stay_live(tick: RwSignal<u32>, live: RwSignal<bool>) {
    let approver = use_approver();
    let stopped = Rc::new(Cell::new(false));
    let Ok(controller) = web_sys::AbortController::new() else {
        return;
    };
    let signal = controller.signal();
    let running = Rc::clone(&stopped);
    leptos::task::spawn_local(async move {
        let mut backoff = 1u32;
        while !running.get() {
            // The token now: it is renewed while the page stays open.
            let token = approver.token();
            let outcome = api::changes::follow(
                &token,
                &signal,
                || {
                    live.try_set(true);
                },
                || {
                    tick.try_update(|t| *t = t.wrapping_add(1));
                },
            )
            .await;
            live.try_set(false);
            if running.get() {
                break;
            }
            // Whatever happened meanwhile is fetched once the stream is back.
            tick.try_update(|t| *t = t.wrapping_add(1));
            let wait = match outcome {
                Ok(api::changes::Ended::Closed) => {
                    backoff = 1;
                    1
                }
                Ok(api::changes::Ended::Aborted) => break,
                Err(_) => {
                    backoff = (backoff * 2).min(30);
                    backoff
                }
            };
            api::status_stream::sleep(i32::try_from(wait * 1000).unwrap_or(30_000)).await;
        }
    });
    let stop = SendWrapper::new((stopped, controller));
    on_cleanup(move || {
        stop.0.set(true);
        stop.1.abort();
    });
}

/// The requests list page.
#[component]
pub fn AdminRequests() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| crate::components::title::set(t_string!(i18n, list.title)));
    let approver = use_approver();
    let params = use_query_map();
    let query = Memo::new(move |_| query_of(&params.get()));
    let page: RwSignal<Option<RequestPage>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let fetching = RwSignal::new(false);
    let updated = RwSignal::new(None::<String>);
    let tick = RwSignal::new(0u32);
    let live = RwSignal::new(false);
    // The answer to the latest fetch only: an older one arriving late is dropped.
    let generation = StoredValue::new(0u64);

    // The pending requests ticked for "Deny selected" (or every pending one the query
    // matches, on every page); a new query starts afresh.
    let selected = RwSignal::new(std::collections::BTreeSet::<String>::new());
    let all_matching = RwSignal::new(false);
    Effect::new(move |_| {
        query.track();
        selected.set(std::collections::BTreeSet::new());
        all_matching.set(false);
    });
    let page_pending = move || -> Vec<String> {
        page.with(|p| {
            p.as_ref()
                .map(|p| {
                    p.items
                        .iter()
                        .filter(|v| v.phase == Phase::Pending)
                        .map(|v| v.name.clone())
                        .collect()
                })
                .unwrap_or_default()
        })
    };
    Effect::new(move |_| {
        let wanted = query.get();
        super::place::remember(&wanted);
        tick.track();
        let mine = generation.get_value() + 1;
        generation.set_value(mine);
        fetching.set(true);
        let token = approver.token();
        leptos::task::spawn_local(async move {
            let answer = api::admin::requests(&token, &wanted).await;
            if generation.try_get_value() != Some(mine) {
                return;
            }
            match answer {
                Ok(answer) => {
                    page.try_set(Some(answer));
                    error.try_set(None);
                    updated.try_set(Some(now_words(i18n)));
                }
                // The last page stays on screen; the error says why it is not fresh.
                Err(e) => {
                    approver.refused(&e);
                    error.try_set(Some(e));
                }
            }
            fetching.try_set(false);
        });
    });
    stay_live(tick, live);
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if !live.get_untracked() {
                tick.update(|t| *t = t.wrapping_add(1));
            }
        },
        FALLBACK_REFRESH,
    ) {
        on_cleanup(move || handle.clear());
    }

    let navigate = use_navigate();
    let go = StoredValue::new(move |query: ListQuery, replace: bool| {
        navigate(
            &href_of(&query),
            NavigateOptions {
                replace,
                ..NavigateOptions::default()
            },
        );
    });
    let count = move |phase: Phase| {
        page.with(|p| {
            p.as_ref().map_or(0, |p| {
                p.counts
                    .iter()
                    .find(|c| c.phase == phase)
                    .map_or(0, |c| c.count)
            })
        })
    };
    let search_text = RwSignal::new(query.get_untracked().q.unwrap_or_default());
    let pages = move || {
        page.with(|p| {
            p.as_ref().map_or(1, |p| {
                p.total.div_ceil(p.per_page.max(1) as usize).max(1) as u32
            })
        })
    };
    let at = move || query.with(|q| q.page.unwrap_or(1));
    let to_page = move |n: u32| {
        let mut next = query.get_untracked();
        next.page = Some(n);
        href_of(&next)
    };

    // A filter, the order or the search changed: the list starts again at its first page.
    let refilter = move |change: fn(&mut ListQuery, String), value: String| {
        let mut next = query.get_untracked();
        change(&mut next, value);
        next.page = None;
        go.with_value(|go| go(next, false));
    };

    view! {
        <h1>{t!(i18n, list.title)}</h1>
        <div class="toolbar">
            <div class="field inline">
                <label for="phase-filter">{t!(i18n, list.show)}</label>
                <select
                    id="phase-filter"
                    data-testid="phase-filter"
                    on:change=move |ev| refilter(|q, v| q.phase = PHASES.into_iter().find(|p| phase_name(*p) == v), event_target_value(&ev))
                >
                    <option value="all" selected=move || query.with(|q| q.phase.is_none())>{t!(i18n, list.all_but_withdrawn)}</option>
                    {PHASES.into_iter().map(|p| view! {
                        <option value=phase_name(p) selected=move || query.with(|q| q.phase == Some(p))>
                            {move || format!("{} ({})", phase_words(i18n, p), count(p))}
                        </option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field inline">
                <label for="sort-select">{t!(i18n, list.order)}</label>
                <select id="sort-select" data-testid="sort-select"
                    on:change=move |ev| refilter(|q, v| q.sort = SortKey::ALL.into_iter().find(|k| k.as_str() == v), event_target_value(&ev))>
                    {SortKey::ALL.into_iter().map(|k| view! {
                        <option value=k.as_str() selected=move || query.with(|q| q.sort.unwrap_or_default() == k)>
                            {move || sort_words(i18n, k)}
                        </option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field inline">
                <label for="group-filter">{t!(i18n, list.group)}</label>
                <select id="group-filter" data-testid="group-filter"
                    on:change=move |ev| refilter(|q, v| q.group = Some(v).filter(|v| !v.is_empty()), event_target_value(&ev))>
                    <option value="" selected=move || query.with(|q| q.group.is_none())>{t!(i18n, list.any)}</option>
                    {move || {
                        let mut groups = page.with(|p| p.as_ref().map(|p| p.groups.clone()).unwrap_or_default());
                        if let Some(chosen) = query.with(|q| q.group.clone())
                            && !groups.contains(&chosen)
                        {
                            groups.push(chosen);
                        }
                        groups.into_iter().map(|g| {
                            let chosen = g.clone();
                            let value = g.clone();
                            view! {
                                <option value=value selected=move || query.with(|q| q.group.as_deref() == Some(chosen.as_str()))>{g}</option>
                            }
                        }).collect_view()
                    }}
                </select>
            </div>
            <div class="field inline">
                <label for="risk-filter">{t!(i18n, list.flags)}</label>
                <select id="risk-filter" data-testid="risk-filter"
                    on:change=move |ev| refilter(|q, v| q.risk = RiskFilter::ALL.into_iter().find(|f| f.as_str() == v), event_target_value(&ev))>
                    <option value="" selected=move || query.with(|q| q.risk.is_none())>{t!(i18n, list.any)}</option>
                    {RiskFilter::ALL.into_iter().map(|f| view! {
                        <option value=f.as_str() selected=move || query.with(|q| q.risk == Some(f))>{move || risk_words(i18n, f)}</option>
                    }).collect_view()}
                </select>
            </div>
            <form
                role="search"
                class="field inline"
                on:submit=move |ev| {
                    ev.prevent_default();
                    refilter(|q, text| q.q = Some(text).filter(|t| !t.trim().is_empty()), search_text.get_untracked());
                }
            >
                <label for="request-search">{t!(i18n, list.search)}</label>
                <input
                    id="request-search"
                    type="search"
                    data-testid="request-search"
                    placeholder=move || t_string!(i18n, list.search_hint)
                    maxlength="200"
                    prop:value=move || search_text.get()
                    on:input=move |ev| search_text.set(event_target_value(&ev))
                />
                <button type="submit" data-testid="search">{t!(i18n, list.search)}</button>
            </form>
            <button
                type="button"
                data-testid="refresh"
                prop:disabled=move || fetching.get()
                on:click=move |_| tick.update(|t| *t = t.wrapping_add(1))
            >
                {move || if fetching.get() { t_string!(i18n, list.refreshing) } else { t_string!(i18n, list.refresh) }}
            </button>
            <span class="muted small" data-testid="updated">
                {move || updated.get().map(|at| if live.get() {
                    t!(i18n, list.updated_live, time = move || at.clone()).into_any()
                } else {
                    t!(i18n, list.updated_polled, time = move || at.clone()).into_any()
                })}
            </span>
        </div>
        {move || error.get().map(|error| view! {
            <div data-testid="error-panel"><ErrorPanel error /></div>
        })}
        {move || page.with(|p| p.is_none()).then(|| view! {
            <p class="muted">{t!(i18n, list.loading)}</p>
        })}
        {move || page.with(|p| p.as_ref().is_some_and(|p| p.items.is_empty())).then(|| view! {
            <p class="muted" data-testid="no-requests">{t!(i18n, list.empty)}</p>
        })}
        <BulkDeny selected all_matching query pending=Signal::derive(move || count(Phase::Pending)) done=tick />
        {move || matching_bar(i18n, page_pending(), selected, all_matching, count(Phase::Pending))}
        // A stable table: rows are only rebuilt when their request changed, so a fetch
        // does not take the keyboard focus away from a row.
        <div class="table-scroll" tabindex="0" role="region" aria-label=move || t_string!(i18n, list.title)>
            <table class="request-table" data-testid="requests">
                <thead>
                    <tr>
                        <th scope="col" class="tick">
                            <input type="checkbox" class="select-row" data-testid="select-page"
                                aria-label=move || t_string!(i18n, list.select_page)
                                prop:checked=move || {
                                    let names = page_pending();
                                    !names.is_empty() && selected.with(|s| names.iter().all(|n| s.contains(n)))
                                }
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    let names = page_pending();
                                    all_matching.set(false);
                                    selected.update(|s| for n in names {
                                        if on { s.insert(n); } else { s.remove(&n); }
                                    });
                                } />
                        </th>
                        {(0..8).map(|i| view! { <th scope="col">{move || columns(i18n)[i]}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || page.with(|p| p.as_ref().map(|p| p.items.clone()).unwrap_or_default())
                        key=row_key
                        children=move |v| view! { <RequestRow view=v selection=selected /> }
                    />
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label=move || t_string!(i18n, list.pages) data-testid="pager">
            {move || (at() > 1).then(|| view! {
                <a href=to_page(at() - 1) data-testid="previous-page">{t!(i18n, list.previous)}</a>
            })}
            {move || page_numbers(at(), pages()).into_iter().map(|n| match n {
                Some(n) if n == at() => view! { <strong aria-current="page" data-testid="page-link">{n}</strong> }.into_any(),
                Some(n) => view! { <a href=to_page(n) data-testid="page-link">{n}</a> }.into_any(),
                None => view! { <span aria-hidden="true">"…"</span> }.into_any(),
            }).collect_view()}
            {move || (at() < pages()).then(|| view! {
                <a href=to_page(at() + 1) data-testid="next-page">{t!(i18n, list.next)}</a>
            })}
            <span data-testid="page-of">
                {move || page.with(|p| p.as_ref().map(|p| {
                    let total = p.total;
                    view! { " " {t!(i18n, list.page_of, at = at, pages = pages, total = move || total)} " " }
                }))}
            </span>
        </nav>
        <super::sinks::Sinks />
    }
    .into_any()
}

/// The line under the bulk bar that offers every matching pending request, on every
/// page, once this page's are all ticked.
fn matching_bar(
    i18n: I18n,
    on_page: Vec<String>,
    selected: RwSignal<std::collections::BTreeSet<String>>,
    all_matching: RwSignal<bool>,
    pending: usize,
) -> Option<impl IntoView> {
    let page_all = !on_page.is_empty() && selected.with(|s| on_page.iter().all(|n| s.contains(n)));
    if all_matching.get() {
        return Some(
            view! {
                <p class="matching" data-testid="select-matching-bar">
                    {t!(i18n, list.all_selected, count = move || pending)} " "
                    <button type="button" class="link" data-testid="clear-matching"
                        on:click=move |_| { all_matching.set(false); selected.set(Default::default()); }>
                        {t!(i18n, list.clear_selection)}
                    </button>
                </p>
            }
            .into_any(),
        );
    }
    (page_all && pending > on_page.len()).then(|| {
        view! {
            <p class="matching" data-testid="select-matching-bar">
                {t!(i18n, list.page_selected, count = move || on_page.len())} " "
                <button type="button" class="link" data-testid="select-matching"
                    on:click=move |_| all_matching.set(true)>
                    {t!(i18n, list.select_matching, count = move || pending)}
                </button>
            </p>
        }
        .into_any()
    })
}
