//! What each phase means for the requester, with the approver's message and, once
//! approved, what the grants let them do.

use leptos::prelude::*;
use shared::admin::{Grant, RoleKind};
use shared::{Phase, RequestStatus};

use crate::components::command_line::{CommandLine, shell_word};
use crate::components::request_row::duration_words;
use crate::components::time;

/// "Sent 2026-12-01 09:30 UTC", when the server knows.
#[component]
pub fn SentAt(status: RequestStatus) -> impl IntoView {
    status.submitted_at.map(|at| {
        let ms = at.unix_timestamp() as f64 * 1000.0;
        view! { <p class="muted" data-testid="sent-at">"Sent " {time::format_utc(ms)}</p> }
    })
}

/// What the request asked for, who decides and how long that usually takes, while it
/// waits.
#[component]
fn Waiting(status: RequestStatus, contact: Option<String>) -> impl IntoView {
    view! {
        <dl class="facts" data-testid="asked">
            <div><dt>"Lifetime asked for"</dt><dd data-testid="asked-lifetime">{
                status.requested_seconds.map_or_else(
                    || "the cluster's maximum".to_owned(),
                    |s| duration_words(i64::from(s)),
                )
            }</dd></div>
            <div><dt>"Your note"</dt><dd data-testid="asked-note">{
                status.note.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "none".to_owned())
            }</dd></div>
            <div><dt>"Who approves"</dt><dd data-testid="approvers-contact">{
                contact.unwrap_or_else(|| "this cluster's approvers (the operator named no contact)".to_owned())
            }</dd></div>
            <div><dt>"Usual wait"</dt><dd data-testid="typical-wait">{
                status.typical_wait_seconds.map_or_else(
                    || "not known yet".to_owned(),
                    |s| format!("about {} (the median of the last 30 days)", duration_words(i64::from(s.max(60)))),
                )
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
    let message = status.message.clone().filter(|m| !m.trim().is_empty());
    match status.phase {
        Phase::Pending => view! {
            <p>"Waiting for an approver. You can close this page: your key is kept in this browser, "
               "and this address (or the start page) brings you back here."</p>
            <Waiting status=status.clone() contact />
        }
        .into_any(),
        Phase::Approved => match status.not_issued.clone() {
            Some(why) => view! {
                <p class="warning" role="alert" data-testid="not-issued">{why}</p>
            }
            .into_any(),
            None => view! {
                <p>"Approved. The cluster is signing your certificate; this usually takes seconds."</p>
                <ApproverMessage message />
            }
            .into_any(),
        },
        Phase::Issued => view! {
            <p>{if has_key {
                "Your certificate is ready. Download the kubeconfig below."
            } else {
                "Your certificate is ready. Its key is in the browser that made this request: make the kubeconfig there."
            }}</p>
            <ApproverMessage message />
            <Granted grants=status.grants.clone() />
            {status.lifetime_cut.map(|cut| view! {
                <p class="warning" data-testid="lifetime-cut">
                    {format!(
                        "You asked for {}; the cluster issued {}: its signer caps certificate lifetimes.",
                        duration_words(i64::from(cut.requested_seconds)),
                        duration_words(i64::from(cut.issued_seconds)),
                    )}
                </p>
            })}
        }
        .into_any(),
        Phase::Denied => view! {
            <p>"An approver denied this request."</p>
            <p>"Reason: " <q data-testid="deny-reason">{message.unwrap_or_else(|| "none given".to_owned())}</q></p>
            <p>"What next: talk to the approver about what you need, then make a new request."</p>
        }
        .into_any(),
        Phase::Failed => view! {
            <p>"The cluster's signer could not issue the certificate."</p>
            <p data-testid="deny-reason">{message.unwrap_or_default()}</p>
            <p>"What next: make a new request; if it fails again, tell the cluster's operator."</p>
        }
        .into_any(),
        Phase::Gone => view! {
            <p>"The cluster no longer has this request: it removes requests an hour after a decision, "
               "or a day after they were made if nobody decided. Make a new request from the start page."</p>
        }
        .into_any(),
        Phase::Withdrawn => view! {
            <p data-testid="withdrawn">"You withdrew this request: approvers no longer see it, and CertDesk will not approve it. "
               "Make a new request from the start page when you need access."</p>
        }
        .into_any(),
    }
}

/// The approver's words, as they wrote them (text, never markup).
#[component]
fn ApproverMessage(message: Option<String>) -> impl IntoView {
    message.map(|message| {
        view! {
            <p>"Message: " <q data-testid="approver-message">{message}</q></p>
        }
    })
}

/// What the grants let the requester do: a sentence each, and the `kubectl auth can-i
/// --list` line that shows it exactly.
#[component]
fn Granted(grants: Vec<Grant>) -> impl IntoView {
    if grants.is_empty() {
        return view! {
            <p data-testid="granted-none">"No roles were granted with the approval: the cluster knows who you are, "
               "but you may do only what is already granted to your username or groups. "
               "Check with " <code>"kubectl auth can-i --list"</code> "."</p>
        }
        .into_any();
    }
    let mut scopes: Vec<Option<String>> = grants.iter().map(|g| g.namespace.clone()).collect();
    scopes.sort();
    scopes.dedup();
    view! {
        <h3>"What you may now do"</h3>
        <ul data-testid="granted">
            {grants.iter().map(|grant| view! { <li>{grant_words(grant)}</li> }).collect_view()}
        </ul>
        <p>"See exactly what the cluster allows you:"</p>
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

/// One grant in words, such as "view in the namespace team-a: read most objects there
/// (not Secrets)".
pub fn grant_words(grant: &Grant) -> String {
    let meaning = match (grant.kind, grant.name.as_str()) {
        (RoleKind::ClusterRole, "view") => ": read most objects (not Secrets)",
        (RoleKind::ClusterRole, "edit") => ": read and change most objects (not roles or bindings)",
        (RoleKind::ClusterRole, "admin") => {
            ": manage everything, including roles and bindings in the namespace"
        }
        (RoleKind::ClusterRole, "cluster-admin") => ": do anything",
        _ => "",
    };
    let kind = match grant.kind {
        RoleKind::Role => "the role",
        RoleKind::ClusterRole => "the cluster role",
    };
    match &grant.namespace {
        Some(namespace) => format!(
            "{kind} {} in the namespace {namespace}{meaning}",
            grant.name
        ),
        None => format!("{kind} {} everywhere in the cluster{meaning}", grant.name),
    }
}
