//! The audit trail: one JSON line per action.

use super::*;

#[test]
#[ignore = "needs cluster"]
fn every_action_is_one_json_audit_line_with_the_request_the_actor_and_the_subject() {
    let cluster = cluster();
    // The real binary, logging as an operator would collect it.
    let server = Server::start(&cluster, "info", &["--log-format", "json"]);
    let token = cluster.approver_token().unwrap();
    let username = unique("audited");
    let key = key_for(&username, &[]);
    let (status, ticket) = server.curl(
        "POST",
        "/api/v1/requests",
        Some(&submit_body(&key, HOUR, None)),
        None,
    );
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap().to_owned();
    let deny = serde_json::json!({ "reason": "not this one" });
    let denied = (0..100).any(|_| {
        // The approver's deny needs the CSR in the API server, not in the cache.
        let (status, _) = server.curl(
            "POST",
            &format!("/api/v1/admin/requests/{id}/deny"),
            Some(&deny),
            Some(&token),
        );
        status == 204
    });
    assert!(denied);

    let logs = server.logs();
    let audit: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| {
            line["target"] == "certdesk::audit" && line["fields"]["request"] == id.as_str()
        })
        .collect();
    let actions: Vec<&str> = audit
        .iter()
        .filter_map(|l| l["fields"]["action"].as_str())
        .collect();
    assert_eq!(actions, ["Submitted", "Denied"], "{logs}");
    assert_eq!(audit[0]["fields"]["actor"], "requester");
    assert_eq!(audit[1]["fields"]["actor"], APPROVER);
    assert!(
        audit
            .iter()
            .all(|l| l["fields"]["subject"] == username.as_str()),
        "{audit:?}"
    );
    assert!(
        audit[1]["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("not this one")
    );
    assert!(!logs.contains(&token));
}
