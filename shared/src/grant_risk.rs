//! What makes a grant an approver should confirm before adding it: it applies
//! cluster-wide, it is `cluster-admin`, its rules use wildcards, or they allow
//! `escalate`, `bind` or `impersonate` (which reach beyond the role itself).

use crate::admin::{Grant, Rule};

/// One reason a grant needs an explicit confirmation (the page words it in its
/// language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Danger {
    /// It applies cluster-wide, in every namespace.
    ClusterWide,
    /// It is `cluster-admin`, which allows everything.
    ClusterAdmin,
    /// Its rules use wildcards (`*`).
    Wildcards,
    /// It allows these of `escalate`, `bind`, `impersonate`, in that order.
    Powers(Vec<&'static str>),
}

/// Why `grant` (with its role's `rules`) needs an explicit confirmation; empty when it
/// does not.
pub fn dangers(grant: &Grant, rules: &[Rule]) -> Vec<Danger> {
    let mut why = Vec::new();
    if grant.namespace.as_deref().is_none_or(str::is_empty) {
        why.push(Danger::ClusterWide);
    }
    if grant.name == "cluster-admin" {
        why.push(Danger::ClusterAdmin);
    }
    let wildcard = |values: &[String]| values.iter().any(|v| v == "*");
    if rules.iter().any(|r| {
        wildcard(&r.verbs)
            || wildcard(&r.resources)
            || wildcard(&r.api_groups)
            || wildcard(&r.non_resource_urls)
    }) {
        why.push(Danger::Wildcards);
    }
    let mut powers: Vec<&'static str> = ["escalate", "bind", "impersonate"]
        .into_iter()
        .filter(|power| rules.iter().any(|r| r.verbs.iter().any(|v| v == power)))
        .collect();
    powers.dedup();
    if !powers.is_empty() {
        why.push(Danger::Powers(powers));
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::RoleKind;

    fn grant(name: &str, namespace: Option<&str>) -> Grant {
        Grant {
            kind: RoleKind::ClusterRole,
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
        }
    }

    fn rule(verbs: &[&str], resources: &[&str]) -> Rule {
        let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        Rule {
            verbs: strings(verbs),
            resources: strings(resources),
            api_groups: vec![String::new()],
            ..Rule::default()
        }
    }

    #[test]
    fn a_plain_namespaced_grant_needs_no_confirmation() {
        let rules = [rule(&["get", "list", "watch"], &["pods"])];
        assert!(dangers(&grant("view", Some("team-a")), &rules).is_empty());
    }

    #[test]
    fn cluster_wide_cluster_admin_wildcards_and_powers_are_each_named() {
        let rules = [rule(&["*"], &["*"])];
        let why = dangers(&grant("cluster-admin", None), &rules);
        assert_eq!(why.len(), 3, "{why:?}");
        let rules = [
            rule(&["bind", "escalate"], &["roles"]),
            rule(&["impersonate"], &["users"]),
        ];
        let why = dangers(&grant("delegate", Some("team-a")), &rules);
        assert_eq!(
            why,
            [Danger::Powers(vec!["escalate", "bind", "impersonate"])]
        );
        assert_eq!(dangers(&grant("view", Some("")), &[]).len(), 1);
    }
}
