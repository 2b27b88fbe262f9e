//! `/admin/clusters`: the pending requests of every cluster this approver signs in to,
//! in one list labelled by cluster (issue 26). Each peer is signed in to with a token of
//! its own cluster, checked by that cluster (`whoami`) before it is kept — in this tab's
//! `sessionStorage` only, forgotten on sign-out — and every list read and decision goes
//! to that cluster's CertDesk with that cluster's token, so each cluster's RBAC and
//! identity rule decide there.

use leptos::prelude::*;

use crate::components::error_panel::error_words;
use crate::components::request_row::I18n;
use crate::i18n::{t, t_string, use_i18n};
use crate::language::fill;
use leptos::task::spawn_local;
use shared::admin::{ApproveBody, DenyBody, RequestView, WhoAmI};
use shared::admin_list::ListQuery;
use shared::{ApiError, Phase};

use super::AdminNav;
use crate::api::admin as api;
use crate::approver::{storage, use_approver};
use crate::clusters::{Reach, Target};
use crate::components::error_panel::ErrorPanel;

/// One cluster the approver may sign in to, and the token this tab holds for it.
#[derive(Clone)]
struct Slot {
    name: String,
    /// Its CertDesk's origin; empty for this one.
    portal: String,
    token: RwSignal<Option<String>>,
    /// Why it cannot be used from here, if it cannot.
    unavailable: Option<Unavailable>,
}

impl Slot {
    fn new(target: Target, own_token: Option<String>) -> Self {
        let token = if target.portal.is_empty() {
            own_token
        } else {
            storage::get(&peer_key(&target.name))
        };
        let unavailable = match target.state {
            Reach::Federated(_) => None,
            Reach::NotFederated(reason) => Some(Unavailable::NotFederated(reason)),
            Reach::Unreachable(error) => Some(Unavailable::Unreachable(error)),
        };
        Self {
            name: target.name,
            portal: target.portal,
            token: RwSignal::new(token),
            unavailable,
        }
    }
}

/// Why a cluster cannot be used from this page.
#[derive(Clone)]
enum Unavailable {
    /// The two installs do not list each other (the reason, in English).
    NotFederated(String),
    /// Its CertDesk could not be asked.
    Unreachable(ApiError),
}

fn unavailable_words(i18n: I18n, why: &Unavailable) -> String {
    match why {
        // The reason names what differs in English; other languages say what it means.
        Unavailable::NotFederated(reason) if crate::language::is_english(i18n) => fill(
            t_string!(i18n, all_clusters.not_federated_because),
            &[("reason", reason)],
        ),
        Unavailable::NotFederated(_) => t_string!(i18n, all_clusters.not_federated).to_owned(),
        Unavailable::Unreachable(error) => error_words(i18n, error),
    }
}

fn peer_key(name: &str) -> String {
    format!("{}{name}", storage::PEER_TOKEN_PREFIX)
}

