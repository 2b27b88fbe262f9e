//! Shows an `ApiError` to a person: the server's message and its stable code.

use leptos::prelude::*;
use shared::ApiError;

/// A panel with the error's message (rendered as text) and its code.
#[component]
pub fn ErrorPanel(error: ApiError) -> impl IntoView {
    view! {
        <div class="card error" role="alert">
            <p>{error.message.clone()}</p>
            <p class="muted"><small>"Code: " <code>{error.code.as_str()}</code></small></p>
        </div>
    }
}
