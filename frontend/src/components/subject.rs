//! Who a request or certificate is for, shown as text (Leptos escapes it).

use leptos::prelude::*;

use crate::i18n::{t, use_i18n};

/// The username and groups, each rendered as a text node.
#[component]
pub fn SubjectLine(username: String, groups: Vec<String>) -> impl IntoView {
    let i18n = use_i18n();
    let user = move || view! { <strong data-testid="subject-username">{username.clone()}</strong> };
    let said = if groups.is_empty() {
        user().into_any()
    } else {
        let groups = groups.join(", ");
        t!(i18n, subject.with_groups, <user> = user, <groups> = move || view! {
            <span data-testid="subject-groups">{groups.clone()}</span>
        })
        .into_any()
    };
    view! { <span class="subject">{said}</span> }
}
