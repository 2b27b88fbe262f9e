//! CertDesk's backend: it serves the browser app and the JSON API under `/api/v1`.
//!
//! [`run`] binds the configured address and serves until SIGINT/SIGTERM; [`app`] builds
//! the router alone, for tests.
#![deny(missing_docs)]

pub mod cluster;
pub mod config;
pub mod error;
pub mod routes;
pub mod telemetry;

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

use crate::config::Config;

/// What every handler can read; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The portal configuration the browser is given, computed once at start-up.
    pub portal: Arc<shared::PortalConfig>,
}

impl AppState {
    /// Builds the state from a validated configuration, reading the kubeconfig if one
    /// is configured.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let endpoint = match &config.kubeconfig {
            Some(path) => Some(cluster::endpoint_from_kubeconfig(path)?),
            None => None,
        };
        let portal = config.portal_config(endpoint.as_ref());
        Ok(Self {
            config: Arc::new(config),
            portal: Arc::new(portal),
        })
    }
}

/// Builds the whole HTTP service: the API routes and the static app with SPA fallback.
pub fn app(state: AppState) -> Router {
    routes::router(state)
}

/// Validates the configuration, binds the listen address and serves until a shutdown
/// signal, finishing the requests under way.
pub async fn run(config: Config) -> anyhow::Result<()> {
    config.validate()?;
    let listen = config.listen;
    let state = AppState::new(config)?;
    let listener = TcpListener::bind(listen).await.with_context(|| {
        format!(
            "cannot listen on {listen}: the address is in use or not available here; pass a free one with --listen or CERTDESK_LISTEN"
        )
    })?;
    let address = listener
        .local_addr()
        .context("cannot read the bound address")?;
    // Scripts and tests wait for this exact line to know the server is up.
    println!("CertDesk is listening on http://{address}");
    tracing::info!(%address, "listening");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP server failed")?;
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
