//! A watch cache of every object of one kind, kept current by a background task that
//! retries with backoff while the API server (or the kind's CRD) is missing.

use std::fmt::Debug;

use futures::StreamExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;

/// Starts watching every `K` in the cluster; `on_applied` sees each object as it is
/// created or changed (after the store holds it). `what` names the kind in the log.
pub fn everything<K>(
    client: Client,
    what: &'static str,
    on_applied: impl Fn(&K) + Send + 'static,
) -> Store<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (store, writer) = reflector::store();
    let api: Api<K> = Api::all(client);
    let stream = reflector::reflector(writer, watcher(api, watcher::Config::default()))
        .default_backoff()
        .applied_objects();
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(event) = stream.next().await {
            match event {
                Ok(object) => on_applied(&object),
                Err(error) => tracing::warn!(%error, "the {what} watch failed; retrying"),
            }
        }
    });
    store
}
