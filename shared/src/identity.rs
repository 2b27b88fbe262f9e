//! The identity rule: what the person who decides must hold before CertDesk lets a
//! certificate for an identity be issued.
//!
//! Kubernetes lets whoever may `approve` for the signer issue any name; CertDesk asks
//! the cluster, as the deciding person, whether they may `impersonate` each thing the
//! certificate will let its holder act as:
//!
//! - every requested group (`groups/<group>`);
//! - the username whenever it can hold rights: named as a User by a binding CertDesk
//!   did not make for this request ("bound"), any `system:` name or one that reads like
//!   it (RBAC, the Node authorizer and the API server give those meaning), and — with
//!   the operator's `usernames.alwaysRequireImpersonate` — every username
//!   (`users/<name>`);
//! - for a ServiceAccount's username (`system:serviceaccount:<ns>:<name>`, whether or not
//!   the ServiceAccount exists: a binding may name it later), the ServiceAccount too
//!   (`serviceaccounts/<name>` in `<ns>`), as the API server's impersonation asks.
//!
//! ```
//! use shared::identity::{needed, Permission};
//!
//! let asked = needed("system:serviceaccount:kube-system:generic-garbage-collector", &[], false, false);
//! assert_eq!(
//!     asked.iter().map(Permission::to_string).collect::<Vec<_>>(),
//!     ["users/system:serviceaccount:kube-system:generic-garbage-collector",
//!      "serviceaccounts/kube-system/generic-garbage-collector"],
//! );
//! assert!(needed("minjun", &["dev-team".into()], false, false).iter().all(|p| p.resource == "groups"));
//! ```

use crate::names::reads_as_prefixed;

/// The prefix of every ServiceAccount's username.
pub const SERVICE_ACCOUNT_PREFIX: &str = "system:serviceaccount:";

/// One `impersonate` permission the deciding person must hold.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Permission {
    /// `groups`, `users` or `serviceaccounts` (in the core API group).
    pub resource: &'static str,
    /// The object's name.
    pub name: String,
    /// The namespace, for a ServiceAccount.
    pub namespace: Option<String>,
}

impl std::fmt::Display for Permission {
    /// `groups/<name>`, `users/<name>`, or `serviceaccounts/<namespace>/<name>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{}/{namespace}/{}", self.resource, self.name),
            None => write!(f, "{}/{}", self.resource, self.name),
        }
    }
}

/// Returns the namespace and name of a ServiceAccount's username, split as the API
/// server splits it (exactly one `:` after the prefix; a valid namespace and name), or
/// `None` for any other username.
pub fn service_account(username: &str) -> Option<(&str, &str)> {
    let rest = username.strip_prefix(SERVICE_ACCOUNT_PREFIX)?;
    let (namespace, name) = rest.split_once(':')?;
    (!name.contains(':') && is_dns_label(namespace) && is_dns_subdomain(name))
        .then_some((namespace, name))
}

/// Returns whether the username is one whose rights the deciding person must be asked
/// about even when no binding names it: any `system:` name (or a look-alike of one).
pub fn always_asked(username: &str) -> bool {
    reads_as_prefixed(username, "system:")
}

/// Returns every permission the deciding person must hold to issue `username` in
/// `groups`: each group, and the username when `bound` (a binding other than this
/// request's own names it), when it is a `system:` name, or when the operator asks
/// about every username (`ask_every_username`). Nothing is left out for being
/// repeated, and the order is stable.
pub fn needed(
    username: &str,
    groups: &[String],
    bound: bool,
    ask_every_username: bool,
) -> Vec<Permission> {
    let mut asked: Vec<Permission> = groups
        .iter()
        .map(|group| Permission {
            resource: "groups",
            name: group.clone(),
            namespace: None,
        })
        .collect();
    asked.sort();
    asked.dedup();
    if bound || ask_every_username || always_asked(username) {
        asked.push(Permission {
            resource: "users",
            name: username.to_owned(),
            namespace: None,
        });
    }
    if let Some((namespace, name)) = service_account(username) {
        asked.push(Permission {
            resource: "serviceaccounts",
            name: name.to_owned(),
            namespace: Some(namespace.to_owned()),
        });
    }
    asked
}

/// Whether `text` is a DNS label (RFC 1123): 1-63 lower-case letters, digits or `-`,
/// starting and ending with a letter or digit.
pub fn is_dns_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    let inner = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
    let edge = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (1..=63).contains(&bytes.len())
        && bytes.iter().all(inner)
        && edge(bytes.first())
        && edge(bytes.last())
}

fn is_dns_subdomain(text: &str) -> bool {
    text.len() <= 253 && text.split('.').all(is_dns_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(asked: &[Permission]) -> Vec<String> {
        asked.iter().map(Permission::to_string).collect()
    }

    #[test]
    fn service_accounts_are_split_as_the_api_server_does() {
        assert_eq!(
            service_account("system:serviceaccount:kube-system:generic-garbage-collector"),
            Some(("kube-system", "generic-garbage-collector"))
        );
        assert_eq!(
            service_account("system:serviceaccount:ns:a.b"),
            Some(("ns", "a.b"))
        );
        for other in [
            "system:serviceaccount:ns",
            "system:serviceaccount:ns:a:b",
            "system:serviceaccount:NS:a",
            "system:serviceaccount::a",
            "system:serviceaccounts:ns:a",
            "alice",
        ] {
            assert_eq!(service_account(other), None, "{other}");
        }
    }

    #[test]
    fn the_username_is_asked_about_when_it_can_hold_rights() {
        let groups = ["qa".to_owned(), "dev-team".to_owned(), "qa".to_owned()];
        assert_eq!(
            names(&needed("minjun", &groups, false, false)),
            ["groups/dev-team", "groups/qa"]
        );
        assert_eq!(
            names(&needed("minjun", &[], true, false)),
            ["users/minjun"],
            "a bound username"
        );
        assert_eq!(
            names(&needed("minjun", &[], false, true)),
            ["users/minjun"],
            "every username"
        );
        for system in [
            "system:admin",
            "system:node:n1",
            "SYSTEM:admin",
            "ѕystem:admin",
            "system:serviceaccount:ns",
        ] {
            assert_eq!(
                names(&needed(system, &[], false, false)),
                [format!("users/{system}")],
                "{system}"
            );
        }
        assert_eq!(
            names(&needed(
                "system:serviceaccount:default:new-one",
                &[],
                false,
                false
            )),
            [
                "users/system:serviceaccount:default:new-one",
                "serviceaccounts/default/new-one"
            ]
        );
    }
}
