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
    pub headers: axum::http::HeaderMap,
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
    pub async fn spawn(extra_args: &[&str]) -> Self {
        let static_dir = tempfile::tempdir().expect("temp dir");
        for app in ["", "requests", "start", "admin", "inspect"] {
            std::fs::create_dir_all(static_dir.path().join(app)).expect("write index");
            std::fs::write(static_dir.path().join(app).join("index.html"), INDEX_HTML)
                .expect("write index");
        }
        std::fs::write(static_dir.path().join("app.js"), "console.log('app')").expect("write js");
        let dir = static_dir.path().to_str().expect("utf-8 path").to_owned();
        let mut args = vec!["certdesk", "--static-dir", &dir];
        args.extend_from_slice(extra_args);
        let config = Config::try_parse_from(args).expect("valid flags");
        let settings = config.validate().expect("valid config");
        let router = backend::app(AppState::new(settings).await.expect("state"));
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
        let headers = response.headers().clone();
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
            headers,
            body,
        }
    }
}

impl TestApp {
    /// A backend acting as CertDesk's ServiceAccount on the shared control plane, once
    /// its watch cache has synced.
    pub async fn on_cluster(cluster: &e2e::cluster::ControlPlane, extra_args: &[&str]) -> Self {
        Self::on_cluster_as(&cluster.backend_kubeconfig(), extra_args).await
    }

    /// A backend acting as the identity of `kubeconfig`, once its watch cache has synced.
    ///
    /// Unless `extra_args` name another, the local policy (`deploy/local/policy.yaml`,
    /// which offers `dev-team`) applies, as with `scripts/run.sh`.
    pub async fn on_cluster_as(kubeconfig: &std::path::Path, extra_args: &[&str]) -> Self {
        let mut args = vec!["--kubeconfig", kubeconfig.to_str().expect("utf-8 path")];
        let policy = local_policy();
        if !extra_args.contains(&"--policy-file") {
            args.extend(["--policy-file", policy.as_str()]);
        }
        args.extend_from_slice(extra_args);
        let app = Self::spawn(&args).await;
        for _ in 0..200 {
            if app.get("/readyz").await.status == StatusCode::OK {
                return app;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the backend's watch cache did not sync within 20 s");
    }

    pub async fn post_json(
        &self,
        uri: &str,
        body: &serde_json::Value,
        token: Option<&str>,
    ) -> TestResponse {
        let mut request = Request::post(uri)
            .header("content-type", "application/json")
            .header("user-agent", "certdesk-tests/1");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request.body(Body::from(body.to_string())).expect("request"))
            .await
    }

    pub async fn get_with_token(&self, uri: &str, token: &str) -> TestResponse {
        let request = Request::get(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty());
        self.send(request.expect("request")).await
    }

    /// Submits a CSR for an hour and returns the request id.
    pub async fn submit(&self, csr_pem: &str, expiration_seconds: u32) -> String {
        let body = serde_json::json!({ "csr_pem": csr_pem, "expiration_seconds": expiration_seconds, "note": "for the tests" });
        let response = self.post_json("/api/v1/requests", &body, None).await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        response.json()["id"].as_str().expect("an id").to_owned()
    }

    /// Opens the approvers' stream of changes with `token`; the response when refused.
    pub async fn admin_changes(&self, token: &str) -> Result<EventStream, TestResponse> {
        let uri = "/api/v1/admin/requests/changes";
        let request = Request::get(uri).header("authorization", format!("Bearer {token}"));
        match self.open_stream(request).await {
            Some(stream) => Ok(stream),
            // A refusal is an ordinary JSON answer: ask again for its body.
            None => Err(self.get_with_token(uri, token).await),
        }
    }

    /// Opens the request's event stream.
    pub async fn events(&self, id: &str) -> EventStream {
        let request = Request::get(format!("/api/v1/requests/{id}/events"));
        self.open_stream(request)
            .await
            .expect("the request's event stream opens")
    }

    /// Sends a request for an event stream; the stream when answered 200.
    async fn open_stream(&self, request: axum::http::request::Builder) -> Option<EventStream> {
        let request = request.body(Body::empty()).expect("request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        (response.status() == StatusCode::OK).then(|| EventStream {
            body: response.into_body(),
            buffer: String::new(),
        })
    }
}

