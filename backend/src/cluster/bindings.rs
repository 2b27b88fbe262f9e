//! Who already holds power in the cluster through RBAC: the users named in any
//! RoleBinding or ClusterRoleBinding.
//!
//! A certificate for a username that already has bindings acts as that user, so such a
//! username is a name that matters: a look-alike of it is refused at submission, the
//! approval page flags it, and approving it needs `impersonate` on `users/<name>`
//! ([`super::access`]). The backend reads bindings with its own identity (`list` and
//! `watch` only: reading who is bound gives no power), from a watch cache for pages and
//! the admission webhook, and with a fresh list when an approver's click depends on it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, Subject};
use kube::api::ListParams;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use shared::names::NameIndex;

/// A watch cache of the users named in bindings; cheap to clone.
#[derive(Clone)]
pub struct BindingCache {
    namespaced: Store<RoleBinding>,
    cluster_wide: Store<ClusterRoleBinding>,
    /// Bumped on every change either watch sees, so the index is rebuilt only then.
    generation: Arc<AtomicU64>,
    /// Whether both watches have listed at least once.
    synced: Arc<[AtomicBool; 2]>,
    index: Arc<Mutex<(u64, Arc<NameIndex>)>>,
}

impl BindingCache {
    /// Starts watching RoleBindings and ClusterRoleBindings in background tasks, which
    /// retry with backoff while the backend may not list them.
    pub fn start(client: Client) -> Self {
        let generation = Arc::new(AtomicU64::new(1));
        let synced = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let namespaced =
            follow::<RoleBinding>(client.clone(), generation.clone(), synced.clone(), 0);
        let cluster_wide =
            follow::<ClusterRoleBinding>(client, generation.clone(), synced.clone(), 1);
        Self {
            namespaced,
            cluster_wide,
            generation,
            synced,
            index: Arc::new(Mutex::new((0, Arc::new(NameIndex::new())))),
        }
    }

    /// Returns whether both watches have listed the cluster's bindings.
    pub fn is_synced(&self) -> bool {
        self.synced.iter().all(|s| s.load(Ordering::Acquire))
    }

    /// Returns the users named in bindings, as the cache last saw them (empty until the
    /// watches have listed).
    pub fn users(&self) -> Arc<NameIndex> {
        let now = self.generation.load(Ordering::Acquire);
        let mut cached = self
            .index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cached.0 != now {
            let namespaced = self.namespaced.state();
            let cluster_wide = self.cluster_wide.state();
            let names = namespaced
                .iter()
                .flat_map(|b| users_of(b.subjects.as_deref()))
                .chain(
                    cluster_wide
                        .iter()
                        .flat_map(|b| users_of(b.subjects.as_deref())),
                );
            *cached = (now, Arc::new(names.collect()));
        }
        cached.1.clone()
    }

    /// Returns whether a binding other than those in `exempt` names `username` as a
    /// User, as the cache last saw them. Until both watches have listed, the answer is
    /// `true`, so the identity check asks about the username too: it fails closed.
    pub fn bound_except(&self, username: &str, exempt: &[BindingName]) -> bool {
        if !self.is_synced() {
            return true;
        }
        if !self.users().contains(username) {
            return false;
        }
        let names = |subjects: Option<&[Subject]>| users_of(subjects).any(|u| u == username);
        let namespaced = self
            .namespaced
            .state()
            .into_iter()
            .filter(|b| names(b.subjects.as_deref()))
            .map(|b| BindingName {
                kind: "RoleBinding",
                namespace: b.metadata.namespace.clone(),
                name: b.metadata.name.clone().unwrap_or_default(),
            });
        let cluster_wide = self
            .cluster_wide
            .state()
            .into_iter()
            .filter(|b| names(b.subjects.as_deref()))
            .map(|b| BindingName {
                kind: "ClusterRoleBinding",
                namespace: None,
                name: b.metadata.name.clone().unwrap_or_default(),
            });
        namespaced
            .chain(cluster_wide)
            .any(|binding| !exempt.contains(&binding))
    }
}

