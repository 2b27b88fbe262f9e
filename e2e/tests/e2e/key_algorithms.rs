//! Scenario 7: RSA-2048 (made in a Web Worker) and Ed25519 keys go the whole way: the
//! request is approved, the kubeconfig downloads, and kubectl authenticates with it.

use anyhow::Result;
use e2e::action::requester::{self, Algorithm, Form};
use e2e::check;
use e2e::stack::Stack;

use crate::flow;

async fn end_to_end(stack: &Stack, algorithm: Algorithm, key_kind: &str) -> Result<()> {
    let username = e2e::unique(algorithm.value());
    let groups = ["dev-team"];
    let form = Form {
        username: &username,
        groups: &groups,
        algorithm,
        lifetime_hours: 1,
    };
    let browser = stack.browser("requester").await?;
    let id = requester::request_access(&browser, &stack.portal.url, &form).await?;
    flow::approve(stack, &id, &username, &groups, None).await?;
    let kubeconfig = flow::download_when_issued(&browser).await?;
    flow::check_key_kind(&kubeconfig, key_kind)?;
    check::authenticates_as(&kubeconfig, &username, &groups)?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn an_rsa_2048_key_works_end_to_end() -> Result<()> {
    let stack = Stack::start("rsa2048_end_to_end")?;
    stack
        .run(end_to_end(
            &stack,
            Algorithm::Rsa2048,
            "Private-Key: (2048 bit",
        ))
        .await
}

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn an_ed25519_key_works_end_to_end() -> Result<()> {
    let stack = Stack::start("ed25519_end_to_end")?;
    stack
        .run(end_to_end(
            &stack,
            Algorithm::Ed25519,
            "ED25519 Private-Key",
        ))
        .await
}
