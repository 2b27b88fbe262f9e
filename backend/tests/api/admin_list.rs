//! The approvers' list on the server: searched, filtered by phase, paged and ordered
//! (pending first) from the watch cache; a query it cannot answer is a 400 that says
//! why; and its stream of changes, which needs a token that may list requests.

use axum::http::StatusCode;
use e2e::cluster::ControlPlane;

use crate::helpers::{TestApp, openssl_csr, unique};

const HOUR: u32 = 3600;

fn cluster() -> ControlPlane {
    ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"))
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn queries_the_list_cannot_answer_are_refused_saying_why() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let token = cluster.approver_token().unwrap();
    let long = format!("q={}", "x".repeat(201));
    for query in [
        "per_page=0",
        "per_page=101",
        "per_page=ten",
        "page=0",
        "page=-1",
        "phase=Bogus",
        "phase=pending",
        "sort=sideways",
        "risk=maybe",
        "colour=red",
        long.as_str(),
    ] {
        let answer = app
            .get_with_token(&format!("/api/v1/admin/requests?{query}"), &token)
            .await;
        answer.assert_error(StatusCode::BAD_REQUEST, "bad_request");
        assert!(
            !answer.json()["message"].as_str().unwrap().is_empty(),
            "{query}"
        );
    }
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_request_is_found_by_search_and_phase_and_pending_comes_first() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let token = cluster.approver_token().unwrap();
    let username = unique("listed");
    let id = app
        .submit(
            &openssl_csr(&format!("/CN={username}/O=dev-team"), "ec", &[]),
            HOUR,
        )
        .await;
    app.wait_listed(&token, |v| v["name"] == id.as_str())
        .await
        .expect("the watch sees the request");

    let found = app
        .get_with_token(
            &format!("/api/v1/admin/requests?q={}", username.to_uppercase()),
            &token,
        )
        .await;
    found.assert_status(StatusCode::OK);
    let page = found.json();
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["items"][0]["name"], id.as_str());
    let pending = page["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["phase"] == "Pending")
        .unwrap();
    assert_eq!(pending["count"], 1);
    for (phase, total) in [("Pending", 1), ("Issued", 0)] {
        let answer = app
            .get_with_token(
                &format!("/api/v1/admin/requests?q={username}&phase={phase}"),
                &token,
            )
            .await;
        assert_eq!(answer.json()["total"], total, "{phase}");
    }

    // Pages of one: each a different request, the total the same; pending first.
    let first = app
        .get_with_token("/api/v1/admin/requests?per_page=1&page=1", &token)
        .await
        .json();
    let second = app
        .get_with_token("/api/v1/admin/requests?per_page=1&page=2", &token)
        .await
        .json();
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    assert_ne!(first["items"][0]["name"], second["items"][0]["name"]);
    assert_eq!(first["total"], second["total"]);
    let all = app
        .get_with_token("/api/v1/admin/requests?per_page=100", &token)
        .await
        .json();
    let phases: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["phase"].as_str().unwrap())
        .collect();
    let first_other = phases.iter().position(|p| *p != "Pending");
    if let Some(at) = first_other {
        assert!(phases[at..].iter().all(|p| *p != "Pending"), "{phases:?}");
    }
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn the_stream_of_changes_says_changed_and_needs_a_token_that_may_list() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let missing = app.get("/api/v1/admin/requests/changes").await;
    missing.assert_error(StatusCode::UNAUTHORIZED, "token_missing");
    let powerless = cluster.token_without_rights(&unique("no-list")).unwrap();
    let Err(refused) = app.admin_changes(&powerless).await else {
        panic!("a token that may not list CSRs opened the stream");
    };
    refused.assert_error(StatusCode::FORBIDDEN, "forbidden");

    let token = cluster.approver_token().unwrap();
    let Ok(mut changes) = app.admin_changes(&token).await else {
        panic!("the approver could not open the stream");
    };
    let username = unique("changed");
    app.submit(&openssl_csr(&format!("/CN={username}"), "ec", &[]), HOUR)
        .await;
    let told = changes.next_event("changed").await;
    assert!(told.is_some(), "no change was told");
}

/// The flags of the listed request `name`, by code.
fn codes(view: &serde_json::Value) -> Vec<String> {
    view["risks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["code"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn copies_and_look_alikes_flag_each_other_and_a_search_finds_them_all() {
    let cluster = cluster();
    let app = TestApp::on_cluster(&cluster, &[]).await;
    let token = cluster.approver_token().unwrap();
    let username = unique("minjun");
    // Through CertDesk; the same name made with kubectl; a Cyrillic look-alike (which
    // CertDesk's own form refuses) made with kubectl.
    let portal = app
        .submit(&openssl_csr(&format!("/CN={username}"), "ec", &[]), HOUR)
        .await;
    let kubectl = unique("kubectl-copy");
    cluster
        .create_client_csr(&kubectl, &format!("/CN={username}"))
        .unwrap();
    let cyrillic_name = username.replacen('i', "\u{456}", 1);
    let cyrillic_key = shared::keys::generate(
        shared::KeyAlgorithm::EcdsaP256,
        &shared::Subject {
            username: cyrillic_name.clone(),
            groups: vec![],
        },
    )
    .unwrap();
    let cyrillic = unique("kubectl-cyrillic");
    cluster
        .create_csr_from_pem(&cyrillic, &cyrillic_key.csr_pem, &[])
        .unwrap();
    // One key sent twice (a copied CSR).
    let copied = unique("kubectl-twice");
    cluster
        .create_csr_from_pem(&copied, &cyrillic_key.csr_pem, &[])
        .unwrap();

    let search = format!("/api/v1/admin/requests?q={username}&per_page=100");
    let mut found = serde_json::Value::Null;
    for _ in 0..100 {
        found = app.get_with_token(&search, &token).await.json();
        if found["items"].as_array().map_or(0, Vec::len) == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let items = found["items"].as_array().cloned().unwrap_or_default();
    let by_name = |name: &str| {
        items
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("the search for {username} did not list {name}: {found}"))
            .clone()
    };
    let portal_codes = codes(&by_name(&portal));
    assert!(
        portal_codes.contains(&"duplicate_request".to_owned())
            && portal_codes.contains(&"username_looks_like".to_owned())
            && !portal_codes.contains(&"made_outside_certdesk".to_owned()),
        "{portal_codes:?}"
    );
    let kubectl_codes = codes(&by_name(&kubectl));
    assert!(
        kubectl_codes.contains(&"duplicate_request".to_owned())
            && kubectl_codes.contains(&"made_outside_certdesk".to_owned()),
        "{kubectl_codes:?}"
    );
    for name in [&cyrillic, &copied] {
        let flags = codes(&by_name(name));
        assert!(
            flags.contains(&"username_looks_like".to_owned())
                && flags.contains(&"shared_key".to_owned()),
            "{name}: {flags:?}"
        );
    }
    for name in [&kubectl, &cyrillic, &copied] {
        let _ = cluster.admin_kubectl(&["delete", "csr", name]);
    }
}
