//! Everything that speaks to Kubernetes, and every workflow that does: submit, renew,
//! withdraw, approve, deny and follow a request, each with its audit entry, metrics and
//! auto-approval. Routes call these and never the Kubernetes API; a workflow's failure
//! is an [`Error`] that records whose credentials failed.
//!
//! - [`standing`]: where a request stands (the one function every page and stream asks);
//! - [`access`]: the identity rule (the one entry point every approval runs);
//! - [`submit`], [`renewal`], [`withdrawals`], [`approver`], [`follow`]: the workflows;
//! - [`cache`], [`records`], [`bindings`], [`watch`]: what the backend watches;
//! - [`invites`], [`people`], [`resources`]: CertDesk's own resources.

use std::path::Path;
use std::sync::Arc;

pub mod access;
pub mod approver;
pub mod auto_approve;
pub mod bindings;
pub mod cache;
pub mod error;
pub mod follow;
pub mod invites;
pub mod people;
pub mod records;
pub mod removals;
pub mod renewal;
pub mod requests;
pub mod resources;
pub mod signing;
pub mod standing;
pub mod submit;
pub mod ttl_cache;
pub mod watch;
pub mod withdrawals;

pub use error::{Error, Result, Whose};

use anyhow::{Context, bail};
use kube::config::Kubeconfig;

/// The operator's rules the workflows apply, read once at start-up.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// What the browser is told: the policy's limits, lifetimes, key algorithms, and
    /// whether invites are required and what CertDesk approves by itself.
    pub portal: Arc<shared::PortalConfig>,
    /// Ask the deciding person about every username, bound or not
    /// (`usernames.alwaysRequireImpersonate`).
    pub always_require_impersonate: bool,
}

/// Makes ring the process's TLS crypto provider, once; later calls change nothing.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// What requesters need to reach the cluster: its API server URL and CA bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterEndpoint {
    /// The API server URL.
    pub server: String,
    /// The CA bundle (PEM) that verifies the API server.
    pub ca_pem: String,
}

/// Reads the current context's cluster URL and CA from a kubeconfig file.
pub fn endpoint_from_kubeconfig(path: &Path) -> anyhow::Result<ClusterEndpoint> {
    let kubeconfig = Kubeconfig::read_from(path)
        .with_context(|| format!("cannot read the kubeconfig {}", path.display()))?;
    let context_name = kubeconfig
        .current_context
        .clone()
        .with_context(|| format!("the kubeconfig {} has no current-context", path.display()))?;
    let context = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context_name)
        .and_then(|c| c.context.as_ref())
        .with_context(|| {
            format!(
                "the kubeconfig {} has no context {context_name:?}",
                path.display()
            )
        })?;
    let cluster = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == context.cluster)
        .and_then(|c| c.cluster.as_ref())
        .with_context(|| {
            format!(
                "the kubeconfig {} has no cluster {:?}",
                path.display(),
                context.cluster
            )
        })?;
    let server = cluster
        .server
        .clone()
        .context("the kubeconfig's cluster has no server")?;
    let ca_pem = if let Some(data) = &cluster.certificate_authority_data {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .context("the kubeconfig's certificate-authority-data is not base64")?;
        String::from_utf8(bytes)
            .context("the kubeconfig's certificate-authority-data is not PEM")?
    } else if let Some(file) = &cluster.certificate_authority {
        let file = path.parent().unwrap_or(Path::new(".")).join(file);
        std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read the CA file {}", file.display()))?
    } else {
        String::new()
    };
    if !ca_pem.is_empty() && !ca_pem.contains("-----BEGIN CERTIFICATE-----") {
        bail!("the kubeconfig's CA is not a PEM certificate bundle");
    }
    Ok(ClusterEndpoint { server, ca_pem })
}

/// The backend's own connection to the cluster, its namespace, and the watch cache of
/// CSRs every status page and the approver list read from.
#[derive(Clone)]
pub struct Cluster {
    /// A client acting as CertDesk's own (least-privilege) identity.
    pub client: kube::Client,
    /// How the backend reaches the API server; approver clients reuse its URL and CA only.
    pub config: kube::Config,
    /// The namespace CertDesk runs in (where `kube-root-ca.crt` is read).
    pub namespace: String,
    /// The watch cache of `kube-apiserver-client` CSRs.
    pub cache: cache::RequestCache,
    /// The watch cache of issuance records.
    pub records: records::RecordStore,
    /// The audit trail (log lines and Kubernetes Events).
    pub audit: crate::audit::Audit,
    /// The watch cache of who is named in bindings.
    pub bindings: bindings::BindingCache,
    /// The signing deadline and what is known of the signer.
    pub signing: signing::Signing,
    /// The watch cache of withdrawn requests.
    pub withdrawals: withdrawals::WithdrawalStore,
    /// The operator's rules.
    pub rules: Arc<Rules>,
    /// The metrics the workflows count into.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Answers to SubjectAccessReviews about a person, kept briefly.
    pub reviews: Arc<access::ReviewCache>,
    /// Approvers' clients, reused per token for a minute.
    approver_clients: Arc<ttl_cache::TtlCache<kube::Client>>,
    identity: Arc<std::sync::OnceLock<String>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("server", &self.config.cluster_url.to_string())
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// Connects with the given kubeconfig, or else the in-cluster configuration (or the
    /// usual kubeconfig lookup), and starts the watch cache in the background.
    pub async fn connect(kubeconfig: Option<&Path>, namespace: &str) -> anyhow::Result<Self> {
        install_crypto_provider();
        let config = match kubeconfig {
            Some(path) => {
                let kubeconfig = Kubeconfig::read_from(path)
                    .with_context(|| format!("cannot read the kubeconfig {}", path.display()))?;
                kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
                    .await
                    .with_context(|| format!("cannot use the kubeconfig {}", path.display()))?
            }
            // In a pod: the ServiceAccount's token and CA, whatever else is around.
            None if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() => {
                kube::Config::incluster().context(
                    "running in a cluster, but the ServiceAccount's token or CA cannot be read (/var/run/secrets/kubernetes.io/serviceaccount)",
                )?
            }
            None => kube::Config::infer()
                .await
                .context("no --kubeconfig given and no in-cluster or default kubeconfig found")?,
        };
        let client =
            kube::Client::try_from(config.clone()).context("cannot build a Kubernetes client")?;
        let cache = cache::RequestCache::start(client.clone());
        let records = records::RecordStore::start(client.clone());
        let withdrawals = withdrawals::WithdrawalStore::start(client.clone(), cache.clone());
        let audit = crate::audit::Audit::new(client.clone());
        let bindings = bindings::BindingCache::start(client.clone());
        let identity = std::sync::Arc::new(std::sync::OnceLock::new());
        tokio::spawn(learn_identity(client.clone(), identity.clone()));
        let signing = signing::Signing::new(std::time::Duration::from_secs(60));
        signing.learn(client.clone());
        records::spawn_writer(
            client.clone(),
            cache.clone(),
            records.clone(),
            audit.clone(),
            identity.clone(),
        );
        Ok(Self {
            client,
            config,
            namespace: namespace.to_owned(),
            cache,
            records,
            audit,
            bindings,
            signing,
            withdrawals,
            rules: Arc::default(),
            metrics: Arc::default(),
            reviews: Arc::new(access::ReviewCache::new(
                access::REVIEW_CAPACITY,
                access::REVIEW_TTL,
            )),
            approver_clients: Arc::new(ttl_cache::TtlCache::new(
                ttl_cache::CLIENT_CAPACITY,
                ttl_cache::CLIENT_TTL,
            )),
            identity,
        })
    }

