//! Backend latency against a fresh local control plane (figures in docs/benchmarks.md):
//!
//! 1. submit: `POST /api/v1/requests` through the backend (over loopback HTTP) against a
//!    direct `create` of the equivalent CSR object with the backend's own identity, on
//!    the same API server, interleaved, the same number of samples;
//! 2. list: `GET /api/v1/admin/requests` with 5,000 CSRs in the watch cache.
//!
//! `cargo bench -p backend --bench api` (`CERTDESK_BENCH_SAMPLES`, default 300;
//! `CERTDESK_BENCH_LIST_OBJECTS`, default 5000; `CERTDESK_BENCH_LIST_CALLS`, default 60).

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use axum::http::{Request, StatusCode};
use backend::AppState;
use backend::cluster::requests::{self, Origin};
use backend::config::Config;
use clap::Parser;
use e2e::cluster::ControlPlane;
use futures::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::Api;
use kube::api::PostParams;

type Http = HttpClient<HttpConnector, Full<Bytes>>;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn csr_pem(cn: &str) -> Result<String> {
    e2e::tools::ok(
        "openssl",
        &[
            "req",
            "-new",
            "-nodes",
            "-subj",
            &format!("/CN={cn}/O=bench"),
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-keyout",
            "/dev/null",
        ],
        None,
    )
}

/// (p50, p95) in milliseconds.
fn percentiles(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort();
    let at = |p: usize| samples[(samples.len() * p / 100).min(samples.len() - 1)];
    (at(50).as_secs_f64() * 1e3, at(95).as_secs_f64() * 1e3)
}

async fn call(http: &Http, request: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes)> {
    let response = http.request(request).await?;
    let status = response.status();
    Ok((status, response.into_body().collect().await?.to_bytes()))
}

