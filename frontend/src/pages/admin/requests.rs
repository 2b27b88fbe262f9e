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
use shared::admin_list::{ListQuery, PHASES, RequestPage};
use shared::{ApiError, Phase};

use super::SignInFirst;
use crate::api;
use crate::components::approver_session;
use crate::components::bulk_deny::BulkDeny;
use crate::components::error_panel::ErrorPanel;
use crate::components::request_row::{RequestRow, phase_name};

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
    }
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

fn now_words() -> String {
    String::from(js_sys::Date::new_0().to_locale_time_string("default"))
}

/// Keeps the stream of changes open while the page is shown, bumping `tick` on each
/// change; falls back to a timer while the stream cannot be held.
fn stay_live(token: String, tick: RwSignal<u32>, live: RwSignal<bool>) {
    let stopped = Rc::new(Cell::new(false));
    let Ok(controller) = web_sys::AbortController::new() else {
        return;
    };
    let signal = controller.signal();
    let running = Rc::clone(&stopped);
    leptos::task::spawn_local(async move {
        let mut backoff = 1u32;
        while !running.get() {
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
    crate::components::title::set("Requests");
    let Some(token) = approver_session::token() else {
        return view! { <h1>"Requests"</h1> <SignInFirst /> }.into_any();
    };
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

    let fetch_token = token.clone();
    let bulk_token = token.clone();
    // The pending requests ticked for "Deny selected"; a new query starts afresh.
    let selected = RwSignal::new(std::collections::BTreeSet::<String>::new());
    Effect::new(move |_| {
        query.track();
        selected.set(std::collections::BTreeSet::new());
    });
    Effect::new(move |_| {
        let wanted = query.get();
        super::place::remember(&wanted);
        tick.track();
        let mine = generation.get_value() + 1;
        generation.set_value(mine);
        fetching.set(true);
        let token = fetch_token.clone();
        leptos::task::spawn_local(async move {
            let answer = api::admin::requests(&token, &wanted).await;
            if generation.try_get_value() != Some(mine) {
                return;
            }
            match answer {
                Ok(answer) => {
                    page.try_set(Some(answer));
                    error.try_set(None);
                    updated.try_set(Some(now_words()));
                }
                // The last page stays on screen; the error says why it is not fresh.
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            fetching.try_set(false);
        });
    });
    stay_live(token, tick, live);
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

    view! {
        <h1>"Requests"</h1>
        <div class="toolbar">
            <div class="field inline">
                <label for="phase-filter">"Show"</label>
                <select
                    id="phase-filter"
                    data-testid="phase-filter"
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        let mut next = query.get_untracked();
                        next.phase = PHASES.into_iter().find(|p| phase_name(*p) == value);
                        next.page = None;
                        go.with_value(|go| go(next, false));
                    }
                >
                    <option value="all" selected=move || query.with(|q| q.phase.is_none())>"All but withdrawn"</option>
                    {PHASES.into_iter().map(|p| view! {
                        <option value=phase_name(p) selected=move || query.with(|q| q.phase == Some(p))>
                            {move || format!("{} ({})", phase_name(p), count(p))}
                        </option>
                    }).collect_view()}
                </select>
            </div>
            <form
                role="search"
                class="field inline"
                on:submit=move |ev| {
                    ev.prevent_default();
                    let mut next = query.get_untracked();
                    let text = search_text.get_untracked();
                    next.q = Some(text).filter(|t| !t.trim().is_empty());
                    next.page = None;
                    go.with_value(|go| go(next, false));
                }
            >
                <label for="request-search">"Search"</label>
                <input
                    id="request-search"
                    type="search"
                    data-testid="request-search"
                    placeholder="username, group, note"
                    maxlength="200"
                    prop:value=move || search_text.get()
                    on:input=move |ev| search_text.set(event_target_value(&ev))
                />
                <button type="submit" data-testid="search">"Search"</button>
            </form>
            <button
                type="button"
                data-testid="refresh"
                prop:disabled=move || fetching.get()
                on:click=move |_| tick.update(|t| *t = t.wrapping_add(1))
            >
                {move || if fetching.get() { "Refreshing…" } else { "Refresh" }}
            </button>
            <span class="muted small" data-testid="updated">
                {move || updated.get().map(|t| if live.get() {
                    format!("Updated {t}; live.")
                } else {
                    format!("Updated {t}; fetched again every 30 s.")
                })}
            </span>
        </div>
        {move || error.get().map(|error| view! {
            <div data-testid="error-panel"><ErrorPanel error /></div>
        })}
        {move || page.with(|p| p.is_none()).then(|| view! {
            <p class="muted">"Loading the requests…"</p>
        })}
        {move || page.with(|p| p.as_ref().is_some_and(|p| p.items.is_empty())).then(|| view! {
            <p class="muted" data-testid="no-requests">"No requests to show."</p>
        })}
        <BulkDeny token=bulk_token.clone() selected done=tick />
        // A stable list: rows are only rebuilt when their request changed, so a fetch
        // does not take the keyboard focus away from a row.
        <ul class="requests" data-testid="requests">
            <For
                each=move || page.with(|p| p.as_ref().map(|p| p.items.clone()).unwrap_or_default())
                key=row_key
                children=move |v| view! { <RequestRow view=v selection=selected /> }
            />
        </ul>
        <nav class="pager" aria-label="Pages" data-testid="pager">
            {move || (at() > 1).then(|| view! {
                <a href=to_page(at() - 1) data-testid="previous-page">"← Previous"</a>
            })}
            <span data-testid="page-of">
                {move || page.with(|p| p.as_ref().map(|p| format!(
                    " Page {} of {} ({} requests) ",
                    at(),
                    pages(),
                    p.total
                )))}
            </span>
            {move || (at() < pages()).then(|| view! {
                <a href=to_page(at() + 1) data-testid="next-page">"Next →"</a>
            })}
        </nav>
    }
    .into_any()
}
