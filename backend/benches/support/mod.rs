//! What the release-binary benches share: the backend as a child process serving
//! placeholder apps, the load average beside each figure, and percentiles.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use e2e::cluster::ControlPlane;

/// The release backend (`CERTDESK_BIN`) running; dropping it kills it.
pub struct Backend {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the backend as CertDesk's ServiceAccount on `cluster`, serving placeholder
/// apps from `dir/static`, with `args` after the common ones; returns once it listens.
pub fn start_backend(cluster: &ControlPlane, dir: &Path, args: &[String]) -> Result<Backend> {
    for app in std::iter::once("").chain(backend::routes::assets::APPS.map(|(_, dir)| dir)) {
        std::fs::create_dir_all(dir.join("static").join(app))?;
        std::fs::write(
            dir.join("static").join(app).join("index.html"),
            "<!DOCTYPE html>",
        )?;
    }
    let binary = std::env::var("CERTDESK_BIN").context("CERTDESK_BIN names the binary")?;
    let mut child = Command::new(binary)
        .args(["--listen", "127.0.0.1:0", "--static-dir"])
        .arg(dir.join("static"))
        .arg("--kubeconfig")
        .arg(cluster.backend_kubeconfig())
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("the certdesk binary starts")?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("CertDesk is listening on ") {
                    break url.trim().to_owned();
                }
            }
            _ => bail!("certdesk exited before listening"),
        }
    };
    Ok(Backend { child, base })
}

/// The load average (1, 5, 15 minutes), printed beside each figure.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The `p`-th percentile of `samples`, in milliseconds.
pub fn percentile(samples: &mut [Duration], p: usize) -> f64 {
    samples.sort();
    samples[(samples.len() * p / 100).min(samples.len() - 1)].as_secs_f64() * 1e3
}
