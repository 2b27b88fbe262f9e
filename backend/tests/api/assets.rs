//! The static app: precompressed copies served by `Accept-Encoding`, hashed files
//! cached for good, everything else revalidated, API answers never stored.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;

use crate::helpers::TestApp;

const WASM: &str = "/frontend-0123456789abcdef_bg.wasm";

async fn fetch(app: &TestApp, path: &str, accept: Option<&str>) -> axum::response::Response {
    let mut request = Request::get(path);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT_ENCODING, accept);
    }
    app.router()
        .oneshot_raw(request.body(Body::empty()).expect("request"))
        .await
}

fn header_of(response: &axum::response::Response, name: header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn body_of(response: axum::response::Response) -> Vec<u8> {
    response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec()
}

#[tokio::test]
async fn assets_come_precompressed_and_hashed_ones_are_immutable() {
    let app = TestApp::spawn(&[]).await;
    let dir = app.static_dir();
    std::fs::write(dir.join(WASM.trim_start_matches('/')), b"plain wasm").expect("write");
    std::fs::write(
        dir.join(format!("{}.br", WASM.trim_start_matches('/'))),
        b"brotli wasm",
    )
    .expect("write");
    std::fs::write(
        dir.join(format!("{}.gz", WASM.trim_start_matches('/'))),
        b"gzip wasm",
    )
    .expect("write");

    let br = fetch(&app, WASM, Some("gzip, deflate, br, zstd")).await;
    assert_eq!(br.status(), StatusCode::OK);
    assert_eq!(header_of(&br, header::CONTENT_ENCODING), "br");
    assert_eq!(header_of(&br, header::CONTENT_TYPE), "application/wasm");
    assert!(
        header_of(&br, header::VARY)
            .to_lowercase()
            .contains("accept-encoding")
    );
    assert_eq!(
        header_of(&br, header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(body_of(br).await, b"brotli wasm");

    let gzip = fetch(&app, WASM, Some("gzip")).await;
    assert_eq!(header_of(&gzip, header::CONTENT_ENCODING), "gzip");
    assert_eq!(body_of(gzip).await, b"gzip wasm");

    let plain = fetch(&app, WASM, None).await;
    assert_eq!(header_of(&plain, header::CONTENT_ENCODING), "");
    assert_eq!(body_of(plain).await, b"plain wasm");
}

#[tokio::test]
async fn the_page_and_fixed_names_are_revalidated_and_the_api_never_stored() {
    let app = TestApp::spawn(&[]).await;
    for path in [
        "/",
        "/index.html",
        "/request/certdesk-minjun-abc",
        "/app.js",
    ] {
        let response = fetch(&app, path, Some("br")).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header_of(&response, header::CACHE_CONTROL),
            "no-cache",
            "{path}"
        );
    }
    // A hashed name the build does not hold is 404, not the app's page cached for a
    // year under a script's name.
    let missing = fetch(&app, "/frontend-fedcba9876543210.js", None).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(header_of(&missing, header::CACHE_CONTROL), "no-cache");
    let api = fetch(&app, "/api/v1/config", Some("br")).await;
    assert_eq!(header_of(&api, header::CACHE_CONTROL), "no-store");
}

#[tokio::test]
async fn pages_and_scripts_carry_the_apps_policy_and_everything_else_one_allowing_nothing() {
    let app = TestApp::spawn(&[]).await;
    let dir = app.static_dir();
    let script = "/frontend-0123456789abcdef.js";
    let style = "/style-0123456789abcdef.css";
    for file in [WASM, script, style] {
        std::fs::write(dir.join(file.trim_start_matches('/')), b"asset").expect("write");
    }
    for path in ["/", "/admin", script] {
        let response = fetch(&app, path, None).await;
        let csp = header_of(&response, header::CONTENT_SECURITY_POLICY);
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'")
                && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
    }
    for path in [WASM, style, "/api/v1/config", "/api/v1/nothing-here"] {
        let response = fetch(&app, path, None).await;
        assert_eq!(
            header_of(&response, header::CONTENT_SECURITY_POLICY),
            "default-src 'none'; frame-ancestors 'none'",
            "{path}"
        );
        assert_eq!(
            header_of(&response, header::X_CONTENT_TYPE_OPTIONS),
            "nosniff"
        );
    }
}

/// Each app's page says which it is; answers which page each path gets.
async fn pages_served(app: &TestApp) -> Vec<(&'static str, String)> {
    let dir = app.static_dir();
    for (sub, name) in [("", "first"), ("start", "whole"), ("requests", "status")] {
        std::fs::write(
            dir.join(sub).join("index.html"),
            format!("<!DOCTYPE html><title>{name}</title>"),
        )
        .expect("write");
    }
    let mut served = Vec::new();
    for path in ["/", "/some/route", "/start", "/start/", "/requests/x"] {
        let response = fetch(app, path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body = String::from_utf8(body_of(response).await).expect("utf-8");
        let name = body
            .split("<title>")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .unwrap_or_default()
            .to_owned();
        served.push((path, name));
    }
    served
}

#[tokio::test]
async fn the_first_page_is_the_whole_form_only_on_an_install_with_peers() {
    let alone = TestApp::spawn(&[]).await;
    let first = [
        ("/", "first"),
        ("/some/route", "first"),
        ("/start", "whole"),
        ("/start/", "whole"),
        ("/requests/x", "status"),
    ];
    let got = pages_served(&alone).await;
    assert_eq!(
        got.iter()
            .map(|(p, n)| (*p, n.as_str()))
            .collect::<Vec<_>>(),
        first
    );
    let peers = r#"[{"name":"prod","url":"https://certdesk.prod.example.com"}]"#;
    let federated = TestApp::spawn(&["--cluster-name", "dev", "--peers", peers]).await;
    let got = pages_served(&federated).await;
    assert_eq!(
        got.iter()
            .map(|(p, n)| (*p, n.as_str()))
            .collect::<Vec<_>>(),
        [
            ("/", "whole"),
            ("/some/route", "whole"),
            ("/start", "whole"),
            ("/start/", "whole"),
            ("/requests/x", "status"),
        ]
    );
}
