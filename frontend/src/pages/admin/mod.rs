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

use crate::i18n::{t, t_string, use_i18n};

/// The links between the approver's pages.
#[component]
pub fn AdminNav() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="admin-nav" aria-label=move || t_string!(i18n, admin_nav.label)>
            <a href="/admin/requests">{t!(i18n, admin_nav.requests)}</a>
            " · "
            <a href="/admin/clusters">{t!(i18n, admin_nav.clusters)}</a>
            " · "
            <a href="/admin/invites">{t!(i18n, admin_nav.invites)}</a>
            " · "
            <a href="/admin/people">{t!(i18n, admin_nav.people)}</a>
            " · "
            <a href="/admin">{t!(i18n, admin_nav.access)}</a>
        </nav>
    }
}
