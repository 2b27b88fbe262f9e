//! What an approver's open list costs while nothing happens, with thousands of requests
//! in the cluster: `IDLE_CSRS` (default 5,000) kube-apiserver-client CSRs are created,
//! an approver signs in and opens `/admin/requests` in headless Chromium, and the bytes
//! on the wire (Chromium's own `encodedDataLength`, headers included, a stream's chunks
//! as they arrive) are counted over `IDLE_SECONDS` (default 60) of idleness; then over
//! one change (a new request) to show what the page fetches when told.
//!
//! Run by `scripts/bench-idle-approver.sh` (a control plane of its own, the release
//! bundle and the backend built first).

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::action::approver;
use e2e::received::wire_bytes;
use e2e::stack::Stack;

fn setting(name: &str, default: u64) -> Result<u64> {
    std::env::var(name)
        .ok()
        .map(|v| v.parse())
        .transpose()
        .with_context(|| format!("{name} must be a number"))
        .map(|v| v.unwrap_or(default))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[tokio::main]
async fn main() -> Result<()> {
    e2e::tls::init();
    let count = setting("IDLE_CSRS", 5_000)?;
    let seconds = setting("IDLE_SECONDS", 60)?;
    let stack = Stack::start("idle_approver")?;
    e2e::seed::csrs(
        &stack.cluster,
        "idle-bench",
        count,
        "/CN=idle-bench/O=dev-team",
    )
    .await?;
    let browser = stack.browser("approver").await?;
    let base = stack.portal.url.clone();
    approver::sign_in(&browser, &base, &stack.cluster.approver_token()?).await?;
    browser
        .client
        .goto(&format!("{base}/admin/requests"))
        .await?;
    let total = e2e::find::text_when(&browser, "page-of", Duration::from_secs(120), |t| {
        t.split_whitespace()
            .nth(4)
            .and_then(|n| n.trim_start_matches('(').parse::<u64>().ok())
            .is_some_and(|n| n >= count)
    })
    .await
    .context("the list never counted every request")?;
    browser.performance_events().await?; // what the first load cost is not idle time
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let idle = wire_bytes(&browser.performance_events().await?);
    println!(
        "| idle `/admin/requests` ({total}) | {seconds} s | {idle} bytes ({:.0} bytes/min) | {} |",
        idle as f64 * 60.0 / seconds as f64,
        load_average()
    );
    // One change: a new request; the page is told and fetches its page once.
    let name = e2e::unique("idle-change");
    e2e::seed::one(&stack.cluster, &name, "idle-bench", &format!("/CN={name}")).await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let change = wire_bytes(&browser.performance_events().await?);
    ensure!(change > 0, "the page fetched nothing after a change");
    println!(
        "| one new request while open | 5 s | {change} bytes | {} |",
        load_average()
    );
    let _ = e2e::seed::delete(&stack.cluster, "idle-bench");
    Ok(())
}
