//! An opt-in browser notification when the certificate is ready: the person asks for
//! it on the pending page (the browser asks for permission then, never unprompted).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_i18n::I18nContext;
use shared::Phase;
use web_sys::{Notification, NotificationOptions, NotificationPermission};

use crate::i18n::{Locale, t, t_string, use_i18n};

/// Shows one notification once `phase` becomes Issued, if `wanted` (the person asked
/// and the browser allowed it).
pub fn when_issued(
    i18n: I18nContext<Locale>,
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
            options.set_body(t_string!(i18n, notify.body));
            let _ = Notification::new_with_options(t_string!(i18n, notify.title), &options);
        }
        true
    });
}

/// "Notify me when it is ready", shown while the request waits; sets `wanted` when
/// the browser allows notifications.
#[component]
pub fn Offer(wanted: RwSignal<bool>) -> impl IntoView {
    let i18n = use_i18n();
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
            view! { <p class="muted" data-testid="notify-on">{t!(i18n, notify.on)}</p> }.into_any()
        } else {
            view! {
                <button type="button" class="secondary" data-testid="notify" on:click=ask>{t!(i18n, notify.offer)}</button>
            }.into_any()
        }}
        {move || refused.get().then(|| view! {
            <p class="muted">{t!(i18n, notify.refused)}</p>
        })}
    }
}
