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
pub mod send;
pub mod settings;
pub mod signing;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::ResourceExt as _;
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

    /// Looks at the state once requests stop changing for a moment (a burst of
    /// submissions is served first, for at most [`MAX_DEFER`]) and every few seconds,
    /// claiming and sending what is due.
    async fn passes(self: Arc<Self>) {
        // No claim before this replica's Lease exists: the others would take it over.
        while !self.liveness.am_alive() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let mut changes = self.cluster.cache.subscribe();
        let mut tick = tokio::time::interval(PASS_EVERY);
        loop {
            tokio::select! {
                _ = changes.recv() => {}
                _ = tick.tick() => {}
            }
            // Requests streaming in go first: the pass waits until they paused for
            // QUIET (at most for MAX_DEFER), then tells everything at once.
            let started = tokio::time::Instant::now();
            while started.elapsed() < MAX_DEFER
                && tokio::time::timeout(QUIET, changes.recv()).await.is_ok()
            {}
            self.pass().await;
        }
    }

    /// The events the state implies now.
    fn due(&self, now: OffsetDateTime) -> Vec<(String, Event)> {
        let cluster = &self.cluster;
        let Some(own) = cluster.own_username() else {
            // Which CSRs are CertDesk's is not known yet.
            return Vec::new();
        };
        let bound = cluster.bindings.users();
        let context = shared::risk::RiskContext::new(&cluster.rules.portal.policy, &bound);
        let auto_renewals = cluster.rules.portal.auto_approve_renewals;
        let scope = self.settings.portal_url.as_str();
        let mut due = Vec::new();
        let seen = |name: &str| self.is_seen(name);
        let scan = derive::Scan {
            scope,
            context: &context,
            certdesk_user: Some(own),
            auto_renewals,
            now,
            seen: &seen,
        };
        for csr in cluster.cache.all() {
            let decoding = cluster.cache.decoding(&csr);
            due.extend(derive::of_request(&scan, &csr, &decoding));
        }
        for withdrawal in self.withdrawals.state() {
            if let Some((name, mut event)) = derive::of_withdrawal(scope, &withdrawal, now) {
                if let Some(csr) = cluster.cache.get(&withdrawal.name_any())
                    && let Ok(summary) = cluster.cache.decoding(&csr).as_ref()
                {
                    event.groups.clone_from(&summary.groups);
                }
                due.push((name, event));
            }
        }
        let records = cluster.records.all();
        let removals = self.removals.state();
        for removal in &removals {
            if let Some((name, mut event)) = derive::of_removal(scope, removal, now) {
                let groups: BTreeSet<&String> = records
                    .iter()
                    .filter(|r| r.spec.username == removal.spec.username)
                    .flat_map(|r| &r.spec.groups)
                    .collect();
                event.groups = groups.into_iter().cloned().collect();
                due.push((name, event));
            }
        }
        let renewed: HashSet<&str> = records
            .iter()
            .filter_map(|r| r.spec.renewal_of.as_deref())
            .collect();
        let removed: HashSet<&str> = removals.iter().map(|r| r.spec.username.as_str()).collect();
        for record in &records {
            due.extend(derive::of_record(
                scope,
                record,
                renewed.contains(record.spec.serial.as_str()),
                removed.contains(record.spec.username.as_str()),
                now,
            ));
        }
        due
    }

    /// Claims each due event no replica has claimed yet, and sends it.
    async fn pass(self: &Arc<Self>) {
        let now = OffsetDateTime::now_utc();
        self.forget_seen(now);
        for (name, event) in self.due(now) {
            if self.is_seen(&name) {
                continue;
            }
            if !self
                .settings
                .sinks
                .iter()
                .any(|s| s.wants(event.kind, &event.groups))
            {
                self.remember(&name, &event);
                continue;
            }
            let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
                self.cluster.metrics.notification_overflow.inc();
                return;
            };
            match outbox::claim(
                &self.cluster.client,
                (&self.settings.portal_url, &name),
                &event,
                &self.me,
            )
            .await
            {
                Ok(true) => {
                    self.remember(&name, &event);
                    tokio::spawn(self.clone().work(permit, name, event, BTreeSet::new()));
                }
                Ok(false) => self.remember(&name, &event),
                Err(error) => {
                    tracing::warn!(%error, "cannot claim a notification; trying again on the next pass");
                    return;
                }
            }
        }
    }

    /// Takes over events whose replica stopped renewing its Lease, and forgets
    /// Notifications kept long enough.
    async fn sweeps(self: Arc<Self>) {
        self.liveness.ready().await;
        let mut tick = tokio::time::interval(PASS_EVERY);
        loop {
            tick.tick().await;
            let now = OffsetDateTime::now_utc();
            for object in self.outbox.state() {
                if object.spec.scope != self.settings.portal_url {
                    continue;
                }
                let created = object
                    .metadata
                    .creation_timestamp
                    .as_ref()
                    .and_then(|t| OffsetDateTime::from_unix_timestamp(t.0.as_second()).ok())
                    .unwrap_or(now);
                let expires = object.spec.event.not_after.unwrap_or(created);
                if now - created > outbox::KEEP && expires < now {
                    if let Err(error) =
                        outbox::forget(&self.cluster.client, &object.name_any()).await
                    {
                        tracing::warn!(%error, "cannot delete an old notification");
                    }
                    continue;
                }
                // A holder's Lease may reach this replica's watch a moment after its
                // first claims: a claim younger than a Lease is left alone.
                if object.spec.done
                    || now - created < liveness::LEASE
                    || self.liveness.alive(&object.spec.holder, now)
                {
                    continue;
                }
                let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
                    self.cluster.metrics.notification_overflow.inc();
                    break;
                };
                match outbox::take_over(&self.cluster.client, &object, &self.me).await {
                    Ok(Some(taken)) => {
                        tracing::info!(notification = %taken.name_any(), from = %object.spec.holder, "taking over a notification whose replica stopped");
                        let delivered = taken.spec.deliveries.keys().cloned().collect();
                        tokio::spawn(self.clone().work(
                            permit,
                            taken.name_any(),
                            taken.spec.event,
                            delivered,
                        ));
                    }
                    Ok(None) => {}
                    Err(error) => tracing::warn!(%error, "cannot take over a notification"),
                }
            }
        }
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

    /// Whether this replica still holds `name`: its own Lease is current and its watch
    /// of the outbox names no other holder.
    fn still_mine(&self, name: &str) -> bool {
        self.liveness.am_alive()
            && self
                .outbox
                .get(&kube::runtime::reflector::ObjectRef::new(name))
                .is_none_or(|object| object.spec.holder == self.me)
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

/// Each configured sink with its last delivery and failure among `objects`.
pub fn status(
    settings: &Notifications,
    objects: &[Arc<Notification>],
) -> Vec<shared::admin::SinkStatus> {
    settings
        .sinks
        .iter()
        .map(|sink| {
            let mut status = shared::admin::SinkStatus {
                name: sink.name.clone(),
                format: sink.format.as_str().to_owned(),
                events: sink.events.iter().map(|e| e.as_str().to_owned()).collect(),
                groups: sink.groups.clone(),
                last_sent: None,
                last_failure: None,
            };
            for object in objects
                .iter()
                .filter(|o| o.spec.scope == settings.portal_url)
            {
                let Some(delivery) = object.spec.deliveries.get(&sink.name) else {
                    continue;
                };
                if delivery.outcome == "sent" {
                    status.last_sent = status.last_sent.max(Some(delivery.at));
                } else if status
                    .last_failure
                    .as_ref()
                    .is_none_or(|f| f.at < delivery.at)
                {
                    status.last_failure = Some(shared::admin::SinkFailure {
                        at: delivery.at,
                        event: object.spec.event.kind.as_str().to_owned(),
                        error: delivery.error.clone().unwrap_or_default(),
                    });
                }
            }
            status
        })
        .collect()
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
