//! One visit, every cluster (issue 26): two control planes with their own CAs (A the
//! test run's, B started here), a CertDesk in each listing the other as a peer, and a
//! requester who asks both from A's page. Each approver approves in their own cluster
//! with their own token (A's token is refused by B): A on its own request page with a
//! grant in A, B from the merged list; one download holds `<user>@a` and `<user>@b`,
//! each answering `kubectl auth whoami` and `auth can-i` with its own cluster's grants,
//! and B's certificate is refused by A. A second request is approved in A
//! while B's API server is down, then denied in B: A's context still works and the
//! page says B denied it.

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use e2e::action::requester::{self, Algorithm, Form};
use e2e::action::{approver, click, type_into};
use e2e::browser::Browser;
use e2e::cluster::ControlPlane;
use e2e::find;
use e2e::kubeconfig::Kubeconfig;
use e2e::stack::Stack;
use serde_json::json;

const TEST: &str = "federated_journey";
const PATIENCE: Duration = Duration::from_secs(90);

fn peers(name: &str, port: u16) -> Vec<String> {
    let peers =
        json!([{ "name": name, "url": format!("http://127.0.0.1:{port}"), "default": true }]);
    vec!["--peers".to_owned(), peers.to_string()]
}

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn one_request_for_two_clusters_each_approved_in_its_own() -> Result<()> {
    let (port_a, port_b) = (e2e::tools::free_port()?, e2e::tools::free_port()?);
    let b_cluster = ControlPlane::start_oldest()?;
    let a = Stack::start_member(
        TEST,
        ControlPlane::shared()?,
        "a",
        &format!("127.0.0.1:{port_a}"),
        &peers("b", port_b),
    )?;
    let b = Stack::start_member(
        TEST,
        b_cluster,
        "b",
        &format!("127.0.0.1:{port_b}"),
        &peers("a", port_a),
    )?;
    let outcome = a.run(journey(&a, &b)).await;
    b.cluster.stop()?;
    outcome
}

