//! How a username or group reads to a person, next to how the API server compares it.
//!
//! Kubernetes compares names byte for byte: `minjun`, ` minjun `, `Minjun` and `mіnjun`
//! (with a Cyrillic `і`) are four different users to RBAC, and read as one to an
//! approver. This module tells the two readings apart, so a name that would be misread
//! is refused at submission and flagged on the approval page.
//!
//! - [`misreading`] finds what makes a name read differently than it is: control
//!   characters (NUL included), invisible characters (zero-width, bidirectional
//!   formatting, other default-ignorable code points) and surrounding white space.
//! - [`skeleton`] is the form two names share when a person would read them as the same:
//!   invisible characters dropped, lower-cased, then mapped to the UTS #39 confusable
//!   prototype of each character.
//! - [`looks_like`] and [`reads_as_prefixed`] compare by skeleton.
//!
//! ```
//! use shared::names::{looks_like, misreading, reads_as_prefixed, Misreading};
//!
//! assert_eq!(misreading(" minjun "), Some(Misreading::SurroundingSpace));
//! assert_eq!(looks_like("m\u{456}njun", ["minjun"]), Some("minjun"));
//! assert_eq!(looks_like("minjun", ["minjun"]), None);
//! assert!(reads_as_prefixed("SYSTEM:masters", "system:"));
//! ```

use std::collections::{BTreeMap, BTreeSet};

#[cfg(feature = "confusables")]
use unicode_security::confusable_detection::skeleton as uts39_skeleton;

/// What makes a name read differently than the API server reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misreading {
    /// It holds a control character (NUL, escape, DEL, C1 controls).
    Control,
    /// It holds a character that shows nothing: zero-width, bidirectional formatting,
    /// or another default-ignorable code point.
    Invisible,
    /// It starts or ends with white space.
    SurroundingSpace,
}

/// Returns what makes `name` misread, if anything (control characters first, then
/// invisible ones, then surrounding white space).
pub fn misreading(name: &str) -> Option<Misreading> {
    if name.chars().any(char::is_control) {
        Some(Misreading::Control)
    } else if name.chars().any(is_invisible) {
        Some(Misreading::Invisible)
    } else if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        Some(Misreading::SurroundingSpace)
    } else {
        None
    }
}

/// Returns whether `c` shows nothing on a page: Unicode's default-ignorable code points
/// (zero-width space and joiners, word joiner, soft hyphen, byte order mark, variation
/// selectors, tags) and the bidirectional formatting characters.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Returns the form `name` shares with every name a person would read as the same one:
/// control and invisible characters dropped, surrounding white space trimmed,
/// lower-cased, and each character mapped to its UTS #39 confusable prototype.
pub fn skeleton(name: &str) -> String {
    let visible: String = name
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .collect();
    let lowered = visible.trim().to_lowercase();
    prototypes(&lowered)
}

/// Each character mapped to its UTS #39 confusable prototype, lower-cased.
#[cfg(feature = "confusables")]
fn prototypes(lowered: &str) -> String {
    uts39_skeleton(lowered).collect::<String>().to_lowercase()
}

/// Without the `confusables` tables (the requester's browser bundle) names are told
/// apart by case, invisible characters and surrounding space only; the server, which
/// has the tables, refuses look-alikes.
#[cfg(not(feature = "confusables"))]
fn prototypes(lowered: &str) -> String {
    lowered.to_owned()
}

/// Returns the first of `others` that `name` reads as without being exactly it.
pub fn looks_like<'a>(name: &str, others: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mine = skeleton(name);
    others
        .into_iter()
        .find(|other| *other != name && skeleton(other) == mine)
}

/// Returns whether `name` reads as starting with `prefix` (ignoring case, invisible
/// characters, surrounding space and confusable look-alikes).
pub fn reads_as_prefixed(name: &str, prefix: &str) -> bool {
    let prefix = skeleton(prefix);
    !prefix.is_empty() && skeleton(name).starts_with(&prefix)
}

/// A set of names indexed by [`skeleton`], so "which known name does this one read
/// as?" costs one lookup however many names there are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameIndex {
    by_skeleton: BTreeMap<String, BTreeSet<String>>,
}

impl NameIndex {
    /// Returns an empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a name.
    pub fn insert(&mut self, name: &str) {
        self.by_skeleton
            .entry(skeleton(name))
            .or_default()
            .insert(name.to_owned());
    }

