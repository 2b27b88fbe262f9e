//! The page for an unknown route.

use leptos::prelude::*;
use leptos_router::components::A;

/// Says the page does not exist and links home.
#[component]
pub fn NotFound() -> impl IntoView {
    crate::components::title::set("Not found");
    view! {
        <h1>"Page not found"</h1>
        <p><A href="/">"Go to the start page"</A></p>
    }
}
