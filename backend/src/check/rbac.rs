//! Whether CertDesk's ServiceAccount may do exactly what it needs: every rule of
//! `deploy/rbac-backend.yaml` (read from the file itself, so the check and the manifest
//! cannot drift apart), and — unless the backend auto-approves — none of the powers it
//! must not hold. Asked with SubjectAccessReviews as the administrator.

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use k8s_openapi::api::rbac::v1::PolicyRule;
use kube::api::PostParams;
use kube::{Api, Client};
use serde::Deserialize;

use super::{CheckArgs, Line};

const BACKEND_RBAC: &str = include_str!("../../../deploy/rbac-backend.yaml");
const AUTO_APPROVE_RBAC: &str = include_str!("../../../deploy/rbac-backend-auto-approve.yaml");

/// What a document of an RBAC manifest says, as far as the check needs it.
#[derive(Debug, Deserialize)]
struct Document {
    kind: String,
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    rules: Vec<PolicyRule>,
}

#[derive(Debug, Default, Deserialize)]
struct Metadata {
    namespace: Option<String>,
}

/// The namespace the manifests install CertDesk in; a Role there is asked about in the
/// namespace `certdesk check` is told (`--namespace`).
const MANIFEST_NAMESPACE: &str = "certdesk";

/// One permission: verb, API group, resource (with its subresource), name, and whether
/// it is asked in CertDesk's namespace (a Role's) or cluster-wide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// The verb, such as `list`.
    pub verb: String,
    /// The API group (`""` for the core group).
    pub group: String,
    /// The resource, such as `certificatesigningrequests/approval`.
    pub resource: String,
    /// A resource name the rule is limited to.
    pub name: Option<String>,
    /// The namespace of the Role that grants it (`None`: a ClusterRole's, cluster-wide).
    /// CertDesk's own namespace is written as the manifest's, `certdesk`.
    pub namespace: Option<String>,
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let group = if self.group.is_empty() {
            "core"
        } else {
            &self.group
        };
        write!(f, "{} {}/{}", self.verb, group, self.resource)?;
        if let Some(name) = &self.name {
            write!(f, " {name}")?;
        }
        if let Some(namespace) = &self.namespace {
            write!(f, " in {namespace}")?;
        }
        Ok(())
    }
}

