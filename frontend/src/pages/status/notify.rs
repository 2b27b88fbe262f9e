//! An opt-in browser notification when the certificate is ready: the person asks for
//! it on the pending page (the browser asks for permission then, never unprompted).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::Phase;
use web_sys::{Notification, NotificationOptions, NotificationPermission};

/// Shows one notification once `phase` becomes Issued, if `wanted` (the person asked
/// and the browser allowed it).
pub fn when_issued(
    wanted: RwSignal<bool>,
    phase: impl Fn() -> Option<Phase> + Send + Sync + 'static,
) {
    Effect::new(move |told: Option<bool>| {
        let told = told.unwrap_or(false);
        if told || phase() != Some(Phase::Issued) || !wanted.get() {
            return told;
        }
        if Notification::permission() == NotificationPermission::Granted {
            let options = NotificationOptions::new();
            options.set_body("Your kubeconfig can be downloaded now.");
            let _ =
                Notification::new_with_options("Your certificate is ready — CertDesk", &options);
        }
        true
    });
}

/// "Notify me when it is ready", shown while the request waits; sets `wanted` when
/// the browser allows notifications.
#[component]
pub fn Offer(wanted: RwSignal<bool>) -> impl IntoView {
    let refused = RwSignal::new(false);
    let ask = move |_| {
        let Ok(promise) = Notification::request_permission() else {
            refused.set(true);
            return;
        };
        spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            let granted = Notification::permission() == NotificationPermission::Granted;
            wanted.try_set(granted);
            refused.try_set(!granted);
        });
    };
    view! {
        {move || if wanted.get() {
            view! { <p class="muted" data-testid="notify-on">"You will be notified here when it is ready (keep this tab open)."</p> }.into_any()
        } else {
            view! {
                <button type="button" class="secondary" data-testid="notify" on:click=ask>"Notify me when it is ready"</button>
            }.into_any()
        }}
        {move || refused.get().then(|| view! {
            <p class="muted">"The browser did not allow notifications; this page still updates by itself."</p>
        })}
    }
}