fn follow<K>(
    client: Client,
    generation: Arc<AtomicU64>,
    synced: Arc<[AtomicBool; 2]>,
    slot: usize,
) -> Store<K>
where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
{
    let (store, writer) = reflector::store();
    let stream = reflector::reflector(
        writer,
        watcher(Api::<K>::all(client), watcher::Config::default()),
    )
    .default_backoff();
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(event) = stream.next().await {
            match event {
                Ok(event) => {
                    if matches!(event, watcher::Event::InitDone) {
                        synced[slot].store(true, Ordering::Release);
                    }
                    generation.fetch_add(1, Ordering::AcqRel);
                }
                Err(error) => tracing::warn!(
                    %error,
                    kind = K::kind(&()).as_ref(),
                    "the binding watch failed (may CertDesk's ServiceAccount list and watch bindings? see deploy/rbac-backend.yaml); retrying"
                ),
            }
        }
    });
    store
}

fn users_of(subjects: Option<&[Subject]>) -> impl Iterator<Item = &str> {
    subjects
        .unwrap_or_default()
        .iter()
        .filter(|s| s.kind == "User")
        .map(|s| s.name.as_str())
}

/// One binding that names a user, as far as the identity check cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingName {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub kind: &'static str,
    /// The binding's namespace (none for a ClusterRoleBinding).
    pub namespace: Option<String>,
    /// The binding's name.
    pub name: String,
}

impl From<&shared::people::BindingRef> for BindingName {
    fn from(binding: &shared::people::BindingRef) -> Self {
        Self {
            kind: if binding.namespace.is_some() {
                "RoleBinding"
            } else {
                "ClusterRoleBinding"
            },
            namespace: binding.namespace.clone(),
            name: binding.name.clone(),
        }
    }
}

/// Returns every binding that names `username` as a User, read afresh from the API
/// server with the backend's identity (two list calls).
pub async fn bindings_of(client: &Client, username: &str) -> kube::Result<Vec<BindingName>> {
    let params = ListParams::default();
    let (roles, clusters) = (
        Api::<RoleBinding>::all(client.clone()),
        Api::<ClusterRoleBinding>::all(client.clone()),
    );
    let (namespaced, cluster_wide) = tokio::try_join!(roles.list(&params), clusters.list(&params))?;
    let names_user = |subjects: Option<&[Subject]>| users_of(subjects).any(|u| u == username);
    let mut found: Vec<BindingName> = namespaced
        .items
        .iter()
        .filter(|b| names_user(b.subjects.as_deref()))
        .map(|b| BindingName {
            kind: "RoleBinding",
            namespace: b.metadata.namespace.clone(),
            name: b.metadata.name.clone().unwrap_or_default(),
        })
        .collect();
    found.extend(
        cluster_wide
            .items
            .iter()
            .filter(|b| names_user(b.subjects.as_deref()))
            .map(|b| BindingName {
                kind: "ClusterRoleBinding",
                namespace: None,
                name: b.metadata.name.clone().unwrap_or_default(),
            }),
    );
    Ok(found)
}

/// Returns whether `username` is named by any binding other than those in `exempt`
/// (the bindings CertDesk made for the invite this very request matched). When the
/// backend cannot read bindings, the answer is `true`, so the identity check asks
/// about the username too: it fails closed.
pub async fn bound_except(client: &Client, username: &str, exempt: &[BindingName]) -> bool {
    match bindings_of(client, username).await {
        Ok(found) => found.iter().any(|binding| !exempt.contains(binding)),
        Err(error) => {
            tracing::warn!(
                ?error,
                "cannot list bindings (may CertDesk's ServiceAccount list them? see deploy/rbac-backend.yaml); the identity check asks about the username too"
            );
            true
        }
    }
}
