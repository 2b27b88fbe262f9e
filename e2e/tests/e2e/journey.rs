//! The approver's and the requester's journeys through two requests: the list's filter
//! and search survive Back; "Approve & next" approves with a message and a grant and
//! opens the other request; "Deny & next" then says nothing else waits; the requester
//! sees the approver's message (as text) and what the grant lets them do; the issued
//! request shows no red flag raised by the binding CertDesk itself made; three pending
//! requests are denied at once with one reason.

use anyhow::{Context, Result, ensure};
use e2e::action::requester::{self, Algorithm, Form};
use e2e::action::{approver, click};
use e2e::browser::Browser;
use e2e::find;
use e2e::stack::Stack;

use crate::flow;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn approve_and_next_then_the_requester_reads_the_message() -> Result<()> {
    let stack = Stack::start("journey")?;
    let role = stack
        .cluster
        .create_pod_reader("default", &e2e::unique("journey-reader"))?;
    stack.run(journey(&stack, &role.name)).await
}

async fn request(
    stack: &Stack,
    who: &str,
    username: &str,
) -> Result<(std::sync::Arc<Browser>, String)> {
    let browser = stack.browser(who).await?;
    let form = Form {
        username,
        groups: &["dev-team"],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 1,
    };
    let id = requester::request_access(&browser, &stack.portal.url, &form).await?;
    requester::wait_for_phase(&browser, "Pending", flow::SIGNING).await?;
    Ok((browser, id))
}

async fn current_url(browser: &Browser) -> Result<String> {
    Ok(browser.client.current_url().await?.to_string())
}

