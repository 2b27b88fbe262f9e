//! Scenarios 1 and 6: the seed walkthrough, as minjun of dev-team and an approver would
//! do it in two browsers, then real kubectl with the downloaded kubeconfig; and every
//! request the requester's browser sent meanwhile is searched for the private key.

use anyhow::{Result, ensure};
use e2e::action::requester::{self, Algorithm, Form};
use e2e::check;
use e2e::network::NetworkRecorder;
use e2e::stack::Stack;
use time::OffsetDateTime;

use crate::flow;

const TEST: &str = "seed_walkthrough";

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn seed_walkthrough_with_real_kubectl_and_no_key_on_the_wire() -> Result<()> {
    let stack = Stack::start(TEST)?;
    let role = stack
        .cluster
        .create_pod_reader("default", &e2e::unique("pod-reader"))?;
    stack.run(walkthrough(&stack, &role.name)).await
}

async fn walkthrough(stack: &Stack, role: &str) -> Result<()> {
    let (username, groups) = ("minjun", ["dev-team"]);
    // The grant is what gives access: before it, minjun may not list pods.
    ensure!(
        !stack
            .cluster
            .can_i(username, &groups, "list", "pods", "default")?,
        "minjun may already list pods in default (bindings left by an earlier run?)"
    );
    let browser = stack.browser("requester").await?;
    let mut network = NetworkRecorder::new();
    let form = Form {
        username,
        groups: &groups,
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 3,
    };
    let submitted = OffsetDateTime::now_utc();
    let id = requester::request_access(&browser, &stack.portal.url, &form).await?;
    requester::wait_for_phase(&browser, "Pending", flow::SIGNING).await?;
    requester::mark_page(&browser).await?;
    network.collect(&browser).await?;

    let outcome = flow::approve(stack, &id, username, &groups, Some(("default", role))).await?;
    ensure!(
        outcome.contains(role) && outcome.contains("created"),
        "the approval outcome does not show the RoleBinding made: {outcome}"
    );

    // The page follows the request live: Issued appears without a reload.
    let kubeconfig = flow::download_when_issued(&browser).await?;
    let issued = OffsetDateTime::now_utc();
    ensure!(
        requester::marker_survived(&browser).await?,
        "the status page was reloaded or left on its way to Issued"
    );
    network.collect(&browser).await?;
    network.save(&stack.artifacts().join("requester-network.txt"))?;

    check::can_list_pods(&kubeconfig, "default")?;
    check::cannot_list_deployments(&kubeconfig, "default", username)?;
    check::authenticates_as(&kubeconfig, username, &groups)?;
    check::lifetime_is(&kubeconfig, form.lifetime_seconds(), submitted, issued)?;

    // Scenario 6. The recorder saw the submission itself (so it sees bodies at all)...
    let submission = network.sent().iter().find(|s| {
        s.method == "POST"
            && s.url.ends_with("/api/v1/requests")
            && s.body
                .as_deref()
                .is_some_and(|b| b.contains("BEGIN CERTIFICATE REQUEST"))
    });
    ensure!(
        submission.is_some(),
        "the network record has no POST /api/v1/requests with its CSR; see requester-network.txt"
    );
    // ...and no form of the private key is in anything the browser sent.
    check::no_key_material(network.sent(), &kubeconfig.client_key_pem()?)?;
    Ok(())
}
