//! Keys made in the real release bundle: an RSA key comes out of the Web Worker with a
//! CSR that openssl verifies, an ECDSA key too (every key is the worker's: the page links
//! no key code), and cancelling an
//! RSA-4096 generation stops it.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::browser::Browser;
use e2e::portal::Portal;
use fantoccini::Locator;
use serde_json::Value;

/// Opens the benchmark page for one run of each algorithm given and returns its report.
async fn bench_report(browser: &Browser, portal: &Portal, algorithms: &str) -> Result<Value> {
    browser
        .client
        .goto(&format!(
            "{}/bench/keygen?n=1&algorithms={algorithms}",
            portal.url
        ))
        .await?;
    let results = browser
        .client
        .wait()
        .at_most(Duration::from_secs(300))
        .for_element(Locator::Css("#bench-results"))
        .await
        .context("the benchmark page never showed its results")?;
    let text = results.text().await?;
    serde_json::from_str(&text).with_context(|| format!("not JSON: {text}"))
}

/// Checks that `openssl req -verify` accepts the CSR and that it names the bench's
/// subject with a key of the given kind (`rsa:2048`, `id-ecPublicKey`, …).
fn check_csr_with_openssl(csr_pem: &str, key_text: &str) -> Result<()> {
    let run = e2e::tools::run(
        "openssl",
        &["req", "-verify", "-noout", "-text"],
        Some(csr_pem.as_bytes()),
    )?;
    ensure!(run.success, "openssl rejected the CSR: {}", run.stderr);
    ensure!(
        run.stdout.contains("CN=bench-user") || run.stdout.contains("CN = bench-user"),
        "wrong subject: {}",
        run.stdout
    );
    ensure!(
        run.stdout.contains(key_text),
        "no {key_text} key: {}",
        run.stdout
    );
    Ok(())
}

#[tokio::test]
#[ignore = "needs the release bundle and chromium"]
async fn the_worker_makes_a_valid_rsa_csr_and_cancel_stops_it() -> Result<()> {
    let portal = Portal::serve_dist()?;
    let browser = Browser::start().await?;
    let report = bench_report(&browser, &portal, "rsa2048,ecdsa-p256").await;
    let artifacts = browser.save_artifacts("keygen_worker").await?;
    browser.close().await?;
    let report = report.with_context(|| format!("evidence in {}", artifacts.display()))?;

    ensure!(report["error"].is_null(), "the page failed: {report:#}");
    let results = report["results"].as_array().context("no results")?;
    let rsa = &results[0];
    assert_eq!(rsa["algorithm"], "rsa2048");
    assert_eq!(rsa["path"], "worker");
    assert_eq!(rsa["verified"], 1, "{rsa:#}");
    check_csr_with_openssl(
        rsa["last_csr_pem"].as_str().context("no RSA CSR")?,
        "(2048 bit)",
    )?;
    let ec = &results[1];
    assert_eq!(ec["path"], "worker");
    check_csr_with_openssl(
        ec["last_csr_pem"].as_str().context("no ECDSA CSR")?,
        "id-ecPublicKey",
    )?;

    assert_eq!(report["cancel"]["outcome"], "cancelled", "{report:#}");
    Ok(())
}
