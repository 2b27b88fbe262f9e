//! CertDesk's browser app: the pages, the typed API client, and key generation.
//!
//! Five apps share this library, each its own bundle so a page loads only what it
//! shows: the request form ([`RequesterApp`], `/`: the first page a new colleague loads,
//! so it carries nothing else), the whole form ([`WholeFormApp`], `/start/`: with an
//! invite link's form and the choice of clusters), a request's status page ([`StatusApp`], under
//! `/requests/`: the issued kubeconfig, the key's copies, withdrawal, renewal), the
//! approvers' ([`AdminApp`], under `/admin`) and the file tools ([`ToolsApp`]: inspecting
//! and renewing from an uploaded file, and the key-generation bench). Links between the
//! apps load the other app's page.

// A key missing in either language (a deprecation warning of `load_locales!`) fails the
// build, as does any other use of something deprecated.
#![deny(deprecated)]

pub mod api;
pub mod approver;
pub mod clusters;
pub mod components;
pub mod config;
pub mod draft;
pub mod handoff;
pub mod keys;
pub mod language;
pub mod pages;
pub mod store;
pub mod submission;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::i18n::{t, t_string, use_i18n};

// The portal's words in every language, from frontend/locales/*.json: the `i18n` module
// (`Locale`, `use_i18n`, `t!`, `I18nContextProvider`).
leptos_i18n_macro::load_locales!();

/// The site's header. Its links are `rel="external"`: each leads to an app of its own,
/// so the browser loads that page instead of the router looking for it here.
#[component]
fn SiteHeader() -> impl IntoView {
    let here = window().location().pathname().unwrap_or_default();
    let current = |prefix: &str| {
        let at = if prefix == "/" {
            here == "/"
                || here == "/requests"
                || here.starts_with("/requests/")
                || here.starts_with("/start")
        } else {
            here.starts_with(prefix)
        };
        at.then_some("page")
    };
    let i18n = use_i18n();
    view! {
        <header class="site">
            <a href="/" class="brand" rel="external">"CertDesk"</a>
            <nav aria-label=move || t_string!(i18n, nav.main)>
                <a href="/" rel="external" aria-current=current("/")>{t!(i18n, nav.request)}</a>
                <a href="/inspect" rel="external" aria-current=current("/inspect")>{t!(i18n, nav.inspect)}</a>
                <a href="/admin" rel="external" aria-current=current("/admin")>{t!(i18n, nav.approve)}</a>
            </nav>
            <language::LanguageSwitch />
        </header>
    }
}

/// Shown in place of a page whose view failed (a page that returns `Err`): what went
/// wrong, and the way back to the start, instead of a blank page.
#[component]
fn PageFailed(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="card error" role="alert" data-testid="page-failed">
            <p>{t!(i18n, page_failed.intro)}</p>
            <ul>
                {move || errors.get().into_iter().map(|(_, e)| view! { <li>{e.to_string()}</li> }).collect_view()}
            </ul>
            <p><a href="/" rel="external">{t!(i18n, page_failed.home)}</a></p>
        </div>
    }
}

/// What every app shares around its pages: the words, the site's header, and the error
/// boundary its pages sit in.
#[component]
fn Frame(children: Children) -> impl IntoView {
    view! {
        <i18n::I18nContextProvider>
            <language::Remembered />
            <SiteHeader />
            <main>
                <ErrorBoundary fallback=|errors| view! { <PageFailed errors /> }>
                    {children()}
                </ErrorBoundary>
            </main>
        </i18n::I18nContextProvider>
    }
}

/// The [`Frame`] of an app with routes: the router around it.
#[component]
fn Shell(children: Children) -> impl IntoView {
    view! {
        <Router>
            <FocusOnNavigation />
            <Frame>{children()}</Frame>
        </Router>
    }
}

/// Moves focus to each new page's heading (inside the router, which it follows).
#[component]
fn FocusOnNavigation() -> impl IntoView {
    components::focus::heading_on_navigation();
}

