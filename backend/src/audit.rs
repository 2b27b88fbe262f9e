//! The audit trail: every submission, decision, grant, invite, renewal, issuance and
//! removal of access is one structured log event (target `certdesk::audit`, with the
//! action, request id, actor and subject as fields, so `--log-format json` gives one JSON
//! object per event) and one Kubernetes Event on the object it concerns, published by
//! the backend's own identity.
//!
//! Events are published in the background: an action never waits for, or fails
//! because of, its Event. Tokens and keys are never part of an audit event.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::Resource;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};

/// Writes a time the way Kubernetes does (RFC 3339, UTC), for messages and notes.
pub fn timestamp(at: time::OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A requester submitted a request.
    Submitted,
    /// An approver approved a request.
    Approved,
    /// CertDesk approved a request itself (invite or renewal auto-approval).
    AutoApproved,
    /// An approver denied a request.
    Denied,
    /// A role binding was made for a user.
    Granted,
    /// The cluster issued a certificate and CertDesk recorded it.
    Issued,
    /// An approver made an invite.
    InviteCreated,
    /// A request was made with an invite.
    InviteUsed,
    /// An approver revoked an invite.
    InviteRevoked,
    /// A user asked to renew a certificate by proof of possession.
    RenewalRequested,
    /// An approver removed a user's access.
    AccessRemoved,
    /// A requester withdrew a pending request (proved with its key).
    Withdrawn,
    /// An approver restored a user's access.
    AccessRestored,
    /// A notification sink did not take an event within its retry time.
    NotificationFailed,
}

impl Action {
    /// The action's stable name (the Event's reason and the log field).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "Submitted",
            Self::Approved => "Approved",
            Self::AutoApproved => "AutoApproved",
            Self::Denied => "Denied",
            Self::Granted => "Granted",
            Self::Issued => "Issued",
            Self::InviteCreated => "InviteCreated",
            Self::InviteUsed => "InviteUsed",
            Self::InviteRevoked => "InviteRevoked",
            Self::RenewalRequested => "RenewalRequested",
            Self::AccessRemoved => "AccessRemoved",
            Self::Withdrawn => "Withdrawn",
            Self::AccessRestored => "AccessRestored",
            Self::NotificationFailed => "NotificationFailed",
        }
    }
}

/// One audit event.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// What happened.
    pub action: Action,
    /// Who did it: an approver's username, or `certdesk` for the backend itself, or
    /// `requester` for an anonymous requester.
    pub actor: &'a str,
    /// The username the action concerns.
    pub subject: &'a str,
    /// The request (CSR) id, when there is one.
    pub request: Option<&'a str>,
    /// A sentence for people.
    pub note: String,
}

/// Writes audit events; cheap to clone.
#[derive(Clone)]
pub struct Audit {
    recorder: Option<std::sync::Arc<Recorder>>,
    /// The Events being published, awaited by [`Audit::flush`] at shutdown.
    in_flight: tokio_util::task::TaskTracker,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audit")
            .field("events", &self.recorder.is_some())
            .finish()
    }
}

/// The longest Event note the API server accepts is 1 kB.
const MAX_NOTE_BYTES: usize = 1000;

impl Audit {
    /// Returns an audit trail that publishes Events with `client` (the backend's own
    /// identity; it needs `create` and `patch` on `events.events.k8s.io` in `default`,
    /// where Events about cluster-scoped objects go).
    pub fn new(client: kube::Client) -> Self {
        let reporter = Reporter {
            controller: "certdesk".to_owned(),
            instance: None,
        };
        Self {
            recorder: Some(std::sync::Arc::new(Recorder::new(client, reporter))),
            in_flight: tokio_util::task::TaskTracker::new(),
        }
    }

    /// Returns an audit trail that only logs (no cluster to publish Events to).
    pub fn log_only() -> Self {
        Self {
            recorder: None,
            in_flight: tokio_util::task::TaskTracker::new(),
        }
    }

    /// Logs the entry (for an action whose object is gone, such as a restored access).
    pub fn log(&self, entry: Entry<'_>) {
        tracing::info!(
            target: "certdesk::audit",
            action = entry.action.as_str(),
            actor = entry.actor,
            subject = entry.subject,
            request = entry.request.unwrap_or_default(),
            "{}",
            entry.note
        );
    }

    /// Logs the entry and publishes it as an Event on `object`.
    pub fn record<K: Resource<DynamicType = ()>>(&self, object: &K, entry: Entry<'_>) {
        self.record_on(object.object_ref(&()), entry);
    }

    /// Logs the entry and publishes it as an Event on the referenced object.
    pub fn record_on(&self, regarding: ObjectReference, entry: Entry<'_>) {
        tracing::info!(
            target: "certdesk::audit",
            action = entry.action.as_str(),
            actor = entry.actor,
            subject = entry.subject,
            request = entry.request.unwrap_or_default(),
            object_kind = regarding.kind.as_deref().unwrap_or_default(),
            object = regarding.name.as_deref().unwrap_or_default(),
            "{}",
            entry.note
        );
        let Some(recorder) = self.recorder.clone() else {
            return;
        };
        let mut note = entry.note;
        if note.len() > MAX_NOTE_BYTES {
            let mut end = MAX_NOTE_BYTES;
            while !note.is_char_boundary(end) {
                end -= 1;
            }
            note.truncate(end);
        }
        let event = Event {
            type_: EventType::Normal,
            reason: entry.action.as_str().to_owned(),
            note: Some(note),
            action: entry.action.as_str().to_owned(),
            secondary: None,
        };
        self.in_flight.spawn(async move {
            if let Err(error) = recorder.publish(&event, &regarding).await {
                tracing::warn!(%error, "could not publish an audit Event");
            }
        });
    }

    /// Waits (at most `within`) for the Events still being published, so stopping the
    /// process does not drop them; later entries are still published if time allows.
    pub async fn flush(&self, within: std::time::Duration) {
        self.in_flight.close();
        if tokio::time::timeout(within, self.in_flight.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                pending = self.in_flight.len(),
                "audit Events still unpublished at shutdown"
            );
        }
        self.in_flight.reopen();
    }
}
