//! The page that makes private keys never travels in plain HTTP beyond loopback: the
//! real binary refuses to start so, serves HTTPS (reloading rotated files), or answers
//! only its TLS proxy.

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::helpers::{INDEX_HTML, Spawned};

/// The real binary with `flags`, without a cluster; returns it (killed when dropped)
/// and the URL it printed.
fn start(static_dir: &Path, flags: &[&str]) -> (Spawned, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .arg("--static-dir")
        .arg(static_dir)
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the certdesk binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let url = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("CertDesk is listening on ")
                .map(str::to_owned)
        })
        .expect("it says where it listens");
    (Spawned(child), url)
}

fn static_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for app in std::iter::once("").chain(backend::routes::assets::APPS.map(|(_, dir)| dir)) {
        std::fs::create_dir_all(dir.path().join(app)).expect("index");
        std::fs::write(dir.path().join(app).join("index.html"), INDEX_HTML).expect("index");
    }
    dir
}

/// A self-signed certificate for 127.0.0.1 into `cert` and `key`.
fn self_signed(cert: &Path, key: &Path) {
    e2e::tools::self_signed_for_loopback(cert, key).expect("openssl makes a certificate");
}

/// curl's status code and headers for `url`, with extra curl arguments.
fn curl(url: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["-sS", "-o", "/dev/null", "-D", "-", "-w", "\n%{http_code}"];
    args.extend_from_slice(extra);
    args.push(url);
    let run = e2e::tools::run("curl", &args, None).expect("curl runs");
    let (headers, status) = run.stdout.rsplit_once('\n').unwrap_or_default();
    (status.trim().to_owned(), headers.to_lowercase())
}

#[test]
fn plain_http_beyond_loopback_is_refused_at_start_saying_what_to_pass() {
    let dir = static_dir();
    let output = Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .env_clear()
        .arg("--static-dir")
        .arg(dir.path())
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    for flag in [
        "--tls-cert-file",
        "--tls-key-file",
        "--trusted-proxies",
        "--insecure-http",
    ] {
        assert!(said.contains(flag), "{said}");
    }
}

