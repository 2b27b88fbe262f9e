//! `/admin/requests/:name`: one request decoded, the roles to grant with a preview of
//! what they allow, and the decision: approve with an optional message, or deny with a
//! required reason. A refusal shows the API server's own message and keeps what the
//! approver typed.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::admin::{ApproveBody, ApproveOutcome, DenyBody, IdentityCheck, RequestView};
use shared::admin_preview::{GrantRules, preview};
use shared::{ApiError, ErrorCode, Phase};

use super::decided::{WayOn, navigation, open_next};
use super::place;
use crate::api;
use crate::approver::use_approver;
use crate::components::approve_outcome::ApproveOutcomeView;
use crate::components::can_i_preview::CanIPreview;
use crate::components::deny_form::DenyForm;
use crate::components::error_panel::{ErrorPanel, ErrorWords};
use crate::components::grant_picker::GrantPicker;
use crate::components::picked_grant::{Answer, PickedGrantPrompt};
use crate::components::request_details::RequestDetails;
use crate::i18n::{t, t_string, use_i18n};

/// Seconds a denial waits for Undo before it is written.
const UNDO_SECONDS: u64 = 5;

/// What loading the request gave.
#[derive(Clone, PartialEq)]
enum Loaded {
    Found(Box<RequestView>),
    Missing,
    Failed(ApiError),
}

