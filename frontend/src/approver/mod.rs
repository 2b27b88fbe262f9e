//! The approver's credential, one per tab, in one context ([`Approver`]) behind one guard
//! ([`RequireApprover`]): a pasted bearer token or an OpenID Connect sign-in, checked
//! with the cluster (SelfSubjectReview) before any approver page shows, kept fresh (a
//! refresh token where the issuer gives one, else one re-sign-in that returns to the
//! same page), and forgotten on sign-out.

pub mod oidc;
pub mod storage;

use std::time::Duration;

use leptos::prelude::*;
use shared::admin::WhoAmI;
use shared::{ApiError, ErrorCode};

use crate::components::error_panel::ErrorPanel;
use crate::i18n::{t, use_i18n};

/// How the tab signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A pasted bearer token.
    Token,
    /// The OpenID Connect sign-in.
    Oidc,
}

/// The approver's credential and what the cluster makes of it.
#[derive(Clone, Copy)]
pub struct Approver {
    token: RwSignal<Option<String>>,
    via: RwSignal<Via>,
    who: RwSignal<Option<Result<WhoAmI, ApiError>>>,
    /// The issuer's refresh token: in memory only (a reload loses it by design).
    refresh: StoredValue<Option<String>, LocalStorage>,
    timer: StoredValue<Option<TimeoutHandle>, LocalStorage>,
}

/// Starts the app's credential from what this tab kept (the approvers' app's root).
pub fn provide() -> Approver {
    let approver = Approver {
        token: RwSignal::new(storage::get(storage::TOKEN_KEY)),
        via: RwSignal::new(
            if storage::get(storage::VIA_KEY).as_deref() == Some("oidc") {
                Via::Oidc
            } else {
                Via::Token
            },
        ),
        who: RwSignal::new(None),
        refresh: StoredValue::new_local(None),
        timer: StoredValue::new_local(None),
    };
    provide_context(approver);
    approver.schedule_renewal();
    approver
}

/// A page the browser restores from its back-forward cache (Back after signing out and
/// leaving for the issuer) is loaded afresh, so it shows what this tab holds now.
pub fn reload_when_restored() {
    use wasm_bindgen::JsCast as _;
    let Some(window) = web_sys::window() else {
        return;
    };
    let handler = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::PageTransitionEvent)>::new(
        |event: web_sys::PageTransitionEvent| {
            if event.persisted()
                && let Some(window) = web_sys::window()
            {
                let _ = window.location().reload();
            }
        },
    );
    let _ = window.add_event_listener_with_callback("pageshow", handler.as_ref().unchecked_ref());
    // Lives as long as the page.
    handler.forget();
}

/// The app's credential.
pub fn use_approver() -> Approver {
    use_context::<Approver>().unwrap_or_else(provide)
}

impl Approver {
    /// The current token (untracked; empty when signed out). Read it at each call, never
    /// keep it: it changes when refreshed.
    pub fn token(&self) -> String {
        self.token.get_untracked().unwrap_or_default()
    }

    /// Whether the tab holds a token (tracked).
    pub fn signed_in(&self) -> bool {
        self.token.with(Option::is_some)
    }

    /// How the tab signed in (tracked).
    pub fn via(&self) -> Via {
        self.via.get()
    }

    /// What the cluster makes of the token, once asked (tracked).
    pub fn who(&self) -> Option<Result<WhoAmI, ApiError>> {
        self.who.get()
    }

    /// Keeps a pasted token for this tab.
    pub fn keep_pasted(&self, token: &str) -> Result<(), String> {
        storage::set(storage::TOKEN_KEY, token)?;
        storage::remove(storage::VIA_KEY);
        self.refresh.set_value(None);
        self.via.set(Via::Token);
        self.token.set(Some(token.to_owned()));
        Ok(())
    }

    /// Keeps a token from the issuer (and its refresh token, in memory), and schedules
    /// its renewal before it expires.
    pub fn keep_oidc(&self, token: &str, refresh: Option<String>) -> Result<(), String> {
        storage::set(storage::TOKEN_KEY, token)?;
        storage::set(storage::VIA_KEY, "oidc")?;
        self.refresh.set_value(refresh);
        self.via.set(Via::Oidc);
        self.token.set(Some(token.to_owned()));
        self.schedule_renewal();
        Ok(())
    }

