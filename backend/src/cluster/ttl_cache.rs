//! What is worth keeping for a short while, bounded in size: approvers' Kubernetes
//! clients per token (every call of an approver's page would otherwise build a client
//! and open a new TLS connection to the API server), and the webhook's answers to
//! access reviews per person and question. Keyed by the SHA-256 of the key (a token
//! itself is never kept as a key, never logged), each entry living its TTL.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an approver's client is reused after it was built.
pub const CLIENT_TTL: Duration = Duration::from_secs(60);

/// The most approvers' clients kept at once.
pub const CLIENT_CAPACITY: usize = 256;

/// A bounded map from a key's hash to what was built for it.
#[derive(Debug)]
pub struct TtlCache<T> {
    entries: Mutex<HashMap<[u8; 32], (Instant, T)>>,
    capacity: usize,
    ttl: Duration,
}

impl<T: Clone> TtlCache<T> {
    /// Returns an empty cache of `capacity` entries living `ttl` each.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            ttl,
        }
    }

    /// Returns the value kept for `key`, or builds one with `build` and keeps it
    /// (forgetting expired entries, then the oldest, to stay within capacity). A build
    /// that fails is not kept.
    pub fn get_or_build<E>(&self, key: &str, build: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        if let Some(value) = self.get(key) {
            return Ok(value);
        }
        let value = build()?;
        self.insert(key, value.clone());
        Ok(value)
    }

    /// Returns the value kept for `key`, if it has not expired.
    pub fn get(&self, key: &str) -> Option<T> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(&hash(key))
            .filter(|(born, _)| born.elapsed() < self.ttl)
            .map(|(_, value)| value.clone())
    }

    /// Keeps `value` for `key` (forgetting expired entries, then the oldest, to stay
    /// within capacity).
    pub fn insert(&self, key: &str, value: T) {
        let now = Instant::now();
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.retain(|_, (born, _)| now.duration_since(*born) < self.ttl);
        if entries.len() >= self.capacity
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (born, _))| *born)
                .map(|(k, _)| *k)
        {
            entries.remove(&oldest);
        }
        entries.insert(hash(key), (now, value));
    }

    /// Returns how many entries are kept.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Returns whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn hash(key: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
    let mut key = [0u8; 32];
    key.copy_from_slice(digest.as_ref());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reuses_its_value_until_it_expires() {
        let cache = TtlCache::new(4, Duration::from_millis(50));
        let mut builds = 0;
        let mut build = |v| {
            builds += 1;
            Ok::<_, ()>(v)
        };
        assert_eq!(cache.get_or_build("a", || build(1)), Ok(1));
        assert_eq!(cache.get_or_build("a", || build(2)), Ok(1), "reused");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(
            cache.get_or_build("a", || build(3)),
            Ok(3),
            "rebuilt after the TTL"
        );
        assert_eq!(builds, 2);
    }

    #[test]
    fn the_cache_stays_within_capacity_and_keeps_no_failure() {
        let cache = TtlCache::new(2, Duration::from_secs(60));
        for (i, token) in ["a", "b", "c", "d"].iter().enumerate() {
            assert_eq!(cache.get_or_build(token, || Ok::<_, ()>(i)), Ok(i));
        }
        assert_eq!(cache.len(), 2);
        assert_eq!(
            cache.get_or_build("e", || Err::<usize, _>("refused")),
            Err("refused")
        );
        assert_eq!(cache.len(), 2);
    }
}
