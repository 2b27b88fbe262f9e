//! The roles an approver can see and choose from.

use k8s_openapi::api::core::v1::Namespace;
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

/// The most namespaces the grant picker offers.
pub const MAX_NAMESPACES: u32 = 2000;

/// Returns the namespaces the approver may list (names only, sorted), or `None` when
/// the cluster does not let them list namespaces (the picker then takes free text).
pub async fn namespaces(client: &Client) -> Result<Option<Vec<String>>> {
    let listed = Api::<Namespace>::all(client.clone())
        .list_metadata(&ListParams::default().limit(MAX_NAMESPACES))
        .await;
    match listed {
        Ok(list) => {
            let mut names: Vec<String> = list
                .items
                .into_iter()
                .filter_map(|n| n.metadata.name)
                .collect();
            names.sort();
            Ok(Some(names))
        }
        Err(kube::Error::Api(status)) if status.code == 403 => Ok(None),
        Err(error) => Err(Error::approver(error)),
    }
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
