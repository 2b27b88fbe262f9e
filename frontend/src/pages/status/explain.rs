//! What each phase means for the requester, with the approver's message and, once
//! approved, what the grants let them do.

use leptos::prelude::*;
use leptos_i18n::Locale as _;
use shared::admin::{Grant, RoleKind};
use shared::decision::Said;
use shared::{Phase, RequestStatus};

use crate::components::command_line::{CommandLine, shell_word};
use crate::components::time;
use crate::i18n::{t, t_string, use_i18n};

/// "Sent 2026-12-01 09:30 UTC", when the server knows.
#[component]
pub fn SentAt(status: RequestStatus) -> impl IntoView {
    let i18n = use_i18n();
    status.submitted_at.map(|at| {
        let when = time::format_utc(at.unix_timestamp() as f64 * 1000.0);
        view! { <p class="muted" data-testid="sent-at">{t!(i18n, explain.sent, when = move || when.clone())}</p> }
    })
}

/// What the request asked for, who decides and how long that usually takes, while it
/// waits.
#[component]
fn Waiting(status: RequestStatus, contact: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let words = move |seconds: i64| time::span_words(i18n.get_locale().as_str(), seconds);
    let lifetime = status.requested_seconds.map(i64::from);
    let note = status.note.clone().filter(|n| !n.trim().is_empty());
    let wait = status.typical_wait_seconds.map(|s| i64::from(s.max(60)));
    view! {
        <dl class="facts" data-testid="asked">
            <div><dt>{t!(i18n, explain.lifetime_asked)}</dt><dd data-testid="asked-lifetime">{
                match lifetime {
                    Some(seconds) => (move || words(seconds)).into_any(),
                    None => t!(i18n, explain.cluster_maximum).into_any(),
                }
            }</dd></div>
            <div><dt>{t!(i18n, explain.your_note)}</dt><dd data-testid="asked-note">{
                match note {
                    Some(note) => note.into_any(),
                    None => t!(i18n, explain.none).into_any(),
                }
            }</dd></div>
            <div><dt>{t!(i18n, explain.who_approves)}</dt><dd data-testid="approvers-contact">{
                match contact {
                    Some(contact) => contact.into_any(),
                    None => t!(i18n, explain.no_contact).into_any(),
                }
            }</dd></div>
            <div><dt>{t!(i18n, explain.usual_wait)}</dt><dd data-testid="typical-wait">{
                match wait {
                    Some(seconds) => t!(i18n, explain.about, wait = move || words(seconds)).into_any(),
                    None => t!(i18n, explain.not_known).into_any(),
                }
            }</dd></div>
        </dl>
    }
}

/// What the phase means for the requester; `has_key` says whether this browser holds
/// the request's key (it can make the kubeconfig only then).
#[component]
pub fn PhaseExplanation(
    status: RequestStatus,
    has_key: bool,
    /// Whom to ask, as the operator configured it.
    contact: Option<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let message = status.message.clone().filter(|m| !m.trim().is_empty());
    match status.phase {
        Phase::Pending => view! {
            <p>{t!(i18n, explain.pending)}</p>
            <Waiting status=status.clone() contact />
        }
        .into_any(),
        Phase::Approved => match status.not_issued.clone() {
            Some(why) => view! {
                <p class="warning" role="alert" data-testid="not-issued">{why}</p>
            }
            .into_any(),
            None => view! {
                <p>{t!(i18n, explain.approved)}</p>
                <ApproverMessage message />
            }
            .into_any(),
        },
        Phase::Issued => view! {
            <p>{move || if has_key {
                t_string!(i18n, explain.issued)
            } else {
                t_string!(i18n, explain.issued_elsewhere)
            }}</p>
            <ApproverMessage message />
            <Granted grants=status.grants.clone() />
            {status.lifetime_cut.map(|cut| {
                let words = move |seconds: u32| time::span_words(i18n.get_locale().as_str(), i64::from(seconds));
                let asked = move || words(cut.requested_seconds);
                let issued = move || words(cut.issued_seconds);
                view! {
                    <p class="warning" data-testid="lifetime-cut">
                        {t!(i18n, explain.lifetime_cut, asked = asked, issued = issued)}
                    </p>
                }
            })}
        }
        .into_any(),
        Phase::Denied => view! {
            <p>{t!(i18n, explain.denied)}</p>
            <p>{denial_reason(i18n, message)}</p>
            <p>{t!(i18n, explain.denied_next)}</p>
        }
        .into_any(),
        Phase::Failed => view! {
            <p>{t!(i18n, explain.failed)}</p>
            <p data-testid="deny-reason">{message.unwrap_or_default()}</p>
            <p>{t!(i18n, explain.failed_next)}</p>
        }
        .into_any(),
        Phase::Gone => view! {
            <p>{t!(i18n, explain.gone)}</p>
        }
        .into_any(),
        Phase::Withdrawn => view! {
            <p data-testid="withdrawn">{t!(i18n, explain.withdrawn)}</p>
        }
        .into_any(),
    }
}