    /// Returns whether the index holds exactly `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.contains_read(name, &skeleton(name))
    }

    /// Does what [`NameIndex::contains`] does, given the name's [`skeleton`] already.
    pub fn contains_read(&self, name: &str, skeleton: &str) -> bool {
        self.by_skeleton
            .get(skeleton)
            .is_some_and(|names| names.contains(name))
    }

    /// Returns a name of the index that `name` reads as without being exactly it.
    pub fn look_alike(&self, name: &str) -> Option<&str> {
        self.look_alike_read(name, &skeleton(name))
    }

    /// Does what [`NameIndex::look_alike`] does, given the name's [`skeleton`] already.
    pub fn look_alike_read(&self, name: &str, skeleton: &str) -> Option<&str> {
        self.by_skeleton
            .get(skeleton)?
            .iter()
            .find(|known| *known != name)
            .map(String::as_str)
    }

    /// Returns how many names the index holds.
    pub fn len(&self) -> usize {
        self.by_skeleton.values().map(BTreeSet::len).sum()
    }

    /// Returns whether the index holds no name.
    pub fn is_empty(&self) -> bool {
        self.by_skeleton.is_empty()
    }
}

impl<'a> FromIterator<&'a str> for NameIndex {
    fn from_iter<I: IntoIterator<Item = &'a str>>(names: I) -> Self {
        let mut index = Self::new();
        for name in names {
            index.insert(name);
        }
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The browser's build (feature `confusables` off): case, invisible characters and
    /// surrounding space still fold; a Cyrillic look-alike does not (the server's does).
    /// `scripts/test.sh` runs it with `--no-default-features`.
    #[test]
    #[cfg(not(feature = "confusables"))]
    fn without_tables_only_case_invisibles_and_space_fold() {
        assert_eq!(skeleton(" Min\u{200B}Jun "), "minjun");
        assert_ne!(skeleton("m\u{0456}njun"), skeleton("minjun"));
    }

    #[test]
    #[cfg(feature = "confusables")]
    fn with_tables_a_cyrillic_look_alike_folds_too() {
        assert_eq!(skeleton("m\u{0456}njun"), skeleton("minjun"));
    }

    #[test]
    fn plain_names_read_as_they_are() {
        for name in [
            "minjun",
            "dev-team",
            "kubeadm:cluster-admins",
            "김민준",
            "a b",
        ] {
            assert_eq!(misreading(name), None, "{name:?}");
        }
    }

    #[test]
    fn misreadings_are_named() {
        assert_eq!(
            misreading("kubeadm:cluster-admins\0"),
            Some(Misreading::Control)
        );
        assert_eq!(misreading("a\u{1b}[31m"), Some(Misreading::Control));
        assert_eq!(
            misreading("kubeadm:cluster\u{200B}-admins"),
            Some(Misreading::Invisible)
        );
        assert_eq!(misreading("nujnim\u{202E}"), Some(Misreading::Invisible));
        assert_eq!(misreading("\u{FEFF}minjun"), Some(Misreading::Invisible));
        assert_eq!(misreading(" minjun "), Some(Misreading::SurroundingSpace));
        assert_eq!(
            misreading("minjun\u{3000}"),
            Some(Misreading::SurroundingSpace)
        );
    }

    #[test]
    fn look_alikes_share_a_skeleton() {
        let admin = "kubeadm:cluster-admins";
        assert_eq!(looks_like("Kubeadm:Cluster-Admins", [admin]), Some(admin));
        assert_eq!(
            looks_like("kubeadm:cluster\u{200B}-admins", [admin]),
            Some(admin)
        );
        assert_eq!(looks_like("kubeadm:cluster-admins\0", [admin]), Some(admin));
        // Cyrillic а and Greek ο in place of the Latin letters.
        assert_eq!(
            looks_like("kube\u{430}dm:cluster-\u{430}dmins", [admin]),
            Some(admin)
        );
        assert_eq!(looks_like("m\u{456}njun", ["minjun"]), Some("minjun"));
        assert_eq!(looks_like(" minjun ", ["minjun"]), Some("minjun"));
        assert_eq!(looks_like("minjun", ["minjun", "other"]), None);
        assert_eq!(looks_like("minjun2", ["minjun"]), None);
    }

    #[test]
    fn the_index_finds_look_alikes_in_one_lookup() {
        let index: NameIndex = ["minjun", "alice"].into_iter().collect();
        assert_eq!(index.len(), 2);
        assert!(index.contains("minjun"));
        assert!(!index.contains("Minjun"));
        assert_eq!(index.look_alike("m\u{456}njun"), Some("minjun"));
        assert_eq!(index.look_alike("ALICE"), Some("alice"));
        assert_eq!(index.look_alike("minjun"), None);
        assert_eq!(index.look_alike("bob"), None);
    }

    #[test]
    fn prefixes_read_through_case_and_look_alikes() {
        assert!(reads_as_prefixed("system:masters", "system:"));
        assert!(reads_as_prefixed(" SYSTEM:admin", "system:"));
        assert!(reads_as_prefixed("\u{200B}system:admin", "system:"));
        assert!(reads_as_prefixed("\u{455}ystem:admin", "system:"));
        assert!(!reads_as_prefixed("systemd", "system:"));
        assert!(!reads_as_prefixed("anything", ""));
    }
}