async fn journey(a: &Stack, b: &Stack) -> Result<()> {
    let requester_browser = a.browser("requester").await?;
    let user = e2e::unique("minjun");
    let id = request_both(&requester_browser, a, &user).await?;

    // One approver page for both clusters: signed in to A, then to B on /admin/clusters.
    let approver_browser = a.browser("approver").await?;
    approver::sign_in(
        &approver_browser,
        &a.portal.url,
        &a.cluster.approver_token()?,
    )
    .await?;
    approver_browser
        .client
        .goto(&a.url("/admin/clusters"))
        .await?;
    // A's approver cannot act in B: B's cluster refuses A's token.
    peer_sign_in(&approver_browser, &a.cluster.approver_token()?).await?;
    find::by_testid(&approver_browser, "peer-refused")
        .await
        .context("B accepted A's approver token")?;
    // Sent straight to B's CertDesk, A's token approves nothing there either.
    let in_b = b
        .cluster
        .csr_names("certdesk-")?
        .into_iter()
        .find(|name| name.contains(&user))
        .context("B holds no CSR of the request")?;
    let answer = approve_with_token(&b.portal.url, &a.cluster.approver_token()?, &in_b).await?;
    ensure!(answer >= 400, "B answered {answer} to A's token");
    peer_sign_in(&approver_browser, &b.cluster.approver_token()?).await?;
    find::by_css(
        &approver_browser,
        "[data-testid=cluster-slot][data-cluster=b] [data-testid=cluster-signed-in]",
    )
    .await?;

    // A first, on A's own request page with a grant in A (pods in default); B second,
    // from the merged list (labelled by cluster) with B's token and no grant.
    let role = a
        .cluster
        .create_pod_reader("default", &e2e::unique("federated-reader"))?;
    let in_a = a
        .cluster
        .csr_names("certdesk-")?
        .into_iter()
        .find(|name| name.contains(&user))
        .context("A holds no CSR of the request")?;
    approver::open_request(&approver_browser, &a.portal.url, &in_a).await?;
    approver::grant_role(&approver_browser, "default", &role.name).await?;
    approver::approve(&approver_browser).await?;
    wait_part(&requester_browser, "a", "Issued").await?;
    approver_browser
        .client
        .goto(&a.url("/admin/clusters"))
        .await?;
    approve_row(&approver_browser, "b", &user).await?;
    wait_part(&requester_browser, "b", "Issued").await?;
    ensure!(
        requester_browser.client.current_url().await?.path() == format!("/requests/{id}"),
        "the requester's page moved"
    );
    let file = download_merged(&requester_browser, &["a", "b"]).await?;
    let kubeconfig = Kubeconfig::at(&file);
    for cluster in ["a", "b"] {
        let context = format!("{user}@{cluster}");
        let run = kubeconfig.kubectl(&["--context", &context, "auth", "whoami", "-o", "json"])?;
        ensure!(run.success, "{context}: {}", run.stderr);
        ensure!(
            run.stdout.contains(&format!("\"username\": \"{user}\"")),
            "{context}: {}",
            run.stdout
        );
        // Each context answers with its own cluster's grants: pods in A only.
        let run = kubeconfig.kubectl(&[
            "--context",
            &context,
            "auth",
            "can-i",
            "list",
            "pods",
            "-n",
            "default",
        ])?;
        let may = run.stdout.trim() == "yes";
        ensure!(
            may == (cluster == "a"),
            "{context} may list pods in default: {:?} {}",
            run.stdout.trim(),
            run.stderr
        );
    }
    // B's certificate means nothing to A's API server.
    let run = kubeconfig.kubectl(&[
        "--cluster",
        &format!("{user}@a"),
        "--user",
        &format!("{user}@b"),
        "auth",
        "whoami",
    ])?;
    ensure!(!run.success, "A accepted B's certificate: {}", run.stdout);

    // A second request: A approves while B's API server is down; B later denies.
    let second = e2e::unique("minjun");
    request_both(&requester_browser, a, &second).await?;
    b.cluster.stop_apiserver()?;
    approve_row(&approver_browser, "a", &second).await?;
    wait_part(&requester_browser, "a", "Issued").await?;
    let file = download_merged(&requester_browser, &["a"]).await?;
    let (who, _) = Kubeconfig::at(&file).whoami()?;
    ensure!(who == second, "A's context answers {who}");
    b.cluster.start_apiserver()?;
    deny_row(&approver_browser, "b", &second, "not in production, sorry").await?;
    wait_part(&requester_browser, "b", "Denied").await?;
    find::text_when(&requester_browser, "batch", PATIENCE, |t| {
        t.contains("not in production, sorry")
    })
    .await
    .context("the page does not say why B denied")?;
    let file = download_merged(&requester_browser, &["a"]).await?;
    let (who, _) = Kubeconfig::at(&file).whoami()?;
    ensure!(who == second, "after B's denial A's context answers {who}");
    Ok(())
}

