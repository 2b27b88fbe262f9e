//! What approvers see of the sinks: each configured sink with its last delivery and last
//! failure, read from the outbox (so the same on every replica), never a URL or secret.

use std::sync::Arc;

use super::outbox::Notification;
use super::settings::Notifications;

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
