//! Approvers' side: everything here acts with the approver's own token, so Kubernetes
//! RBAC (including its escalation check on bindings) decides what they may do.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::certificates::v1::{
    CertificateSigningRequest, CertificateSigningRequestCondition,
};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
pub use shared::admin::{
    Abilities, ApproveBody, ApproveOutcome, BindingOutcome, BindingResult, DenyBody, Grant,
    RequestView, Risk, RoleKind, RoleView, Rule, Severity, WhoAmI,
};
use shared::invite::InviteMatch;
use shared::people::BindingRef;
use shared::{ApiError, ErrorCode, Phase, PolicyLimits};

use super::cache::SIGNER;
use super::requests::{
    self, CLIENT_ADDRESS_ANNOTATION, MANAGED_BY, NOTE_ANNOTATION, USER_AGENT_ANNOTATION,
};
use super::resources::GROUP;
use crate::error::{Error, Result};

/// The condition reason CertDesk writes when approving.
pub const APPROVE_REASON: &str = "CertDeskApprove";
/// The condition reason CertDesk writes when it approves by itself (auto-approval).
pub const AUTO_APPROVE_REASON: &str = "CertDeskAutoApprove";
/// The condition reason CertDesk writes when denying.
pub const DENY_REASON: &str = "CertDeskDeny";

/// Returns the token holder's username and groups (SelfSubjectReview).
pub async fn identity(client: &Client) -> Result<(String, Vec<String>)> {
    let review = Api::<SelfSubjectReview>::all(client.clone())
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await?;
    let user = review.status.and_then(|s| s.user_info).unwrap_or_default();
    let username = user.username.ok_or_else(|| {
        Error::client(
            ErrorCode::TokenInvalid,
            "The cluster knows no username for this token.",
        )
    })?;
    Ok((username, user.groups.unwrap_or_default()))
}

/// Returns whether the token holder may perform the action (SelfSubjectAccessReview).
pub async fn may(client: &Client, attributes: ResourceAttributes) -> Result<bool> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(attributes),
            ..Default::default()
        },
        ..Default::default()
    };
    let answer = Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

fn attributes(group: &str, resource: &str, verb: &str) -> ResourceAttributes {
    ResourceAttributes {
        group: Some(group.to_owned()),
        resource: Some(resource.to_owned()),
        verb: Some(verb.to_owned()),
        ..Default::default()
    }
}

/// Returns who the approver is and what they may do.
pub async fn whoami(client: &Client) -> Result<WhoAmI> {
    let (username, groups) = identity(client).await?;
    let approve = ResourceAttributes {
        name: Some(SIGNER.to_owned()),
        ..attributes("certificates.k8s.io", "signers", "approve")
    };
    let update_approval = ResourceAttributes {
        subresource: Some("approval".to_owned()),
        ..attributes(
            "certificates.k8s.io",
            "certificatesigningrequests",
            "update",
        )
    };
    let (
        approve,
        update_approval,
        list_requests,
        create_role_bindings,
        create_cluster_role_bindings,
        create_invites,
        list_people,
    ) = tokio::try_join!(
        may(client, approve),
        may(client, update_approval),
        may(
            client,
            attributes("certificates.k8s.io", "certificatesigningrequests", "list")
        ),
        may(
            client,
            attributes("rbac.authorization.k8s.io", "rolebindings", "create")
        ),
        may(
            client,
            attributes("rbac.authorization.k8s.io", "clusterrolebindings", "create")
        ),
        may(client, attributes(GROUP, "invites", "create")),
        may(client, attributes(GROUP, "issuedcertificates", "list")),
    )?;
    Ok(WhoAmI {
        username,
        groups,
        can: Abilities {
            approve,
            update_approval,
            list_requests,
            create_role_bindings,
            create_cluster_role_bindings,
            create_invites,
            list_people,
        },
    })
}

/// Refuses unless the approver may list CSRs.
pub async fn ensure_may_list(client: &Client) -> Result<()> {
    ensure_may(
        client,
        attributes("certificates.k8s.io", "certificatesigningrequests", "list"),
        "You may not list certificate signing requests in this cluster.",
    )
    .await
}

/// Refuses unless the approver may list CertDesk's issuance records.
pub async fn ensure_may_list_records(client: &Client) -> Result<()> {
    ensure_may(
        client,
        attributes(GROUP, "issuedcertificates", "list"),
        "You may not list CertDesk's issuance records (issuedcertificates.certdesk.dev) in this cluster.",
    )
    .await
}

async fn ensure_may(client: &Client, attributes: ResourceAttributes, refusal: &str) -> Result<()> {
    if may(client, attributes).await? {
        Ok(())
    } else {
        Err(Error::client(ErrorCode::Forbidden, refusal))
    }
}

