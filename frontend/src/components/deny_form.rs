//! Denying a request: a reason is required, and the button stays disabled until one is
//! typed (the server checks it again).

use leptos::prelude::*;

use crate::i18n::{t, use_i18n};

/// The reason field and the Deny button. `on_deny` receives the trimmed reason.
#[component]
pub fn DenyForm(
    /// The reason typed so far; kept by the caller so an error does not lose it.
    reason: RwSignal<String>,
    /// Whether an action is in flight (disables the button).
    #[prop(into)]
    busy: Signal<bool>,
    /// Called with the reason when the approver denies.
    on_deny: Callback<String>,
    /// Set before `on_deny` runs: whether "Deny & next" was the button pressed; without
    /// it there is no "Deny & next".
    #[prop(optional)]
    then_next: Option<RwSignal<bool>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let missing = move || reason.with(|r| r.trim().is_empty());
    view! {
        <form
            class="deny-form"
            on:submit=move |ev| {
                ev.prevent_default();
                if !missing() && !busy.get() {
                    on_deny.run(reason.get_untracked().trim().to_owned());
                }
            }
        >
            <label for="deny-reason">{t!(i18n, deny.reason)}</label>
            <textarea
                id="deny-reason"
                data-testid="deny-reason"
                rows="3"
                maxlength="500"
                required
                prop:value=move || reason.get()
                on:input=move |ev| reason.set(event_target_value(&ev))
            ></textarea>
            <div class="actions">
                <button
                    type="submit"
                    class="danger"
                    data-testid="deny-button"
                    on:click=move |_| {
                        if let Some(next) = then_next {
                            next.set(false);
                        }
                    }
                    prop:disabled=move || missing() || busy.get()
                >
                    {t!(i18n, deny.deny)}
                </button>
                {then_next.map(|next| view! {
                    <button
                        type="submit"
                        class="secondary"
                        data-testid="deny-next"
                        on:click=move |_| next.set(true)
                        prop:disabled=move || missing() || busy.get()
                    >
                        {t!(i18n, deny.deny_next)}
                    </button>
                })}
            </div>
        </form>
    }
}
