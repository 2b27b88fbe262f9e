//! `/admin/signed-in`: where the OpenID Connect issuer sends the browser back. The page
//! checks the answer (state, then the ID token's issuer, audience and nonce), keeps the
//! token for this tab and returns to the page the sign-in started from.

use leptos::prelude::*;
use shared::ApiError;

use crate::approver::{SignInOptions, oidc, use_approver};
use crate::components::error_panel::ErrorPanel;
use crate::i18n::{t, t_string, use_i18n};

/// The redirect URI's page.
#[component]
pub fn SignedInHere() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| crate::components::title::set(t_string!(i18n, signed_in.heading)));
    let approver = use_approver();
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let navigate = leptos_router::hooks::use_navigate();
    leptos::task::spawn_local(async move {
        match oidc::finish().await {
            Ok((token, refresh, return_to)) => match approver.keep_oidc(&token, refresh) {
                Ok(()) => navigate(
                    &return_to,
                    leptos_router::NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                ),
                Err(message) => error.set(Some(ApiError::new(
                    shared::ErrorCode::SignInFailed,
                    message,
                ))),
            },
            Err(e) => error.set(Some(e)),
        }
    });
    view! {
        <h1>{t!(i18n, signed_in.heading)}</h1>
        {move || match error.get() {
            None => view! { <p class="muted" data-testid="signing-in">{t!(i18n, signed_in.completing)}</p> }.into_any(),
            Some(error) => view! {
                <div data-testid="error-panel"><ErrorPanel error /></div>
                <SignInOptions />
            }.into_any(),
        }}
    }
}