#[test]
fn https_is_served_with_hsts_and_a_rotated_certificate_is_picked_up() {
    let dir = static_dir();
    let files = tempfile::tempdir().expect("temp dir");
    let (cert, key) = (files.path().join("tls.crt"), files.path().join("tls.key"));
    self_signed(&cert, &key);
    let (child, url) = start(
        dir.path(),
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-cert-file",
            cert.to_str().unwrap(),
            "--tls-key-file",
            key.to_str().unwrap(),
        ],
    );
    assert!(url.starts_with("https://"), "{url}");
    let first = files.path().join("first.crt");
    std::fs::copy(&cert, &first).expect("copy");
    let (status, headers) = curl(
        &format!("{url}/healthz"),
        &["--cacert", first.to_str().unwrap()],
    );
    assert_eq!(status, "200");
    assert!(
        headers.contains("strict-transport-security: max-age=31536000"),
        "{headers}"
    );

    // cert-manager writes new files: the next handshakes use them, without a restart.
    let (new_cert, new_key) = (files.path().join("new.crt"), files.path().join("new.key"));
    self_signed(&new_cert, &new_key);
    std::fs::rename(&new_key, &key).expect("key");
    std::fs::rename(&new_cert, &cert).expect("cert");
    let mut rotated = false;
    for _ in 0..100 {
        if curl(
            &format!("{url}/healthz"),
            &["--cacert", cert.to_str().unwrap()],
        )
        .0 == "200"
        {
            rotated = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    drop(child);
    assert!(
        rotated,
        "the rotated certificate was not served within 10 s"
    );
}

#[test]
fn behind_a_proxy_only_the_proxy_may_ask_and_only_for_https_requests() {
    let dir = static_dir();
    let (trusted, url) = start(
        dir.path(),
        &[
            "--listen",
            "0.0.0.0:0",
            "--trusted-proxies",
            "127.0.0.1/32,::1/128",
        ],
    );
    let port = url.rsplit(':').next().expect("port");
    let base = format!("http://127.0.0.1:{port}");
    let config = format!("{base}/api/v1/config");
    let (status, headers) = curl(&config, &["-H", "X-Forwarded-Proto: https"]);
    assert_eq!(status, "200");
    assert!(headers.contains("strict-transport-security"), "{headers}");
    assert_eq!(curl(&config, &[]).0, "403", "no X-Forwarded-Proto");
    assert_eq!(curl(&config, &["-H", "X-Forwarded-Proto: http"]).0, "403");
    // The protocol is the proxy's word for the client's hop, not what the client wrote
    // on the left; Forwarded is read first.
    let spoofed = [
        "-H",
        "X-Forwarded-For: 203.0.113.7",
        "-H",
        "X-Forwarded-Proto: https, http",
    ];
    assert_eq!(curl(&config, &spoofed).0, "403", "a client's own https");
    let standard = [
        "-H",
        "Forwarded: for=203.0.113.7;proto=https",
        "-H",
        "X-Forwarded-Proto: http",
    ];
    assert_eq!(curl(&config, &standard).0, "200", "Forwarded first");
    assert_eq!(curl(&format!("{base}/"), &[]).0, "403", "the page itself");
    assert_eq!(curl(&format!("{base}/healthz"), &[]).0, "200", "probes");
    drop(trusted);

    // A peer that is not the proxy is refused whatever it claims.
    let (elsewhere, url) = start(
        dir.path(),
        &["--listen", "0.0.0.0:0", "--trusted-proxies", "10.0.0.0/8"],
    );
    let port = url.rsplit(':').next().expect("port");
    let (status, _) = curl(
        &format!("http://127.0.0.1:{port}/api/v1/config"),
        &["-H", "X-Forwarded-Proto: https"],
    );
    drop(elsewhere);
    assert_eq!(status, "403");
}

#[test]
fn a_client_that_sends_headers_slowly_is_cut_off() {
    use std::io::{Read, Write};
    let dir = static_dir();
    let (child, url) = start(
        dir.path(),
        &[
            "--listen",
            "127.0.0.1:0",
            "--header-read-timeout-seconds",
            "1",
        ],
    );
    let address = url.trim_start_matches("http://").to_owned();
    // Slowloris: a request's first line and one header, then nothing more.
    let mut slow = std::net::TcpStream::connect(&address).expect("connects");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: certdesk\r\n")
        .expect("writes");
    slow.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    let mut buffer = [0u8; 512];
    // Closed by the server: end of stream or a reset; still open: the read times out.
    let closed_by_server = |read: std::io::Result<usize>| match read {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    };
    let first = slow.read(&mut buffer);
    // hyper may answer 408 before closing: then the next read is the end.
    let closed = match first {
        Ok(n) if n > 0 => closed_by_server(slow.read(&mut buffer)),
        other => closed_by_server(other),
    };
    // Meanwhile an ordinary client is served.
    let (status, _) = curl(&format!("{url}/healthz"), &[]);
    drop(child);
    assert!(closed, "the slow connection is still open after 10 s");
    assert_eq!(status, "200");
}

#[test]
fn metrics_can_move_to_a_listener_of_their_own() {
    let dir = static_dir();
    let mut child = Spawned(
        Command::new(env!("CARGO_BIN_EXE_certdesk"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .arg("--static-dir")
            .arg(dir.path())
            .args(["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts"),
    );
    let mut lines = std::io::BufReader::new(child.0.stdout.take().expect("stdout"))
        .lines()
        .map_while(Result::ok);
    let metrics = lines
        .find_map(|l| {
            l.strip_prefix("CertDesk metrics are served on ")
                .map(str::to_owned)
        })
        .expect("it says where metrics are");
    let app = lines
        .find_map(|l| {
            l.strip_prefix("CertDesk is listening on ")
                .map(str::to_owned)
        })
        .expect("it says where it listens");
    let (status, own_headers) = curl(&metrics, &[]);
    // Beside the app, /metrics is now just one of the app's own paths.
    let (_, app_headers) = curl(&format!("{app}/metrics"), &[]);
    drop(child);
    assert_eq!(status, "200");
    assert!(own_headers.contains("openmetrics"), "{own_headers}");
    assert!(
        !app_headers.contains("openmetrics"),
        "metrics are still served beside the app"
    );
}
