//! Scenario 2: the requester closes the tab while the request is pending; a new tab of
//! the same browser profile opens the status address, and after approval the
//! kubeconfig (with the key kept in IndexedDB) downloads and works.

use anyhow::{Context, Result, ensure};
use e2e::action::requester::{self, Algorithm, Form};
use e2e::check;
use e2e::stack::Stack;

use crate::flow;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn a_closed_tab_loses_nothing_while_pending() -> Result<()> {
    let stack = Stack::start("reload_while_pending")?;
    stack.run(reload(&stack)).await
}

async fn reload(stack: &Stack) -> Result<()> {
    let username = e2e::unique("reload");
    let form = Form {
        username: &username,
        groups: &[],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 1,
    };
    let browser = stack.browser("requester").await?;
    let id = requester::request_access(&browser, &stack.portal.url, &form).await?;
    requester::wait_for_phase(&browser, "Pending", flow::SIGNING).await?;
    let status_url = browser.client.current_url().await?;

    // A new tab, then the old one closed: the session (and its profile) lives on.
    let client = &browser.client;
    let old = client.window().await?;
    let new = client.new_window(true).await?;
    client.close_window().await?;
    client.switch_to_window(new.handle).await?;
    let windows = client.windows().await?;
    ensure!(
        !windows.contains(&old) && windows.len() == 1,
        "the old tab is still open: {windows:?}"
    );
    client.goto(status_url.as_str()).await?;
    requester::wait_for_phase(&browser, "Pending", flow::SIGNING).await?;
    // The key is still in this profile's IndexedDB: the page offers a copy of it.
    e2e::find::by_testid(&browser, "key-download")
        .await
        .context("the reopened status page does not hold the key")?;

    flow::approve(stack, &id, &username, &[], None).await?;
    let kubeconfig = flow::download_when_issued(&browser)
        .await
        .context("after the tab was closed and reopened")?;
    check::authenticates_as(&kubeconfig, &username, &[])?;
    Ok(())
}