/// The approver's words, as they wrote them (text, never markup).
#[component]
fn ApproverMessage(message: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let message = message?;
    // CertDesk's own approval message is read back and said in the page's language;
    // any other (a decision made with kubectl) is shown as the cluster holds it.
    let said = match shared::decision::read(&message) {
        Some(Said::Approved { by, words }) => {
            let by = by.to_owned();
            match words.map(str::to_owned) {
                Some(words) => t!(i18n, explain.message_from,
                    <approver> = move || by.clone(),
                    <message> = move || view! { <q data-testid="approver-message">{words.clone()}</q> })
                .into_any(),
                None => t!(i18n, explain.approved_by, approver = move || by.clone()).into_any(),
            }
        }
        _ => t!(i18n, explain.message,
            <message> = move || view! { <q data-testid="approver-message">{message.clone()}</q> })
        .into_any(),
    };
    Some(view! { <p>{said}</p> })
}

/// Why it was denied: the approver's reason (read back from CertDesk's message) and who
/// gave it, or the message as the cluster holds it.
fn denial_reason(
    i18n: leptos_i18n::I18nContext<crate::i18n::Locale>,
    message: Option<String>,
) -> AnyView {
    let quoted = |text: String| move || view! { <q data-testid="deny-reason">{text.clone()}</q> };
    match message {
        None => t!(i18n, explain.reason, <reason> = move || view! {
            <q data-testid="deny-reason">{t!(i18n, explain.none_given)}</q>
        })
        .into_any(),
        Some(message) => match shared::decision::read(&message) {
            Some(Said::Denied { by, reason }) => {
                let by = by.to_owned();
                t!(i18n, explain.reason_from, <approver> = move || by.clone(), <reason> = quoted(reason.to_owned()))
                    .into_any()
            }
            _ => t!(i18n, explain.reason, <reason> = quoted(message)).into_any(),
        },
    }
}

/// What the grants let the requester do: a sentence each, and the `kubectl auth can-i
/// --list` line that shows it exactly.
#[component]
fn Granted(grants: Vec<Grant>) -> impl IntoView {
    let i18n = use_i18n();
    if grants.is_empty() {
        return view! {
            <p data-testid="granted-none">{t!(i18n, explain.granted_none,
                <command> = move || view! { <code>"kubectl auth can-i --list"</code> })}</p>
        }
        .into_any();
    }
    let mut scopes: Vec<Option<String>> = grants.iter().map(|g| g.namespace.clone()).collect();
    scopes.sort();
    scopes.dedup();
    view! {
        <h3>{t!(i18n, explain.granted_heading)}</h3>
        <ul data-testid="granted">
            {grants.into_iter().map(|grant| view! { <li>{move || grant_words(i18n, &grant)}</li> }).collect_view()}
        </ul>
        <p>{t!(i18n, explain.see_exactly)}</p>
        {scopes.into_iter().enumerate().map(|(n, namespace)| {
            let command = match namespace {
                Some(namespace) => format!(
                    "kubectl auth can-i --list --namespace {}",
                    shell_word(&namespace)
                ),
                None => "kubectl auth can-i --list".to_owned(),
            };
            let testid = if n == 0 { "can-i-list" } else { "can-i-list-more" };
            view! { <CommandLine command testid /> }
        }).collect_view()}
    }
    .into_any()
}

/// One grant in the page's words, such as "the cluster role view in the namespace
/// team-a: read most objects (not Secrets)".
pub fn grant_words(i18n: crate::components::request_row::I18n, grant: &Grant) -> String {
    use crate::language::fill;
    let place = match (grant.kind, &grant.namespace) {
        (RoleKind::Role, Some(_)) => t_string!(i18n, explain.grant_role_in),
        (RoleKind::ClusterRole, Some(_)) => t_string!(i18n, explain.grant_cluster_role_in),
        (RoleKind::Role, None) => t_string!(i18n, explain.grant_role_everywhere),
        (RoleKind::ClusterRole, None) => t_string!(i18n, explain.grant_cluster_role_everywhere),
    };
    let namespace = grant.namespace.clone().unwrap_or_default();
    let said = fill(place, &[("name", &grant.name), ("namespace", &namespace)]);
    let meaning = match (grant.kind, grant.name.as_str()) {
        (RoleKind::ClusterRole, "view") => Some(t_string!(i18n, explain.grant_means_view)),
        (RoleKind::ClusterRole, "edit") => Some(t_string!(i18n, explain.grant_means_edit)),
        (RoleKind::ClusterRole, "admin") => Some(t_string!(i18n, explain.grant_means_admin)),
        (RoleKind::ClusterRole, "cluster-admin") => {
            Some(t_string!(i18n, explain.grant_means_cluster_admin))
        }
        _ => None,
    };
    match meaning {
        Some(meaning) => fill(meaning, &[("grant", &said)]),
        None => said,
    }
}
