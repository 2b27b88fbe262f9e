//! Invites: one identity, one use, refused when revoked, expired or tampered with;
//! with auto-approval, issued with the invite's grants.

use super::*;

#[tokio::test]
#[ignore = "needs cluster"]
async fn an_invite_locks_the_identity_is_single_use_and_refuses_revoked_expired_and_tampered_links()
{
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &UNLIMITED).await;
    let token = cluster.approver_token().unwrap();
    let role = cluster
        .create_pod_reader("default", &unique("reader"))
        .unwrap();
    let username = unique("invitee");
    let created = invite(
        &app,
        &token,
        serde_json::json!({
            "username": username, "groups": ["dev-team"], "grants": pod_reader_grant(&role),
            "expiration_seconds": HOUR, "valid_for_seconds": 3600,
        }),
    )
    .await;
    let link_token = created["token"].as_str().unwrap().to_owned();
    let name = created["invite"]["name"].as_str().unwrap().to_owned();
    assert_eq!(created["path"], format!("/start/#invite={link_token}"));
    assert_eq!(created["invite"]["created_by"], APPROVER);
    assert_eq!(created["invite"]["state"], "open");
    assert_eq!(created["invite"]["grants_bound"], false);
    // The cluster holds only the secret's hash.
    let object = Api::<Invite>::all(cluster.admin_client().await.unwrap())
        .get(&name)
        .await
        .unwrap();
    let secret = link_token.split_once('.').unwrap().1;
    assert!(!serde_json::to_string(&object).unwrap().contains(secret));

    let info = open_invite(&app, &link_token).await;
    info.assert_status(StatusCode::OK);
    assert_eq!(info.json()["username"], username.as_str());
    assert_eq!(info.json()["invited_by"], APPROVER);

    // A tampered secret, an unknown name and a malformed token are all the same refusal.
    let mut tampered = link_token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'a' { 'b' } else { 'a' });
    for bad in [
        tampered.as_str(),
        "invite-nosuchinvite.abcdef",
        "not-a-token",
    ] {
        open_invite(&app, bad)
            .await
            .assert_error(StatusCode::FORBIDDEN, "invite_invalid");
        let key = key_for(&username, &["dev-team"]);
        app.post_json(
            "/api/v1/requests",
            &submit_body(&key, HOUR, Some(bad)),
            None,
        )
        .await
        .assert_error(StatusCode::FORBIDDEN, "invite_invalid");
    }

    // Another identity, other groups, another lifetime: refused, and the invite stays open.
    for (key, seconds) in [
        (key_for("someone-else", &["dev-team"]), HOUR),
        (key_for(&username, &["qa"]), HOUR),
        (key_for(&username, &["dev-team"]), 2 * HOUR),
    ] {
        app.post_json(
            "/api/v1/requests",
            &submit_body(&key, seconds, Some(&link_token)),
            None,
        )
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invite_mismatch");
    }
    open_invite(&app, &link_token)
        .await
        .assert_status(StatusCode::OK);

    // The real use.
    let key = key_for(&username, &["dev-team"]);
    let response = app
        .post_json(
            "/api/v1/requests",
            &submit_body(&key, HOUR, Some(&link_token)),
            None,
        )
        .await;
    response.assert_status(StatusCode::CREATED);
    let id = response.json()["id"].as_str().unwrap().to_owned();
    // The approval page shows where it came from, and the invite's grants.
    let view = app
        .wait_listed(&token, |v| v["name"] == id.as_str())
        .await
        .unwrap();
    assert_eq!(view["invite"]["name"], name.as_str());
    assert_eq!(view["invite"]["created_by"], APPROVER);
    assert_eq!(view["invite"]["grants"][0]["name"], role.name.as_str());
    assert!(
        view["risks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "invite")
    );
    assert_eq!(view["phase"], "Pending", "auto-approval is off");

    // Single use: the same link again is refused, whatever is sent with it.
    let again = key_for(&username, &["dev-team"]);
    app.post_json(
        "/api/v1/requests",
        &submit_body(&again, HOUR, Some(&link_token)),
        None,
    )
    .await
    .assert_error(StatusCode::CONFLICT, "invite_used");
    open_invite(&app, &link_token)
        .await
        .assert_error(StatusCode::CONFLICT, "invite_used");
    let listed = app.get_with_token("/api/v1/admin/invites", &token).await;
    let entry = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name.as_str())
        .cloned()
        .unwrap();
    assert_eq!(entry["state"], "used");
    assert_eq!(entry["request"], id.as_str());
    // A used invite cannot be revoked.
    app.post_json(
        &format!("/api/v1/admin/invites/{name}/revoke"),
        &serde_json::json!({}),
        Some(&token),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");

    // Revoked: refused.
    let revoked = invite(
        &app,
        &token,
        serde_json::json!({ "username": username, "expiration_seconds": HOUR, "valid_for_seconds": 3600 }),
    )
    .await;
    let revoked_name = revoked["invite"]["name"].as_str().unwrap();
    let answer = app
        .post_json(
            &format!("/api/v1/admin/invites/{revoked_name}/revoke"),
            &serde_json::json!({}),
            Some(&token),
        )
        .await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.json()["state"], "revoked");
    assert_eq!(answer.json()["revoked_by"], APPROVER);
    let key = key_for(&username, &[]);
    app.post_json(
        "/api/v1/requests",
        &submit_body(&key, HOUR, revoked["token"].as_str()),
        None,
    )
    .await
    .assert_error(StatusCode::GONE, "invite_revoked");

    // Expired: an invite whose link ran out (made directly, with a known secret).
    let expired_name = format!("invite-{}", unique("exp").replace('-', ""));
    let secret = "expiredsecret";
    let mut expired = Invite::new(
        &expired_name,
        InviteSpec {
            username: username.clone(),
            groups: vec![],
            grants: vec![],
            bindings: vec![],
            expiration_seconds: HOUR,
            expires_at: time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
            token_sha256: data_encoding::HEXLOWER
                .encode(ring::digest::digest(&ring::digest::SHA256, secret.as_bytes()).as_ref()),
            // The admission policy lets only the creating user be named.
            created_by: "certdesk-local-admin".to_owned(),
            created_by_groups: vec![],
        },
    );
    expired.metadata.labels = None;
    Api::<Invite>::all(cluster.admin_client().await.unwrap())
        .create(&PostParams::default(), &expired)
        .await
        .unwrap();
    let expired_token = format!("{expired_name}.{secret}");
    app.post_json(
        "/api/v1/requests",
        &submit_body(&key, HOUR, Some(&expired_token)),
        None,
    )
    .await
    .assert_error(StatusCode::GONE, "invite_expired");

    // An approver without the right to invite is refused by the cluster itself.
    let stranger = cluster.token_without_rights(&unique("no-invite")).unwrap();
    app.post_json(
        "/api/v1/admin/invites",
        &serde_json::json!({ "username": username, "expiration_seconds": HOUR, "valid_for_seconds": 3600 }),
        Some(&stranger),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");

    // A portal that takes invites only refuses a plain request.
    let invite_only = TestApp::on_cluster(&cluster, &["--invite-required"]).await;
    invite_only
        .post_json("/api/v1/requests", &submit_body(&key, HOUR, None), None)
        .await
        .assert_error(StatusCode::FORBIDDEN, "invite_required");
    wait_events(&cluster, &name, &["InviteCreated", "InviteUsed"]).await;
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn with_auto_approval_an_invited_request_is_issued_with_the_invites_grants() {
    let cluster = cluster();
    let app = auto_approving(&cluster, "--auto-approve-invites").await;
    let token = cluster.approver_token().unwrap();
    let role = cluster
        .create_pod_reader("default", &unique("reader"))
        .unwrap();
    let username = unique("auto-invitee");
    let created = invite(
        &app,
        &token,
        serde_json::json!({
            "username": username, "grants": pod_reader_grant(&role),
            "expiration_seconds": HOUR, "valid_for_seconds": 600,
        }),
    )
    .await;
    assert_eq!(created["invite"]["grants_bound"], true);
    // The grant was made with the approver's credentials when the invite was made.
    assert!(
        cluster
            .can_i(&username, &[], "list", "pods", "default")
            .unwrap()
    );
    let link = created["token"].as_str().unwrap();
    assert_eq!(open_invite(&app, link).await.json()["auto_approved"], true);

    let key = key_for(&username, &[]);
    let response = app
        .post_json(
            "/api/v1/requests",
            &submit_body(&key, HOUR, Some(link)),
            None,
        )
        .await;
    response.assert_status(StatusCode::CREATED);
    let id = response.json()["id"].as_str().unwrap().to_owned();
    let certificate_pem = wait_issued(&app, &id).await;
    let status = app.get(&format!("/api/v1/requests/{id}")).await.json();
    assert_eq!(status["reason"], "CertDeskAutoApprove");
    assert_eq!(status["namespace"], "default");
    let issued = Issued {
        id: id.clone(),
        key,
        certificate_pem,
        username: username.clone(),
    };
    let file = kubeconfig(&cluster, &issued);
    let (ok, output) = can_get_pods(&file);
    assert!(ok, "{output}");
    let record = wait_record(&cluster, &id).await;
    assert_eq!(
        record.spec.invite.as_deref(),
        created["invite"]["name"].as_str()
    );
    assert!(record.spec.approver.unwrap().contains(APPROVER));

    // Revoking an unused invite removes the grant made with it.
    let unused = invite(
        &app,
        &token,
        serde_json::json!({
            "username": unique("never-came"), "grants": pod_reader_grant(&role),
            "expiration_seconds": HOUR, "valid_for_seconds": 600,
        }),
    )
    .await;
    let never = unused["invite"]["username"].as_str().unwrap().to_owned();
    assert!(
        cluster
            .can_i(&never, &[], "list", "pods", "default")
            .unwrap()
    );
    let unused_name = unused["invite"]["name"].as_str().unwrap();
    app.post_json(
        &format!("/api/v1/admin/invites/{unused_name}/revoke"),
        &serde_json::json!({}),
        Some(&token),
    )
    .await
    .assert_status(StatusCode::OK);
    assert!(
        !cluster
            .can_i(&never, &[], "list", "pods", "default")
            .unwrap()
    );
}