/// The page: a sign-in per peer, then the merged list.
#[component]
pub fn AdminClusters() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| crate::components::title::set(t_string!(i18n, all_clusters.title)));
    let approver = use_approver();
    let config = crate::config::use_config();
    let slots = LocalResource::new(move || async move {
        let config = config.await?;
        let own = Some(approver.token()).filter(|t| !t.is_empty());
        let targets = crate::clusters::targets(&config).await;
        Ok::<_, ApiError>(
            targets
                .into_iter()
                .map(|t| Slot::new(t, own.clone()))
                .collect::<Vec<_>>(),
        )
    });
    view! {
        <h1>{t!(i18n, all_clusters.heading)}</h1>
        <AdminNav />
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, all_clusters.asking)}</p> }>
            {move || Suspend::new(async move {
                match slots.await {
                    Ok(slots) => view! {
                        <section class="card" aria-labelledby="clusters-title">
                            <h2 id="clusters-title">{t!(i18n, all_clusters.clusters)}</h2>
                            <ul class="plain">
                                {slots.iter().cloned().map(|slot| view! { <SlotLine entry=slot /> }).collect_view()}
                            </ul>
                        </section>
                        <MergedList slots />
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One cluster: signed in (as whom), a token field, or why it cannot be used.
#[component]
fn SlotLine(entry: Slot) -> impl IntoView {
    let Slot {
        name,
        portal,
        token,
        unavailable,
    } = entry;
    let i18n = use_i18n();
    let label_name = name.clone();
    let typed = RwSignal::new(String::new());
    let who = RwSignal::new(None::<Result<WhoAmI, ApiError>>);
    let own = portal.is_empty();
    let key = peer_key(&name);
    let check = {
        let portal = portal.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let candidate = typed.get_untracked().trim().to_owned();
            let (portal, key) = (portal.clone(), key.clone());
            spawn_local(async move {
                let answer = api::whoami_at(&portal, &candidate).await;
                if answer.is_ok() && storage::set(&key, &candidate).is_ok() {
                    token.try_set(Some(candidate));
                    typed.try_set(String::new());
                }
                who.try_set(Some(answer));
            });
        }
    };
    view! {
        <li data-testid="cluster-slot" data-cluster=label_name.clone()>
            <strong>{label_name.clone()}</strong>
            {move || match (&unavailable, token.with(Option::is_some)) {
                (Some(why), _) => {
                    let why = why.clone();
                    view! { <span class="muted" data-testid="cluster-unavailable">" — " {move || unavailable_words(i18n, &why)}</span> }.into_any()
                }
                (None, true) => view! {
                    <span data-testid="cluster-signed-in">" — " {move || if own { t_string!(i18n, all_clusters.signed_in_here) } else { t_string!(i18n, all_clusters.signed_in) }}</span>
                }.into_any(),
                (None, false) => {
                    let label = {
                        let name = name.clone();
                        move || fill(t_string!(i18n, all_clusters.token_for), &[("cluster", &name)])
                    };
                    view! {
                        <form class="inline" on:submit=check.clone() data-testid="peer-sign-in">
                            <input type="password" aria-label=label data-testid="peer-token" autocomplete="off"
                                prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev)) />
                            <button type="submit" class="secondary">{
                                let name = name.clone();
                                move || fill(t_string!(i18n, all_clusters.sign_in_to), &[("cluster", &name)])
                            }</button>
                        </form>
                    }.into_any()
                }
            }}
            {move || match who.get() {
                Some(Err(error)) => view! { <div data-testid="peer-refused"><ErrorPanel error /></div> }.into_any(),
                Some(Ok(who)) => view! { <span class="muted">" " {move || fill(t_string!(i18n, all_clusters.as_user), &[("user", &who.username)])}</span> }.into_any(),
                None => ().into_any(),
            }}
        </li>
    }
}

/// The pending requests of every signed-in cluster, labelled by cluster. Each cluster
/// is read at once and on its own: one that fails shows its error beside the rest.
#[component]
fn MergedList(slots: Vec<Slot>) -> impl IntoView {
    let i18n = use_i18n();
    let slots = StoredValue::new(slots);
    let round = RwSignal::new(0_u32);
    // What this page decided, kept above the list (a decided request leaves it).
    let decided = RwSignal::new(Vec::<Decided>::new());
    let pages = LocalResource::new(move || {
        round.track();
        let signed_in: Vec<(Slot, String)> = slots.with_value(|slots| {
            slots
                .iter()
                .filter_map(|s| s.token.get().map(|t| (s.clone(), t)))
                .collect()
        });
        async move {
            let query = ListQuery {
                phase: Some(Phase::Pending),
                ..ListQuery::default()
            };
            let reads = signed_in
                .iter()
                .map(|(slot, token)| api::requests_at(&slot.portal, token, &query));
            let pages = futures_util::future::join_all(reads).await;
            signed_in
                .into_iter()
                .zip(pages)
                .map(|((slot, token), page)| (slot, token, page))
                .collect::<Vec<_>>()
        }
    });
    view! {
        <section class="card" aria-labelledby="merged-title" data-testid="merged-list">
            <h2 id="merged-title">{t!(i18n, all_clusters.waiting)}</h2>
            <button type="button" class="secondary" on:click=move |_| round.update(|r| *r += 1)>{t!(i18n, list.refresh)}</button>
            <ul class="plain" aria-live="polite">
                {move || decided.get().into_iter().map(|d| view! {
                    <li data-testid="merged-done" data-cluster=d.cluster.clone() data-request=d.name.clone()>
                        {
                            let d = d.clone();
                        {move || {
                            let said = if d.approved { t_string!(i18n, all_clusters.done_approved) } else { t_string!(i18n, all_clusters.done_denied) };
                            fill(said, &[("who", &d.who), ("cluster", &d.cluster)])
                        }}
                        }
                    </li>
                }).collect_view()}
            </ul>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, people.loading)}</p> }>
                {move || Suspend::new(async move {
                    let mut rows = Vec::new();
                    let mut failures = Vec::new();
                    for (slot, token, page) in pages.await {
                        match page {
                            Ok(page) => rows.extend(page.items.into_iter().map(|r| (slot.clone(), token.clone(), r))),
                            Err(error) => failures.push((slot.name.clone(), error)),
                        }
                    }
                    rows.sort_by_key(|(_, _, r)| std::cmp::Reverse(r.age_seconds.unwrap_or(0)));
                    view! {
                        {failures.into_iter().map(|(name, error)| {
                            let label = name.clone();
                            view! {
                                <div data-testid="cluster-list-error" data-cluster=label>
                                    <p><strong>{name}</strong></p><ErrorPanel error />
                                </div>
                            }
                        }).collect_view()}
                        {rows.is_empty().then(|| view! { <p class="muted" data-testid="merged-empty">{t!(i18n, all_clusters.empty)}</p> })}
                        <ul class="plain">
                            {rows.into_iter().map(|(slot, token, request)| view! { <MergedRow entry=slot token request round decided /> }).collect_view()}
                        </ul>
                    }
                })}
            </Transition>
        </section>
    }
}

