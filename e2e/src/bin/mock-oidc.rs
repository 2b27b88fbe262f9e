//! `mock-oidc`: the local OpenID Connect issuer (`e2e::oidc::issuer`) over HTTPS, for the
//! local control plane's `--authentication-config` (`CERTDESK_LOCAL_OIDC=1
//! scripts/run.sh`, `scripts/test.sh`). Started by `scripts/cluster.sh`:
//!
//! ```text
//! mock-oidc --dir <cluster>/oidc --listen 127.0.0.1:PORT
//! ```
//!
//! `<dir>` holds `issuer` (its URL), `tls.crt`/`tls.key` (its serving certificate),
//! `users.json` (`[{"name", "password", "groups"}]`), `mint.secret`, and optionally
//! `token-seconds` (default 60) and `no-refresh` (present: no refresh tokens).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use e2e::oidc::issuer::{Settings, User, router};

fn read(dir: &std::path::Path, name: &str) -> Result<String> {
    let path = dir.join(name);
    Ok(std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .trim()
        .to_owned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let mut dir = None;
    let mut listen = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => dir = args.next().map(PathBuf::from),
            "--listen" => listen = args.next(),
            other => bail!("unknown argument {other:?}; usage: mock-oidc --dir DIR --listen ADDR"),
        }
    }
    let (Some(dir), Some(listen)) = (dir, listen) else {
        bail!("usage: mock-oidc --dir DIR --listen ADDR");
    };
    e2e::tls::init();
    let users: Vec<User> =
        serde_json::from_str(&read(&dir, "users.json")?).context("users.json")?;
    let token_seconds = match read(&dir, "token-seconds") {
        Ok(text) => text.parse().context("token-seconds is not a number")?,
        Err(_) => 60,
    };
    let settings = Settings {
        issuer: read(&dir, "issuer")?,
        client_id: read(&dir, "client-id").unwrap_or_else(|_| "certdesk".to_owned()),
        users,
        token_seconds,
        refresh: !dir.join("no-refresh").exists(),
        mint_secret: read(&dir, "mint.secret")?,
    };
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(
        dir.join("tls.crt"),
        dir.join("tls.key"),
    )
    .await
    .context("cannot read the serving certificate")?;
    let address: std::net::SocketAddr = listen.parse().context("--listen is not an address")?;
    eprintln!("mock-oidc: {} on {address}", settings.issuer);
    axum_server::bind_rustls(address, tls)
        .serve(router(settings)?.into_make_service())
        .await
        .context("the server stopped")
}
