//! Steps several scenarios share: an approver deciding in a browser of their own, and
//! the requester's kubeconfig download.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::action::{approver, requester};
use e2e::browser::Browser;
use e2e::kubeconfig::Kubeconfig;
use e2e::stack::Stack;

/// Long enough for the signer and the watch on a busy machine; the waits end as soon as
/// the page shows the phase.
pub const SIGNING: Duration = Duration::from_secs(90);

/// The local approver (deploy/rbac-approver.yaml + view) signs in in a browser of their
/// own, opens the request from the list, checks its decoded subject, grants `grant`
/// (namespace, Role) if any, and approves. Returns the outcome panel's text.
pub async fn approve(
    stack: &Stack,
    id: &str,
    username: &str,
    groups: &[&str],
    grant: Option<(&str, &str)>,
) -> Result<String> {
    let browser = stack.browser("approver").await?;
    approver::sign_in(
        &browser,
        &stack.portal.url,
        &stack.cluster.approver_token()?,
    )
    .await?;
    approver::open_request(&browser, &stack.portal.url, id).await?;
    check_subject(&browser, username, groups).await?;
    if let Some((namespace, role)) = grant {
        approver::grant_role(&browser, namespace, role).await?;
    }
    approver::approve(&browser).await
}

/// The request page shows the CSR's decoded username and groups.
pub async fn check_subject(browser: &Browser, username: &str, groups: &[&str]) -> Result<()> {
    let shown = e2e::find::by_testid(browser, "detail-username")
        .await?
        .text()
        .await?;
    ensure!(
        shown.trim() == username,
        "the approver sees username {shown:?}"
    );
    let shown = e2e::find::by_testid(browser, "detail-groups")
        .await?
        .text()
        .await?;
    for group in groups {
        ensure!(shown.contains(group), "the approver sees groups {shown:?}");
    }
    Ok(())
}

/// Waits for Issued on the requester's page and downloads the kubeconfig.
pub async fn download_when_issued(requester_browser: &Browser) -> Result<Kubeconfig> {
    requester::wait_for_phase(requester_browser, "Issued", SIGNING).await?;
    let file = requester::download_kubeconfig(requester_browser)
        .await
        .context("the kubeconfig did not download")?;
    Ok(Kubeconfig::at(file))
}

/// The private key in the kubeconfig is of the kind `openssl pkey -text` names in its
/// first line (`ED25519 Private-Key`, `Private-Key: (2048 bit`, …).
pub fn check_key_kind(kubeconfig: &Kubeconfig, kind: &str) -> Result<()> {
    let key = kubeconfig.client_key_pem()?;
    let text = e2e::tools::ok(
        "openssl",
        &["pkey", "-noout", "-text"],
        Some(key.as_bytes()),
    )?;
    let first = text.lines().next().unwrap_or_default();
    ensure!(first.contains(kind), "the key is {first:?}, not {kind}");
    if kind.contains("RSA") {
        // Primes found by separate workers: openssl checks p and q are prime, n = pq,
        // and d and the CRT values match them.
        let check = e2e::tools::ok(
            "openssl",
            &["rsa", "-check", "-noout"],
            Some(key.as_bytes()),
        )?;
        ensure!(check.contains("RSA key ok"), "openssl rsa -check: {check}");
    }
    Ok(())
}
