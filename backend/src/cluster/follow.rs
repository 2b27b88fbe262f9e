//! Following a request live: each new status of one request, from the watch cache's
//! changes, until a final one. The requester's event stream is made of these.

use std::time::Duration;

use shared::{Phase, RequestStatus};
use tokio::sync::broadcast::error::RecvError;

use super::Cluster;
use super::cache::Change;
use super::error::{Error, Result};
use super::standing;

/// How often a follower looks again at an approved request that has no certificate, so
/// the page learns when the signer misses its deadline.
const SIGNER_RECHECK: Duration = Duration::from_secs(5);

/// One requester's live view of a request.
pub struct Follow {
    cluster: Cluster,
    id: String,
    changes: tokio::sync::broadcast::Receiver<Change>,
    pending: Option<RequestStatus>,
    last: Option<RequestStatus>,
}

/// Starts following the request `id`: its status now, then each change. `Ok(None)`
/// when it is not a CertDesk request.
pub async fn start(cluster: &Cluster, id: &str) -> Result<Option<Follow>> {
    // Subscribe before the first read so no change between the two is missed.
    let changes = cluster.cache.subscribe();
    let Some(first) = standing::of(cluster, id).await? else {
        return Ok(None);
    };
    Ok(Some(Follow {
        cluster: cluster.clone(),
        id: id.to_owned(),
        changes,
        pending: Some(first),
        last: None,
    }))
}

impl Follow {
    /// Waits for the request's next status that differs from the last one; `None`
    /// when the cache is gone.
    pub async fn next(&mut self) -> Option<RequestStatus> {
        loop {
            let awaiting_signer = self
                .last
                .as_ref()
                .is_some_and(|s| s.phase == Phase::Approved && s.not_issued.is_none());
            let status = if let Some(status) = self.pending.take() {
                status
            } else {
                let change = if awaiting_signer {
                    tokio::select! {
                        change = self.changes.recv() => Some(change),
                        () = tokio::time::sleep(SIGNER_RECHECK) => None,
                    }
                } else {
                    Some(self.changes.recv().await)
                };
                match change {
                    Some(Ok(Change::Applied(csr)))
                        if csr.metadata.name.as_deref() == Some(self.id.as_str()) =>
                    {
                        standing::of_csr(&self.cluster, &csr)
                    }
                    Some(Ok(Change::Deleted(name))) if name == self.id => {
                        match standing::after_deletion(&self.cluster, &self.id).await {
                            Ok(status) => status,
                            Err(_) => continue,
                        }
                    }
                    Some(Ok(Change::Applied(_) | Change::Deleted(_))) => continue,
                    None | Some(Ok(Change::Resync) | Err(RecvError::Lagged(_))) => {
                        match self.now().await {
                            Ok(status) => status,
                            Err(_) => continue,
                        }
                    }
                    Some(Err(RecvError::Closed)) => return None,
                }
            };
            if self.last.as_ref() != Some(&status) {
                self.last = Some(status.clone());
                return Some(status);
            }
        }
    }

    async fn now(&self) -> Result<RequestStatus> {
        standing::of(&self.cluster, &self.id)
            .await?
            .ok_or_else(|| Error::NotFound(self.id.clone()))
    }
}
