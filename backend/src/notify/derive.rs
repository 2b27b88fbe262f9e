//! Which events the cluster's state implies: each CertDesk request, withdrawal,
//! issuance record and removal in the watch caches yields its events, each with a
//! name every replica derives alike (the Notification's name).

use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use shared::admin::{Grant, RoleKind};
use time::{Duration, OffsetDateTime};

use super::event::{Event, EventKind};
use crate::cluster::approver::{self, view};
use crate::cluster::removals::Removal;
use crate::cluster::requests;
use crate::cluster::resources::IssuedCertificate;
use crate::cluster::withdrawals::Withdrawal;

/// How long after an event it is still told (a replica starting, or CertDesk back
/// after an outage, tells what happened meanwhile, and nothing older).
pub const FRESH: Duration = Duration::hours(1);
/// How long a renewal may wait for CertDesk's own approval before it needs a person.
pub const AUTO_RENEWAL_GRACE: Duration = Duration::seconds(30);

/// The Notification name of `kind` about `subject` for the install at `scope` (its
/// portal URL, which its replicas share and another install on the same cluster does
/// not): readable, and a valid object name whatever the subject (a digest of the scope
/// and the subject keeps distinct ones apart).
pub fn name(scope: &str, kind: EventKind, subject: &str) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("{scope}\n{}\n{subject}", kind.as_str()).as_bytes(),
    );
    let suffix = data_encoding::BASE32_NOPAD
        .encode(&digest.as_ref()[..10])
        .to_ascii_lowercase();
    format!(
        "{}-{}-{suffix}",
        kind.as_str().replace('_', "-"),
        requests::sanitize(subject, 60)
    )
}

fn to_time(t: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(t.0.as_second()).ok()
}

fn describe_grant(grant: &Grant) -> String {
    let kind = match grant.kind {
        RoleKind::Role => "Role",
        RoleKind::ClusterRole => "ClusterRole",
    };
    match &grant.namespace {
        Some(namespace) => format!("{kind} {} in {namespace}", grant.name),
        None => format!("{kind} {} cluster-wide", grant.name),
    }
}

/// What one pass over the requests knows: the install's scope, the risk context, the
/// backend's own username (only the CSRs it created count), whether CertDesk approves
/// renewals itself, the time, and which events were already handled here.
pub struct Scan<'a> {
    /// The install's portal URL.
    pub scope: &'a str,
    /// The risk flags' context.
    pub context: &'a shared::risk::RiskContext<'a>,
    /// The backend's own username.
    pub certdesk_user: Option<&'a str>,
    /// Whether CertDesk approves renewals by itself.
    pub auto_renewals: bool,
    /// Now.
    pub now: OffsetDateTime,
    /// Whether an event (by name) was already handled by this replica.
    pub seen: &'a dyn Fn(&str) -> bool,
}

