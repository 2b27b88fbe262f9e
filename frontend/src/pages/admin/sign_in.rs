//! `/admin`: the approver signs in with the issuer the operator configured ("Sign in with
//! …", OpenID Connect) or by pasting their own Kubernetes bearer token, kept in this
//! tab's `sessionStorage` only; then sees who the cluster says they are and what it lets
//! them do.

use leptos::prelude::*;
use shared::ApiError;
use shared::ErrorCode;
use shared::admin::{Abilities, WhoAmI};

use crate::api;
use crate::approver::{ClusterSees, RefusedToken, use_approver};
use crate::components::error_panel::ErrorPanel;
use crate::i18n::{Locale, t, t_string, use_i18n};

/// Each ability in plain words (a whole sentence, as allowed or not), and whether the
/// approver has it.
pub fn ability_words(
    i18n: leptos_i18n::I18nContext<Locale>,
    can: &Abilities,
) -> Vec<(bool, &'static str)> {
    let said = |yes: bool, may: &'static str, may_not: &'static str| {
        (yes, if yes { may } else { may_not })
    };
    vec![
        said(
            can.list_requests,
            t_string!(i18n, abilities.list_requests),
            t_string!(i18n, abilities.not_list_requests),
        ),
        said(
            can.approve && can.update_approval,
            t_string!(i18n, abilities.approve),
            t_string!(i18n, abilities.not_approve),
        ),
        said(
            can.create_role_bindings,
            t_string!(i18n, abilities.role_bindings),
            t_string!(i18n, abilities.not_role_bindings),
        ),
        said(
            can.create_cluster_role_bindings,
            t_string!(i18n, abilities.cluster_role_bindings),
            t_string!(i18n, abilities.not_cluster_role_bindings),
        ),
        said(
            can.create_invites,
            t_string!(i18n, abilities.invites),
            t_string!(i18n, abilities.not_invites),
        ),
        said(
            can.list_people,
            t_string!(i18n, abilities.people),
            t_string!(i18n, abilities.not_people),
        ),
    ]
}

/// What the cluster lets the approver do.
#[component]
pub fn SignedIn(who: WhoAmI) -> impl IntoView {
    let i18n = use_i18n();
    let can = who.can;
    view! {
        <ClusterSees who=who.clone() full=true />
        <p>{t!(i18n, sign_in.lets_you)}</p>
        <ul class="abilities" data-testid="abilities">
            {move || ability_words(i18n, &can).into_iter().map(|(yes, words)| view! {
                <li class=if yes { "can" } else { "cannot" } data-allowed=yes.to_string()>
                    {if yes { "✓ " } else { "✗ " }} {words}
                </li>
            }).collect_view()}
        </ul>
    }
}

/// The sign-in page.
#[component]
pub fn AdminSignIn() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| crate::components::title::set(t_string!(i18n, sign_in.title)));
    let approver = use_approver();
    let config = crate::config::use_config();
    let typed = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);

    approver.check_with_cluster();

    let paste = move |token: String| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = api::admin::whoami(&token).await;
            if answer.is_ok() {
                if let Err(message) = approver.keep_pasted(&token) {
                    error.set(Some(ApiError::new(ErrorCode::BadRequest, message)));
                } else {
                    error.set(None);
                    typed.set(String::new());
                }
            }
            let refused = answer.is_err();
            approver.set_who(answer);
            if refused {
                crate::components::focus::first_invalid();
            }
            busy.set(false);
        });
    };
    let start_oidc = move |_| {
        leptos::task::spawn_local(async move {
            if let Err(e) = crate::approver::oidc::begin("/admin/requests").await {
                error.set(Some(e));
            }
        });
    };

    view! {
        <h1>{t!(i18n, sign_in.heading)}</h1>
        {move || match (approver.signed_in(), approver.who()) {
            (true, Some(Ok(who))) => view! {
                <section class="card">
                    <SignedIn who />
                    <p class="actions">
                        <a href="/admin/requests" class="button" data-testid="to-requests">{t!(i18n, sign_in.to_requests)}</a>
                        <a href="/admin/invites" class="button" data-testid="to-invites">{t!(i18n, sign_in.to_invites)}</a>
                        <a href="/admin/people" class="button" data-testid="to-people">{t!(i18n, sign_in.to_people)}</a>
                    </p>
                </section>
            }.into_any(),
            (true, _) => view! { <p class="muted" data-testid="checking-sign-in">{t!(i18n, sign_in.checking_with_cluster)}</p> }.into_any(),
            (false, refused) => view! {
                {refused.and_then(Result::err).map(|error| view! { <RefusedToken error /> })}
                <Transition fallback=|| ()>
                    {move || config.get().and_then(Result::ok).and_then(|c| c.oidc).map(|oidc| {
                        let issuer = oidc.display_name.clone();
                        view! {
                            <section class="card" data-testid="oidc-sign-in">
                                <p>{t!(i18n, sign_in.oidc_intro)}</p>
                                <button type="button" class="button primary" data-testid="sign-in-oidc" on:click=start_oidc>
                                    {t!(i18n, sign_in.oidc_button, issuer = move || issuer.clone())}
                                </button>
                            </section>
                        }
                    })}
                </Transition>
                <form
                    class="card"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        let token = typed.get_untracked().trim().to_owned();
                        if token.is_empty() {
                            error.set(Some(ApiError::new(ErrorCode::TokenMissing, "Paste your token first.")));
                            crate::components::focus::first_invalid();
                        } else {
                            paste(token);
                        }
                    }
                >
                    <h2>{t!(i18n, sign_in.paste_heading)}</h2>
                    <p>{t!(i18n, sign_in.paste_intro,
                        <command> = || view! { <code>"kubectl create token <service-account> -n <namespace>"</code> })}</p>
                    <label for="admin-token">{t!(i18n, sign_in.token_label)}</label>
                    <input
                        id="admin-token"
                        data-testid="token-input"
                        type="password"
                        autocomplete="off"
                        spellcheck="false"
                        required
                        aria-describedby="token-help"
                        aria-invalid=move || {
                            let missing = error.with(|e| e.as_ref().is_some_and(|e| e.code == ErrorCode::TokenMissing));
                            let refused = matches!(approver.who(), Some(Err(e)) if e.code == ErrorCode::TokenInvalid);
                            (missing || refused).to_string()
                        }
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))
                    />
                    <p class="muted small" id="token-help">{t!(i18n, sign_in.token_help)}</p>
                    <button type="submit" data-testid="sign-in" prop:disabled=move || busy.get()>
                        {move || if busy.get() { t_string!(i18n, sign_in.checking) } else { t_string!(i18n, sign_in.submit) }}
                    </button>
                </form>
            }.into_any(),
        }}
        {move || error.get().map(|error| view! { <div data-testid="error-panel"><ErrorPanel error /></div> })}
    }
}
