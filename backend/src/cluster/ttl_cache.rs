//! Approvers' Kubernetes clients, reused per token for a short while: every call of an
//! approver's page would otherwise build a client and open a new TLS connection to the
//! API server. Keyed by the token's SHA-256 (the token itself is never a key, never
//! logged), bounded in size, each entry living [`TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a client is reused after it was built.
pub const TTL: Duration = Duration::from_secs(60);

/// The most clients kept at once.
pub const CAPACITY: usize = 256;

/// A bounded map from a token's hash to what was built for it.
#[derive(Debug)]
pub struct TokenCache<T> {
    entries: Mutex<HashMap<[u8; 32], (Instant, T)>>,
    capacity: usize,
    ttl: Duration,
}

impl<T: Clone> TokenCache<T> {
    /// Returns an empty cache of `capacity` entries living `ttl` each.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            ttl,
        }
    }

    /// Returns the value kept for `token`, or builds one with `build` and keeps it
    /// (forgetting expired entries, then the oldest, to stay within capacity). A build
    /// that fails is not kept.
    pub fn get_or_build<E>(
        &self,
        token: &str,
        build: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let key = hash(token);
        let now = Instant::now();
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((born, value)) = entries.get(&key)
            && now.duration_since(*born) < self.ttl
        {
            return Ok(value.clone());
        }
        let value = build()?;
        entries.retain(|_, (born, _)| now.duration_since(*born) < self.ttl);
        if entries.len() >= self.capacity
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (born, _))| *born)
                .map(|(k, _)| *k)
        {
            entries.remove(&oldest);
        }
        entries.insert(key, (now, value.clone()));
        Ok(value)
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

fn hash(token: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut key = [0u8; 32];
    key.copy_from_slice(digest.as_ref());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reuses_its_value_until_it_expires() {
        let cache = TokenCache::new(4, Duration::from_millis(50));
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
        let cache = TokenCache::new(2, Duration::from_secs(60));
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
