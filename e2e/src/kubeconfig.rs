//! A kubeconfig the browser downloaded, read and used with real `kubectl`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::tools::{self, Run};

/// A kubeconfig file as a requester received it.
#[derive(Debug, Clone)]
pub struct Kubeconfig {
    /// Where the file is.
    pub path: PathBuf,
}

impl Kubeconfig {
    /// Wraps a kubeconfig file.
    pub fn at(path: impl AsRef<Path>) -> Self {
        Self {
            path: path.as_ref().to_path_buf(),
        }
    }

    /// Runs `kubectl --kubeconfig <file> <args>` and returns what it printed.
    pub fn kubectl(&self, args: &[&str]) -> Result<Run> {
        tools::kubectl(&self.path, args, None)
    }

    /// Returns a field of the current context's entries, as `kubectl config view --minify
    /// --raw` reads it (so a file kubectl cannot read, or one with no current context,
    /// fails here).
    pub fn field(&self, jsonpath: &str) -> Result<String> {
        let run = self.kubectl(&[
            "config",
            "view",
            "--minify",
            "--raw",
            "-o",
            &format!("jsonpath={jsonpath}"),
        ])?;
        if !run.success {
            bail!(
                "kubectl cannot read {}: {}",
                self.path.display(),
                run.stderr
            );
        }
        Ok(run.stdout.trim().to_owned())
    }

    /// The embedded client certificate (PEM).
    pub fn client_certificate_pem(&self) -> Result<String> {
        self.embedded("{.users[0].user.client-certificate-data}")
    }

    /// The embedded private key (PEM).
    pub fn client_key_pem(&self) -> Result<String> {
        self.embedded("{.users[0].user.client-key-data}")
    }

    fn embedded(&self, jsonpath: &str) -> Result<String> {
        let data = self.field(jsonpath)?;
        if data.is_empty() {
            bail!("{} has no {jsonpath}", self.path.display());
        }
        let bytes = STANDARD
            .decode(&data)
            .with_context(|| format!("{jsonpath} is not base64"))?;
        String::from_utf8(bytes).with_context(|| format!("{jsonpath} is not a PEM text"))
    }

    /// What the API server says this kubeconfig authenticates as (`kubectl auth whoami`):
    /// the username and the groups.
    pub fn whoami(&self) -> Result<(String, Vec<String>)> {
        let run = self.kubectl(&["auth", "whoami", "-o", "json"])?;
        if !run.success {
            bail!("kubectl auth whoami failed: {}{}", run.stdout, run.stderr);
        }
        let review: serde_json::Value = serde_json::from_str(&run.stdout)
            .with_context(|| format!("kubectl auth whoami printed no JSON: {}", run.stdout))?;
        let user = &review["status"]["userInfo"];
        let name = user["username"].as_str().unwrap_or_default().to_owned();
        let groups = user["groups"]
            .as_array()
            .map(|g| {
                g.iter()
                    .filter_map(|g| g.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok((name, groups))
    }
}
