//! Scenario 5: `O=system:masters` cannot be asked for: the form offers exactly the
//! operator's groups (the local policy's `dev-team` and `qa`), and the backend refuses a
//! CSR asking for it when posted directly, so it never reaches the cluster or the
//! approval page.

use anyhow::{Result, ensure};
use e2e::action::approver;
use e2e::action::requester::{self, Algorithm, Form};
use e2e::network::NetworkRecorder;
use e2e::stack::Stack;
use serde_json::json;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn system_masters_is_refused_by_the_form_and_by_the_backend() -> Result<()> {
    let stack = Stack::start("dangerous_request")?;
    stack.run(dangerous(&stack)).await
}

async fn dangerous(stack: &Stack) -> Result<()> {
    let username = e2e::unique("masters");
    let form = Form {
        username: &username,
        groups: &["dev-team"],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 1,
    };

    // The form offers the policy's groups and nothing else, and sends nothing yet.
    let browser = stack.browser("requester").await?;
    let mut network = NetworkRecorder::new();
    requester::fill_form(&browser, &stack.portal.url, &form).await?;
    let offered = e2e::find::values_now(&browser, "group-option").await?;
    ensure!(
        offered == ["dev-team", "qa"],
        "the form offers the groups {offered:?}, not exactly the policy's"
    );
    network.collect(&browser).await?;
    let posted: Vec<_> = network
        .sent()
        .iter()
        .filter(|s| s.method == "POST")
        .map(|s| s.url.clone())
        .collect();
    ensure!(posted.is_empty(), "the form sent {posted:?}");

    // The same subject posted straight to the API: 422 policy_violation.
    let csr = e2e::tools::openssl_csr(&format!("/CN={username}/O=dev-team/O=system:masters"))?;
    let body = json!({ "csr_pem": csr, "expiration_seconds": 3600 });
    let (status, error) = e2e::tools::post_json(&stack.url("/api/v1/requests"), None, &body)?;
    ensure!(status == 422, "the backend answered {status}: {error}");
    ensure!(
        error["code"] == "policy_violation"
            && error["message"]
                .as_str()
                .is_some_and(|m| m.contains("system:masters")),
        "the backend's refusal is {error}"
    );

    // Nothing reached the cluster, so the approval page cannot offer it.
    let prefix = format!("certdesk-{username}");
    let created = stack.cluster.csr_names(&prefix)?;
    ensure!(created.is_empty(), "CSRs were created: {created:?}");
    let approver_browser = stack.browser("approver").await?;
    approver::sign_in(
        &approver_browser,
        &stack.portal.url,
        &stack.cluster.approver_token()?,
    )
    .await?;
    let listed = approver::listed_subjects(&approver_browser, &stack.portal.url, &username).await?;
    ensure!(
        !listed.iter().any(|row| row.contains(&username)),
        "the approval page lists {username}: {listed:?}"
    );
    Ok(())
}
