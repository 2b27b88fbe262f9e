//! The first visit's form hands its request to the status app, which makes the key and
//! sends it (`/requests/new`): while the key is made the page says so and can cancel;
//! cancelled, it leads back to the form, which kept what was typed; sent, the request's
//! own page takes its place (Back never returns to send it again); and opened with
//! nothing handed over, it says so.

use anyhow::{Context, Result, ensure};
use e2e::action::click;
use e2e::action::requester::{self, Algorithm, Form};
use e2e::browser::Browser;
use e2e::find;
use e2e::stack::Stack;

use crate::flow;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn the_status_app_sends_what_the_form_hands_over() -> Result<()> {
    let stack = Stack::start("sending")?;
    stack.run(sending(&stack)).await
}

async fn sending(stack: &Stack) -> Result<()> {
    let browser = stack.browser("requester").await?;
    nothing_handed_over(stack, &browser).await?;

    // RSA-4096 (seconds to make in the browser): time to cancel it.
    let username = e2e::unique("handed");
    let form = Form {
        username: &username,
        groups: &[],
        algorithm: Algorithm::Rsa2048,
        lifetime_hours: 1,
    };
    // (Nothing before this fetched the key worker: the empty sending page makes no key.)
    let mut network = e2e::network::NetworkRecorder::new();
    requester::fill_form(&browser, &stack.portal.url, &form).await?;
    worker_fetched_ahead(&browser, &mut network).await?;
    find::by_testid(&browser, "rsa-select")
        .await?
        .select_by_value("rsa4096")
        .await
        .context("the form offers no RSA-4096")?;
    click(&browser, "submit-request").await?;
    find::by_testid(&browser, "sending").await?;
    let at = browser.client.current_url().await?;
    ensure!(at.path() == "/requests/new", "the form handed over to {at}");
    find::text_when(&browser, "keygen-progress", find::PATIENCE, |t| {
        !t.is_empty()
    })
    .await
    .context("the sending page does not say what it is doing")?;
    click(&browser, "cancel-keygen").await?;
    find::by_testid(&browser, "request-error")
        .await
        .context("a cancelled key is not said")?;
    click(&browser, "back-to-form").await?;
    let typed = find::by_testid(&browser, "username-input")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    ensure!(
        typed == username,
        "back at the form, the name reads {typed:?}"
    );

    // Sent with the default key (the form keeps what was typed, not the key's type):
    // the request's page replaces the sending page.
    let chosen = find::by_testid(&browser, "algorithm-select")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    ensure!(
        chosen == Algorithm::EcdsaP256.value(),
        "back at the form, the key is {chosen:?}"
    );
    let id = requester::submit(&browser).await?;
    requester::wait_for_phase(&browser, "Pending", flow::SIGNING).await?;
    browser.client.back().await?;
    find::by_testid(&browser, "request-form")
        .await
        .context("Back from the request's page")?;
    let at = browser.client.current_url().await?;
    ensure!(at.path() == "/", "Back from {id}'s page went to {at}");
    Ok(())
}

/// Typing in the form has the browser fetch the key worker's WebAssembly ahead (the
/// key is made on the next page, which then finds it in the cache).
async fn worker_fetched_ahead(
    browser: &Browser,
    network: &mut e2e::network::NetworkRecorder,
) -> Result<()> {
    let deadline = std::time::Instant::now() + find::PATIENCE;
    loop {
        network.collect(browser).await?;
        if network
            .sent()
            .iter()
            .any(|sent| sent.url.ends_with("/keygen-worker_bg.wasm"))
        {
            return Ok(());
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "the form was filled in, but the key worker's WebAssembly was not fetched"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// `/requests/new` with nothing handed over in this tab: it says so, and sends nothing.
async fn nothing_handed_over(stack: &Stack, browser: &Browser) -> Result<()> {
    browser.client.goto(&stack.url("/requests/new")).await?;
    find::by_testid(browser, "nothing-to-send").await?;
    ensure!(
        find::texts_now(browser, "keygen-progress")
            .await?
            .is_empty(),
        "the page is sending something"
    );
    click(browser, "back-to-form").await?;
    find::by_testid(browser, "request-form").await?;
    Ok(())
}