/// Requests access for `user` on A's page, to both clusters (the operator's default
/// set), and returns the id its status page shows.
async fn request_both(browser: &Browser, a: &Stack, user: &str) -> Result<String> {
    let form = Form {
        username: user,
        groups: &[],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 1,
    };
    requester::fill_form(browser, &a.portal.url, &form).await?;
    // B agreed (both list each other) and is in the default set: ticked.
    let b = find::by_css(
        browser,
        "[data-testid=cluster-choice][data-cluster=b] input",
    )
    .await?;
    ensure!(b.is_enabled().await?, "B is not offered");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !b.is_selected().await? {
        ensure!(
            tokio::time::Instant::now() < deadline,
            "B is not ticked by default"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The form's own requests (the performance log is read from here on).
    e2e::received::responses(browser).await?;
    click(browser, "submit-request").await?;
    for cluster in ["a", "b"] {
        wait_part(browser, cluster, "Pending").await?;
    }
    // The status page asks each CertDesk's configuration once: a second ask of the
    // same address would wait for the first's answer.
    let mut asked = std::collections::HashMap::<String, usize>::new();
    for received in e2e::received::responses(browser).await? {
        if let Some(origin) = received.url.strip_suffix("/api/v1/config") {
            *asked.entry(origin.to_owned()).or_default() += 1;
        }
    }
    ensure!(
        asked.len() == 2 && asked.values().all(|&n| n == 1),
        "configuration asked per CertDesk: {asked:?}"
    );
    let url = browser.client.current_url().await?;
    url.path()
        .strip_prefix("/requests/")
        .map(str::to_owned)
        .context("not on a status page")
}

async fn peer_sign_in(browser: &Browser, token: &str) -> Result<()> {
    let slot = "[data-testid=cluster-slot][data-cluster=b]";
    let input = find::by_css(browser, &format!("{slot} [data-testid=peer-token]")).await?;
    input.clear().await?;
    type_into(&input, token).await?;
    find::by_css(browser, &format!("{slot} button[type=submit]"))
        .await?
        .click()
        .await?;
    Ok(())
}

/// The merged list's row of `user`'s request in `cluster`, refreshed until it shows.
async fn row(
    browser: &Browser,
    cluster: &str,
    user: &str,
) -> Result<fantoccini::elements::Element> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let rows = browser
            .client
            .find_all(fantoccini::Locator::Css(&format!(
                "[data-testid=merged-row][data-cluster={cluster}]"
            )))
            .await?;
        for row in rows {
            if row.text().await.is_ok_and(|t| t.contains(user)) {
                return Ok(row);
            }
        }
        if tokio::time::Instant::now() > deadline {
            bail!("no row of {user} in {cluster}");
        }
        browser.client.refresh().await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn approve_row(browser: &Browser, cluster: &str, user: &str) -> Result<()> {
    decide(browser, cluster, user, None).await
}

/// Approves (or, with a reason, denies) `user`'s request in `cluster` from its row until
/// the page says it was decided (a list refreshing under the click replaces the row:
/// press it again).
async fn decide(browser: &Browser, cluster: &str, user: &str, deny: Option<&str>) -> Result<()> {
    let (button, what) = match deny {
        Some(_) => ("row-deny", "denied"),
        None => ("row-approve", "approved"),
    };
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let found = row(browser, cluster, user).await?;
        let name = found
            .attr("data-request")
            .await?
            .context("no request name")?;
        if let Some(reason) = deny
            && let Ok(input) = found
                .find(fantoccini::Locator::Css("[data-testid=row-reason]"))
                .await
        {
            let _ = input.clear().await;
            let _ = type_into(&input, reason).await;
        }
        if let Ok(pressed) = found
            .find(fantoccini::Locator::Css(&format!("[data-testid={button}]")))
            .await
        {
            let _ = pressed.click().await;
        }
        let done = format!("[data-testid=merged-done][data-request=\"{name}\"]");
        let wait_until = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::time::Instant::now() < wait_until {
            if let Ok(line) = browser.client.find(fantoccini::Locator::Css(&done)).await {
                let text = line.text().await?;
                ensure!(text.starts_with(what), "the page says {text:?}");
                return Ok(());
            }
            if let Ok(error) = browser
                .client
                .find(fantoccini::Locator::Css("[data-testid=row-error]"))
                .await
            {
                bail!("the decision failed: {}", error.text().await?);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "{user} in {cluster} was never {what}"
        );
    }
}

async fn deny_row(browser: &Browser, cluster: &str, user: &str, reason: &str) -> Result<()> {
    decide(browser, cluster, user, Some(reason)).await
}

/// `POST /admin/requests/{name}/approve` at `portal` with `token`: the HTTP status.
async fn approve_with_token(portal: &str, token: &str, name: &str) -> Result<u16> {
    let response = reqwest::Client::new()
        .post(format!("{portal}/api/v1/admin/requests/{name}/approve"))
        .bearer_auth(token)
        .json(&json!({ "grants": [] }))
        .send()
        .await?;
    Ok(response.status().as_u16())
}

/// Waits until the requester's page shows `phase` for `cluster`.
async fn wait_part(browser: &Browser, cluster: &str, phase: &str) -> Result<()> {
    let css = format!("[data-testid=batch-part][data-cluster={cluster}] [data-testid=phase]");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Ok(badge) = browser.client.find(fantoccini::Locator::Css(&css)).await
            && badge.attr("data-phase").await?.as_deref() == Some(phase)
        {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("{cluster} never showed {phase}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Downloads the one kubeconfig once it holds exactly `clusters`.
async fn download_merged(browser: &Browser, clusters: &[&str]) -> Result<std::path::PathBuf> {
    let wanted = clusters.join(",");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let shown = find::by_testid(browser, "merged-clusters")
            .await?
            .attr("data-clusters")
            .await?;
        if shown.as_deref() == Some(wanted.as_str()) {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            bail!("the kubeconfig holds {shown:?}, not {wanted}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    requester::download_kubeconfig(browser).await
}
