//! `/admin/invites`: make an invite link for one identity (username, groups, roles,
//! certificate lifetime, link validity), see every invite and where it stands, and
//! revoke the ones not used yet. Everything is done with the approver's own token.

use leptos::prelude::*;
use shared::ApiError;
use shared::admin_preview::GrantRules;
use shared::invite::{CreateInvite, InviteCreated, InviteState};

use super::AdminNav;
use crate::api;
use crate::approver::use_approver;
use crate::components::error_panel::ErrorPanel;
use crate::components::grant_picker::{GrantPicker, grant_words};
use crate::components::time;
use crate::pages::request::parse_groups;

/// The validity choices of a link, in seconds.
const VALIDITY: [(u32, &str); 4] = [
    (3_600, "1 hour"),
    (86_400, "1 day"),
    (7 * 86_400, "7 days"),
    (30 * 86_400, "30 days"),
];

/// The lifetime choices of the certificate, in seconds (within the default policy's
/// seven days for a certificate nothing renews).
const LIFETIMES: [(u32, &str); 3] = [
    (8 * 3_600, "8 hours"),
    (86_400, "1 day"),
    (7 * 86_400, "7 days"),
];

/// An invite state in words.
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
    crate::components::title::set("Invites");
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
    let lifetime = RwSignal::new(LIFETIMES[1].0);
    let validity = RwSignal::new(VALIDITY[2].0);
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
        <h1>"Invites"</h1>
        <form class="card" data-testid="invite-form" on:submit=create novalidate>
            <h2>"Invite someone"</h2>
            <p class="help">
                "The link lets one person request a certificate for exactly this identity, once. "
                "The cluster keeps only a hash of the link's secret."
            </p>
            <div class="field">
                <label for="invite-username">"Username"</label>
                <input id="invite-username" type="text" data-testid="invite-username" autocomplete="off"
                    spellcheck="false" required
                    prop:value=move || username.get()
                    on:input=move |ev| username.set(event_target_value(&ev)) />
            </div>
            <div class="field">
                <label for="invite-groups">"Groups (optional, comma-separated)"</label>
                <input id="invite-groups" type="text" data-testid="invite-groups" autocomplete="off"
                    spellcheck="false"
                    prop:value=move || groups_text.get()
                    on:input=move |ev| groups_text.set(event_target_value(&ev)) />
            </div>
            <GrantPicker grants picked />
            {move || picked.get().filter(|_| stopped_by_pick.get()).map(|p| view! {
                <p class="hint" role="alert" data-testid="invite-picked-hint">
                    {format!(
                        "{} is picked but not added: press \"Add this grant\", or pick nothing, before making the invite.",
                        grant_words(i18n, &p.grant)
                    )}
                </p>
            })}
            <div class="field">
                <label for="invite-lifetime">"Certificate lifetime"</label>
                <select id="invite-lifetime" data-testid="invite-lifetime"
                    on:change=move |ev| if let Ok(v) = event_target_value(&ev).parse() { lifetime.set(v) }>
                    {LIFETIMES.iter().map(|&(seconds, words)| view! {
                        <option value=seconds.to_string() selected=move || lifetime.get() == seconds>{words}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="invite-validity">"The link works for"</label>
                <select id="invite-validity" data-testid="invite-validity"
                    on:change=move |ev| if let Ok(v) = event_target_value(&ev).parse() { validity.set(v) }>
                    {VALIDITY.iter().map(|&(seconds, words)| view! {
                        <option value=seconds.to_string() selected=move || validity.get() == seconds>{words}</option>
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class="primary" data-testid="invite-create" prop:disabled=move || busy.get()>
                {move || if busy.get() { "Making the invite…" } else { "Make the invite link" }}
            </button>
            {move || error.get().map(|error| view! { <div data-testid="error-panel"><ErrorPanel error /></div> })}
        </form>
        {move || created.get().map(|answer| {
            let link = absolute_link(&answer.path);
            view! {
                <section class="card outcome ok" data-testid="invite-created" role="status">
                    <h2>"Invite for " {answer.invite.username.clone()}</h2>
                    <p>"Send this link to them. It is shown only now; it works once, until "
                        {time::format_utc(answer.invite.expires_at.unix_timestamp() as f64 * 1000.0)} "."</p>
                    <p class="invite-link" data-testid="invite-link">{link}</p>
                    {answer.invite.grants_bound.then(|| view! {
                        <p class="muted">"Requests with this invite are approved automatically; its roles were granted now, with your credentials."</p>
                    })}
                </section>
            }
        })}
        <h2>"All invites"</h2>
        {move || revoke_error.get().map(|error| view! { <div data-testid="error-panel"><ErrorPanel error /></div> })}
        <Transition fallback=|| view! { <p class="muted">"Loading the invites…"</p> }>
        {move || list.get().map(|answer| match answer {
            Err(error) => view! { <div data-testid="error-panel"><ErrorPanel error /></div> }.into_any(),
            Ok(invites) if invites.is_empty() => view! {
                <p class="muted" data-testid="no-invites">"No invites yet."</p>
            }.into_any(),
            Ok(invites) => view! {
                <div class="table-scroll">
                    <table class="plain" data-testid="invites">
                        <thead><tr>
                            <th>"User"</th><th>"Groups"</th><th>"Roles"</th><th>"By"</th>
                            <th>"Link valid until"</th><th>"State"</th><th></th>
                        </tr></thead>
                        <tbody>
                            {invites.into_iter().map(|invite| {
                                let name = invite.name.clone();
                                let open = invite.state == InviteState::Open;
                                view! {
                                    <tr data-testid="invite-row" data-invite=invite.name.clone()
                                        data-state=state_words(invite.state)>
                                        <td>{invite.username.clone()}</td>
                                        <td>{invite.groups.join(", ")}</td>
                                        <td>{invite.grants.iter().map(|g| grant_words(i18n, g)).collect::<Vec<_>>().join("; ")}</td>
                                        <td>{invite.created_by.clone()}</td>
                                        <td>{time::format_utc(invite.expires_at.unix_timestamp() as f64 * 1000.0)}</td>
                                        <td>
                                            {state_words(invite.state)}
                                            {invite.request.clone().map(|r| view! { <br /><small><code>{r}</code></small> })}
                                            {invite.revoked_by.clone().map(|by| view! { <br /><small>"by " {by}</small> })}
                                        </td>
                                        <td>
                                            {open.then(|| view! {
                                                <button type="button" class="danger" data-testid="invite-revoke"
                                                    on:click=move |_| revoke(name.clone())>"Revoke"</button>
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
