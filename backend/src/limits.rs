//! What a client can make the server spend, bounded: per-client rate limits on every
//! public route (GCRA, by [`crate::client::client_of`]'s address, an IPv6 client by its
//! /64), a lock-out after repeated failed approver sign-ins, a global bound on requests
//! in flight, and a deadline on every request.
//!
//! Each refusal is an `ApiError` with a stable code: 429 `rate_limited` or (the server
//! is full, as the Kubernetes API server answers its own limit) 429 `overloaded`, both
//! with `Retry-After`; 504 `timeout`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use shared::{ApiError, ErrorCode};
use tokio::sync::Semaphore;

use crate::AppState;
use crate::config::LimitArgs;
use crate::extract::peer_ip;
use crate::streams::client_key;

/// A per-client-key GCRA limiter.
pub type KeyedLimiter = governor::DefaultKeyedRateLimiter<IpAddr>;

/// The most clients kept locked out at once; past it the oldest lock-out is forgotten.
pub const MAX_LOCKED_OUT: usize = 65_536;

/// Every limit, built once from the configuration; shared by all handlers.
#[derive(Debug)]
pub struct Limits {
    /// Submissions and renewals.
    pub submit: Arc<KeyedLimiter>,
    /// The other public routes (status, events, invite links, renewal challenges).
    pub read: Arc<KeyedLimiter>,
    /// Failed approver sign-ins (a token the API server refused).
    pub sign_in: SignInFailures,
    in_flight: Arc<Semaphore>,
    request_timeout: Duration,
}

impl Limits {
    /// Builds the limits of `config` and starts forgetting clients whose quota refilled
    /// (so the limiters' memory stays bounded).
    pub fn new(config: &LimitArgs) -> Self {
        let submit = Arc::new(keyed(config.submit_per_minute, config.submit_burst));
        let read = Arc::new(keyed(config.read_per_minute, config.read_burst));
        let sign_in = SignInFailures {
            limiter: Arc::new(keyed(
                config.sign_in_failures_per_minute,
                config.sign_in_failures_burst,
            )),
            locked_out: Arc::new(Mutex::new(HashMap::new())),
        };
        for limiter in [&submit, &read, &sign_in.limiter] {
            forget_refilled(limiter);
        }
        Self {
            submit,
            read,
            sign_in,
            in_flight: Arc::new(Semaphore::new(config.max_in_flight as usize)),
            request_timeout: Duration::from_secs(u64::from(config.request_timeout_seconds)),
        }
    }
}

/// Forgets, every minute, the clients whose quota refilled, for as long as the limiter
/// lives, so its memory stays bounded by the clients of the last minute.
pub fn forget_refilled(limiter: &Arc<KeyedLimiter>) {
    let weak = Arc::downgrade(limiter);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let Some(limiter) = weak.upgrade() else { break };
            limiter.retain_recent();
        }
    });
}

/// A per-client limiter of `per_minute` sustained, `burst` at once.
pub fn keyed(per_minute: u32, burst: u32) -> KeyedLimiter {
    let quota = governor::Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
    governor::RateLimiter::keyed(quota)
}

/// The client key of a request: its address (see [`crate::client`]), IPv6 by /64.
fn key_of(state: &AppState, request: &Request) -> IpAddr {
    client_key(crate::client::client_of(
        peer_ip(request.extensions()),
        request.headers(),
        &state.settings.serve.trusted_proxies,
    ))
}

/// A refusal carrying `Retry-After`.
fn refusal(status: StatusCode, code: ErrorCode, message: String, seconds: u64) -> Response {
    let mut response = (status, axum::Json(ApiError::new(code, message))).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    response
}

fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

async fn limited(limiter: &KeyedLimiter, key: IpAddr, request: Request, next: Next) -> Response {
    match limiter.check_key(&key) {
        Ok(()) => next.run(request).await,
        Err(not_until) => {
            let seconds = whole_seconds(not_until.wait_time_from(DefaultClock::default().now()));
            refusal(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!("Too many requests from this address; try again in {seconds} s."),
                seconds,
            )
        }
    }
}

/// Limits submissions and renewals per client.
pub async fn submit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let key = key_of(&state, &request);
    limited(&state.limits.submit, key, request, next).await
}

/// Limits the other public routes per client (a generous quota: a status page polls).
pub async fn read(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let key = key_of(&state, &request);
    limited(&state.limits.read, key, request, next).await
}

/// Clients locked out after too many failed approver sign-ins, and the limiter that
/// counts the failures.
#[derive(Debug, Clone)]
pub struct SignInFailures {
    limiter: Arc<KeyedLimiter>,
    locked_out: Arc<Mutex<HashMap<IpAddr, Instant>>>,
}

impl SignInFailures {
    /// Returns how long `key` is still locked out, if it is.
    pub fn locked_for(&self, key: IpAddr) -> Option<Duration> {
        let mut locked = self
            .locked_out
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let until = *locked.get(&key)?;
        let now = Instant::now();
        if until > now {
            Some(until - now)
        } else {
            locked.remove(&key);
            None
        }
    }

    /// Counts one failed sign-in of `key`; past the quota, locks it out until the
    /// quota lets it try again.
    pub fn failed(&self, key: IpAddr) {
        let Err(not_until) = self.limiter.check_key(&key) else {
            return;
        };
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let now = Instant::now();
        let mut locked = self
            .locked_out
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if locked.len() >= MAX_LOCKED_OUT {
            locked.retain(|_, until| *until > now);
        }
        if locked.len() >= MAX_LOCKED_OUT
            && let Some(oldest) = locked
                .iter()
                .min_by_key(|(_, until)| **until)
                .map(|(k, _)| *k)
        {
            locked.remove(&oldest);
        }
        locked.insert(key, now + wait.max(Duration::from_secs(1)));
    }
}

/// Guards the approvers' routes: a client that sent too many tokens the cluster
/// refused (401) is answered 429 without asking the cluster, until its quota refills.
pub async fn sign_in(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let key = key_of(&state, &request);
    let failures = &state.limits.sign_in;
    if let Some(wait) = failures.locked_for(key) {
        let seconds = whole_seconds(wait);
        return refusal(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!(
                "Too many sign-ins with a token the cluster refused came from this address; try again in {seconds} s with a valid token."
            ),
            seconds,
        );
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::UNAUTHORIZED {
        failures.failed(key);
    }
    response
}

/// Bounds the requests in flight (a permit is held until the response's head is
/// ready, so open event streams do not count: they have caps of their own) and gives
/// each a deadline.
pub async fn in_flight(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limits = &state.limits;
    let Ok(_permit) = limits.in_flight.clone().try_acquire_owned() else {
        return refusal(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Overloaded,
            "CertDesk is answering as many requests as it allows at once; try again in a moment."
                .to_owned(),
            1,
        );
    };
    match tokio::time::timeout(limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let seconds = limits.request_timeout.as_secs();
            let body = ApiError::new(
                ErrorCode::Timeout,
                format!(
                    "CertDesk could not answer within {seconds} s (the Kubernetes API server may be slow). The change may still have been made: look before trying again."
                ),
            );
            (StatusCode::GATEWAY_TIMEOUT, axum::Json(body)).into_response()
        }
    }
}