    /// Asks the cluster who the tab's token belongs to (once a page load, and again
    /// for each new token); a refused token is forgotten, with the cluster's reason kept.
    pub fn check_with_cluster(&self) {
        let approver = *self;
        Effect::new(move |_| {
            approver.token.track();
            if !approver.signed_in() || approver.who.with_untracked(Option::is_some) {
                return;
            }
            let token = approver.token();
            leptos::task::spawn_local(async move {
                let answer = crate::api::admin::whoami(&token).await;
                if let Err(error) = &answer {
                    approver.refused(error);
                }
                approver.who.set(Some(answer));
            });
        });
    }

    /// Records the cluster's answer about the current token.
    pub fn set_who(&self, who: Result<WhoAmI, ApiError>) {
        self.who.set(Some(who));
    }

    /// Forgets the tab's credential (the page's and the storage's).
    pub fn forget(&self) {
        storage::remove(storage::TOKEN_KEY);
        storage::remove_peer_tokens();
        storage::remove(storage::VIA_KEY);
        self.refresh.set_value(None);
        if let Some(timer) = self.timer.try_update_value(Option::take).flatten() {
            timer.clear();
        }
        self.token.set(None);
        self.who.set(None);
    }

    /// The page's own answer to a refused token: forget it, so the guard asks to sign in.
    pub fn refused(&self, error: &ApiError) {
        if error.code == ErrorCode::TokenInvalid {
            self.forget();
            self.who.set(Some(Err(error.clone())));
        }
    }

    /// Signs out: forgets the credential and, after an OpenID Connect sign-in, ends the
    /// issuer's session (its `end_session_endpoint`) and comes back to `/admin`.
    pub fn sign_out(&self) {
        let via = self.via.get_untracked();
        self.forget();
        if via == Via::Oidc {
            leptos::task::spawn_local(oidc::end_session());
        }
    }

    /// Renews an issuer's token 30 s before it expires (at least 5 s from now).
    fn schedule_renewal(&self) {
        if let Some(timer) = self.timer.try_update_value(Option::take).flatten() {
            timer.clear();
        }
        if self.via.get_untracked() != Via::Oidc {
            return;
        }
        let Some(expires) = self
            .token
            .get_untracked()
            .and_then(|t| shared::oidc::read_claims(&t))
            .and_then(|c| c.expires)
        else {
            return;
        };
        let now = (js_sys::Date::now() / 1000.0) as i64;
        let wait = (expires - now - 30).max(5) as u64;
        let this = *self;
        let handle = set_timeout_with_handle(
            move || leptos::task::spawn_local(this.renew()),
            Duration::from_secs(wait),
        );
        if let Ok(handle) = handle {
            self.timer.set_value(Some(handle));
        }
    }

    /// With a refresh token: a new token, silently. Without one (or when the issuer
    /// refuses it): one re-sign-in that returns to this page.
    async fn renew(self) {
        if let Some(refresh) = self.refresh.get_value()
            && let Ok((token, refresh)) = oidc::refresh(&refresh).await
            && self.keep_oidc(&token, refresh).is_ok()
        {
            return;
        }
        oidc::begin(&oidc::here()).await.ok();
    }
}

/// Shows its children only to a signed-in approver whose token the cluster accepts
/// (asked once per page load), with who the cluster sees and a way to sign out above
/// them; otherwise the ways to sign in, returning to this page.
#[component]
pub fn RequireApprover(children: ChildrenFn) -> impl IntoView {
    let i18n = use_i18n();
    let approver = use_approver();
    approver.check_with_cluster();
    let children = StoredValue::new(children);
    move || {
        match (approver.signed_in(), approver.who()) {
        (true, Some(Ok(who))) => view! {
            <ClusterSees who />
            {children.read_value()()}
        }
        .into_any(),
        (true, Some(Err(error))) => view! { <div data-testid="error-panel"><ErrorPanel error /></div> }.into_any(),
        (true, None) => view! { <p class="muted" data-testid="checking-sign-in">{t!(i18n, sign_in.checking_with_cluster)}</p> }.into_any(),
        (false, refused) => view! {
            {refused.and_then(Result::err).map(|error| view! { <RefusedToken error /> })}
            <SignInOptions />
        }
        .into_any(),
    }
    }
}

