//! `kube-identity` (`e2e/cluster/cmd/kube-identity`): the cluster's own Go code reading a
//! CSR from creation to authentication. Built once from the same Go module as the local
//! control plane (whose build cache it shares), into the cache outside the clone.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use serde::Deserialize;

/// What the cluster makes of one CSR.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Answer {
    /// The corpus entry's name.
    pub name: String,
    /// `identity`, `unauthenticated` (the certificate names no user) or `refused`.
    pub outcome: String,
    /// The username the API server authenticates, for `identity`.
    #[serde(default)]
    pub username: String,
    /// The groups, for `identity`.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Where and why the cluster refused it, for `refused`.
    #[serde(default)]
    pub error: String,
}

/// Builds the program if this source has not been built yet; returns its path.
pub fn build() -> Result<PathBuf> {
    let module = crate::repo_root().join("e2e/cluster");
    let mut source = Vec::new();
    for file in ["go.mod", "go.sum", "cmd/kube-identity/main.go"] {
        source.extend(std::fs::read(module.join(file)).with_context(|| file.to_owned())?);
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, &source);
    let key: String = digest.as_ref()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let cache = crate::cache_dir();
    let binary = cache.join("tools").join(format!("kube-identity-{key}"));
    if binary.is_file() {
        return Ok(binary);
    }
    let output = Command::new("go")
        .current_dir(&module)
        .env("GOCACHE", cache.join("go-build"))
        .env("GOMODCACHE", cache.join("go-mod"))
        .env("GOFLAGS", "-buildvcs=false")
        .args(["build", "-trimpath", "-o"])
        .arg(&binary)
        .arg("./cmd/kube-identity")
        .output()
        .context("cannot run `go build` (Go is needed for the differential test)")?;
    if !output.status.success() {
        bail!(
            "go build ./cmd/kube-identity failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(binary)
}

/// Runs the program on `entries` (name, DER) and returns its answers, in order.
pub fn read(entries: &[(&str, &[u8])]) -> Result<Vec<Answer>> {
    let mut child = Command::new(build()?)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start kube-identity")?;
    let mut input = String::new();
    for (name, der) in entries {
        let line = serde_json::json!({
            "name": name,
            "der": base64::engine::general_purpose::STANDARD.encode(der),
        });
        input.push_str(&line.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().context("stdin")?;
    std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "kube-identity failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout)?
        .lines()
        .map(|line| serde_json::from_str(line).with_context(|| line.to_owned()))
        .collect()
}
