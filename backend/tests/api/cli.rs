//! The real binary's answer to configuration it cannot work with: a non-zero exit and
//! one line saying what to fix.

use std::net::TcpListener;
use std::process::Command;

fn certdesk() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_certdesk"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command
}

fn static_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for app in std::iter::once("").chain(backend::routes::assets::APPS.map(|(_, dir)| dir)) {
        std::fs::create_dir_all(dir.path().join(app)).unwrap();
        std::fs::write(dir.path().join(app).join("index.html"), "<!DOCTYPE html>").unwrap();
    }
    dir
}

#[test]
fn a_missing_static_dir_exits_non_zero_with_one_line_naming_the_fix() {
    let output = certdesk()
        .args([
            "--static-dir",
            "/nonexistent/certdesk-dist",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("certdesk:"))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("/nonexistent/certdesk-dist"), "{stderr}");
    assert!(lines[0].contains("scripts/build-frontend.sh"), "{stderr}");
}

#[test]
fn in_a_cluster_without_a_public_server_url_it_refuses_naming_the_flag() {
    let dir = static_dir();
    let output = certdesk()
        .env("KUBERNETES_SERVICE_HOST", "10.96.0.1")
        .env("KUBERNETES_SERVICE_PORT", "443")
        .arg("--static-dir")
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--public-server-url"), "{stderr}");
    assert!(stderr.contains("10.96.0.1"), "{stderr}");
}

#[test]
fn a_busy_port_exits_non_zero_with_one_line_naming_the_fix() {
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = busy.local_addr().unwrap().to_string();
    let dir = static_dir();
    let output = certdesk()
        .args(["--listen", &address, "--static-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("certdesk:"))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains(&address) && lines[0].contains("--listen"),
        "{stderr}"
    );
}

#[test]
fn a_malformed_listen_address_is_refused_by_the_flag_parser() {
    let dir = static_dir();
    let output = certdesk()
        .args(["--listen", "not-an-address", "--static-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--listen"));
}
