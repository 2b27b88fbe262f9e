//! Scenario 4: approvers the cluster does not allow to approve. A token bound to
//! nothing is refused the list of requests; a token that may only read requests sees
//! the request, and pressing Approve shows the API server's own Forbidden message. The
//! request stays Pending throughout.

use anyhow::{Result, ensure};
use e2e::action::approver;
use e2e::action::requester::{self, Algorithm, Form};
use e2e::stack::Stack;

use crate::flow;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn an_approver_without_rights_sees_forbidden_and_the_request_stays_pending() -> Result<()> {
    let stack = Stack::start("approver_without_rights")?;
    stack.run(without_rights(&stack)).await
}

async fn without_rights(stack: &Stack) -> Result<()> {
    let username = e2e::unique("norights");
    let form = Form {
        username: &username,
        groups: &[],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 1,
    };
    let requester_browser = stack.browser("requester").await?;
    let id = requester::request_access(&requester_browser, &stack.portal.url, &form).await?;
    requester::wait_for_phase(&requester_browser, "Pending", flow::SIGNING).await?;

    // A token the cluster does not accept: the field is marked and focused, and the
    // cause its form shows is named.
    let browser = stack.browser("approver-wrong-token").await?;
    browser
        .client
        .goto(&format!("{}/admin", stack.portal.url))
        .await?;
    let input = e2e::find::by_testid(&browser, "token-input").await?;
    e2e::action::type_into(&input, "not-a-token-the-cluster-knows").await?;
    e2e::action::click(&browser, "sign-in").await?;
    let causes =
        e2e::find::text_when(&browser, "token-refused", flow::SIGNING, |t| !t.is_empty()).await?;
    ensure!(
        causes.contains("not a JSON Web Token") && causes.contains("line break"),
        "the cause reads {causes:?}"
    );
    let focused = browser
        .client
        .execute(
            "const e = document.activeElement; return [e.dataset.testid || e.tagName, e.getAttribute('aria-invalid')];",
            vec![],
        )
        .await?;
    ensure!(
        focused == serde_json::json!(["token-input", "true"]),
        "after a refused token the focus is on {focused}"
    );

    // Bound to nothing: signed in (the token is valid), but may not see the requests.
    let nobody = e2e::unique("nobody");
    let token = stack.cluster.token_without_rights(&nobody)?;
    let browser = stack.browser("approver-bound-to-nothing").await?;
    let who = approver::sign_in(&browser, &stack.portal.url, &token).await?;
    ensure!(
        who.contains(&format!("system:serviceaccount:default:{nobody}")),
        "signed in as {who:?}"
    );
    let refused = approver::list_refused(&browser, &stack.portal.url).await?;
    ensure!(
        refused.contains("may not list certificate signing requests")
            && refused.contains("forbidden"),
        "the approver bound to nothing sees {refused:?}"
    );

    // May read requests, not approve them: the API server's own message comes through.
    let reader = e2e::unique("reader");
    let token = stack.cluster.token_of_csr_reader(&reader)?;
    let browser = stack.browser("approver-reader").await?;
    approver::sign_in(&browser, &stack.portal.url, &token).await?;
    approver::open_request(&browser, &stack.portal.url, &id).await?;
    let refused = approver::approve_refused(&browser).await?;
    ensure!(
        refused.contains(&format!(
            "User \"system:serviceaccount:default:{reader}\" cannot update resource \
             \"certificatesigningrequests/approval\""
        )) && refused.contains("forbidden"),
        "the reader sees {refused:?}, not the API server's Forbidden message"
    );

    let (conditions, certificate) = stack.cluster.csr_conditions(&id)?;
    ensure!(
        conditions.is_empty() && !certificate,
        "the CSR is no longer pending: conditions {conditions:?}, certificate {certificate}"
    );
    requester::wait_for_phase(&requester_browser, "Pending", flow::SIGNING).await?;
    Ok(())
}
