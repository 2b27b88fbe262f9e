//! A replica's two loops: passes that claim what the cluster's state says is due, and
//! sweeps that take over the events of replicas whose Lease ran out and forget old ones.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use kube::ResourceExt as _;
use time::OffsetDateTime;

use super::event::Event;
use super::{MAX_DEFER, Notifier, PASS_EVERY, QUIET, derive, liveness, outbox};

impl Notifier {
    /// Looks at the state once requests stop changing for a moment (a burst of
    /// submissions is served first, for at most [`MAX_DEFER`]) and every few seconds,
    /// claiming and sending what is due.
    pub(super) async fn passes(self: Arc<Self>) {
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
    pub(super) async fn sweeps(self: Arc<Self>) {
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
}
