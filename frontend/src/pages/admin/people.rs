//! `/admin/people`: everyone CertDesk issued a certificate to, with their live
//! certificates (time left; expiring soon highlighted) and the bindings CertDesk made
//! for them, and "remove access", which deletes those bindings with the approver's own
//! token, denies their pending requests and renewals, and records the removal so that
//! nothing is approved or renewed for them until "restore access". It says plainly that
//! a client certificate cannot be revoked: it authenticates until it expires, which is
//! when their access ends.

use leptos::prelude::*;
use leptos_i18n::Locale as _;
use shared::ApiError;
use shared::admin::RoleKind;
use shared::people::{BindingRef, PersonView, RemoveAccessOutcome};

use super::AdminNav;
use crate::api;
use crate::approver::use_approver;
use crate::components::error_panel::{ErrorPanel, ErrorWords};
use crate::components::request_row::I18n;
use crate::components::time;
use crate::i18n::{t, t_string, use_i18n};
use crate::language::fill;

/// Milliseconds since the epoch of a Unix time in seconds (what the time helpers take).
fn ms(unix_seconds: i64) -> f64 {
    unix_seconds as f64 * 1000.0
}

/// A binding in words: "RoleBinding certdesk:minjun:pod-reader (Role pod-reader) in default".
pub fn binding_words(i18n: I18n, binding: &BindingRef) -> String {
    let role_kind = match binding.role_kind {
        RoleKind::Role => "Role",
        RoleKind::ClusterRole => "ClusterRole",
    };
    let mut values = vec![
        ("kind", binding.kind.as_str()),
        ("name", binding.name.as_str()),
        ("role_kind", role_kind),
        ("role", binding.role.as_str()),
    ];
    match binding.namespace.as_deref() {
        Some(namespace) => {
            values.push(("namespace", namespace));
            fill(t_string!(i18n, people.binding_in), &values)
        }
        None => fill(t_string!(i18n, people.binding_cluster_wide), &values),
    }
}

/// How long until `ms` since the epoch, in the page's words ("6 days 23 hours left").
fn left_words(i18n: I18n, ms: f64) -> String {
    let seconds = ((ms - time::now_ms()) / 1000.0).floor() as i64;
    if seconds <= 0 {
        return t_string!(i18n, issued.expired).to_owned();
    }
    let span = time::span_words(i18n.get_locale().as_str(), seconds);
    fill(t_string!(i18n, people.left), &[("span", &span)])
}

