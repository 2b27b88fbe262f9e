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

/// The tour's pictures and what axe-core found on the way.
struct Tour {
    dir: PathBuf,
    problems: Vec<String>,
}

/// Whether a state is also photographed at a phone's width.
#[derive(Clone, Copy, PartialEq)]
enum Phone {
    Too,
    No,
}

/// A phone's viewport (an iPhone 12–15's CSS pixels).
const PHONE: (u32, u32) = (390, 844);

async fn settle(browser: &Browser) -> Result<()> {
    // Let the last render settle into a frame before the picture.
    browser
        .client
        .execute("return await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));", vec![])
        .await?;
    Ok(())
}

impl Tour {
    /// Photographs the state (and at a phone's width when asked), then runs axe-core
    /// on it in both colour schemes; its findings are kept for the end of the tour.
    async fn shoot(&mut self, browser: &Browser, name: &str, phone: Phone) -> Result<()> {
        settle(browser).await?;
        browser
            .screenshot(&self.dir.join(format!("{name}.png")))
            .await?;
        if phone == Phone::Too {
            browser.client.set_window_size(PHONE.0, PHONE.1).await?;
            settle(browser).await?;
            browser
                .screenshot(&self.dir.join(format!("{name}-phone.png")))
                .await?;
            if let Err(found) =
                e2e::axe::check_both_schemes(browser, &format!("{name} at 390 px")).await
            {
                self.problems.push(format!("{found:#}"));
            }
            browser.client.set_window_size(1280, 1500).await?;
        }
        if let Err(found) = e2e::axe::check_both_schemes(browser, name).await {
            self.problems.push(format!("{found:#}"));
        }
        Ok(())
    }

