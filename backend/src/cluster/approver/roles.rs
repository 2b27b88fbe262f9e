//! The roles an approver can see and choose from.

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule, Role};
use kube::api::ListParams;
use kube::{Api, Client};
use shared::admin::{RoleKind, RoleView, Rule};

use crate::cluster::error::{Error, Result};

/// Returns the Roles (of the namespace, if given) and ClusterRoles the approver can see.
pub async fn roles(client: &Client, namespace: Option<&str>) -> Result<Vec<RoleView>> {
    let mut out = Vec::new();
    if let Some(namespace) = namespace.filter(|n| !n.is_empty()) {
        for role in Api::<Role>::namespaced(client.clone(), namespace)
            .list(&ListParams::default())
            .await
            .map_err(Error::approver)?
            .items
        {
            out.push(RoleView {
                kind: RoleKind::Role,
                name: role.metadata.name.unwrap_or_default(),
                namespace: role.metadata.namespace,
                rules: rules(role.rules),
            });
        }
    }
    for role in Api::<ClusterRole>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(Error::approver)?
        .items
    {
        out.push(RoleView {
            kind: RoleKind::ClusterRole,
            name: role.metadata.name.unwrap_or_default(),
            namespace: None,
            rules: rules(role.rules),
        });
    }
    Ok(out)
}

/// The Kubernetes rules in the shape the browser reads.
fn rules(rules: Option<Vec<PolicyRule>>) -> Vec<Rule> {
    rules
        .unwrap_or_default()
        .into_iter()
        .map(|rule| Rule {
            verbs: rule.verbs,
            api_groups: rule.api_groups.unwrap_or_default(),
            resources: rule.resources.unwrap_or_default(),
            resource_names: rule.resource_names.unwrap_or_default(),
            non_resource_urls: rule.non_resource_urls.unwrap_or_default(),
        })
        .collect()
}
