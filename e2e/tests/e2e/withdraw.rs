//! A requester withdraws a pending request with the key their browser holds: a
//! stranger's proof is refused first, then the real withdrawal takes it out of the
//! approvers' list, an approval through CertDesk is refused with a code, and the CSR
//! itself is untouched (the backend has no power over it): the withdrawal lives in
//! CertDesk's own `Withdrawal` resource.

use anyhow::{Result, ensure};
use e2e::action::approver;
use e2e::action::requester::{self, Algorithm, Form};
use e2e::find;
use e2e::stack::Stack;
use serde_json::json;

use crate::flow;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn only_the_key_holder_withdraws_and_then_nobody_approves() -> Result<()> {
    let stack = Stack::start("withdraw")?;
    stack.run(withdraw(&stack)).await
}

async fn withdraw(stack: &Stack) -> Result<()> {
    let base = &stack.portal.url;
    let username = e2e::unique("withdraw");
    let form = Form {
        username: &username,
        groups: &["dev-team"],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 1,
    };
    let browser = stack.browser("requester").await?;
    let id = requester::request_access(&browser, base, &form).await?;
    requester::wait_for_phase(&browser, "Pending", flow::SIGNING).await?;
    let sent = find::text_when(&browser, "sent-at", flow::SIGNING, |t| !t.is_empty()).await?;
    ensure!(
        sent.starts_with("Sent 20"),
        "the pending page says {sent:?}"
    );

    let approver_browser = stack.browser("approver").await?;
    let token = stack.cluster.approver_token()?;
    approver::sign_in(&approver_browser, base, &token).await?;
    approver::find_in_list(&approver_browser, base, &id).await?;

    // A stranger (who learnt the id) signs with a key of their own: refused, and a
    // proof that is no signature at all too. The request stays pending.
    let stranger = shared::keys::generate(
        shared::KeyAlgorithm::EcdsaP256,
        &shared::keys::Subject {
            username: username.clone(),
            groups: vec!["dev-team".into()],
        },
    )?;
    let forged = shared::withdrawal::sign(&stranger.private_key, &id)?;
    let url = stack.url(&format!("/api/v1/requests/{id}/withdraw"));
    for proof in [forged.as_str(), "bm90IGEgc2lnbmF0dXJl"] {
        let (status, answer) = e2e::tools::post_json(&url, None, &json!({ "proof": proof }))?;
        ensure!(
            status == 403 && answer["code"] == "withdrawal_proof_invalid",
            "a stranger's withdrawal was answered {status}: {answer}"
        );
    }
    let (status, answer) = e2e::tools::post_json(&url, None, &json!({ "proof": 7 }))?;
    ensure!(
        status == 400 && answer["code"] == "bad_request",
        "a malformed body was answered {status}: {answer}"
    );
    let withdrawals = stack.cluster.admin_kubectl_ok(&[
        "get",
        "withdrawals.certdesk.dev",
        "--ignore-not-found",
        "-o",
        "name",
    ])?;
    ensure!(
        !withdrawals.contains(&id),
        "a refused withdrawal left a record: {withdrawals}"
    );

    // The requester withdraws, after a confirmation.
    e2e::action::click(&browser, "withdraw").await?;
    e2e::action::click(&browser, "withdraw-confirm").await?;
    requester::wait_for_phase(&browser, "Withdrawn", flow::SIGNING).await?;
    let title = browser.client.title().await?;
    ensure!(
        title == format!("Withdrawn — {username} — CertDesk"),
        "the withdrawn page's title is {title:?}"
    );

    // Out of the approvers' list (its own filter still shows it).
    let listed = approver::listed_subjects(&approver_browser, base, &id).await?;
    ensure!(
        listed.is_empty(),
        "the withdrawn request is listed: {listed:?}"
    );
    approver_browser
        .client
        .goto(&format!("{base}/admin/requests?phase=Withdrawn&q={id}"))
        .await?;
    find::text_when(&approver_browser, "updated", flow::SIGNING, |t| {
        t.starts_with("Updated")
    })
    .await?;
    let rows = find::texts_now(&approver_browser, "request-row").await?;
    ensure!(
        rows.len() == 1 && rows[0].contains("Withdrawn"),
        "the Withdrawn filter shows {rows:?}"
    );

    // Approving it through CertDesk is refused with a code, and nothing changed.
    let approve = stack.url(&format!("/api/v1/admin/requests/{id}/approve"));
    let (status, answer) = e2e::tools::post_json(&approve, Some(&token), &json!({}))?;
    ensure!(
        status == 409 && answer["code"] == "request_withdrawn",
        "approving a withdrawn request was answered {status}: {answer}"
    );
    let (conditions, certificate) = stack.cluster.csr_conditions(&id)?;
    ensure!(
        conditions.is_empty() && !certificate,
        "the CSR changed: conditions {conditions:?}, certificate {certificate}"
    );
    let record = stack.cluster.admin_kubectl_ok(&[
        "get",
        "withdrawals.certdesk.dev",
        &id,
        "-o",
        "jsonpath={.spec.username}",
    ])?;
    ensure!(record == username, "the Withdrawal names {record:?}");

    // Withdrawing twice is fine; the page offers to forget the key, not to keep it.
    find::by_testid(&browser, "forget-key").await?;
    ensure!(
        find::texts_now(&browser, "key-download").await?.is_empty(),
        "a withdrawn request still offers to keep a copy of the key"
    );
    Ok(())
}
