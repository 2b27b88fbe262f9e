//! Key and CSR generation in headless Chromium next to native openssl, in one run.
//!
//! Run by `scripts/bench-keygen.sh` (which builds the release bundle and the backend
//! first), or directly with `cargo bench -p e2e --bench keygen`. `KEYGEN_BENCH_RUNS`
//! sets the runs per algorithm (default 10) and `KEYGEN_BENCH_ALGORITHMS` a comma-separated
//! subset (wire names such as `rsa2048,ecdsa-p256`; default all). It prints a markdown
//! table and the release bundle's sizes.
//!
//! Browser: the wall time `/bench/keygen` measures with `performance.now()` around one
//! call of `frontend::keys::generate` (key + CSR; for RSA including the worker's start).
//! Native: the wall time of `openssl genpkey` / `openssl genrsa` (key) plus that of
//! `openssl req -new` (CSR with the same subject, signed with SHA-256/SHA-384), each a
//! separate process, so process start (a few ms) is included in both.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use e2e::browser::Browser;
use e2e::portal::Portal;
use fantoccini::Locator;
use serde_json::Value;

/// The subject the page uses, as openssl's `-subj`.
const SUBJECT: &str = "/CN=bench-user/O=bench-group-a/O=bench-group-b";

#[tokio::main]
async fn main() -> Result<()> {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let runs: usize = std::env::var("KEYGEN_BENCH_RUNS")
        .ok()
        .map(|n| n.parse())
        .transpose()
        .context("KEYGEN_BENCH_RUNS must be a number")?
        .unwrap_or(10);
    ensure!(runs >= 1, "KEYGEN_BENCH_RUNS must be at least 1");

    let algorithms = std::env::var("KEYGEN_BENCH_ALGORITHMS").unwrap_or_default();
    let browser_report = browser_figures(runs, &algorithms).await?;
    let results = browser_report["results"]
        .as_array()
        .context("the report has no results")?;

    let work = tempfile::tempdir()?;
    println!(
        "| algorithm | path | browser min (ms) | browser median (ms) | browser max (ms) | CSRs verified | native key median (ms) | native key+CSR median (ms) | ratio browser / native key+CSR |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut rsa2048_vs_genrsa = None;
    for result in results {
        let algorithm = result["algorithm"].as_str().context("no algorithm")?;
        let (key_ms, key_and_csr_ms) = native_figures(algorithm, runs, work.path())?;
        let browser_median = result["median_ms"].as_f64().context("no median")?;
        if algorithm == "rsa2048" {
            rsa2048_vs_genrsa = Some(browser_median / key_ms);
        }
        println!(
            "| {algorithm} | {} | {:.1} | {:.1} | {:.1} | {}/{runs} | {key_ms:.1} | {key_and_csr_ms:.1} | {:.2} |",
            result["path"].as_str().unwrap_or("?"),
            result["min_ms"].as_f64().unwrap_or(f64::NAN),
            browser_median,
            result["max_ms"].as_f64().unwrap_or(f64::NAN),
            result["verified"],
            browser_median / key_and_csr_ms,
        );
    }
    println!();
    if let Some(ratio) = rsa2048_vs_genrsa {
        println!("RSA-2048 browser median / native `openssl genrsa 2048` median: {ratio:.2}");
    }
    for result in results {
        if let Some(start) = result["worker_start_median_ms"].as_f64() {
            println!(
                "{}: median time to start the worker: {start:.1} ms",
                result["algorithm"].as_str().unwrap_or("?")
            );
        }
    }
    println!(
        "cancel probe (RSA-4096): {}, returned {:.1} ms after cancel",
        browser_report["cancel"]["outcome"],
        browser_report["cancel"]["return_ms"]
            .as_f64()
            .unwrap_or(f64::NAN)
    );
    println!();
    bundle_sizes(&e2e::repo_root().join("dist"))
}

/// Opens `/bench/keygen?n=<runs>[&algorithms=…]` in headless Chromium and returns its JSON report.
async fn browser_figures(runs: usize, algorithms: &str) -> Result<Value> {
    let portal = Portal::serve_dist()?;
    let browser = Browser::start().await?;
    browser
        .client
        .goto(&format!(
            "{}/bench/keygen?n={runs}{}{}",
            portal.url,
            if algorithms.is_empty() {
                String::new()
            } else {
                format!("&algorithms={algorithms}")
            },
            // KEYGEN_BENCH_PRESTART=1: the RSA workers started a second before each key,
            // as the request form starts them when RSA is chosen.
            if std::env::var("KEYGEN_BENCH_PRESTART").is_ok_and(|v| v == "1") {
                "&prestart=1"
            } else {
                ""
            }
        ))
        .await?;
    let found = browser
        .client
        .wait()
        .at_most(Duration::from_secs(60 * 30))
        .for_element(Locator::Css("#bench-results"))
        .await;
    let text = match found {
        Ok(element) => element.text().await?,
        Err(error) => {
            let artifacts = browser.save_artifacts("bench_keygen").await?;
            bail!("no results ({error}); evidence in {}", artifacts.display());
        }
    };
    browser.close().await?;
    let report: Value = serde_json::from_str(&text).with_context(|| format!("not JSON: {text}"))?;
    ensure!(report["error"].is_null(), "the page failed: {report:#}");
    Ok(report)
}

/// Returns the medians, in ms, of making a key with openssl and of making a key and then
/// a CSR, over `runs` runs each.
fn native_figures(algorithm: &str, runs: usize, dir: &Path) -> Result<(f64, f64)> {
    let key = dir.join(format!("{algorithm}.key"));
    let csr = dir.join(format!("{algorithm}.csr"));
    let key_path = key.to_str().context("temp path")?;
    let csr_path = csr.to_str().context("temp path")?;
    let key_args: Vec<&str> = match algorithm {
        "ecdsa-p256" => vec![
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            key_path,
        ],
        "ecdsa-p384" => vec![
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-out",
            key_path,
        ],
        "ed25519" => vec!["genpkey", "-algorithm", "ED25519", "-out", key_path],
        "rsa2048" => vec!["genrsa", "-out", key_path, "2048"],
        "rsa3072" => vec!["genrsa", "-out", key_path, "3072"],
        "rsa4096" => vec!["genrsa", "-out", key_path, "4096"],
        other => bail!("no openssl command for {other}"),
    };
    let digest = if algorithm == "ecdsa-p384" {
        "-sha384"
    } else {
        "-sha256"
    };
    let mut csr_args = vec![
        "req", "-new", "-key", key_path, "-subj", SUBJECT, "-out", csr_path,
    ];
    // Ed25519 signs without a separate digest.
    if algorithm != "ed25519" {
        csr_args.push(digest);
    }
    let mut key_ms = Vec::with_capacity(runs);
    let mut total_ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let key_time = timed("openssl", &key_args)?;
        let csr_time = timed("openssl", &csr_args)?;
        key_ms.push(key_time);
        total_ms.push(key_time + csr_time);
    }
    Ok((median(key_ms), median(total_ms)))
}

