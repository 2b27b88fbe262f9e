//! `/admin/requests`: every request, pending first, then newest; filtered by phase;
//! refreshed every 5 seconds while the page is visible, and on demand.
//!
//! Polling, not a stream: the list is fetched with the approver's own token and the
//! server checks that token's right to list on every call, so a plain authorised GET
//! re-checks authority each time; an event stream would hold one authorisation for as
//! long as it stays open (and `EventSource` cannot send an `Authorization` header).

use std::cmp::Reverse;
use std::time::Duration;

use leptos::prelude::*;
use shared::admin::RequestView;
use shared::{ApiError, Phase};

use super::SignInFirst;
use crate::api;
use crate::components::approver_session;
use crate::components::error_panel::ErrorPanel;
use crate::components::request_row::{RequestRow, phase_name};

/// How often the list is fetched again while the page is visible.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5);

const PHASES: [Phase; 6] = [
    Phase::Pending,
    Phase::Approved,
    Phase::Issued,
    Phase::Denied,
    Phase::Failed,
    Phase::Gone,
];

/// Returns the requests in the list's order: pending first, then newest first, then by
/// name.
pub fn in_list_order(mut views: Vec<RequestView>) -> Vec<RequestView> {
    views.sort_by(|a, b| {
        (a.phase != Phase::Pending, Reverse(a.created), &a.name).cmp(&(
            b.phase != Phase::Pending,
            Reverse(b.created),
            &b.name,
        ))
    });
    views
}

/// A row is rebuilt when anything but its age changed.
fn row_key(view: &RequestView) -> String {
    let mut stable = view.clone();
    stable.age_seconds = None;
    format!("{stable:?}")
}

fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

fn now_words() -> String {
    String::from(js_sys::Date::new_0().to_locale_time_string("default"))
}

/// The requests list page.
#[component]
pub fn AdminRequests() -> impl IntoView {
    let Some(token) = approver_session::token() else {
        return view! { <h1>"Requests"</h1> <SignInFirst /> }.into_any();
    };
    let items: RwSignal<Option<Vec<RequestView>>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let fetching = RwSignal::new(false);
    let updated = RwSignal::new(None::<String>);
    let filter = RwSignal::new(None::<Phase>);

    let refresh = move || {
        if fetching.get_untracked() {
            return;
        }
        fetching.set(true);
        let token = token.clone();
        leptos::task::spawn_local(async move {
            match api::admin::requests(&token).await {
                Ok(list) => {
                    items.set(Some(in_list_order(list)));
                    error.set(None);
                    updated.set(Some(now_words()));
                }
                // The last list stays on screen; the error says why it is not fresh.
                Err(e) => error.set(Some(e)),
            }
            fetching.set(false);
        });
    };
    let refresh = StoredValue::new_local(refresh);
    refresh.with_value(|r| r());
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if !page_hidden() {
                refresh.with_value(|r| r());
            }
        },
        REFRESH_EVERY,
    ) {
        on_cleanup(move || handle.clear());
    }

    let shown = Memo::new(move |_| {
        let wanted = filter.get();
        items.with(|list| {
            list.as_ref().map(|l| {
                l.iter()
                    .filter(|v| wanted.is_none_or(|p| v.phase == p))
                    .cloned()
                    .collect::<Vec<_>>()
            })
        })
    });
    let count = move |phase: Phase| {
        items.with(|list| {
            list.as_ref()
                .map_or(0, |l| l.iter().filter(|v| v.phase == phase).count())
        })
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
                        filter.set(PHASES.into_iter().find(|p| phase_name(*p) == value));
                    }
                >
                    <option value="all">"All phases"</option>
                    {PHASES.into_iter().map(|p| view! {
                        <option value=phase_name(p)>{move || format!("{} ({})", phase_name(p), count(p))}</option>
                    }).collect_view()}
                </select>
            </div>
            <button
                type="button"
                data-testid="refresh"
                prop:disabled=move || fetching.get()
                on:click=move |_| refresh.with_value(|r| r())
            >
                {move || if fetching.get() { "Refreshing…" } else { "Refresh" }}
            </button>
            <span class="muted small" data-testid="updated">
                {move || updated.get().map(|t| format!("Updated {t}; refreshes every 5 s while this page is visible."))}
            </span>
        </div>
        {move || error.get().map(|error| view! {
            <div data-testid="error-panel"><ErrorPanel error /></div>
        })}
        {move || items.with(|l| l.is_none()).then(|| view! {
            <p class="muted">"Loading the requests…"</p>
        })}
        {move || shown.with(|l| l.as_ref().is_some_and(Vec::is_empty)).then(|| view! {
            <p class="muted" data-testid="no-requests">"No requests to show."</p>
        })}
        // A stable list: rows are only rebuilt when their request changed, so a poll does
        // not take the keyboard focus away from a row.
        <ul class="requests" data-testid="requests">
            <For
                each=move || shown.get().unwrap_or_default()
                key=row_key
                children=|v| view! { <RequestRow view=v /> }
            />
        </ul>
    }
    .into_any()
}
