//! A first visit in headless Chromium, as a new colleague makes it: the backend serving
//! the release bundle (no cluster: the pages need only `GET /api/v1/config`), the
//! browser's cache emptied before each first visit. For the requester's `/` and the
//! approvers' `/admin`, in English and in Korean (a browser preferring each), it reports:
//!
//! - bytes on the wire (the sum of Chromium's `encodedDataLength` over every response);
//! - time to an interactive page on loopback and under Lighthouse's mobile network
//!   (1.6 Mbps down, 750 kbps up, 150 ms round trip; DevTools network emulation);
//! - a second visit's bytes (the cache kept).
//!
//! "Interactive" for `/` is the `certdesk:request-form-ready` mark the request form sets
//! in the Performance timeline once mounted (the WebAssembly started and the
//! configuration arrived), in milliseconds since the navigation began; for `/admin` it
//! is the moment the token field is found.
//!
//! Run by `scripts/bench-page-load.sh` (which builds the bundle and the backend first).
//! `PAGE_LOAD_RUNS` sets the loopback loads of each page (default 10; the emulated
//! network gets a third as many, at least 2).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use e2e::browser::Browser;
use e2e::portal::Portal;
use e2e::received::responses;
use fantoccini::Locator;
use serde_json::json;

const MARK: &str = "certdesk:request-form-ready";

/// One page to load and how to know it is interactive.
struct Page {
    path: &'static str,
    ready_testid: &'static str,
    mark: bool,
}

/// One load's figures.
struct Load {
    bytes: u64,
    interactive_ms: f64,
}

async fn load(browser: &Browser, base: &str, page: &Page) -> Result<Load> {
    responses(browser).await?; // drop what came before
    browser.client.goto("about:blank").await?;
    let start = Instant::now();
    browser.client.goto(&format!("{base}{}", page.path)).await?;
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(&format!(
            "[data-testid=\"{}\"]",
            page.ready_testid
        )))
        .await
        .with_context(|| format!("{} never became interactive", page.path))?;
    let found = start.elapsed().as_secs_f64() * 1e3;
    let interactive_ms = if page.mark {
        let mark = browser
            .client
            .execute(
                &format!(
                    "const m = performance.getEntriesByName('{MARK}')[0]; return m ? m.startTime : null;"
                ),
                vec![],
            )
            .await?;
        mark.as_f64().context("the form-ready mark is missing")?
    } else {
        found
    };
    // Let late responses (fonts, the worker) land before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let bytes = responses(browser)
        .await?
        .iter()
        .filter(|r| r.url.starts_with(base))
        .map(|r| r.encoded_bytes)
        .sum();
    Ok(Load {
        bytes,
        interactive_ms,
    })
}

async fn first_visit(browser: &Browser, base: &str, page: &Page) -> Result<Load> {
    browser.cdp("Network.clearBrowserCache", json!({})).await?;
    load(browser, base, page).await
}

async fn emulate(browser: &Browser, mobile: bool) -> Result<()> {
    let conditions = if mobile {
        // Bytes per second: 1.6 Mbit/s and 750 kbit/s.
        json!({ "offline": false, "latency": 150, "downloadThroughput": 200_000, "uploadThroughput": 93_750 })
    } else {
        json!({ "offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 })
    };
    browser.cdp("Network.enable", json!({})).await?;
    browser
        .cdp("Network.emulateNetworkConditions", conditions)
        .await?;
    Ok(())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The languages a first visit is measured in, each with the Chromium flags that make
/// the browser prefer it (the page picks its language from `navigator.languages`).
const LANGUAGES: [(&str, &str); 2] = [("en", "en-US"), ("ko", "ko-KR")];

#[tokio::main]
async fn main() -> Result<()> {
    let runs: usize = std::env::var("PAGE_LOAD_RUNS")
        .ok()
        .map(|n| n.parse())
        .transpose()
        .context("PAGE_LOAD_RUNS must be a number")?
        .unwrap_or(10);
    ensure!(runs >= 1, "PAGE_LOAD_RUNS must be at least 1");
    let portal = Portal::serve_dist()?;
    let pages = [
        Page {
            path: "/",
            ready_testid: "request-form",
            mark: true,
        },
        Page {
            path: "/admin",
            ready_testid: "token-input",
            mark: false,
        },
    ];
    println!(
        "| page | language | first visit: bytes | interactive, loopback (median of {runs}) | interactive, 1.6 Mbps / 150 ms (median) | second visit: bytes | load average |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | --- |");
    for (language, tag) in LANGUAGES {
        let flags = [
            format!("--lang={tag}"),
            format!("--accept-lang={tag},{language}"),
        ];
        let browser = Browser::start_with(&flags).await?;
        for page in &pages {
            let row = measure(&browser, &portal.url, page, runs).await?;
            println!(
                "| `{}` | {language} | {} | {:.0} ms | {:.0} ms | {} | {} |",
                page.path,
                row.bytes,
                row.loopback_ms,
                row.mobile_ms,
                row.second_bytes,
                load_average()
            );
        }
        let _ = browser.quit().await;
    }
    Ok(())
}

/// One page's figures in one browser.
struct Row {
    bytes: u64,
    loopback_ms: f64,
    mobile_ms: f64,
    second_bytes: u64,
}

async fn measure(browser: &Browser, base: &str, page: &Page, runs: usize) -> Result<Row> {
    emulate(browser, false).await?;
    let mut loopback = Vec::new();
    let mut bytes = 0;
    for _ in 0..runs {
        let first = first_visit(browser, base, page).await?;
        bytes = first.bytes;
        loopback.push(first.interactive_ms);
    }
    let second_bytes = load(browser, base, page).await?.bytes;
    emulate(browser, true).await?;
    let mut mobile = Vec::new();
    for _ in 0..(runs / 3).max(2) {
        mobile.push(first_visit(browser, base, page).await?.interactive_ms);
    }
    emulate(browser, false).await?;
    Ok(Row {
        bytes,
        loopback_ms: median(&mut loopback),
        mobile_ms: median(&mut mobile),
        second_bytes,
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n.is_multiple_of(2) {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    } else {
        values[n / 2]
    }
}
