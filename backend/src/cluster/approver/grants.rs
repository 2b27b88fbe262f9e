//! The RoleBindings and ClusterRoleBindings a grant becomes, made with the approver's
//! own credentials so RBAC's escalation check decides.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::PostParams;
use kube::{Api, Client};
use shared::admin::{BindingOutcome, BindingResult, Grant, RoleKind};
use shared::people::BindingRef;
use shared::{ApiError, ErrorCode};

use crate::cluster::error::{Error, Result};
use crate::cluster::requests::{self, MANAGED_BY};

/// Returns the binding name for a grant: `certdesk:<user>:<role>`, sanitized.
pub fn binding_name(username: &str, role: &str) -> String {
    format!(
        "certdesk:{}:{}",
        requests::sanitize(username, 60),
        requests::sanitize(role, 60)
    )
}

/// Returns the binding CertDesk makes (or made) for a grant to `username`, or `None`
/// when the grant is malformed (a Role without a namespace, a bad namespace name).
pub fn binding_ref(username: &str, grant: &Grant) -> Option<BindingRef> {
    Some(binding_for(username, grant).ok()?.reference(grant))
}

/// One binding to make for a grant.
pub(super) enum Binding {
    Namespaced(RoleBinding),
    Cluster(ClusterRoleBinding),
}

