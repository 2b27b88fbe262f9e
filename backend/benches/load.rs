//! The backend under abuse, against a fresh control plane of its own and the release
//! binary with its default limits (figures in docs/benchmarks.md; run by
//! `scripts/bench-load.sh`, which builds the binary and raises the open-file limit):
//!
//! 1. 1,000 concurrent submissions from 1,000 loopback addresses (127.0.x.y): every 2xx
//!    has its CSR in the cluster, every other answer is 429 with `Retry-After`, no 5xx;
//! 2. 5,000 event streams attempted from 500 addresses: the cap holds, and the
//!    backend's RSS stays under [`RSS_BOUND_MIB`];
//! 3. 500 slowloris connections held open while 1,000 status requests run: their p99;
//! 4. 10,000 requests with invented methods: `/metrics` stays the same size.
//!
//! `CERTDESK_BIN` names the binary (the script passes the release build).

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use axum::http::{Method, Request, StatusCode, header};
use e2e::cluster::ControlPlane;
use futures::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::Api;
use support::{Backend, load_average, percentile, start_backend};
use tokio::io::AsyncWriteExt;

mod support;

type Http = HttpClient<HttpConnector, Full<Bytes>>;

/// The RSS the backend must stay under with its event streams full.
const RSS_BOUND_MIB: u64 = 256;

/// A client whose connections come from `source`.
fn client_from(source: IpAddr) -> Http {
    let mut connector = HttpConnector::new();
    connector.set_local_address(Some(source));
    HttpClient::builder(TokioExecutor::new()).build(connector)
}

/// The `n`-th loopback address past 127.0.0.1: 127.0.x.y.
fn loopback(n: usize) -> IpAddr {
    let n = n + 2;
    IpAddr::V4(Ipv4Addr::new(127, 0, (n / 250) as u8, (n % 250 + 1) as u8))
}

fn rss_mib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}

/// Starts the backend with its default limits and a policy offering `bench`.
fn start(cluster: &ControlPlane, dir: &tempfile::TempDir) -> Result<Backend> {
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, "groups:\n  allowed: [bench]\n")?;
    start_backend(
        cluster,
        dir.path(),
        &["--policy-file".to_owned(), policy.display().to_string()],
    )
}

async fn call(http: &Http, request: Request<Full<Bytes>>) -> Result<(StatusCode, bool, Bytes)> {
    let response = http.request(request).await?;
    let status = response.status();
    let retry_after = response.headers().contains_key(header::RETRY_AFTER);
    Ok((
        status,
        retry_after,
        response.into_body().collect().await?.to_bytes(),
    ))
}

fn get(uri: String) -> Request<Full<Bytes>> {
    Request::get(uri)
        .body(Full::new(Bytes::new()))
        .expect("request")
}

