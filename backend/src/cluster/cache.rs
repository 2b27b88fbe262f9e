//! The watch cache of `kube-apiserver-client` CSRs, and change notifications for the
//! live status streams.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use futures::StreamExt;
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use tokio::sync::broadcast;

use crate::csr::CsrSummary;

/// The signer CertDesk's requests are for.
pub const SIGNER: &str = "kubernetes.io/kube-apiserver-client";

/// What changed in the cache.
#[derive(Debug, Clone)]
pub enum Change {
    /// A CSR was created or changed; this is its state at that moment, so a follower
    /// sees every step even when the next one has already arrived.
    Applied(Arc<CertificateSigningRequest>),
    /// The named CSR was deleted.
    Deleted(String),
    /// The watch restarted and re-listed: any object may have changed.
    Resync,
}

/// A cheap-to-clone handle on the reflector's store and its change feed.
#[derive(Clone)]
pub struct RequestCache {
    store: Store<CertificateSigningRequest>,
    ready: Arc<AtomicBool>,
    /// False from a watch failure until the watch (or a probe) reaches the API server.
    connected: Arc<AtomicBool>,
    changes: broadcast::Sender<Change>,
    decoded: Decoded,
}

/// A CSR's decoding for the approvers' list: the summary, or why it does not decode.
pub type Decoding = Arc<Result<CsrSummary, String>>;

/// Each cached CSR's decoding, by name, with the uid it was made for: `spec.request` is
/// immutable, so a CSR is parsed and verified once, not on every list.
#[derive(Clone, Default)]
struct Decoded(Arc<RwLock<HashMap<String, (String, Decoding)>>>);

fn decode(csr: &CertificateSigningRequest) -> Decoding {
    Arc::new(crate::csr::describe(&csr.spec.request.0).map_err(|e| e.to_string()))
}

fn identity(csr: &CertificateSigningRequest) -> Option<(&str, &str)> {
    Some((csr.metadata.name.as_deref()?, csr.metadata.uid.as_deref()?))
}

impl Decoded {
    fn cached(&self, csr: &CertificateSigningRequest) -> Option<Decoding> {
        let (name, uid) = identity(csr)?;
        let map = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(name)
            .filter(|(known, _)| known == uid)
            .map(|(_, decoding)| decoding.clone())
    }

    fn remember(&self, csr: &CertificateSigningRequest) {
        if self.cached(csr).is_some() {
            return;
        }
        if let Some((name, uid)) = identity(csr) {
            let decoding = decode(csr);
            self.0
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(name.to_owned(), (uid.to_owned(), decoding));
        }
    }

    fn forget(&self, name: &str) {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(name);
    }

    /// Keeps only the decodings of CSRs the store still holds (after a re-list).
    fn retain(&self, store: &Store<CertificateSigningRequest>) {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|name, _| store.get(&ObjectRef::new(name)).is_some());
    }
}

impl RequestCache {
    /// Starts watching the cluster's `kube-apiserver-client` CSRs in a background task.
    ///
    /// The task retries with backoff when the API server is unreachable and resumes the
    /// watch when it returns, so the backend never needs a restart.
    pub fn start(client: Client) -> Self {
        let (store, writer) = reflector::store();
        let (changes, _) = broadcast::channel(1024);
        let ready = Arc::new(AtomicBool::new(false));
        let api: Api<CertificateSigningRequest> = Api::all(client);
        let config = watcher::Config::default().fields(&format!("spec.signerName={SIGNER}"));
        let stream = reflector::reflector(writer, watcher(api, config)).default_backoff();
        let feed = changes.clone();
        let flag = ready.clone();
        let connected = Arc::new(AtomicBool::new(true));
        let link = connected.clone();
        let decoded = Decoded::default();
        let (memo, reader) = (decoded.clone(), store.clone());
        tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                link.store(event.is_ok(), Ordering::Release);
                match event {
                    Ok(watcher::Event::Apply(csr)) => {
                        memo.remember(&csr);
                        let _ = feed.send(Change::Applied(Arc::new(csr)));
                    }
                    Ok(watcher::Event::Delete(csr)) => {
                        if let Some(name) = csr.metadata.name {
                            memo.forget(&name);
                            let _ = feed.send(Change::Deleted(name));
                        }
                    }
                    Ok(watcher::Event::InitDone) => {
                        memo.retain(&reader);
                        flag.store(true, Ordering::Release);
                        let _ = feed.send(Change::Resync);
                    }
                    Ok(watcher::Event::InitApply(csr)) => memo.remember(&csr),
                    Ok(watcher::Event::Init) => {}
                    Err(error) => tracing::warn!(%error, "the CSR watch failed; retrying"),
                }
            }
        });
        Self {
            store,
            ready,
            connected,
            changes,
            decoded,
        }
    }

    /// Returns whether the cache has listed the cluster's CSRs at least once.
    pub fn is_synced(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Returns whether the cache has synced and its watch has not failed since it last
    /// reached the API server.
    pub fn is_ready(&self) -> bool {
        self.is_synced() && self.connected.load(Ordering::Acquire)
    }

    /// Records that the API server answered again after a watch failure (the watch
    /// itself resumes on its own backoff and may have nothing to report).
    pub fn mark_reachable(&self) {
        self.connected.store(true, Ordering::Release);
    }

    /// Returns the cached CSR of that name, if the cluster has it.
    pub fn get(&self, name: &str) -> Option<Arc<CertificateSigningRequest>> {
        self.store.get(&ObjectRef::new(name))
    }

    /// Returns every cached CSR.
    pub fn all(&self) -> Vec<Arc<CertificateSigningRequest>> {
        self.store.state()
    }

    /// Returns the CSR's decoding, made once per CSR (and now if the watch task has not
    /// reached it yet).
    pub fn decoding(&self, csr: &CertificateSigningRequest) -> Decoding {
        self.decoded.cached(csr).unwrap_or_else(|| decode(csr))
    }

    /// Tells every follower that the named CSR changed although the cluster's object did
    /// not (a withdrawal of it was recorded), so they read its status again.
    pub fn announce(&self, name: &str) {
        if let Some(csr) = self.get(name) {
            let _ = self.changes.send(Change::Applied(csr));
        }
    }

    /// Returns a receiver of every later change.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }
}
