//! A request's status (`/requests/:id`): the live phase from the server-sent events
//! (polling when the stream fails), what each phase means, and, once issued, the
//! kubeconfig assembled here from the key this browser kept.

mod batch;
mod explain;
mod issued;
mod key_actions;
pub mod mine;
mod notify;
pub mod sending;
mod use_it;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use send_wrapper::SendWrapper;
use shared::{ApiError, Phase, RequestStatus};

use crate::api;
use crate::components::error_panel::ErrorPanel;
use crate::components::request_row::phase_name;
use crate::components::subject::SubjectLine;
use crate::components::title;
use crate::i18n::{t, t_string, use_i18n};
use crate::store::{StoredKey, with_store};
use explain::{PhaseExplanation, SentAt};
use issued::Issued;
use key_actions::{ForgetKey, KeepKeyCopy, Withdraw};

/// The status page; its URL carries the request id. The key this browser keeps for it
/// says which CertDesk to follow it at (this one, or a peer's) and whether it was one
/// part of a request to several clusters, which are then shown side by side.
#[component]
pub fn RequestStatusPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    move || {
        let id = params.read().get("id").unwrap_or_default();
        let lookup = id.clone();
        let found = LocalResource::new(move || {
            let id = lookup.clone();
            async move { find(&id).await }
        });
        view! {
            <Suspense fallback=move || view! { <p class="muted">{t!(i18n, status.loading)}</p> }>
                {move || Suspend::new({
                    let id = id.clone();
                    async move {
                        match found.await {
                            Found::Batch(parts) => view! { <batch::BatchView parts /> }.into_any(),
                            Found::One(state) => {
                                let portal = match &state {
                                    KeyState::Held(record) => record.portal.clone(),
                                    _ => String::new(),
                                };
                                view! { <StatusView id portal state /> }.into_any()
                            }
                        }
                    }
                })}
            </Suspense>
        }
    }
}

/// What this browser keeps for a request id.
#[derive(Clone)]
enum Found {
    /// One request (its key, or why there is none here).
    One(KeyState),
    /// A request to several clusters: every part this browser keeps.
    Batch(Vec<StoredKey>),
}

async fn find(id: &str) -> Found {
    let found = with_store(async |store| {
        let Some(record) = store.get(id).await? else {
            return Ok(None);
        };
        let parts = match &record.batch {
            Some(batch) => store.batch(batch).await?,
            None => Vec::new(),
        };
        Ok(Some((record, parts)))
    })
    .await;
    match found {
        // A part of a request to several clusters shows them all (and those it could
        // not be sent to), even when only this one was sent.
        Ok(Some((record, parts))) if record.batch.is_some() && !parts.is_empty() => {
            Found::Batch(parts)
        }
        Ok(Some((record, _))) => Found::One(KeyState::Held(record)),
        Ok(None) => Found::One(KeyState::Missing),
        Err(e) => Found::One(KeyState::Unavailable(e.to_string())),
    }
}

/// Whether this browser holds the request's key.
#[derive(Clone)]
pub(super) enum KeyState {
    Held(StoredKey),
    Missing,
    /// The key was deleted here at the person's request.
    Forgotten,
    Unavailable(String),
}

