//! Approving and denying through the `/approval` subresource, as the approver.

use std::collections::BTreeMap;

use k8s_openapi::api::certificates::v1::{
    CertificateSigningRequest, CertificateSigningRequestCondition,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::PostParams;
use kube::{Api, Client};
use shared::admin::{ApproveBody, ApproveOutcome, BindingResult, Grant};
use shared::{ErrorCode, Phase};

use super::access::{Decider, ensure_identity, identity, identity_check_for};
use super::grants::{binding_for, error_body};
use super::view::made_by_certdesk;
use super::{APPROVE_REASON, AUTO_APPROVE_REASON, DENY_REASON};
use crate::cluster::Cluster;
use crate::cluster::bindings::{self, BindingName};
use crate::cluster::cache::SIGNER;
use crate::cluster::requests;
use crate::csr::CsrSummary;
use crate::error::{Error, Result};
use shared::admin::IdentityCheck;

/// Approves the CSR as the approver: dry-runs every binding first (so RBAC's escalation
/// check refuses before anything changes), then writes the Approved condition through
/// the `/approval` subresource, then creates the bindings.
///
/// A CSR already approved is not approved again, so a partly failed approval can be
/// retried to create the missing bindings.
///
/// Before it decides, the approver must pass the identity check
/// ([`super::access::identity_check`]): `impersonate` on each requested group, and on
/// the username when it already has bindings other than those CertDesk made for the
/// invite this request matched. A refusal is `identity_not_allowed` and changes nothing.
pub async fn approve(
    cluster: &Cluster,
    client: &Client,
    name: &str,
    body: &ApproveBody,
) -> Result<ApproveOutcome> {
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
    if phase == Phase::Pending {
        crate::cluster::withdrawals::ensure_not_withdrawn(&cluster.client, name).await?;
        let check = decider_may_issue(cluster, client, &csr, &summary).await?;
        ensure_identity(&check)?;
    }
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

/// Runs the identity check for `csr` as the holder of `decider`: every requested group,
/// and the username when it is bound by anything but the invite bindings CertDesk made
/// for this very request (read afresh with the backend's identity). A renewal CertDesk
/// made passes: it keeps the identity of the certificate it renews.
pub async fn decider_may_issue(
    cluster: &Cluster,
    decider: &Client,
    csr: &CertificateSigningRequest,
    summary: &CsrSummary,
) -> Result<IdentityCheck> {
    may_issue(cluster, Decider::Token(decider), csr, summary).await
}

/// Reads the CSR `name` as the approver (so their RBAC decides whether they may see
/// it) and runs [`decider_may_issue`] for it.
pub async fn may_issue_request(
    cluster: &Cluster,
    decider: &Client,
    name: &str,
) -> Result<IdentityCheck> {
    let csr = Api::<CertificateSigningRequest>::all(decider.clone())
        .get(name)
        .await?;
    let summary = crate::csr::describe(&csr.spec.request.0)?;
    decider_may_issue(cluster, decider, &csr, &summary).await
}

/// Does what [`decider_may_issue`] does for any [`Decider`] (the admission webhook asks
/// about the user who approves with kubectl).
pub async fn may_issue(
    cluster: &Cluster,
    decider: Decider<'_>,
    csr: &CertificateSigningRequest,
    summary: &CsrSummary,
) -> Result<IdentityCheck> {
    if made_by_certdesk(csr, cluster.own_username())
        && requests::annotation(csr, requests::RENEWAL_OF_ANNOTATION).is_some()
    {
        // The requester proved they hold a live certificate of exactly this identity
        // (CertDesk checked it before creating the CSR): a renewal keeps an identity
        // that already passed, for no longer than it had.
        return Ok(IdentityCheck {
            allowed: true,
            checked: Vec::new(),
            missing: Vec::new(),
            username_bound: false,
            message: "A renewal keeps the identity of the live certificate it renews.".to_owned(),
        });
    }
    let exempt = invite_bindings(cluster, csr, &summary.username);
    let bound = bindings::bound_except(&cluster.client, &summary.username, &exempt).await;
    identity_check_for(decider, &summary.username, &summary.groups, bound).await
}

/// The bindings CertDesk made, when the invite was made, for the invite this request
/// matched; only when CertDesk itself created the CSR (anyone could write the
/// annotation otherwise).
fn invite_bindings(
    cluster: &Cluster,
    csr: &CertificateSigningRequest,
    username: &str,
) -> Vec<BindingName> {
    if !made_by_certdesk(csr, cluster.own_username()) {
        return Vec::new();
    }
    requests::annotation(csr, requests::INVITE_GRANTS_ANNOTATION)
        .and_then(|json| serde_json::from_str::<Vec<Grant>>(&json).ok())
        .unwrap_or_default()
        .iter()
        .filter_map(|grant| super::grants::binding_ref(username, grant))
        .map(|binding| BindingName {
            kind: if binding.namespace.is_some() {
                "RoleBinding"
            } else {
                "ClusterRoleBinding"
            },
            namespace: binding.namespace,
            name: binding.name,
        })
        .collect()
}
