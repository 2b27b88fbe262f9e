//! A receiver for Slack, Teams and signed-webhook deliveries on loopback: it checks
//! each format's shape as the service would (Slack's text limits, Teams' Adaptive
//! Card attachment, the Standard Webhooks signature and timestamp, verified here
//! independently of CertDesk's code) and can misbehave on purpose (500s, 429 with
//! `Retry-After`, never answering).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// One accepted delivery.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The route it came to (`slack`, `teams`, `webhook`, `flaky`, …) and the sink's
    /// name after it, such as `slack/a`.
    pub path: String,
    /// Its body as JSON.
    pub body: serde_json::Value,
    /// `webhook-id`, when sent.
    pub id: Option<String>,
    /// When it arrived.
    pub at: std::time::Instant,
}

#[derive(Default)]
struct Inner {
    accepted: Vec<Delivery>,
    attempts: HashMap<String, u32>,
    refused: Vec<String>,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    secret: String,
}

/// The running receiver; dropping it stops it.
pub struct HttpSink {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HttpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The signing secret the receiver verifies webhooks with (Standard Webhooks form).
pub const SECRET: &str = "whsec_Y2VydGRlc2stZTJlLXdlYmhvb2stc2VjcmV0LTMyYg==";

impl HttpSink {
    /// Starts the receiver on a free loopback port.
    pub async fn start() -> Result<Self> {
        let shared = Shared {
            inner: Arc::default(),
            secret: SECRET.to_owned(),
        };
        let app = axum::Router::new()
            .route("/{kind}/{name}", axum::routing::post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot bind a loopback port for the sink receiver")?;
        let url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, shared, task })
    }

    /// The deliveries accepted so far at `path` (such as `slack/a`).
    pub fn accepted(&self, path: &str) -> Vec<Delivery> {
        let inner = self
            .shared
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner
            .accepted
            .iter()
            .filter(|d| d.path == path)
            .cloned()
            .collect()
    }

    /// Every request made to `path`, accepted or not.
    pub fn attempts(&self, path: &str) -> u32 {
        let inner = self
            .shared
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.attempts.get(path).copied().unwrap_or(0)
    }

    /// The attempts of the one delivery `delivery` at its path (the 500s and 429s
    /// before it included).
    pub fn attempts_of(&self, delivery: &Delivery) -> u32 {
        let key = match &delivery.id {
            Some(id) => format!("{} id {id}", delivery.path),
            None => format!(
                "{} body {}",
                delivery.path,
                digest(delivery.body.to_string().as_bytes())
            ),
        };
        let inner = self
            .shared
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.attempts.get(&key).copied().unwrap_or(0)
    }

    /// Why deliveries were refused (a format's shape or a signature).
    pub fn refused(&self) -> Vec<String> {
        let inner = self
            .shared
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.refused.clone()
    }
}

async fn receive(
    State(shared): State<Shared>,
    Path((kind, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("{kind}/{name}");
    // One delivery's attempts share its `webhook-id`, or else its body.
    let key = format!("{path} {}", delivery_key(&headers, &body));
    let attempt = {
        let mut inner = shared
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *inner.attempts.entry(path.clone()).or_default() += 1;
        let count = inner.attempts.entry(key).or_default();
        *count += 1;
        *count
    };
    match kind.as_str() {
        "dead" => {
            // Never answers (the client's timeout ends it).
            std::future::pending::<()>().await;
        }
        "flaky" if attempt <= 2 => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        "limited" if attempt == 1 => {
            return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "2")]).into_response();
        }
        "later" if attempt == 1 => {
            // Busy: come back in ten seconds (the event waits, no request in flight).
            return (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "10")]).into_response();
        }
        _ => {}
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let checked = serde_json::from_slice::<serde_json::Value>(&body)
        .map_err(|e| format!("not JSON: {e}"))
        .and_then(|json| {
            match kind.as_str() {
                "slack" => check_slack(&json)?,
                "teams" => check_teams(&json)?,
                "webhook" => check_signature(&shared.secret, &headers, &body)?,
                _ => {}
            }
            Ok(json)
        });
    match checked {
        Ok(json) => {
            let mut inner = shared
                .inner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            inner.accepted.push(Delivery {
                path,
                body: json,
                id: header("webhook-id"),
                at: std::time::Instant::now(),
            });
            StatusCode::OK.into_response()
        }
        Err(why) => {
            let mut inner = shared
                .inner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            inner.refused.push(format!("{path}: {why}"));
            (StatusCode::BAD_REQUEST, why).into_response()
        }
    }
}