async fn journey(stack: &Stack, role: &str) -> Result<()> {
    let base = &stack.portal.url;
    let search = e2e::unique("journey");
    let (first_browser, first) = request(stack, "first", &format!("{search}-a")).await?;
    // The first requester asks to be notified (the browser allows it).
    requester::spy_on_notifications(&first_browser).await?;
    requester::allow_notifications(&first_browser, base).await?;
    click(&first_browser, "notify").await?;
    find::by_testid(&first_browser, "notify-on").await?;
    let (_second_browser, second) = request(stack, "second", &format!("{search}-b")).await?;

    let browser = stack.browser("approver").await?;
    approver::sign_in(&browser, base, &stack.cluster.approver_token()?).await?;
    // Both are listed under the search (waiting for the watch), then the filter is
    // chosen in the page, as a person would.
    approver::find_in_list(&browser, base, &first).await?;
    approver::find_in_list(&browser, base, &second).await?;
    browser
        .client
        .goto(&format!("{base}/admin/requests"))
        .await?;
    let input = find::by_testid(&browser, "request-search").await?;
    e2e::action::type_into(&input, &search).await?;
    click(&browser, "search").await?;
    find::by_testid(&browser, "phase-filter")
        .await?
        .select_by_value("Pending")
        .await?;
    let rows = wait_rows(&browser, 2).await?;
    ensure!(
        rows.iter().all(|r| r.contains("Pending")),
        "the pending filter shows {rows:?}"
    );
    let place = current_url(&browser).await?;
    ensure!(
        place.contains("phase=Pending") && place.contains(&search),
        "the list's URL does not hold its place: {place}"
    );

    // Open the first from the list, go Back: the same filter and search, the same rows.
    open_from_list(&browser, &first).await?;
    browser.client.back().await?;
    wait_rows(&browser, 2).await?;
    let back = current_url(&browser).await?;
    ensure!(back == place, "Back went to {back}, not {place}");
    let filter = find::by_testid(&browser, "phase-filter")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    ensure!(
        filter == "Pending",
        "after Back the filter shows {filter:?}"
    );

    // "← Requests" on a detail page returns to the same place.
    open_from_list(&browser, &first).await?;
    click(&browser, "to-list").await?;
    wait_rows(&browser, 2).await?;
    let returned = current_url(&browser).await?;
    ensure!(
        returned == place,
        "← Requests went to {returned}, not {place}"
    );

    // Approve & next, with a message written in markup (it must arrive as text),
    // from the filtered list (whose search "next" stays within).
    browser.client.goto(&place).await?;
    wait_rows(&browser, 2).await?;
    let row = format!(
        "[data-testid=\"request-row\"][data-name=\"{first}\"] [data-testid=\"request-link\"]"
    );
    find::by_css(&browser, &row).await?.click().await?;
    find::text_when(&browser, "detail-name", flow::SIGNING, |t| {
        t.trim() == first
    })
    .await?;
    approver::grant_role(&browser, "default", role).await?;
    let message = format!("Welcome <b>aboard</b>, {search}: read pods in default.");
    let field = find::by_testid(&browser, "approve-message").await?;
    e2e::action::type_into(&field, &message).await?;
    click(&browser, "approve-next").await?;
    find::text_when(&browser, "detail-name", flow::SIGNING, |t| {
        t.trim() == second
    })
    .await
    .context("Approve & next did not open the other pending request")?;

    // Deny & next: nothing else waits under this search.
    approver::deny_with(&browser, "Only one account per person.", "deny-next").await?;
    find::by_testid(&browser, "no-more-pending").await?;

    // The requester is notified once, then reads the message and what they may now do.
    requester::wait_for_phase(&first_browser, "Issued", flow::SIGNING).await?;
    let shown = wait_notifications(&first_browser).await?;
    ensure!(
        shown == ["Your certificate is ready — CertDesk"],
        "the notifications shown: {shown:?}"
    );
    let shown = find::text_when(&first_browser, "approver-message", flow::SIGNING, |t| {
        !t.is_empty()
    })
    .await?;
    ensure!(
        shown.contains(&message),
        "the requester sees {shown:?}, not {message:?}"
    );
    let granted = find::texts_now(&first_browser, "granted").await?.join("\n");
    ensure!(
        granted.contains(role) && granted.contains("default"),
        "the grants are shown as {granted:?}"
    );
    let can_i = find::by_testid(&first_browser, "can-i-list")
        .await?
        .text()
        .await?;
    ensure!(
        can_i == "kubectl auth can-i --list --namespace default",
        "the can-i line is {can_i:?}"
    );
    let whoami = find::by_testid(&first_browser, "kubectl-whoami")
        .await?
        .text()
        .await?;
    ensure!(
        whoami.starts_with("kubectl --kubeconfig ~/Downloads/") && whoami.ends_with("auth whoami"),
        "the whoami line is {whoami:?}"
    );

    // Bulk: three pending requests denied with one reason.
    let bulk = e2e::unique("bulk");
    e2e::seed::csrs(&stack.cluster, &bulk, 3, "/CN=bulk-bot/O=dev-team").await?;
    browser
        .client
        .goto(&format!("{base}/admin/requests?phase=Pending&q={bulk}"))
        .await?;
    wait_rows(&browser, 3).await?;
    for row in browser
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=\"select-row\"]"))
        .await?
    {
        row.click().await?;
    }
    let reason = find::by_testid(&browser, "bulk-reason").await?;
    e2e::action::type_into(&reason, "Robots get ServiceAccounts.").await?;
    click(&browser, "bulk-deny-button").await?;
    let report = find::text_when(&browser, "bulk-report", flow::SIGNING, |t| {
        t.starts_with("Denied")
    })
    .await?;
    ensure!(
        report.starts_with("Denied 3."),
        "the bulk report says {report:?}"
    );
    for n in 0..3 {
        let (conditions, _) = stack.cluster.csr_conditions(&format!("{bulk}-{n}"))?;
        ensure!(conditions == ["Denied"], "{bulk}-{n} has {conditions:?}");
    }
    e2e::seed::delete(&stack.cluster, &bulk)?;

    // The issued request: no red flag from the binding CertDesk made.
    approver::open_request_by_url(&browser, base, &first).await?;
    find::by_testid(&browser, "no-risks").await?;
    let flags = find::texts_now(&browser, "risk").await?;
    ensure!(flags.is_empty(), "the issued request is flagged: {flags:?}");
    Ok(())
}

/// Waits (a few seconds) for the page to have shown a notification; returns them all.
async fn wait_notifications(browser: &Browser) -> Result<Vec<String>> {
    for _ in 0..50 {
        let shown = requester::notifications(browser).await?;
        if !shown.is_empty() {
            return Ok(shown);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    requester::notifications(browser).await
}

/// Clicks the request's row on the list shown now and waits for its page.
async fn open_from_list(browser: &Browser, name: &str) -> Result<()> {
    let link = format!(
        "[data-testid=\"request-row\"][data-name=\"{name}\"] [data-testid=\"request-link\"]"
    );
    find::by_css(browser, &link).await?.click().await?;
    find::text_when(browser, "detail-name", flow::SIGNING, |t| t.trim() == name).await?;
    Ok(())
}

/// Waits until the list shows exactly `count` rows; returns their texts.
async fn wait_rows(browser: &Browser, count: usize) -> Result<Vec<String>> {
    let deadline = std::time::Instant::now() + flow::SIGNING;
    loop {
        let rows = find::texts_now(browser, "request-row").await?;
        if rows.len() == count {
            return Ok(rows);
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "the list shows {} rows, not {count}: {rows:?}",
            rows.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
