//! The requests this browser holds a key for (`/requests`), newest first, each a link
//! to its status page. Part of the status app, so the request form's first visit
//! carries neither the list nor the status reads behind it; the form links here when
//! the store holds anything.

use leptos::prelude::*;

use crate::components::request_row::phase_words;
use crate::components::time;
use crate::components::title;
use crate::i18n::{t, t_string, use_i18n};
use crate::store::{StoredKey, with_store};

/// How many of the newest stored requests show their phase (each is one read).
const PHASES_ASKED: usize = 10;

/// The page: the list, or that there is nothing to continue here.
#[component]
pub fn YourRequests() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| title::set(t_string!(i18n, mine.title)));
    let stored = LocalResource::new(|| with_store(async |store| store.list().await));
    view! {
        <h1>{t!(i18n, mine.heading)}</h1>
        {move || match stored.get() {
            None => view! { <p class="muted">{t!(i18n, mine.loading)}</p> }.into_any(),
            Some(Ok(list)) if list.is_empty() => view! {
                <p class="card" data-testid="resume-empty">
                    {t!(i18n, mine.empty, <a> = |children: ChildrenFn| view! { <a href="/" rel="external">{children()}</a> })}
                </p>
            }
            .into_any(),
            Some(Ok(list)) => view! {
                <section class="card resume" data-testid="resume-list">
                    <p class="muted">{t!(i18n, mine.intro)}</p>
                    <ul>
                        {list.into_iter().enumerate().map(|(i, record)| {
                            // The newest requests' phases are asked for (a few reads at most).
                            let ask = i < PHASES_ASKED;
                            view! { <Item record ask /> }
                        }).collect_view()}
                    </ul>
                </section>
            }
            .into_any(),
            Some(Err(error)) => view! {
                <p class="card warning" data-testid="store-unavailable">{error.to_string()}</p>
            }
            .into_any(),
        }}
    }
}

/// One stored request: who it asked for, where, its phase (for the newest), and when
/// its key was made.
#[component]
fn Item(record: StoredKey, ask: bool) -> impl IntoView {
    let id = record.request_id.clone();
    let portal = record.portal.clone();
    let phase = LocalResource::new(move || {
        let (id, portal) = (id.clone(), portal.clone());
        async move {
            if ask {
                crate::api::request_status(&portal, &id)
                    .await
                    .ok()
                    .map(|s| s.phase)
            } else {
                None
            }
        }
    });
    let href = format!(
        "/requests/{}",
        String::from(js_sys::encode_uri_component(&record.request_id))
    );
    let i18n = use_i18n();
    let when = time::format_utc(record.created_ms);
    let algorithm = record.algorithm.label();
    let downloaded = record.kubeconfig_downloaded;
    let user = record.username.clone();
    let groups = record.groups.join(", ");
    let cluster = record.cluster.clone();
    view! {
        <li data-testid="resume-request" data-request-id=record.request_id.clone()>
            <a href=href data-testid="resume-link">{t!(i18n, mine.link, user = move || user.clone())}</a>
            " "
            {move || phase.get().flatten().map(|p| {
                let name = crate::components::request_row::phase_name(p);
                view! {
                    <span class=format!("badge phase-{}", name.to_ascii_lowercase()) data-testid="resume-phase" data-phase=name>
                        {move || phase_words(i18n, p)}
                    </span>
                }
            })}
            {(!groups.is_empty()).then(|| view! { <span>{t!(i18n, mine.groups, groups = move || groups.clone())}</span> })}
            {(!cluster.is_empty()).then(|| view! { <span data-testid="resume-cluster">{t!(i18n, mine.cluster, cluster = move || cluster.clone())}</span> })}
            <span class="muted">
                {t!(i18n, mine.made, algorithm = move || algorithm, when = move || when.clone())}
                {downloaded.then_some(t!(i18n, mine.downloaded))}
            </span>
        </li>
    }
}
