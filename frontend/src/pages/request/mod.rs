//! The start page: the request form (a key and CSR are made in the browser and only
//! the CSR is sent), and a pointer to the requests this browser holds a key for. Two
//! apps show it: the first visit's (`/`, [`RequestAccess`] without [`Extras`]), which
//! hands the request to the status app to make the key and send it
//! ([`crate::handoff`]), and the whole form's (`/start/`, with [`whole::WHOLE`]), which
//! sends from its own page: an invite link's form, the choice of clusters and the
//! sending code are in the second's bundle only, so the first visit carries none.

mod clusters;
pub mod rules;
pub mod send;
pub mod whole;

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos_i18n::Locale as _;
use shared::invite::InviteInfo;
use shared::keys::Subject;
use shared::names::NameIndex;
use shared::policy::{self, Field, Violation};
use shared::{ApiError, KeyAlgorithm, PortalConfig};

use crate::components::error_panel::LoadingErrorPanel;
use crate::components::request_row::I18n;
use crate::components::time;
use crate::handoff::{self, ToSend};
use crate::i18n::{t, t_string, use_i18n};
use crate::keys;
use crate::submission::{Attempt, Failure};
use clusters::Choice;
use rules::LifetimeProblem;
use send::Submission;
pub use send::unsent;

/// An invite link's token and what it offers: the request form is locked to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    /// The link's token, sent with the request.
    pub token: String,
    /// The identity and lifetime the invite names.
    pub info: InviteInfo,
}

/// What only the whole form's app does: given by that app, so none of it is in the
/// first visit's bundle (which has none, and passes an invite link on to the whole form).
pub trait Extras: Sync {
    /// Takes an invite link's token out of the address bar, if it holds one.
    fn invite_token(&self) -> Option<String>;
    /// What the invite offers (the server checks the token).
    fn open_invite(
        &self,
        token: String,
    ) -> Pin<Box<dyn Future<Output = Result<Invitation, ApiError>>>>;
    /// Who invited the person and what the invite sets.
    fn invite_card(&self, info: InviteInfo) -> AnyView;
    /// Why an invite link cannot be used.
    fn invite_unusable(&self, error: ApiError) -> AnyView;
    /// Asks the operator's peers, filling in the choice of clusters as they answer.
    fn ask_peers(&self, config: &PortalConfig, choice: Choice);
    /// The choice of clusters (shown when there is more than one).
    fn picker(&self, choice: Choice) -> AnyView;
    /// Makes the key(s) and sends the request (the first visit's form hands it over
    /// to the status app instead, [`crate::handoff`]).
    fn submit(
        &self,
        input: Submission,
        progress: RwSignal<Option<keys::Step>>,
    ) -> Pin<Box<dyn Future<Output = Result<String, Failure>>>>;
    /// What stopped a submission, with `retry`.
    fn failure_panel(&self, failure: Failure, retry: Callback<()>) -> AnyView;
    /// Starts the key workers ahead of the keys: one for each of `keys` keys (one per
    /// chosen cluster), or (`rsa`) as many as an RSA key's prime search runs in.
    fn prestart_workers(&self, rsa: bool, keys: usize);
}

/// Readies the key making while the person fills in the form: the whole form's app
/// starts its workers; the first visit's form, whose request the status app sends, has
/// the browser fetch the worker's files into its cache (and links no worker code).
fn ready_key_making(extras: Option<&'static dyn Extras>, rsa: bool, keys: usize) {
    match extras {
        Some(extras) => extras.prestart_workers(rsa, keys),
        None => keys::prefetch_key_worker(),
    }
}

/// Opens the whole form's app, which has the invite's form, for an invite link opened
/// on the first visit's page (the fragment, never sent to a server, goes along).
fn to_the_whole_form(window: &web_sys::Window, fragment: &str) {
    let _ = window
        .location()
        .replace(&format!("{}{fragment}", shared::invite::LINK_PAGE));
}

