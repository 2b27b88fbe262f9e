//! The approvers' list at work: its search lives in the URL (a reload or Back keeps the
//! approver's place), and a request made while the list is open appears by itself —
//! the page is told through its stream of changes, nobody presses Refresh.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::action::approver;
use e2e::stack::Stack;
use fantoccini::Locator;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn a_new_request_appears_in_the_open_list_and_the_search_stays_in_the_url() -> Result<()> {
    let stack = Stack::start("live_list")?;
    stack.run(live_list(&stack)).await
}

async fn live_list(stack: &Stack) -> Result<()> {
    let base = &stack.portal.url;
    let browser = stack.browser("approver").await?;
    approver::sign_in(&browser, base, &stack.cluster.approver_token()?).await?;
    let username = e2e::unique("live");

    // Search from the page: the search goes into the URL.
    browser
        .client
        .goto(&format!("{base}/admin/requests"))
        .await?;
    let search = e2e::find::by_testid(&browser, "request-search").await?;
    search.send_keys(&username).await?;
    e2e::find::by_testid(&browser, "search")
        .await?
        .click()
        .await?;
    e2e::find::text_when(&browser, "page-of", Duration::from_secs(30), |t| {
        t.contains("(0 requests)")
    })
    .await
    .context("the search did not narrow the list to nothing")?;
    let title = browser.client.title().await?;
    ensure!(
        title == "Requests — CertDesk",
        "the list's title is {title:?}"
    );
    let url = browser.client.current_url().await?;
    ensure!(
        url.query()
            .is_some_and(|q| q.contains(&format!("q={username}"))),
        "the search is not in the URL: {url}"
    );

    // A request made now (here with kubectl) shows up without a click.
    stack
        .cluster
        .create_client_csr(&format!("{username}-kubectl"), &format!("/CN={username}"))?;
    let row = format!("[data-testid=\"request-row\"][data-name=\"{username}-kubectl\"]");
    listed(&browser, &row)
        .await
        .context("the new request never appeared in the open list")?;
    let updated = e2e::find::texts_now(&browser, "updated").await?;
    ensure!(
        updated.iter().any(|t| t.contains("live")),
        "the list is not live: {updated:?}"
    );

    // A reload keeps the search (it is the URL's).
    browser.client.refresh().await?;
    listed(&browser, &row)
        .await
        .context("the reloaded list lost its search")?;
    let value = e2e::find::by_testid(&browser, "request-search")
        .await?
        .prop("value")
        .await?;
    ensure!(value.as_deref() == Some(username.as_str()), "{value:?}");
    let _ = stack
        .cluster
        .admin_kubectl(&["delete", "csr", &format!("{username}-kubectl")]);
    Ok(())
}

/// Waits up to 20 s for the row `selector` in the list, with no click.
async fn listed(browser: &e2e::browser::Browser, selector: &str) -> Result<()> {
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(selector))
        .await?;
    Ok(())
}
