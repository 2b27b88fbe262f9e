//! Which replicas are alive: each notifier keeps a `coordination.k8s.io` Lease of its
//! own in CertDesk's namespace, renewed every few seconds. An event's claim lasts as
//! long as its holder's Lease does, so events waiting on a slow sink cost the API
//! server nothing (one write per replica every [`RENEW_EVERY`], however many events it
//! holds), and a dead replica's events are taken over once its Lease runs out.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{DeleteParams, PostParams};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, Client, ResourceExt as _};
use time::{Duration, OffsetDateTime};

/// How long a replica counts as alive after its last renewal.
pub const LEASE: Duration = Duration::seconds(30);
/// How often a replica renews its Lease.
pub const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(10);
/// The label that marks the notifiers' Leases.
pub const ROLE_LABEL: (&str, &str) = ("certdesk.dev/role", "notifier");
/// How long a dead replica's Lease is kept before any replica deletes it.
const FORGET_AFTER: Duration = Duration::hours(1);

/// This replica's Lease and everyone's, as watched.
pub struct Liveness {
    me: String,
    namespace: String,
    api: Api<Lease>,
    leases: Store<Lease>,
    /// When this replica's Lease was last renewed (Unix seconds); 0: never.
    renewed: Arc<AtomicI64>,
}

fn lease_name(replica: &str) -> String {
    format!(
        "certdesk-notifier-{}",
        crate::cluster::requests::sanitize(replica, 40)
    )
}

fn to_time(t: &MicroTime) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(t.0.as_second()).ok()
}

impl Liveness {
    /// Starts watching the notifiers' Leases in `namespace` and keeping `me`'s renewed.
    pub fn start(client: &Client, namespace: &str, me: &str) -> Arc<Self> {
        use futures::StreamExt as _;
        use kube::runtime::{WatchStreamExt as _, reflector, watcher};
        let api: Api<Lease> = Api::namespaced(client.clone(), namespace);
        let (leases, writer) = reflector::store();
        let config =
            watcher::Config::default().labels(&format!("{}={}", ROLE_LABEL.0, ROLE_LABEL.1));
        let stream = reflector::reflector(writer, watcher(api.clone(), config))
            .default_backoff()
            .applied_objects();
        tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                if let Err(error) = event {
                    tracing::warn!(%error, "the notifiers' Lease watch failed (may CertDesk's ServiceAccount watch leases in its namespace?); retrying");
                }
            }
        });
        let liveness = Arc::new(Self {
            me: me.to_owned(),
            namespace: namespace.to_owned(),
            api,
            leases,
            renewed: Arc::default(),
        });
        tokio::spawn(liveness.clone().heartbeat());
        liveness
    }

    /// Whether this replica's own Lease is current (it stops sending otherwise: the
    /// others may have taken its events over).
    pub fn am_alive(&self) -> bool {
        let renewed = self.renewed.load(Ordering::Acquire);
        renewed > 0 && OffsetDateTime::now_utc().unix_timestamp() - renewed < LEASE.whole_seconds()
    }

    /// Whether the watch has listed the Leases at least once (before that, nobody is
    /// known to be alive, and nothing may be taken over).
    pub async fn ready(&self) {
        let _ = self.leases.wait_until_ready().await;
    }

    /// Whether `replica` renewed its Lease within [`LEASE`].
    pub fn alive(&self, replica: &str, now: OffsetDateTime) -> bool {
        if replica == self.me {
            return self.am_alive();
        }
        self.leases
            .get(&ObjectRef::new(&lease_name(replica)).within(&self.namespace))
            .and_then(|lease| lease.spec.as_ref()?.renew_time.as_ref().and_then(to_time))
            .is_some_and(|renewed| now - renewed < LEASE)
    }

    async fn heartbeat(self: Arc<Self>) {
        let name = lease_name(&self.me);
        loop {
            match self.renew(&name).await {
                Ok(()) => self.renewed.store(
                    OffsetDateTime::now_utc().unix_timestamp(),
                    Ordering::Release,
                ),
                Err(error) => tracing::warn!(%error, "cannot renew this replica's notifier Lease"),
            }
            self.forget_dead().await;
            tokio::time::sleep(RENEW_EVERY).await;
        }
    }

    async fn renew(&self, name: &str) -> kube::Result<()> {
        let now = MicroTime(k8s_openapi::jiff::Timestamp::now());
        let spec = LeaseSpec {
            holder_identity: Some(self.me.clone()),
            lease_duration_seconds: Some(LEASE.whole_seconds() as i32),
            renew_time: Some(now),
            ..LeaseSpec::default()
        };
        match self.api.get_opt(name).await? {
            Some(mut lease) => {
                lease.spec = Some(spec);
                self.api
                    .replace(name, &PostParams::default(), &lease)
                    .await?;
            }
            None => {
                let mut lease = Lease {
                    spec: Some(spec),
                    ..Lease::default()
                };
                lease.metadata.name = Some(name.to_owned());
                lease
                    .labels_mut()
                    .insert(ROLE_LABEL.0.to_owned(), ROLE_LABEL.1.to_owned());
                lease.labels_mut().insert(
                    crate::cluster::requests::MANAGED_BY.0.to_owned(),
                    crate::cluster::requests::MANAGED_BY.1.to_owned(),
                );
                self.api.create(&PostParams::default(), &lease).await?;
            }
        }
        Ok(())
    }

    /// Deletes the Leases of replicas gone for an hour (a rolling update leaves one per
    /// old pod).
    async fn forget_dead(&self) {
        let now = OffsetDateTime::now_utc();
        for lease in self.leases.state() {
            let renewed = lease
                .spec
                .as_ref()
                .and_then(|s| s.renew_time.as_ref())
                .and_then(to_time);
            if renewed.is_some_and(|r| now - r > FORGET_AFTER) {
                let _ = self
                    .api
                    .delete(&lease.name_any(), &DeleteParams::default())
                    .await;
            }
        }
    }
}
