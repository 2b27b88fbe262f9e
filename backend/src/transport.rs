//! How the page reaches the browser: CertDesk serves the page that makes private keys,
//! so whoever can alter it in transit can take every key. On a loopback address plain
//! HTTP is fine; anywhere else the backend speaks TLS itself (`--tls-cert-file`,
//! reloaded when the files change, as cert-manager rotates them), or sits behind a
//! TLS-terminating proxy it is told about (`--trusted-proxies`: then only that proxy
//! may talk to it, and only for requests that reached it over HTTPS), or the operator
//! says `--insecure-http` and owns the risk. It refuses to start otherwise.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use shared::ErrorCode;

use crate::error::Error;

/// How often the TLS files are checked for a change.
pub const TLS_RELOAD_EVERY: Duration = Duration::from_secs(2);

/// The `Strict-Transport-Security` value sent whenever the browser is on HTTPS.
pub const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");

/// How the backend's listener is reached, decided from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// HTTPS, served by the backend with these files.
    Tls {
        /// The certificate chain (PEM).
        cert: PathBuf,
        /// The private key (PEM).
        key: PathBuf,
    },
    /// Plain HTTP behind TLS-terminating proxies at these addresses.
    BehindProxy(Arc<Vec<IpNet>>),
    /// Plain HTTP on a loopback address, or anywhere with `--insecure-http`.
    Plain,
}

impl Transport {
    /// Returns whether browsers reach the backend over HTTPS (so HSTS applies).
    pub fn is_https(&self) -> bool {
        !matches!(self, Transport::Plain)
    }
}

/// Decides the transport, or says what to pass when plain HTTP would be exposed.
pub fn decide(
    listen: SocketAddr,
    tls: Option<(&Path, &Path)>,
    trusted_proxies: &[IpNet],
    insecure_http: bool,
) -> Result<Transport, String> {
    if let Some((cert, key)) = tls {
        return Ok(Transport::Tls {
            cert: cert.to_owned(),
            key: key.to_owned(),
        });
    }
    if !trusted_proxies.is_empty() {
        return Ok(Transport::BehindProxy(Arc::new(trusted_proxies.to_vec())));
    }
    if listen.ip().is_loopback() || insecure_http {
        return Ok(Transport::Plain);
    }
    Err(format!(
        "--listen {listen} is not a loopback address, and CertDesk serves the page that makes private keys: \
         serve it over TLS with --tls-cert-file and --tls-key-file (CERTDESK_TLS_CERT_FILE, CERTDESK_TLS_KEY_FILE), \
         or name the TLS-terminating proxy in front with --trusted-proxies CIDR (CERTDESK_TRUSTED_PROXIES), \
         or pass --insecure-http (CERTDESK_INSECURE_HTTP) to serve plain HTTP anyway"
    ))
}

/// Behind a proxy: lets through only requests from a trusted proxy that reached it
/// over HTTPS (`Forwarded: proto=https`, else `X-Forwarded-Proto: https`, as recorded
/// for the client's hop by a trusted proxy: [`crate::client::forwarded`]); health and
/// metrics are answered to anyone (kubelets and Prometheus call them directly).
pub async fn only_through_https_proxy(
    State(trusted): State<Arc<Vec<IpNet>>>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(request.uri().path(), "/healthz" | "/readyz" | "/metrics") {
        return next.run(request).await;
    }
    let peer: Option<IpAddr> = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let from_proxy = peer.is_some_and(|ip| trusted.iter().any(|net| net.contains(&ip)));
    let over_https = crate::client::forwarded(peer, request.headers(), &trusted)
        .and_then(|f| f.proto)
        .is_some_and(|proto| proto == "https");
    if from_proxy && over_https {
        next.run(request).await
    } else {
        Error::client(
            ErrorCode::InsecureTransport,
            "CertDesk is served over HTTPS only, through its TLS proxy: open it at its https:// address.",
        )
        .into_response()
    }
}

/// Adds `Strict-Transport-Security` to every answer.
pub async fn hsts(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    response
}

/// Loads the TLS files, and keeps reloading them in the background whenever either
/// changes (a failed reload keeps the certificate being served, and is logged).
pub async fn tls_config(
    cert: &Path,
    key: &Path,
) -> anyhow::Result<axum_server::tls_rustls::RustlsConfig> {
    use anyhow::Context;
    crate::cluster::install_crypto_provider();
    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| {
            format!(
                "cannot use --tls-cert-file {} and --tls-key-file {}: give a PEM certificate chain and its key",
                cert.display(),
                key.display()
            )
        })?;
    let (cert, key, reloading) = (cert.to_owned(), key.to_owned(), config.clone());
    tokio::spawn(async move {
        let mut seen = stamp(&cert, &key);
        let mut tick = tokio::time::interval(TLS_RELOAD_EVERY);
        loop {
            tick.tick().await;
            let now = stamp(&cert, &key);
            if now == seen {
                continue;
            }
            match reloading.reload_from_pem_file(&cert, &key).await {
                Ok(()) => {
                    tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
                    seen = now;
                }
                // Half-written files (the cert before the key): try again next tick.
                Err(error) => tracing::warn!(%error, "TLS files changed but cannot be loaded yet"),
            }
        }
    });
    Ok(config)
}

/// What identifies the files' current contents: modification times and sizes.
fn stamp(cert: &Path, key: &Path) -> [(Option<SystemTime>, u64); 2] {
    let one = |path: &Path| {
        std::fs::metadata(path)
            .map(|m| (m.modified().ok(), m.len()))
            .unwrap_or((None, 0))
    };
    [one(cert), one(key)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(address: &str) -> SocketAddr {
        address.parse().expect("address")
    }

    #[test]
    fn plain_http_is_only_for_loopback_unless_said_otherwise() {
        assert_eq!(
            decide(at("127.0.0.1:8080"), None, &[], false),
            Ok(Transport::Plain)
        );
        assert_eq!(
            decide(at("[::1]:8080"), None, &[], false),
            Ok(Transport::Plain)
        );
        let refusal = decide(at("0.0.0.0:8080"), None, &[], false).expect_err("refused");
        for flag in ["--tls-cert-file", "--trusted-proxies", "--insecure-http"] {
            assert!(refusal.contains(flag), "{refusal}");
        }
        assert_eq!(
            decide(at("0.0.0.0:8080"), None, &[], true),
            Ok(Transport::Plain)
        );
        let proxies = ["10.0.0.0/8".parse().expect("cidr")];
        assert!(matches!(
            decide(at("0.0.0.0:8080"), None, &proxies, false),
            Ok(Transport::BehindProxy(_))
        ));
        let files = (Path::new("c.pem"), Path::new("k.pem"));
        assert!(decide(at("0.0.0.0:8443"), Some(files), &[], false).is_ok_and(|t| t.is_https()));
    }
}
