//! Installs that know each other (issue 26's first step): a CertDesk lets exactly its
//! peers' pages read the API routes a peer needs (CORS, no credentials), and a page of
//! any other origin cannot — tested in Chromium, where CORS is enforced, with three
//! backends: A lists B; B and C both list A (so their pages' CSP allows calling A and
//! only A's CORS decides).

use anyhow::{Result, ensure};
use e2e::browser::Browser;
use e2e::portal::{Portal, PortalOptions};
use serde_json::json;

fn portal(name: &str, port: u16, peers: serde_json::Value) -> Result<Portal> {
    Portal::serve(&PortalOptions {
        cluster_name: Some(name.to_owned()),
        listen: Some(format!("127.0.0.1:{port}")),
        extra_args: vec!["--peers".to_owned(), peers.to_string()],
        ..Default::default()
    })
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// What a page at `page` gets when it fetches `url` (with an Authorization header when
/// `token` is given): the status, or the browser's refusal.
async fn fetch_from(
    browser: &Browser,
    page: &str,
    url: &str,
    token: Option<&str>,
) -> Result<String> {
    browser.client.goto(page).await?;
    let answer = browser
        .client
        .execute_async(
            "const [url, token, done] = arguments;
             const headers = token ? { Authorization: 'Bearer ' + token } : {};
             fetch(url, { headers }).then(r => r.text().then(() => done('status ' + r.status)))
               .catch(e => done('refused: ' + e.name));",
            vec![json!(url), json!(token)],
        )
        .await?;
    Ok(answer.as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
#[ignore = "needs the release bundle and chromium; run by scripts/test.sh"]
async fn only_a_peers_page_may_read_this_installs_api() -> Result<()> {
    // The three addresses first: each install's peers name the others'.
    let (pa, pb, pc) = (free_port()?, free_port()?, free_port()?);
    let url = |port: u16| format!("http://127.0.0.1:{port}");
    let a = portal("a", pa, json!([{ "name": "b", "url": url(pb) }]))?;
    let b = portal("b", pb, json!([{ "name": "a", "url": url(pa) }]))?;
    let c = portal("c", pc, json!([{ "name": "a", "url": url(pa) }]))?;

    let browser = Browser::start().await?;
    let config = format!("{}/api/v1/config", a.url);
    let whoami = format!("{}/api/v1/admin/whoami", a.url);
    let from_b = fetch_from(&browser, &b.url, &config, None).await?;
    ensure!(
        from_b == "status 200",
        "B's page reading A's config: {from_b}"
    );
    // A preflighted call with the approver's header: answered (A has no cluster: 503).
    let from_b = fetch_from(&browser, &b.url, &whoami, Some("a-token")).await?;
    ensure!(
        from_b.starts_with("status "),
        "B's page calling A's approver route: {from_b}"
    );
    let from_c = fetch_from(&browser, &c.url, &config, None).await?;
    ensure!(
        from_c.starts_with("refused"),
        "C's page read A's config: {from_c}"
    );
    let from_c = fetch_from(&browser, &c.url, &whoami, Some("a-token")).await?;
    ensure!(
        from_c.starts_with("refused"),
        "C's page called A's approver route: {from_c}"
    );
    Ok(())
}
