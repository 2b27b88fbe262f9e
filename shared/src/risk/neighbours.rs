//! What other requests and certificates say about one request: another pending request
//! for the same username, a username that reads like another's (a Cyrillic `mіnjun`
//! beside `minjun`), and one public key in two requests or certificates (a copied CSR,
//! or one key sent many times).
//!
//! Built once for a whole list from every request and issuance record, then asked about
//! each request by its name (a request and the record named after it are one thing).

use std::collections::{BTreeMap, BTreeSet};

use crate::names::skeleton;

/// One request or issuance record, as [`Neighbours`] reads it.
#[derive(Debug, Clone, Copy)]
pub struct Neighbour<'a> {
    /// The request's (or the record's) name: a request and its record share it.
    pub name: &'a str,
    /// The username it asks for or holds.
    pub username: &'a str,
    /// The SHA-256 of its public key (any consistent encoding), when known.
    pub key_sha256: Option<&'a str>,
    /// Whether it still waits for a decision.
    pub pending: bool,
}

/// The usernames and keys of every request and record, indexed.
#[derive(Debug, Clone, Default)]
pub struct Neighbours {
    /// Skeleton → (username → the names holding it).
    by_skeleton: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    /// Username → the pending requests asking for it.
    pending_by_username: BTreeMap<String, BTreeSet<String>>,
    /// Public key → the names holding it.
    by_key: BTreeMap<String, BTreeSet<String>>,
}

/// What the neighbours say about one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    /// Other pending requests for the very same username (the first [`SHOWN`]).
    pub same_username_pending: Vec<String>,
    /// How many there are.
    pub same_username_pending_total: usize,
    /// Other usernames (of requests or certificates) that read like this one.
    pub looks_like: Vec<String>,
    /// Other requests or certificates with the same public key (the first [`SHOWN`]).
    pub same_key: Vec<String>,
    /// How many there are.
    pub same_key_total: usize,
}

impl Neighbours {
    /// Indexes `all`.
    pub fn new<'a>(all: impl IntoIterator<Item = Neighbour<'a>>) -> Self {
        let mut index = Self::default();
        for n in all {
            let read = skeleton(n.username);
            if !read.is_empty() {
                index
                    .by_skeleton
                    .entry(read)
                    .or_default()
                    .entry(n.username.to_owned())
                    .or_default()
                    .insert(n.name.to_owned());
            }
            if n.pending {
                index
                    .pending_by_username
                    .entry(n.username.to_owned())
                    .or_default()
                    .insert(n.name.to_owned());
            }
            if let Some(key) = n.key_sha256.filter(|k| !k.is_empty()) {
                index
                    .by_key
                    .entry(key.to_owned())
                    .or_default()
                    .insert(n.name.to_owned());
            }
        }
        index
    }

    /// What the others say about the request `name` for `username` with `key_sha256`.
    /// Each list is sorted and holds at most [`SHOWN`] entries.
    pub fn about(&self, name: &str, username: &str, key_sha256: Option<&str>) -> Said {
        let others = |names: Option<&BTreeSet<String>>| -> (Vec<String>, usize) {
            let Some(names) = names else {
                return (Vec::new(), 0);
            };
            let total = names.len() - usize::from(names.contains(name));
            let shown = names
                .iter()
                .filter(|n| n.as_str() != name)
                .take(SHOWN)
                .cloned()
                .collect();
            (shown, total)
        };
        let looks_like = self
            .by_skeleton
            .get(&skeleton(username))
            .into_iter()
            .flatten()
            .filter(|(other, holders)| {
                other.as_str() != username && holders.iter().any(|h| h != name)
            })
            .map(|(other, _)| other.clone())
            .take(SHOWN)
            .collect();
        let (same_username_pending, same_username_pending_total) =
            others(self.pending_by_username.get(username));
        let (same_key, same_key_total) = others(key_sha256.and_then(|k| self.by_key.get(k)));
        Said {
            same_username_pending,
            same_username_pending_total,
            looks_like,
            same_key,
            same_key_total,
        }
    }
}

/// The most names one flag lists.
pub const SHOWN: usize = 5;

#[cfg(test)]
mod tests {
    use super::*;

    fn n<'a>(name: &'a str, username: &'a str, key: &'a str, pending: bool) -> Neighbour<'a> {
        Neighbour {
            name,
            username,
            key_sha256: Some(key),
            pending,
        }
    }

    #[test]
    fn copies_and_look_alikes_are_told_and_a_request_is_not_its_own_neighbour() {
        let index = Neighbours::new([
            n("a", "minjun", "k1", true),
            n("b", "m\u{456}njun", "k2", true),
            n("c", "minjun", "k3", true),
            n("d", "jiwoo", "k1", false),
            // The record of request "d": the same thing, not a neighbour of it.
            n("d", "jiwoo", "k1", false),
        ]);
        let a = index.about("a", "minjun", Some("k1"));
        assert_eq!(a.same_username_pending, ["c"]);
        assert_eq!(a.looks_like, ["m\u{456}njun"]);
        assert_eq!(a.same_key, ["d"]);
        let b = index.about("b", "m\u{456}njun", Some("k2"));
        assert!(b.same_username_pending.is_empty() && b.same_key.is_empty());
        assert_eq!(b.looks_like, ["minjun"]);
        assert_eq!(index.about("d", "jiwoo", Some("k1")).same_key, ["a"]);
    }

    #[test]
    fn three_hundred_copies_of_one_key_list_a_few() {
        let names: Vec<String> = (0..300).map(|i| format!("r{i:03}")).collect();
        let index = Neighbours::new(names.iter().map(|name| n(name, "bot", "same", true)));
        let said = index.about("r000", "bot", Some("same"));
        assert_eq!(said.same_key.len(), SHOWN);
        assert_eq!(
            (said.same_key_total, said.same_username_pending_total),
            (299, 299)
        );
        assert_eq!(said.same_username_pending.len(), SHOWN);
        assert!(!said.same_key.contains(&"r000".to_owned()));
    }
}
