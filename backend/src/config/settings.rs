//! What validation makes of the flags: one [`Settings`] holding every file read once
//! (the policy, the notification sinks, the renewal secret, the client CA) and the
//! decisions made from them, which `AppState` keeps and each module reads its part of.

use std::path::PathBuf;

use shared::PortalConfig;

use super::{AccessArgs, ClusterArgs, Config, LimitArgs, ServeArgs};
use crate::cluster::ClusterEndpoint;
use crate::notify::settings::Notifications;
use crate::policy_file::{Policy, PolicyError};
use crate::transport::Transport;

/// A configuration that cannot work, with what to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The static directory (or one of its apps' directories) has no `index.html`.
    #[error(
        "the static directory {0} has no index.html: build the frontend with scripts/build-frontend.sh (trunk build --release, and the admin/ and inspect/ apps) or pass --static-dir (CERTDESK_STATIC_DIR)"
    )]
    StaticDirMissing(PathBuf),
    /// The public server URL is not an https URL.
    #[error("--public-server-url (CERTDESK_PUBLIC_SERVER_URL) must start with https://, got {0:?}")]
    PublicServerUrl(String),
    /// In a cluster, with no public API server URL for the requesters' kubeconfigs.
    #[error(
        "running in a cluster (KUBERNETES_SERVICE_HOST={0}) without --public-server-url (CERTDESK_PUBLIC_SERVER_URL): pass the API server URL requesters reach from their machines, such as https://kubernetes.example.com:6443; the in-cluster address works only inside the cluster"
    )]
    PublicServerUrlMissing(String),
    /// The cluster name is empty.
    #[error("--cluster-name (CERTDESK_CLUSTER_NAME) must not be empty")]
    ClusterNameEmpty,
    /// The renewal secret file cannot be read or is too short.
    #[error(
        "--renewal-secret-file (CERTDESK_RENEWAL_SECRET_FILE) {0}: {1}; write at least 32 random bytes into it, e.g. `head -c 32 /dev/urandom > FILE`"
    )]
    RenewalSecret(PathBuf, String),
    /// Plain HTTP would be exposed beyond loopback.
    #[error("{0}")]
    Transport(String),
    /// The webhook is to be served without its TLS files.
    #[error(
        "--webhook-listen needs --webhook-tls-cert-file and --webhook-tls-key-file (CERTDESK_WEBHOOK_TLS_CERT_FILE, CERTDESK_WEBHOOK_TLS_KEY_FILE): the API server calls webhooks over HTTPS only"
    )]
    WebhookTls,
    /// The policy file cannot be read or makes no sense.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The notifications file cannot be read or makes no sense.
    #[error(transparent)]
    Notifications(#[from] crate::notify::settings::NotifyError),
    /// The client CA file cannot be read or holds no certificate.
    #[error(
        "--client-ca-file (CERTDESK_CLIENT_CA_FILE) {0}: {1}; give the PEM bundle of the CA that signs client certificates"
    )]
    ClientCa(PathBuf, String),
    /// The OpenID Connect settings make no sense.
    #[error("{0}")]
    Oidc(String),
    /// The peers make no sense.
    #[error("{0}")]
    Peers(String),
}

