//! A tour of every page in its main states, each state waited for and then
//! photographed: the README's screenshots (`docs/screenshots/`, written by
//! `scripts/screenshots.sh`, which sets `CERTDESK_SCREENSHOTS`); otherwise the pictures
//! go to this test's artefact directory. Every step waits on what the page shows, so
//! the tour fails when a page does not reach its state.

use std::path::PathBuf;

use anyhow::{Context, Result};
use e2e::action::{self, approver, requester};
use e2e::browser::Browser;
use e2e::find;
use e2e::stack::Stack;

use crate::flow;

const TEST: &str = "screenshots";

/// Where the pictures go.
fn out_dir(stack: &Stack) -> Result<PathBuf> {
    let dir = std::env::var_os("CERTDESK_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| stack.artifacts());
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn shoot(browser: &Browser, dir: &std::path::Path, name: &str) -> Result<()> {
    // Let the last render settle into a frame before the picture.
    browser
        .client
        .execute("return await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));", vec![])
        .await?;
    browser.screenshot(&dir.join(format!("{name}.png"))).await?;
    Ok(())
}

async fn tall(stack: &Stack, who: &str) -> Result<std::sync::Arc<Browser>> {
    let browser = stack.browser(who).await?;
    browser.client.set_window_size(1280, 1500).await?;
    Ok(browser)
}

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn every_page_in_its_main_states() -> Result<()> {
    let stack = Stack::start_auto_approving(TEST)?;
    let role = stack
        .cluster
        .create_pod_reader("default", &e2e::unique("pod-reader"))?;
    stack.run(tour(&stack, &role.name)).await
}

async fn tour(stack: &Stack, role: &str) -> Result<()> {
    let dir = out_dir(stack)?;
    let base = &stack.portal.url;
    let username = "jisoo";

    // The request form, then the policy speaking as the person types.
    let requester_browser = tall(stack, "requester").await?;
    requester_browser.client.goto(&format!("{base}/")).await?;
    find::text_when(&requester_browser, "cluster-name", find::PATIENCE, |t| {
        !t.is_empty()
    })
    .await?;
    shoot(&requester_browser, &dir, "01-request-form").await?;
    let input = find::by_testid(&requester_browser, "username-input").await?;
    action::type_into(&input, "system:admin").await?;
    find::text_when(&requester_browser, "username-error", find::PATIENCE, |t| {
        t.contains("system:")
    })
    .await?;
    shoot(&requester_browser, &dir, "02-request-form-refused").await?;

    let form = requester::Form {
        username,
        groups: &["dev-team"],
        algorithm: requester::Algorithm::EcdsaP256,
        lifetime_hours: 8,
    };
    let id = requester::request_access(&requester_browser, base, &form).await?;
    requester::wait_for_phase(&requester_browser, "Pending", flow::SIGNING).await?;
    shoot(&requester_browser, &dir, "03-status-pending").await?;

    // A request an approver should look at twice (the policy refuses admin groups
    // at the form, so a long lifetime it is; kubectl-made CSRs show the red flags).
    let risky_browser = tall(stack, "risky").await?;
    let risky = requester::Form {
        username: "build-bot",
        groups: &["qa"],
        algorithm: requester::Algorithm::EcdsaP256,
        lifetime_hours: 24 * 200,
    };
    requester::fill_form(&risky_browser, base, &risky).await?;
    let risky_id = requester::submit(&risky_browser).await?;

    let approver_browser = tall(stack, "approver").await?;
    approver::sign_in(&approver_browser, base, &stack.cluster.approver_token()?).await?;
    shoot(&approver_browser, &dir, "04-admin-signed-in").await?;
    approver::find_in_list(&approver_browser, base, &risky_id).await?;
    approver::find_in_list(&approver_browser, base, &id).await?;
    shoot(&approver_browser, &dir, "05-admin-requests").await?;
    approver::open_request(&approver_browser, base, &id).await?;
    approver::grant_role(&approver_browser, "default", role).await?;
    shoot(&approver_browser, &dir, "06-admin-request-detail").await?;
    approver::approve(&approver_browser).await?;

    let kubeconfig = flow::download_when_issued(&requester_browser).await?;
    shoot(&requester_browser, &dir, "07-status-issued").await?;

    approver::open_request(&approver_browser, base, &risky_id).await?;
    approver::deny(
        &approver_browser,
        "Robots get a ServiceAccount, not a person's certificate.",
    )
    .await?;
    requester::wait_for_phase(&risky_browser, "Denied", flow::SIGNING).await?;
    shoot(&risky_browser, &dir, "08-status-denied").await?;

    // Inspect, with the renewal it offers.
    requester_browser
        .client
        .goto(&format!("{base}/inspect"))
        .await?;
    find::by_testid(&requester_browser, "inspect-file")
        .await?
        .send_keys(kubeconfig.path.to_str().context("path")?)
        .await?;
    find::text_when(
        &requester_browser,
        "inspect-key-match",
        find::PATIENCE,
        |t| t.starts_with("Yes"),
    )
    .await?;
    find::by_testid(&requester_browser, "renew-button").await?;
    shoot(&requester_browser, &dir, "09-inspect").await?;

    // Invites: the approver's page with a fresh link, and the invitee's locked form.
    let link =
        approver::create_invite(&approver_browser, base, "haneul", Some(("default", role))).await?;
    shoot(&approver_browser, &dir, "10-admin-invites").await?;
    let invitee = tall(stack, "invitee").await?;
    requester::open_invite(&invitee, &link)
        .await?
        .map_err(|refusal| anyhow::anyhow!("the invite was refused: {refusal}"))?;
    shoot(&invitee, &dir, "11-invite-form").await?;

    // People, after access was removed for one of them.
    approver::remove_access(&approver_browser, base, username).await?;
    find::by_css(
        &approver_browser,
        "[data-testid=\"person\"][data-username=\"jisoo\"][data-removed=\"true\"]",
    )
    .await?;
    shoot(&approver_browser, &dir, "12-admin-people").await?;
    Ok(())
}
