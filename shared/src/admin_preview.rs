//! What a set of role grants would let the requester do, in the shape of
//! `kubectl auth can-i --list`: one table per namespace, with the columns Resources,
//! Non-Resource URLs, Resource Names and Verbs.
//!
//! The rows are built the way kubectl builds them: every rule is broken down into one
//! verb, one resource and one resource name a rule, rules that differ only by verb are
//! merged back, and the result is sorted by kubectl's own key (the rule's text, verbs
//! first).
//!
//! ```
//! use shared::admin::Rule;
//! use shared::admin_preview::can_i_list;
//!
//! let rule = Rule {
//!     verbs: vec!["get".into(), "list".into()],
//!     api_groups: vec!["".into(), "apps".into()],
//!     resources: vec!["deployments".into()],
//!     ..Rule::default()
//! };
//! let rows = can_i_list(&[rule]);
//! assert_eq!(rows[0].resources, "deployments");
//! assert_eq!(rows[1].resources, "deployments.apps");
//! assert_eq!(rows[1].verbs, ["get", "list"]);
//! ```

use std::collections::BTreeMap;

use crate::admin::{Grant, RoleKind, Rule};

/// One line of `kubectl auth can-i --list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanIRow {
    /// The resource with its API group, as kubectl prints it (`deployments.apps`,
    /// `pods/log`), or empty for a non-resource URL.
    pub resources: String,
    /// The non-resource URLs, such as `/healthz`.
    pub non_resource_urls: Vec<String>,
    /// The names the rule is limited to; empty means every name.
    pub resource_names: Vec<String>,
    /// The verbs allowed.
    pub verbs: Vec<String>,
}

/// Returns the rows `kubectl auth can-i --list` would print for a subject given exactly
/// these rules, in kubectl's order, without repeated rows.
pub fn can_i_list(rules: &[Rule]) -> Vec<CanIRow> {
    let broken_down = rules.iter().flat_map(break_down);
    // Simple rules (one group, one resource, at most one name) that differ only by verb
    // are merged; the map keeps the first rule's verbs first.
    let mut simple: BTreeMap<(String, String, Option<String>), Rule> = BTreeMap::new();
    let mut rows: Vec<Rule> = Vec::new();
    for rule in broken_down {
        if rule.non_resource_urls.is_empty() {
            let key = (
                rule.api_groups[0].clone(),
                rule.resources[0].clone(),
                rule.resource_names.first().cloned(),
            );
            match simple.get_mut(&key) {
                Some(existing) => {
                    for verb in rule.verbs {
                        if !existing.verbs.contains(&verb) {
                            existing.verbs.push(verb);
                        }
                    }
                }
                None => {
                    simple.insert(key, rule);
                }
            }
        } else {
            rows.push(rule);
        }
    }
    rows.extend(simple.into_values());
    rows.sort_by_cached_key(sort_key);
    rows.dedup();
    rows.into_iter()
        .map(|rule| CanIRow {
            resources: combine_resource_group(&rule.resources, &rule.api_groups),
            non_resource_urls: rule.non_resource_urls,
            resource_names: rule.resource_names,
            verbs: rule.verbs,
        })
        .collect()
}

/// kubectl's `BreakdownRule`: one verb, one group, one resource and at most one name a
/// rule; non-resource URLs one URL and one verb a rule.
fn break_down(rule: &Rule) -> Vec<Rule> {
    let mut out = Vec::new();
    for group in &rule.api_groups {
        for resource in &rule.resources {
            for verb in &rule.verbs {
                let one = |names: Vec<String>| Rule {
                    verbs: vec![verb.clone()],
                    api_groups: vec![group.clone()],
                    resources: vec![resource.clone()],
                    resource_names: names,
                    non_resource_urls: Vec::new(),
                };
                if rule.resource_names.is_empty() {
                    out.push(one(Vec::new()));
                } else {
                    out.extend(rule.resource_names.iter().map(|n| one(vec![n.clone()])));
                }
            }
        }
    }
    for url in &rule.non_resource_urls {
        for verb in &rule.verbs {
            out.push(Rule {
                verbs: vec![verb.clone()],
                non_resource_urls: vec![url.clone()],
                ..Rule::default()
            });
        }
    }
    out
}

/// The key kubectl sorts by: the rule's Go `String()` form, which starts with the verbs.
fn sort_key(rule: &Rule) -> String {
    format!(
        "&PolicyRule{{Verbs:{},APIGroups:{},Resources:{},ResourceNames:{},NonResourceURLs:{},}}",
        go_list(&rule.verbs),
        go_list(&rule.api_groups),
        go_list(&rule.resources),
        go_list(&rule.resource_names),
        go_list(&rule.non_resource_urls),
    )
}

