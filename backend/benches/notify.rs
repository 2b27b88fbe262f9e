//! What notifications cost a submission, and how soon they arrive (docs/benchmarks.md,
//! "Notifications"; run by `scripts/bench-notify.sh`): against a fresh control plane of
//! its own and the release binary, 200 submissions (10 at a time, from 10 loopback
//! addresses) to a backend with no sink, then to one with a prompt signed webhook and a
//! Teams sink that never answers. Prints the submissions' p50/p99 in both runs and the
//! delivery latency (from sending the submission to the webhook receiving its event)
//! p50/p99, with the load average; fails when the dead sink's run is more than 10 %
//! slower at p99 (and 5 ms, below which a difference is noise).
//!
//! `CERTDESK_BIN` names the binary (the script passes the release build).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use axum::http::{Request, StatusCode};
use e2e::cluster::ControlPlane;
use e2e::sinks::http::HttpSink;
use e2e::sinks::setup::{GROUP, SinkFiles};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

type Http = HttpClient<HttpConnector, Full<Bytes>>;

const SUBMISSIONS: usize = 200;
const AT_ONCE: usize = 10;

struct Backend {
    child: Child,
    base: String,
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn percentile(samples: &mut [Duration], p: usize) -> f64 {
    samples.sort();
    samples[(samples.len() * p / 100).min(samples.len() - 1)].as_secs_f64() * 1e3
}

fn start(cluster: &ControlPlane, dir: &std::path::Path, extra: &[String]) -> Result<Backend> {
    for app in ["", "admin", "inspect"] {
        std::fs::create_dir_all(dir.join("static").join(app))?;
        std::fs::write(
            dir.join("static").join(app).join("index.html"),
            "<!DOCTYPE html>",
        )?;
    }
    let binary = std::env::var("CERTDESK_BIN").context("CERTDESK_BIN names the binary")?;
    let mut child = Command::new(binary)
        .args(["--listen", "127.0.0.1:0", "--static-dir"])
        .arg(dir.join("static"))
        .arg("--kubeconfig")
        .arg(cluster.backend_kubeconfig())
        .args(["--submit-per-minute", "100000", "--submit-burst", "100000"])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("the certdesk binary starts")?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("CertDesk is listening on ") {
                    break url.trim().to_owned();
                }
            }
            _ => bail!("certdesk exited before listening"),
        }
    };
    Ok(Backend { child, base })
}

fn client_from(n: usize) -> Http {
    let mut connector = HttpConnector::new();
    connector.set_local_address(Some(IpAddr::V4(Ipv4Addr::new(127, 0, 3, n as u8 + 2))));
    HttpClient::builder(TokioExecutor::new()).build(connector)
}

/// Submits [`SUBMISSIONS`] requests and returns each one's id, when it was sent and how
/// long its answer took.
async fn submissions(base: &str, body: &str) -> Result<Vec<(String, Instant, Duration)>> {
    let workers = (0..AT_ONCE).map(|worker| {
        let (base, body) = (base.to_owned(), body.to_owned());
        async move {
            let http = client_from(worker);
            let mut done = Vec::new();
            for _ in 0..SUBMISSIONS / AT_ONCE {
                let request = Request::post(format!("{base}/api/v1/requests"))
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(body.clone())))?;
                let sent = Instant::now();
                let response = http.request(request).await?;
                let took = sent.elapsed();
                let status = response.status();
                let text = response.into_body().collect().await?.to_bytes();
                if status != StatusCode::CREATED {
                    bail!("{status}: {}", String::from_utf8_lossy(&text));
                }
                let ticket: serde_json::Value = serde_json::from_slice(&text)?;
                done.push((
                    ticket["id"].as_str().context("an id")?.to_owned(),
                    sent,
                    took,
                ));
            }
            Ok::<_, anyhow::Error>(done)
        }
    });
    let mut all = Vec::new();
    for done in futures::future::join_all(workers).await {
        all.extend(done?);
    }
    Ok(all)
}

