//! The local OpenID Connect issuer: the server (`issuer`, run by the `mock-oidc` binary
//! beside a control plane started with `CERTDESK_CLUSTER_OIDC=1`) and what tests read
//! of it ([`LocalIssuer`]).

pub mod issuer;
pub mod keys;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The issuer a control plane trusts, as `scripts/cluster.sh` wrote it in `<dir>/oidc`.
#[derive(Debug, Clone)]
pub struct LocalIssuer {
    dir: PathBuf,
    /// Its URL (`iss`).
    pub url: String,
}

/// A user of the local issuer.
#[derive(Debug, Clone)]
pub struct Login {
    /// The login name (`sub`).
    pub name: String,
    /// The password.
    pub password: String,
}

impl LocalIssuer {
    /// The issuer of the control plane in `cluster_dir`; fails when it was started without one.
    pub fn of(cluster_dir: &Path) -> Result<Self> {
        let dir = cluster_dir.join("oidc");
        let url = std::fs::read_to_string(dir.join("issuer"))
            .with_context(|| {
                format!(
                    "{} has no local OIDC issuer (start it with CERTDESK_CLUSTER_OIDC=1)",
                    cluster_dir.display()
                )
            })?
            .trim()
            .to_owned();
        Ok(Self { dir, url })
    }

    /// The CA certificate (PEM) its serving certificate chains to.
    pub fn ca_pem(&self) -> Result<String> {
        Ok(std::fs::read_to_string(self.dir.join("ca.crt"))?)
    }

    /// The CA certificate's path.
    pub fn ca_path(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// The SHA-256 of its serving key's SubjectPublicKeyInfo, base64 (Chromium's
    /// `--ignore-certificate-errors-spki-list` trusts exactly that key).
    pub fn spki_sha256(&self) -> Result<String> {
        Ok(std::fs::read_to_string(self.dir.join("spki.sha256"))?
            .trim()
            .to_owned())
    }

    /// The user bound to `certdesk:approver` (group `certdesk-approvers`).
    pub fn approver(&self) -> Result<Login> {
        self.user("alice")
    }

    /// A user by name.
    pub fn user(&self, name: &str) -> Result<Login> {
        let users: Vec<issuer::User> =
            serde_json::from_str(&std::fs::read_to_string(self.dir.join("users.json"))?)?;
        let user = users
            .into_iter()
            .find(|u| u.name == name)
            .with_context(|| format!("the local issuer has no user {name}"))?;
        Ok(Login {
            name: user.name,
            password: user.password,
        })
    }

    /// A token with any claims this issuer signs (`POST /mint`): `aud` defaults to the
    /// client ID; `expires_in` may be negative.
    pub async fn mint(
        &self,
        sub: &str,
        groups: &[&str],
        aud: Option<&str>,
        expires_in: i64,
    ) -> Result<String> {
        let secret = std::fs::read_to_string(self.dir.join("mint.secret"))?;
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(self.ca_pem()?.as_bytes())?)
            .build()?;
        let body =
            serde_json::json!({"sub": sub, "groups": groups, "aud": aud, "expires_in": expires_in});
        let response = client
            .post(format!("{}/mint", self.url))
            .bearer_auth(secret.trim())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("the local issuer refused to mint: {}", response.status());
        }
        Ok(response.text().await?)
    }
}

/// A second local issuer the API server does not trust: the first one's serving key and
/// users on another port (so another `iss`) with a signing key of its own. Stops when
/// dropped.
pub struct StrangerIssuer {
    /// What tests read of it.
    pub issuer: LocalIssuer,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl StrangerIssuer {
    /// Starts `binary` (the `mock-oidc` of this crate) beside `trusted`.
    pub fn start(trusted: &LocalIssuer, binary: &str) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        for file in ["tls.crt", "tls.key", "ca.crt", "users.json", "mint.secret"] {
            std::fs::copy(trusted.dir.join(file), dir.path().join(file))?;
        }
        let port = crate::tools::free_port()?;
        let url = format!("https://127.0.0.1:{port}");
        std::fs::write(dir.path().join("issuer"), &url)?;
        let child = std::process::Command::new(binary)
            .arg("--dir")
            .arg(dir.path())
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {binary}"))?;
        let issuer = LocalIssuer {
            dir: dir.path().to_path_buf(),
            url,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(Self {
                    issuer,
                    child,
                    _dir: dir,
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        bail!("the second issuer did not listen on {port}")
    }
}

impl Drop for StrangerIssuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