/// The People page.
#[component]
pub fn AdminPeople() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| crate::components::title::set(t_string!(i18n, people.title)));
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
        <h1>{t!(i18n, people.title)}</h1>
        <p class="help">{t!(i18n, people.help)}</p>
        {move || error.get().map(|error| view! { <div data-testid="error-panel"><ErrorPanel error /></div> })}
        {move || outcome.get().map(|o| view! { <RemovalOutcome outcome=o /> })}
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, people.loading)}</p> }>
            {move || list.get().map(|answer| match answer {
                Err(error) => view! { <div data-testid="error-panel"><ErrorPanel error /></div> }.into_any(),
                Ok(people) if people.is_empty() => view! {
                    <p class="muted" data-testid="no-people">{t!(i18n, people.none)}</p>
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
    let i18n = use_i18n();
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
        None
    } else {
        Some(groups.join(", "))
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
                            {move || fill(t_string!(i18n, people.last_expires), &[
                                ("at", &time::format_utc(until)),
                                ("left", &left_words(i18n, until)),
                            ])}
                        </span>
                    }.into_any(),
                    None => view! { <span class="muted">{t!(i18n, people.no_live)}</span> }.into_any(),
                }}
            </div>
            {person.access_removed.clone().map(|r| {
                let who = username.clone();
                view! {
                    <p class="hint" data-testid="access-removed">
                        {
                            let by = r.by.clone();
                            let at = time::format_utc(ms(r.at.unix_timestamp()));
                            move || match until {
                                Some(u) => fill(t_string!(i18n, people.removed_until), &[
                                    ("by", &by), ("at", &at), ("until", &time::format_utc(u)),
                                ]),
                                None => fill(t_string!(i18n, people.removed), &[("by", &by), ("at", &at)]),
                            }
                        }
                        " "
                        <button type="button" class="secondary" data-testid="restore-access"
                            prop:disabled=move || busy.get().is_some()
                            on:click=move |_| restore.run(who.clone())>
                            {t!(i18n, people.restore)}
                        </button>
                    </p>
                }
            })}
            {person.expiring_soon.then(|| view! {
                <p class="hint" data-testid="expiring-soon">{t!(i18n, people.expiring)}</p>
            })}
            {person.certificates.is_empty().then(|| view! {
                <p class="muted" data-testid="no-certificate">
                    {t!(i18n, people.no_certificate)}
                </p>
            })}
            <div class="table-scroll" hidden=person.certificates.is_empty() tabindex="0" role="region"
                aria-label={
                    let username = username.clone();
                    move || fill(t_string!(i18n, people.certificates_scroll), &[("user", &username)])
                }>
                <table class="plain" aria-label={
                    let username = username.clone();
                    move || fill(t_string!(i18n, people.certificates_of), &[("user", &username)])
                }>
                    <thead><tr>
                        <th>{t!(i18n, people.col_serial)}</th><th>{t!(i18n, people.col_groups)}</th>
                        <th>{t!(i18n, people.col_until)}</th><th>{t!(i18n, people.col_approver)}</th>
                        <th>{t!(i18n, people.col_access)}</th>
                    </tr></thead>
                    <tbody>
                        {person.certificates.iter().map(|c| {
                            let until = ms(c.not_after.unix_timestamp());
                            let live = c.live;
                            let removal = c.access_removed.clone().map(|r| (r.by, time::format_utc(ms(r.at.unix_timestamp()))));
                            view! {
                                <tr class=if c.expiring_soon { "expiring" } else { "" } data-testid="certificate"
                                    data-live=c.live.to_string()>
                                    <td><code>{c.serial.clone()}</code>
                                        {c.renewal_of.clone().map(|s| view! { <br /><small>{t!(i18n, people.renews, <serial> = move || view! { <code>{s.clone()}</code> })}</small> })}
                                    </td>
                                    <td>{c.groups.join(", ")}</td>
                                    <td>{time::format_utc(until)} <br /><small>{move || if live { left_words(i18n, until) } else { t_string!(i18n, people.not_valid).to_owned() }}</small></td>
                                    <td>{c.approver.clone().unwrap_or_else(|| "—".to_owned())}</td>
                                    <td data-testid="access">{move || match &removal {
                                        Some((by, at)) => fill(t_string!(i18n, people.access_removed), &[("by", by), ("at", at)]),
                                        None => t_string!(i18n, people.access_granted).to_owned(),
                                    }}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p><strong>{t!(i18n, people.bindings)}</strong> " "
                {person.bindings.is_empty().then_some(t!(i18n, row.none))}
            </p>
            <ul class="bindings" data-testid="bindings">
                {person.bindings.into_iter().map(|b| view! { <li data-testid="binding">{move || binding_words(i18n, &b)}</li> }).collect_view()}
            </ul>
            {has_something.then(|| view! {
                <div class="actions">
                    <Show when=move || !confirming.get()>
                        <button type="button" class="danger" data-testid="remove-access"
                            on:click=move |_| confirming.set(true)>{t!(i18n, people.remove)}</button>
                    </Show>
                    <Show when=move || confirming.get()>
                        <p role="alert">{
                            let user = who.clone();
                            let user = move || view! { <strong>{user.clone()}</strong> };
                            match groups_words.clone() {
                                Some(groups) => t!(i18n, people.confirm_groups, <user> = user,
                                    <groups> = move || view! { {groups.clone()} }).into_any(),
                                None => t!(i18n, people.confirm, <user> = user).into_any(),
                            }
                        }</p>
                        <button type="button" class="danger" data-testid="confirm-remove-access"
                            prop:disabled=move || busy.get().is_some()
                            on:click={
                                let who = who.clone();
                                move |_| remove.run(who.clone())
                            }>
                            {move || if busy.get().is_some() { t_string!(i18n, people.removing) } else { t_string!(i18n, people.yes_remove) }}
                        </button>
                        <button type="button" on:click=move |_| confirming.set(false)>{t!(i18n, people.keep)}</button>
                    </Show>
                </div>
            })}
        </li>
    }
}

#[component]
fn RemovalOutcome(outcome: RemoveAccessOutcome) -> impl IntoView {
    let i18n = use_i18n();
    let class = if outcome.complete {
        "card outcome ok"
    } else {
        "card outcome warn"
    };
    view! {
        <section class=class data-testid="removal-outcome" role="status"
            data-complete=outcome.complete.to_string()>
            <h2>{
                let user = outcome.username.clone();
                let user = move || view! { {user.clone()} };
                if outcome.complete {
                    t!(i18n, people.outcome_removed, <user> = user).into_any()
                } else {
                    t!(i18n, people.outcome_partly, <user> = user).into_any()
                }
            }</h2>
            <ul class="bindings">
                {outcome.bindings.into_iter().map(|b| {
                    let (removed, error, binding) = (b.removed, b.error, b.binding);
                    view! {
                        <li data-testid="removed-binding" data-removed=removed.to_string()>
                            {move || binding_words(i18n, &binding)} ": "
                            {if removed {
                                t!(i18n, people.deleted).into_any()
                            } else {
                                view! {
                                    {t!(i18n, people.not_deleted)}
                                    {error.map(|e| view! { ": " <ErrorWords error=e /> })}
                                }.into_any()
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {(!outcome.requests_denied.is_empty()).then(|| view! {
                <p data-testid="requests-denied">
                    {t!(i18n, people.requests_denied)} " " {outcome.requests_denied.join(", ")}
                </p>
            })}
            <p data-testid="still-authenticates">{move || match outcome.authenticates_until {
                Some(until) => {
                    let until = ms(until.unix_timestamp());
                    fill(t_string!(i18n, people.still_until), &[
                        ("at", &time::format_utc(until)),
                        ("left", &left_words(i18n, until)),
                    ])
                }
                None => t_string!(i18n, people.no_live_left).to_owned(),
            }}</p>
            // CertDesk's own words are said in the page's language; other words as sent.
            <p>{move || if !crate::language::is_english(i18n) && outcome.what_remains == shared::people::WHAT_REMAINS {
                t_string!(i18n, people.what_remains).to_owned()
            } else {
                outcome.what_remains.clone()
            }}</p>
        </section>
    }
}
