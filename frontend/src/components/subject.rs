//! Who a request or certificate is for, shown as text (Leptos escapes it).

use leptos::prelude::*;

/// The username and groups, each rendered as a text node.
#[component]
pub fn SubjectLine(username: String, groups: Vec<String>) -> impl IntoView {
    let has_groups = !groups.is_empty();
    view! {
        <span class="subject">
            <strong data-testid="subject-username">{username}</strong>
            {has_groups.then(|| view! {
                " in groups "
                <span data-testid="subject-groups">{groups.join(", ")}</span>
            })}
        </span>
    }
}
