//! A `TestApp` over the router, with a temporary static directory.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use backend::AppState;
use backend::config::Config;
use clap::Parser;
use http_body_util::BodyExt;
use tempfile::TempDir;
use tower::ServiceExt;

pub const INDEX_HTML: &str = "<!DOCTYPE html><title>CertDesk test index</title>";

pub struct TestApp {
    router: Router,
    _static_dir: TempDir,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl TestApp {
    pub fn spawn(extra_args: &[&str]) -> Self {
        let static_dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(static_dir.path().join("index.html"), INDEX_HTML).expect("write index");
        std::fs::write(static_dir.path().join("app.js"), "console.log('app')").expect("write js");
        let dir = static_dir.path().to_str().expect("utf-8 path").to_owned();
        let mut args = vec!["certdesk", "--static-dir", &dir];
        args.extend_from_slice(extra_args);
        let config = Config::try_parse_from(args).expect("valid flags");
        config.validate().expect("valid config");
        let router = backend::app(AppState::new(config).expect("state"));
        Self {
            router,
            _static_dir: static_dir,
        }
    }

    pub async fn get(&self, uri: &str) -> TestResponse {
        let request = Request::get(uri).body(Body::empty()).expect("request");
        self.send(request).await
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        TestResponse {
            status,
            content_type,
            body,
        }
    }
}