pub(super) fn binding_for(username: &str, grant: &Grant) -> Result<Binding> {
    let name = binding_name(username, &grant.name);
    let metadata = |namespace: Option<String>| ObjectMeta {
        name: Some(name.clone()),
        namespace,
        labels: Some(BTreeMap::from([(
            MANAGED_BY.0.to_owned(),
            MANAGED_BY.1.to_owned(),
        )])),
        ..ObjectMeta::default()
    };
    let role_ref = RoleRef {
        api_group: "rbac.authorization.k8s.io".to_owned(),
        kind: match grant.kind {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
        .to_owned(),
        name: grant.name.clone(),
    };
    let subjects = Some(vec![Subject {
        api_group: Some("rbac.authorization.k8s.io".to_owned()),
        kind: "User".to_owned(),
        name: username.to_owned(),
        namespace: None,
    }]);
    match (
        grant.kind,
        grant.namespace.as_deref().filter(|n| !n.is_empty()),
    ) {
        (RoleKind::Role, None) => Err(Error::invalid(
            ErrorCode::BadRequest,
            format!(
                "The Role {:?} needs a namespace to be granted in.",
                grant.name
            ),
        )),
        (_, Some(namespace)) if !requests::is_namespace_name(namespace) => Err(Error::invalid(
            ErrorCode::BadRequest,
            format!("{namespace:?} is not a valid namespace name."),
        )),
        (_, Some(namespace)) => Ok(Binding::Namespaced(RoleBinding {
            metadata: metadata(Some(namespace.to_owned())),
            role_ref,
            subjects,
        })),
        (RoleKind::ClusterRole, None) => Ok(Binding::Cluster(ClusterRoleBinding {
            metadata: metadata(None),
            role_ref,
            subjects,
        })),
    }
}

impl Binding {
    fn reference(&self, grant: &Grant) -> BindingRef {
        let (kind, meta) = match self {
            Self::Namespaced(b) => ("RoleBinding", &b.metadata),
            Self::Cluster(b) => ("ClusterRoleBinding", &b.metadata),
        };
        BindingRef {
            kind: kind.to_owned(),
            name: meta.name.clone().unwrap_or_default(),
            namespace: meta.namespace.clone(),
            role_kind: grant.kind,
            role: grant.name.clone(),
        }
    }

    pub(super) fn describe(
        &self,
        result: BindingResult,
        error: Option<ApiError>,
    ) -> BindingOutcome {
        let (kind, meta) = match self {
            Self::Namespaced(b) => ("RoleBinding", &b.metadata),
            Self::Cluster(b) => ("ClusterRoleBinding", &b.metadata),
        };
        BindingOutcome {
            kind: kind.to_owned(),
            name: meta.name.clone().unwrap_or_default(),
            namespace: meta.namespace.clone(),
            result,
            error,
        }
    }

    /// Creates the binding (or dry-runs it); an existing identical binding counts as made.
    pub(super) async fn create(&self, client: &Client, dry_run: bool) -> Result<BindingResult> {
        let params = PostParams {
            dry_run,
            ..PostParams::default()
        };
        match self {
            Self::Namespaced(b) => {
                let namespace = b.metadata.namespace.as_deref().unwrap_or_default();
                create_or_compare(Api::namespaced(client.clone(), namespace), b, &params).await
            }
            Self::Cluster(b) => create_or_compare(Api::all(client.clone()), b, &params).await,
        }
    }
}

/// What RoleBindings and ClusterRoleBindings share: the role they bind and to whom.
trait RoleBindingLike:
    kube::Resource<DynamicType = ()>
    + Clone
    + std::fmt::Debug
    + serde::Serialize
    + serde::de::DeserializeOwned
{
    fn grant(&self) -> (&RoleRef, &Option<Vec<Subject>>);
}

impl RoleBindingLike for RoleBinding {
    fn grant(&self) -> (&RoleRef, &Option<Vec<Subject>>) {
        (&self.role_ref, &self.subjects)
    }
}

impl RoleBindingLike for ClusterRoleBinding {
    fn grant(&self) -> (&RoleRef, &Option<Vec<Subject>>) {
        (&self.role_ref, &self.subjects)
    }
}

/// Creates the binding; when one of that name exists, it counts as made if it binds the
/// same role to the same subjects, and is a conflict otherwise.
async fn create_or_compare<B: RoleBindingLike>(
    api: Api<B>,
    binding: &B,
    params: &PostParams,
) -> Result<BindingResult> {
    match api.create(params, binding).await {
        Ok(_) => Ok(BindingResult::Created),
        Err(kube::Error::Api(s)) if s.code == 409 => {
            let name = binding.meta().name.as_deref().unwrap_or_default();
            if api.get(name).await.map_err(Error::approver)?.grant() == binding.grant() {
                Ok(BindingResult::AlreadyExists)
            } else {
                Err(Error::conflict(
                    ErrorCode::Conflict,
                    "A different binding of that name already exists; remove it or choose another role.",
                ))
            }
        }
        Err(e) => Err(Error::approver(e)),
    }
}

/// The answer body for a binding that could not be made (a fault is logged, and
/// answered without its details).
pub(super) fn error_body(error: Error) -> ApiError {
    crate::error::Error::from(error).into_body()
}

/// Makes the bindings of `grants` for `username` as the holder of `client`: first a dry
/// run of every one (so RBAC's escalation check refuses before anything is made), then
/// each for real. Returns the bindings; on a failure, the ones made here are removed
/// again and the error is returned, so nothing is left half-done.
pub async fn make_bindings(
    client: &Client,
    username: &str,
    grants: &[Grant],
) -> Result<Vec<BindingRef>> {
    let bindings = grants
        .iter()
        .map(|g| binding_for(username, g).map(|b| (b, g)))
        .collect::<Result<Vec<_>>>()?;
    for (binding, _) in &bindings {
        binding.create(client, true).await?;
    }
    let mut made: Vec<BindingRef> = Vec::with_capacity(bindings.len());
    for (binding, grant) in &bindings {
        match binding.create(client, false).await {
            Ok(BindingResult::Created) => made.push(binding.reference(grant)),
            // An identical binding was there before: it is not ours to remove on failure.
            Ok(_) => {}
            Err(error) => {
                for binding in &made {
                    if let Err(cleanup) = delete_binding(client, binding).await {
                        tracing::warn!(error = %cleanup, binding = binding.name, "could not remove a binding after a failed grant");
                    }
                }
                return Err(error);
            }
        }
    }
    Ok(bindings
        .iter()
        .map(|(binding, grant)| binding.reference(grant))
        .collect())
}

/// Dry-runs the bindings of `grants` for `username` as the holder of `client`, so RBAC's
/// escalation check refuses a grant they may not make, and nothing is made.
pub async fn check_bindings(client: &Client, username: &str, grants: &[Grant]) -> Result<()> {
    for grant in grants {
        binding_for(username, grant)?.create(client, true).await?;
    }
    Ok(())
}

/// Deletes the binding as the holder of `client`. Returns `false` when it was already gone.
pub async fn delete_binding(client: &Client, binding: &BindingRef) -> Result<bool> {
    let params = kube::api::DeleteParams::default();
    let deleted = match binding.namespace.as_deref() {
        Some(namespace) => Api::<RoleBinding>::namespaced(client.clone(), namespace)
            .delete(&binding.name, &params)
            .await
            .map(|_| ()),
        None => Api::<ClusterRoleBinding>::all(client.clone())
            .delete(&binding.name, &params)
            .await
            .map(|_| ()),
    };
    match deleted {
        Ok(()) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(false),
        Err(error) => Err(Error::approver(error)),
    }
}
