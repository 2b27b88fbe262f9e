//! `certdesk check --notify-test`: one test notification to each sink of the
//! notifications file, a line each, so an operator sees the URLs, secrets, SMTP
//! settings and the receivers' answers before a real request depends on them.

use std::path::Path;
use std::time::Duration;

use super::Line;
use crate::notify::event::{Event, EventKind};
use crate::notify::send::{Courier, Outcome};
use crate::notify::settings::Notifications;

/// How long each sink is retried in a check.
const RETRY_FOR: Duration = Duration::from_secs(20);

/// Sends the test notification to every sink of `file`.
pub async fn check(file: &Path) -> Vec<Line> {
    let mut settings = match Notifications::read(file) {
        Ok(settings) => settings,
        Err(error) => return vec![Line::fail("notify", error.to_string())],
    };
    if settings.sinks.is_empty() {
        return vec![Line::fail(
            "notify",
            format!("{} names no sink", file.display()),
        )];
    }
    settings.retry_for = RETRY_FOR;
    let mut event = Event::new(EventKind::Submitted, "certdesk-check");
    event.note = Some(
        "A test notification from `certdesk check --notify-test`; nothing to approve.".to_owned(),
    );
    let id = format!("check-{}", time::OffsetDateTime::now_utc().unix_timestamp());
    let mut lines = Vec::new();
    for sink in &settings.sinks {
        let outcome = match Courier::new(sink) {
            Ok(courier) => {
                courier
                    .deliver(sink, (&id, &event), &settings, &|| true, || {})
                    .await
            }
            Err(error) => Outcome::Failed {
                attempts: 0,
                error: format!("{error:#}"),
            },
        };
        lines.push(match outcome {
            Outcome::Sent { attempts } => Line::ok(
                "notify",
                format!("sink {} ({}) took the test notification (attempts: {attempts})", sink.name, sink.format.as_str()),
            ),
            Outcome::Failed { attempts, error } => Line::fail(
                "notify",
                format!("sink {} ({}) did not take the test notification after {attempts} attempts: {error}", sink.name, sink.format.as_str()),
            ),
            Outcome::Abandoned => Line::fail("notify", format!("sink {}: abandoned", sink.name)),
        });
    }
    lines
}
