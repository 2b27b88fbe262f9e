//! Three replicas behind one load balancer (Debian's haproxy, round robin per request):
//! the requester submits and follows live through it, the replica holding the live
//! stream is killed, the approver approves through it; the page still ends with a
//! working kubeconfig, and the cluster holds exactly one issuance record.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use e2e::action::approver;
use e2e::action::requester::{self, Algorithm, Form};
use e2e::balancer::Balancer;
use e2e::kubeconfig::Kubeconfig;
use e2e::portal::{Portal, PortalOptions};
use e2e::stack::Stack;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle, chromium and haproxy; run by scripts/test.sh"]
async fn three_replicas_behind_a_balancer_lose_and_duplicate_nothing() -> Result<()> {
    let stack = Stack::start("replicas")?;
    stack.run(replicas(&stack)).await
}

/// How many live streams a replica holds, from its `/metrics`.
fn open_streams(url: &str) -> u64 {
    e2e::tools::ok("curl", &["--silent", &format!("{url}/metrics")], None)
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("certdesk_event_streams_open "))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

async fn replicas(stack: &Stack) -> Result<()> {
    let mut replicas: Vec<Option<Portal>> = Vec::new();
    for i in 0..3 {
        replicas.push(Some(Portal::serve(&PortalOptions {
            kubeconfig: Some(stack.cluster.backend_kubeconfig()),
            cluster_name: Some(stack.cluster_name.clone()),
            public_server_url: None,
            log: Some(stack.artifacts().join(format!("replica-{i}.log"))),
            extra_args: Vec::new(),
            listen: None,
        })?));
    }
    let urls: Vec<String> = replicas.iter().flatten().map(|p| p.url.clone()).collect();
    let balancer = Balancer::start(&urls.iter().map(String::as_str).collect::<Vec<_>>())?;
    let base = balancer.url.as_str();

    let username = e2e::unique("replica");
    let form = Form {
        username: &username,
        groups: &["dev-team"],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 1,
    };
    let browser = stack.browser("requester").await?;
    let id = requester::request_access(&browser, base, &form).await?;

    // Kill the replica holding the page's live stream, mid-stream.
    let deadline = Instant::now() + Duration::from_secs(15);
    let holder = loop {
        if let Some(i) = urls.iter().position(|u| open_streams(u) > 0) {
            break i;
        }
        ensure!(
            Instant::now() < deadline,
            "no replica reports the page's live stream"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    drop(replicas[holder].take());

    let admin = stack.browser("approver").await?;
    approver::sign_in(&admin, base, &stack.cluster.approver_token()?).await?;
    approver::open_request(&admin, base, &id).await?;
    approver::approve(&admin).await?;

    requester::wait_for_phase(&browser, "Issued", Duration::from_secs(60)).await?;
    let file = requester::download_kubeconfig(&browser).await?;
    let kubeconfig = Kubeconfig::at(&file);
    e2e::check::authenticates_as(&kubeconfig, &username, &["dev-team"])?;

    // One record for the one certificate, whichever replicas saw it issued.
    let records = stack.cluster.admin_kubectl_ok(&[
        "get",
        "issuedcertificates",
        "-o",
        "jsonpath={range .items[*]}{.spec.username}{\"\\n\"}{end}",
    ])?;
    let mine = records.lines().filter(|u| *u == username).count();
    ensure!(mine == 1, "{mine} issuance records for {username}");
    stack
        .cluster
        .admin_kubectl_ok(&["get", "issuedcertificates", &id])
        .context("the record is named after the request")?;
    drop(balancer);
    Ok(())
}
