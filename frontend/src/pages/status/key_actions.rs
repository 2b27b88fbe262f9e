//! What the requester can do with the key this browser keeps: keep a copy while the
//! request waits, withdraw the request with it, forget it once it is no longer needed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{ApiError, ErrorCode, RequestStatus};

use super::KeyState;
use crate::api;
use crate::components::download;
use crate::components::error_panel::ErrorPanel;
use crate::i18n::{t, t_string, use_i18n};
use crate::store::with_store;
use crate::submission::key_file_name;

/// "Keep a copy of your key": the stored key as a PEM file.
#[component]
pub fn KeepKeyCopy(key: RwSignal<KeyState>) -> impl IntoView {
    let saved = RwSignal::new(None::<Result<(), String>>);
    let save = move |_| {
        if let KeyState::Held(record) = key.get_untracked() {
            saved.set(Some(download::save_text(
                &key_file_name(&record.username),
                &record.private_key_pem,
                "application/x-pem-file",
            )));
        }
    };
    let i18n = use_i18n();
    view! {
        <div class="card">
            <p>{t!(i18n, key_actions.kept_here)}</p>
            <button type="button" class="secondary" data-testid="key-download" on:click=save>{t!(i18n, key_actions.keep_copy)}</button>
            {move || saved.get().map(|result| match result {
                Ok(()) => view! { <p class="muted">{t!(i18n, key_actions.key_offered)}</p> }.into_any(),
                Err(message) => view! { <p class="field-error">{message}</p> }.into_any(),
            })}
        </div>
    }
}

/// "Forget the key in this browser".
#[component]
pub fn ForgetKey(key: RwSignal<KeyState>) -> impl IntoView {
    let failed = RwSignal::new(None::<String>);
    let forget = move |_| {
        let KeyState::Held(record) = key.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let result = with_store(async |store| store.delete(&record.request_id).await).await;
            match result {
                Ok(()) => {
                    key.try_set(KeyState::Forgotten);
                }
                Err(e) => {
                    failed.try_set(Some(e.to_string()));
                }
            }
        });
    };
    let i18n = use_i18n();
    view! {
        <div class="card">
            <p>{t!(i18n, key_actions.not_needed)}</p>
            <button type="button" class="secondary" data-testid="forget-key" on:click=forget>{t!(i18n, key_actions.forget)}</button>
            {move || failed.get().map(|message| view! { <p class="field-error">{message}</p> })}
        </div>
    }
}

/// "Withdraw this request", after a confirmation: the key signs the request id, and
/// the server records the withdrawal. The new status replaces the page's.
#[component]
pub fn Withdraw(
    /// The CertDesk the request was sent to (empty: this one).
    portal: String,
    id: String,
    key: RwSignal<KeyState>,
    status: RwSignal<Option<RequestStatus>>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let id = StoredValue::new(id);
    let portal = StoredValue::new(portal);
    let withdraw = move |_| {
        let KeyState::Held(record) = key.get_untracked() else {
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let id = id.get_value();
            let proof = shared::keys::PrivateKey::from_pkcs8_pem(&record.private_key_pem)
                .map_err(|e| e.to_string())
                .and_then(|key| shared::withdrawal::sign(&key, &id).map_err(|e| e.to_string()));
            let result = match proof {
                Ok(proof) => api::withdraw(&portal.get_value(), &id, proof).await,
                Err(why) => Err(ApiError::new(
                    ErrorCode::Internal,
                    format!(
                        "This browser could not sign the withdrawal with the request's key: {why}"
                    ),
                )),
            };
            busy.try_set(false);
            match result {
                Ok(new) => {
                    status.try_set(Some(new));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    let i18n = use_i18n();
    view! {
        <div class="card">
            {move || if confirming.get() {
                view! {
                    <p role="alert">{t!(i18n, key_actions.withdraw_confirm)}</p>
                    <div class="actions">
                        <button type="button" class="danger" data-testid="withdraw-confirm"
                            disabled=move || busy.get() on:click=withdraw>
                            {move || if busy.get() { t_string!(i18n, key_actions.withdrawing) } else { t_string!(i18n, key_actions.withdraw_it) }}
                        </button>
                        <button type="button" class="secondary" data-testid="withdraw-cancel"
                            on:click=move |_| confirming.set(false)>{t!(i18n, key_actions.keep_it)}</button>
                    </div>
                }.into_any()
            } else {
                view! {
                    <p>{t!(i18n, key_actions.withdraw_why)}</p>
                    <button type="button" class="secondary" data-testid="withdraw"
                        on:click=move |_| confirming.set(true)>{t!(i18n, key_actions.withdraw)}</button>
                }.into_any()
            }}
            {move || error.get().map(|error| view! { <div data-testid="withdraw-error"><ErrorPanel error /></div> })}
        </div>
    }
}
