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

/// Each ability in plain words, and whether the approver has it.
pub fn ability_words(can: &Abilities) -> Vec<(bool, &'static str)> {
    vec![
        (can.list_requests, "see the certificate requests"),
        (
            can.approve && can.update_approval,
            "approve or deny requests for client certificates",
        ),
        (
            can.create_role_bindings,
            "grant Roles and ClusterRoles in namespaces (RoleBindings)",
        ),
        (
            can.create_cluster_role_bindings,
            "grant ClusterRoles cluster-wide (ClusterRoleBindings)",
        ),
        (can.create_invites, "invite people with a link"),
        (
            can.list_people,
            "see who holds CertDesk certificates, and remove their access",
        ),
    ]
}

/// What the cluster lets the approver do.
#[component]
pub fn SignedIn(who: WhoAmI) -> impl IntoView {
    view! {
        <ClusterSees who=who.clone() full=true />
        <p>"The cluster lets you:"</p>
        <ul class="abilities" data-testid="abilities">
            {ability_words(&who.can).into_iter().map(|(yes, words)| view! {
                <li class=if yes { "can" } else { "cannot" } data-allowed=yes.to_string()>
                    {if yes { "✓ You may " } else { "✗ You may not " }} {words}
                </li>
            }).collect_view()}
        </ul>
    }
}

/// The sign-in page.
#[component]
pub fn AdminSignIn() -> impl IntoView {
    crate::components::title::set("Approvers: sign in");
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
        <h1>"Approve access requests"</h1>
        {move || match (approver.signed_in(), approver.who()) {
            (true, Some(Ok(who))) => view! {
                <section class="card">
                    <SignedIn who />
                    <p class="actions">
                        <a href="/admin/requests" class="button" data-testid="to-requests">"See the requests"</a>
                        <a href="/admin/invites" class="button" data-testid="to-invites">"Invites"</a>
                        <a href="/admin/people" class="button" data-testid="to-people">"People"</a>
                    </p>
                </section>
            }.into_any(),
            (true, _) => view! { <p class="muted" data-testid="checking-sign-in">"Checking your sign-in with the cluster…"</p> }.into_any(),
            (false, refused) => view! {
                {refused.and_then(Result::err).map(|error| view! { <RefusedToken error /> })}
                <Transition fallback=|| ()>
                    {move || config.get().and_then(Result::ok).and_then(|c| c.oidc).map(|oidc| view! {
                        <section class="card" data-testid="oidc-sign-in">
                            <p>"Sign in as you sign in to the cluster: CertDesk sends the issuer's token to the API server, which decides what you may do."</p>
                            <button type="button" class="button primary" data-testid="sign-in-oidc" on:click=start_oidc>
                                "Sign in with " {oidc.display_name.clone()}
                            </button>
                        </section>
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
                    <h2>"Paste a token"</h2>
                    <p>
                        "CertDesk acts with your token alone, so the cluster decides what you may do. "
                        "Get a token with " <code>"kubectl create token <service-account> -n <namespace>"</code>
                        " or use an OIDC ID token the cluster accepts."
                    </p>
                    <label for="admin-token">"Bearer token"</label>
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
                    <p class="muted small" id="token-help">
                        "Kept in this tab only (sessionStorage) and sent to CertDesk's server as an Authorization header; closing the tab forgets it."
                    </p>
                    <button type="submit" data-testid="sign-in" prop:disabled=move || busy.get()>
                        {move || if busy.get() { "Checking…" } else { "Sign in" }}
                    </button>
                </form>
            }.into_any(),
        }}
        {move || error.get().map(|error| view! { <div data-testid="error-panel"><ErrorPanel error /></div> })}
    }
}
