//! The time from navigation to an interactive request page, on loopback, in headless
//! Chromium: the backend serving the release bundle (no cluster: the page needs only
//! `GET /api/v1/config`).
//!
//! Run by `scripts/bench-page-load.sh` (which builds the bundle and the backend first),
//! or `cargo bench -p e2e --bench page_load`. `PAGE_LOAD_RUNS` sets the number of loads
//! (default 20). Each load is a fresh navigation of `/` in one browser whose cache is
//! warm after the first; the first (cold) load is reported on its own.
//!
//! "Interactive" is the `certdesk:request-form-ready` mark the request form sets in the
//! Performance timeline once it is mounted (after the WebAssembly started and the
//! configuration arrived); its `startTime` is milliseconds since the navigation began.
//! Beside it: the navigation's `responseEnd` (HTML received) and `domContentLoadedEventEnd`.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::browser::Browser;
use e2e::portal::Portal;
use fantoccini::Locator;

const MARK: &str = "certdesk:request-form-ready";

#[tokio::main]
async fn main() -> Result<()> {
    let runs: usize = std::env::var("PAGE_LOAD_RUNS")
        .ok()
        .map(|n| n.parse())
        .transpose()
        .context("PAGE_LOAD_RUNS must be a number")?
        .unwrap_or(20);
    ensure!(runs >= 2, "PAGE_LOAD_RUNS must be at least 2");
    let portal = Portal::serve_dist()?;
    let browser = Browser::start().await?;
    let mut ready = Vec::with_capacity(runs);
    let mut html = Vec::with_capacity(runs);
    let mut dom = Vec::with_capacity(runs);
    for _ in 0..runs {
        // A blank page between loads, so each load is a whole navigation.
        browser.client.goto("about:blank").await?;
        browser.client.goto(&format!("{}/", portal.url)).await?;
        browser
            .client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("[data-testid=\"request-form\"]"))
            .await
            .context("the request form never appeared")?;
        let timings = browser
            .client
            .execute(
                &format!(
                    "const m = performance.getEntriesByName('{MARK}')[0];
                     const n = performance.getEntriesByType('navigation')[0];
                     return [m ? m.startTime : null, n.responseEnd, n.domContentLoadedEventEnd];"
                ),
                vec![],
            )
            .await?;
        let value = |i: usize| timings[i].as_f64().context("a timing is missing");
        ready.push(value(0)?);
        html.push(value(1)?);
        dom.push(value(2)?);
    }
    let _ = browser.quit().await;
    println!(
        "| load | interactive request form (ms) | HTML received (ms) | DOMContentLoaded (ms) |"
    );
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| first (cold cache) | {:.1} | {:.1} | {:.1} |",
        ready[0], html[0], dom[0]
    );
    let warm = |v: &[f64]| stats(&v[1..]);
    let (r, h, d) = (warm(&ready), warm(&html), warm(&dom));
    println!(
        "| later {} loads: min / median / max | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} |",
        runs - 1,
        r.0,
        r.1,
        r.2,
        h.0,
        h.1,
        h.2,
        d.0,
        d.1,
        d.2
    );
    Ok(())
}

/// Min, median, max.
fn stats(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n.is_multiple_of(2) {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    } else {
        sorted[n / 2]
    };
    (sorted[0], median, sorted[n - 1])
}
