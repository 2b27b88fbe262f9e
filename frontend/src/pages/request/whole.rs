//! What the whole form's app (`/start/`, `src/bin/start.rs`) adds to the start page:
//! an invite link's form, the choice of clusters when the operator listed peers (an
//! install with peers serves this app at `/` too), and sending from the page itself
//! (an invite's token stays in this page's memory). Nothing here is reached from
//! the first visit's app, so none of it is in that bundle.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use shared::invite::InviteInfo;
use shared::{ApiError, PortalConfig};

use super::clusters::{Choice, ClusterPicker};
use super::send::Submission;
use super::{Extras, Invitation};
use crate::api;
use crate::components::error_panel::ErrorPanel;
use crate::components::time;
use crate::i18n::{t, use_i18n};
use crate::keys::Step;
use crate::submission::{Failure, FailurePanel};

/// The whole form's [`Extras`].
pub struct Whole;

/// What the whole form's app passes to [`super::RequestAccess`].
pub static WHOLE: Whole = Whole;

impl Extras for Whole {
    fn invite_token(&self) -> Option<String> {
        invite_token_from_fragment()
    }

    fn open_invite(
        &self,
        token: String,
    ) -> Pin<Box<dyn Future<Output = Result<Invitation, ApiError>>>> {
        Box::pin(async move {
            api::invite(&token)
                .await
                .map(|info| Invitation { token, info })
        })
    }

    fn invite_card(&self, info: InviteInfo) -> AnyView {
        view! { <InviteCard info /> }.into_any()
    }

    fn invite_unusable(&self, error: ApiError) -> AnyView {
        let i18n = use_i18n();
        view! {
            <section class="card error" data-testid="invite-error" role="alert">
                <h2>{t!(i18n, start.invite_unusable)}</h2>
                <ErrorPanel error />
            </section>
        }
        .into_any()
    }

    fn ask_peers(&self, config: &PortalConfig, choice: Choice) {
        choice.ask_peers(config);
        // One key per chosen cluster, made at once: as many workers wait as clusters
        // are chosen, once the person has started (the peers' defaults arrive later).
        Effect::new(move |_| crate::keys::top_up_key_workers(choice.chosen.with(Vec::len)));
    }

    fn picker(&self, choice: Choice) -> AnyView {
        view! { <ClusterPicker choice /> }.into_any()
    }

    fn submit(
        &self,
        input: Submission,
        progress: RwSignal<Option<Step>>,
    ) -> Pin<Box<dyn Future<Output = Result<String, Failure>>>> {
        Box::pin(super::send::submit(input, progress))
    }

    fn failure_panel(&self, failure: Failure, retry: Callback<()>) -> AnyView {
        view! { <FailurePanel failure retry /> }.into_any()
    }

    fn prestart_workers(&self, rsa: bool, keys: usize) {
        if rsa {
            crate::keys::prestart_rsa_workers();
        } else {
            crate::keys::prestart_key_workers(keys.max(1));
        }
    }
}

/// Who invited the person, and what the invite sets.
#[component]
fn InviteCard(info: InviteInfo) -> impl IntoView {
    let i18n = use_i18n();
    let who = info.invited_by.clone();
    let until = time::format_utc(info.expires_at.unix_timestamp() as f64 * 1000.0);
    view! {
        <section class="card" data-testid="invite-card" aria-labelledby="invite-title">
            <h2 id="invite-title">{t!(i18n, start.invited_by,
                who = move || who.clone(),
                <by> = |children: ChildrenFn| view! { <span data-testid="invited-by">{children()}</span> })}</h2>
            <p>{t!(i18n, start.invite_sets, until = move || until.clone())}</p>
            {info.auto_approved.then(|| view! {
                <p data-testid="invite-auto">{t!(i18n, start.invite_auto)}</p>
            })}
        </section>
    }
}

/// Takes the invite token out of the page's URL fragment, if it holds one, and leaves
/// the address bar (and the session history) without it.
fn invite_token_from_fragment() -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    let fragment = location.hash().ok()?;
    let token = shared::invite::token_of_fragment(&fragment)?.to_owned();
    let clean = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&clean));
    }
    Some(token)
}
