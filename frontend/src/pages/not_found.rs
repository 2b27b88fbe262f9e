//! The page for an unknown route.

use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};

/// Says the page does not exist and links home.
#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| crate::components::title::set(t_string!(i18n, not_found.title)));
    view! {
        <h1>{t!(i18n, not_found.heading)}</h1>
        <p><a href="/" rel="external">{t!(i18n, not_found.home)}</a></p>
    }
}
