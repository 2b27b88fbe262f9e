//! `/admin/invites`: make an invite link for one identity (username, groups, roles,
//! certificate lifetime, link validity), see every invite and where it stands, and
//! revoke the ones not used yet. Everything is done with the approver's own token.

use leptos::prelude::*;
use leptos_i18n::Locale as _;
use shared::ApiError;
use shared::admin_preview::GrantRules;
use shared::invite::{CreateInvite, InviteCreated, InviteState};

use super::AdminNav;
use crate::api;
use crate::approver::use_approver;
use crate::components::error_panel::ErrorPanel;
use crate::components::grant_picker::{GrantPicker, grant_words};
use crate::components::request_row::I18n;
use crate::components::time;
use crate::i18n::{t, t_string};
use crate::language::fill;
use crate::pages::request::parse_groups;

/// The validity choices of a link, in seconds.
const VALIDITY: [u32; 4] = [3_600, 86_400, 7 * 86_400, 30 * 86_400];

/// The lifetime choices of the certificate, in seconds (within the default policy's
/// seven days for a certificate nothing renews).
const LIFETIMES: [u32; 3] = [8 * 3_600, 86_400, 7 * 86_400];

/// A span in the page's words ("7 days", "7일").
fn span(i18n: I18n, seconds: u32) -> String {
    time::lifetime_words(i18n.get_locale().as_str(), seconds)
}

/// An invite state as a person reads it.
fn state_said(i18n: I18n, state: InviteState) -> &'static str {
    match state {
        InviteState::Open => t_string!(i18n, invites.open),
        InviteState::Used => t_string!(i18n, invites.used),
        InviteState::Revoked => t_string!(i18n, invites.revoked),
        InviteState::Expired => t_string!(i18n, invites.expired),
    }
}

/// An invite state as `data-state` holds it (English, stable).
pub fn state_words(state: InviteState) -> &'static str {
    match state {
        InviteState::Open => "open",
        InviteState::Used => "used",
        InviteState::Revoked => "revoked",
        InviteState::Expired => "expired",
    }
}

/// The link a person opens, on this portal's own address.
fn absolute_link(path: &str) -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    format!("{origin}{path}")
}

