//! CertDesk's browser app: the pages, the typed API client, and key generation.

pub mod api;
pub mod components;
pub mod keys;
pub mod pages;
pub mod store;

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

/// The whole app: the header and the routed pages.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="site">
                <A href="/" attr:class="brand">"CertDesk"</A>
                <nav aria-label="Main">
                    <A href="/">"Request access"</A>
                    <A href="/inspect">"Inspect a file"</A>
                    <A href="/admin">"Approve"</A>
                </nav>
            </header>
            <main>
                <Routes fallback=|| view! { <pages::not_found::NotFound /> }>
                    <Route path=path!("/") view=pages::request::RequestAccess />
                    <Route path=path!("/requests/:id") view=pages::status::RequestStatusPage />
                    <Route path=path!("/inspect") view=pages::inspect::Inspect />
                    <Route path=path!("/admin") view=pages::admin::sign_in::AdminSignIn />
                    <Route path=path!("/admin/requests") view=pages::admin::requests::AdminRequests />
                    <Route path=path!("/admin/requests/:name") view=pages::admin::request::AdminRequest />
                    <Route path=path!("/admin/invites") view=pages::admin::invites::AdminInvites />
                    <Route path=path!("/admin/people") view=pages::admin::people::AdminPeople />
                    // A developer page, deliberately not in the navigation.
                    <Route path=path!("/bench/keygen") view=pages::bench_keygen::BenchKeygen />
                </Routes>
            </main>
        </Router>
    }
}