    /// Returns the backend's own username as the API server knows it (it records it in
    /// the `spec.username` of every CSR the backend creates), once it has been learnt.
    pub fn own_username(&self) -> Option<&str> {
        self.identity.get().map(String::as_str)
    }

    /// Returns the API server URL and a CA bundle for requesters: the cluster's
    /// `kube-root-ca.crt` ConfigMap in the backend's namespace, else the CA the backend
    /// itself trusts.
    pub async fn endpoint(&self) -> ClusterEndpoint {
        let server = self
            .config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_owned();
        let ca_pem = match self.root_ca_configmap().await {
            Ok(Some(pem)) => pem,
            Ok(None) => self.own_ca_pem(),
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "cannot read the kube-root-ca.crt ConfigMap"
                );
                self.own_ca_pem()
            }
        };
        ClusterEndpoint { server, ca_pem }
    }

    /// Reads `ca.crt` of the `kube-root-ca.crt` ConfigMap in the backend's namespace.
    pub async fn root_ca_configmap(&self) -> anyhow::Result<Option<String>> {
        use k8s_openapi::api::core::v1::ConfigMap;
        let api: kube::Api<ConfigMap> = kube::Api::namespaced(self.client.clone(), &self.namespace);
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            api.get_opt("kube-root-ca.crt"),
        )
        .await
        .context("timed out reading the kube-root-ca.crt ConfigMap")??;
        Ok(read
            .and_then(|cm| cm.data)
            .and_then(|mut data| data.remove("ca.crt")))
    }

    fn own_ca_pem(&self) -> String {
        use base64::Engine;
        let mut pem = String::new();
        for der in self.config.root_cert.iter().flatten() {
            let body = base64::engine::general_purpose::STANDARD.encode(der);
            pem.push_str("-----BEGIN CERTIFICATE-----\n");
            for chunk in body.as_bytes().chunks(64) {
                pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
                pem.push('\n');
            }
            pem.push_str("-----END CERTIFICATE-----\n");
        }
        pem
    }

    /// Returns a client that acts only as the holder of `token`: the backend's API
    /// server URL and CA, and none of the backend's own credentials. The client is
    /// reused for that token for a minute (its connections with it); it holds no
    /// verdict, so a token revoked meanwhile is refused by the API server at once.
    pub fn client_for_token(&self, token: &str) -> Result<kube::Client> {
        Ok(self
            .approver_clients
            .get_or_build(token, || self.build_client_for_token(token))?)
    }

    fn build_client_for_token(&self, token: &str) -> anyhow::Result<kube::Client> {
        let mut config = kube::Config::new(self.config.cluster_url.clone());
        config.root_cert = self.config.root_cert.clone();
        config.root_cert_file = self.config.root_cert_file.clone();
        config.accept_invalid_certs = self.config.accept_invalid_certs;
        config.tls_server_name = self.config.tls_server_name.clone();
        config.proxy_url = self.config.proxy_url.clone();
        config.connect_timeout = self.config.connect_timeout;
        config.read_timeout = self.config.read_timeout;
        config.write_timeout = self.config.write_timeout;
        config.auth_info.token = Some(token.to_owned().into());
        kube::Client::try_from(config).context("cannot build a client for the approver's token")
    }
}

/// Asks the API server who the backend is (SelfSubjectReview, which every
/// authenticated identity may make), retrying until it answers.
async fn learn_identity(
    client: kube::Client,
    identity: std::sync::Arc<std::sync::OnceLock<String>>,
) {
    let mut wait = std::time::Duration::from_millis(500);
    loop {
        match approver::abilities::identity(&client).await {
            Ok((username, _)) => {
                let _ = identity.set(username);
                return;
            }
            Err(error) => {
                tracing::debug!(?error, "cannot learn the backend's own username yet");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(30));
            }
        }
    }
}
