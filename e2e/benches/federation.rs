//! One request to three clusters at once against one to a single cluster (issue 26's
//! goal: at most 1.3 times the wall time), and what the page adds for three clusters.
//!
//! Three control planes of their own (`scripts/cluster.sh start`, each with its own CA)
//! and a CertDesk in each (`a`, `b`, `c`, each listing the other two as peers), in
//! headless Chromium on loopback. A submission is timed inside the page from the click
//! on "Make my key and send the request" until the status page (the status app, a new
//! document) shows every cluster's request Pending (a MutationObserver installed in
//! every new document, so WebDriver's polling is not in the figure);
//! the single-cluster runs untick `b` and `c` on the same form. The click comes a second
//! after the form is complete, as a person's would. Runs alternate. The
//! page's added bytes are a first visit's bytes on the wire to `/` until the cluster
//! choice is shown, with peers (the peers' configuration included) against the same
//! page of an install without peers.
//!
//! Every figure is taken twice or more: on loopback, where the three clusters' servers
//! contend for this machine's cores, and with each request's round trip lengthened by
//! Chromium's network emulation (`FEDERATION_LATENCY_MS`, default `0,30,80`), as when
//! the clusters are reached over a network; the servers still share this machine.
//!
//! Run by `scripts/bench-federation.sh`. `FEDERATION_RUNS` sets the submissions of each
//! kind at each latency (default 5).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use e2e::browser::Browser;
use e2e::cluster::ControlPlane;
use e2e::find;
use e2e::portal::{Portal, PortalOptions};
use e2e::received::responses;
use fantoccini::Locator;
use serde_json::json;

const NAMES: [&str; 3] = ["a", "b", "c"];

