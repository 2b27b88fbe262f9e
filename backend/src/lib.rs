//! CertDesk's backend: it serves the browser app and the JSON API under `/api/v1`.
//!
//! [`run`] binds the configured address and serves until SIGINT/SIGTERM; [`app`] builds
//! the router alone, for tests.
#![deny(missing_docs)]

pub mod audit;
pub mod check;
pub mod client;
pub mod cluster;
pub mod config;
pub mod csr;
pub mod error;
pub mod extract;
pub mod limits;
pub mod metrics;
pub mod notify;
pub mod policy_file;
pub mod routes;
pub mod security;
pub mod streams;
pub mod telemetry;
pub mod transport;
pub mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;

use crate::config::{Config, Settings};

/// What every handler can read; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The validated configuration, its files read.
    pub settings: Arc<Settings>,
    /// The portal configuration the browser is given, computed once at start-up.
    pub portal: Arc<shared::PortalConfig>,
    /// The cluster connection, when the backend found credentials for one.
    pub cluster: Option<cluster::Cluster>,
    /// The Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// The per-client rate limits, the sign-in lock-out and the in-flight bound.
    pub limits: Arc<limits::Limits>,
    /// The key that authenticates renewal challenges.
    pub challenge_key: cluster::renewal::ChallengeKey,
    /// The CA bundle a certificate to renew must chain to.
    pub client_ca_pem: Arc<String>,
    /// The open event streams, capped in all and per client.
    pub streams: streams::StreamSlots,
    /// This replica's notifier, when there are sinks and a cluster.
    pub notifier: Option<Arc<notify::Notifier>>,
}

impl AppState {
    /// Builds the state from a validated configuration: connects to the cluster of the
    /// kubeconfig (or the in-cluster one) and starts the watch cache.
    ///
    /// An explicit `--kubeconfig` that cannot be used is an error; with none and no
    /// in-cluster credentials the backend still serves the app, answers API calls that
    /// need the cluster with 503 `cluster_unreachable`, and is never ready.
    pub async fn new(settings: Settings) -> anyhow::Result<Self> {
        let namespace = &settings.cluster.namespace;
        let (cluster, endpoint) = match &settings.cluster.kubeconfig {
            Some(path) => {
                let mut endpoint = cluster::endpoint_from_kubeconfig(path)?;
                let cluster = cluster::Cluster::connect(Some(path), namespace).await?;
                if endpoint.ca_pem.is_empty() {
                    match cluster.root_ca_configmap().await {
                        Ok(Some(pem)) => endpoint.ca_pem = pem,
                        Ok(None) => tracing::warn!("the kube-root-ca.crt ConfigMap has no ca.crt"),
                        Err(error) => tracing::warn!(
                            error = format!("{error:#}"),
                            "cannot read kube-root-ca.crt"
                        ),
                    }
                }
                (Some(cluster), Some(endpoint))
            }
            None => match cluster::Cluster::connect(None, namespace).await {
                Ok(cluster) => {
                    let endpoint = cluster.endpoint().await;
                    (Some(cluster), Some(endpoint))
                }
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "running without a cluster");
                    (None, None)
                }
            },
        };
        let mut portal = settings.portal_config(endpoint.as_ref());
        portal.plugin_downloads = routes::assets::plugin_downloads(&settings.serve.static_dir);
        let portal = Arc::new(portal);
        let metrics = Arc::new(metrics::Metrics::default());
        let cluster = cluster.map(|mut cluster| {
            cluster.signing.deadline =
                Duration::from_secs(u64::from(settings.cluster.signing_deadline_seconds));
            cluster.rules = Arc::new(cluster::Rules {
                portal: portal.clone(),
                always_require_impersonate: settings.policy.always_require_impersonate,
            });
            cluster.metrics = metrics.clone();
            cluster
        });
        let challenge_key = match &settings.renewal_secret {
            Some(secret) => cluster::renewal::ChallengeKey::from_secret(secret),
            None => cluster::renewal::ChallengeKey::random()?,
        };
        let client_ca_pem = settings
            .client_ca
            .clone()
            .unwrap_or_else(|| portal.ca_bundle_pem.clone());
        let notifier = match &cluster {
            Some(cluster) => {
                notify::Notifier::start(cluster, Arc::new(settings.notifications.clone()))?
            }
            None => None,
        };
        let streams = streams::StreamSlots::new(
            settings.limits.max_event_streams as usize,
            settings.limits.max_event_streams_per_client as usize,
        );
        Ok(Self {
            streams,
            limits: Arc::new(limits::Limits::new(&settings.limits)),
            settings: Arc::new(settings),
            portal,
            cluster,
            metrics,
            challenge_key,
            client_ca_pem: Arc::new(client_ca_pem),
            notifier,
        })
    }

    /// Returns the cluster connection, or the 503 answer when there is none.
    pub fn cluster(&self) -> error::Result<&cluster::Cluster> {
        self.cluster.as_ref().ok_or_else(error::Error::unreachable)
    }
}

