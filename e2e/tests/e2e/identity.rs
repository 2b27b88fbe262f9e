//! Scenario: an approver who may approve but not hand out `kubeadm:cluster-admins`.
//! A CSR asking for it is made with kubectl (CertDesk's form never offers it); the
//! approval page says before the click that this approver may not issue the identity
//! and names the missing permission; pressing Approve anyway is refused with
//! `identity_not_allowed`, and the CSR stays Pending.

use anyhow::{Result, ensure};
use e2e::action::approver;
use e2e::stack::Stack;
use serde_json::json;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn the_approval_page_says_before_the_click_that_an_admin_group_is_not_the_approvers_to_give()
-> Result<()> {
    let stack = Stack::start("identity_check")?;
    stack.run(identity(&stack)).await
}

async fn identity(stack: &Stack) -> Result<()> {
    let name = e2e::unique("certdesk-kubectl-admins");
    let csr = e2e::tools::openssl_csr(&format!(
        "/CN={}/O=kubeadm:cluster-admins",
        e2e::unique("gasida")
    ))?;
    let object = json!({
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": { "name": name },
        "spec": {
            "request": base64_of(&csr),
            "signerName": "kubernetes.io/kube-apiserver-client",
            "expirationSeconds": 3600,
            "usages": ["client auth"],
        },
    });
    let run = stack
        .cluster
        .admin_kubectl_stdin(&["create", "-f", "-"], &object.to_string())?;
    ensure!(run.success, "kubectl create failed: {}", run.stderr);

    let browser = stack.browser("approver").await?;
    approver::sign_in(
        &browser,
        &stack.portal.url,
        &stack.cluster.approver_token()?,
    )
    .await?;
    approver::open_request(&browser, &stack.portal.url, &name).await?;
    let said = e2e::find::text_when(&browser, "identity-check", e2e::find::PATIENCE, |t| {
        !t.starts_with("Checking")
    })
    .await?;
    ensure!(
        said.contains("You may not issue this identity")
            && said.contains("impersonate on groups/kubeadm:cluster-admins is missing"),
        "before the click the page says {said:?}"
    );
    // Approve is off, with the reason: the click could only be refused.
    let reason = approver::approve_disabled(&browser).await?;
    ensure!(
        reason.contains("does not let you issue this identity"),
        "beside Approve: {reason:?}"
    );
    let (conditions, certificate) = stack.cluster.csr_conditions(&name)?;
    ensure!(
        conditions.is_empty() && !certificate,
        "the CSR is no longer pending: conditions {conditions:?}, certificate {certificate}"
    );
    Ok(())
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
