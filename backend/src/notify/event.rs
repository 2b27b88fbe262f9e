//! What approvers are told about: the events, and each one's facts as every format
//! renders them. An event is stored whole in its `Notification` (so a replica taking
//! over a delivery renders exactly what the first one would have).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The kinds of event a sink can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A request was submitted (not a renewal).
    Submitted,
    /// A renewal waits for a person (CertDesk does not approve it by itself).
    RenewalRequested,
    /// A request was approved.
    Approved,
    /// A request was denied.
    Denied,
    /// The requester withdrew a pending request.
    Withdrawn,
    /// A certificate without the credential plugin expires within 7 days.
    Expiring7d,
    /// A certificate without the credential plugin expires within a day.
    Expiring1d,
    /// An approver removed a person's access.
    AccessRemoved,
}

impl EventKind {
    /// Every kind, in the order a sink's default list has them.
    pub const ALL: [Self; 8] = [
        Self::Submitted,
        Self::RenewalRequested,
        Self::Approved,
        Self::Denied,
        Self::Withdrawn,
        Self::Expiring7d,
        Self::Expiring1d,
        Self::AccessRemoved,
    ];

    /// The kind's name in files, metrics and envelopes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::RenewalRequested => "renewal_requested",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Withdrawn => "withdrawn",
            Self::Expiring7d => "expiring_7d",
            Self::Expiring1d => "expiring_1d",
            Self::AccessRemoved => "access_removed",
        }
    }

    /// A short title for a person (no request data in it).
    pub fn title(self) -> &'static str {
        match self {
            Self::Submitted => "New access request",
            Self::RenewalRequested => "Renewal waiting for approval",
            Self::Approved => "Request approved",
            Self::Denied => "Request denied",
            Self::Withdrawn => "Request withdrawn",
            Self::Expiring7d => "Certificate expires within 7 days",
            Self::Expiring1d => "Certificate expires within a day",
            Self::AccessRemoved => "Access removed",
        }
    }
}

/// One event's facts. Every string here may come from a requester (or a CSR) and is
/// rendered as literal text by every format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub occurred_at: OffsetDateTime,
    /// The request (CSR) it is about, when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The certificate's username.
    pub username: String,
    /// The certificate's groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// The requested lifetime in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_seconds: Option<i64>,
    /// The key, such as "ECDSA P-256".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_algorithm: Option<String>,
    /// The requester's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The risk flags' messages.
    #[serde(default)]
    pub risks: Vec<String>,
    /// Who created the request (the CSR's `spec.username`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Who decided or removed (an approver, or CertDesk itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The decision's message (a denial's reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The roles granted with an approval, described.
    #[serde(default)]
    pub grants: Vec<String>,
    /// When the certificate expires (expiry events).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    #[schemars(with = "Option<String>")]
    pub not_after: Option<OffsetDateTime>,
}

impl Event {
    /// A bare event of `kind` about `username`, now.
    pub fn new(kind: EventKind, username: &str) -> Self {
        Self {
            kind,
            occurred_at: OffsetDateTime::now_utc(),
            request: None,
            username: username.to_owned(),
            groups: Vec::new(),
            lifetime_seconds: None,
            key_algorithm: None,
            note: None,
            risks: Vec::new(),
            created_by: None,
            actor: None,
            message: None,
            grants: Vec::new(),
            not_after: None,
        }
    }

    /// The page an approver acts on: the request's approval page, or the People page.
    pub fn link(&self, portal_url: &str) -> String {
        match &self.request {
            // Request names are CertDesk's own ids; encoded all the same.
            Some(name) => format!(
                "{portal_url}/admin/requests/{}",
                percent_encode_segment(name)
            ),
            None => format!("{portal_url}/admin/people"),
        }
    }

    /// The facts as label–value lines, in the order every format shows them; the
    /// values are the raw strings (each format escapes them its own way).
    pub fn facts(&self) -> Vec<(&'static str, String)> {
        let mut facts = vec![("User", self.username.clone())];
        if !self.groups.is_empty() {
            facts.push(("Groups", self.groups.join(", ")));
        }
        if let Some(seconds) = self.lifetime_seconds {
            facts.push(("Lifetime", human_duration(seconds)));
        }
        if let Some(key) = &self.key_algorithm {
            facts.push(("Key", key.clone()));
        }
        if let Some(by) = &self.created_by {
            facts.push(("Created by", by.clone()));
        }
        if let Some(actor) = &self.actor {
            let label = match self.kind {
                EventKind::Approved => "Approved by",
                EventKind::Denied => "Denied by",
                EventKind::AccessRemoved => "Removed by",
                _ => "By",
            };
            facts.push((label, actor.clone()));
        }
        if !self.grants.is_empty() {
            facts.push(("Grants", self.grants.join("; ")));
        } else if self.kind == EventKind::Approved {
            facts.push(("Grants", "none".to_owned()));
        }
        if let Some(at) = self.not_after {
            facts.push(("Expires", crate::audit::timestamp(at)));
        }
        if let Some(note) = &self.note {
            facts.push(("Note", note.clone()));
        }
        if let Some(message) = &self.message {
            facts.push(("Message", message.clone()));
        }
        if !self.risks.is_empty() {
            facts.push(("Risks", self.risks.join("; ")));
        }
        facts
    }
}

/// "8 hours", "30 days", "90 minutes".
pub fn human_duration(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match seconds {
        s if s % 86_400 == 0 && s > 0 => plural(s / 86_400, "day"),
        s if s % 3600 == 0 && s > 0 => plural(s / 3600, "hour"),
        s if s % 60 == 0 && s > 0 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    }
}

fn percent_encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_go_to_the_approval_page_or_people() {
        let mut event = Event::new(EventKind::Submitted, "minjun");
        event.request = Some("req-abc/../x".to_owned());
        assert_eq!(
            event.link("https://c.example"),
            "https://c.example/admin/requests/req-abc%2F..%2Fx"
        );
        event.request = None;
        assert_eq!(
            event.link("https://c.example"),
            "https://c.example/admin/people"
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(8 * 3600), "8 hours");
        assert_eq!(human_duration(86_400), "1 day");
        assert_eq!(human_duration(90 * 60), "90 minutes");
        assert_eq!(human_duration(61), "61 seconds");
    }
}
