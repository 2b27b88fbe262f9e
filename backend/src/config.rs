//! The backend's configuration: every setting is a flag with an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::cluster::ClusterEndpoint;
use clap::{Parser, ValueEnum};
use shared::{DurationLimits, KeyAlgorithm, PolicyLimits, PortalConfig};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

/// Everything the backend can be told at start-up.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "certdesk",
    version,
    about = "Self-service Kubernetes access with client certificates"
)]
pub struct Config {
    /// Address to serve HTTP on.
    #[arg(long, env = "CERTDESK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory holding the built frontend (`trunk build --release` writes `dist/`).
    #[arg(long, env = "CERTDESK_STATIC_DIR", default_value = "dist")]
    pub static_dir: PathBuf,

    /// The cluster's name as requesters' kubeconfigs will call it.
    #[arg(long, env = "CERTDESK_CLUSTER_NAME", default_value = "kubernetes")]
    pub cluster_name: String,

    /// Kubeconfig of CertDesk's own identity (in a cluster, the pod's ServiceAccount is used).
    #[arg(long, env = "CERTDESK_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,

    /// The API server URL requesters use (defaults to the kubeconfig's server).
    #[arg(long, env = "CERTDESK_PUBLIC_SERVER_URL")]
    pub public_server_url: Option<String>,

    /// The namespace CertDesk runs in; its `kube-root-ca.crt` ConfigMap supplies the CA
    /// bundle when the kubeconfig has none.
    #[arg(long, env = "CERTDESK_NAMESPACE", default_value = "certdesk")]
    pub namespace: String,

    /// Submissions one client address may make per minute (sustained).
    #[arg(long, env = "CERTDESK_SUBMIT_PER_MINUTE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub submit_per_minute: u32,

    /// Submissions one client address may make in a burst.
    #[arg(long, env = "CERTDESK_SUBMIT_BURST", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub submit_burst: u32,

    /// Log format.
    #[arg(long, env = "CERTDESK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// A configuration that cannot work, with what to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The static directory does not exist or has no `index.html`.
    #[error(
        "the static directory {0} has no index.html: build the frontend with `trunk build --release` or pass --static-dir (CERTDESK_STATIC_DIR)"
    )]
    StaticDirMissing(PathBuf),
    /// The public server URL is not an https URL.
    #[error("--public-server-url (CERTDESK_PUBLIC_SERVER_URL) must start with https://, got {0:?}")]
    PublicServerUrl(String),
    /// The cluster name is empty.
    #[error("--cluster-name (CERTDESK_CLUSTER_NAME) must not be empty")]
    ClusterNameEmpty,
}

impl Config {
    /// Checks what clap cannot: that the files and values named make sense together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.static_dir.join("index.html").is_file() {
            return Err(ConfigError::StaticDirMissing(self.static_dir.clone()));
        }
        if let Some(url) = &self.public_server_url
            && !url.starts_with("https://")
        {
            return Err(ConfigError::PublicServerUrl(url.clone()));
        }
        if self.cluster_name.trim().is_empty() {
            return Err(ConfigError::ClusterNameEmpty);
        }
        Ok(())
    }

    /// Returns what the browser is told about the cluster and the policy, given the
    /// cluster the backend itself talks to (if known).
    pub fn portal_config(&self, cluster: Option<&ClusterEndpoint>) -> PortalConfig {
        PortalConfig {
            cluster_name: self.cluster_name.clone(),
            server_url: self
                .public_server_url
                .clone()
                .or_else(|| cluster.map(|c| c.server.clone()))
                .unwrap_or_default(),
            ca_bundle_pem: cluster.map(|c| c.ca_pem.clone()).unwrap_or_default(),
            key_algorithms: KeyAlgorithm::ALL.to_vec(),
            duration: DurationLimits::default(),
            policy: PolicyLimits::default(),
            invite_required: false,
        }
    }
}
