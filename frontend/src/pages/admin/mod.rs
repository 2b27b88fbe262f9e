//! The approvers' pages under `/admin`: sign in, the requests list, one request,
//! invites, and the people CertDesk issued certificates to.

pub mod clusters;
pub mod decided;
pub mod invites;
pub mod people;
pub mod place;
pub mod request;
pub mod requests;
pub mod sign_in;
pub mod signed_in;
pub mod sinks;

use leptos::prelude::*;

/// The links between the approver's pages.
#[component]
pub fn AdminNav() -> impl IntoView {
    view! {
        <nav class="admin-nav" aria-label="Approver pages">
            <a href="/admin/requests">"Requests"</a>
            " · "
            <a href="/admin/clusters">"All clusters"</a>
            " · "
            <a href="/admin/invites">"Invites"</a>
            " · "
            <a href="/admin/people">"People"</a>
            " · "
            <a href="/admin">"Your access"</a>
        </nav>
    }
}