/// The events a CertDesk request implies: submitted (or a renewal needing a person),
/// then approved or denied. A request whose every possible event was handled already
/// is not decoded again (a pass costs little however many requests there are).
pub fn of_request(
    scan: &Scan<'_>,
    csr: &CertificateSigningRequest,
    decoding: &Result<crate::csr::CsrSummary, String>,
) -> Vec<(String, Event)> {
    let (scope, context, certdesk_user, auto_renewals, now) = (
        scan.scope,
        scan.context,
        scan.certdesk_user,
        scan.auto_renewals,
        scan.now,
    );
    if !view::made_by_certdesk(csr, certdesk_user) || decoding.is_err() {
        return Vec::new();
    }
    let Some(name) = csr.metadata.name.clone() else {
        return Vec::new();
    };
    // Each event the request can still be due, with when it happened: a request whose
    // every one was handled here or is too old to tell is not decoded again.
    let renewal = requests::annotation(csr, requests::RENEWAL_OF_ANNOTATION).is_some();
    let conditions: Vec<_> = csr
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .filter(|c| c.status == "True")
        .filter_map(|c| {
            let kind = match c.type_.as_str() {
                "Approved" => EventKind::Approved,
                "Denied" => EventKind::Denied,
                _ => return None,
            };
            Some((kind, c.last_update_time.as_ref().and_then(to_time)))
        })
        .collect();
    let first = if renewal {
        EventKind::RenewalRequested
    } else {
        EventKind::Submitted
    };
    let created = csr.metadata.creation_timestamp.as_ref().and_then(to_time);
    let mut candidates = conditions.clone();
    if !renewal || conditions.is_empty() {
        candidates.push((first, created));
    }
    let settled = |(kind, at): &(EventKind, Option<OffsetDateTime>)| {
        at.is_some_and(|at| now - at > FRESH) || (scan.seen)(&self::name(scope, *kind, &name))
    };
    if candidates.iter().all(settled) {
        return Vec::new();
    }
    let seen = view::view(csr, decoding, context, certdesk_user);
    let base = |kind| {
        let mut event = Event::new(kind, seen.username.as_deref().unwrap_or_default());
        event.request = Some(name.clone());
        event.groups = seen.groups.clone();
        event.lifetime_seconds = seen.expiration_seconds.map(i64::from);
        event.key_algorithm = seen.key.clone();
        event.note = seen.note.clone();
        event.created_by = seen.created_by.clone();
        event
    };
    let mut events = Vec::new();
    let created = csr.metadata.creation_timestamp.as_ref().and_then(to_time);
    if let Some(created) = created {
        let renewal = seen.renewal_of.is_some();
        let waiting = seen.phase == shared::Phase::Pending;
        let kind = if renewal {
            EventKind::RenewalRequested
        } else {
            EventKind::Submitted
        };
        let needs_person =
            !renewal || !auto_renewals || (waiting && now - created > AUTO_RENEWAL_GRACE);
        if needs_person && (!renewal || waiting) {
            let mut event = base(kind);
            event.occurred_at = created;
            event.risks = seen.risks.iter().map(|r| r.message.clone()).collect();
            events.push((self::name(scope, kind, &name), event));
        }
    }
    let conditions = csr.status.as_ref().and_then(|s| s.conditions.as_ref());
    for condition in conditions.into_iter().flatten() {
        if condition.status != "True" {
            continue;
        }
        let kind = match condition.type_.as_str() {
            "Approved" => EventKind::Approved,
            "Denied" => EventKind::Denied,
            _ => continue,
        };
        let mut event = base(kind);
        event.occurred_at = condition
            .last_update_time
            .as_ref()
            .and_then(to_time)
            .unwrap_or(now);
        let message = condition.message.clone().unwrap_or_default();
        match kind {
            EventKind::Approved => {
                event.actor = Some(match condition.reason.as_deref() {
                    Some(approver::AUTO_APPROVE_REASON) => "CertDesk (by policy)".to_owned(),
                    Some(approver::APPROVE_REASON) => {
                        requests::annotation(csr, requests::APPROVED_BY_ANNOTATION)
                            .unwrap_or_default()
                    }
                    _ => {
                        "outside CertDesk (kubectl certificate approve or another tool)".to_owned()
                    }
                });
                event.grants = requests::annotation(csr, requests::GRANTS_ANNOTATION)
                    .and_then(|json| serde_json::from_str::<Vec<Grant>>(&json).ok())
                    .unwrap_or_default()
                    .iter()
                    .map(describe_grant)
                    .collect();
            }
            _ => {
                // CertDesk's denials read "Denied by <approver>: <reason>".
                match message
                    .strip_prefix("Denied by ")
                    .and_then(|m| m.split_once(": "))
                {
                    Some((by, reason))
                        if condition.reason.as_deref() == Some(approver::DENY_REASON) =>
                    {
                        event.actor = Some(by.to_owned());
                        event.message = Some(reason.to_owned());
                    }
                    _ => event.message = Some(message),
                }
            }
        }
        events.push((self::name(scope, kind, &name), event));
    }
    events.retain(|(_, e)| now - e.occurred_at <= FRESH);
    events
}

/// The event a withdrawal implies.
pub fn of_withdrawal(
    scope: &str,
    withdrawal: &Withdrawal,
    now: OffsetDateTime,
) -> Option<(String, Event)> {
    let name = withdrawal.metadata.name.clone()?;
    let mut event = Event::new(EventKind::Withdrawn, &withdrawal.spec.username);
    event.request = Some(name.clone());
    event.occurred_at = withdrawal.spec.withdrawn_at;
    (now - event.occurred_at <= FRESH)
        .then(|| (self::name(scope, EventKind::Withdrawn, &name), event))
}