    /// The same state in the dark colour scheme.
    async fn shoot_dark(&mut self, browser: &Browser, name: &str) -> Result<()> {
        browser
            .cdp(
                "Emulation.setEmulatedMedia",
                serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] }),
            )
            .await?;
        settle(browser).await?;
        browser
            .screenshot(&self.dir.join(format!("{name}-dark.png")))
            .await?;
        browser
            .cdp(
                "Emulation.setEmulatedMedia",
                serde_json::json!({ "features": [] }),
            )
            .await?;
        Ok(())
    }
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
    let mut tour = Tour {
        dir: out_dir(stack)?,
        problems: Vec::new(),
    };
    let base = &stack.portal.url;
    let username = "jisoo";

    // The request form, then the policy speaking as the person types.
    let requester_browser = tall(stack, "requester").await?;
    requester_browser.client.goto(&format!("{base}/")).await?;
    find::text_when(&requester_browser, "cluster-name", find::PATIENCE, |t| {
        !t.is_empty()
    })
    .await?;
    tour.shoot(&requester_browser, "01-request-form", Phone::Too)
        .await?;
    let input = find::by_testid(&requester_browser, "username-input").await?;
    action::type_into(&input, "system:admin").await?;
    find::text_when(&requester_browser, "username-error", find::PATIENCE, |t| {
        t.contains("system:")
    })
    .await?;
    tour.shoot(&requester_browser, "02-request-form-refused", Phone::No)
        .await?;

    let form = requester::Form {
        username,
        groups: &["dev-team"],
        algorithm: requester::Algorithm::EcdsaP256,
        lifetime_hours: 8,
    };
    let id = requester::request_access(&requester_browser, base, &form).await?;
    requester::wait_for_phase(&requester_browser, "Pending", flow::SIGNING).await?;
    // This requester does not ask to be notified: no notification, even when allowed.
    requester::spy_on_notifications(&requester_browser).await?;
    requester::allow_notifications(&requester_browser, base).await?;
    tour.shoot(&requester_browser, "03-status-pending", Phone::Too)
        .await?;

    // A request an approver should look at twice (the policy refuses admin groups
    // at the form, so the longest lifetime it allows, a week; kubectl-made CSRs show
    // the red flags).
    let risky_browser = tall(stack, "risky").await?;
    let risky = requester::Form {
        username: "build-bot",
        groups: &["qa"],
        algorithm: requester::Algorithm::EcdsaP256,
        lifetime_hours: 24 * 7,
    };
    requester::fill_form(&risky_browser, base, &risky).await?;
    let risky_id = requester::submit(&risky_browser).await?;

    let approver_browser = tall(stack, "approver").await?;
    approver::sign_in(&approver_browser, base, &stack.cluster.approver_token()?).await?;
    tour.shoot(&approver_browser, "04-admin-signed-in", Phone::No)
        .await?;
    approver::find_in_list(&approver_browser, base, &risky_id).await?;
    approver::find_in_list(&approver_browser, base, &id).await?;
    tour.shoot(&approver_browser, "05-admin-requests", Phone::Too)
        .await?;
    approver::open_request(&approver_browser, base, &id).await?;
    approver::grant_role(&approver_browser, "default", role).await?;
    let message = find::by_testid(&approver_browser, "approve-message").await?;
    action::type_into(&message, "Welcome! Read-only on pods in default for now.").await?;
    tour.shoot(&approver_browser, "06-admin-request-detail", Phone::Too)
        .await?;
    approver::approve(&approver_browser).await?;
    find::by_testid(&approver_browser, "way-on").await?;
    tour.shoot(&approver_browser, "06b-admin-approved", Phone::No)
        .await?;

    let kubeconfig = flow::download_when_issued(&requester_browser).await?;
    find::by_testid(&requester_browser, "approver-message").await?;
    let shown = requester::notifications(&requester_browser).await?;
    anyhow::ensure!(
        shown.is_empty(),
        "notifications nobody asked for: {shown:?}"
    );
    tour.shoot(&requester_browser, "07-status-issued", Phone::Too)
        .await?;
    tour.shoot_dark(&requester_browser, "07-status-issued")
        .await?;

    approver::open_request(&approver_browser, base, &risky_id).await?;
    approver::deny(
        &approver_browser,
        "Robots get a ServiceAccount, not a person's certificate.",
    )
    .await?;
    requester::wait_for_phase(&risky_browser, "Denied", flow::SIGNING).await?;
    tour.shoot(&risky_browser, "08-status-denied", Phone::No)
        .await?;

    // A request its requester withdraws.
    let withdrawn_browser = tall(stack, "withdrawn").await?;
    let second_thoughts = requester::Form {
        username: "dohyun",
        groups: &["dev-team"],
        algorithm: requester::Algorithm::EcdsaP256,
        lifetime_hours: 8,
    };
    requester::request_access(&withdrawn_browser, base, &second_thoughts).await?;
    requester::wait_for_phase(&withdrawn_browser, "Pending", flow::SIGNING).await?;
    action::click(&withdrawn_browser, "withdraw").await?;
    find::by_testid(&withdrawn_browser, "withdraw-confirm").await?;
    tour.shoot(&withdrawn_browser, "08b-status-withdraw-confirm", Phone::No)
        .await?;
    action::click(&withdrawn_browser, "withdraw-confirm").await?;
    requester::wait_for_phase(&withdrawn_browser, "Withdrawn", flow::SIGNING).await?;
    tour.shoot(&withdrawn_browser, "08c-status-withdrawn", Phone::No)
        .await?;

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
    tour.shoot(&requester_browser, "09-inspect", Phone::No)
        .await?;

    // Invites: the approver's page with a fresh link, and the invitee's locked form.
    let link =
        approver::create_invite(&approver_browser, base, "haneul", Some(("default", role))).await?;
    tour.shoot(&approver_browser, "10-admin-invites", Phone::No)
        .await?;
    let invitee = tall(stack, "invitee").await?;
    requester::open_invite(&invitee, &link)
        .await?
        .map_err(|refusal| anyhow::anyhow!("the invite was refused: {refusal}"))?;
    tour.shoot(&invitee, "11-invite-form", Phone::No).await?;

    // People, after access was removed for one of them.
    approver::remove_access(&approver_browser, base, username).await?;
    find::by_css(
        &approver_browser,
        "[data-testid=\"person\"][data-username=\"jisoo\"][data-removed=\"true\"]",
    )
    .await?;
    tour.shoot(&approver_browser, "12-admin-people", Phone::Too)
        .await?;
    anyhow::ensure!(tour.problems.is_empty(), "{}", tour.problems.join("\n"));
    Ok(())
}
