//! A status page opened where the request's key is not (another browser, another
//! device) says where the key is and offers nothing it cannot do: no kubeconfig
//! download, no commands for a file it cannot make; axe finds nothing serious.

use anyhow::{Result, ensure};
use e2e::action::requester::{self, Algorithm, Form};
use e2e::find;
use e2e::stack::Stack;
use serde_json::json;

use crate::flow;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn another_browser_is_told_where_the_key_is() -> Result<()> {
    let stack = Stack::start("elsewhere")?;
    stack.run(elsewhere(&stack)).await
}

async fn elsewhere(stack: &Stack) -> Result<()> {
    let base = &stack.portal.url;
    let username = e2e::unique("traveller");
    let maker = stack.browser("maker").await?;
    let form = Form {
        username: &username,
        groups: &[],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 1,
    };
    let id = requester::request_access(&maker, base, &form).await?;
    requester::wait_for_phase(&maker, "Pending", flow::SIGNING).await?;
    let (status, answer) = e2e::tools::post_json(
        &stack.url(&format!("/api/v1/admin/requests/{id}/approve")),
        Some(&stack.cluster.approver_token()?),
        &json!({}),
    )?;
    ensure!(status == 200, "approval: {answer}");
    requester::wait_for_phase(&maker, "Issued", flow::SIGNING).await?;

    let other = stack.browser("other").await?;
    other
        .client
        .goto(&stack.url(&format!("/requests/{id}")))
        .await?;
    requester::wait_for_phase(&other, "Issued", flow::SIGNING).await?;
    let said = find::by_testid(&other, "key-missing").await?.text().await?;
    ensure!(
        said.contains("in the browser that made it") && said.contains("open this page there"),
        "the page says {said:?}"
    );
    for absent in [
        "kubeconfig-download",
        "kubectl-whoami",
        "keep-renewed",
        "kubectl-merge",
    ] {
        let found = other
            .client
            .find_all(fantoccini::Locator::Css(&find::testid(absent)))
            .await?;
        ensure!(found.is_empty(), "the other browser offers {absent}");
    }
    e2e::axe::check_both_schemes(&other, "a status page without its key").await?;
    // The browser that made it still offers all of it.
    find::by_testid(&maker, "kubeconfig-download").await?;
    Ok(())
}