/// How long after the form is complete the bench clicks, as a person would.
const PAUSE_BEFORE_CLICK: Duration = Duration::from_secs(1);

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Adds `latency` milliseconds to every request's round trip of this tab (0: none).
async fn emulate(browser: &Browser, latency: u64) -> Result<()> {
    browser.cdp("Network.enable", json!({})).await?;
    browser
        .cdp(
            "Network.emulateNetworkConditions",
            json!({ "offline": false, "latency": latency, "downloadThroughput": -1, "uploadThroughput": -1 }),
        )
        .await?;
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Fills in the form for `user`, ticks exactly `clusters`, submits, and returns the
/// milliseconds until every chosen cluster's part shows Pending, until the last
/// submission was answered, the slowest submission's round trip, and until the status
/// page began loading.
async fn submit(browser: &Browser, base: &str, user: &str, clusters: &[&str]) -> Result<[f64; 4]> {
    browser.client.goto(&format!("{base}/")).await?;
    let input = find::by_testid(browser, "username-input").await?;
    e2e::action::type_into(&input, user).await?;
    if let Ok(manual) = browser
        .client
        .find(Locator::Css("[data-testid=renewal-manual]"))
        .await
    {
        manual.click().await?;
    }
    for name in NAMES {
        let css = format!("[data-testid=cluster-choice][data-cluster={name}] input");
        let choice = browser
            .client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(&css))
            .await?;
        // The defaults arrive with the peers' answers: wait for b's.
        if name == "b" {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !choice.is_selected().await? {
                ensure!(Instant::now() < deadline, "b never ticked by default");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        if choice.is_selected().await? != clusters.contains(&name) {
            choice.click().await?;
        }
    }
    // A person's click comes a moment after the form is complete (the key workers,
    // started when typing began and for each cluster chosen, load meanwhile).
    tokio::time::sleep(PAUSE_BEFORE_CLICK).await;
    let wanted: Vec<String> = if clusters.len() == 1 {
        vec!["[data-testid=phase][data-phase=Pending]".to_owned()]
    } else {
        clusters
            .iter()
            .map(|name| {
                format!("[data-testid=batch-part][data-cluster={name}] [data-phase=Pending]")
            })
            .collect()
    };
    // Timed inside the pages: the click on the form's page, and the first moment every
    // wanted element is on the status page (another app, so a new document; WATCH,
    // installed in every new document, carries the clock over in sessionStorage), so the
    // figure does not carry WebDriver's polling.
    browser.client.execute(CLICK, vec![json!(wanted)]).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let took = browser
            .client
            .execute(
                "return JSON.parse(sessionStorage.getItem('bench.result') || 'null');",
                vec![],
            )
            .await?;
        if let Some(ms) = took["took"].as_f64() {
            let answered = took["answered"]
                .as_f64()
                .context("no submission answer timed")?;
            let slowest = took["slowest"]
                .as_f64()
                .context("no submission answer timed")?;
            let opened = took["opened"]
                .as_f64()
                .context("the status page's start not timed")?;
            return Ok([ms, answered, slowest, opened]);
        }
        if Instant::now() > deadline {
            let page = browser
                .client
                .execute("return location.href + '\\n' + document.body.innerText + '\\n' + JSON.stringify(Object.entries(sessionStorage));", vec![])
                .await?;
            anyhow::bail!("the status page never showed {wanted:?}; the page: {page}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// On the form's page: notes the click's time (on the clock every document of this
/// browser shares, `performance.timeOrigin + performance.now()`) and the selectors in
/// `arguments[0]` in sessionStorage, and clicks the submit button. When the page goes,
/// it notes when the last submission's answer (POST .../api/v1/requests) arrived and the
/// slowest submission's round trip (how long its CertDesk and API server took).
const CLICK: &str = r#"
for (const key of ["bench.result", "bench.answers"]) sessionStorage.removeItem(key);
const started = performance.timeOrigin + performance.now();
sessionStorage.setItem("bench.watch", JSON.stringify({ started, wanted: arguments[0] }));
addEventListener("pagehide", () => {
  const posts = performance
    .getEntriesByType("resource")
    .filter((e) => performance.timeOrigin + e.startTime >= started && /\/api\/v1\/requests$/.test(e.name));
  sessionStorage.setItem("bench.answers", JSON.stringify({
    answered: Math.max(...posts.map((e) => performance.timeOrigin + e.responseEnd - started)),
    slowest: Math.max(...posts.map((e) => e.responseEnd - e.startTime)),
  }));
}, { once: true });
document.querySelector("[data-testid=submit-request]").click();
"#;

/// In every new document: while a click is being timed, watches for every wanted
/// selector and then notes the milliseconds since the click.
const WATCH: &str = r#"
(() => {
  const watch = JSON.parse(sessionStorage.getItem("bench.watch") || "null");
  if (!watch) return;
  const observer = new MutationObserver(() => {
    if (!watch.wanted.every((css) => document.querySelector(css))) return;
    const took = performance.timeOrigin + performance.now() - watch.started;
    const answers = JSON.parse(sessionStorage.getItem("bench.answers") || "{}");
    sessionStorage.removeItem("bench.watch");
    const opened = performance.timeOrigin - watch.started;
    sessionStorage.setItem("bench.result", JSON.stringify({ took, opened, ...answers }));
    observer.disconnect();
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
})();
"#;

/// A first visit's bytes to `/` until the form (and, with peers, the cluster choice).
async fn first_visit_bytes(browser: &Browser, base: &str, peers: bool) -> Result<u64> {
    browser.cdp("Network.enable", json!({})).await?;
    browser.cdp("Network.clearBrowserCache", json!({})).await?;
    browser.client.goto("about:blank").await?;
    responses(browser).await?;
    browser.client.goto(&format!("{base}/")).await?;
    let ready = if peers {
        "[data-testid=cluster-choice][data-cluster=c]"
    } else {
        "[data-testid=request-form]"
    };
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(ready))
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(responses(browser)
        .await?
        .iter()
        .filter(|r| r.url.starts_with("http://127.0.0.1:"))
        .map(|r| r.encoded_bytes)
        .sum())
}

#[tokio::main]
async fn main() -> Result<()> {
    let runs: usize = std::env::var("FEDERATION_RUNS")
        .ok()
        .map(|n| n.parse())
        .transpose()
        .context("FEDERATION_RUNS must be a number")?
        .unwrap_or(5);
    let latencies: Vec<u64> = std::env::var("FEDERATION_LATENCY_MS")
        .unwrap_or_else(|_| "0,30,80".to_owned())
        .split(',')
        .map(|ms| ms.trim().parse())
        .collect::<Result<_, _>>()
        .context("FEDERATION_LATENCY_MS must be milliseconds separated by commas")?;
    let ports = [
        e2e::tools::free_port()?,
        e2e::tools::free_port()?,
        e2e::tools::free_port()?,
    ];
    let url = |i: usize| format!("http://127.0.0.1:{}", ports[i]);
    let clusters = [
        ControlPlane::start()?,
        ControlPlane::start()?,
        ControlPlane::start()?,
    ];
    let mut portals = Vec::new();
    for (i, cluster) in clusters.iter().enumerate() {
        let peers: Vec<_> = (0..3)
            .filter(|j| *j != i)
            .map(|j| json!({ "name": NAMES[j], "url": url(j), "order": j, "default": true }))
            .collect();
        portals.push(Portal::serve(&PortalOptions {
            kubeconfig: Some(cluster.backend_kubeconfig()),
            cluster_name: Some(NAMES[i].to_owned()),
            listen: Some(format!("127.0.0.1:{}", ports[i])),
            // The bench submits faster than a person may (10 a minute by default).
            extra_args: vec![
                "--peers".to_owned(),
                json!(peers).to_string(),
                "--submit-per-minute=600".to_owned(),
                "--submit-burst=100".to_owned(),
            ],
            ..Default::default()
        })?);
    }
    let alone = Portal::serve(&PortalOptions {
        kubeconfig: Some(clusters[0].backend_kubeconfig()),
        cluster_name: Some("a".to_owned()),
        ..Default::default()
    })?;
    let browser = Browser::start().await?;
    let outcome = async {
        browser
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": WATCH }),
            )
            .await?;
        let mut rows = Vec::new();
        for &latency in &latencies {
            emulate(&browser, latency).await?;
            let (mut one, mut three) = (<[Vec<f64>; 4]>::default(), <[Vec<f64>; 4]>::default());
            for run in 0..runs {
                let user =
                    |kind: &str| format!("bench-{kind}-{latency}-{run}-{}", std::process::id());
                let single = submit(&browser, &url(0), &user("one"), &["a"]).await?;
                let all = submit(&browser, &url(0), &user("three"), &NAMES).await?;
                for i in 0..4 {
                    one[i].push(single[i]);
                    three[i].push(all[i]);
                }
            }
            rows.push((
                latency,
                one.map(|mut v| median(&mut v)),
                three.map(|mut v| median(&mut v)),
                load_average(),
            ));
        }
        emulate(&browser, 0).await?;
        let with_peers = first_visit_bytes(&browser, &url(0), true).await?;
        let without = first_visit_bytes(&browser, &alone.url, false).await?;
        Ok::<_, anyhow::Error>((rows, with_peers, without))
    }
    .await;
    let _ = browser.close().await;
    // The backends stop before their control planes (each stops when dropped).
    drop(portals);
    drop(alone);
    drop(clusters);
    let (rows, with_peers, without) = outcome?;
    println!(
        "| Submission (median of {runs}) | added round trip | 1 cluster | 3 clusters | ratio | load average |"
    );
    println!("|---|---:|---:|---:|---:|---|");
    let names = [
        "click to every part Pending",
        "click to the last submission answered",
        "the slowest submission's round trip (its CertDesk and API server)",
        "click to the status page's start (the keys kept)",
    ];
    for (latency, one, three, load) in rows {
        for (i, name) in names.iter().enumerate() {
            println!(
                "| {name} | {latency} ms | {:.0} ms | {:.0} ms | {:.2}x | {load} |",
                one[i],
                three[i],
                three[i] / one[i],
            );
        }
    }
    println!();
    println!("| First visit to `/` | bytes on the wire |");
    println!("|---|---:|");
    println!("| no peers (form shown) | {without} |");
    println!("| two peers (every cluster's choice shown) | {with_peers} |");
    println!(
        "| added for three clusters | {} |",
        with_peers.saturating_sub(without)
    );
    Ok(())
}
