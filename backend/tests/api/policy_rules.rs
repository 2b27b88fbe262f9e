//! The operator's rules, through the backend: the policy file
//! `shared/tests/fixtures/policy-rules.yaml` becomes exactly the policy the browser is
//! given (`policy-rules.json`), and each input of that fixture is refused with its
//! rule's code, as the browser refuses it (shared/tests/web.rs).

use axum::http::StatusCode;
use shared::KeyAlgorithm;
use shared::keys::{Subject, generate};

use crate::helpers::TestApp;

/// The shared fixtures of the clone under test.
fn fixtures() -> String {
    format!("{}/../shared/tests/fixtures", crate::helpers::package_dir())
}

#[tokio::test]
async fn every_policy_rule_refuses_its_input_in_the_backend() {
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/policy-rules.json", fixtures())).unwrap(),
    )
    .unwrap();
    let policy = format!("{}/policy-rules.yaml", fixtures());
    let app = TestApp::spawn(&[
        "--policy-file",
        &policy,
        "--submit-per-minute",
        "1000",
        "--submit-burst",
        "100",
    ])
    .await;

    let config = app.get("/api/v1/config").await;
    config.assert_status(StatusCode::OK);
    assert_eq!(
        config.json()["policy"],
        fixture["limits"],
        "the browser is given another policy"
    );

    for case in fixture["cases"].as_array().unwrap() {
        let answer = submit_case(&app, case).await;
        let error = answer.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "policy_violation");
        let codes = crate::helpers::violation_codes(&error);
        assert!(
            codes.iter().any(|c| c == case["rule"].as_str().unwrap()),
            "{case}: {error}"
        );
    }
    // An input no rule refuses gets past the policy (and then needs the cluster).
    for case in fixture["accepted"].as_array().unwrap() {
        let answer = submit_case(&app, case).await;
        answer.assert_error(StatusCode::SERVICE_UNAVAILABLE, "cluster_unreachable");
    }
}

/// Submits a CSR (made in the process, as the browser makes it) for the fixture case's
/// username and groups.
async fn submit_case(app: &TestApp, case: &serde_json::Value) -> crate::helpers::TestResponse {
    let subject = Subject {
        username: case["username"].as_str().unwrap().to_owned(),
        groups: serde_json::from_value(case["groups"].clone()).unwrap(),
    };
    let key = generate(KeyAlgorithm::EcdsaP256, &subject).unwrap();
    app.post_json(
        "/api/v1/requests",
        &serde_json::json!({ "csr_pem": key.csr_pem, "expiration_seconds": 3600 }),
        None,
    )
    .await
}

#[tokio::test]
async fn a_policy_file_with_a_bad_line_stops_the_backend_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, "groups:\n  allowed: [dev-team]\n  alowed: [qa]\n").unwrap();
    for app in std::iter::once("").chain(backend::routes::assets::APPS.map(|(_, dir)| dir)) {
        std::fs::create_dir_all(dir.path().join(app)).unwrap();
        std::fs::write(
            dir.path().join(app).join("index.html"),
            crate::helpers::INDEX_HTML,
        )
        .unwrap();
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .env_clear()
        .arg("--static-dir")
        .arg(dir.path())
        .arg("--policy-file")
        .arg(&policy)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("line 3") && said.contains("alowed"), "{said}");
}