/// Builds the whole HTTP service: the API routes and the static app with SPA fallback.
pub fn app(state: AppState) -> Router {
    routes::router(state)
}

/// How long the audit Events still being published may take after the server stopped.
const AUDIT_FLUSH: std::time::Duration = std::time::Duration::from_secs(5);

/// How long requests under way may take to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Validates the configuration, binds the listen address and serves until a shutdown
/// signal, finishing the requests under way (for at most [`SHUTDOWN_GRACE`]).
pub async fn run(config: Config) -> anyhow::Result<()> {
    let settings = config.validate()?;
    let listen = settings.serve.listen;
    let state = AppState::new(settings).await?;
    if let Some(settings) = state.settings.webhook.clone() {
        let cluster = state.cluster.clone().context(
            "the admission webhook needs the cluster: pass --kubeconfig or run in a cluster",
        )?;
        let bound = webhook::spawn(&settings, cluster).await?;
        // Tests and scripts wait for this line to register the webhook's URL.
        println!(
            "CertDesk admission webhook is listening on https://{bound}{}",
            webhook::PATH
        );
        tracing::info!(address = %bound, "admission webhook listening");
    }
    if let Some(address) = state.settings.serve.metrics_listen {
        let handle = axum_server::Handle::new();
        let server = axum_server::bind(address)
            .handle(handle.clone())
            .serve(routes::health::metrics_router(state.clone()).into_make_service());
        tokio::spawn(async move {
            if let Err(error) = server.await {
                tracing::error!(%error, "the metrics listener failed");
            }
        });
        let bound = handle.listening().await.with_context(|| {
            format!(
                "cannot listen on {address} for metrics: pass a free address with --metrics-listen"
            )
        })?;
        println!("CertDesk metrics are served on http://{bound}/metrics");
    }
    let transport = state.settings.transport.clone();
    let state_header_read_timeout = state.settings.serve.header_read_timeout_seconds;
    let streams = state.streams.clone();
    let audit = state.cluster.as_ref().map(|c| c.audit.clone());
    let mut router = app(state);
    match &transport {
        transport::Transport::BehindProxy(trusted) => {
            router = router.layer(axum::middleware::from_fn_with_state(
                trusted.clone(),
                transport::only_through_https_proxy,
            ));
        }
        transport::Transport::Tls { .. } | transport::Transport::Plain => {}
    }
    if transport.is_https() {
        router = router.layer(axum::middleware::from_fn(transport::hsts));
    }
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    // A client must send a request's headers within this time, so connections opened
    // and fed a byte at a time (slowloris) are closed.
    let header_read = Duration::from_secs(u64::from(state_header_read_timeout));
    let handle = axum_server::Handle::new();
    let (scheme, server) = match &transport {
        transport::Transport::Tls { cert, key } => {
            let tls = transport::tls_config(cert, key).await?;
            let mut server = axum_server::bind_rustls(listen, tls).handle(handle.clone());
            server
                .http_builder()
                .http1()
                .header_read_timeout(header_read);
            ("https", tokio::spawn(server.serve(service)))
        }
        transport::Transport::BehindProxy(_) | transport::Transport::Plain => {
            let mut server = axum_server::bind(listen).handle(handle.clone());
            server
                .http_builder()
                .http1()
                .header_read_timeout(header_read);
            ("http", tokio::spawn(server.serve(service)))
        }
    };
    let Some(address) = handle.listening().await else {
        let failure = server.await.context("the server task failed")?.err();
        return Err(anyhow::anyhow!(
            "cannot listen on {listen}: the address is in use or not available here; pass a free one with --listen or CERTDESK_LISTEN{}",
            failure.map(|e| format!(" ({e})")).unwrap_or_default()
        ));
    };
    // Scripts and tests wait for this exact line to know the server is up.
    println!("CertDesk is listening on {scheme}://{address}");
    tracing::info!(%address, scheme, "listening");
    shutdown_signal().await;
    // Live status streams end cleanly at once, asking their pages to reconnect (to
    // another replica); other requests under way may finish within the grace period.
    streams.close_all();
    handle.graceful_shutdown(Some(SHUTDOWN_GRACE));
    server
        .await
        .context("the server task failed")?
        .context("the server failed")?;
    // The audit trail's last Events (a record written a moment ago) are published
    // before the process goes.
    if let Some(audit) = audit {
        audit.flush(AUDIT_FLUSH).await;
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        // If the handler cannot be installed the server simply runs until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing requests under way");
}