#[tokio::main]
async fn main() -> Result<()> {
    e2e::tls::init();
    eprintln!("starting a fresh control plane…");
    let cluster = tokio::task::spawn_blocking(ControlPlane::start).await??;
    let dir = tempfile::tempdir()?;
    let backend = start(&cluster, &dir)?;
    let base = backend.base.clone();
    let local = client_from(IpAddr::V4(Ipv4Addr::LOCALHOST));
    for _ in 0..300 {
        if call(&local, get(format!("{base}/readyz"))).await?.0 == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("load average at start: {}", load_average());

    // 1. 1,000 concurrent submissions from 1,000 addresses.
    let pem = e2e::tools::openssl_csr("/CN=bench-load/O=bench")?;
    let body = serde_json::json!({ "csr_pem": pem, "expiration_seconds": 3600 }).to_string();
    let started = Instant::now();
    let answers = futures::future::join_all((0..1000).map(|n| {
        let http = client_from(loopback(n));
        let request = Request::post(format!("{base}/api/v1/requests"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.clone())))
            .expect("request");
        async move { call(&http, request).await }
    }))
    .await;
    let took = started.elapsed();
    let (mut created, mut limited, mut other) = (Vec::new(), 0, Vec::new());
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    for answer in answers {
        let (status, retry_after, text) = answer?;
        match status {
            StatusCode::CREATED => {
                let ticket: serde_json::Value = serde_json::from_slice(&text)?;
                created.push(ticket["id"].as_str().context("an id")?.to_owned());
            }
            StatusCode::TOO_MANY_REQUESTS if retry_after => {
                limited += 1;
                let error: serde_json::Value = serde_json::from_slice(&text)?;
                let code = error["code"].as_str().unwrap_or("?").to_owned();
                *codes.entry(code).or_default() += 1;
            }
            _ => other.push(format!("{status} {}", String::from_utf8_lossy(&text))),
        }
    }
    let in_cluster: BTreeSet<String> =
        Api::<CertificateSigningRequest>::all(cluster.admin_client().await?)
            .list(&Default::default())
            .await?
            .items
            .into_iter()
            .filter_map(|csr| csr.metadata.name)
            .collect();
    let missing = created
        .iter()
        .filter(|id| !in_cluster.contains(*id))
        .count();
    println!(
        "1. 1000 concurrent submissions from 1000 addresses in {:.2} s: {} created (missing from the cluster: {missing}), {limited} answered 429 with Retry-After {codes:?}, {} other; load average {}",
        took.as_secs_f64(),
        created.len(),
        other.len(),
        load_average()
    );
    if !other.is_empty() || missing > 0 {
        bail!("unexpected answers: {:?}", &other[..other.len().min(5)]);
    }
    let id = created
        .first()
        .context("at least one request was created")?
        .clone();

    // 2. 5,000 event streams from 500 addresses, held open.
    let rss_before = rss_mib(backend.child.id());
    let attempts = futures::stream::iter(0..5000)
        .map(|n| {
            let http = client_from(loopback(2000 + n / 10));
            let uri = format!("{base}/api/v1/requests/{id}/events");
            async move {
                let response = http.request(get(uri)).await?;
                anyhow::Ok((response.status(), response, http))
            }
        })
        .buffer_unordered(200)
        .collect::<Vec<_>>()
        .await;
    let mut open = Vec::new();
    let (mut refused, mut failed) = (0, 0);
    for attempt in attempts {
        match attempt {
            Ok((StatusCode::OK, response, http)) => open.push((response, http)),
            Ok((StatusCode::TOO_MANY_REQUESTS, ..)) => refused += 1,
            _ => failed += 1,
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_full = rss_mib(backend.child.id());
    println!(
        "2. 5000 event streams attempted: {} open, {refused} refused with 429, {failed} failed; backend RSS {rss_before} MiB before, {rss_full} MiB with the streams open (bound {RSS_BOUND_MIB} MiB); load average {}",
        open.len(),
        load_average()
    );
    if open.len() > 2000 || rss_full >= RSS_BOUND_MIB || failed > 0 {
        bail!("the stream cap or the memory bound did not hold");
    }
    drop(open);

    // 3. 500 slowloris connections while 1,000 status requests run.
    let address: SocketAddr = base.trim_start_matches("http://").parse()?;
    let mut slow = Vec::new();
    for n in 0..500 {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(loopback(3000 + n), 0))?;
        let mut stream = socket.connect(address).await?;
        stream
            .write_all(
                format!("GET /api/v1/requests/{id} HTTP/1.1\r\nHost: x\r\nX-Slow: ").as_bytes(),
            )
            .await?;
        slow.push(stream);
    }
    let feeder = tokio::spawn(async move {
        // A byte a second on every connection, never ending the headers.
        for _ in 0..30 {
            for stream in &mut slow {
                let _ = stream.write_all(b"a").await;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        slow
    });
    let mut latencies = Vec::new();
    for round in 0..50 {
        let timed = futures::future::join_all((0..20).map(|n| {
            let http = client_from(loopback(4000 + n));
            let uri = format!("{base}/api/v1/requests/{id}");
            async move {
                let start = Instant::now();
                let (status, ..) = call(&http, get(uri)).await?;
                anyhow::Ok((status, start.elapsed()))
            }
        }))
        .await;
        for answer in timed {
            let (status, took) = answer?;
            if status != StatusCode::OK {
                bail!("a status request in round {round} answered {status}");
            }
            latencies.push(took);
        }
    }
    let p50 = percentile(&mut latencies, 50);
    let p99 = percentile(&mut latencies, 99);
    println!(
        "3. 1000 status requests (20 at a time) beside 500 slowloris connections: p50 {p50:.2} ms, p99 {p99:.2} ms; load average {}",
        load_average()
    );
    let slow = feeder.await?;
    let mut closed = 0;
    for mut stream in slow {
        // A connection the server closed fails to take more bytes (or reads EOF).
        let mut buffer = [0u8; 512];
        let read = tokio::time::timeout(Duration::from_millis(50), async {
            use tokio::io::AsyncReadExt;
            stream.read(&mut buffer).await
        })
        .await;
        if matches!(read, Ok(Ok(_)) | Ok(Err(_))) {
            closed += 1;
        }
    }
    println!("   slowloris connections the server had closed after 30 s: {closed} of 500");

    // 4. 10,000 requests with invented methods.
    let metrics = |http: Http, base: String| async move {
        call(&http, get(format!("{base}/metrics")))
            .await
            .map(|(_, _, body)| String::from_utf8_lossy(&body).into_owned())
    };
    let invented = |n: usize| {
        let http = client_from(loopback(5000 + n % 100));
        let method = Method::from_bytes(format!("FOO{n}").as_bytes()).expect("method");
        let request = Request::builder()
            .method(method)
            .uri(format!("{base}/api/v1/invented-{n}"))
            .body(Full::new(Bytes::new()))
            .expect("request");
        async move { call(&http, request).await.map(|(status, ..)| status) }
    };
    // One of each first (and a first scrape), so every series they can make exists.
    invented(0).await?;
    metrics(local.clone(), base.clone()).await?;
    let before = metrics(local.clone(), base.clone()).await?;
    let answers = futures::stream::iter(1..=10_000)
        .map(invented)
        .buffer_unordered(50)
        .collect::<Vec<_>>()
        .await;
    let errors = answers.iter().filter(|a| a.is_err()).count();
    let after = metrics(local.clone(), base.clone()).await?;
    let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
    println!(
        "4. 10000 requests with invented methods ({errors} failed to send): /metrics {} series and {} bytes before, {} series and {} bytes after (counters' digits only); load average {}",
        series(&before),
        before.len(),
        series(&after),
        after.len(),
        load_average()
    );
    let labels = |text: &str| -> BTreeSet<String> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.rsplit_once(' ').map(|(series, _)| series.to_owned()))
            .collect()
    };
    for new in labels(&after).difference(&labels(&before)) {
        println!("   new series: {new}");
    }
    if series(&after) != series(&before) || after.contains("FOO") {
        bail!("invented methods added metric series");
    }
    drop(backend);
    drop(cluster);
    Ok(())
}