fn digest(bytes: &[u8]) -> String {
    let hash = ring::digest::digest(&ring::digest::SHA256, bytes);
    STANDARD.encode(hash.as_ref())
}

fn delivery_key(headers: &HeaderMap, body: &[u8]) -> String {
    match headers.get("webhook-id").and_then(|v| v.to_str().ok()) {
        Some(id) => format!("id {id}"),
        // Re-serialised as the accepted delivery's JSON is, so both give one key.
        None => format!(
            "body {}",
            digest(
                serde_json::from_slice::<serde_json::Value>(body)
                    .map(|v| v.to_string())
                    .unwrap_or_default()
                    .as_bytes()
            )
        ),
    }
}

fn check_slack(json: &serde_json::Value) -> Result<(), String> {
    let blocks = json["blocks"].as_array().ok_or("no blocks")?;
    if blocks.is_empty() || blocks.len() > 50 {
        return Err(format!("{} blocks", blocks.len()));
    }
    for block in blocks {
        if let Some(text) = block["text"]["text"].as_str()
            && text.chars().count() > 3000
        {
            return Err("a text over 3,000 characters".to_owned());
        }
    }
    Ok(())
}

fn check_teams(json: &serde_json::Value) -> Result<(), String> {
    let attachment = &json["attachments"][0];
    if attachment["contentType"] != "application/vnd.microsoft.card.adaptive" {
        return Err("no Adaptive Card attachment".to_owned());
    }
    if attachment["content"]["type"] != "AdaptiveCard" {
        return Err("the attachment is not an AdaptiveCard".to_owned());
    }
    Ok(())
}

/// A Standard Webhooks receiver's check: the timestamp within five minutes and an
/// HMAC-SHA256 of `{id}.{timestamp}.{body}` matching one of the signatures.
pub fn check_signature(secret: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or(format!("no {name}"))
    };
    let id = header("webhook-id")?;
    let timestamp: i64 = header("webhook-timestamp")?
        .parse()
        .map_err(|_| "bad timestamp")?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if (now - timestamp).abs() > 300 {
        return Err("stale timestamp".to_owned());
    }
    let key_bytes = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .map_err(|_| "bad secret")?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key_bytes);
    let mut message = format!("{id}.{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    let ok = header("webhook-signature")?.split(' ').any(|s| {
        s.strip_prefix("v1,")
            .and_then(|b| STANDARD.decode(b).ok())
            .is_some_and(|tag| ring::hmac::verify(&key, &message, &tag).is_ok())
    });
    if ok {
        Ok(())
    } else {
        Err("bad signature".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(id: &str, timestamp: i64, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("webhook-id", id.parse().unwrap());
        headers.insert("webhook-timestamp", timestamp.to_string().parse().unwrap());
        headers.insert("webhook-signature", signature.parse().unwrap());
        headers
    }

    fn sign(timestamp: i64, body: &[u8]) -> String {
        let key = STANDARD
            .decode(SECRET.trim_start_matches("whsec_"))
            .unwrap();
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
        let mut message = format!("msg_1.{timestamp}.").into_bytes();
        message.extend_from_slice(body);
        format!(
            "v1,{}",
            STANDARD.encode(ring::hmac::sign(&key, &message).as_ref())
        )
    }

    #[test]
    fn the_receiver_refuses_a_replayed_stale_or_forged_delivery() {
        let body = br#"{"type":"certdesk.submitted"}"#;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert_eq!(
            check_signature(SECRET, &headers("msg_1", now, &sign(now, body)), body),
            Ok(())
        );
        let old = now - 301;
        assert_eq!(
            check_signature(SECRET, &headers("msg_1", old, &sign(old, body)), body),
            Err("stale timestamp".to_owned())
        );
        assert_eq!(
            check_signature(SECRET, &headers("msg_1", now, &sign(now, body)), b"{}"),
            Err("bad signature".to_owned())
        );
    }
}