/// "The cluster sees you as …", with sign-out: one short line beside each approver
/// page's heading (the groups in full on `/admin`, "Your access").
#[component]
pub fn ClusterSees(who: WhoAmI, #[prop(optional)] full: bool) -> impl IntoView {
    let i18n = use_i18n();
    let approver = use_approver();
    let groups = if who.groups.is_empty() {
        "no groups".to_owned()
    } else {
        who.groups.join(", ")
    };
    let shown_groups = (!who.groups.is_empty()).then(|| who.groups.join(", "));
    let username = who.username.clone();
    let user = move || view! { <strong data-testid="cluster-username">{username.clone()}</strong> };
    let seen = match (full, shown_groups) {
        (true, Some(groups)) => {
            t!(i18n, approver.sees_in_groups, <user> = user, <groups> = move || groups.clone())
                .into_any()
        }
        (true, None) => t!(i18n, approver.sees_no_groups, <user> = user).into_any(),
        (false, _) => t!(i18n, approver.sees, <user> = user).into_any(),
    };
    view! {
        <p class=if full { "cluster-sees-full" } else { "cluster-sees" } data-testid="cluster-sees" data-groups=groups>
            {seen}
            " "
            <button type="button" class="link" data-testid="sign-out" on:click=move |_| approver.sign_out()>{t!(i18n, approver.sign_out)}</button>
        </p>
    }
}

/// The ways to sign in: the issuer first (when configured), then pasting a token.
#[component]
pub fn SignInOptions() -> impl IntoView {
    let i18n = use_i18n();
    let config = crate::config::use_config();
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    view! {
        <div class="card" data-testid="sign-in-first">
            <p>{t!(i18n, approver.sign_in_first)}</p>
            <Transition fallback=|| ()>
                {move || config.get().and_then(Result::ok).and_then(|c| c.oidc).map(|oidc| {
                    let issuer = oidc.display_name.clone();
                    view! {
                        <p>
                            <button type="button" class="button primary" data-testid="sign-in-oidc"
                                on:click=move |_| leptos::task::spawn_local(async move {
                                    if let Err(e) = oidc::begin(&oidc::here()).await { error.set(Some(e)); }
                                })>
                                {t!(i18n, sign_in.oidc_button, issuer = move || issuer.clone())}
                            </button>
                        </p>
                    }
                })}
            </Transition>
            <p><a href="/admin" data-testid="paste-token-link">{t!(i18n, sign_in.paste_heading)}</a></p>
            {move || error.get().map(|error| view! { <ErrorPanel error /> })}
        </div>
    }
}

/// Why the cluster refused the token, and, when the API server's configuration is the
/// fix, the `AuthenticationConfiguration` the administrator must give it.
#[component]
pub fn RefusedToken(error: ApiError) -> impl IntoView {
    let i18n = use_i18n();
    let snippet = error
        .details
        .as_ref()
        .and_then(|d| d.get("authentication_config"))
        .and_then(|s| s.as_str())
        .map(str::to_owned);
    let cause = error
        .details
        .as_ref()
        .and_then(|d| d.get("refusal"))
        .and_then(|r| r.get("cause"))
        .and_then(|c| c.as_str())
        .unwrap_or("unknown")
        .to_owned();
    view! {
        <div data-testid="token-refused" data-cause=cause>
            <div data-testid="error-panel"><ErrorPanel error /></div>
            {snippet.map(|yaml| view! {
                <div class="card" data-testid="authentication-config">
                    <p>{t!(i18n, approver.authentication_config,
                        <flag> = || view! { <code>"--authentication-config"</code> },
                        <field> = || view! { <code>"certificateAuthority"</code> })}</p>
                    <pre><code>{yaml}</code></pre>
                    <p><a href="https://kubernetes.io/docs/reference/access-authn-authz/authentication/#using-authentication-configuration" rel="external noopener">
                        {t!(i18n, approver.authentication_config_docs)}</a></p>
                </div>
            })}
        </div>
    }
}
