//! The approvers' list with 300 pending requests: a dense table (at 1280 px at least
//! 15 rows in the first screen), sorting that reaches the server, and "select all that
//! match" with one reason denying all 300 (each Denied in the cluster).

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::action::{approver, click};
use e2e::find;
use e2e::stack::Stack;

use crate::flow;

const COUNT: u64 = 300;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn three_hundred_pending_are_sorted_and_denied_at_once() -> Result<()> {
    let stack = Stack::start("list_bulk")?;
    let prefix = e2e::unique("crowd");
    e2e::seed::csrs(&stack.cluster, &prefix, COUNT, "/CN=crowd-bot/O=dev-team").await?;
    let result = stack.run(bulk(&stack, &prefix)).await;
    let cleanup = e2e::seed::delete(&stack.cluster, &prefix);
    result.and(cleanup)
}

/// The names of the rows shown now, in order: read in one script, so a list the page
/// is re-rendering (the new order arriving) is never read half old, half stale.
async fn row_names(browser: &e2e::browser::Browser) -> Result<Vec<String>> {
    let names = browser
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=request-row]')]
                .map(r => r.getAttribute('data-name') || '');",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(names)?)
}

/// The names of the first page the API answers for `query`, as the approver.
fn api_names(stack: &Stack, query: &str) -> Result<Vec<String>> {
    let token = stack.cluster.approver_token()?;
    let text = e2e::tools::ok(
        "curl",
        &[
            "-sS",
            "-H",
            &format!("Authorization: Bearer {token}"),
            &stack.url(&format!("/api/v1/admin/requests?{query}")),
        ],
        None,
    )?;
    let page: serde_json::Value = serde_json::from_str(&text)?;
    Ok(page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str().map(str::to_owned))
        .collect())
}

async fn bulk(stack: &Stack, prefix: &str) -> Result<()> {
    let base = &stack.portal.url;
    let browser = stack.browser("approver").await?;
    // A laptop's window: 1280 × 800 (about 660 px of page under the browser's bars).
    browser.client.set_window_size(1280, 800).await?;
    approver::sign_in(&browser, base, &stack.cluster.approver_token()?).await?;
    let list = format!("{base}/admin/requests?phase=Pending&q={prefix}");
    browser.client.goto(&list).await?;
    find::text_when(&browser, "page-of", flow::SIGNING, |t| {
        t.contains(&format!("({COUNT} requests)"))
    })
    .await
    .context("the list never counted the 300 requests")?;

    // A dense table: at least 15 rows fit the first screen.
    let visible = browser
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=request-row]')]
                .filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length;",
            vec![],
        )
        .await?;
    let visible = visible.as_u64().unwrap_or_default();
    eprintln!("list_bulk: {visible} rows in the first screen at 1280 × 800");
    ensure!(visible >= 15, "only {visible} rows in the first screen");

    // Sorting reaches the server, and the page shows the server's order.
    for (sort, query) in [
        ("newest", "sort=newest"),
        ("name", "sort=name"),
        ("waiting", ""),
    ] {
        find::by_testid(&browser, "sort-select")
            .await?
            .select_by_value(sort)
            .await?;
        let wanted = api_names(stack, &format!("phase=Pending&q={prefix}&{query}"))?;
        let mut shown = Vec::new();
        for _ in 0..100 {
            shown = row_names(&browser).await?;
            if shown == wanted {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        ensure!(
            shown == wanted,
            "sorted by {sort} the page shows another order"
        );
        let url = browser.client.current_url().await?;
        ensure!(
            sort == "waiting" || url.as_str().contains(&format!("sort={sort}")),
            "the URL does not hold the order: {url}"
        );
    }

    // Select this page, then all that match; one reason denies all 300.
    click(&browser, "select-page").await?;
    click(&browser, "select-matching").await?;
    let reason = find::by_testid(&browser, "bulk-reason").await?;
    e2e::action::type_into(&reason, "Robots get ServiceAccounts.").await?;
    click(&browser, "bulk-deny-button").await?;
    let report = find::text_when(&browser, "bulk-report", Duration::from_secs(300), |t| {
        t.starts_with("Denied")
    })
    .await?;
    ensure!(
        report.starts_with(&format!("Denied {COUNT}.")),
        "the report says {report:?}"
    );
    let json = stack.cluster.admin_kubectl_ok(&[
        "get",
        "csr",
        "-l",
        &format!("certdesk.dev/seed={prefix}"),
        "-o",
        "json",
    ])?;
    let all: serde_json::Value = serde_json::from_str(&json)?;
    let items = all["items"].as_array().cloned().unwrap_or_default();
    let denied = items
        .iter()
        .filter(|csr| {
            csr["status"]["conditions"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["type"] == "Denied"))
        })
        .count();
    ensure!(
        items.len() as u64 == COUNT && denied as u64 == COUNT,
        "{denied} of {} seeded requests are Denied",
        items.len()
    );
    Ok(())
}
