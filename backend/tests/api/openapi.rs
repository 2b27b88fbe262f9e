//! The OpenAPI document covers every `/api/v1` route the router has, and every error
//! response is an `ApiError`.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::helpers::TestApp;

/// The `/api/v1` routes as the route modules declare them: (method, full path).
fn declared_routes() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut routes = BTreeSet::new();
    for (file, prefix) in [
        ("config.rs", "/api/v1"),
        ("openapi.rs", "/api/v1"),
        ("requests.rs", "/api/v1"),
        ("renewals.rs", "/api/v1"),
        ("invites.rs", "/api/v1"),
        ("admin.rs", "/api/v1/admin"),
    ] {
        let source = std::fs::read_to_string(dir.join(file)).unwrap();
        // Each `.route("path", method(...)...)` up to the next `.route(`.
        for chunk in source.split(".route(").skip(1) {
            let path = chunk.split('"').nth(1).expect("a route path literal");
            // The router function ends at the first line that closes a block at column 0.
            let head = chunk
                .split(".route(")
                .next()
                .unwrap()
                .split("\n}")
                .next()
                .unwrap();
            let mut found = false;
            for method in ["get", "post", "put", "patch", "delete"] {
                if head.contains(&format!("{method}(")) {
                    routes.insert((method.to_owned(), format!("{prefix}{path}")));
                    found = true;
                }
            }
            assert!(found, "no method found for {path} in {file}");
        }
    }
    routes
}

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
    let declared = declared_routes();
    assert!(declared.len() >= 10, "{declared:?}");
    assert_eq!(documented, declared, "the document and the router disagree");

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
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for (status, answer) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
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
}