/// Returns the users named as subjects of any binding the approver can see (empty when
/// they can see none).
pub async fn bound_users(client: &Client) -> BTreeSet<String> {
    let mut users = BTreeSet::new();
    let users_of = |subjects: Option<Vec<Subject>>| {
        subjects
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.kind == "User")
            .map(|s| s.name)
    };
    let params = ListParams::default();
    let (cluster_bindings, bindings) = (
        Api::<ClusterRoleBinding>::all(client.clone()),
        Api::<RoleBinding>::all(client.clone()),
    );
    let (cluster_wide, namespaced) =
        tokio::join!(cluster_bindings.list(&params), bindings.list(&params));
    if let Ok(list) = cluster_wide {
        users.extend(list.items.into_iter().flat_map(|b| users_of(b.subjects)));
    }
    if let Ok(list) = namespaced {
        users.extend(list.items.into_iter().flat_map(|b| users_of(b.subjects)));
    }
    users
}

/// Returns the CSR decoded for the approver, with its risk flags.
///
/// What the backend itself wrote on the CSR (the invite it matched, the certificate it
/// renews) is shown only when the CSR was created by `certdesk_user`, the backend's own
/// identity as the API server recorded it in `spec.username`: anyone else who may
/// create CSRs could write the same annotations.
pub fn view(
    csr: &CertificateSigningRequest,
    decoding: &std::result::Result<crate::csr::CsrSummary, String>,
    limits: &PolicyLimits,
    bound: &BTreeSet<String>,
    certdesk_user: Option<&str>,
) -> RequestView {
    let annotation = |key: &str| {
        csr.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .cloned()
    };
    let created = csr
        .metadata
        .creation_timestamp
        .as_ref()
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.0.as_second()).ok());
    let age_seconds = created.map(|c| (time::OffsetDateTime::now_utc() - c).whole_seconds());
    let mut view = RequestView {
        name: csr.metadata.name.clone().unwrap_or_default(),
        phase: requests::status_of(csr).phase,
        managed: requests::is_managed(csr),
        created_by: csr.spec.username.clone(),
        created,
        age_seconds,
        username: None,
        groups: Vec::new(),
        key: None,
        expiration_seconds: csr.spec.expiration_seconds,
        note: annotation(NOTE_ANNOTATION),
        client_address: annotation(CLIENT_ADDRESS_ANNOTATION),
        user_agent: annotation(USER_AGENT_ANNOTATION),
        decode_error: None,
        risks: Vec::new(),
        invite: None,
        renewal_of: None,
    };
    let by_certdesk = requests::is_managed(csr)
        && certdesk_user.is_some()
        && csr.spec.username.as_deref() == certdesk_user;
    if by_certdesk {
        view.invite = annotation(requests::INVITE_ANNOTATION).map(|name| InviteMatch {
            name,
            created_by: annotation(requests::INVITED_BY_ANNOTATION).unwrap_or_default(),
            grants: annotation(requests::INVITE_GRANTS_ANNOTATION)
                .and_then(|json| serde_json::from_str(&json).ok())
                .unwrap_or_default(),
        });
        view.renewal_of = annotation(requests::RENEWAL_OF_ANNOTATION);
    }
    let renewal_of = view.renewal_of.clone();
    let invite = view
        .invite
        .as_ref()
        .map(|i| (i.name.clone(), i.created_by.clone()));
    let mut risk = |code: &str, severity, message: String| {
        view.risks.push(Risk {
            code: code.to_owned(),
            severity,
            message,
        });
    };
    if let Some(serial) = renewal_of {
        risk(
            "renewal",
            Severity::Info,
            format!(
                "Renewal, same identity: the requester proved they hold the key of the live certificate {serial} for this subject."
            ),
        );
    }
    if let Some((name, created_by)) = invite {
        risk(
            "invite",
            Severity::Info,
            format!(
                "Matches invite {name} from {created_by}: the subject and lifetime are the ones the invite names."
            ),
        );
    }
    match decoding {
        Ok(summary) => {
            for group in &summary.groups {
                if group.starts_with("system:") {
                    risk(
                        "system_group",
                        Severity::Red,
                        format!("Asks for the Kubernetes system group {group:?}."),
                    );
                } else if limits.admin_groups.iter().any(|g| g == group) {
                    risk(
                        "admin_group",
                        Severity::Red,
                        format!("Asks for the admin group {group:?}."),
                    );
                }
            }
            if summary.username.starts_with("system:") {
                risk(
                    "system_user",
                    Severity::Red,
                    format!("Asks for the system username {:?}.", summary.username),
                );
            }
            if bound.contains(&summary.username) {
                risk(
                    "existing_subject",
                    Severity::Red,
                    format!(
                        "{:?} is already a user named in role bindings: this would act as them.",
                        summary.username
                    ),
                );
            }
            if summary.key.is_rsa && summary.key.bits < 3072 {
                risk(
                    "rsa_below_3072",
                    Severity::Amber,
                    format!("{} is below the recommended 3072 bits.", summary.key.label),
                );
            }
            if summary.asks_for_ca {
                risk(
                    "ca_requested",
                    Severity::Red,
                    "Asks for a CA certificate.".to_owned(),
                );
            }
            if !summary.signature_valid {
                risk(
                    "signature_invalid",
                    Severity::Red,
                    "The CSR's signature does not verify.".to_owned(),
                );
            }
            view.username = Some(summary.username.clone());
            view.groups = summary.groups.clone();
            view.key = Some(summary.key.label.clone());
        }
        Err(error) => view.decode_error = Some(error.clone()),
    }
    if csr
        .spec
        .expiration_seconds
        .is_none_or(|s| s > LONG_DURATION_SECONDS)
    {
        risk(
            "long_duration",
            Severity::Amber,
            "Asks for a certificate valid longer than 90 days (or for the signer's maximum)."
                .to_owned(),
        );
    }
    view
}