/// A list as Go's `%v` prints a `[]string`: `[a b c]`.
pub fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// kubectl's `CombineResourceGroup`: `deployments` in `apps` is `deployments.apps`, and a
/// subresource stays last (`deployments.apps/scale`).
fn combine_resource_group(resources: &[String], groups: &[String]) -> String {
    let Some(resource) = resources.first() else {
        return String::new();
    };
    let (name, sub) = match resource.split_once('/') {
        Some((name, sub)) => (name, Some(sub)),
        None => (resource.as_str(), None),
    };
    let mut combined = name.to_owned();
    if let Some(group) = groups.first().filter(|g| !g.is_empty()) {
        combined.push('.');
        combined.push_str(group);
    }
    if let Some(sub) = sub {
        combined.push('/');
        combined.push_str(sub);
    }
    combined
}

/// A grant together with the rules of the role it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRules {
    /// The grant the approver chose.
    pub grant: Grant,
    /// The rules of the role it binds.
    pub rules: Vec<Rule>,
}

/// Where a preview table applies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// In this namespace (`kubectl auth can-i --list -n <namespace>`).
    Namespace(String),
    /// In every other namespace, and for cluster-scoped resources.
    Elsewhere,
}

/// The permissions the grants give in one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopePreview {
    /// Where these rows apply.
    pub scope: Scope,
    /// What `kubectl auth can-i --list` would print there.
    pub rows: Vec<CanIRow>,
}

