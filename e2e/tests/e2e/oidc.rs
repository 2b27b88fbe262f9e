//! Approvers sign in with OpenID Connect (the local issuer over HTTPS, trusted by the
//! API server through `--authentication-config`): "Sign in with …" → the issuer's login
//! → back on the list, the cluster's view of them shown; they approve (the record names
//! the OIDC user) and the identity rule holds for them; with 60-s ID tokens they stay
//! signed in for three minutes (refresh tokens), and after a reload (no refresh token
//! in memory) they are sent through one re-sign-in that returns to the same page;
//! sign-out clears the tab and ends the issuer's session, and Back shows no list.
//! Tokens the cluster refuses are named by cause; without OIDC configured the page
//! offers only pasting (tested as before, by every other approver scenario).

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::action::requester::{self, Algorithm, Form};
use e2e::action::{approver, click, type_into};
use e2e::browser::Browser;
use e2e::cluster::ControlPlane;
use e2e::oidc::{LocalIssuer, Login};
use e2e::stack::Stack;
use serde_json::json;

use crate::flow;

fn oidc_flags(issuer_url: &str) -> Vec<String> {
    [
        "--oidc-issuer-url",
        issuer_url,
        "--oidc-client-id",
        "certdesk",
        "--oidc-display-name",
        "Local issuer",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn start(test: &str, issuer_url: &str) -> Result<Stack> {
    let flags = oidc_flags(issuer_url);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    Stack::start_on(test, ControlPlane::shared()?, &flags)
}

/// A browser that trusts the local issuer's serving key (and nothing else extra).
async fn trusting_browser(
    stack: &Stack,
    who: &str,
    issuer: &LocalIssuer,
) -> Result<std::sync::Arc<Browser>> {
    let spki = format!(
        "--ignore-certificate-errors-spki-list={}",
        issuer.spki_sha256()?
    );
    stack.browser_with(who, &[spki]).await
}

/// On the issuer's login page: types the user's name and password and signs in.
async fn log_in_at_issuer(browser: &Browser, login: &Login) -> Result<()> {
    let name = e2e::find::by_css(browser, "#username")
        .await
        .context("the issuer's login form never showed")?;
    type_into(&name, &login.name).await?;
    type_into(
        &e2e::find::by_css(browser, "#password").await?,
        &login.password,
    )
    .await?;
    e2e::find::by_css(browser, "#login").await?.click().await?;
    Ok(())
}

/// Clicks the element matching `css`, again if the live list re-rendered it between
/// finding and clicking.
async fn click_css(browser: &Browser, css: &str) -> Result<()> {
    let mut last = None;
    for _ in 0..10 {
        match e2e::find::by_css(browser, css).await?.click().await {
            Ok(()) => return Ok(()),
            Err(error) => last = Some(error),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(last.map_or_else(|| anyhow::anyhow!("no click"), anyhow::Error::from))
}

async fn session_token(browser: &Browser) -> Result<Option<String>> {
    let value = browser
        .client
        .execute(
            "return sessionStorage.getItem('certdesk.approver-token');",
            vec![],
        )
        .await?;
    Ok(value.as_str().map(str::to_owned))
}

async fn path(browser: &Browser) -> Result<String> {
    Ok(browser.client.current_url().await?.path().to_owned())
}

async fn signed_in_as(browser: &Browser, username: &str) -> Result<String> {
    e2e::find::text_when(browser, "cluster-sees", e2e::find::PATIENCE, |t| {
        t.contains(username)
    })
    .await
    .with_context(|| format!("the page never said the cluster sees {username}"))
}

#[tokio::test]
#[ignore = "needs the control plane with its OIDC issuer, the release bundle and chromium; run by scripts/test.sh"]
async fn an_approver_signs_in_with_oidc_approves_stays_signed_in_and_signs_out() -> Result<()> {
    let issuer = LocalIssuer::of(ControlPlane::shared()?.dir())?;
    let stack = start("oidc_sign_in", &issuer.url)?;
    stack
        .run(sign_in_approve_refresh_sign_out(&stack, &issuer))
        .await
}

async fn request(stack: &Stack, who: &str) -> Result<(String, String)> {
    let username = e2e::unique(who);
    let form = Form {
        username: &username,
        groups: &["dev-team"],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 1,
    };
    let browser = stack.browser(who).await?;
    let id = requester::request_access(&browser, &stack.portal.url, &form).await?;
    requester::wait_for_phase(&browser, "Pending", flow::SIGNING).await?;
    Ok((id, username))
}

async fn sign_in_approve_refresh_sign_out(stack: &Stack, issuer: &LocalIssuer) -> Result<()> {
    let (first, _) = request(stack, "oidc-first").await?;
    let alice = issuer.approver()?;
    let browser = trusting_browser(stack, "approver", issuer).await?;
    let base = &stack.portal.url;

    // A guarded page offers "Sign in with Local issuer" → the issuer's login → back on
    // the same page (the list, searched for the request), the cluster's view shown.
    let listed = format!("{base}/admin/requests?q={first}");
    browser.client.goto(&listed).await?;
    e2e::find::by_testid(&browser, "sign-in-first").await?;
    let button = e2e::find::text_when(&browser, "sign-in-oidc", e2e::find::PATIENCE, |t| {
        !t.is_empty()
    })
    .await?;
    ensure!(
        button.contains("Sign in with Local issuer"),
        "the button reads {button:?}"
    );
    click(&browser, "sign-in-oidc").await?;
    log_in_at_issuer(&browser, &alice).await?;
    signed_in_as(&browser, "oidc:alice").await?;
    let groups = e2e::find::by_testid(&browser, "cluster-sees")
        .await?
        .attr("data-groups")
        .await?
        .unwrap_or_default();
    ensure!(
        groups.contains("oidc:certdesk-approvers"),
        "the cluster sees the groups {groups:?}"
    );
    let address = browser.client.current_url().await?;
    ensure!(
        address.as_str() == listed,
        "after sign-in the page is {address}, not {listed}"
    );
    // Three minutes on the list with 60-s ID tokens, in the page the sign-in returned to
    // (the refresh token lives in its memory): renewed in place, no sign-in, no reload;
    // then a decision, by following the list's own link: the outcome and the CSR's
    // record name the OIDC user.
    requester::mark_page(&browser).await?;
    let before = session_token(&browser)
        .await?
        .context("no token in the tab after sign-in")?;
    tokio::time::sleep(Duration::from_secs(180)).await;
    ensure!(
        requester::marker_survived(&browser).await?,
        "the page was reloaded or left while the approver stayed on it"
    );
    ensure!(
        path(&browser).await? == "/admin/requests",
        "the approver was moved to {}",
        path(&browser).await?
    );
    let after = session_token(&browser)
        .await?
        .context("the tab lost its token")?;
    ensure!(
        after != before,
        "the token was never renewed in three minutes"
    );
    signed_in_as(&browser, "oidc:alice").await?;
    let row = format!("[data-testid=\"request-row\"][data-name=\"{first}\"] a");
    click_css(&browser, &row)
        .await
        .context("the request is not on the live list")?;
    let outcome = approver::approve(&browser).await?;
    ensure!(
        requester::marker_survived(&browser).await?,
        "opening the request reloaded the page"
    );
    ensure!(
        outcome.contains("Approved by oidc:alice"),
        "after three minutes the outcome reads {outcome:?}"
    );
    let csr = stack.cluster.csr(&first)?;
    ensure!(
        csr["metadata"]["annotations"]["certdesk.dev/approved-by"] == "oidc:alice",
        "the CSR's record: {}",
        csr["metadata"]["annotations"]
    );

    // The identity rule holds for them: kubeadm:cluster-admins is not theirs to give.
    let admins = e2e::unique("oidc-admins");
    stack.cluster.create_client_csr(
        &admins,
        &format!("/CN={}/O=kubeadm:cluster-admins", e2e::unique("gasida")),
    )?;
    approver::open_request(&browser, base, &admins).await?;
    let said = e2e::find::text_when(&browser, "identity-check", e2e::find::PATIENCE, |t| {
        !t.starts_with("Checking")
    })
    .await?;
    ensure!(
        said.contains("You may not issue this identity") && said.contains("kubeadm:cluster-admins"),
        "for oidc:alice the page says {said:?}"
    );

    // A reload forgets the refresh token (memory only): before the token expires the page
    // goes through one re-sign-in (the issuer's session answers at once) back here.
    browser
        .client
        .goto(&format!("{base}/admin/requests"))
        .await?;
    signed_in_as(&browser, "oidc:alice").await?;
    requester::mark_page(&browser).await?;
    let reloaded = session_token(&browser).await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let now = session_token(&browser).await.ok().flatten();
        if !requester::marker_survived(&browser).await.unwrap_or(false)
            && now.is_some()
            && now != reloaded
            && path(&browser).await? == "/admin/requests"
        {
            break;
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "no re-sign-in back to /admin/requests within 90 s (at {})",
            path(&browser).await?
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    signed_in_as(&browser, "oidc:alice").await?;

    // Sign-out: the tab's token goes, the issuer's session ends, Back shows no list.
    click(&browser, "sign-out").await?;
    e2e::find::text_when(&browser, "sign-in-oidc", e2e::find::PATIENCE, |t| {
        !t.is_empty()
    })
    .await?;
    ensure!(
        path(&browser).await? == "/admin",
        "after sign-out the page is {}",
        path(&browser).await?
    );
    ensure!(
        session_token(&browser).await?.is_none(),
        "the token stayed in the tab after sign-out"
    );
    browser.client.back().await?;
    e2e::find::by_testid(&browser, "sign-in-first")
        .await
        .context("Back after sign-out shows no sign-in prompt")?;
    let rows = e2e::find::texts_now(&browser, "request-row").await?;
    ensure!(
        rows.is_empty(),
        "Back after sign-out shows the list: {rows:?}"
    );
    ensure!(
        e2e::find::texts_now(&browser, "cluster-sees")
            .await?
            .is_empty(),
        "Back after sign-out shows a signed-in approver"
    );
    click(&browser, "sign-in-oidc").await?;
    e2e::find::by_css(&browser, "#username")
        .await
        .context("the issuer still had a session: it signed in without asking")?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs the control plane with its OIDC issuer, the release bundle and chromium; run by scripts/test.sh"]
async fn tokens_the_cluster_refuses_are_named_by_cause_and_oidc_is_off_unless_configured()
-> Result<()> {
    let cluster = ControlPlane::shared()?;
    let issuer = LocalIssuer::of(cluster.dir())?;
    // A second issuer the API server does not trust (same serving key, another port).
    let stranger = e2e::oidc::StrangerIssuer::start(&issuer, env!("CARGO_BIN_EXE_mock-oidc"))?;
    let stack = start("oidc_refusals", &issuer.url)?;
    stack.run(refusals(&stack, &issuer, &stranger)).await
}

async fn whoami(base: &str, token: &str) -> Result<(u16, serde_json::Value)> {
    let response = reqwest::Client::new()
        .get(format!("{base}/api/v1/admin/whoami"))
        .bearer_auth(token)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

async fn refusals(
    stack: &Stack,
    issuer: &LocalIssuer,
    stranger: &e2e::oidc::StrangerIssuer,
) -> Result<()> {
    let base = &stack.portal.url;
    let groups = ["certdesk-approvers"];
    let cases = [
        (
            issuer
                .mint("alice", &groups, Some("someone-else"), 300)
                .await?,
            "audience",
            "someone-else",
        ),
        (
            issuer.mint("alice", &groups, None, -120).await?,
            "expired",
            "expired",
        ),
        (
            stranger.issuer.mint("alice", &groups, None, 300).await?,
            "other_issuer",
            stranger.issuer.url.as_str(),
        ),
    ];
    for (token, cause, named) in &cases {
        let (status, body) = whoami(base, token).await?;
        ensure!(
            status == 401 && body["code"] == "token_invalid",
            "{cause}: {status} {body}"
        );
        ensure!(
            body["details"]["refusal"]["cause"] == *cause,
            "{cause}: {body}"
        );
        let message = body["message"].as_str().unwrap_or_default();
        ensure!(
            message.contains(named),
            "{cause}: the message {message:?} does not name {named:?}"
        );
    }
    // Every approver route names the cause, not only the sign-in check.
    let response = reqwest::Client::new()
        .get(format!("{base}/api/v1/admin/requests"))
        .bearer_auth(&cases[1].0)
        .send()
        .await?;
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await?;
    ensure!(
        status == 401 && body["details"]["refusal"]["cause"] == "expired",
        "the list with an expired token: {status} {body}"
    );
    // The audience case shows the API server's configuration to fix.
    let (_, body) = whoami(base, &cases[0].0).await?;
    let snippet = body["details"]["authentication_config"]
        .as_str()
        .unwrap_or_default();
    ensure!(
        snippet.contains("kind: AuthenticationConfiguration") && snippet.contains(&issuer.url),
        "{snippet}"
    );

    // A CertDesk configured for the issuer the API server does not trust says so, with
    // the AuthenticationConfiguration, in the browser too.
    let untrusted = start("oidc_untrusted", &stranger.issuer.url)?;
    let token = stranger.issuer.mint("alice", &groups, None, 300).await?;
    let (_, body) = whoami(&untrusted.portal.url, &token).await?;
    ensure!(
        body["details"]["refusal"]["cause"] == "issuer_not_trusted",
        "{body}"
    );
    let browser = untrusted.browser("approver").await?;
    browser
        .client
        .goto(&format!("{}/admin", untrusted.portal.url))
        .await?;
    type_into(
        &e2e::find::by_testid(&browser, "token-input").await?,
        &token,
    )
    .await?;
    click(&browser, "sign-in").await?;
    let shown = e2e::find::text_when(
        &browser,
        "authentication-config",
        e2e::find::PATIENCE,
        |t| !t.is_empty(),
    )
    .await?;
    ensure!(
        shown.contains("AuthenticationConfiguration") && shown.contains(&stranger.issuer.url),
        "the page shows {shown:?}"
    );
    let refused = e2e::find::by_testid(&browser, "token-refused")
        .await?
        .text()
        .await?;
    ensure!(
        refused.contains("does not trust this issuer"),
        "the page says {refused:?}"
    );

    // `certdesk check --oidc`: the issuer's discovery and the API server's view of a token.
    let check = |token_file: &std::path::Path, issuer_url: &str| {
        std::process::Command::new(e2e::portal::backend_binary())
            .args([
                "check",
                "--oidc",
                "--oidc-issuer-url",
                issuer_url,
                "--oidc-client-id",
                "certdesk",
            ])
            .arg("--oidc-ca-file")
            .arg(issuer.ca_path())
            .arg("--oidc-token-file")
            .arg(token_file)
            .arg("--admin-kubeconfig")
            .arg(stack.cluster.admin_kubeconfig())
            .output()
    };
    let dir = tempfile::tempdir()?;
    let good = dir.path().join("good");
    std::fs::write(&good, issuer.mint("alice", &groups, None, 300).await?)?;
    let run = check(&good, &issuer.url)?;
    let out = String::from_utf8_lossy(&run.stdout);
    ensure!(
        out.contains("OK   oidc-issuer")
            && out.contains(
                "OK   oidc-api-server: the cluster sees the token's holder as oidc:alice"
            ),
        "check --oidc said:\n{out}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let bad = dir.path().join("bad");
    std::fs::write(&bad, &token)?;
    let run = check(&bad, &stranger.issuer.url)?;
    let out = String::from_utf8_lossy(&run.stdout);
    ensure!(
        !run.status.success()
            && out.contains("FAIL oidc-api-server")
            && out.contains("kind: AuthenticationConfiguration"),
        "check --oidc with an untrusted issuer said:\n{out}"
    );

    // Off unless configured: no issuer in the configuration, no button, no CSP origin.
    let off = Stack::start("oidc_off")?;
    let config: serde_json::Value = reqwest::get(format!("{}/api/v1/config", off.portal.url))
        .await?
        .json()
        .await?;
    ensure!(
        config.get("oidc").is_none(),
        "without --oidc-issuer-url the config says {config}"
    );
    let page = reqwest::get(format!("{}/admin", off.portal.url)).await?;
    let csp = page
        .headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    ensure!(csp.contains("connect-src 'self';"), "{csp}");
    let browser = off.browser("approver-off").await?;
    browser
        .client
        .goto(&format!("{}/admin", off.portal.url))
        .await?;
    e2e::find::by_testid(&browser, "token-input").await?;
    ensure!(
        e2e::find::texts_now(&browser, "sign-in-oidc")
            .await?
            .is_empty(),
        "a sign-in button without OIDC configured"
    );
    let on: serde_json::Value = reqwest::get(format!("{base}/api/v1/config"))
        .await?
        .json()
        .await?;
    ensure!(
        on["oidc"]["issuer_url"] == json!(issuer.url),
        "with OIDC the config says {on}"
    );
    let page = reqwest::get(format!("{base}/admin")).await?;
    let csp = page
        .headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    ensure!(
        csp.contains(&format!("connect-src 'self' {};", issuer.url)),
        "{csp}"
    );
    Ok(())
}
