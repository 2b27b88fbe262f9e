//! An approver's list with 5,000 requests in the cluster: the page holds one page of
//! rows, not thousands, and one search finds a named request.

use anyhow::{Context, Result, ensure};
use e2e::action::{approver, click};
use e2e::find;
use e2e::stack::Stack;

use crate::flow;

/// How many requests the cluster holds for this test.
const MANY: u64 = 5_000;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn five_thousand_requests_one_page_and_one_search() -> Result<()> {
    let stack = Stack::start("list_scale")?;
    let prefix = e2e::unique("scale");
    e2e::seed::csrs(&stack.cluster, &prefix, MANY, "/CN=scale-bulk/O=dev-team").await?;
    let result = stack.run(scale(&stack, &prefix)).await;
    let cleanup = e2e::seed::delete(&stack.cluster, &prefix);
    result.and(cleanup)
}

async fn scale(stack: &Stack, prefix: &str) -> Result<()> {
    let base = &stack.portal.url;
    let named = e2e::unique("needle");
    e2e::seed::one(
        &stack.cluster,
        &named,
        prefix,
        &format!("/CN={named}/O=dev-team"),
    )
    .await?;

    let browser = stack.browser("approver").await?;
    approver::sign_in(&browser, base, &stack.cluster.approver_token()?).await?;
    browser
        .client
        .goto(&format!("{base}/admin/requests"))
        .await?;
    // "Page 1 of N (T requests)": wait until the watch holds every seeded one.
    let counted = find::text_when(&browser, "page-of", flow::SIGNING, |t| {
        total_of(t).is_some_and(|n| n > MANY)
    })
    .await
    .context("the list never counted the 5,000 requests")?;
    let rows = find::texts_now(&browser, "request-row").await?;
    ensure!(
        !rows.is_empty() && rows.len() <= 50,
        "with {counted:?} the page holds {} rows",
        rows.len()
    );

    // One step: type the name, search.
    let input = find::by_testid(&browser, "request-search").await?;
    e2e::action::type_into(&input, &named).await?;
    click(&browser, "search").await?;
    let row = format!("[data-testid=\"request-row\"][data-name=\"{named}\"]");
    find::by_css(&browser, &row).await?;
    let rows = find::texts_now(&browser, "request-row").await?;
    ensure!(rows.len() == 1, "the search shows {} rows", rows.len());
    Ok(())
}

/// The total in the pager's "Page 1 of 101 (5,001 requests)".
fn total_of(text: &str) -> Option<u64> {
    let inside = text.split('(').nth(1)?;
    let digits: String = inside
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}