/// The event a removal implies (named after the removal and its uid: access removed,
/// restored and removed again is told twice).
pub fn of_removal(scope: &str, removal: &Removal, now: OffsetDateTime) -> Option<(String, Event)> {
    let subject = format!(
        "{}/{}",
        removal.metadata.name.clone()?,
        removal.metadata.uid.clone()?
    );
    let mut event = Event::new(EventKind::AccessRemoved, &removal.spec.username);
    event.actor = Some(removal.spec.by.clone());
    event.occurred_at = removal.spec.at;
    (now - event.occurred_at <= FRESH)
        .then(|| (self::name(scope, EventKind::AccessRemoved, &subject), event))
}

/// The expiry warning an issuance record is due, if any: for a certificate that lived
/// long enough to need one (the credential plugin's certificates live hours and are
/// renewed by it; they get none), not renewed, and whose person still has access.
/// The 7-day warning goes to certificates of at least 14 days, the 1-day one to
/// certificates of at least 2 days.
pub fn of_record(
    scope: &str,
    record: &IssuedCertificate,
    renewed: bool,
    removed: bool,
    now: OffsetDateTime,
) -> Option<(String, Event)> {
    let spec = &record.spec;
    if renewed
        || removed
        || record
            .status
            .as_ref()
            .is_some_and(|s| s.access_removed.is_some())
    {
        return None;
    }
    let lifetime = spec.not_after - spec.not_before;
    let left = spec.not_after - now;
    let kind = if left <= Duration::ZERO {
        return None;
    } else if left <= Duration::days(1) && lifetime >= Duration::days(2) {
        EventKind::Expiring1d
    } else if left <= Duration::days(7) && lifetime >= Duration::days(14) {
        EventKind::Expiring7d
    } else {
        return None;
    };
    let mut event = Event::new(kind, &spec.username);
    event.groups = spec.groups.clone();
    event.not_after = Some(spec.not_after);
    event.occurred_at = spec.not_after
        - match kind {
            EventKind::Expiring1d => Duration::days(1),
            _ => Duration::days(7),
        };
    Some((self::name(scope, kind, &spec.serial), event))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_object_names_for_any_subject() {
        for subject in [
            "req-abc",
            "minjun@EXAMPLE.com",
            "../../x",
            "민준",
            &"a".repeat(300),
        ] {
            let name = name("https://c", EventKind::Submitted, subject);
            assert!(name.len() <= 253, "{name}");
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'-'
                    || b == b'.'),
                "{name}"
            );
        }
        assert_ne!(
            name("https://c", EventKind::Approved, "a"),
            name("https://c", EventKind::Denied, "a")
        );
        assert_ne!(
            name("https://c", EventKind::Approved, "a"),
            name("https://d", EventKind::Approved, "a")
        );
        assert_ne!(
            name("https://c", EventKind::Approved, "A"),
            name("https://c", EventKind::Approved, "a")
        );
    }

    fn record(days: i64, left_hours: i64) -> IssuedCertificate {
        let now = OffsetDateTime::now_utc();
        let spec: crate::cluster::resources::IssuedCertificateSpec = serde_json::from_value(serde_json::json!({
            "username": "minjun", "serial": "01", "sha256Fingerprint": "aa", "certificate": "",
            "notBefore": crate::audit::timestamp(now + Duration::hours(left_hours) - Duration::days(days)),
            "notAfter": crate::audit::timestamp(now + Duration::hours(left_hours)),
        }))
        .unwrap();
        IssuedCertificate::new("r", spec)
    }

    #[test]
    fn expiry_warnings_only_for_long_lived_certificates() {
        let now = OffsetDateTime::now_utc();
        let kind =
            |r: &IssuedCertificate| of_record("s", r, false, false, now).map(|(_, e)| e.kind);
        assert_eq!(kind(&record(30, 6 * 24)), Some(EventKind::Expiring7d));
        assert_eq!(kind(&record(30, 12)), Some(EventKind::Expiring1d));
        assert_eq!(kind(&record(30, 10 * 24)), None);
        // The plugin's short certificates: none.
        assert_eq!(kind(&record(1, 2)), None);
        // A week-long certificate: the day's warning, not the week's at issuance.
        assert_eq!(kind(&record(7, 6 * 24)), None);
        assert_eq!(kind(&record(7, 12)), Some(EventKind::Expiring1d));
        assert_eq!(of_record("s", &record(30, 12), true, false, now), None);
        assert_eq!(of_record("s", &record(30, 12), false, true, now), None);
        assert_eq!(kind(&record(30, -1)), None);
    }
}