/// Returns what the grants together allow, one table for each namespace a grant names
/// (cluster-wide grants included in each) and one for everywhere else when any grant is
/// cluster-wide. Non-resource URLs only count in cluster-wide grants, as in Kubernetes,
/// where a RoleBinding gives none. The permissions every signed-in user has anyway
/// (such as discovery) are not included.
pub fn preview(grants: &[GrantRules]) -> Vec<ScopePreview> {
    let mut cluster_wide: Vec<Rule> = Vec::new();
    let mut namespaced: BTreeMap<String, Vec<Rule>> = BTreeMap::new();
    for granted in grants {
        match (
            granted.grant.kind,
            granted.grant.namespace.as_deref().filter(|n| !n.is_empty()),
        ) {
            (_, Some(namespace)) => {
                namespaced.entry(namespace.to_owned()).or_default().extend(
                    granted.rules.iter().map(|rule| Rule {
                        non_resource_urls: Vec::new(),
                        ..rule.clone()
                    }),
                );
            }
            (RoleKind::ClusterRole, None) => cluster_wide.extend(granted.rules.iter().cloned()),
            // A Role without a namespace grants nothing; the server refuses it.
            (RoleKind::Role, None) => {}
        }
    }
    let mut out: Vec<ScopePreview> = namespaced
        .into_iter()
        .map(|(namespace, rules)| {
            let mut all = cluster_wide.clone();
            all.extend(rules);
            ScopePreview {
                scope: Scope::Namespace(namespace),
                rows: can_i_list(&all),
            }
        })
        .collect();
    if grants
        .iter()
        .any(|g| g.grant.kind == RoleKind::ClusterRole && g.grant.namespace.is_none())
    {
        out.push(ScopePreview {
            scope: Scope::Elsewhere,
            rows: can_i_list(&cluster_wide),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> Rule {
        Rule {
            verbs: strings(verbs),
            api_groups: strings(groups),
            resources: strings(resources),
            ..Rule::default()
        }
    }

    fn row(resources: &str, urls: &[&str], names: &[&str], verbs: &[&str]) -> CanIRow {
        CanIRow {
            resources: resources.to_owned(),
            non_resource_urls: strings(urls),
            resource_names: strings(names),
            verbs: strings(verbs),
        }
    }

    #[test]
    fn the_edit_style_rules_list_as_kubectl_lists_them() {
        let rules = [
            rule(
                &["get", "list", "watch"],
                &[""],
                &["pods", "pods/log", "services"],
            ),
            rule(&["create", "delete"], &["apps"], &["deployments"]),
            rule(&["get"], &["apps"], &["deployments"]),
            Rule {
                verbs: strings(&["get"]),
                non_resource_urls: strings(&["/healthz", "/version"]),
                ..Rule::default()
            },
            Rule {
                verbs: strings(&["get", "update"]),
                api_groups: strings(&[""]),
                resources: strings(&["configmaps"]),
                resource_names: strings(&["app-config"]),
                ..Rule::default()
            },
        ];
        assert_eq!(
            can_i_list(&rules),
            [
                row("deployments.apps", &[], &[], &["create", "delete", "get"]),
                row("pods/log", &[], &[], &["get", "list", "watch"]),
                row("pods", &[], &[], &["get", "list", "watch"]),
                row("services", &[], &[], &["get", "list", "watch"]),
                row("configmaps", &[], &["app-config"], &["get", "update"]),
                row("", &["/healthz"], &[], &["get"]),
                row("", &["/version"], &[], &["get"]),
            ]
        );
    }

    /// The order `kubectl auth can-i --list` prints for a user with only the default
    /// discovery roles (self-reviews and the public discovery URLs).
    #[test]
    fn the_default_roles_list_in_kubectls_order() {
        let rules = [
            Rule {
                verbs: strings(&["get"]),
                non_resource_urls: strings(&[
                    "/api",
                    "/api/*",
                    "/.well-known/openid-configuration",
                    "/.well-known/openid-configuration/",
                ]),
                ..Rule::default()
            },
            rule(
                &["create"],
                &["authorization.k8s.io"],
                &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
            ),
            rule(
                &["create"],
                &["authentication.k8s.io"],
                &["selfsubjectreviews"],
            ),
        ];
        let lines: Vec<String> = can_i_list(&rules)
            .into_iter()
            .map(|r| {
                format!(
                    "{} {} {} {}",
                    r.resources,
                    go_list(&r.non_resource_urls),
                    go_list(&r.resource_names),
                    go_list(&r.verbs)
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                "selfsubjectreviews.authentication.k8s.io [] [] [create]",
                "selfsubjectaccessreviews.authorization.k8s.io [] [] [create]",
                "selfsubjectrulesreviews.authorization.k8s.io [] [] [create]",
                " [/.well-known/openid-configuration/] [] [get]",
                " [/.well-known/openid-configuration] [] [get]",
                " [/api/*] [] [get]",
                " [/api] [] [get]",
            ]
        );
    }

    #[test]
    fn wildcards_and_subresources_keep_kubectls_spelling() {
        let rows = can_i_list(&[
            rule(&["*"], &["*"], &["*"]),
            rule(&["patch"], &["apps"], &["deployments/scale"]),
        ]);
        assert_eq!(
            rows,
            [
                row("*.*", &[], &[], &["*"]),
                row("deployments.apps/scale", &[], &[], &["patch"]),
            ]
        );
    }

    #[test]
    fn the_same_permission_from_two_roles_is_one_row() {
        let rows = can_i_list(&[
            rule(&["get"], &[""], &["pods"]),
            rule(&["get", "list"], &[""], &["pods"]),
        ]);
        assert_eq!(rows, [row("pods", &[], &[], &["get", "list"])]);
    }

    #[test]
    fn no_rules_list_nothing() {
        assert!(can_i_list(&[]).is_empty());
        assert!(preview(&[]).is_empty());
    }

    fn granted(kind: RoleKind, namespace: Option<&str>, rules: Vec<Rule>) -> GrantRules {
        GrantRules {
            grant: Grant {
                kind,
                name: "r".into(),
                namespace: namespace.map(str::to_owned),
            },
            rules,
        }
    }

    #[test]
    fn a_cluster_wide_grant_shows_in_every_namespace_and_elsewhere() {
        let urls = Rule {
            verbs: strings(&["get"]),
            non_resource_urls: strings(&["/metrics"]),
            ..Rule::default()
        };
        let scopes = preview(&[
            granted(
                RoleKind::Role,
                Some("team-a"),
                vec![rule(&["get"], &[""], &["pods"]), urls.clone()],
            ),
            granted(
                RoleKind::ClusterRole,
                None,
                vec![rule(&["list"], &[""], &["namespaces"]), urls],
            ),
        ]);
        assert_eq!(
            scopes,
            [
                ScopePreview {
                    scope: Scope::Namespace("team-a".into()),
                    rows: vec![
                        row("", &["/metrics"], &[], &["get"]),
                        row("pods", &[], &[], &["get"]),
                        row("namespaces", &[], &[], &["list"]),
                    ],
                },
                ScopePreview {
                    scope: Scope::Elsewhere,
                    rows: vec![
                        row("", &["/metrics"], &[], &["get"]),
                        row("namespaces", &[], &[], &["list"]),
                    ],
                },
            ]
        );
    }

    #[test]
    fn a_cluster_role_bound_in_a_namespace_gives_no_urls_and_nothing_elsewhere() {
        let scopes = preview(&[granted(
            RoleKind::ClusterRole,
            Some("team-b"),
            vec![Rule {
                verbs: strings(&["get"]),
                api_groups: strings(&[""]),
                resources: strings(&["secrets"]),
                non_resource_urls: strings(&["/healthz"]),
                ..Rule::default()
            }],
        )]);
        assert_eq!(
            scopes,
            [ScopePreview {
                scope: Scope::Namespace("team-b".into()),
                rows: vec![row("secrets", &[], &[], &["get"])],
            }]
        );
    }
}