/// A lifetime beyond which the approval page flags a request (90 days).
pub const LONG_DURATION_SECONDS: i32 = 90 * 24 * 3600;

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
enum Binding {
    Namespaced(RoleBinding),
    Cluster(ClusterRoleBinding),
}

fn binding_for(username: &str, grant: &Grant) -> Result<Binding> {
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
        (RoleKind::Role, None) => Err(Error::client(
            ErrorCode::BadRequest,
            format!(
                "The Role {:?} needs a namespace to be granted in.",
                grant.name
            ),
        )),
        (_, Some(namespace)) if !requests::is_namespace_name(namespace) => Err(Error::client(
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

    fn describe(&self, result: BindingResult, error: Option<ApiError>) -> BindingOutcome {
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
    async fn create(&self, client: &Client, dry_run: bool) -> Result<BindingResult> {
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
            if api.get(name).await?.grant() == binding.grant() {
                Ok(BindingResult::AlreadyExists)
            } else {
                Err(Error::client(
                    ErrorCode::Conflict,
                    "A different binding of that name already exists; remove it or choose another role.",
                ))
            }
        }
        Err(e) => Err(e.into()),
    }
}

fn error_body(error: Error) -> ApiError {
    match error {
        Error::Client(api) => api,
        Error::Internal(e) => {
            tracing::error!(error = format!("{e:#}"), "creating a binding failed");
            ApiError::new(
                ErrorCode::Internal,
                "Creating the binding failed; the details are in the server's log.",
            )
        }
    }
}

/// Approves the CSR as the approver: dry-runs every binding first (so RBAC's escalation
/// check refuses before anything changes), then writes the Approved condition through
/// the `/approval` subresource, then creates the bindings.
///
/// A CSR already approved is not approved again, so a partly failed approval can be
/// retried to create the missing bindings.
pub async fn approve(client: &Client, name: &str, body: &ApproveBody) -> Result<ApproveOutcome> {
    let api = Api::<CertificateSigningRequest>::all(client.clone());
    let csr = api.get(name).await?;
    if csr.spec.signer_name != SIGNER {
        return Err(Error::client(
            ErrorCode::Conflict,
            format!(
                "The CSR is for the signer {:?}, which CertDesk does not handle.",
                csr.spec.signer_name
            ),
        ));
    }
    let phase = requests::status_of(&csr).phase;
    if matches!(phase, Phase::Denied | Phase::Failed) {
        return Err(Error::client(
            ErrorCode::Conflict,
            format!("The request is already {phase:?}."),
        ));
    }
    let summary = crate::csr::describe(&csr.spec.request.0)?;
    let (approver, _) = identity(client).await?;
    let bindings = body
        .grants
        .iter()
        .map(|g| binding_for(&summary.username, g))
        .collect::<Result<Vec<_>>>()?;
    for binding in &bindings {
        binding.create(client, true).await?;
    }
    if phase == Phase::Pending {
        let message = match body
            .message
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
        {
            Some(text) => format!(
                "Approved by {approver} through CertDesk: {}",
                text.chars().take(500).collect::<String>()
            ),
            None => format!("Approved by {approver} through CertDesk."),
        };
        let mut annotations = vec![(
            requests::GRANTS_ANNOTATION,
            serde_json::to_string(&body.grants).map_err(|e| Error::Internal(e.into()))?,
        )];
        if let Some(namespace) = first_namespace(&body.grants) {
            annotations.push((requests::GRANTED_NAMESPACE_ANNOTATION, namespace.to_owned()));
        }
        annotations.push((requests::APPROVED_BY_ANNOTATION, approver.clone()));
        decide(&api, csr, "Approved", APPROVE_REASON, message, &annotations).await?;
    }
    let mut outcomes = Vec::with_capacity(bindings.len());
    for binding in &bindings {
        outcomes.push(match binding.create(client, false).await {
            Ok(result) => binding.describe(result, None),
            Err(error) => binding.describe(BindingResult::Failed, Some(error_body(error))),
        });
    }
    let complete = outcomes.iter().all(|o| o.result != BindingResult::Failed);
    Ok(ApproveOutcome {
        name: name.to_owned(),
        approved_by: approver,
        bindings: outcomes,
        complete,
    })
}

/// Approves the CSR as CertDesk itself (the operator enabled auto-approval of invites
/// or renewals; the backend's identity then needs the approval rights of
/// `deploy/rbac-backend-auto-approve.yaml`). `grants` were already bound (with an
/// approver's credentials, when the invite was made) and are only recorded.
pub async fn approve_automatically(
    client: &Client,
    csr: CertificateSigningRequest,
    approved_by: &str,
    message: String,
    grants: &[Grant],
) -> Result<()> {
    let api = Api::<CertificateSigningRequest>::all(client.clone());
    let mut annotations = vec![
        (
            requests::GRANTS_ANNOTATION,
            serde_json::to_string(grants).map_err(|e| Error::Internal(e.into()))?,
        ),
        (requests::APPROVED_BY_ANNOTATION, approved_by.to_owned()),
    ];
    if let Some(namespace) = first_namespace(grants) {
        annotations.push((requests::GRANTED_NAMESPACE_ANNOTATION, namespace.to_owned()));
    }
    decide(
        &api,
        csr,
        "Approved",
        AUTO_APPROVE_REASON,
        message,
        &annotations,
    )
    .await
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
        Err(error) => Err(error.into()),
    }
}

/// Denies the CSR as the approver, with the reason as the condition's message. Returns
/// the approver's username and the requested username.
pub async fn deny(client: &Client, name: &str, reason: &str) -> Result<(String, String)> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::client(
            ErrorCode::BadRequest,
            "A reason is required to deny a request.",
        ));
    }
    let api = Api::<CertificateSigningRequest>::all(client.clone());
    let csr = api.get(name).await?;
    let phase = requests::status_of(&csr).phase;
    if phase != Phase::Pending {
        return Err(Error::client(
            ErrorCode::Conflict,
            format!("The request is already {phase:?}."),
        ));
    }
    let (approver, _) = identity(client).await?;
    let message = format!(
        "Denied by {approver}: {}",
        reason.chars().take(500).collect::<String>()
    );
    let subject = crate::csr::describe(&csr.spec.request.0)
        .map(|s| s.username)
        .unwrap_or_default();
    decide(&api, csr, "Denied", DENY_REASON, message, &[]).await?;
    Ok((approver, subject))
}