#[tokio::main]
async fn main() -> Result<()> {
    e2e::tls::init();
    let samples = env_number("CERTDESK_BENCH_SAMPLES", 300);
    let objects = env_number("CERTDESK_BENCH_LIST_OBJECTS", 5000);
    let calls = env_number("CERTDESK_BENCH_LIST_CALLS", 60);
    eprintln!("starting a fresh control plane…");
    let cluster = tokio::task::spawn_blocking(ControlPlane::start).await??;

    let static_dir = tempfile::tempdir()?;
    // The three apps the backend serves (the requester's, admin/, inspect/).
    for app in std::iter::once("").chain(backend::routes::assets::APPS.map(|(_, dir)| dir)) {
        std::fs::create_dir_all(static_dir.path().join(app))?;
        std::fs::write(
            static_dir.path().join(app).join("index.html"),
            "<!DOCTYPE html>",
        )?;
    }
    // The bench's CSRs ask for the group `bench`: a policy that offers it.
    let policy_file = static_dir.path().join("policy.yaml");
    std::fs::write(&policy_file, "groups:\n  allowed: [bench]\n")?;
    let config = Config::try_parse_from([
        "certdesk",
        "--static-dir",
        static_dir.path().to_str().context("utf-8 path")?,
        "--kubeconfig",
        cluster
            .backend_kubeconfig()
            .to_str()
            .context("utf-8 path")?,
        "--submit-per-minute",
        "1000000",
        "--submit-burst",
        "1000000",
        "--policy-file",
        policy_file.to_str().context("utf-8 path")?,
    ])?;
    let state = AppState::new(config.validate()?).await?;
    let probe = state.clone();
    let portal = state.portal.clone();
    let policy = portal.policy.clone();
    let nobody = shared::names::NameIndex::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(
        axum::serve(
            listener,
            backend::app(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .into_future(),
    );
    let http: Http = HttpClient::builder(TokioExecutor::new()).build_http();
    let get = |uri: String, token: Option<&str>| {
        let mut request = Request::get(uri);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        request.body(Full::new(Bytes::new())).expect("request")
    };
    for _ in 0..300 {
        if call(&http, get(format!("{base}/readyz"), None)).await?.0 == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 1. Submit through the backend against a direct create, interleaved.
    let pem = csr_pem("bench-submit")?;
    let body = serde_json::json!({ "csr_pem": pem, "expiration_seconds": 3600 }).to_string();
    let vetted = backend::csr::vet(&pem, &portal, &nobody).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let direct_api = Api::<CertificateSigningRequest>::all(cluster.backend_client().await?);
    let submit = || {
        Request::post(format!("{base}/api/v1/requests"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.clone())))
            .expect("request")
    };
    let direct = |_: ()| {
        let id = requests::new_request_id("bench-submit").expect("random");
        requests::build(&id, &vetted, 3600, &Origin::default())
    };
    let (mut through, mut straight) = (Vec::new(), Vec::new());
    for i in 0..samples + 20 {
        // Alternate which goes first, so neither always meets a warmer server.
        for first in [i % 2 == 0, i % 2 != 0] {
            if first {
                let request = submit();
                let start = Instant::now();
                let (status, text) = call(&http, request).await?;
                let took = start.elapsed();
                if status != StatusCode::CREATED {
                    bail!(
                        "submit answered {status}: {}",
                        String::from_utf8_lossy(&text)
                    );
                }
                if i >= 20 {
                    through.push(took);
                }
            } else {
                let object = direct(());
                let start = Instant::now();
                direct_api.create(&PostParams::default(), &object).await?;
                let took = start.elapsed();
                if i >= 20 {
                    straight.push(took);
                }
            }
        }
    }
    let (b50, b95) = percentiles(&mut through);
    let (d50, d95) = percentiles(&mut straight);
    println!(
        "submit, {samples} samples each (after 20 warm-up each), same API server, interleaved:"
    );
    println!("  through the backend (POST /api/v1/requests): p50 {b50:.2} ms, p95 {b95:.2} ms");
    println!("  direct create (kube client, backend's identity): p50 {d50:.2} ms, p95 {d95:.2} ms");
    println!(
        "  ratio backend/direct: p50 {:.2}x, p95 {:.2}x",
        b50 / d50,
        b95 / d95
    );
    let mut vetting: Vec<Duration> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(backend::csr::vet(&pem, &portal, &nobody).is_ok());
            start.elapsed()
        })
        .collect();
    let (v50, _) = percentiles(&mut vetting);
    println!("  of which, in-process p50: parsing, verifying and vetting the CSR {v50:.3} ms");

    // 2. The approvers' list with `objects` CSRs in the cache.
    let admin = Api::<CertificateSigningRequest>::all(cluster.admin_client().await?);
    let list_pem = csr_pem("bench-list")?;
    let list_vetted =
        backend::csr::vet(&list_pem, &portal, &nobody).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let start = Instant::now();
    let results: Vec<Result<_, _>> = futures::stream::iter(0..objects)
        .map(|i| {
            let admin = admin.clone();
            let id = shared::RequestId(format!("bench-list-{i:05}"));
            let object = requests::build(&id, &list_vetted, 3600, &Origin::default());
            async move { admin.create(&PostParams::default(), &object).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    for result in results {
        result?;
    }
    eprintln!(
        "created {objects} CSRs in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let token = cluster.approver_token()?;
    let expected = objects + 2 * (samples + 20);
    let mut size = 0;
    for _ in 0..600 {
        let (status, text) = call(
            &http,
            get(format!("{base}/api/v1/admin/requests"), Some(&token)),
        )
        .await?;
        if status != StatusCode::OK {
            bail!("list answered {status}: {}", String::from_utf8_lossy(&text));
        }
        let page: serde_json::Value = serde_json::from_slice(&text)?;
        let count = page["total"].as_u64().unwrap_or(0) as usize;
        size = text.len();
        if count >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls + 5 {
        let request = get(format!("{base}/api/v1/admin/requests"), Some(&token));
        let start = Instant::now();
        let (status, _) = call(&http, request).await?;
        times.push(start.elapsed());
        if status != StatusCode::OK {
            bail!("list answered {status}");
        }
    }
    let mut times = times.split_off(5);
    let (l50, l95) = percentiles(&mut times);
    println!(
        "list GET /api/v1/admin/requests (its first page of 50) with {expected} CSRs in the cache ({} KiB JSON), {calls} calls: p50 {l50:.2} ms, p95 {l95:.2} ms",
        size / 1024
    );
    // Where the time goes, in-process: the views from the cache, then their JSON.
    let cluster_state = probe.cluster().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let bound = cluster_state.bindings.users();
    let context = shared::risk::RiskContext::new(&policy, &bound);
    let (mut building, mut encoding) = (Vec::new(), Vec::new());
    for _ in 0..calls {
        let start = Instant::now();
        let views: Vec<_> = cluster_state
            .cache
            .all()
            .iter()
            .map(|csr| {
                backend::cluster::approver::view(
                    csr,
                    &cluster_state.cache.decoding(csr),
                    &context,
                    cluster_state.own_username(),
                )
            })
            .collect();
        building.push(start.elapsed());
        let start = Instant::now();
        let json = serde_json::to_vec(&views)?;
        encoding.push(start.elapsed());
        std::hint::black_box(json);
    }
    let (v50, _) = percentiles(&mut building);
    let (j50, _) = percentiles(&mut encoding);
    println!(
        "  of which, in-process p50: building the views {v50:.2} ms, encoding the JSON {j50:.2} ms"
    );
    cluster.stop()?;
    Ok(())
}