/// The invites page.
#[component]
pub fn AdminInvites() -> impl IntoView {
    let i18n = crate::i18n::use_i18n();
    Effect::new(move |_| crate::components::title::set(t_string!(i18n, invites.title)));
    let approver = use_approver();
    let list = LocalResource::new(move || {
        let token = approver.token();
        async move { api::admin::invites(&token).await }
    });

    let username = RwSignal::new(String::new());
    let groups_text = RwSignal::new(String::new());
    let grants: RwSignal<Vec<GrantRules>> = RwSignal::new(Vec::new());
    // A role picked but not added stops the invite (it would be dropped silently).
    let picked: RwSignal<Option<GrantRules>> = RwSignal::new(None);
    let stopped_by_pick = RwSignal::new(false);
    let lifetime = RwSignal::new(LIFETIMES[1]);
    let validity = RwSignal::new(VALIDITY[2]);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let created: RwSignal<Option<InviteCreated>> = RwSignal::new(None);
    let revoke_error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    // Making and revoking invites are Actions; the list is fetched again after each.
    let make = Action::new_local(move |body: &CreateInvite| {
        let (token, body) = (approver.token(), body.clone());
        async move { api::admin::create_invite(&token, &body).await }
    });
    let busy = make.pending();
    Effect::new(move |_| {
        let answer = make.value().get();
        untrack(move || match answer {
            Some(Ok(answer)) => {
                created.set(Some(answer));
                username.set(String::new());
                groups_text.set(String::new());
                grants.set(Vec::new());
                list.refetch();
            }
            // What was typed stays, so the approver can correct it.
            Some(Err(e)) => {
                approver.refused(&e);
                error.set(Some(e));
            }
            None => {}
        })
    });
    let revoking = Action::new_local(move |name: &String| {
        let (token, name) = (approver.token(), name.clone());
        async move { api::admin::revoke_invite(&token, &name).await.map(|_| ()) }
    });
    Effect::new(move |_| {
        let answer = revoking.value().get();
        untrack(move || match answer {
            Some(Ok(())) => list.refetch(),
            Some(Err(e)) => {
                approver.refused(&e);
                revoke_error.set(Some(e));
            }
            None => {}
        })
    });

    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        if picked.with_untracked(Option::is_some) {
            stopped_by_pick.set(true);
            return;
        }
        stopped_by_pick.set(false);
        error.set(None);
        created.set(None);
        let body = CreateInvite {
            username: username.get_untracked().trim().to_owned(),
            groups: parse_groups(&groups_text.get_untracked()),
            grants: grants
                .get_untracked()
                .into_iter()
                .map(|g| g.grant)
                .collect(),
            expiration_seconds: lifetime.get_untracked(),
            valid_for_seconds: validity.get_untracked(),
        };
        make.dispatch_local(body);
    };
    let revoke = move |name: String| {
        revoke_error.set(None);
        revoking.dispatch_local(name);
    };

    view! {
        <AdminNav />
        <h1>{t!(i18n, invites.title)}</h1>
        <form class="card" data-testid="invite-form" on:submit=create novalidate>
            <h2>{t!(i18n, invites.make)}</h2>
            <p class="help">{t!(i18n, invites.help)}</p>
            <div class="field">
                <label for="invite-username">{t!(i18n, invites.username)}</label>
                <input id="invite-username" type="text" data-testid="invite-username" autocomplete="off"
                    spellcheck="false" required
                    prop:value=move || username.get()
                    on:input=move |ev| username.set(event_target_value(&ev)) />
            </div>
            <div class="field">
                <label for="invite-groups">{t!(i18n, invites.groups)}</label>
                <input id="invite-groups" type="text" data-testid="invite-groups" autocomplete="off"
                    spellcheck="false"
                    prop:value=move || groups_text.get()
                    on:input=move |ev| groups_text.set(event_target_value(&ev)) />
            </div>
            <GrantPicker grants picked />
            {move || picked.get().filter(|_| stopped_by_pick.get()).map(|p| view! {
                <p class="hint" role="alert" data-testid="invite-picked-hint">
                    {move || fill(t_string!(i18n, invites.picked_hint), &[("grant", &grant_words(i18n, &p.grant))])}
                </p>
            })}
            <div class="field">
                <label for="invite-lifetime">{t!(i18n, invites.lifetime)}</label>
                <select id="invite-lifetime" data-testid="invite-lifetime"
                    on:change=move |ev| if let Ok(v) = event_target_value(&ev).parse() { lifetime.set(v) }>
                    {LIFETIMES.iter().map(|&seconds| view! {
                        <option value=seconds.to_string() selected=move || lifetime.get() == seconds>{move || span(i18n, seconds)}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="invite-validity">{t!(i18n, invites.validity)}</label>
                <select id="invite-validity" data-testid="invite-validity"
                    on:change=move |ev| if let Ok(v) = event_target_value(&ev).parse() { validity.set(v) }>
                    {VALIDITY.iter().map(|&seconds| view! {
                        <option value=seconds.to_string() selected=move || validity.get() == seconds>{move || span(i18n, seconds)}</option>
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class="primary" data-testid="invite-create" prop:disabled=move || busy.get()>
                {move || if busy.get() { t_string!(i18n, invites.making) } else { t_string!(i18n, invites.create) }}
            </button>
            {move || error.get().map(|error| view! { <div data-testid="error-panel"><ErrorPanel error /></div> })}
        </form>
        {move || created.get().map(|answer| {
            let link = absolute_link(&answer.path);
            view! {
                <section class="card outcome ok" data-testid="invite-created" role="status">
                    <h2>{
                        let user = answer.invite.username.clone();
                        t!(i18n, invites.created_for, <user> = move || view! { {user.clone()} })
                    }</h2>
                    <p>{
                        let until = time::format_utc(answer.invite.expires_at.unix_timestamp() as f64 * 1000.0);
                        t!(i18n, invites.send, <until> = move || view! { {until.clone()} })
                    }</p>
                    <p class="invite-link" data-testid="invite-link">{link}</p>
                    {answer.invite.grants_bound.then(|| view! {
                        <p class="muted">{t!(i18n, invites.automatic)}</p>
                    })}
                </section>
            }
        })}
        <h2>{t!(i18n, invites.all)}</h2>
        {move || revoke_error.get().map(|error| view! { <div data-testid="error-panel"><ErrorPanel error /></div> })}
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, invites.loading)}</p> }>
        {move || list.get().map(|answer| match answer {
            Err(error) => view! { <div data-testid="error-panel"><ErrorPanel error /></div> }.into_any(),
            Ok(invites) if invites.is_empty() => view! {
                <p class="muted" data-testid="no-invites">{t!(i18n, invites.none)}</p>
            }.into_any(),
            Ok(invites) => view! {
                <div class="table-scroll">
                    <table class="plain" data-testid="invites">
                        <thead><tr>
                            <th>{t!(i18n, invites.col_user)}</th><th>{t!(i18n, invites.col_groups)}</th>
                            <th>{t!(i18n, invites.col_roles)}</th><th>{t!(i18n, invites.col_by)}</th>
                            <th>{t!(i18n, invites.col_until)}</th><th>{t!(i18n, invites.col_state)}</th><th></th>
                        </tr></thead>
                        <tbody>
                            {invites.into_iter().map(|invite| {
                                let name = invite.name.clone();
                                let open = invite.state == InviteState::Open;
                                let (state, grants) = (invite.state, invite.grants.clone());
                                view! {
                                    <tr data-testid="invite-row" data-invite=invite.name.clone()
                                        data-state=state_words(invite.state)>
                                        <td>{invite.username.clone()}</td>
                                        <td>{invite.groups.join(", ")}</td>
                                        <td>{move || grants.iter().map(|g| grant_words(i18n, g)).collect::<Vec<_>>().join("; ")}</td>
                                        <td>{invite.created_by.clone()}</td>
                                        <td>{time::format_utc(invite.expires_at.unix_timestamp() as f64 * 1000.0)}</td>
                                        <td>
                                            {move || state_said(i18n, state)}
                                            {invite.request.clone().map(|r| view! { <br /><small><code>{r}</code></small> })}
                                            {invite.revoked_by.clone().map(|by| view! { <br /><small>{t!(i18n, invites.revoked_by, <who> = move || view! { {by.clone()} })}</small> })}
                                        </td>
                                        <td>
                                            {open.then(|| view! {
                                                <button type="button" class="danger" data-testid="invite-revoke"
                                                    on:click=move |_| revoke(name.clone())>{t!(i18n, invites.revoke)}</button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any(),
        })}
        </Transition>
    }
    .into_any()
}