async fn ready(base: &str) -> Result<()> {
    let http = client_from(0);
    for _ in 0..300 {
        let request = Request::get(format!("{base}/readyz")).body(Full::new(Bytes::new()))?;
        if http
            .request(request)
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the backend did not become ready")
}

#[tokio::main]
async fn main() -> Result<()> {
    e2e::tls::init();
    eprintln!("starting a fresh control plane…");
    let cluster = tokio::task::spawn_blocking(ControlPlane::start).await??;
    let files = SinkFiles::new()?;
    let receiver = HttpSink::start().await?;
    let pem = e2e::tools::openssl_csr(&format!("/CN=bench-notify/O={GROUP}"))?;
    let body = serde_json::json!({ "csr_pem": pem, "expiration_seconds": 3600 }).to_string();
    // The run without sinks asks for another group, so the second run's sinks (which
    // listen for GROUP) are not told of its requests.
    let quiet_policy = files.dir().join("quiet-policy.yaml");
    std::fs::write(&quiet_policy, "groups:\n  allowed: [bench-quiet]\n")?;
    let quiet_pem = e2e::tools::openssl_csr("/CN=bench-notify/O=bench-quiet")?;
    let quiet_body =
        serde_json::json!({ "csr_pem": quiet_pem, "expiration_seconds": 3600 }).to_string();
    let policy = vec![
        "--policy-file".to_owned(),
        quiet_policy.display().to_string(),
    ];

    let quiet = start(&cluster, &files.dir().join("none"), &policy)?;
    ready(&quiet.base).await?;
    let _warm = submissions(&quiet.base, &quiet_body).await?;
    let mut plain: Vec<Duration> = submissions(&quiet.base, &quiet_body)
        .await?
        .into_iter()
        .map(|s| s.2)
        .collect();
    drop(quiet);
    let (p50, p99) = (percentile(&mut plain, 50), percentile(&mut plain, 99));
    println!(
        "{SUBMISSIONS} submissions ({AT_ONCE} at a time), no sink: p50 {p50:.2} ms, p99 {p99:.2} ms; load average {}",
        load_average()
    );

    let sinks = [
        files.http(
            "hook",
            "webhook",
            &format!("{}/webhook/bench", receiver.url),
        )?,
        files.http("dead", "teams", &format!("{}/dead/bench", receiver.url))?,
    ];
    let flags = files.flags(&sinks, 600)?;
    let told = start(&cluster, &files.dir().join("sinks"), &flags)?;
    ready(&told.base).await?;
    let _warm = submissions(&told.base, &body).await?;
    let sent = submissions(&told.base, &body).await?;
    let mut slow: Vec<Duration> = sent.iter().map(|s| s.2).collect();
    let (d50, d99) = (percentile(&mut slow, 50), percentile(&mut slow, 99));
    println!(
        "{SUBMISSIONS} submissions ({AT_ONCE} at a time), a signed webhook and a Teams sink that never answers: p50 {d50:.2} ms, p99 {d99:.2} ms; load average {}",
        load_average()
    );

    let started: HashMap<&str, Instant> =
        sent.iter().map(|(id, at, _)| (id.as_str(), *at)).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut delays = loop {
        let delays: Vec<Duration> = receiver
            .accepted("webhook/bench")
            .iter()
            .filter_map(|d| {
                let sent = started.get(d.body["data"]["request"].as_str()?)?;
                Some(d.at.saturating_duration_since(*sent))
            })
            .collect();
        if delays.len() == SUBMISSIONS || Instant::now() > deadline {
            break delays;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    if delays.len() != SUBMISSIONS {
        bail!(
            "{} of {SUBMISSIONS} events reached the webhook",
            delays.len()
        );
    }
    let (l50, l99) = (percentile(&mut delays, 50), percentile(&mut delays, 99));
    println!(
        "delivery, from sending a submission to the webhook receiving its event: p50 {l50:.1} ms, p99 {l99:.1} ms; load average {}",
        load_average()
    );
    if d99 > p99 * 1.1 && d99 - p99 > 5.0 {
        bail!("the dead sink slowed submissions: p99 {d99:.2} ms against {p99:.2} ms");
    }
    drop(told);
    Ok(())
}