/// The request detail page.
#[component]
pub fn AdminRequest() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| crate::components::title::set(t_string!(i18n, detail.title)));
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let approver = use_approver();

    let loaded: RwSignal<Option<Loaded>> = RwSignal::new(None);
    // The bindings CertDesk made for the username that still exist (decided requests).
    let current: RwSignal<Vec<shared::people::BindingRef>> = RwSignal::new(Vec::new());
    let grants: RwSignal<Vec<GrantRules>> = RwSignal::new(Vec::new());
    let message = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let action_error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let outcome: RwSignal<Option<ApproveOutcome>> = RwSignal::new(None);
    let denied = RwSignal::new(false);
    // "Approve & next" / "Deny & next": open the next pending request once decided.
    let then_next = RwSignal::new(false);
    let none_left = RwSignal::new(false);

    // A role picked in the grant picker but not added, and whether Approve asked about
    // it: an approval never drops it silently.
    let picked: RwSignal<Option<GrantRules>> = RwSignal::new(None);
    let asking = RwSignal::new(false);
    let prefilled = RwSignal::new(false);
    let identity: RwSignal<Option<Result<IdentityCheck, ApiError>>> = RwSignal::new(None);
    // Another approved request the signer never issued: this cluster may not sign.
    let stalled_elsewhere: RwSignal<Option<String>> = RwSignal::new(None);
    let reload = move || {
        let wanted = name();
        let token = approver.token();
        leptos::task::spawn_local(async move {
            // The cluster's answer to "may I hand out this identity?", before the click.
            let check = api::admin::identity(&token, &wanted).await;
            let fetched = api::admin::request(&token, &wanted).await;
            // The page moved on to another request meanwhile ("& next"): drop this.
            if params.with_untracked(|p| p.get("name")).as_deref() != Some(wanted.as_str()) {
                return;
            }
            identity.set(Some(check));
            let answer = match fetched {
                Ok(detail) => {
                    stalled_elsewhere.set(detail.signer_warning);
                    current.set(detail.current_bindings);
                    Loaded::Found(Box::new(detail.request))
                }
                Err(e) if e.code == ErrorCode::NotFound => Loaded::Missing,
                Err(e) => Loaded::Failed(e),
            };
            // A request made with an invite starts with the invite's grants chosen.
            let invited = match &answer {
                Loaded::Found(view) if view.phase == Phase::Pending => view
                    .invite
                    .as_ref()
                    .map(|i| i.grants.clone())
                    .filter(|g| !g.is_empty()),
                _ => None,
            };
            loaded.set(Some(answer));
            if let Some(invited) = invited
                && !prefilled.get_untracked()
                && grants.with_untracked(Vec::is_empty)
            {
                prefilled.set(true);
                match api::admin::grant_rules(&token, &invited).await {
                    Ok(rules) => grants.set(rules),
                    Err(e) => action_error.set(Some(e)),
                }
            }
        });
    };
    Effect::new(move |_| {
        // Runs again when the route's name changes: a new request, a fresh page.
        name();
        loaded.set(None);
        identity.set(None);
        outcome.set(None);
        denied.set(false);
        action_error.set(None);
        none_left.set(false);
        grants.set(Vec::new());
        prefilled.set(false);
        message.set(String::new());
        reason.set(String::new());
        reload();
    });

    let navigate = navigation();
    let go_next = move || {
        open_next(approver, navigate, name(), none_left, action_error);
    };
    // The decisions are Actions (the approver's token read when each is sent); their
    // answers land here.
    let approving = Action::new_local(move |(name, body): &(String, ApproveBody)| {
        let (token, name, body) = (approver.token(), name.clone(), body.clone());
        async move { api::admin::approve(&token, &name, &body).await }
    });
    let denying = Action::new_local(move |(name, body): &(String, DenyBody)| {
        let (token, name, body) = (approver.token(), name.clone(), body.clone());
        async move { api::admin::deny(&token, &name, &body).await }
    });
    // Each decision's answer: only the answer is followed (what handling it reads, such
    // as the route's name in reload, must not run it again); a refusal is shown.
    fn on_answer<T: Clone + Send + Sync + 'static>(
        action: Action<(String, impl Clone + Send + Sync + 'static), Result<T, ApiError>>,
        done: impl Fn(T) + 'static,
        approver: crate::approver::Approver,
        action_error: RwSignal<Option<ApiError>>,
        busy: RwSignal<bool>,
    ) {
        Effect::new(move |_| {
            let Some(answer) = action.value().get() else {
                return;
            };
            untrack(|| match answer {
                Ok(value) => done(value),
                Err(e) => {
                    approver.refused(&e);
                    action_error.set(Some(e));
                }
            });
            busy.set(false);
        });
    }
    on_answer(
        approving,
        move |answer: ApproveOutcome| {
            let complete = answer.complete;
            outcome.set(Some(answer));
            if complete && then_next.get_untracked() {
                go_next();
            }
            reload();
        },
        approver,
        action_error,
        busy,
    );
    on_answer(
        denying,
        move |()| {
            denied.set(true);
            if then_next.get_untracked() {
                go_next();
            }
            reload();
        },
        approver,
        action_error,
        busy,
    );
    let send_approval = move || {
        busy.set(true);
        asking.set(false);
        action_error.set(None);
        let body = ApproveBody {
            grants: grants
                .get_untracked()
                .into_iter()
                .map(|g| g.grant)
                .collect(),
            message: Some(message.get_untracked().trim().to_owned()).filter(|m| !m.is_empty()),
        };
        approving.dispatch_local((name(), body));
    };
    // Approve: first ask about a picked grant that was not added.
    let approve = move |_: ()| {
        if picked.with_untracked(Option::is_some) {
            asking.set(true);
        } else {
            send_approval();
        }
    };
    let answer = Callback::new(move |answer: Answer| match answer {
        Answer::AddAndApprove => {
            if let Some(chosen) = picked.get_untracked() {
                grants.update(|list| list.push(chosen));
            }
            send_approval();
        }
        Answer::ApproveWithout => send_approval(),
        Answer::Back => asking.set(false),
    });
    let phase = move || match loaded.get() {
        Some(Loaded::Found(v)) => Some(v.phase),
        _ => None,
    };
    // The cluster already said this approver may not issue this identity.
    let refused = move || {
        phase() == Some(Phase::Pending)
            && identity.with(|i| matches!(i, Some(Ok(check)) if !check.allowed))
    };
    let send_deny = Callback::new(move |why: String| {
        busy.set(true);
        action_error.set(None);
        denying.dispatch_local((name(), DenyBody { reason: why }));
    });
    // "Deny" waits a few seconds before anything is written, with Undo; "Deny & next"
    // (the approver chose speed) writes at once. Leaving the page while it waits still
    // denies: the button was pressed.
    let waiting_deny = RwSignal::new(None::<String>);
    let timer = StoredValue::new_local(None::<leptos::prelude::TimeoutHandle>);
    let deny = Callback::new(move |why: String| {
        if then_next.get_untracked() {
            send_deny.run(why);
            return;
        }
        busy.set(true);
        waiting_deny.set(Some(why));
        let handle = set_timeout_with_handle(
            move || {
                if let Some(Some(why)) = waiting_deny.try_get_untracked() {
                    waiting_deny.set(None);
                    send_deny.run(why);
                }
            },
            std::time::Duration::from_secs(UNDO_SECONDS),
        );
        timer.set_value(handle.ok());
    });
    let undo = move |_| {
        timer.update_value(|t| {
            if let Some(t) = t.take() {
                t.clear();
            }
        });
        waiting_deny.set(None);
        busy.set(false);
    };
    on_cleanup(move || {
        let Some(Some(why)) = waiting_deny.try_get_untracked() else {
            return;
        };
        if let Some(Some(t)) = timer.try_update_value(Option::take) {
            t.clear();
        }
        let (Some(token), Some(name)) = (
            Some(approver.token()),
            params.try_with_untracked(|p| p.get("name")).flatten(),
        ) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let _ = api::admin::deny(&token, &name, &DenyBody { reason: why }).await;
        });
    });
    let scopes = Signal::derive(move || grants.with(|g| preview(g)));
    // Decided here, now: the form gives way to a summary and the way on.
    let decided = move || denied.get() || outcome.with(|o| o.as_ref().is_some_and(|o| o.complete));

    view! {
        <p><a href=place::list_href() data-testid="to-list">{t!(i18n, detail.to_list)}</a></p>
        <h1>{t!(i18n, detail.heading, <name> = move || view! { <code>{name}</code> })}</h1>
        {move || match loaded.get() {
            None => view! { <p class="muted">{t!(i18n, detail.loading)}</p> }.into_any(),
            Some(Loaded::Missing) => view! {
                <div class="card" data-testid="request-missing">
                    <p>{t!(i18n, detail.missing)}</p>
                </div>
            }.into_any(),
            Some(Loaded::Failed(error)) => view! {
                <div data-testid="error-panel"><ErrorPanel error /></div>
            }.into_any(),
            Some(Loaded::Found(view)) => view! {
                {view.not_issued.clone().map(|why| view! {
                    <p class="card warning" role="alert" data-testid="not-issued">{why}</p>
                })}
                <RequestDetails view=*view />
                {move || matches!(phase(), Some(Phase::Approved | Phase::Issued)).then(|| view! {
                    <section class="card" data-testid="current-grants" aria-labelledby="current-title">
                        <h2 id="current-title">{t!(i18n, detail.granted_now)}</h2>
                        {move || if current.with(Vec::is_empty) {
                            view! { <p class="muted">{t!(i18n, detail.granted_none)}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="bindings">
                                    {current.get().iter().map(|b| view! {
                                        <li data-testid="current-grant">{super::people::binding_words(i18n, b)}</li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </section>
                })}
            }.into_any(),
        }}
        {move || (phase() == Some(Phase::Pending)).then(|| stalled_elsewhere.get()).flatten().map(|why| view! {
            <p class="card warning" role="alert" data-testid="signer-warning">
                {t!(i18n, detail.signer_warning)}
                {crate::language::is_english(i18n).then(|| view! { " " {why} })}
            </p>
        })}
        {move || waiting_deny.get().map(|_| view! {
            <p class="card warning" role="status" data-testid="deny-pending">
                {t!(i18n, detail.deny_waiting, seconds = move || UNDO_SECONDS)} " "
                <button type="button" data-testid="deny-undo" on:click=undo>{t!(i18n, detail.undo)}</button>
            </p>
        })}
        {move || denied.get().then(|| view! {
            <p class="card" role="status" data-testid="denied">{t!(i18n, detail.denied)}</p>
        })}
        {move || outcome.get().map(|o| view! { <ApproveOutcomeView outcome=o /> })}
        {move || decided().then(|| view! { <WayOn current=name() none_left /> })}
        <Show when=move || !decided() && matches!(phase(), Some(Phase::Pending | Phase::Approved | Phase::Issued))>
            <section class="card decide" aria-labelledby="decide-title">
                <h2 id="decide-title">
                    {move || if phase() == Some(Phase::Pending) {
                        t_string!(i18n, detail.decide)
                    } else {
                        t_string!(i18n, detail.grant_approved)
                    }}
                </h2>
                <Show when=move || phase() == Some(Phase::Pending)>
                    <IdentityAnswer identity />
                </Show>
                <GrantPicker grants picked />
                <h3>{t!(i18n, detail.roles_allow)}</h3>
                <CanIPreview scopes />
                <form
                    class="approve-form"
                    on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        if !busy.get_untracked() {
                            approve(());
                        }
                    }
                >
                    <label for="approve-message">{t!(i18n, detail.message_label)}</label>
                    <textarea
                        id="approve-message"
                        data-testid="approve-message"
                        rows="2"
                        maxlength="500"
                        prop:value=move || message.get()
                        on:input=move |ev| message.set(event_target_value(&ev))
                    ></textarea>
                    {move || (grants.with(Vec::is_empty) && picked.with(Option::is_none) && phase() == Some(Phase::Pending)).then(|| view! {
                        <p class="muted" data-testid="no-grant-note">
                            {t!(i18n, detail.no_grant)}
                        </p>
                    })}
                    {move || refused().then(|| view! {
                        <p class="hint" data-testid="approve-refused-reason">
                            {t!(i18n, detail.approve_off)}
                        </p>
                    })}
                    {move || (asking.get()).then(|| picked.get()).flatten().map(|p| view! {
                        <PickedGrantPrompt picked=p answer />
                    })}
                    <div class="actions">
                        <button type="submit" class="primary" data-testid="approve-button"
                            on:click=move |_| then_next.set(false) prop:disabled=move || busy.get() || refused()>
                            {move || if phase() == Some(Phase::Pending) { t_string!(i18n, detail.approve) } else { t_string!(i18n, detail.make_bindings) }}
                        </button>
                        <Show when=move || phase() == Some(Phase::Pending)>
                            <button type="submit" class="secondary" data-testid="approve-next"
                                on:click=move |_| then_next.set(true) prop:disabled=move || busy.get() || refused()>
                                {t!(i18n, detail.approve_next)}
                            </button>
                        </Show>
                    </div>
                </form>
                <Show when=move || phase() == Some(Phase::Pending)>
                    <DenyForm reason busy on_deny=deny then_next=then_next />
                </Show>
                {move || action_error.get().map(|error| view! {
                    <div data-testid="error-panel" data-action="true"><ErrorPanel error /></div>
                })}
            </section>
        </Show>
    }
    .into_any()
}

/// The identity check's answer, beside the decision: whether the cluster lets this
/// approver issue the requested username and groups, and if not, what is missing. In
/// English the server's own words; in another language the catalogue's, with the
/// missing permissions as the cluster names them.
#[component]
fn IdentityAnswer(identity: RwSignal<Option<Result<IdentityCheck, ApiError>>>) -> impl IntoView {
    let i18n = use_i18n();
    move || match identity.get() {
        None => view! {
            <p class="muted" data-testid="identity-check">{t!(i18n, detail.identity_checking)}</p>
        }
        .into_any(),
        Some(Ok(check)) => {
            let class = if check.allowed {
                "identity ok"
            } else {
                "identity refused"
            };
            let said = if crate::language::is_english(i18n) {
                check.message.clone().into_any()
            } else if check.allowed {
                t!(i18n, detail.identity_allowed).into_any()
            } else {
                let missing = check.missing.join(", ");
                t!(i18n, detail.identity_refused,
                    <missing> = move || view! { <code>{missing.clone()}</code> })
                .into_any()
            };
            view! {
                <p class=class role="status" data-testid="identity-check"
                    data-allowed=check.allowed.to_string()>
                    {said}
                </p>
            }
            .into_any()
        }
        Some(Err(error)) => view! {
            <p class="identity refused" data-testid="identity-check" data-allowed="false">
                {t!(i18n, detail.identity_unchecked, <why> = move || view! {
                    <ErrorWords error=error.clone() />
                })}
            </p>
        }
        .into_any(),
    }
}
