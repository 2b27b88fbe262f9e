//! "Keep it renewed", as a new user would: request access in the browser, be approved
//! with a grant, press the issued page's button, then run the page's commands literally
//! in a shell of one's own (a HOME whose Downloads is the browser's). kubectl keeps
//! working across renewals made with no browser, each approved by CertDesk's renewal
//! rule, none by a person.

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use e2e::action::requester::{self, Algorithm, Form};
use e2e::action::{approver, click};
use e2e::find;
use e2e::stack::Stack;
use serde_json::Value;

use crate::flow;

/// The page's commands, in the order it gives them.
const STEPS: [&str; 6] = [
    "plugin-install",
    "plugin-import",
    "kubectl-whoami",
    "kubectl-backup",
    "kubectl-merge",
    "kubectl-switch",
];

const AUTO: &str = "system:serviceaccount:certdesk:certdesk-auto";

#[tokio::test]
#[ignore = "needs the control plane, the release bundle with the plugin and chromium; run by scripts/test.sh"]
async fn the_pages_commands_keep_kubectl_working_across_renewals() -> Result<()> {
    let stack = Stack::start_auto_approving("keep_renewed")?;
    let role = stack
        .cluster
        .create_pod_reader("default", &e2e::unique("renewed-reader"))?;
    stack.run(scenario(&stack, &role.name)).await
}

async fn scenario(stack: &Stack, role: &str) -> Result<()> {
    let base = &stack.portal.url;
    let username = e2e::unique("keeper");
    let browser = stack.browser("requester").await?;
    let form = Form {
        username: &username,
        groups: &["dev-team"],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 1,
    };
    let id = requester::request_access(&browser, base, &form).await?;
    requester::wait_for_phase(&browser, "Pending", flow::SIGNING).await?;

    let approving = stack.browser("approver").await?;
    approver::sign_in(&approving, base, &stack.cluster.approver_token()?).await?;
    approver::open_request(&approving, base, &id).await?;
    approver::grant_role(&approving, "default", role).await?;
    approver::approve(&approving).await?;

    requester::wait_for_phase(&browser, "Issued", flow::SIGNING).await?;
    requester::download_kubeconfig(&browser).await?;
    click(&browser, "keep-renewed").await?;
    let note = find::by_testid(&browser, "renewal-note")
        .await?
        .text()
        .await?;
    ensure!(
        note.contains("renews it by itself"),
        "the page says {note:?}"
    );
    let mut commands = Vec::new();
    for step in STEPS {
        let command = find::by_testid(&browser, step)
            .await
            .with_context(|| format!("the page offers no {step} command"))?
            .text()
            .await?;
        commands.push(command);
    }

    let home = e2e::shell::Home::with_downloads(browser.downloads())?;
    for (step, command) in STEPS.iter().zip(&commands) {
        let out = home.run(command, None)?;
        ensure!(out.0, "{step}: `{command}` failed: {}", out.1);
        if *step == "kubectl-whoami" {
            ensure!(out.1.contains(&username), "whoami answered {}", out.1);
        }
    }

    // Two renewals, due at once by the test's threshold, then kubectl as usual.
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_secs(4)).await;
        let (ok, said) = home.run("kubectl get pods", Some("0.0001"))?;
        ensure!(ok, "kubectl get pods failed: {said}");
    }
    let renewals = renewals_of(stack, &username)?;
    ensure!(
        renewals.len() >= 2,
        "{} renewal CSRs for {username}",
        renewals.len()
    );
    for csr in &renewals {
        let annotations = &csr["metadata"]["annotations"];
        ensure!(
            annotations["certdesk.dev/approved-by"] == AUTO
                && csr["status"]["conditions"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|c| c["reason"] == "CertDeskAutoApprove")),
            "a renewal not approved by CertDesk's renewal rule: {csr}"
        );
    }
    Ok(())
}

/// The renewal CSRs of `username` (named `certdesk-<username>-…`, as `kubectl get csr`
/// shows them, with the certificate they renew recorded).
fn renewals_of(stack: &Stack, username: &str) -> Result<Vec<Value>> {
    let text = stack.cluster.admin_kubectl_ok(&[
        "get",
        "csr",
        "-l",
        "app.kubernetes.io/managed-by=certdesk",
        "-o",
        "json",
    ])?;
    let list: Value = serde_json::from_str(&text)?;
    let Some(items) = list["items"].as_array() else {
        bail!("kubectl get csr printed no items");
    };
    let prefix = format!("certdesk-{username}-");
    Ok(items
        .iter()
        .filter(|csr| {
            csr["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with(&prefix))
                && csr["metadata"]["annotations"]["certdesk.dev/renewal-of"].is_string()
        })
        .cloned()
        .collect())
}