/// The start page: the cluster, the pointer to this browser's requests, and the
/// request form — locked to the invite when the whole form's app was opened from an
/// invite link (`/start/#invite=<token>`).
///
/// The token is in the URL's fragment, which browsers never send; the page reads it,
/// removes it from the address bar (and so from history), and sends it in a POST body.
#[component]
pub fn RequestAccess(#[prop(optional)] extras: Option<&'static dyn Extras>) -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| crate::components::title::set(t_string!(i18n, start.title)));
    let token = match extras {
        Some(extras) => extras.invite_token(),
        None => {
            // index.html passes a link on before this app loads; this is the fallback.
            if let Some(window) = web_sys::window()
                && let Ok(fragment) = window.location().hash()
                && shared::invite::token_of_fragment(&fragment).is_some()
            {
                to_the_whole_form(&window, &fragment);
            }
            None
        }
    };
    // Another invite link pasted into this tab changes only the fragment, which loads
    // nothing: load the whole form's page for it.
    let _ = leptos::prelude::window_event_listener(leptos::ev::hashchange, move |_| {
        if let Some(window) = web_sys::window()
            && let Ok(fragment) = window.location().hash()
            && shared::invite::token_of_fragment(&fragment).is_some()
        {
            match extras {
                Some(_) => {
                    let _ = window.location().reload();
                }
                None => to_the_whole_form(&window, &fragment),
            }
        }
    });
    let config = crate::config::use_config();
    let invitation = LocalResource::new(move || {
        let token = token.clone();
        async move {
            match (token, extras) {
                (Some(token), Some(extras)) => Some(extras.open_invite(token).await),
                _ => None,
            }
        }
    });
    view! {
        <h1>{t!(i18n, start.heading)}</h1>
        <ResumeHint />
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, start.loading)}</p> }>
            {move || Suspend::new(async move {
                let (config, invitation) = (config.await, invitation.await);
                let config = match config {
                    Ok(config) => config,
                    Err(error) => return view! { <LoadingErrorPanel error /> }.into_any(),
                };
                let (name, url) = (config.cluster_name.clone(), config.server_url.clone());
                let cluster = view! {
                    <div class="card">
                        <p>{t!(i18n, start.cluster,
                            name = move || name.clone(),
                            <strong> = |children: ChildrenFn| view! { <strong data-testid="cluster-name">{children()}</strong> })}</p>
                        <p class="muted">{t!(i18n, start.api_server,
                            url = move || url.clone(),
                            <code> = |children: ChildrenFn| view! { <code>{children()}</code> })}</p>
                    </div>
                };
                match (invitation, extras) {
                    (Some(Err(error)), Some(extras)) => view! {
                        {cluster}
                        {extras.invite_unusable(error)}
                    }.into_any(),
                    (Some(Ok(invitation)), Some(extras)) => view! {
                        {cluster}
                        {extras.invite_card(invitation.info.clone())}
                        <RequestForm config invitation extras />
                    }.into_any(),
                    _ if config.invite_required => view! {
                        {cluster}
                        <p class="card" data-testid="invite-required">
                            {t!(i18n, start.invite_required)}
                        </p>
                    }.into_any(),
                    (_, Some(extras)) => view! { {cluster} <RequestForm config extras /> }.into_any(),
                    (_, None) => view! { {cluster} <RequestForm config /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A pointer to the requests whose key this browser holds (`/requests`, the status
/// app's list), shown only when it holds any: the list itself, and the status reads
/// behind it, are not part of the form's first visit.
#[component]
fn ResumeHint() -> impl IntoView {
    let i18n = use_i18n();
    let held = LocalResource::new(crate::store::held);
    // Once the store has answered "nothing", an empty marker says so (for the tests).
    move || {
        match held.get() {
        Some(Ok(count)) if count > 0 => view! {
            <p class="card resume" data-testid="resume-hint">
                {t!(i18n, start.resume_hint)}
                " "
                <a href="/requests" rel="external" data-testid="resume-open">{t!(i18n, start.resume_open)}</a>
            </p>
        }
        .into_any(),
        Some(_) => view! { <span hidden data-testid="resume-none"></span> }.into_any(),
        None => ().into_any(),
    }
    }
}

/// The lifetime units the form offers, in seconds.
const UNITS: [u32; 3] = [86_400, 3_600, 60];

/// A lifetime unit's name in the page's language.
fn unit_name(i18n: leptos_i18n::I18nContext<crate::i18n::Locale>, seconds: u32) -> &'static str {
    match seconds {
        86_400 => t_string!(i18n, form.unit_days),
        3_600 => t_string!(i18n, form.unit_hours),
        _ => t_string!(i18n, form.unit_minutes),
    }
}

/// Splits "dev-team, ops" into groups, ignoring blanks between commas.
pub fn parse_groups(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|group| !group.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The lifetime in seconds from the form's amount and unit, or what is wrong with it.
pub fn lifetime_seconds(
    amount: &str,
    unit: u32,
    config: &PortalConfig,
) -> Result<u32, LifetimeProblem> {
    let amount: u32 = amount
        .trim()
        .parse()
        .map_err(|_| LifetimeProblem::NotANumber)?;
    let seconds = amount
        .checked_mul(unit)
        .ok_or(LifetimeProblem::FarTooLong)?;
    match policy::check_duration(seconds, &config.duration) {
        Some(violation) => Err(LifetimeProblem::Outside(violation)),
        None => Ok(seconds),
    }
}

fn messages(i18n: I18n, violations: &[Violation], wanted: impl Fn(&Field) -> bool) -> Vec<String> {
    violations
        .iter()
        .filter(|v| v.field.as_ref().is_some_and(&wanted))
        .map(|v| rules::violation_words(i18n, v))
        .collect()
}

/// The Performance-timeline mark set once the request form is interactive.
pub const FORM_READY_MARK: &str = "certdesk:request-form-ready";

/// The request form; validates with the shared policy as the person types. With an
/// invitation, the username, groups and lifetime are the invite's and cannot be edited.
#[component]
pub fn RequestForm(
    config: PortalConfig,
    #[prop(optional)] invitation: Option<Invitation>,
    /// The whole form's app's: the choice of clusters (with peers).
    #[prop(optional)]
    extras: Option<&'static dyn Extras>,
) -> impl IntoView {
    let i18n = use_i18n();
    let limits = StoredValue::new(config.policy.clone());
    let offered_groups = config.policy.allowed_groups.clone();
    let config = StoredValue::new(config);

    let allowed = config.with_value(|c| c.key_algorithms.clone());
    let basic: Vec<KeyAlgorithm> = allowed.iter().copied().filter(|a| !a.is_rsa()).collect();
    let rsa: Vec<KeyAlgorithm> = allowed.iter().copied().filter(|a| a.is_rsa()).collect();
    let default_basic = if basic.contains(&KeyAlgorithm::EcdsaP256) {
        Some(KeyAlgorithm::EcdsaP256)
    } else {
        basic.first().copied()
    };
    let main_algorithm = RwSignal::new(default_basic);
    // With no non-RSA algorithm allowed, RSA is the only choice and starts selected.
    let rsa_algorithm = RwSignal::new(if default_basic.is_none() {
        rsa.first().copied()
    } else {
        None
    });
    if rsa_algorithm.get_untracked().is_some() {
        ready_key_making(extras, true, 1);
    }
    let algorithm = move || rsa_algorithm.get().or(main_algorithm.get());

    let locked = invitation.is_some();
    // An invited name cannot be typed, so the key worker cannot wait for typing: it
    // loads once the invite's form shows (the page is interactive by then, and someone
    // who opened an invite link came to send it). A plain first visit never loads it.
    if locked {
        ready_key_making(extras, false, 1);
    }
    let choice = config.with_value(Choice::new);
    // An invite is this install's: its request goes to this cluster only.
    if let Some(extras) = extras
        && !locked
    {
        config.with_value(|c| extras.ask_peers(c, choice));
    }
    let invite_token = invitation.as_ref().map(|i| i.token.clone());
    let invited = invitation.map(|i| i.info);
    let default_seconds = invited.as_ref().map_or_else(
        || config.with_value(|c| c.duration.default_seconds),
        |i| i.expiration_seconds,
    );
    let (amount, unit) = time::lifetime_parts(default_seconds);
    let lifetime_amount = RwSignal::new(amount.to_string());
    let lifetime_unit = RwSignal::new(unit);

    let username = RwSignal::new(
        invited
            .as_ref()
            .map(|i| i.username.clone())
            .unwrap_or_default(),
    );
    let username_touched = RwSignal::new(locked);
    let invited_groups = invited.as_ref().map(|i| i.groups.clone());
    let groups_text = RwSignal::new(
        invited_groups
            .as_ref()
            .map(|g| g.join(", "))
            .unwrap_or_default(),
    );
    let show_invited_groups = invited_groups.as_ref().is_some_and(|g| !g.is_empty());
    let show_offered_groups = !locked && !offered_groups.is_empty();
    let chosen_groups = RwSignal::new(Vec::<String>::new());
    let note = RwSignal::new(String::new());
    let attempt = Attempt::default();
    let Attempt {
        progress, failure, ..
    } = attempt;

    // The invite's groups are taken as they are; otherwise exactly the policy's groups
    // the person ticked, in the policy's order.
    let groups = Memo::new(move |_| match &invited_groups {
        Some(groups) => groups.clone(),
        None => chosen_groups.get(),
    });
    // The browser is not told who has bindings; the backend also refuses look-alikes of them.
    let nobody = NameIndex::new();
    let violations = Memo::new(move |_| {
        limits.with_value(|limits| {
            policy::check_subject(&username.get(), &groups.get(), limits, &nobody)
        })
    });
    let username_errors = Memo::new(move |_| {
        let list = messages(i18n, &violations.get(), |f| matches!(f, Field::Username));
        if username_touched.get() {
            list
        } else {
            Vec::new()
        }
    });
    let group_errors = Memo::new(move |_| {
        messages(i18n, &violations.get(), |f| {
            matches!(f, Field::Groups | Field::Group { .. })
        })
    });
    // Short certificates the credential plugin renews, where CertDesk renews them by
    // itself; otherwise (or by choice) one downloaded by hand, for a chosen lifetime.
    let plugin_offered = !locked && config.with_value(|c| c.auto_approve_renewals);
    let renewed = RwSignal::new(plugin_offered);
    let plugin_seconds = config.with_value(|c| c.duration.plugin_seconds);
    // A draft kept in this tab (a reload loses nothing typed); never with an invite,
    // whose fields the invite fixes.
    if !locked && let Some(draft) = crate::draft::load() {
        username.set(draft.username);
        chosen_groups.set(
            draft
                .groups
                .into_iter()
                .filter(|g| offered_groups.contains(g))
                .collect(),
        );
        if !draft.amount.is_empty() && UNITS.contains(&draft.unit) {
            lifetime_amount.set(draft.amount);
            lifetime_unit.set(draft.unit);
        }
        note.set(draft.note);
        renewed.set(plugin_offered && draft.renewed);
    }
    Effect::new(move |_| {
        let draft = crate::draft::Draft {
            username: username.get(),
            groups: chosen_groups.get(),
            amount: lifetime_amount.get(),
            unit: lifetime_unit.get(),
            note: note.get(),
            renewed: renewed.get(),
        };
        if !locked {
            crate::draft::save(&draft);
        }
    });
    let lifetime = Memo::new(move |_| match invited.as_ref() {
        Some(invite) => Ok(invite.expiration_seconds),
        None if renewed.get() => Ok(plugin_seconds),
        None => {
            config.with_value(|c| lifetime_seconds(&lifetime_amount.get(), lifetime_unit.get(), c))
        }
    });

    // The submission is a Leptos action: `pending` is the form's busy state, and its
    // value (the request id, or what stopped it) decides where the page goes.
    // (Only the whole form's app sends by itself; the first visit's hands over.)
    let submitting = Action::new_local(move |input: &Submission| {
        let input = input.clone();
        async move {
            match extras {
                Some(extras) => extras.submit(input, progress).await,
                None => Err(Failure::KeyGen(keys::KeyGenError::Cancelled)),
            }
        }
    });
    let handing_over = RwSignal::new(false);
    let storage_off = RwSignal::new(false);
    // Back from the sending page may show this page as it was left (the browser's
    // back-forward cache): busy handing over. It is a form again.
    let _ = window_event_listener_untyped("pageshow", move |_| handing_over.set(false));
    let pending = submitting.pending();
    let busy = Signal::derive(move || pending.get() || handing_over.get());
    Effect::new(move |_| {
        let Some(outcome) = submitting.value().get() else {
            return;
        };
        // The status page is an app of its own: the browser loads it. (`assign` fails
        // only for a URL it cannot parse; the id is encoded.)
        attempt.settle(outcome, |href| {
            let _ = window().location().assign(href);
        });
    });
    let send = Callback::new(move |()| {
        username_touched.set(true);
        if busy.get_untracked() {
            return;
        }
        let Some(algorithm) = algorithm() else { return };
        let Ok(seconds) = lifetime.get_untracked() else {
            crate::components::focus::first_invalid();
            return;
        };
        if !violations.get_untracked().is_empty() || choice.problem().is_some() {
            crate::components::focus::first_invalid();
            return;
        }
        let Some(_) = extras else {
            // The first visit's form: the status app makes the key and sends it.
            let request = ToSend {
                algorithm,
                username: username.get_untracked(),
                groups: groups.get_untracked(),
                seconds,
                note: note.get_untracked().trim().to_owned(),
                renewed_by_plugin: renewed.get_untracked(),
            };
            handing_over.set(true);
            let handed = handoff::hand_over(&request);
            handing_over.set(handed.is_ok());
            storage_off.set(handed.is_err());
            return;
        };
        let handle = attempt.begin();
        submitting.dispatch_local(Submission {
            algorithm,
            subject: Subject {
                username: username.get_untracked(),
                groups: groups.get_untracked(),
            },
            seconds,
            note: note.get_untracked().trim().to_owned(),
            invite: invite_token.clone(),
            cancel: handle,
            renewed_by_plugin: renewed.get_untracked(),
            targets: choice.send_to(),
        });
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        send.run(());
    };
    let retry = send;
    let on_cancel = move |_| attempt.cancel();

    let algorithm_option = |a: KeyAlgorithm| {
        let value = wire_name(a);
        view! { <option value=value selected=move || main_algorithm.get() == Some(a)>{a.label()}</option> }
    };
    let rsa_option = |a: KeyAlgorithm| {
        let value = wire_name(a);
        view! { <option value=value selected=move || rsa_algorithm.get() == Some(a)>{a.label()}</option> }
    };
    let has_basic = !basic.is_empty();
    let has_rsa = !rsa.is_empty();
    // The moment the form is on the page and answers input, for the page-load benchmark
    // (`e2e/benches/page_load.rs` reads it from the Performance timeline).
    Effect::new(move |_| {
        if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
            let _ = performance.mark(FORM_READY_MARK);
        }
    });

    view! {
        <form class="card request-form" data-testid="request-form" on:submit=on_submit novalidate>
            <h2>{t!(i18n, form.heading)}</h2>
            <div class="field">
                <label for="username">{t!(i18n, form.username)}</label>
                <input id="username" name="username" data-testid="username-input" autocomplete="username"
                    aria-describedby="username-help username-error" required readonly=locked
                    aria-invalid=move || (!username_errors.get().is_empty()).to_string()
                    prop:value=move || username.get()
                    on:input=move |ev| {
                        // The key workers (one per chosen cluster) load while the person fills in the form.
                        ready_key_making(extras, false, choice.chosen.with_untracked(Vec::len));
                        username.set(event_target_value(&ev));
                        username_touched.set(true);
                    }
                    on:blur=move |_| username_touched.set(true) />
                <p id="username-help" class="help">{t!(i18n, form.username_help)}</p>
                <FieldErrors id="username-error" testid="username-error" errors=username_errors />
            </div>
            {extras.map(|extras| extras.picker(choice))}
            {show_invited_groups.then(|| view! {
                <div class="field">
                    <label for="groups">{t!(i18n, form.groups_invited)}</label>
                    <input id="groups" name="groups" data-testid="groups-input" readonly=true
                        aria-describedby="groups-error"
                        prop:value=move || groups_text.get() />
                    <FieldErrors id="groups-error" testid="groups-error" errors=group_errors />
                </div>
            })}
            {show_offered_groups.then(|| {
                let options = offered_groups
                    .iter()
                    .map(|group| {
                        let value = group.clone();
                        let toggled = group.clone();
                        let checked = group.clone();
                        view! {
                            <label class="choice">
                                <input type="checkbox" name="groups" data-testid="group-option"
                                    value=value
                                    prop:checked=move || chosen_groups.with(|c| c.contains(&checked))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen_groups.update(|chosen| {
                                            chosen.retain(|g| *g != toggled);
                                            if on {
                                                chosen.push(toggled.clone());
                                            }
                                        });
                                    } />
                                {group.clone()}
                            </label>
                        }
                    })
                    .collect_view();
                view! {
                    <fieldset class="field" data-testid="groups-field"
                        aria-describedby="groups-help groups-error">
                        <legend>{t!(i18n, form.groups_optional)}</legend>
                        {options}
                        <p id="groups-help" class="help">{t!(i18n, form.groups_help)}</p>
                        <FieldErrors id="groups-error" testid="groups-error" errors=group_errors />
                    </fieldset>
                }
            })}
            {has_basic.then(|| view! {
                <div class="field">
                    <label for="algorithm">{t!(i18n, form.algorithm)}</label>
                    <select id="algorithm" data-testid="algorithm-select"
                        on:change=move |ev| main_algorithm.set(from_wire(&event_target_value(&ev)))>
                        {basic.iter().copied().map(algorithm_option).collect_view()}
                    </select>
                </div>
            })}
            {has_rsa.then(|| view! {
                <details class="field" data-testid="advanced" open=!has_basic>
                    <summary>{t!(i18n, form.advanced_rsa)}</summary>
                    <label for="rsa-algorithm">{t!(i18n, form.rsa_size)}</label>
                    <select id="rsa-algorithm" data-testid="rsa-select"
                        on:change=move |ev| {
                            let chosen = from_wire(&event_target_value(&ev));
                            if chosen.is_some() {
                                // The workers load while the person fills in the rest.
                                ready_key_making(extras, true, 1);
                            }
                            rsa_algorithm.set(chosen);
                        }>
                        {has_basic.then(|| view! { <option value="" selected=move || rsa_algorithm.get().is_none()>{t!(i18n, form.no_rsa)}</option> })}
                        {rsa.iter().copied().map(rsa_option).collect_view()}
                    </select>
                </details>
            })}
            {plugin_offered.then(|| view! {
                <RenewalChoice renewed plugin_seconds
                    max_seconds=config.with_value(|c| c.duration.max_seconds) />
            })}
            <div class="field" hidden=move || renewed.get()>
                <label for="lifetime">{t!(i18n, form.lifetime)}</label>
                <div class="inline">
                    <input id="lifetime" type="number" min="1" inputmode="numeric" data-testid="lifetime-input"
                        aria-describedby="lifetime-error" readonly=locked
                        aria-invalid=move || lifetime.get().is_err().to_string()
                        prop:value=move || lifetime_amount.get()
                        on:input=move |ev| lifetime_amount.set(event_target_value(&ev)) />
                    <select aria-label=move || t_string!(i18n, form.lifetime_unit) data-testid="lifetime-unit" disabled=locked
                        on:change=move |ev| {
                            if let Ok(unit) = event_target_value(&ev).parse() { lifetime_unit.set(unit) }
                        }>
                        {UNITS.iter().map(|&seconds| view! {
                            <option value=seconds.to_string() selected=move || lifetime_unit.get() == seconds>
                                {move || unit_name(i18n, seconds)}
                            </option>
                        }).collect_view()}
                    </select>
                </div>
                <FieldErrors id="lifetime-error" testid="lifetime-error"
                    errors=Signal::derive(move || lifetime.get().err().into_iter()
                        .map(|problem| config.with_value(|c| rules::lifetime_words(i18n, &problem, c)))
                        .collect()) />
            </div>
            <div class="field">
                <label for="note">{t!(i18n, form.note)}</label>
                <textarea id="note" data-testid="note-input" rows="2" maxlength="1000"
                    prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev))></textarea>
            </div>
            <p class="help">{t!(i18n, form.key_stays)}</p>
            <div class="actions">
                <button type="submit" data-testid="submit-request" disabled=move || busy.get()>
                    {move || if busy.get() { t_string!(i18n, form.working) } else { t_string!(i18n, form.submit) }}
                </button>
                {move || pending.get().then(|| view! {
                    <button type="button" class="secondary" data-testid="cancel-keygen" on:click=on_cancel>{t!(i18n, form.cancel)}</button>
                })}
            </div>
            <p role="status" aria-live="polite" data-testid="keygen-progress">
                {move || progress.get().map(|p| crate::components::progress::progress_words(i18n, p))}
            </p>
            {move || storage_off.get().then(|| view! {
                <p class="card error" role="alert" data-testid="request-error">{t!(i18n, form.storage_off)}</p>
            })}
            {move || failure.get().and_then(|failure| extras.map(|extras| extras.failure_panel(failure, retry)))}
        </form>
    }
}

/// How the certificate is kept: short and renewed by the credential plugin, or
/// downloaded by hand for a longer lifetime.
#[component]
fn RenewalChoice(renewed: RwSignal<bool>, plugin_seconds: u32, max_seconds: u32) -> impl IntoView {
    let i18n = use_i18n();
    let short = move || time::lifetime_words(i18n.get_locale().as_str(), plugin_seconds);
    let long = move || time::lifetime_words(i18n.get_locale().as_str(), max_seconds);
    view! {
        <fieldset class="field" data-testid="renewal-choice" aria-describedby="renewal-help">
            <legend>{t!(i18n, form.renewal_legend)}</legend>
            <label class="choice">
                <input type="radio" name="renewal" data-testid="renewal-plugin"
                    prop:checked=move || renewed.get() on:change=move |_| renewed.set(true) />
                {t!(i18n, form.renewal_plugin, lifetime = short)}
            </label>
            <label class="choice">
                <input type="radio" name="renewal" data-testid="renewal-manual"
                    prop:checked=move || !renewed.get() on:change=move |_| renewed.set(false) />
                {t!(i18n, form.renewal_manual, lifetime = long)}
            </label>
            <p id="renewal-help" class="help">{t!(i18n, form.renewal_help)}</p>
        </fieldset>
    }
}

/// The messages of one field, announced to screen readers.
#[component]
fn FieldErrors(
    id: &'static str,
    testid: &'static str,
    #[prop(into)] errors: Signal<Vec<String>>,
) -> impl IntoView {
    view! {
        <div id=id data-testid=testid class="field-error" aria-live="polite">
            {move || errors.get().into_iter().map(|message| view! { <p>{message}</p> }).collect_view()}
        </div>
    }
}

fn wire_name(algorithm: KeyAlgorithm) -> String {
    serde_json::to_value(algorithm)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn from_wire(name: &str) -> Option<KeyAlgorithm> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}
