//! Where keyboard and screen-reader focus goes: to the first invalid field after a
//! refused submit, to the page's heading after a navigation (WCAG 2.4.3).

use leptos::prelude::*;
use leptos_router::hooks::use_location;
use wasm_bindgen::JsCast;

/// After the next render, focuses the first element matching `selector` (a heading
/// gets `tabindex="-1"` first, so it can hold focus).
pub fn after_render(selector: &'static str) {
    request_animation_frame(move || {
        let Some(element) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(selector).ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            return;
        };
        if !element.has_attribute("tabindex") && element.tag_name().eq_ignore_ascii_case("h1") {
            let _ = element.set_attribute("tabindex", "-1");
        }
        let _ = element.focus();
    });
}

/// Focuses the first field marked `aria-invalid="true"`.
pub fn first_invalid() {
    after_render("main [aria-invalid=\"true\"]");
}

/// Moves focus to the page's heading whenever the route changes (not on the first
/// load, where the browser starts at the top anyway).
pub fn heading_on_navigation() {
    let location = use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) {
            after_render("main h1");
        }
        path
    });
}
