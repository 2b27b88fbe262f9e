//! Scenario 2: the requester closes the tab while the request is pending; a new tab of
//! the same browser profile opens CertDesk's start page, which leads to the request
//! (the form points to `/requests`, the list of what this browser holds), and after
//! approval the kubeconfig (with the key kept in IndexedDB) downloads and works.
//! A browser that holds nothing sees no pointer and an empty list.

use anyhow::{Context, Result, ensure};
use e2e::action::requester::{self, Algorithm, Form};
use e2e::browser::Browser;
use e2e::check;
use e2e::find;
use e2e::stack::Stack;
use fantoccini::Locator;

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
    client.goto(&stack.portal.url).await?;
    follow_the_start_page_to(&browser, &id).await?;
    ensure!(
        client.current_url().await? == status_url,
        "the list's link led to {}, not the request's page {status_url}",
        client.current_url().await?
    );
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

    let stranger = stack.browser("stranger").await?;
    nothing_held(&stranger, &stack.portal.url).await
}

/// From the start page: the pointer to this browser's requests, the list, the request
/// `id` in it (with its phase), and its link.
async fn follow_the_start_page_to(browser: &Browser, id: &str) -> Result<()> {
    find::by_testid(browser, "resume-open")
        .await
        .context("the start page does not point to the requests this browser holds")?
        .click()
        .await?;
    let item = format!("[data-testid=\"resume-request\"][data-request-id=\"{id}\"]");
    find::by_css(browser, &item)
        .await
        .context("/requests does not list the request")?;
    find::text_when(browser, "resume-phase", find::PATIENCE, |t| t == "Pending")
        .await
        .context("the list does not show the request's phase")?;
    browser
        .client
        .find(Locator::Css(&format!(
            "{item} [data-testid=\"resume-link\"]"
        )))
        .await?
        .click()
        .await?;
    Ok(())
}

/// A browser that holds no key: no pointer on the start page, and `/requests` says
/// there is nothing to continue.
async fn nothing_held(browser: &Browser, portal: &str) -> Result<()> {
    browser.client.goto(portal).await?;
    find::by_testid(browser, "resume-none")
        .await
        .context("the start page never finished asking this browser's store")?;
    ensure!(
        find::texts_now(browser, "resume-open").await?.is_empty(),
        "a browser holding no key is pointed to its requests"
    );
    browser.client.goto(&format!("{portal}/requests")).await?;
    find::by_testid(browser, "resume-empty")
        .await
        .context("/requests in a browser holding nothing")?;
    ensure!(
        find::texts_now(browser, "resume-request").await?.is_empty(),
        "an empty store lists a request"
    );
    Ok(())
}