/// Returns the namespace of the first namespaced grant (already checked to be valid).
fn first_namespace(grants: &[Grant]) -> Option<&str> {
    grants
        .iter()
        .find_map(|g| g.namespace.as_deref().filter(|n| !n.is_empty()))
}

async fn decide(
    api: &Api<CertificateSigningRequest>,
    mut csr: CertificateSigningRequest,
    kind: &str,
    reason: &str,
    message: String,
    annotations: &[(&str, String)],
) -> Result<()> {
    // Metadata sent with the /approval update is persisted by the API server, so what
    // the approval decided is recorded on the CSR itself, by the approver.
    let recorded = csr.metadata.annotations.get_or_insert_with(BTreeMap::new);
    for (key, value) in annotations {
        recorded.insert((*key).to_owned(), value.clone());
    }
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let status = csr.status.get_or_insert_with(Default::default);
    status
        .conditions
        .get_or_insert_with(Vec::new)
        .push(CertificateSigningRequestCondition {
            type_: kind.to_owned(),
            status: "True".to_owned(),
            reason: Some(reason.to_owned()),
            message: Some(message),
            last_update_time: Some(now.clone()),
            last_transition_time: Some(now),
        });
    let name = csr.metadata.name.clone().unwrap_or_default();
    api.replace_subresource("approval", &name, &PostParams::default(), &csr)
        .await?;
    Ok(())
}

/// Returns the Roles (of the namespace, if given) and ClusterRoles the approver can see.
pub async fn roles(client: &Client, namespace: Option<&str>) -> Result<Vec<RoleView>> {
    let mut out = Vec::new();
    if let Some(namespace) = namespace.filter(|n| !n.is_empty()) {
        for role in Api::<Role>::namespaced(client.clone(), namespace)
            .list(&ListParams::default())
            .await?
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
        .await?
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
