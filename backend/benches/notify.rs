//! What notifications cost a submission, and how soon they arrive (docs/benchmarks.md,
//! "Notifications"; run by `scripts/bench-notify.sh`): against a fresh control plane of
//! its own and the release binary, three backends one after the other, each warmed up
//! with 200 submissions (10 at a time, from 10 loopback addresses):
//!
//! 1. no sink: 1,000 submissions, p50/p99;
//! 2. one Teams sink that never answers (holding every event it is given): 1,000
//!    submissions, p50/p99; fails when p99 is more than 10 % (and 5 ms, below which a
//!    difference is noise) over the first run's;
//! 3. one signed webhook: 200 submissions, and the delivery latency from sending each
//!    submission to the webhook receiving its event, p50/p99.
//!
//! Each run asks for a group of its own, so no backend is told of another's requests.
//!
//! `CERTDESK_BIN` names the binary (the script passes the release build).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
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
use support::{Backend, load_average, percentile, start_backend};

mod support;

type Http = HttpClient<HttpConnector, Full<Bytes>>;

/// Submissions in each measured run (p99 is then the tenth slowest).
const SUBMISSIONS: usize = 1000;
/// Submissions whose events the prompt sink's run times.
const TOLD: usize = 200;
const AT_ONCE: usize = 10;

fn start(cluster: &ControlPlane, dir: &std::path::Path, extra: &[String]) -> Result<Backend> {
    let mut args = vec!["--submit-per-minute", "100000", "--submit-burst", "100000"]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    args.extend_from_slice(extra);
    start_backend(cluster, dir, &args)
}

fn client_from(n: usize) -> Http {
    let mut connector = HttpConnector::new();
    connector.set_local_address(Some(IpAddr::V4(Ipv4Addr::new(127, 0, 3, n as u8 + 2))));
    HttpClient::builder(TokioExecutor::new()).build(connector)
}

/// Submits [`SUBMISSIONS`] requests and returns each one's id, when it was sent and how
/// long its answer took.
async fn submissions(
    base: &str,
    body: &str,
    count: usize,
) -> Result<Vec<(String, Instant, Duration)>> {
    let workers = (0..AT_ONCE).map(|worker| {
        let (base, body) = (base.to_owned(), body.to_owned());
        async move {
            let http = client_from(worker);
            let mut done = Vec::new();
            for _ in 0..count / AT_ONCE {
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
    let body_for = |group: &str| -> Result<String> {
        let pem = e2e::tools::openssl_csr(&format!("/CN=bench-notify/O={group}"))?;
        Ok(serde_json::json!({ "csr_pem": pem, "expiration_seconds": 3600 }).to_string())
    };
    let policy_for = |group: &str| -> Result<String> {
        let path = files.dir().join(format!("{group}.policy.yaml"));
        std::fs::write(&path, format!("groups:\n  allowed: [{group}]\n"))?;
        Ok(path.display().to_string())
    };

    // 1. No sink.
    let body = body_for("bench-quiet")?;
    let quiet = start(
        &cluster,
        &files.dir().join("none"),
        &["--policy-file".to_owned(), policy_for("bench-quiet")?],
    )?;
    ready(&quiet.base).await?;
    submissions(&quiet.base, &body, 200).await?;
    let mut plain: Vec<Duration> = submissions(&quiet.base, &body, SUBMISSIONS)
        .await?
        .into_iter()
        .map(|s| s.2)
        .collect();
    drop(quiet);
    let (p50, p99) = (percentile(&mut plain, 50), percentile(&mut plain, 99));
    println!(
        "1. {SUBMISSIONS} submissions ({AT_ONCE} at a time), no sink: p50 {p50:.2} ms, p99 {p99:.2} ms; load average {}",
        load_average()
    );

    // 2. A sink that never answers.
    let body = body_for(GROUP)?;
    let sinks = [files.http("dead", "teams", &format!("{}/dead/bench", receiver.url))?];
    let dead = start(
        &cluster,
        &files.dir().join("dead"),
        &files.flags(&sinks, 600)?,
    )?;
    ready(&dead.base).await?;
    submissions(&dead.base, &body, 200).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut held: Vec<Duration> = submissions(&dead.base, &body, SUBMISSIONS)
        .await?
        .into_iter()
        .map(|s| s.2)
        .collect();
    let (d50, d99) = (percentile(&mut held, 50), percentile(&mut held, 99));
    println!(
        "2. {SUBMISSIONS} submissions ({AT_ONCE} at a time), a Teams sink that never answers: p50 {d50:.2} ms, p99 {d99:.2} ms; load average {}",
        load_average()
    );
    drop(dead);

    // 3. A prompt signed webhook: how soon its events arrive.
    let group = "bench-told";
    let body = body_for(group)?;
    std::fs::write(
        files.dir().join("hook.url"),
        format!("{}/webhook/bench", receiver.url),
    )?;
    let mut flags = files.flags(&[format!("{{name: hook, format: webhook, urlFile: hook.url, secretFile: secret, groups: [{group}]}}")], 600)?;
    if let Some(policy) = flags.last_mut() {
        *policy = policy_for(group)?;
    }
    let told = start(&cluster, &files.dir().join("told"), &flags)?;
    ready(&told.base).await?;
    let warm = submissions(&told.base, &body, 200).await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while receiver.accepted("webhook/bench").len() < warm.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sent = submissions(&told.base, &body, TOLD).await?;
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
        if delays.len() == TOLD || Instant::now() > deadline {
            break delays;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    if delays.len() != TOLD {
        bail!("{} of {TOLD} events reached the webhook", delays.len());
    }
    let (l50, l99) = (percentile(&mut delays, 50), percentile(&mut delays, 99));
    println!(
        "3. delivery of {TOLD} submissions' events to a signed webhook, from sending the submission to the receiver: p50 {l50:.1} ms, p99 {l99:.1} ms; load average {}",
        load_average()
    );
    drop(told);
    if d99 > p99 * 1.1 && d99 - p99 > 5.0 {
        bail!("the dead sink slowed submissions: p99 {d99:.2} ms against {p99:.2} ms");
    }
    Ok(())
}
