//! The role picker chooses nothing for the approver: "Add this grant" with no role
//! picked adds nothing, and a grant that reaches far (here `cluster-admin`
//! cluster-wide) is added only after an explicit confirmation, which can be declined.

use anyhow::{Context, Result, ensure};
use e2e::action::{approver, click};
use e2e::find;
use e2e::stack::Stack;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn nothing_is_granted_unchosen_and_cluster_admin_needs_a_confirmation() -> Result<()> {
    let stack = Stack::start("grant_picker")?;
    stack.run(grant_picker(&stack)).await
}

async fn grants(browser: &e2e::browser::Browser) -> Result<Vec<String>> {
    find::texts_now(browser, "grant").await
}

async fn grant_picker(stack: &Stack) -> Result<()> {
    let base = &stack.portal.url;
    let name = e2e::unique("picker");
    stack
        .cluster
        .create_client_csr(&name, &format!("/CN={name}"))?;
    let browser = stack.browser("approver").await?;
    approver::sign_in(&browser, base, &stack.cluster.approver_token()?).await?;
    approver::open_request(&browser, base, &name).await?;

    // Cluster-wide ClusterRoles, loaded: nothing is picked, and adding adds nothing.
    find::by_testid(&browser, "grant-kind")
        .await?
        .select_by_value("clusterrole-cluster")
        .await?;
    click(&browser, "grant-load").await?;
    let role = find::by_testid(&browser, "grant-role").await?;
    let picked = role.prop("value").await?;
    ensure!(
        picked.as_deref().unwrap_or_default().is_empty(),
        "{picked:?} was preselected"
    );
    click(&browser, "grant-add").await?;
    find::text_when(&browser, "grant-hint", find::PATIENCE, |t| {
        t.contains("nothing was added")
    })
    .await?;
    ensure!(
        grants(&browser).await?.is_empty(),
        "a grant was added unchosen"
    );

    // cluster-admin: a red warning and a confirmation; declining adds nothing.
    role.select_by_value("cluster-admin")
        .await
        .context("no cluster-admin in the list")?;
    click(&browser, "grant-add").await?;
    let warning = find::text_when(&browser, "grant-danger", find::PATIENCE, |t| {
        t.contains("cluster-admin")
    })
    .await?;
    ensure!(warning.contains("cluster-wide"), "{warning}");
    ensure!(
        grants(&browser).await?.is_empty(),
        "added before the confirmation"
    );
    click(&browser, "grant-cancel").await?;
    ensure!(grants(&browser).await?.is_empty(), "added though declined");
    click(&browser, "grant-add").await?;
    click(&browser, "grant-confirm").await?;
    find::text_when(&browser, "grant", find::PATIENCE, |t| {
        t.contains("cluster-admin") && t.contains("cluster-wide")
    })
    .await?;
    let _ = stack.cluster.admin_kubectl(&["delete", "csr", &name]);
    Ok(())
}

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn a_role_picked_but_not_added_is_never_dropped_silently() -> Result<()> {
    let stack = Stack::start("picked_grant")?;
    let role = stack
        .cluster
        .create_pod_reader("default", &e2e::unique("picked-reader"))?;
    stack.run(picked_grant(&stack, &role.name)).await
}

/// The CertDesk role bindings of `user` in `default`, as `kubectl` lists them.
fn bindings_of(stack: &Stack, user: &str) -> Result<Vec<String>> {
    let json = stack.cluster.admin_kubectl_ok(&[
        "get",
        "rolebindings",
        "-n",
        "default",
        "-l",
        "app.kubernetes.io/managed-by=certdesk",
        "-o",
        "json",
    ])?;
    let list: serde_json::Value = serde_json::from_str(&json)?;
    Ok(list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["subjects"][0]["name"] == user)
        .map(|b| b["roleRef"]["name"].as_str().unwrap_or_default().to_owned())
        .collect())
}

async fn picked_grant(stack: &Stack, role: &str) -> Result<()> {
    let base = &stack.portal.url;
    let browser = stack.browser("approver").await?;
    approver::sign_in(&browser, base, &stack.cluster.approver_token()?).await?;
    for add in [true, false] {
        let name = e2e::unique(if add { "picked-add" } else { "picked-skip" });
        stack
            .cluster
            .create_client_csr(&name, &format!("/CN={name}"))?;
        approver::open_request(&browser, base, &name).await?;
        approver::pick_role(&browser, "default", role).await?;
        // "Approve & next" with the role picked but not added: a question, nothing sent.
        click(&browser, "approve-next").await?;
        let asked = find::by_testid(&browser, "picked-prompt")
            .await?
            .text()
            .await?;
        ensure!(asked.contains(role), "the question is {asked:?}");
        let (conditions, _) = stack.cluster.csr_conditions(&name)?;
        ensure!(
            conditions.is_empty(),
            "approved before the answer: {conditions:?}"
        );
        click(&browser, if add { "picked-add" } else { "picked-skip" }).await?;
        let mut approved = false;
        for _ in 0..100 {
            approved = stack.cluster.csr_conditions(&name)?.0 == ["Approved"];
            if approved {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        ensure!(approved, "{name} was not approved");
        // The approval's condition and its binding are two writes: the binding may
        // land a moment after the condition is visible.
        let mut bound = bindings_of(stack, &name)?;
        for _ in 0..50 {
            if !add || !bound.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            bound = bindings_of(stack, &name)?;
        }
        if add {
            ensure!(bound == [role], "{name} got {bound:?}, not {role}");
        } else {
            ensure!(
                bound.is_empty(),
                "{name} got {bound:?} though the approver said no"
            );
        }
        let _ = stack.cluster.admin_kubectl(&["delete", "csr", &name]);
    }
    Ok(())
}
