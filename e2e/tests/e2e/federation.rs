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
    let (pa, pb, pc) = (
        e2e::tools::free_port()?,
        e2e::tools::free_port()?,
        e2e::tools::free_port()?,
    );
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

#[test]
#[ignore = "needs kubectl; run by scripts/test.sh"]
fn the_merged_kubeconfig_joins_an_existing_one_without_a_collision() -> Result<()> {
    use shared::kubeconfig::{Credentials, Kubeconfig};
    let part = |cluster: &str| {
        Kubeconfig::for_user(Credentials {
            cluster_name: cluster,
            server_url: &format!("https://{cluster}.example:6443"),
            ca_pem: "",
            certificate_pem: "-----BEGIN CERTIFICATE-----\nQg==\n-----END CERTIFICATE-----\n",
            private_key_pem: "-----BEGIN PRIVATE KEY-----\nQw==\n-----END PRIVATE KEY-----\n",
            username: "minjun",
            namespace: "default",
        })
    };
    let dir = tempfile::tempdir()?;
    // Someone's kubeconfig from the manual walkthrough: a user and a context called
    // minjun, on a cluster also called "a".
    let existing = dir.path().join("config");
    std::fs::write(
        &existing,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster: {server: \"https://old-a.example:6443\"}\n\
         users:\n- name: minjun\n  user: {token: old}\ncontexts:\n- name: minjun\n  context: {cluster: a, user: minjun}\n\
         current-context: minjun\n",
    )?;
    let merged = dir.path().join("certdesk");
    std::fs::write(
        &merged,
        Kubeconfig::merged(&[part("a"), part("b")])
            .to_yaml()?
            .as_bytes(),
    )?;
    let paths = format!("{}:{}", existing.display(), merged.display());
    let run = std::process::Command::new("kubectl")
        .env("KUBECONFIG", &paths)
        .args(["config", "view", "--flatten", "-o", "json"])
        .output()?;
    ensure!(
        run.status.success(),
        "kubectl config view: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let view: serde_json::Value = serde_json::from_slice(&run.stdout)?;
    let names = |kind: &str| -> Vec<String> {
        view[kind]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["name"].as_str().map(str::to_owned))
            .collect()
    };
    for kind in ["users", "contexts", "clusters"] {
        let found = names(kind);
        for name in ["minjun@a", "minjun@b"] {
            ensure!(found.contains(&name.to_owned()), "{kind}: {found:?}");
        }
    }
    ensure!(
        names("users").contains(&"minjun".to_owned()),
        "the existing minjun was lost: {:?}",
        names("users")
    );
    ensure!(
        names("contexts").contains(&"minjun".to_owned()),
        "the existing context was lost"
    );
    ensure!(
        names("clusters").contains(&"a".to_owned()),
        "the existing cluster a was lost"
    );
    // The new context reaches its own cluster, not the existing "a".
    for (name, server) in [
        ("minjun@a", "https://a.example:6443"),
        ("minjun@b", "https://b.example:6443"),
    ] {
        let context = view["contexts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == name);
        ensure!(
            context
                .is_some_and(|c| c["context"]["cluster"] == name && c["context"]["user"] == name),
            "{view}"
        );
        let found = view["clusters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == name)
            .map(|c| c["cluster"]["server"].clone());
        ensure!(found == Some(json!(server)), "{name}'s server: {found:?}");
    }
    Ok(())
}
