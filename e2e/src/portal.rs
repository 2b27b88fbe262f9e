//! The backend alone, serving the release bundle in `dist/` with no cluster behind it:
//! enough for pages that need only the browser (the key-generation benchmark).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// A running `certdesk` serving `dist/` on a free port of 127.0.0.1; dropping it stops
/// the process.
pub struct Portal {
    child: Child,
    /// The base address, such as `http://127.0.0.1:41234`.
    pub url: String,
}

impl Portal {
    /// Starts the debug `certdesk` binary (build it with `cargo build -p backend --bin
    /// certdesk`) on the repository's `dist/` (build it with `trunk build --release`).
    pub fn serve_dist() -> Result<Self> {
        let root = crate::repo_root();
        let dist = root.join("dist");
        if !dist.join("index.html").is_file() {
            bail!(
                "{} has no index.html: run `trunk build --release` first",
                dist.display()
            );
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let binary = target.join("debug/certdesk");
        let mut child = Command::new(&binary)
            .args(["--listen", "127.0.0.1:0", "--static-dir"])
            .arg(&dist)
            .env_remove("CERTDESK_KUBECONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {}: run `cargo build -p backend --bin certdesk` first",
                    binary.display()
                )
            })?;
        let stdout = child.stdout.take().context("the backend's stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("CertDesk is listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => Ok(Self { child, url }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the backend did not report a listening address within 30 s")
            }
        }
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
