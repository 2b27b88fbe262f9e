//! `/admin`: the approver signs in with their own Kubernetes bearer token, kept in this
//! tab's `sessionStorage` only, and sees who the cluster says they are.

use leptos::prelude::*;
use shared::ApiError;
use shared::ErrorCode;
use shared::admin::{Abilities, WhoAmI};

use crate::api;
use crate::components::approver_session;
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

/// Who is signed in and what they may do.
#[component]
pub fn SignedIn(who: WhoAmI) -> impl IntoView {
    let groups = if who.groups.is_empty() {
        "no groups".to_owned()
    } else {
        who.groups.join(", ")
    };
    view! {
        <p data-testid="signed-in-as">
            "Signed in as " <strong>{who.username.clone()}</strong> " (" {groups} ")"
        </p>
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
    let typed = RwSignal::new(String::new());
    let who: RwSignal<Option<WhoAmI>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);

    let verify = move |token: String, keep: bool| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::admin::whoami(&token).await {
                Ok(answer) => {
                    if keep && let Err(message) = approver_session::keep(&token) {
                        error.set(Some(ApiError::new(ErrorCode::BadRequest, message)));
                    } else {
                        error.set(None);
                    }
                    typed.set(String::new());
                    who.set(Some(answer));
                }
                Err(e) => {
                    if !keep {
                        // The kept token no longer works (expired or revoked).
                        approver_session::forget();
                    }
                    error.set(Some(e));
                    crate::components::focus::first_invalid();
                }
            }
            busy.set(false);
        });
    };

    // Coming back to the page: check the token this tab already holds.
    if let Some(token) = approver_session::token() {
        verify(token, false);
    }

    let sign_out = move |_| {
        approver_session::forget();
        who.set(None);
        error.set(None);
    };

    view! {
        <h1>"Approve access requests"</h1>
        {move || match who.get() {
            Some(answer) => view! {
                <section class="card">
                    <SignedIn who=answer />
                    <p class="actions">
                        <a href="/admin/requests" class="button" data-testid="to-requests">"See the requests"</a>
                        <a href="/admin/invites" class="button" data-testid="to-invites">"Invites"</a>
                        <a href="/admin/people" class="button" data-testid="to-people">"People"</a>
                        <button type="button" data-testid="sign-out" on:click=sign_out>"Sign out"</button>
                    </p>
                </section>
            }.into_any(),
            None => view! {
                <form
                    class="card"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        let token = typed.get_untracked().trim().to_owned();
                        if token.is_empty() {
                            error.set(Some(ApiError::new(ErrorCode::TokenMissing, "Paste your token first.")));
                            crate::components::focus::first_invalid();
                        } else {
                            verify(token, true);
                        }
                    }
                >
                    <p>
                        "Sign in with your own Kubernetes credentials: CertDesk acts with your token alone, so the cluster decides what you may do. "
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
                        aria-invalid=move || error.with(|e| e.as_ref().is_some_and(|e| matches!(
                            e.code,
                            ErrorCode::TokenMissing | ErrorCode::TokenInvalid
                        ))).to_string()
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))
                    />
                    <p class="muted small">
                        "Kept in this tab only (sessionStorage) and sent to CertDesk's server as an Authorization header; closing the tab forgets it."
                    </p>
                    <button type="submit" data-testid="sign-in" prop:disabled=move || busy.get()>
                        {move || if busy.get() { "Checking…" } else { "Sign in" }}
                    </button>
                </form>
            }.into_any(),
        }}
        {move || error.get().map(|error| {
            let token_refused = error.code == ErrorCode::TokenInvalid;
            view! {
                <div data-testid="error-panel"><ErrorPanel error /></div>
                {token_refused.then(|| view! {
                    <div class="card" id="token-help" data-testid="token-causes">
                        <p>"The cluster did not accept this token. Likely causes:"</p>
                        <ul>
                            <li>"it expired (" <code>"kubectl create token"</code> " makes tokens that last an hour unless " <code>"--duration"</code> " says otherwise);"</li>
                            <li>"it was copied in part, or with a line break or a " <code>"Bearer "</code> " prefix;"</li>
                            <li>"it is for another cluster, or its ServiceAccount was deleted."</li>
                        </ul>
                    </div>
                })}
            }
        })}
    }
}