/// The validated configuration: each group of flags, and what was read from its files.
#[derive(Clone)]
pub struct Settings {
    /// The listener, TLS, proxies, the app's files and logs.
    pub serve: ServeArgs,
    /// The cluster and how requesters reach it.
    pub cluster: ClusterArgs,
    /// Rate limits and caps.
    pub limits: LimitArgs,
    /// The policy's switches as given on the command line (the policy file's own are in
    /// [`Self::policy`]; [`Self::portal_config`] merges them, once).
    pub access: AccessArgs,
    /// How browsers reach the listener.
    pub transport: Transport,
    /// The admission webhook, when it is to be served.
    pub webhook: Option<crate::webhook::Settings>,
    /// The operator's policy (the defaults without a file).
    pub policy: Policy,
    /// The notification sinks, their secrets read.
    pub notifications: Notifications,
    /// The bytes that authenticate renewal challenges, when given.
    pub renewal_secret: Option<Vec<u8>>,
    /// The CA bundle a certificate to renew must chain to, when given.
    pub client_ca: Option<String>,
    /// Approvers' OpenID Connect sign-in, when configured.
    pub oidc: Option<super::Oidc>,
    /// The CertDesk installs of other clusters, ordered.
    pub peers: Vec<shared::Peer>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("serve", &self.serve)
            .field("cluster", &self.cluster)
            .field("limits", &self.limits)
            .field("notifications", &self.notifications)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Checks what clap cannot (that the files and values named make sense together)
    /// and reads every file once.
    pub fn validate(self) -> Result<Settings, ConfigError> {
        let serve = &self.serve;
        let apps = crate::routes::assets::APPS.map(|(_, dir)| serve.static_dir.join(dir));
        for dir in std::iter::once(serve.static_dir.clone()).chain(apps) {
            if !dir.join("index.html").is_file() {
                return Err(ConfigError::StaticDirMissing(dir));
            }
        }
        let cluster = &self.cluster;
        if let Some(url) = &cluster.public_server_url
            && !url.starts_with("https://")
        {
            return Err(ConfigError::PublicServerUrl(url.clone()));
        }
        if cluster.kubeconfig.is_none()
            && cluster.public_server_url.is_none()
            && let Some(host) = std::env::var_os("KUBERNETES_SERVICE_HOST")
        {
            return Err(ConfigError::PublicServerUrlMissing(
                host.to_string_lossy().into_owned(),
            ));
        }
        if cluster.cluster_name.trim().is_empty() {
            return Err(ConfigError::ClusterNameEmpty);
        }
        let tls = match (&serve.tls_cert_file, &serve.tls_key_file) {
            (Some(cert), Some(key)) => Some((cert.as_path(), key.as_path())),
            _ => None,
        };
        let transport = crate::transport::decide(
            serve.listen,
            tls,
            &serve.trusted_proxies,
            serve.insecure_http,
        )
        .map_err(ConfigError::Transport)?;
        let webhook = &self.webhook;
        let webhook = match (
            webhook.webhook_listen,
            &webhook.webhook_tls_cert_file,
            &webhook.webhook_tls_key_file,
        ) {
            (None, _, _) => None,
            (Some(listen), Some(cert), Some(key)) => Some(crate::webhook::Settings {
                listen,
                cert: cert.clone(),
                key: key.clone(),
                client_ca: webhook.webhook_client_ca_file.clone(),
                per_minute: webhook.webhook_reviews_per_minute,
                burst: webhook.webhook_reviews_burst,
            }),
            (Some(_), _, _) => return Err(ConfigError::WebhookTls),
        };
        let policy = match &self.access.policy_file {
            Some(path) => Policy::read(path)?,
            None => Policy::default(),
        };
        let notifications = match &self.notify.notifications_file {
            Some(path) => Notifications::read(path)?,
            None => Notifications::default(),
        };
        let oidc = self.oidc.validate()?;
        let peers = self.peers.validate(&self.cluster.cluster_name)?;
        Ok(Settings {
            oidc,
            peers,
            renewal_secret: renewal_secret(self.access.renewal_secret_file.as_ref())?,
            client_ca: client_ca(self.cluster.client_ca_file.as_ref())?,
            serve: self.serve,
            cluster: self.cluster,
            limits: self.limits,
            access: self.access,
            transport,
            webhook,
            policy,
            notifications,
        })
    }
}

/// Reads the renewal secret file, if one is configured.
fn renewal_secret(path: Option<&PathBuf>) -> Result<Option<Vec<u8>>, ConfigError> {
    let Some(path) = path else {
        return Ok(None);
    };
    let secret =
        std::fs::read(path).map_err(|e| ConfigError::RenewalSecret(path.clone(), e.to_string()))?;
    if secret.len() < 32 {
        return Err(ConfigError::RenewalSecret(
            path.clone(),
            format!("it holds {} bytes", secret.len()),
        ));
    }
    Ok(Some(secret))
}

/// Reads the client CA bundle, if one is configured.
fn client_ca(path: Option<&PathBuf>) -> Result<Option<String>, ConfigError> {
    let Some(path) = path else {
        return Ok(None);
    };
    let pem = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::ClientCa(path.clone(), e.to_string()))?;
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(ConfigError::ClientCa(
            path.clone(),
            "it holds no PEM certificate".to_owned(),
        ));
    }
    Ok(Some(pem))
}

impl Settings {
    /// Returns what the browser is told about the cluster and the policy, given the
    /// cluster the backend itself talks to (if known): the one place the command line's
    /// switches and the policy file's are merged.
    pub fn portal_config(&self, cluster: Option<&ClusterEndpoint>) -> PortalConfig {
        let (access, policy) = (&self.access, &self.policy);
        PortalConfig {
            cluster_name: self.cluster.cluster_name.clone(),
            server_url: self
                .cluster
                .public_server_url
                .clone()
                .or_else(|| cluster.map(|c| c.server.clone()))
                .unwrap_or_default(),
            ca_bundle_pem: cluster.map(|c| c.ca_pem.clone()).unwrap_or_default(),
            key_algorithms: policy.key_algorithms.clone(),
            duration: policy.duration,
            policy: policy.limits.clone(),
            invite_required: access.invite_required || policy.invite_required,
            auto_approve_invites: access.auto_approve_invites,
            auto_approve_renewals: access.auto_approve_renewals || policy.auto_approve_renewals,
            plugin_downloads: Vec::new(),
            approvers_contact: access.approvers_contact.clone(),
            oidc: self.oidc.as_ref().map(|o| o.config.clone()),
            peers: self.peers.clone(),
        }
    }
}
