//! After a decision: what was done, and the way on — the next pending request (within
//! the approver's search) or back to their place in the list.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use shared::ApiError;

use super::place;
use crate::api;
use crate::components::error_panel::ErrorPanel;
use crate::components::request_row::detail_href;
use crate::i18n::{t, t_string, use_i18n};

/// How a page moves to another (the router's `use_navigate`, taken while the page
/// is made: event handlers and tasks run outside the router's context).
pub type Navigate = StoredValue<std::rc::Rc<dyn Fn(&str, NavigateOptions)>, LocalStorage>;

/// Takes the router's navigation for later use.
pub fn navigation() -> Navigate {
    let navigate = use_navigate();
    StoredValue::new_local(std::rc::Rc::new(
        move |to: &str, options: NavigateOptions| navigate(to, options),
    ))
}

/// Opens the longest-waiting pending request other than `current`, or says there is
/// none; errors land in `error`.
pub fn open_next(
    approver: crate::approver::Approver,
    navigate: Navigate,
    current: String,
    none_left: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
) {
    leptos::task::spawn_local(async move {
        match api::admin::requests(&approver.token(), &place::next_pending_query()).await {
            Ok(page) => match page.items.into_iter().find(|v| v.name != current) {
                Some(next) => {
                    if let Some(navigate) = navigate.try_get_value() {
                        navigate(&detail_href(&next.name), NavigateOptions::default());
                    }
                }
                None => {
                    none_left.try_set(true);
                }
            },
            Err(e) => {
                error.try_set(Some(e));
            }
        }
    });
}

/// The way on after a decision; `none_left` is shared with the page's "& next"
/// buttons, which look for the next request the same way.
#[component]
pub fn WayOn(current: String, none_left: RwSignal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let error = RwSignal::new(None::<ApiError>);
    let navigate = navigation();
    let approver = crate::approver::use_approver();
    let next = move |_| open_next(approver, navigate, current.clone(), none_left, error);
    view! {
        <nav class="way-on actions" aria-label=move || t_string!(i18n, way_on.label) data-testid="way-on">
            <button type="button" class="primary" data-testid="next-pending" on:click=next>
                {t!(i18n, way_on.next)}
            </button>
            <a href=place::list_href() data-testid="back-to-list">{t!(i18n, way_on.back)}</a>
        </nav>
        {move || none_left.get().then(|| view! {
            <p role="status" data-testid="no-more-pending">{t!(i18n, way_on.none_left)} " "
                <a href=place::list_href()>{t!(i18n, way_on.back)}</a></p>
        })}
        {move || error.get().map(|error| view! { <ErrorPanel error /> })}
    }
}
