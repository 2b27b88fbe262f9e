//! `/admin/people`: everyone CertDesk issued a certificate to, with their live
//! certificates (time left; expiring soon highlighted) and the bindings CertDesk made
//! for them, and "remove access", which deletes those bindings with the approver's own
//! token, denies their pending requests and renewals, and records the removal so that
//! nothing is approved or renewed for them until "restore access". It says plainly that
//! a client certificate cannot be revoked: it authenticates until it expires, which is
//! when their access ends.

use leptos::prelude::*;
use shared::ApiError;
use shared::admin::RoleKind;
use shared::people::{BindingRef, PersonView, RemoveAccessOutcome};

use super::AdminNav;
use crate::api;
use crate::approver::use_approver;
use crate::components::error_panel::ErrorPanel;
use crate::components::time;

/// Milliseconds since the epoch of a Unix time in seconds (what the time helpers take).
fn ms(unix_seconds: i64) -> f64 {
    unix_seconds as f64 * 1000.0
}

/// A binding in words: "RoleBinding certdesk:minjun:pod-reader (Role pod-reader) in default".
pub fn binding_words(binding: &BindingRef) -> String {
    let role_kind = match binding.role_kind {
        RoleKind::Role => "Role",
        RoleKind::ClusterRole => "ClusterRole",
    };
    let place = binding
        .namespace
        .as_deref()
        .map_or_else(|| " cluster-wide".to_owned(), |n| format!(" in {n}"));
    format!(
        "{} {} ({role_kind} {}){place}",
        binding.kind, binding.name, binding.role
    )
}

