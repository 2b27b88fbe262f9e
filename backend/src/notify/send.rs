//! Carrying one event to one sink: an HTTP POST (Slack, Teams, the signed webhook) or
//! a mail over SMTP, retried with exponential backoff and full jitter (honouring
//! `Retry-After`) while the sink answers 5xx or 429, times out or cannot be reached,
//! for at most the configured time. Error texts never hold the sink's URL or password.

use std::time::{Duration, Instant};

use super::event::Event;
use super::formats;
use super::settings::{Format, Notifications, Secret, Sink, Smtp, SmtpTls, Target};

/// How long one attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// The first retry's delay; each next one doubles, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest delay between attempts (a `Retry-After` is capped at five minutes).
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How a delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The sink accepted it.
    Sent {
        /// Attempts made, the last one successful.
        attempts: u32,
    },
    /// The sink refused it for good, or kept failing for the whole retry time.
    Failed {
        /// Attempts made.
        attempts: u32,
        /// The last failure, for a person (no URL, no secret).
        error: String,
    },
    /// Another replica took the event over; this one stopped.
    Abandoned,
}

/// One attempt's failure.
enum Attempt {
    /// Worth another try, after at least the delay the sink asked for.
    Transient(String, Option<Duration>),
    /// Not worth another try.
    Permanent(String),
}

/// What sends: an HTTP client per sink (each with the CAs it trusts).
pub struct Courier {
    http: reqwest::Client,
}

impl Courier {
    /// Builds the sink's HTTP client.
    pub fn new(sink: &Sink) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            // A webhook that redirects is misconfigured; following it could carry
            // the signed body elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("CertDesk/", env!("CARGO_PKG_VERSION")));
        if let Target::Http {
            ca_pem: Some(pem), ..
        } = &sink.target
        {
            for certificate in reqwest::Certificate::from_pem_bundle(pem.as_bytes())? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        Ok(Self {
            http: builder.build()?,
        })
    }

    /// Delivers `event` (stored as `id`) to `sink`, retrying for at most the settings'
    /// retry time; `retried` is called before each retry, and the work stops once
    /// `still_mine` says another replica may have taken the event over.
    pub async fn deliver(
        &self,
        sink: &Sink,
        (id, event): (&str, &Event),
        settings: &Notifications,
        still_mine: &(dyn Fn() -> bool + Sync),
        retried: impl Fn(),
    ) -> Outcome {
        let (portal_url, retry_for) = (settings.portal_url.as_str(), settings.retry_for);
        let started = Instant::now();
        let mut attempts = 0;
        let mut backoff = FIRST_BACKOFF;
        loop {
            if !still_mine() {
                return Outcome::Abandoned;
            }
            attempts += 1;
            let (error, asked) = match self.attempt(sink, id, event, portal_url).await {
                Ok(()) => return Outcome::Sent { attempts },
                Err(Attempt::Permanent(error)) => return Outcome::Failed { attempts, error },
                Err(Attempt::Transient(error, asked)) => (error, asked),
            };
            let wait = asked.map_or_else(|| jitter(backoff), |d| d.min(Duration::from_secs(300)));
            if started.elapsed() + wait > retry_for {
                return Outcome::Failed { attempts, error };
            }
            tracing::info!(sink = %sink.name, id, attempts, %error, ?wait, "notification not delivered; retrying");
            retried();
            tokio::time::sleep(wait).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn attempt(
        &self,
        sink: &Sink,
        id: &str,
        event: &Event,
        portal_url: &str,
    ) -> Result<(), Attempt> {
        let link = event.link(portal_url);
        match &sink.target {
            Target::Http {
                url, signing_key, ..
            } => {
                let body = match sink.format {
                    Format::Slack => formats::slack(event, &link),
                    Format::Teams => formats::teams(event, &link),
                    Format::Webhook | Format::Email => formats::envelope(id, event, &link),
                };
                self.post(url, id, &body, signing_key.as_ref()).await
            }
            Target::Email { smtp, from, to } => mail(smtp, from, to, event, &link).await,
        }
    }

    async fn post(
        &self,
        url: &Secret,
        id: &str,
        body: &serde_json::Value,
        signing_key: Option<&Secret>,
    ) -> Result<(), Attempt> {
        let body = serde_json::to_vec(body).map_err(|e| Attempt::Permanent(e.to_string()))?;
        let mut request = self
            .http
            .post(&url.0)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(secret) = signing_key {
            let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
            request = request
                .header("webhook-id", id)
                .header("webhook-timestamp", timestamp.to_string())
                .header(
                    "webhook-signature",
                    super::signing::sign(&secret.0, id, timestamp, &body),
                );
        }
        let response = match request.body(body).send().await {
            Ok(response) => response,
            Err(error) => return Err(Attempt::Transient(chain(&error.without_url()), None)),
        };
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let asked = retry_after(response.headers());
        let error = format!("the sink answered {status}");
        if status.is_server_error()
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
        {
            Err(Attempt::Transient(error, asked))
        } else {
            Err(Attempt::Permanent(error))
        }
    }
}

/// An error with its causes ("error sending request: … : Connection refused"); the
/// caller removes any URL first.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// A delay between half of `backoff` and all of it (so replicas retrying the same
/// sink spread out).
fn jitter(backoff: Duration) -> Duration {
    let mut bytes = [0u8; 4];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    let fraction = f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX);
    backoff.mul_f64(0.5 + fraction / 2.0)
}

async fn mail(
    smtp: &Smtp,
    from: &str,
    to: &[String],
    event: &Event,
    link: &str,
) -> Result<(), Attempt> {
    use lettre::message::{Mailbox, MultiPart};
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    let permanent = |e: &dyn std::fmt::Display| Attempt::Permanent(e.to_string());
    let content = formats::email(event, link);
    let mut builder = Message::builder()
        .from(from.parse::<Mailbox>().map_err(|e| permanent(&e))?)
        .subject(content.subject);
    for recipient in to {
        builder = builder.to(recipient.parse::<Mailbox>().map_err(|e| permanent(&e))?);
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(
            content.text,
            content.html,
        ))
        .map_err(|e| permanent(&e))?;
    let mut parameters = TlsParameters::builder(smtp.host.clone());
    if let Some(pem) = &smtp.ca_pem {
        parameters = parameters.add_root_certificate(
            Certificate::from_pem(pem.as_bytes()).map_err(|e| permanent(&e))?,
        );
    }
    let parameters = parameters.build_rustls().map_err(|e| permanent(&e))?;
    let tls = match smtp.tls {
        SmtpTls::Starttls => Tls::Required(parameters),
        SmtpTls::Implicit => Tls::Wrapper(parameters),
        SmtpTls::None => Tls::None,
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(ATTEMPT_TIMEOUT));
    if let Some((user, password)) = &smtp.credentials {
        transport =
            transport.credentials(lettre::transport::smtp::authentication::Credentials::new(
                user.clone(),
                password.0.clone(),
            ));
    }
    match transport.build().send(message).await {
        Ok(_) => Ok(()),
        Err(error) if error.is_permanent() => Err(Attempt::Permanent(format!(
            "the mail server refused: {error}"
        ))),
        Err(error) => Err(Attempt::Transient(format!("mail not sent: {error}"), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(30));
        headers.insert(reqwest::header::RETRY_AFTER, later.parse().unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30));
        headers.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn jitter_stays_within_half_and_whole() {
        for _ in 0..100 {
            let wait = jitter(Duration::from_secs(10));
            assert!(wait >= Duration::from_secs(5) && wait <= Duration::from_secs(10));
        }
    }
}
