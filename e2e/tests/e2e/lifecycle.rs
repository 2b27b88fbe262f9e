//! The credential lifecycle in the browser: an invite link from an approver to a
//! working kubeconfig (once only), and a renewal from the Inspect page followed by an
//! approver removing the person's access, each checked with real kubectl.

use anyhow::{Context, Result, ensure};
use e2e::action::{approver, requester};
use e2e::check;
use e2e::find;
use e2e::stack::Stack;

use crate::flow;

const APPROVER: &str = "system:serviceaccount:certdesk:certdesk-approver";

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn an_invite_link_gives_a_working_kubeconfig_once_and_bad_links_are_refused() -> Result<()> {
    let stack = Stack::start_auto_approving("invite_journey")?;
    let role = stack
        .cluster
        .create_pod_reader("default", &e2e::unique("pod-reader"))?;
    stack.run(invite_journey(&stack, &role.name)).await
}

/// The local approver signs in in a browser of their own and invites `username` with
/// the Role `role` in `default`; returns the browser and the link.
async fn invite_as_approver(
    stack: &Stack,
    username: &str,
    role: &str,
) -> Result<(std::sync::Arc<e2e::browser::Browser>, String)> {
    let browser = stack.browser("approver").await?;
    approver::sign_in(
        &browser,
        &stack.portal.url,
        &stack.cluster.approver_token()?,
    )
    .await?;
    let link = approver::create_invite(
        &browser,
        &stack.portal.url,
        username,
        Some(("default", role)),
    )
    .await?;
    Ok((browser, link))
}

