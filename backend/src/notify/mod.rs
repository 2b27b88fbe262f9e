//! Telling approvers where they already work: Slack, Teams, mail and signed webhooks.
//!
//! Every replica derives the same events from the cluster's state ([`derive`]), the
//! first to create an event's `Notification` sends it ([`outbox`]), each sink gets it
//! in its own format ([`formats`]) with retries ([`send`]), and a replica that dies
//! mid-send leaves the event to another once its lease runs out. Nothing here runs on
//! a request's path: a slow or dead sink never slows a submission or a decision, and
//! the work one replica takes on at once is bounded.

pub mod derive;
pub mod event;
pub mod formats;
pub mod liveness;
pub mod outbox;
mod passes;
pub mod send;
pub mod settings;
pub mod signing;
pub mod status;

pub use status::status;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::runtime::reflector::Store;
use time::OffsetDateTime;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::audit::{Action, Entry};
use crate::cluster::Cluster;
use crate::cluster::removals::Removal;
use crate::cluster::withdrawals::Withdrawal;
use crate::metrics::{NotifyLabels, SinkLabels};
use event::Event;
use outbox::{Delivery, Notification};
use settings::{Notifications, Sink};

/// Events one replica works on at once (each until every sink took it or its retry
/// time ran out); more are left for a later pass or another replica, and counted.
pub const IN_FLIGHT: usize = 512;
/// Deliveries to one sink under way at once on one replica.
pub const PER_SINK: usize = 16;
/// How often the state is looked at without a change to prompt it.
const PASS_EVERY: Duration = Duration::from_secs(5);
/// How long requests must pause before a pass runs…
const QUIET: Duration = Duration::from_millis(100);
/// …and for how long at most a burst of them puts a pass off: telling costs a write to
/// the API server per event (the claim), which requests streaming in should not queue
/// behind; an approver hears of a request at most this much later.
const MAX_DEFER: Duration = Duration::from_secs(5);

/// The running notifier of one replica.
pub struct Notifier {
    settings: Arc<Notifications>,
    couriers: HashMap<String, (send::Courier, Arc<Semaphore>)>,
    me: String,
    liveness: Arc<liveness::Liveness>,
    cluster: Cluster,
    in_flight: Arc<Semaphore>,
    seen: Mutex<HashMap<String, OffsetDateTime>>,
    outbox: Store<Notification>,
    withdrawals: Store<Withdrawal>,
    removals: Store<Removal>,
}

impl Notifier {
    /// Starts the notifier's passes in the background (nothing when no sink is set).
    pub fn start(
        cluster: &Cluster,
        settings: Arc<Notifications>,
    ) -> anyhow::Result<Option<Arc<Self>>> {
        if settings.sinks.is_empty() {
            return Ok(None);
        }
        let mut couriers = HashMap::new();
        for sink in &settings.sinks {
            couriers.insert(
                sink.name.clone(),
                (
                    send::Courier::new(sink)?,
                    Arc::new(Semaphore::new(PER_SINK)),
                ),
            );
        }
        let client = cluster.client.clone();
        let me = replica_name();
        let notifier = Arc::new(Self {
            couriers,
            liveness: liveness::Liveness::start(&client, &cluster.namespace, &me),
            me,
            cluster: cluster.clone(),
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
            seen: Mutex::default(),
            outbox: crate::cluster::watch::everything(
                client.clone(),
                "Notification",
                |_: &Notification| {},
            ),
            withdrawals: crate::cluster::watch::everything(
                client.clone(),
                "Withdrawal",
                |_: &Withdrawal| {},
            ),
            removals: crate::cluster::watch::everything(client, "Removal", |_: &Removal| {}),
            settings,
        });
        tokio::spawn(notifier.clone().passes());
        tokio::spawn(notifier.clone().sweeps());
        Ok(Some(notifier))
    }

    /// Sends a claimed event to every sink that wants it and has no outcome yet; the
    /// last outcome recorded marks it done.
    async fn work(
        self: Arc<Self>,
        _permit: OwnedSemaphorePermit,
        name: String,
        event: Event,
        delivered: BTreeSet<String>,
    ) {
        let sinks: Vec<&Sink> = self
            .settings
            .sinks
            .iter()
            .filter(|s| s.wants(event.kind, &event.groups) && !delivered.contains(&s.name))
            .collect();
        let left = AtomicUsize::new(sinks.len());
        futures::future::join_all(
            sinks
                .into_iter()
                .map(|sink| self.deliver(sink, &name, &event, &left)),
        )
        .await;
    }

