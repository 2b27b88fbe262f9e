//! What guards CertDesk's records and its own approvals: the admission policies
//! (deploy/admission-policy.yaml) that keep an invite's maker and a CSR's
//! `certdesk.dev/approved-by` true, and — with auto-approval — the admission webhook
//! that limits CertDesk's own approvals.

use k8s_openapi::api::admissionregistration::v1::{
    ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding, ValidatingWebhookConfiguration,
};
use kube::api::ListParams;
use kube::{Api, Client};

use super::Line;

/// The admission policies CertDesk's records rely on, each with its binding.
pub const POLICIES: [&str; 2] = ["certdesk-invites", "certdesk-approved-by"];

/// The webhook's name in its registration.
pub const WEBHOOK: &str = "approval-identity.certdesk.dev";

/// Checks the admission policies, and the webhook when the backend approves by itself.
pub async fn check(client: &Client, auto_approve: bool) -> Vec<Line> {
    let mut lines = vec![policies(client).await];
    if auto_approve {
        lines.push(webhook(client).await);
    }
    lines
}

async fn policies(client: &Client) -> Line {
    let policies = Api::<ValidatingAdmissionPolicy>::all(client.clone());
    let bindings = Api::<ValidatingAdmissionPolicyBinding>::all(client.clone());
    let mut missing = Vec::new();
    for name in POLICIES {
        let found = tokio::try_join!(policies.get_opt(name), bindings.get_opt(name));
        match found {
            Ok((Some(_), Some(_))) => {}
            Ok(_) => missing.push(name.to_owned()),
            Err(error) => missing.push(format!("{name} ({error})")),
        }
    }
    if missing.is_empty() {
        Line::ok(
            "admission-policy",
            "certdesk-invites and certdesk-approved-by are installed and bound",
        )
    } else {
        Line::fail(
            "admission-policy",
            format!(
                "missing: {}; apply deploy/admission-policy.yaml (the Helm chart installs it): without it an invite's maker and a CSR's approved-by can be written by anyone who may create invites or approve",
                missing.join(", ")
            ),
        )
    }
}

async fn webhook(client: &Client) -> Line {
    let registrations = Api::<ValidatingWebhookConfiguration>::all(client.clone());
    match registrations.list(&ListParams::default()).await {
        Ok(list) => {
            let registered = list.items.iter().any(|registration| {
                registration.webhooks.iter().flatten().any(|webhook| {
                    webhook.name == WEBHOOK && webhook.failure_policy.as_deref() != Some("Ignore")
                })
            });
            if registered {
                Line::ok(
                    "webhook",
                    "CertDesk's admission webhook is registered (failurePolicy Fail): it limits CertDesk's own approvals",
                )
            } else {
                Line::fail(
                    "webhook",
                    "the backend approves by itself, but CertDesk's admission webhook is not registered with failurePolicy Fail: a stolen ServiceAccount token could approve any identity; set webhook.enabled in the chart (deploy/webhook/)",
                )
            }
        }
        Err(error) => Line::fail(
            "webhook",
            format!("cannot list the admission webhooks ({error})"),
        ),
    }
}
