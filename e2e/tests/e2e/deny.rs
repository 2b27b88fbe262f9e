//! Scenario 3: the approver denies with a reason, and the requester's page shows it,
//! as text; the tab's title follows the request (Pending, then Denied).

use anyhow::{Result, ensure};
use e2e::action::approver;
use e2e::action::requester::{self, Algorithm, Form};
use e2e::stack::Stack;

use crate::flow;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn a_denied_requester_sees_the_approvers_reason() -> Result<()> {
    let stack = Stack::start("deny")?;
    stack.run(deny(&stack)).await
}

async fn deny(stack: &Stack) -> Result<()> {
    let username = e2e::unique("deny");
    let form = Form {
        username: &username,
        groups: &[],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 1,
    };
    let browser = stack.browser("requester").await?;
    let id = requester::request_access(&browser, &stack.portal.url, &form).await?;
    requester::wait_for_phase(&browser, "Pending", flow::SIGNING).await?;
    // The tab says what the page is and where the request stands (WCAG 2.4.2).
    let title = browser.client.title().await?;
    ensure!(
        title == format!("Pending — {username} — CertDesk"),
        "the pending page's title is {title:?}"
    );

    // Markup in the reason must arrive as the same text, not as markup.
    let reason = format!("Use the <b>team</b> account instead ({username}).");
    let approver_browser = stack.browser("approver").await?;
    approver::sign_in(
        &approver_browser,
        &stack.portal.url,
        &stack.cluster.approver_token()?,
    )
    .await?;
    approver::open_request(&approver_browser, &stack.portal.url, &id).await?;
    approver::deny(&approver_browser, &reason).await?;

    requester::wait_for_phase(&browser, "Denied", flow::SIGNING).await?;
    let title = browser.client.title().await?;
    ensure!(
        title == format!("Denied — {username} — CertDesk"),
        "the denied page's title is {title:?}"
    );
    let shown =
        e2e::find::text_when(&browser, "deny-reason", flow::SIGNING, |t| !t.is_empty()).await?;
    ensure!(
        shown.contains(&reason),
        "the requester sees {shown:?}, not the reason {reason:?}"
    );
    let (conditions, certificate) = stack.cluster.csr_conditions(&id)?;
    ensure!(
        conditions == ["Denied"] && !certificate,
        "the CSR has conditions {conditions:?} (certificate: {certificate})"
    );
    Ok(())
}
