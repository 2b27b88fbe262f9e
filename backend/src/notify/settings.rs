//! The operator's notification sinks (`--notifications-file`, YAML), read once at
//! start-up with their secrets from their own files (Secret mounts): a sink's URL,
//! SMTP password or signing secret is never a flag value and never logged.
//!
//! ```yaml
//! portalUrl: https://certdesk.example.com      # the deep links' base
//! sinks:
//!   - name: platform-slack
//!     format: slack                            # slack | teams | email | webhook
//!     urlFile: /etc/certdesk/slack/url
//!     events: [submitted, renewal_requested]   # default: every event
//!     groups: [dev-team]                       # only requests naming one of these
//!   - name: audit
//!     format: webhook
//!     urlFile: /etc/certdesk/audit/url
//!     secretFile: /etc/certdesk/audit/secret   # whsec_<base64> or raw bytes
//!   - name: mail
//!     format: email
//!     smtp: { host: smtp.example.com, port: 587, tls: starttls,
//!             username: certdesk, passwordFile: /etc/certdesk/smtp/password }
//!     from: CertDesk <certdesk@example.com>
//!     to: [platform-team@example.com]
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::event::EventKind;

/// Why the notifications file cannot be used, naming the setting to change.
#[derive(Debug, thiserror::Error)]
#[error("--notifications-file (CERTDESK_NOTIFICATIONS_FILE) {path}: {problem}")]
pub struct NotifyError {
    path: PathBuf,
    problem: String,
}

/// How a sink's messages are shaped and carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A Slack incoming webhook (Block Kit).
    Slack,
    /// A Microsoft Teams Workflows webhook (an Adaptive Card).
    Teams,
    /// Mail over SMTP.
    Email,
    /// A versioned JSON envelope, signed Standard Webhooks-style.
    Webhook,
}

impl Format {
    /// The format's name, as the file spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Teams => "teams",
            Self::Email => "email",
            Self::Webhook => "webhook",
        }
    }
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587), which must succeed.
    Starttls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No TLS at all: only for a relay on the loopback interface.
    None,
}

/// A secret read from its file; its `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// An SMTP server to send mail through.
#[derive(Debug, Clone)]
pub struct Smtp {
    /// Its host name (also the name its certificate must carry).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is protected.
    pub tls: SmtpTls,
    /// The user to authenticate as, with its password.
    pub credentials: Option<(String, Secret)>,
    /// Extra CA certificates (PEM) to trust for this server.
    pub ca_pem: Option<String>,
}

/// Where a sink delivers.
#[derive(Debug, Clone)]
pub enum Target {
    /// An HTTPS (or HTTP) endpoint, secret as a whole (Slack's and Teams' URLs are).
    Http {
        /// The endpoint.
        url: Secret,
        /// Extra CA certificates (PEM) to trust for it.
        ca_pem: Option<String>,
        /// The signing key (webhook format only).
        signing_key: Option<Secret>,
    },
    /// Mail.
    Email {
        /// The server.
        smtp: Smtp,
        /// The sender.
        from: String,
        /// The recipients.
        to: Vec<String>,
    },
}

/// One configured sink.
#[derive(Debug, Clone)]
pub struct Sink {
    /// Its name (metrics label, status key): a DNS label.
    pub name: String,
    /// Its format.
    pub format: Format,
    /// Where it delivers.
    pub target: Target,
    /// The events it wants.
    pub events: Vec<EventKind>,
    /// Only events about requests naming one of these groups (none: every request).
    pub groups: Vec<String>,
}

impl Sink {
    /// Returns whether this sink wants `kind` about a request naming `groups`.
    pub fn wants(&self, kind: EventKind, groups: &[String]) -> bool {
        self.events.contains(&kind)
            && (self.groups.is_empty() || groups.iter().any(|g| self.groups.contains(g)))
    }
}

