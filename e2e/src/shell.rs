//! Running the commands a page offers, literally, as a person pastes them: bash in a
//! HOME of their own whose `~/Downloads` is the browser's download directory, with
//! `~/.local/bin` first on PATH (where the pages install kubectl-certdesk).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

/// A person's HOME for pasted commands.
pub struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    /// A fresh HOME whose `Downloads` is `downloads` (the browser's directory).
    pub fn with_downloads(downloads: &Path) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        std::os::unix::fs::symlink(downloads, dir.path().join("Downloads"))?;
        Ok(Self { dir })
    }

    /// The HOME directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `command` with `bash -euo pipefail -c` in this HOME (and as its current
    /// directory), with `CERTDESK_RENEW_AT` set when given; returns whether it
    /// succeeded and what it printed (standard output, then standard error).
    pub fn run(&self, command: &str, renew_at: Option<&str>) -> Result<(bool, String)> {
        let home = self.path();
        let path = format!(
            "{}:{}",
            home.join(".local/bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut shell = Command::new("bash");
        shell
            .args(["-euo", "pipefail", "-c", command])
            .current_dir(home)
            .env("HOME", home)
            .env("PATH", path)
            .env_remove("KUBECONFIG")
            .env_remove("XDG_STATE_HOME")
            .env_remove("CERTDESK_RENEW_AT");
        if let Some(fraction) = renew_at {
            shell.env("CERTDESK_RENEW_AT", fraction);
        }
        let out = shell.output().context("cannot run bash")?;
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok((out.status.success(), said))
    }

    /// Runs `command` and fails with what it printed when it fails.
    pub fn run_ok(&self, command: &str) -> Result<String> {
        let (ok, said) = self.run(command, None)?;
        anyhow::ensure!(ok, "`{command}` failed: {said}");
        Ok(said)
    }
}
