//! Helpers for CertDesk's end-to-end tests: a real local control plane ([`cluster`]),
//! headless Chromium through chromedriver ([`browser`]), real `kubectl` and `openssl`
//! ([`tools`]), the backend alone serving the release bundle ([`portal`]), and where a
//! failing test leaves its evidence ([`artifacts`]).
//!
//! Scenarios run on a [`stack::Stack`] (the shared control plane, a backend of their own,
//! browsers of their own) and are written with [`action`] (what a person does on a
//! page), [`find`] (what a page shows) and [`check`] (what must hold, in the browser,
//! in kubectl and on the wire, via [`network`] and [`downloads`]).

pub mod action;
pub mod artifacts;
pub mod axe;
pub mod balancer;
pub mod browser;
pub mod check;
pub mod cluster;
pub mod downloads;
pub mod find;
pub mod helm;
pub mod kube_identity;
pub mod kubeconfig;
pub mod network;
pub mod oci;
pub mod oidc;
pub mod portal;
pub mod received;
pub mod seed;
pub mod shell;
pub mod sinks;
pub mod stack;
pub mod subjects;
pub mod tools;

/// TLS set-up shared by every client in this crate.
pub mod tls {
    /// Installs ring as rustls's process-wide crypto provider. Both ring and aws-lc-rs
    /// are compiled in (kube and fantoccini each bring one), and then rustls refuses to
    /// guess. Safe to call any number of times, from any thread.
    pub fn init() {
        // Err means a provider is already installed, which is all we need.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

use std::path::PathBuf;

/// The repository's root directory: of the clone under test (cargo names its package
/// directory when it runs a test), else of the clone this was built in. The target
/// directory is shared by clones (~/.cache/certdesk), and cargo reuses a build made in
/// another clone's directory, which may be gone.
pub fn repo_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .parent()
        .expect("e2e lives inside the repository")
        .to_path_buf()
}

/// The cache outside the clone (`$CERTDESK_CACHE`, by default `~/.cache/certdesk`).
pub fn cache_dir() -> PathBuf {
    std::env::var_os("CERTDESK_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/certdesk")))
        .unwrap_or_default()
}

/// Returns a name no other test (or earlier run) uses, for objects a test creates.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}-{:x}{:x}{n}",
        std::process::id() % 4096,
        nanos % 65536
    )
}