/// The notifications settings, secrets read.
#[derive(Debug, Clone, Default)]
pub struct Notifications {
    /// The portal's public URL (deep links are made from it).
    pub portal_url: String,
    /// The sinks.
    pub sinks: Vec<Sink>,
    /// How long a failing sink is retried before the event is recorded as failed there.
    pub retry_for: Duration,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileSmtp {
    host: String,
    port: Option<u16>,
    tls: SmtpTls,
    username: Option<String>,
    password_file: Option<PathBuf>,
    ca_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileSink {
    name: String,
    format: Format,
    url_file: Option<PathBuf>,
    secret_file: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    smtp: Option<FileSmtp>,
    from: Option<String>,
    #[serde(default)]
    to: Vec<String>,
    events: Option<Vec<EventKind>>,
    #[serde(default)]
    groups: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct File {
    portal_url: String,
    #[serde(default)]
    sinks: Vec<FileSink>,
    retry_seconds: Option<u64>,
}

/// The default bound on retrying one sink for one event.
pub const DEFAULT_RETRY_FOR: Duration = Duration::from_secs(600);

impl Notifications {
    /// Reads the notifications file and every secret file it names.
    pub fn read(path: &Path) -> Result<Self, NotifyError> {
        let fail = |problem: String| NotifyError {
            path: path.to_owned(),
            problem,
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| fail(format!("cannot be read: {e}")))?;
        let file: File = serde_saphyr::from_str(&text).map_err(|e| fail(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_file(file, base).map_err(fail)
    }

    fn from_file(file: File, base: &Path) -> Result<Self, String> {
        let portal_url = file.portal_url.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&portal_url)
            .map_err(|e| format!("portalUrl {portal_url:?} is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.query().is_some() {
            return Err(format!(
                "portalUrl {portal_url:?} must be the portal's http(s) address, such as https://certdesk.example.com"
            ));
        }
        let mut sinks = Vec::new();
        for sink in file.sinks {
            let name = sink.name.clone();
            if sinks.iter().any(|s: &Sink| s.name == name) {
                return Err(format!("two sinks are named {name:?}"));
            }
            sinks.push(sink_of(sink, base).map_err(|p| format!("sink {name:?}: {p}"))?);
        }
        let retry_for = file
            .retry_seconds
            .map_or(DEFAULT_RETRY_FOR, Duration::from_secs);
        if retry_for > Duration::from_secs(3600) {
            return Err("retrySeconds must be at most 3600".to_owned());
        }
        Ok(Self {
            portal_url,
            sinks,
            retry_for,
        })
    }
}

fn read_secret(base: &Path, file: &Path, what: &str) -> Result<Secret, String> {
    let path = base.join(file);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("the {what} file {} cannot be read: {e}", path.display()))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("the {what} file {} is empty", path.display()));
    }
    Ok(Secret(text.to_owned()))
}

fn read_ca(base: &Path, file: Option<&PathBuf>) -> Result<Option<String>, String> {
    let Some(file) = file else { return Ok(None) };
    let path = base.join(file);
    let pem = std::fs::read_to_string(&path)
        .map_err(|e| format!("the CA file {} cannot be read: {e}", path.display()))?;
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(format!(
            "the CA file {} holds no PEM certificate",
            path.display()
        ));
    }
    Ok(Some(pem))
}

fn sink_of(sink: FileSink, base: &Path) -> Result<Sink, String> {
    if !shared::identity::is_dns_label(&sink.name) {
        return Err(
            "a sink's name must be lowercase letters, digits and dashes (at most 63)".to_owned(),
        );
    }
    let target = match sink.format {
        Format::Slack | Format::Teams | Format::Webhook => {
            let url_file = sink.url_file.as_ref().ok_or("urlFile is required")?;
            let url = read_secret(base, url_file, "URL")?;
            let parsed =
                reqwest::Url::parse(&url.0).map_err(|_| "the URL file holds no URL".to_owned())?;
            if !matches!(parsed.scheme(), "https" | "http") {
                return Err("the URL must be http(s)".to_owned());
            }
            let signing_key = match (sink.format, &sink.secret_file) {
                (Format::Webhook, Some(file)) => Some(read_secret(base, file, "signing secret")?),
                (Format::Webhook, None) => {
                    return Err(
                        "secretFile is required: a webhook's deliveries are signed".to_owned()
                    );
                }
                (_, Some(_)) => return Err("secretFile is for the webhook format only".to_owned()),
                (_, None) => None,
            };
            if sink.smtp.is_some() || sink.from.is_some() || !sink.to.is_empty() {
                return Err("smtp, from and to are for the email format only".to_owned());
            }
            Target::Http {
                url,
                ca_pem: read_ca(base, sink.ca_file.as_ref())?,
                signing_key,
            }
        }
        Format::Email => email_target(&sink, base)?,
    };
    let events = sink.events.unwrap_or_else(|| EventKind::ALL.to_vec());
    if events.is_empty() {
        return Err("events must name at least one event (or be left out for all)".to_owned());
    }
    Ok(Sink {
        name: sink.name,
        format: sink.format,
        target,
        events,
        groups: sink.groups,
    })
}

fn email_target(sink: &FileSink, base: &Path) -> Result<Target, String> {
    let smtp = sink
        .smtp
        .as_ref()
        .ok_or("smtp is required for the email format")?;
    if sink.url_file.is_some() || sink.secret_file.is_some() {
        return Err("urlFile and secretFile are not for the email format".to_owned());
    }
    let mailbox = |text: &str| {
        text.parse::<lettre::message::Mailbox>()
            .map(|_| text.to_owned())
            .map_err(|e| format!("{text:?} is not a mail address: {e}"))
    };
    let from = mailbox(
        sink.from
            .as_deref()
            .ok_or("from is required for the email format")?,
    )?;
    if sink.to.is_empty() {
        return Err("to must name at least one recipient".to_owned());
    }
    let to = sink
        .to
        .iter()
        .map(|t| mailbox(t))
        .collect::<Result<Vec<_>, _>>()?;
    let credentials = match (&smtp.username, &smtp.password_file) {
        (Some(user), Some(file)) => Some((user.clone(), read_secret(base, file, "SMTP password")?)),
        (None, None) => None,
        _ => return Err("smtp.username and smtp.passwordFile go together".to_owned()),
    };
    if credentials.is_some() && smtp.tls == SmtpTls::None {
        return Err(
            "smtp.tls: none would send the password in the clear; use starttls or implicit"
                .to_owned(),
        );
    }
    let port = smtp.port.unwrap_or(match smtp.tls {
        SmtpTls::Implicit => 465,
        SmtpTls::Starttls => 587,
        SmtpTls::None => 25,
    });
    Ok(Target::Email {
        smtp: Smtp {
            host: smtp.host.clone(),
            port,
            tls: smtp.tls,
            credentials,
            ca_pem: read_ca(base, smtp.ca_file.as_ref())?,
        },
        from,
        to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn read(yaml: &str) -> Result<Notifications, String> {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "url", "https://hooks.example.com/T/B/X\n");
        write(
            dir.path(),
            "secret",
            "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0\n",
        );
        write(dir.path(), "password", "hunter2\n");
        write(dir.path(), "n.yaml", yaml);
        Notifications::read(&dir.path().join("n.yaml")).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_every_format_with_its_secrets_from_files() {
        let n = read(
            "portalUrl: https://certdesk.example.com/\nsinks:\n  - {name: s, format: slack, urlFile: url, events: [submitted], groups: [dev-team]}\n  - {name: t, format: teams, urlFile: url}\n  - {name: w, format: webhook, urlFile: url, secretFile: secret}\n  - name: m\n    format: email\n    smtp: {host: smtp.example.com, tls: starttls, username: u, passwordFile: password}\n    from: CertDesk <certdesk@example.com>\n    to: [a@example.com]\n",
        )
        .unwrap();
        assert_eq!(n.portal_url, "https://certdesk.example.com");
        assert_eq!(n.sinks.len(), 4);
        assert!(n.sinks[0].wants(EventKind::Submitted, &["dev-team".to_owned()]));
        assert!(!n.sinks[0].wants(EventKind::Submitted, &["ops".to_owned()]));
        assert!(!n.sinks[0].wants(EventKind::Approved, &["dev-team".to_owned()]));
        assert!(n.sinks[1].wants(EventKind::AccessRemoved, &[]));
        let Target::Email { smtp, .. } = &n.sinks[3].target else {
            panic!()
        };
        assert_eq!(smtp.port, 587);
        // No secret in the Debug form (what a log line would show).
        let shown = format!("{n:?}");
        assert!(
            !shown.contains("hunter2")
                && !shown.contains("hooks.example.com")
                && !shown.contains("whsec_")
        );
    }

    #[test]
    fn refuses_what_cannot_work_naming_the_setting() {
        for (yaml, says) in [
            ("portalUrl: x\n", "portalUrl"),
            (
                "portalUrl: https://a\nsinks: [{name: w, format: webhook, urlFile: url}]\n",
                "secretFile is required",
            ),
            (
                "portalUrl: https://a\nsinks: [{name: s, format: slack, urlFile: missing}]\n",
                "cannot be read",
            ),
            (
                "portalUrl: https://a\nsinks: [{name: S!, format: slack, urlFile: url}]\n",
                "lowercase",
            ),
            (
                "portalUrl: https://a\nsinks: [{name: s, format: sms, urlFile: url}]\n",
                "sms",
            ),
            (
                "portalUrl: https://a\nsinks: [{name: s, format: slack, urlFile: url, events: [lunch]}]\n",
                "lunch",
            ),
            (
                "portalUrl: https://a\nsinks: [{name: s, format: slack, urlFile: url}, {name: s, format: teams, urlFile: url}]\n",
                "two sinks",
            ),
            (
                "portalUrl: https://a\nsinks: [{name: m, format: email, smtp: {host: h, tls: none, username: u, passwordFile: password}, from: a@b.c, to: [d@e.f]}]\n",
                "in the clear",
            ),
            (
                "portalUrl: https://a\nsinks: [{name: m, format: email, smtp: {host: h, tls: starttls}, from: nobody, to: [d@e.f]}]\n",
                "mail address",
            ),
        ] {
            let error = read(yaml).unwrap_err();
            assert!(error.contains(says), "{yaml}: {error}");
            assert!(!error.contains("hunter2"));
        }
    }
}