/// One request's page, followed at the CertDesk `portal` (empty: this one).
#[component]
fn StatusView(id: String, portal: String, state: KeyState) -> impl IntoView {
    let i18n = use_i18n();
    let status = RwSignal::new(None::<RequestStatus>);
    let error = RwSignal::new(None::<ApiError>);
    let live = RwSignal::new(true);
    let key = RwSignal::new(state);
    let config = if portal.is_empty() {
        crate::config::use_config()
    } else {
        let portal = portal.clone();
        LocalResource::new(move || {
            let portal = portal.clone();
            async move { api::config_at(&portal).await }
        })
    };
    let follower = SendWrapper::new(api::status_stream::follow(
        portal.clone(),
        id.clone(),
        status,
        error,
        live,
    ));
    on_cleanup(move || follower.take().stop());

    let phase = move || status.with(|s| s.as_ref().map(|s| s.phase));
    Effect::new(move |_| {
        let username = match key.get() {
            KeyState::Held(record) => Some(record.username),
            _ => None,
        };
        title::set(&title::of_request(i18n, phase(), username.as_deref()));
    });
    let notify_wanted = RwSignal::new(false);
    notify::when_issued(i18n, notify_wanted, phase);
    view! {
        <h1>{t!(i18n, status.heading)}</h1>
        <p class="muted">{t!(i18n, status.request,
                <id> = { let id = id.clone(); move || view! { <code data-testid="request-id">{id.clone()}</code> } })}
            {move || if live.get() { t_string!(i18n, status.live) } else { t_string!(i18n, status.polling) }}
        </p>
        {move || match key.get() {
            KeyState::Held(record) => {
                let algorithm = record.algorithm.label();
                let (username, groups) = (record.username.clone(), record.groups.clone());
                view! {
                    <p>{t!(i18n, status.for_who,
                        algorithm = move || algorithm,
                        <subject> = move || view! { <SubjectLine username=username.clone() groups=groups.clone() /> })}</p>
                }.into_any()
            }
            KeyState::Missing => view! {
                <div class="card warning" data-testid="key-missing">
                    <p>{move || match status.with(|s| s.as_ref().and_then(|s| s.submitted_at)) {
                        Some(at) => {
                            let when = crate::components::time::format_utc(at.unix_timestamp() as f64 * 1000.0);
                            t!(i18n, status.key_elsewhere_on, when = move || when.clone(),
                                <strong> = |children: ChildrenFn| view! { <strong>{children()}</strong> }).into_any()
                        }
                        None => t!(i18n, status.key_elsewhere,
                            <strong> = |children: ChildrenFn| view! { <strong>{children()}</strong> }).into_any(),
                    }}</p>
                    <p>{t!(i18n, status.key_elsewhere_here_too)}</p>
                </div>
            }.into_any(),
            KeyState::Unavailable(reason) => view! {
                <div class="card warning" data-testid="key-missing"><p>{reason}</p></div>
            }.into_any(),
            KeyState::Forgotten => ().into_any(),
        }}
        <section class="card" aria-live="polite">
            <p class="status-line">{t!(i18n, status.status_is,
                <phase> = move || view! {
                    <strong class="badge" data-testid="phase"
                        data-phase=move || phase().map(phase_name).unwrap_or("Loading")>
                        {move || match phase() {
                            Some(phase) => phase_words(i18n, phase),
                            None => t_string!(i18n, status.loading),
                        }}
                    </strong>
                })}
            </p>
            {move || status.get().map(|status| {
                let has_key = matches!(key.get(), KeyState::Held(_));
                let contact = config.get().and_then(|c| c.ok()).and_then(|c| c.approvers_contact);
                view! {
                    <SentAt status=status.clone() />
                    <PhaseExplanation status has_key contact />
                }
            })}
            {move || (phase() == Some(Phase::Pending)).then(|| view! { <notify::Offer wanted=notify_wanted /> })}
        </section>
        {move || error.get().map(|error| view! { <div data-testid="status-error"><ErrorPanel error /></div> })}
        {move || {
            let held = matches!(key.get(), KeyState::Held(ref r) if !r.kubeconfig_downloaded);
            let waiting = matches!(phase(), Some(Phase::Pending | Phase::Approved));
            (held && waiting).then(|| view! { <KeepKeyCopy key /> })
        }}
        {move || {
            let held = matches!(key.get(), KeyState::Held(_));
            let withdraw_id = id.clone();
            let portal = portal.clone();
            (held && phase() == Some(Phase::Pending)).then(|| view! { <Withdraw portal id=withdraw_id key status /> })
        }}
        {move || {
            let status = status.get().filter(|s| s.phase == Phase::Issued)?;
            let config = config.get()?;
            Some(match config {
                Ok(config) => view! { <Issued status config key /> }.into_any(),
                Err(error) => view! { <ErrorPanel error /> }.into_any(),
            })
        }}
        {move || {
            let finished = matches!(
                phase(),
                Some(Phase::Denied | Phase::Failed | Phase::Gone | Phase::Withdrawn)
            );
            (finished && matches!(key.get(), KeyState::Held(_))).then(|| view! { <ForgetKey key /> })
        }}
        {move || matches!(key.get(), KeyState::Forgotten).then(|| view! {
            <p data-testid="key-forgotten">{t!(i18n, status.key_forgotten)}</p>
        })}
        <p><a href="/" rel="external">{t!(i18n, status.back)}</a></p>
    }
}

pub use crate::components::request_row::phase_words;