/// A decision this page made.
#[derive(Clone)]
struct Decided {
    cluster: String,
    name: String,
    who: String,
    /// Approved, or else denied.
    approved: bool,
}

/// One request, labelled by its cluster, with its decisions (sent to that cluster).
#[component]
fn MergedRow(
    entry: Slot,
    token: String,
    request: RequestView,
    round: RwSignal<u32>,
    decided: RwSignal<Vec<Decided>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let slot = entry;
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let target = StoredValue::new((slot.portal.clone(), token, request.name.clone()));
    let who = request
        .username
        .clone()
        .unwrap_or_else(|| t_string!(i18n, row.undecoded).to_owned());
    let record = StoredValue::new(Decided {
        cluster: slot.name.clone(),
        name: request.name.clone(),
        who: who.clone(),
        approved: false,
    });
    let decide = move |approve: bool| {
        let (portal, token, name) = target.get_value();
        let reason = reason.get_untracked().trim().to_owned();
        busy.set(true);
        spawn_local(async move {
            let result = if approve {
                let body = ApproveBody {
                    grants: Vec::new(),
                    message: None,
                };
                api::approve_at(&portal, &token, &name, &body)
                    .await
                    .map(|_| true)
            } else {
                api::deny_at(&portal, &token, &name, &DenyBody { reason })
                    .await
                    .map(|()| false)
            };
            busy.try_set(false);
            match result {
                Ok(approved) => {
                    let mut entry = record.get_value();
                    entry.approved = approved;
                    decided.try_update(|d| d.push(entry));
                    round.try_update(|r| *r += 1);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    let detail = if slot.portal.is_empty() {
        format!(
            "/admin/requests/{}",
            String::from(js_sys::encode_uri_component(&request.name))
        )
    } else {
        format!(
            "{}/admin/requests/{}",
            slot.portal,
            String::from(js_sys::encode_uri_component(&request.name))
        )
    };
    let risky = !request.risks.is_empty() || request.decode_error.is_some();
    view! {
        <li class="merged-row" data-testid="merged-row" data-cluster=slot.name.clone() data-request=request.name.clone()>
            <span class="badge" data-testid="row-cluster">{slot.name.clone()}</span> " "
            <a href=detail rel="external"><strong data-testid="row-username">{who}</strong></a>
            {(!request.groups.is_empty()).then(|| {
                let groups = request.groups.join(", ");
                view! { <span>" " {move || fill(t_string!(i18n, all_clusters.in_groups), &[("groups", &groups)])}</span> }
            })}
            // A flagged request is approved only on its own page, where its flags are read.
            {risky.then(|| view! { <span class="badge risk" data-testid="row-risky">{t!(i18n, all_clusters.flagged)}</span> })}
            <div class="inline">
                {(!risky).then(|| view! {
                    <button type="button" data-testid="row-approve" disabled=move || busy.get()
                        on:click=move |_| decide(true)>{
                        let name = slot.name.clone();
                        move || fill(t_string!(i18n, all_clusters.approve_in), &[("cluster", &name)])
                    }</button>
                })}
                <input aria-label=move || t_string!(i18n, all_clusters.reason) data-testid="row-reason" maxlength="1000"
                    prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                <button type="button" class="secondary" data-testid="row-deny"
                    disabled=move || busy.get() || reason.with(|r| r.trim().is_empty())
                    on:click=move |_| decide(false)>{t!(i18n, deny.deny)}</button>
            </div>
            {move || error.get().map(|error| view! { <div data-testid="row-error"><ErrorPanel error /></div> })}
        </li>
    }
}