/// Runs a command to completion and returns its wall time in ms.
fn timed(program: &str, args: &[&str]) -> Result<f64> {
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    ensure!(status.success(), "{program} {args:?} failed");
    Ok(elapsed)
}

fn median(mut figures: Vec<f64>) -> f64 {
    figures.sort_by(f64::total_cmp);
    match figures.len() {
        0 => f64::NAN,
        len if len % 2 == 1 => figures[len / 2],
        len => (figures[len / 2 - 1] + figures[len / 2]) / 2.0,
    }
}

/// Prints the raw and `gzip -9` sizes of every .wasm and .js file in `dist/`.
fn bundle_sizes(dist: &Path) -> Result<()> {
    println!("| file | raw (bytes) | gzip -9 (bytes) |");
    println!("| --- | ---: | ---: |");
    let mut entries: Vec<_> = std::fs::read_dir(dist)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "wasm" || ext == "js")
        })
        .collect();
    entries.sort();
    let (mut raw_total, mut gzip_total) = (0, 0);
    for path in entries {
        let raw = std::fs::metadata(&path)?.len();
        let gzipped = Command::new("gzip")
            .args(["-9", "-c"])
            .arg(&path)
            .output()
            .context("cannot run gzip")?
            .stdout
            .len() as u64;
        raw_total += raw;
        gzip_total += gzipped;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        println!("| {name} | {raw} | {gzipped} |");
    }
    println!("| total | {raw_total} | {gzip_total} |");
    Ok(())
}