/// The permissions a manifest's ClusterRoles and Roles grant.
pub fn granted_by(manifest: &str) -> Vec<Permission> {
    let documents: Vec<Document> = serde_saphyr::from_multiple(manifest).unwrap_or_default();
    let mut permissions = Vec::new();
    for document in documents {
        let namespace = match document.kind.as_str() {
            "ClusterRole" => None,
            "Role" => Some(
                document
                    .metadata
                    .namespace
                    .unwrap_or_else(|| MANIFEST_NAMESPACE.to_owned()),
            ),
            _ => continue,
        };
        for rule in document.rules {
            let names: Vec<Option<String>> = match rule.resource_names {
                Some(names) if !names.is_empty() => names.into_iter().map(Some).collect(),
                _ => vec![None],
            };
            for group in rule.api_groups.unwrap_or_default() {
                for resource in rule.resources.clone().unwrap_or_default() {
                    for verb in &rule.verbs {
                        for name in &names {
                            permissions.push(Permission {
                                verb: verb.clone(),
                                group: group.clone(),
                                resource: resource.clone(),
                                name: name.clone(),
                                namespace: namespace.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
    permissions
}

/// Powers CertDesk's own identity must never hold (approval only with auto-approval).
fn must_not_hold() -> Vec<Permission> {
    let p = |verb: &str, group: &str, resource: &str, name: Option<&str>| Permission {
        verb: verb.to_owned(),
        group: group.to_owned(),
        resource: resource.to_owned(),
        name: name.map(str::to_owned),
        namespace: None,
    };
    vec![
        p(
            "update",
            "certificates.k8s.io",
            "certificatesigningrequests/approval",
            None,
        ),
        p(
            "approve",
            "certificates.k8s.io",
            "signers",
            Some("kubernetes.io/kube-apiserver-client"),
        ),
        p(
            "delete",
            "certificates.k8s.io",
            "certificatesigningrequests",
            None,
        ),
        p(
            "update",
            "certificates.k8s.io",
            "certificatesigningrequests",
            None,
        ),
        p(
            "create",
            "rbac.authorization.k8s.io",
            "clusterrolebindings",
            None,
        ),
        p("create", "rbac.authorization.k8s.io", "rolebindings", None),
        p("get", "", "secrets", None),
        p("impersonate", "", "users", None),
        p("impersonate", "", "groups", None),
    ]
}

/// Asks whether the ServiceAccount may do `permission`.
async fn may(client: &Client, args: &CheckArgs, permission: &Permission) -> kube::Result<bool> {
    let (group, subresource) = match permission.resource.split_once('/') {
        Some((resource, sub)) => (resource.to_owned(), Some(sub.to_owned())),
        None => (permission.resource.clone(), None),
    };
    let review = SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: Some(format!(
                "system:serviceaccount:{}:{}",
                args.namespace, args.service_account
            )),
            groups: Some(vec![
                "system:serviceaccounts".to_owned(),
                format!("system:serviceaccounts:{}", args.namespace),
                "system:authenticated".to_owned(),
            ]),
            resource_attributes: Some(ResourceAttributes {
                verb: Some(permission.verb.clone()),
                group: Some(permission.group.clone()),
                resource: Some(group),
                subresource,
                name: permission.name.clone(),
                namespace: permission.namespace.as_ref().map(|namespace| {
                    if namespace == MANIFEST_NAMESPACE {
                        args.namespace.clone()
                    } else {
                        namespace.clone()
                    }
                }),
                ..ResourceAttributes::default()
            }),
            ..SubjectAccessReviewSpec::default()
        },
        ..SubjectAccessReview::default()
    };
    let answer = Api::<SubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

/// The two lines: what it needs, and what it must not hold.
pub async fn check(client: &Client, args: &CheckArgs) -> Vec<Line> {
    let who = format!("{}/{}", args.namespace, args.service_account);
    let mut needed = granted_by(BACKEND_RBAC);
    if args.auto_approve {
        needed.extend(granted_by(AUTO_APPROVE_RBAC));
    }
    let mut missing = Vec::new();
    for permission in &needed {
        match may(client, args, permission).await {
            Ok(true) => {}
            Ok(false) => missing.push(permission.to_string()),
            Err(error) => {
                return vec![Line::fail(
                    "rbac",
                    format!(
                        "cannot ask the API server ({error}); run check with an administrator's kubeconfig"
                    ),
                )];
            }
        }
    }
    let mut lines = vec![if missing.is_empty() {
        Line::ok(
            "rbac-needed",
            format!("{who} holds all {} permissions it needs", needed.len()),
        )
    } else {
        Line::fail(
            "rbac-needed",
            format!(
                "{who} may not: {}; apply deploy/rbac-backend.yaml{} (the Helm chart's rbac.create does)",
                missing.join(", "),
                if args.auto_approve {
                    " and deploy/rbac-backend-auto-approve.yaml"
                } else {
                    ""
                }
            ),
        )
    }];
    let mut excess = Vec::new();
    for permission in must_not_hold().iter().filter(|p| !needed.contains(p)) {
        if let Ok(true) = may(client, args, permission).await {
            excess.push(permission.to_string());
        }
    }
    lines.push(if excess.is_empty() {
        Line::ok("rbac-least", format!("{who} holds no power it does not need"))
    } else {
        Line::fail(
            "rbac-least",
            format!(
                "{who} may also: {} — more than CertDesk needs; remove the bindings that grant it{}",
                excess.join(", "),
                if args.auto_approve { "" } else { " (approval rights belong only with --auto-approve-*: pass --auto-approve if so)" }
            ),
        )
    });
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_is_read_rule_by_rule() {
        let granted = granted_by(BACKEND_RBAC);
        let has = |verb: &str, resource: &str| {
            granted
                .iter()
                .any(|p| p.verb == verb && p.resource == resource)
        };
        assert!(has("create", "certificatesigningrequests"));
        assert!(has("update", "invites/status"));
        assert!(has("watch", "clusterrolebindings"));
        let root_ca = granted
            .iter()
            .find(|p| p.resource == "configmaps")
            .expect("the Role's rule");
        assert_eq!(root_ca.namespace.as_deref(), Some("certdesk"));
        let events = granted
            .iter()
            .find(|p| p.resource == "events")
            .expect("the audit Events rule");
        assert_eq!(events.namespace.as_deref(), Some("default"));
        assert_eq!(root_ca.name.as_deref(), Some("kube-root-ca.crt"));
        assert!(!has("update", "certificatesigningrequests/approval"));
        assert!(
            granted_by(AUTO_APPROVE_RBAC)
                .iter()
                .any(|p| p.verb == "approve" && p.resource == "signers")
        );
    }
}