/// The requester's first page: the request form (`/`). It hands what was chosen to
/// [`StatusApp`]'s sending page ([`handoff`]), which makes the key and sends the CSR.
/// One page, so no router: its bundle is the first a new colleague loads, and carries
/// only the form.
#[component]
pub fn RequesterApp() -> impl IntoView {
    config::provide();
    let at_start = window().location().pathname().is_ok_and(|path| path == "/");
    view! {
        <Frame>
            {if at_start {
                view! { <pages::request::RequestAccess /> }.into_any()
            } else {
                view! { <pages::not_found::NotFound /> }.into_any()
            }}
        </Frame>
    }
}

/// The whole request form (`/start/`; `/` on an install with peers): the first
/// visit's form and what it leaves out — an invite link's form, the choice of clusters.
#[component]
pub fn WholeFormApp() -> impl IntoView {
    config::provide();
    let path = window().location().pathname().unwrap_or_default();
    let at_start = matches!(path.as_str(), "/" | "/start" | "/start/");
    let extras: &'static dyn pages::request::Extras = &pages::request::whole::WHOLE;
    view! {
        <Frame>
            {if at_start {
                view! { <pages::request::RequestAccess extras /> }.into_any()
            } else {
                view! { <pages::not_found::NotFound /> }.into_any()
            }}
        </Frame>
    }
}

/// A request's status page (`/requests/:id`): waiting, issued (the kubeconfig), denied,
/// withdrawn; the key's copies and the request's withdrawal. And the requests this
/// browser holds a key for (`/requests`), which the form links to.
#[component]
pub fn StatusApp() -> impl IntoView {
    config::provide();
    view! {
        <Shell>
            <Routes fallback=|| view! { <pages::not_found::NotFound /> }>
                <Route path=path!("/requests") view=pages::status::mine::YourRequests />
                <Route path=path!("/requests/new") view=pages::status::sending::Sending />
                <Route path=path!("/requests/:id") view=pages::status::RequestStatusPage />
            </Routes>
        </Shell>
    }
}

/// The approvers' app under `/admin`: sign in, requests, one request, invites, people.
#[component]
pub fn AdminApp() -> impl IntoView {
    use approver::RequireApprover;
    use pages::admin::{clusters, invites, people, request, requests, sign_in, signed_in};
    config::provide();
    approver::provide();
    approver::reload_when_restored();
    // Every page but sign-in sits behind the one guard: a new page cannot forget it.
    view! {
        <Shell>
            <Routes fallback=|| view! { <pages::not_found::NotFound /> }>
                <Route path=path!("/admin") view=sign_in::AdminSignIn />
                <Route path=path!("/admin/signed-in") view=signed_in::SignedInHere />
                <Route path=path!("/admin/requests") view=|| view! { <RequireApprover><requests::AdminRequests /></RequireApprover> } />
                <Route path=path!("/admin/requests/:name") view=|| view! { <RequireApprover><request::AdminRequest /></RequireApprover> } />
                <Route path=path!("/admin/clusters") view=|| view! { <RequireApprover><clusters::AdminClusters /></RequireApprover> } />
                <Route path=path!("/admin/invites") view=|| view! { <RequireApprover><invites::AdminInvites /></RequireApprover> } />
                <Route path=path!("/admin/people") view=|| view! { <RequireApprover><people::AdminPeople /></RequireApprover> } />
            </Routes>
        </Shell>
    }
}

/// The file tools: inspect (and renew from) an uploaded file, and the key-generation
/// bench (a developer page, deliberately not in the navigation).
#[component]
pub fn ToolsApp() -> impl IntoView {
    config::provide();
    view! {
        <Shell>
            <Routes fallback=|| view! { <pages::not_found::NotFound /> }>
                <Route path=path!("/inspect") view=pages::inspect::Inspect />
                <Route path=path!("/bench/keygen") view=pages::bench_keygen::BenchKeygen />
            </Routes>
        </Shell>
    }
}