/// The People page.
#[component]
pub fn AdminPeople() -> impl IntoView {
    crate::components::title::set("People");
    let approver = use_approver();
    // The list, fetched again after each decision; decisions are Actions whose answer
    // the page shows.
    let list = LocalResource::new(move || {
        let token = approver.token();
        async move { api::admin::people(&token).await }
    });
    let remove_access = Action::new_local(move |username: &String| {
        let (token, username) = (approver.token(), username.clone());
        async move { api::admin::remove_access(&token, &username).await.map(Some) }
    });
    let restore_access = Action::new_local(move |username: &String| {
        let (token, username) = (approver.token(), username.clone());
        async move {
            api::admin::restore_access(&token, &username)
                .await
                .map(|()| None)
        }
    });
    let outcome: RwSignal<Option<RemoveAccessOutcome>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    for action in [remove_access, restore_access] {
        Effect::new(move |_| {
            let Some(answer) = action.value().get() else {
                return;
            };
            untrack(move || match answer {
                Ok(removed) => {
                    outcome.set(removed);
                    list.refetch();
                }
                Err(e) => {
                    approver.refused(&e);
                    error.set(Some(e));
                }
            });
        });
    }
    // The username being removed or restored now.
    let busy = Signal::derive(move || {
        remove_access
            .input()
            .get()
            .or_else(|| restore_access.input().get())
    });
    let start = move |action: Action<String, Result<Option<RemoveAccessOutcome>, ApiError>>| {
        Callback::new(move |username: String| {
            error.set(None);
            outcome.set(None);
            action.dispatch_local(username);
        })
    };
    let actions = PersonActions {
        busy,
        remove: start(remove_access),
        restore: start(restore_access),
    };

    view! {
        <AdminNav />
        <h1>"People"</h1>
        <p class="help">
            "Everyone CertDesk issued a client certificate to. Kubernetes cannot revoke a client certificate: "
            "it authenticates until it expires. Removing access deletes the role bindings CertDesk made for the "
            "person and denies their pending requests; CertDesk then approves and renews nothing for them, so "
            "their access ends when their last certificate expires (hours, with the credential plugin)."
        </p>
        {move || error.get().map(|error| view! { <div data-testid="error-panel"><ErrorPanel error /></div> })}
        {move || outcome.get().map(|o| view! { <RemovalOutcome outcome=o /> })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || list.get().map(|answer| match answer {
                Err(error) => view! { <div data-testid="error-panel"><ErrorPanel error /></div> }.into_any(),
                Ok(people) if people.is_empty() => view! {
                    <p class="muted" data-testid="no-people">"CertDesk has issued no certificates yet."</p>
                }.into_any(),
                Ok(people) => view! {
                    <ul class="requests" data-testid="people">
                        {people.into_iter().map(|person| view! { <Person person actions /> }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Transition>
    }
    .into_any()
}

/// What a person's buttons do.
#[derive(Clone, Copy)]
struct PersonActions {
    /// The username being removed or restored now.
    busy: Signal<Option<String>>,
    remove: Callback<String>,
    restore: Callback<String>,
}

#[component]
fn Person(person: PersonView, actions: PersonActions) -> impl IntoView {
    let PersonActions {
        busy,
        remove,
        restore,
    } = actions;
    let username = person.username.clone();
    let confirming = RwSignal::new(false);
    let removed = person.access_removed.is_some();
    let class = format!(
        "person{}{}",
        if person.expiring_soon {
            " expiring"
        } else {
            ""
        },
        if removed { " removed" } else { "" }
    );
    let until = person.authenticates_until.map(|t| ms(t.unix_timestamp()));
    let has_something = !removed;
    let mut groups: Vec<String> = person
        .certificates
        .iter()
        .filter(|c| c.live)
        .flat_map(|c| c.groups.iter().cloned())
        .collect();
    groups.sort();
    groups.dedup();
    let groups_words = if groups.is_empty() {
        " (none)".to_owned()
    } else {
        format!(" ({})", groups.join(", "))
    };
    let who = username.clone();
    view! {
        <li class=class data-testid="person" data-username=person.username.clone()
            data-expiring=person.expiring_soon.to_string() data-removed=removed.to_string()>
            <div class="request-head">
                <span class="subject">{person.username.clone()}</span>
                {match until {
                    Some(until) => view! {
                        <span data-testid="authenticates-until">
                            "Last certificate expires " {time::format_utc(until)} " (" {time::time_left(until)} ")"
                        </span>
                    }.into_any(),
                    None => view! { <span class="muted">"No live certificate"</span> }.into_any(),
                }}
            </div>
            {person.access_removed.clone().map(|r| {
                let who = username.clone();
                view! {
                    <p class="hint" data-testid="access-removed">
                        "Access removed by " {r.by} " on " {time::format_utc(ms(r.at.unix_timestamp()))}
                        ": CertDesk approves and renews nothing for them"
                        {until.map(|u| format!("; their access ends when their last certificate expires, {}", time::format_utc(u)))}
                        ". "
                        <button type="button" class="secondary" data-testid="restore-access"
                            prop:disabled=move || busy.get().is_some()
                            on:click=move |_| restore.run(who.clone())>
                            "Restore access"
                        </button>
                    </p>
                }
            })}
            {person.expiring_soon.then(|| view! {
                <p class="hint" data-testid="expiring-soon">"Less than a quarter of its life is left and nothing has renewed it: they can renew it from the Inspect page, or with kubectl-certdesk."</p>
            })}
            {person.certificates.is_empty().then(|| view! {
                <p class="muted" data-testid="no-certificate">
                    "No certificate issued yet (bindings made with an invite wait for its request)."
                </p>
            })}
            <div class="table-scroll" hidden=person.certificates.is_empty() tabindex="0" role="region"
                aria-label=format!("Certificates of {username} (scrolls sideways)")>
                <table class="plain" aria-label=format!("Certificates of {username}")>
                    <thead><tr><th>"Serial"</th><th>"Groups"</th><th>"Valid until"</th><th>"Approved by"</th><th>"Access"</th></tr></thead>
                    <tbody>
                        {person.certificates.iter().map(|c| {
                            let until = ms(c.not_after.unix_timestamp());
                            view! {
                                <tr class=if c.expiring_soon { "expiring" } else { "" } data-testid="certificate"
                                    data-live=c.live.to_string()>
                                    <td><code>{c.serial.clone()}</code>
                                        {c.renewal_of.clone().map(|s| view! { <br /><small>"renews " <code>{s}</code></small> })}
                                    </td>
                                    <td>{c.groups.join(", ")}</td>
                                    <td>{time::format_utc(until)} <br /><small>{if c.live { time::time_left(until) } else { "not valid now".to_owned() }}</small></td>
                                    <td>{c.approver.clone().unwrap_or_else(|| "—".to_owned())}</td>
                                    <td data-testid="access">{match &c.access_removed {
                                        Some(r) => format!("removed by {} on {}", r.by, time::format_utc(ms(r.at.unix_timestamp()))),
                                        None => "granted".to_owned(),
                                    }}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p><strong>"Bindings CertDesk made: "</strong>
                {if person.bindings.is_empty() { "none".to_owned() } else { String::new() }}
            </p>
            <ul class="bindings" data-testid="bindings">
                {person.bindings.iter().map(|b| view! { <li data-testid="binding">{binding_words(b)}</li> }).collect_view()}
            </ul>
            {has_something.then(|| view! {
                <div class="actions">
                    <Show when=move || !confirming.get()>
                        <button type="button" class="danger" data-testid="remove-access"
                            on:click=move |_| confirming.set(true)>"Remove access"</button>
                    </Show>
                    <Show when=move || confirming.get()>
                        <p role="alert">
                            "Delete the bindings CertDesk made for " <strong>{who.clone()}</strong>
                            ", deny their pending requests and stop their renewals? Their certificate still "
                            "authenticates until it expires (it cannot be revoked), and the groups written into it"
                            {groups_words.clone()}
                            " keep working until then."
                        </p>
                        <button type="button" class="danger" data-testid="confirm-remove-access"
                            prop:disabled=move || busy.get().is_some()
                            on:click={
                                let who = who.clone();
                                move |_| remove.run(who.clone())
                            }>
                            {move || if busy.get().is_some() { "Removing…" } else { "Yes, remove access" }}
                        </button>
                        <button type="button" on:click=move |_| confirming.set(false)>"Keep"</button>
                    </Show>
                </div>
            })}
        </li>
    }
}

#[component]
fn RemovalOutcome(outcome: RemoveAccessOutcome) -> impl IntoView {
    let class = if outcome.complete {
        "card outcome ok"
    } else {
        "card outcome warn"
    };
    view! {
        <section class=class data-testid="removal-outcome" role="status"
            data-complete=outcome.complete.to_string()>
            <h2>"Access of " {outcome.username.clone()} {if outcome.complete { " removed" } else { " partly removed" }}</h2>
            <ul class="bindings">
                {outcome.bindings.iter().map(|b| view! {
                    <li data-testid="removed-binding" data-removed=b.removed.to_string()>
                        {binding_words(&b.binding)} ": "
                        {if b.removed { "deleted".to_owned() } else {
                            b.error.as_ref().map_or_else(|| "not deleted".to_owned(), |e| format!("not deleted: {}", e.message))
                        }}
                    </li>
                }).collect_view()}
            </ul>
            {(!outcome.requests_denied.is_empty()).then(|| view! {
                <p data-testid="requests-denied">
                    "Pending requests and renewals denied: " {outcome.requests_denied.join(", ")}
                </p>
            })}
            <p data-testid="still-authenticates">{match outcome.authenticates_until {
                Some(until) => format!(
                    "Their certificate still authenticates until {} ({}): Kubernetes cannot revoke it.",
                    time::format_utc(ms(until.unix_timestamp())),
                    time::time_left(ms(until.unix_timestamp()))
                ),
                None => "They hold no live certificate.".to_owned(),
            }}</p>
            <p>{outcome.what_remains.clone()}</p>
        </section>
    }
}