async fn invite_journey(stack: &Stack, role: &str) -> Result<()> {
    let username = e2e::unique("invited");
    let (approver_browser, link) = invite_as_approver(stack, &username, role).await?;
    ensure!(
        link.starts_with(&format!("{}/start/#invite=", stack.portal.url)),
        "the link {link} does not open this portal's whole form (/start/)"
    );

    // The invitee opens the link: the form is locked to the invite's identity.
    let invitee = stack.browser("invitee").await?;
    let mut network = e2e::network::NetworkRecorder::new();
    let shown = requester::open_invite(&invitee, &link).await?;
    ensure!(
        shown.as_deref() == Ok(username.as_str()),
        "the invite form shows {shown:?}"
    );
    find::text_when(&invitee, "invited-by", find::PATIENCE, |t| t == APPROVER).await?;
    // The name cannot be typed, so the key worker does not wait for typing: it loads
    // once the invite's form shows, before anything is sent.
    let worker_loaded = |network: &e2e::network::NetworkRecorder| {
        network
            .sent()
            .iter()
            .any(|s| s.url.contains("keygen-worker"))
    };
    let deadline = std::time::Instant::now() + find::PATIENCE;
    network.collect(&invitee).await?;
    while !worker_loaded(&network) {
        ensure!(
            std::time::Instant::now() < deadline,
            "the invite's form showed, but the key worker did not load until it was sent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        network.collect(&invitee).await?;
    }
    let id = requester::submit(&invitee).await?;
    // The link's secret is in no URL the browser requested, nor in any header (the
    // fragment never leaves the browser; the page sends the token in POST bodies).
    network.collect(&invitee).await?;
    let token = link
        .split("#invite=")
        .nth(1)
        .context("no token in the link")?;
    let secret = token.split('.').nth(1).context("no secret in the token")?;
    ensure!(!network.sent().is_empty(), "the recorder saw nothing");
    for sent in network.sent() {
        ensure!(
            !sent.url.contains(secret),
            "the invite secret is in a URL: {} {}",
            sent.method,
            sent.url
        );
        ensure!(
            !sent.headers.iter().any(|(_, value)| value.contains(secret)),
            "the invite secret is in a header of {}",
            sent.url
        );
    }
    ensure!(
        network
            .sent()
            .iter()
            .any(|s| s.method == "POST" && s.url.ends_with("/api/v1/invites/open")),
        "the page did not open the invite with a POST"
    );
    // Auto-approval is on: no approver acts, and the page turns to Issued by itself.
    let kubeconfig = flow::download_when_issued(&invitee).await?;
    check::can_list_pods(&kubeconfig, "default")?;
    check::cannot_list_deployments(&kubeconfig, "default", &username)?;
    check::authenticates_as(&kubeconfig, &username, &[])?;
    ensure!(id.contains(&username.to_lowercase()), "request id {id}");

    // The same link a second time, in a new browser.
    let again = stack.browser("invitee-again").await?;
    let refusal = requester::open_invite(&again, &link)
        .await?
        .err()
        .context("a used link was accepted")?;
    ensure!(
        refusal.contains("already been used") && refusal.contains("invite_used"),
        "the second use shows {refusal:?}"
    );

    // A tampered token.
    let mut tampered = link.clone();
    let last = tampered.pop().context("an empty link")?;
    tampered.push(if last == 'a' { 'b' } else { 'a' });
    let refusal = requester::open_invite(&again, &tampered)
        .await?
        .err()
        .context("a tampered link was accepted")?;
    ensure!(
        refusal.contains("invite_invalid"),
        "a tampered link shows {refusal:?}"
    );

    // A revoked invite.
    let revoked_link = approver::create_invite(
        &approver_browser,
        &stack.portal.url,
        &e2e::unique("revoked"),
        None,
    )
    .await?;
    let name = revoked_link
        .split("#invite=")
        .nth(1)
        .and_then(|t| t.split('.').next())
        .context("no invite name in the link")?;
    approver::revoke_invite(&approver_browser, &stack.portal.url, name).await?;
    let refusal = requester::open_invite(&again, &revoked_link)
        .await?
        .err()
        .context("a revoked link was accepted")?;
    ensure!(
        refusal.contains("invite_revoked"),
        "a revoked link shows {refusal:?}"
    );

    // An expired invite (its link ran out a minute ago; made directly in the cluster).
    let expired = format!("invite-{}", e2e::unique("expired").replace('-', ""));
    let secret = "anexpiredsecret";
    let digest = e2e::tools::ok("sha256sum", &[], Some(secret.as_bytes()))?;
    let invite = serde_json::json!({
        "apiVersion": "certdesk.dev/v1alpha1", "kind": "Invite", "metadata": { "name": expired },
        "spec": {
            "username": e2e::unique("late"), "expirationSeconds": 3600, "createdBy": APPROVER,
            "expiresAt": (time::OffsetDateTime::now_utc() - time::Duration::minutes(1))
                .format(&time::format_description::well_known::Rfc3339)?,
            "tokenSha256": digest.split_whitespace().next().unwrap_or_default(),
        }
    });
    // As the approver it names (the admission policy lets only an invite's maker be
    // named as its maker).
    let created = stack.cluster.admin_kubectl_stdin(
        &["--as", APPROVER, "create", "-f", "-"],
        &invite.to_string(),
    )?;
    ensure!(created.success, "kubectl create invite: {}", created.stderr);
    let expired_link = format!("{}/#invite={expired}.{secret}", stack.portal.url);
    let refusal = requester::open_invite(&again, &expired_link)
        .await?
        .err()
        .context("an expired link was accepted")?;
    ensure!(
        refusal.contains("invite_expired"),
        "an expired link shows {refusal:?}"
    );
    // A link of the older form (`/#invite=…`) was passed on to the whole form's page,
    // which took the token out of the address bar.
    let at = again.client.current_url().await?;
    ensure!(
        at.path() == "/start/" && at.fragment().is_none_or(|f| !f.contains("invite")),
        "a /#invite= link ended at {at}"
    );
    Ok(())
}

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn without_auto_approval_the_approver_sees_the_invite_and_its_roles_chosen() -> Result<()> {
    let stack = Stack::start("invite_manual_approval")?;
    let role = stack
        .cluster
        .create_pod_reader("default", &e2e::unique("pod-reader"))?;
    stack.run(invite_then_approve(&stack, &role.name)).await
}

async fn invite_then_approve(stack: &Stack, role: &str) -> Result<()> {
    let username = e2e::unique("invited-manual");
    let (approver_browser, link) = invite_as_approver(stack, &username, role).await?;
    let invitee = stack.browser("invitee").await?;
    requester::open_invite(&invitee, &link)
        .await?
        .map_err(|refusal| anyhow::anyhow!("the invite was refused: {refusal}"))?;
    let id = requester::submit(&invitee).await?;
    requester::wait_for_phase(&invitee, "Pending", flow::SIGNING).await?;

    // The approval page names the invite and its maker, and starts with its roles chosen.
    approver::open_request(&approver_browser, &stack.portal.url, &id).await?;
    find::text_when(&approver_browser, "invite-from", find::PATIENCE, |t| {
        t == APPROVER
    })
    .await?;
    find::text_when(&approver_browser, "grant", find::PATIENCE, |t| {
        t.contains(role) && t.contains("default")
    })
    .await
    .context("the invite's role is not pre-filled")?;
    approver::approve(&approver_browser).await?;
    let kubeconfig = flow::download_when_issued(&invitee).await?;
    check::can_list_pods(&kubeconfig, "default")?;
    check::authenticates_as(&kubeconfig, &username, &[])?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn a_renewal_from_the_inspect_page_works_until_an_approver_removes_access() -> Result<()> {
    let stack = Stack::start_auto_approving("renewal_and_offboarding")?;
    let role = stack
        .cluster
        .create_pod_reader("default", &e2e::unique("pod-reader"))?;
    stack.run(renew_then_remove(&stack, &role.name)).await
}

async fn renew_then_remove(stack: &Stack, role: &str) -> Result<()> {
    let username = e2e::unique("renewer");
    let browser = stack.browser("requester").await?;
    let form = requester::Form {
        username: &username,
        groups: &[],
        algorithm: requester::Algorithm::EcdsaP256,
        lifetime_hours: 2,
    };
    let first_id = requester::request_access(&browser, &stack.portal.url, &form).await?;
    flow::approve(stack, &first_id, &username, &[], Some(("default", role))).await?;
    let first = flow::download_when_issued(&browser).await?;
    check::can_list_pods(&first, "default")?;

    // Renewal: the Inspect page reads the kubeconfig here; the old key proves who it is.
    let renewed_id = requester::renew_from_file(&browser, &stack.portal.url, &first.path).await?;
    ensure!(renewed_id != first_id, "the renewal is the same request");
    let renewed = flow::download_when_issued(&browser).await?;
    let (old_cert, new_cert) = (
        first.client_certificate_pem()?,
        renewed.client_certificate_pem()?,
    );
    ensure!(
        old_cert != new_cert,
        "the renewed kubeconfig holds the old certificate"
    );
    ensure!(
        first.client_key_pem()? != renewed.client_key_pem()?,
        "the renewal kept the old key"
    );
    check::can_list_pods(&renewed, "default")?;
    check::authenticates_as(&renewed, &username, &[])?;

    // Offboarding in the People view.
    let approver_browser = stack.browser("approver").await?;
    approver::sign_in(
        &approver_browser,
        &stack.portal.url,
        &stack.cluster.approver_token()?,
    )
    .await?;
    let outcome = approver::remove_access(&approver_browser, &stack.portal.url, &username).await?;
    ensure!(
        outcome.contains("still authenticates until") && outcome.contains("deleted"),
        "the removal outcome says {outcome:?}"
    );
    for kubeconfig in [&first, &renewed] {
        check::cannot_list_pods(kubeconfig, "default", &username)?;
        check::authenticates_as(kubeconfig, &username, &[])?;
    }
    // The People view shows it (after its reload).
    let person =
        format!("[data-testid=\"person\"][data-username=\"{username}\"][data-removed=\"true\"]");
    find::by_css(&approver_browser, &person)
        .await
        .context("the People view does not show the access as removed")?;

    // A removed user cannot renew themselves back in.
    browser
        .client
        .goto(&format!("{}/inspect", stack.portal.url))
        .await?;
    let input = find::by_testid(&browser, "inspect-file").await?;
    input
        .send_keys(renewed.path.to_str().context("path")?)
        .await?;
    find::by_testid(&browser, "renew-button")
        .await?
        .click()
        .await?;
    let refusal =
        find::text_when(&browser, "renew-error", find::PATIENCE, |t| !t.is_empty()).await?;
    ensure!(
        refusal.contains("renewal_access_removed"),
        "renewing after removal shows {refusal:?}"
    );
    Ok(())
}