/// A server-sent event stream read frame by frame.
pub struct EventStream {
    body: Body,
    buffer: String,
}

impl EventStream {
    /// Returns the next `status` event's data, or None when the stream ends.
    pub async fn next_status(&mut self) -> Option<shared::RequestStatus> {
        let data = self.next_event("status").await?;
        Some(serde_json::from_str(&data).expect("status JSON"))
    }

    /// Returns the next event named `wanted`'s data (others skipped), or None when the
    /// stream ends; panics after 60 s without one.
    pub async fn next_event(&mut self, wanted: &str) -> Option<String> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                let name = event
                    .lines()
                    .find_map(|l| l.strip_prefix("event:"))
                    .map(str::trim);
                let data: String = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim)
                    .collect();
                if name == Some(wanted) {
                    return Some(data);
                }
                continue;
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .expect("an event within 60 s")?;
            if let Ok(data) = frame.expect("a body frame").into_data() {
                self.buffer.push_str(&String::from_utf8_lossy(&data));
            }
        }
    }
}

/// Makes a CSR with openssl: `key` is an openssl `-newkey` argument (`ec` uses P-256).
pub fn openssl_csr(subject: &str, key: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let key_file = dir.path().join("key.pem");
    let mut args: Vec<&str> = vec![
        "req",
        "-new",
        "-nodes",
        "-subj",
        subject,
        "-keyout",
        key_file.to_str().expect("path"),
    ];
    if key == "ec" {
        args.extend_from_slice(&["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]);
    } else {
        args.extend_from_slice(&["-newkey", key]);
    }
    args.extend_from_slice(extra);
    e2e::tools::ok("openssl", &args, None).expect("openssl makes the CSR")
}

/// Returns a name no other test uses.
pub fn unique(prefix: &str) -> String {
    e2e::unique(prefix)
}

impl TestApp {
    /// The directory the app serves its static files from.
    pub fn static_dir(&self) -> &std::path::Path {
        self._static_dir.path()
    }

    pub fn router(&self) -> RawRouter {
        RawRouter(self.router.clone())
    }
}

/// The router, answering with the raw response (headers included).
pub struct RawRouter(Router);

impl RawRouter {
    pub async fn oneshot_raw(self, request: Request<Body>) -> axum::response::Response {
        self.0.oneshot(request).await.expect("infallible")
    }
}

/// Runs `scripts/cluster.sh <command> <the control plane's dir>` and requires success.
pub fn cluster_script(cluster: &e2e::cluster::ControlPlane, command: &str) {
    let status = std::process::Command::new(e2e::repo_root().join("scripts/cluster.sh"))
        .arg(command)
        .arg(cluster.dir())
        .status()
        .expect("scripts/cluster.sh runs");
    assert!(status.success(), "scripts/cluster.sh {command} failed");
}

impl TestApp {
    /// Polls `uri` until it answers `status`, for up to `seconds`; returns whether it did.
    pub async fn wait_for(&self, uri: &str, status: StatusCode, seconds: u64) -> bool {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
        while tokio::time::Instant::now() < deadline {
            if self.get(uri).await.status == status {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        false
    }
}

/// A kubeconfig (in a temporary directory) for a server at `server` with a fresh
/// self-signed CA and a placeholder token: enough for the backend to build a client.
pub struct TokenKubeconfig {
    _dir: TempDir,
    path: String,
    /// The CA certificate it names (PEM).
    pub ca_pem: String,
}

impl TokenKubeconfig {
    pub fn new(server: &str) -> Self {
        use base64::Engine;
        // A real certificate: the backend builds a client that must load it.
        let ca_pem = e2e::tools::ok(
            "openssl",
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                "/dev/null",
                "-subj",
                "/CN=test-ca",
                "-days",
                "1",
            ],
            None,
        )
        .expect("openssl makes the CA");
        let ca_data = base64::engine::general_purpose::STANDARD.encode(&ca_pem);
        // JSON is YAML: written by a serializer, not a template.
        let kubeconfig = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "c",
            "clusters": [{ "name": "k", "cluster": { "server": server, "certificate-authority-data": ca_data } }],
            "contexts": [{ "name": "c", "context": { "cluster": "k", "user": "u" } }],
            "users": [{ "name": "u", "user": { "token": "t" } }],
        });
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("kubeconfig");
        std::fs::write(&path, kubeconfig.to_string()).expect("write the kubeconfig");
        Self {
            path: path.to_str().expect("utf-8 path").to_owned(),
            _dir: dir,
            ca_pem,
        }
    }

    /// The kubeconfig's path.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl TestApp {
    /// `POST /api/v1/admin/requests/{id}/approve` as the token's holder.
    pub async fn approve(&self, id: &str, body: &serde_json::Value, token: &str) -> TestResponse {
        let uri = format!("/api/v1/admin/requests/{id}/approve");
        self.post_json(&uri, body, Some(token)).await
    }

    /// `POST /api/v1/admin/requests/{id}/deny` with the reason, as the token's holder.
    pub async fn deny(&self, id: &str, reason: &str, token: &str) -> TestResponse {
        let uri = format!("/api/v1/admin/requests/{id}/deny");
        let body = serde_json::json!({ "reason": reason });
        self.post_json(&uri, &body, Some(token)).await
    }

    /// Polls the approvers' list (served from the watch cache only) until an entry
    /// satisfies `found`, for up to 20 s; returns it.
    pub async fn wait_listed(
        &self,
        token: &str,
        found: impl Fn(&serde_json::Value) -> bool,
    ) -> Option<serde_json::Value> {
        for _ in 0..100 {
            // Every page of the list (the shared control plane holds many requests).
            for page in 1.. {
                let uri = format!("/api/v1/admin/requests?per_page=100&page={page}");
                let list = self.get_with_token(&uri, token).await;
                list.assert_status(StatusCode::OK);
                let items = list.json()["items"].as_array().unwrap().clone();
                if let Some(view) = items.iter().find(|v| found(v)) {
                    return Some(view.clone());
                }
                if items.len() < 100 {
                    break;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        None
    }

    /// Polls `GET /api/v1/requests/{id}` until `done` holds, for up to 20 s.
    pub async fn wait_for_status(
        &self,
        id: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let mut last = serde_json::Value::Null;
        for _ in 0..100 {
            last = self.get(&format!("/api/v1/requests/{id}")).await.json();
            if done(&last) {
                return last;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        panic!("the status never reached the expected state: {last}");
    }
}

impl TestResponse {
    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "{}", self.text());
        self
    }

    /// Asserts an error answer: its status and its `ApiError` code.
    #[track_caller]
    pub fn assert_error(&self, status: StatusCode, code: &str) -> serde_json::Value {
        self.assert_status(status);
        let json = self.json();
        assert_eq!(json["code"], code, "{json}");
        json
    }
}

/// The real `certdesk` binary, serving on a free port of 127.0.0.1 against the control
/// plane with the given flags and `RUST_LOG`, its log (standard error) kept in a file.
/// Logging is per process, so what it logs is exactly what an operator would see.
pub struct Server {
    child: std::process::Child,
    dir: TempDir,
    /// The base URL, such as `http://127.0.0.1:41234`.
    pub url: String,
    /// What it printed before saying where it listens (the webhook's address, say).
    pub preamble: Vec<String>,
}

impl Server {
    /// Starts the real binary as CertDesk's ServiceAccount.
    pub fn start(cluster: &e2e::cluster::ControlPlane, rust_log: &str, flags: &[&str]) -> Self {
        Self::start_as(&cluster.backend_kubeconfig(), rust_log, flags)
    }

    /// Starts the real binary as the identity of `kubeconfig`; stopped when dropped.
    pub fn start_as(kubeconfig: &std::path::Path, rust_log: &str, flags: &[&str]) -> Self {
        use std::io::BufRead;
        let dir = tempfile::tempdir().expect("temp dir");
        for app in ["", "requests", "start", "admin", "inspect"] {
            std::fs::create_dir_all(dir.path().join(app)).expect("write index");
            std::fs::write(dir.path().join(app).join("index.html"), INDEX_HTML)
                .expect("write index");
        }
        let log = std::fs::File::create(dir.path().join("certdesk.log")).expect("log file");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_certdesk"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", rust_log)
            .args(["--listen", "127.0.0.1:0", "--static-dir"])
            .arg(dir.path())
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(flags)
            .stdout(std::process::Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("the certdesk binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut preamble = Vec::new();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("CertDesk is listening on ") {
                        break url.trim().to_owned();
                    }
                    preamble.push(line);
                }
                _ => panic!(
                    "certdesk exited before listening; its log: {}",
                    dir.path().display()
                ),
            }
        };
        let server = Self {
            child,
            dir,
            url,
            preamble,
        };
        for _ in 0..200 {
            if server.curl("GET", "/readyz", None, None).0 == 200 {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the backend's watch cache did not sync within 20 s");
    }

    /// Sends a request with real curl; returns the status and the body (JSON or Null).
    pub fn curl(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        token: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let body_file = self.dir.path().join(format!("body-{}", unique("curl")));
        let url = format!("{}{path}", self.url);
        let body_path = body_file.to_str().expect("utf-8 path").to_owned();
        let auth = token.map(|t| format!("Authorization: Bearer {t}"));
        let mut args = vec!["-sS", "-o", &body_path, "-w", "%{http_code}", "-X", method];
        args.extend([
            "-H",
            "content-type: application/json",
            "-H",
            "user-agent: certdesk-tests/1",
        ]);
        if let Some(auth) = &auth {
            args.extend(["-H", auth.as_str()]);
        }
        let data = body.map(|b| b.to_string());
        if data.is_some() {
            args.extend(["--data-binary", "@-"]);
        }
        args.push(&url);
        let status = e2e::tools::ok("curl", &args, data.as_deref().map(str::as_bytes))
            .map(|code| code.trim().parse().unwrap_or(0))
            .unwrap_or(0);
        let text = std::fs::read_to_string(&body_file).unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Sends SIGTERM and waits (at most `seconds`) for the process to exit.
    pub fn terminate(&mut self, seconds: u64) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        e2e::tools::ok("kill", &["-TERM", &pid], None).expect("kill -TERM");
        for _ in 0..seconds * 10 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        None
    }

    /// Everything the backend logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("certdesk.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    /// Stops the backend as Kubernetes would (SIGTERM, then SIGKILL after 5 s), so
    /// what it does at shutdown (its last audit Events) happens in every test: another
    /// test's backend, which shares CertDesk's identity, may be the one that records an
    /// issuance.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let pid = self.child.id().to_string();
            let _ = e2e::tools::run("kill", &["-TERM", &pid], None);
            for _ in 0..50 {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A spawned process that is killed (and reaped) when dropped, so a failed assertion
/// leaves no backend running.
pub struct Spawned(pub std::process::Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The backend package's directory in the clone under test: the one cargo names when it
/// runs the test, else the one the test was built in. (The target directory is shared
/// by clones, and cargo reuses a test built in another clone's directory.)
pub fn package_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())
}

/// The local control plane's policy file, as `scripts/run.sh` passes it.
pub fn local_policy() -> String {
    format!("{}/../deploy/local/policy.yaml", package_dir())
}

/// The codes of a `policy_violation` answer's `details.violations`, in order.
pub fn violation_codes(json: &serde_json::Value) -> Vec<String> {
    json["details"]["violations"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|v| v["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
