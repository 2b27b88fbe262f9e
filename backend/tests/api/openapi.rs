//! The OpenAPI document: every operation it lists is routed, every route documents
//! the 429/503/504 any route may answer, and every error response is an `ApiError`.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::helpers::TestApp;

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_its_errors_are_api_errors() {
    let app = TestApp::spawn(&[]).await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.content_type.starts_with("application/json"));
    let doc = response.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");

    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    // Every route registers its own description (utoipa-axum), so the document is the
    // router's own list; here it must hold the whole API.
    assert!(documented.len() >= 19, "{documented:?}");
    for expected in [
        ("post", "/api/v1/requests"),
        ("get", "/api/v1/requests/{id}/events"),
        ("post", "/api/v1/admin/requests/{name}/approve"),
        ("get", "/api/v1/openapi.json"),
    ] {
        assert!(
            documented.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} is not documented: {documented:?}"
        );
    }

    // Every documented operation is routed (not the API's fallback, not 405).
    for (method, path) in &documented {
        let uri = path
            .replace("{id}", "certdesk-x")
            .replace("{name}", "x")
            .replace("{token}", "invite-x.y")
            .replace("{username}", "x");
        let request = Request::builder()
            .method(method.to_uppercase().as_str())
            .uri(&uri)
            .header("content-type", "application/json")
            .header("authorization", "Bearer not-a-token")
            .body(Body::from("{}"))
            .unwrap();
        let answer = app.send(request).await;
        assert_ne!(
            answer.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}"
        );
        assert!(
            !answer.text().contains("No such API endpoint"),
            "{method} {uri} is documented but not routed"
        );
    }

    // The error schema is ApiError, and every documented error response uses it.
    let error = &doc["components"]["schemas"]["ApiError"];
    for field in ["code", "message", "details"] {
        assert!(error["properties"][field].is_object(), "{error}");
    }
    let mut errors = 0;
    let mut shared_errors = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for (status, answer) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    if ["429", "503", "504"].contains(&status.as_str()) {
                        shared_errors += 1;
                    }
                    errors += 1;
                    assert_eq!(
                        answer["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ApiError",
                        "{status}: {answer}"
                    );
                }
            }
        }
    }
    assert!(errors > 10);
    assert_eq!(
        shared_errors,
        3 * documented.len(),
        "every route documents 429, 503 and 504"
    );
}
