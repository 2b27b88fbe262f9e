//! Sending a request the first visit's form handed over (`/requests/new`, see
//! [`crate::handoff`]): the key made here in the key worker, the CSR sent, the key
//! kept in this browser, then the request's own page in its place. What stops it is
//! said here, with the way back to the form (which kept what was typed).

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use shared::keys::Subject;

use crate::components::progress::progress_words;
use crate::components::title;
use crate::handoff::{self, ToSend};
use crate::i18n::{t, t_string, use_i18n};
use crate::keys::Cancel;
use crate::pages::request::send::{SendTo, Submission, submit};
use crate::submission::{Attempt, Failure, FailurePanel};

/// The page: sends what was handed over, once, or says there is nothing to send.
#[component]
pub fn Sending() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| title::set(t_string!(i18n, sending.title)));
    let heading = view! { <h1>{t!(i18n, sending.heading)}</h1> };
    match handoff::take() {
        Some(request) => view! { {heading} <Send request /> }.into_any(),
        None => view! {
            {heading}
            <p class="card" data-testid="nothing-to-send">
                {t!(i18n, sending.nothing, <a> = |children: ChildrenFn| view! {
                    <a href="/" rel="external" data-testid="back-to-form">{children()}</a>
                })}
            </p>
        }
        .into_any(),
    }
}

#[component]
fn Send(request: ToSend) -> impl IntoView {
    let i18n = use_i18n();
    let config = crate::config::use_config();
    let attempt = Attempt::default();
    let Attempt {
        progress, failure, ..
    } = attempt;
    let sending = Action::new_local(move |handle: &Cancel| {
        let (request, handle) = (request.clone(), handle.clone());
        async move {
            // This install's cluster: the one the form was on.
            let cluster = config.await.map_err(Failure::Server)?.cluster_name;
            let input = Submission {
                algorithm: request.algorithm,
                subject: Subject {
                    username: request.username,
                    groups: request.groups,
                },
                seconds: request.seconds,
                note: request.note,
                invite: None,
                cancel: handle,
                renewed_by_plugin: request.renewed_by_plugin,
                targets: vec![SendTo {
                    name: cluster,
                    portal: String::new(),
                }],
            };
            submit(input, progress).await
        }
    });
    let busy = sending.pending();
    let start = Callback::new(move |()| {
        if busy.get_untracked() {
            return;
        }
        sending.dispatch_local(attempt.begin());
    });
    start.run(());
    let navigate = use_navigate();
    Effect::new(move |_| {
        let Some(outcome) = sending.value().get() else {
            return;
        };
        // The request's page takes this one's place (a reload or Back never comes here
        // to send it again).
        attempt.settle(outcome, |href| {
            navigate(
                href,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            )
        });
    });
    let on_cancel = move |_| attempt.cancel();
    view! {
        <section class="card" data-testid="sending" aria-busy=move || busy.get().to_string()>
            <p role="status" aria-live="polite" data-testid="keygen-progress">
                {move || progress.get().map(|p| progress_words(i18n, p))}
            </p>
            {move || busy.get().then(|| view! {
                <button type="button" class="secondary" data-testid="cancel-keygen" on:click=on_cancel>
                    {t!(i18n, form.cancel)}
                </button>
            })}
            {move || failure.get().map(|failure| view! { <FailurePanel failure retry=start /> })}
            {move || (!busy.get()).then(|| view! {
                <p><a href="/" rel="external" data-testid="back-to-form">{t!(i18n, sending.back)}</a></p>
            })}
        </section>
    }
}