    /// Whether this replica still holds `name`: its own Lease is current, and its watch
    /// of the outbox shows no live replica other than itself holding it (right after a
    /// takeover the watch may still show the dead holder taken over from).
    fn still_mine(&self, name: &str) -> bool {
        let now = OffsetDateTime::now_utc();
        self.liveness.am_alive()
            && self
                .outbox
                .get(&kube::runtime::reflector::ObjectRef::new(name))
                .is_none_or(|object| {
                    object.spec.holder == self.me || !self.liveness.alive(&object.spec.holder, now)
                })
    }

    async fn deliver(&self, sink: &Sink, name: &str, event: &Event, left: &AtomicUsize) {
        let Some((courier, slots)) = self.couriers.get(&sink.name) else {
            return;
        };
        let Ok(_slot) = slots.acquire().await else {
            return;
        };
        let metrics = &self.cluster.metrics;
        let labels = |outcome: &str| NotifyLabels {
            sink: sink.name.clone(),
            event: event.kind.as_str().to_owned(),
            outcome: outcome.to_owned(),
        };
        let outcome = courier
            .deliver(
                sink,
                (name, event),
                &self.settings,
                &|| self.still_mine(name),
                || {
                    metrics
                        .notifications
                        .get_or_create(&labels("retried"))
                        .inc();
                },
            )
            .await;
        let (delivery, outcome_label) = match outcome {
            send::Outcome::Abandoned => return,
            send::Outcome::Sent { attempts } => {
                let latency = (OffsetDateTime::now_utc() - event.occurred_at).as_seconds_f64();
                metrics
                    .notification_latency
                    .get_or_create(&SinkLabels {
                        sink: sink.name.clone(),
                    })
                    .observe(latency.max(0.0));
                (delivered(attempts, None), "sent")
            }
            send::Outcome::Failed { attempts, error } => {
                tracing::warn!(sink = %sink.name, notification = name, attempts, %error, "notification failed");
                self.cluster.audit.record_on(
                    reference(name),
                    Entry {
                        action: Action::NotificationFailed,
                        actor: &self.me,
                        subject: &event.username,
                        request: event.request.as_deref(),
                        note: format!(
                            "sink {} did not take the {} event after {attempts} attempts: {error}",
                            sink.name,
                            event.kind.as_str()
                        ),
                    },
                );
                (delivered(attempts, Some(error)), "failed")
            }
        };
        metrics
            .notifications
            .get_or_create(&labels(outcome_label))
            .inc();
        let last = left.fetch_sub(1, Ordering::AcqRel) == 1;
        if let Err(error) =
            outbox::record(&self.cluster.client, name, (&sink.name, &delivery), last).await
        {
            tracing::warn!(%error, notification = name, "cannot record a delivery");
        }
    }

    fn is_seen(&self, name: &str) -> bool {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(name)
    }

    /// Remembers an event as handled here until it can no longer be due.
    fn remember(&self, name: &str, event: &Event) {
        let until = event.not_after.unwrap_or(event.occurred_at + derive::FRESH)
            + time::Duration::minutes(1);
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.to_owned(), until);
    }

    fn forget_seen(&self, now: OffsetDateTime) {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, until| *until > now);
    }

    /// Each sink with its last delivery and last failure on record.
    pub fn status(&self) -> Vec<shared::admin::SinkStatus> {
        status(&self.settings, &self.outbox.state())
    }
}

fn delivered(attempts: u32, error: Option<String>) -> Delivery {
    Delivery {
        outcome: if error.is_none() { "sent" } else { "failed" }.to_owned(),
        attempts,
        at: OffsetDateTime::now_utc(),
        error,
    }
}

fn reference(name: &str) -> k8s_openapi::api::core::v1::ObjectReference {
    k8s_openapi::api::core::v1::ObjectReference {
        api_version: Some("certdesk.dev/v1alpha1".to_owned()),
        kind: Some("Notification".to_owned()),
        name: Some(name.to_owned()),
        ..Default::default()
    }
}

/// This process's name in claims: the pod's name (or host) and a random suffix, so a
/// restarted replica never mistakes its predecessor's claims for its own.
fn replica_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "certdesk".to_owned());
    let mut bytes = [0u8; 5];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    format!(
        "{host}-{}",
        data_encoding::BASE32_NOPAD
            .encode(&bytes)
            .to_ascii_lowercase()
    )
}
