//! Clusters that do not sign, or sign for less: on a control plane whose
//! kube-controller-manager runs no signer, an approved request's page says, within the
//! signing deadline, that this cluster issues no client certificates (and the approver's
//! page says it too); on one that caps lifetimes at an hour, the issued page says the
//! cluster cut the lifetime asked for.

use std::time::Duration;

use anyhow::{Result, ensure};
use e2e::action::approver;
use e2e::action::requester::{self, Algorithm, Form};
use e2e::cluster::ControlPlane;
use e2e::stack::Stack;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn a_cluster_that_does_not_sign_is_named_within_the_deadline() -> Result<()> {
    let cluster = ControlPlane::start_signing("off")?;
    let stack = Stack::start_on("no_signer", cluster, &["--signing-deadline-seconds", "5"])?;
    stack.run(no_signer(&stack)).await
}

async fn no_signer(stack: &Stack) -> Result<()> {
    let username = e2e::unique("unsigned");
    let form = Form {
        username: &username,
        groups: &[],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 2,
    };
    let browser = stack.browser("requester").await?;
    let id = requester::request_access(&browser, &stack.portal.url, &form).await?;
    stack
        .cluster
        .admin_kubectl_ok(&["certificate", "approve", &id])?;
    // The deadline is 5 s, the live stream looks again every 5 s: well within 30 s.
    let why = e2e::find::text_when(&browser, "not-issued", Duration::from_secs(30), |t| {
        !t.is_empty()
    })
    .await?;
    ensure!(
        why.contains("does not seem to issue kubernetes.io/kube-apiserver-client certificates"),
        "{why}"
    );

    let admin = stack.browser("approver").await?;
    approver::sign_in(&admin, &stack.portal.url, &stack.cluster.approver_token()?).await?;
    approver::open_request(&admin, &stack.portal.url, &id).await?;
    let shown = e2e::find::by_testid(&admin, "not-issued")
        .await?
        .text()
        .await?;
    ensure!(shown.contains("no certificate was issued"), "{shown}");
    Ok(())
}

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn a_lifetime_the_cluster_cut_is_said_on_the_issued_page() -> Result<()> {
    let cluster = ControlPlane::start_signing("1h")?;
    let stack = Stack::start_on("capped_lifetime", cluster, &[])?;
    stack.run(capped(&stack)).await
}

async fn capped(stack: &Stack) -> Result<()> {
    let username = e2e::unique("capped");
    let form = Form {
        username: &username,
        groups: &[],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 24,
    };
    let browser = stack.browser("requester").await?;
    let id = requester::request_access(&browser, &stack.portal.url, &form).await?;
    stack
        .cluster
        .admin_kubectl_ok(&["certificate", "approve", &id])?;
    requester::wait_for_phase(&browser, "Issued", Duration::from_secs(30)).await?;
    let said = e2e::find::by_testid(&browser, "lifetime-cut")
        .await?
        .text()
        .await?;
    ensure!(
        said.contains("You asked for 1 day; the cluster issued 1 hour"),
        "{said}"
    );
    Ok(())
}

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn a_cluster_that_signs_as_asked_is_not_said_to_cut_the_lifetime() -> Result<()> {
    let stack = Stack::start("uncut_lifetime")?;
    stack.run(uncut(&stack)).await
}

/// A week (the most CertDesk gives a downloaded certificate, and long enough for the
/// signer to back-date notAfter too) on a signer with no cap: no "cut" message.
async fn uncut(stack: &Stack) -> Result<()> {
    let username = e2e::unique("uncut");
    let form = Form {
        username: &username,
        groups: &[],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 24 * 7,
    };
    let browser = stack.browser("requester").await?;
    let id = requester::request_access(&browser, &stack.portal.url, &form).await?;
    // A while in the queue, as requests wait for a person.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stack
        .cluster
        .admin_kubectl_ok(&["certificate", "approve", &id])?;
    requester::wait_for_phase(&browser, "Issued", Duration::from_secs(30)).await?;
    e2e::find::by_testid(&browser, "expires").await?;
    let cut = browser
        .client
        .find_all(fantoccini::Locator::Css(&e2e::find::testid("lifetime-cut")))
        .await?;
    ensure!(
        cut.is_empty(),
        "a cut is reported on a cluster that cut nothing"
    );
    Ok(())
}
