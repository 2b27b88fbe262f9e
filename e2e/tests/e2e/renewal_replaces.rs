//! A renewal replaces the credential: issue, follow the issued page's commands
//! literally in a fresh HOME, renew on the Inspect page, follow the renewed page's
//! commands in the same HOME. Then `kubectl config view --raw` holds exactly one
//! certificate for the user — the new one — `kubectl auth whoami` works, and every file
//! holding a key is 0600. The same commands work in an empty HOME too.

use anyhow::{Context, Result, ensure};
use e2e::action::requester::{self, Algorithm, Form};
use e2e::browser::Browser;
use e2e::find;
use e2e::shell::Home;
use e2e::stack::Stack;
use serde_json::{Value, json};

use crate::flow;

/// The issued page's commands for a kubeconfig used by hand, in order.
const STEPS: [&str; 5] = [
    "kubeconfig-protect",
    "kubectl-whoami",
    "kubectl-backup",
    "kubectl-merge",
    "kubectl-switch",
];

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn the_renewed_pages_commands_replace_the_old_certificate() -> Result<()> {
    let stack = Stack::start_auto_approving("renewal_replaces")?;
    let role = stack
        .cluster
        .create_pod_reader("default", &e2e::unique("replaced-reader"))?;
    stack.run(scenario(&stack, &role.name)).await
}

async fn scenario(stack: &Stack, role: &str) -> Result<()> {
    let base = &stack.portal.url;
    let username = e2e::unique("renewer");
    let browser = stack.browser("requester").await?;
    let form = Form {
        username: &username,
        groups: &[],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 2,
    };
    let id = requester::request_access(&browser, base, &form).await?;
    requester::wait_for_phase(&browser, "Pending", flow::SIGNING).await?;
    let (status, answer) = e2e::tools::post_json(
        &stack.url(&format!("/api/v1/admin/requests/{id}/approve")),
        Some(&stack.cluster.approver_token()?),
        &json!({ "grants": [{ "kind": "Role", "name": role, "namespace": "default" }] }),
    )?;
    ensure!(status == 200, "approval: {answer}");
    requester::wait_for_phase(&browser, "Issued", flow::SIGNING).await?;
    let first = requester::download_kubeconfig(&browser).await?;

    let home = Home::with_downloads(browser.downloads())?;
    follow(&browser, &home).await?;
    let old_serial = serial_in_config(&home, &username)?;

    let renewed = requester::renew_from_file(&browser, base, &first).await?;
    ensure!(renewed != id, "the renewal is a request of its own");
    requester::wait_for_phase(&browser, "Issued", flow::SIGNING).await?;
    let second = requester::download_kubeconfig(&browser).await?;
    ensure!(
        second.file_name() != first.file_name(),
        "the renewed file is saved under the old name: {}",
        second.display()
    );
    let second_name = second
        .file_name()
        .and_then(|n| n.to_str())
        .context("a file name")?;
    // Read as the page shows it, looking again if the line is drawn anew meanwhile.
    find::text_when(&browser, "saved-path", find::PATIENCE, |saved| {
        saved.ends_with(second_name)
    })
    .await
    .with_context(|| format!("the page does not name the file the browser saved, {second_name}"))?;
    follow(&browser, &home).await?;
    let new_serial = serial_in_config(&home, &username)?;
    ensure!(
        new_serial != old_serial,
        "~/.kube/config kept the old certificate"
    );
    ensure!(
        new_serial == serial_of_file(&second)?,
        "~/.kube/config holds {new_serial}, not the renewed certificate"
    );
    let who = home.run_ok("kubectl auth whoami -o jsonpath='{.status.userInfo.username}'")?;
    ensure!(who.trim() == username, "whoami answered {who:?}");
    keys_are_private(&home)?;

    // The same commands on a laptop with no ~/.kube at all.
    let empty = Home::with_downloads(browser.downloads())?;
    follow(&browser, &empty).await?;
    ensure!(serial_in_config(&empty, &username)? == new_serial);
    let who = empty.run_ok("kubectl auth whoami -o jsonpath='{.status.userInfo.username}'")?;
    ensure!(
        who.trim() == username,
        "whoami answered {who:?} in an empty HOME"
    );
    keys_are_private(&empty)
}

/// Runs the issued page's commands, in order, as shown.
async fn follow(browser: &Browser, home: &Home) -> Result<()> {
    for step in STEPS {
        let command = find::by_testid(browser, step)
            .await
            .with_context(|| format!("the page offers no {step} command"))?
            .text()
            .await?;
        home.run_ok(&command)
            .with_context(|| format!("step {step}"))?;
    }
    Ok(())
}

/// The serial of the one certificate `~/.kube/config` holds for `username` (fails when
/// it holds none or more than one).
fn serial_in_config(home: &Home, username: &str) -> Result<String> {
    let json = home.run_ok("kubectl config view --raw -o json")?;
    let config: Value = serde_json::from_str(&json)?;
    let certificates: Vec<String> = config["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["user"]["client-certificate-data"].as_str())
        .filter_map(|data| serial_of_data(data).ok())
        .filter(|(cn, _)| cn == username)
        .map(|(_, serial)| serial)
        .collect();
    ensure!(
        certificates.len() == 1,
        "~/.kube/config holds {} certificates for {username}: {certificates:?}",
        certificates.len()
    );
    Ok(certificates[0].clone())
}

/// The common name and serial of a base64 PEM certificate.
fn serial_of_data(data: &str) -> Result<(String, String)> {
    use base64::Engine as _;
    let pem = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(data)?)?;
    let info = shared::inspect::inspect_certificate(&pem).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((info.common_name.unwrap_or_default(), info.serial))
}

/// The serial of the certificate in a downloaded kubeconfig.
fn serial_of_file(path: &std::path::Path) -> Result<String> {
    let config: Value = serde_saphyr::from_str(&std::fs::read_to_string(path)?)?;
    let data = config["users"][0]["user"]["client-certificate-data"]
        .as_str()
        .context("no client certificate in the file")?;
    Ok(serial_of_data(data)?.1)
}

/// Every file under HOME that holds a private key is readable by its owner only.
fn keys_are_private(home: &Home) -> Result<()> {
    let listing = home.run_ok(
        "for f in ~/.kube/config* ~/Downloads/*.kubeconfig; do [ -e \"$f\" ] || continue; \
         grep -q client-key-data \"$f\" && echo \"$(stat -L -c %a \"$f\") $f\"; done; true",
    )?;
    let open: Vec<&str> = listing.lines().filter(|l| !l.starts_with("600 ")).collect();
    ensure!(
        !listing.trim().is_empty() && open.is_empty(),
        "files with a key not at 0600: {open:?} (all: {listing})"
    );
    Ok(())
}
