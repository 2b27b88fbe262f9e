//! Approving and denying through the `/approval` subresource, as the approver, each
//! with its audit entries and metrics.

use std::collections::BTreeMap;

use k8s_openapi::api::certificates::v1::{
    CertificateSigningRequest, CertificateSigningRequestCondition,
};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::PostParams;
use kube::{Api, Client};
use shared::admin::{ApproveBody, ApproveOutcome, BindingResult, Grant, IdentityCheck};
use shared::{ErrorCode, Phase};

use super::abilities::identity;
use super::grants::{binding_for, error_body};
use super::{APPROVE_REASON, DENY_REASON};
use crate::audit::{Action, Entry};
use crate::cluster::access::{self, Decider, Freshness};
use crate::cluster::cache::SIGNER;
use crate::cluster::error::{Error, Result, Whose};
use crate::cluster::{Cluster, requests, standing};

/// Approves the CSR as the approver holding `client`: the identity rule first
/// ([`access::check`], with a fresh list of bindings), then a dry run of every
/// binding (so RBAC's escalation check refuses before anything changes), then the
/// Approved condition through the `/approval` subresource, then the bindings.
///
/// A CSR already approved is not approved again, so a partly failed approval can be
/// retried to create the missing bindings. A refused identity is
/// [`Error::IdentityNotAllowed`] and changes nothing.
pub async fn approve(
    cluster: &Cluster,
    client: &Client,
    name: &str,
    body: &ApproveBody,
) -> Result<ApproveOutcome> {
    let api = Api::<CertificateSigningRequest>::all(client.clone());
    let csr = api.get(name).await.map_err(Error::approver)?;
    if csr.spec.signer_name != SIGNER {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "The CSR is for the signer {:?}, which CertDesk does not handle.",
                csr.spec.signer_name
            ),
        ));
    }
    let phase = standing::phase(&csr);
    if matches!(phase, Phase::Denied | Phase::Failed) {
        return Err(Error::conflict(
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
        crate::cluster::removals::ensure_not_removed(&cluster.client, &summary.username, false)
            .await?;
        let check = access::check(
            cluster,
            Decider::Token(client),
            &csr,
            &summary,
            Freshness::Fresh,
        )
        .await?;
        access::ensure(check)?;
    }
    for binding in &bindings {
        binding.create(client, true).await?;
    }
    if phase == Phase::Pending {
        let message = shared::decision::approved(&approver, body.message.as_deref());
        let annotations = approval_annotations(&approver, &body.grants)?;
        decide(
            &api,
            Whose::Approver,
            csr,
            "Approved",
            APPROVE_REASON,
            message,
            &annotations,
        )
        .await?;
    }
    let mut outcomes = Vec::with_capacity(bindings.len());
    for binding in &bindings {
        outcomes.push(match binding.create(client, false).await {
            Ok(result) => binding.describe(result, None),
            Err(error) => binding.describe(BindingResult::Failed, Some(error_body(error))),
        });
    }
    let complete = outcomes.iter().all(|o| o.result != BindingResult::Failed);
    let outcome = ApproveOutcome {
        name: name.to_owned(),
        approved_by: approver,
        bindings: outcomes,
        complete,
    };
    cluster.metrics.approvals.inc();
    tracing::info!(approver = %outcome.approved_by, complete, "request approved");
    record_approval(
        cluster,
        &outcome,
        &summary.username,
        body.message.as_deref(),
    );
    Ok(outcome)
}

/// What an approval writes on the CSR besides its condition: the grants, the first
/// grant's namespace (the requester's kubeconfig context uses it) and who approved
/// (`certdesk.dev/approved-by`, which CertDesk's admission policy lets only that very
/// user write).
pub(crate) fn approval_annotations(
    approver: &str,
    grants: &[Grant],
) -> Result<Vec<(&'static str, String)>> {
    let mut annotations = vec![
        (
            requests::GRANTS_ANNOTATION,
            serde_json::to_string(grants).map_err(|e| Error::Internal(e.into()))?,
        ),
        (requests::APPROVED_BY_ANNOTATION, approver.to_owned()),
    ];
    if let Some(namespace) = grants
        .iter()
        .find_map(|g| g.namespace.as_deref().filter(|n| !n.is_empty()))
    {
        annotations.push((requests::GRANTED_NAMESPACE_ANNOTATION, namespace.to_owned()));
    }
    Ok(annotations)
}

fn record_approval(
    cluster: &Cluster,
    outcome: &ApproveOutcome,
    subject: &str,
    message: Option<&str>,
) {
    let name = &outcome.name;
    let approver = &outcome.approved_by;
    cluster.audit.record_on(
        csr_reference(name),
        Entry {
            action: Action::Approved,
            actor: approver,
            subject,
            request: Some(name),
            note: format!(
                "{approver} approved request {name} for {subject:?}{}.",
                message
                    .filter(|m| !m.trim().is_empty())
                    .map(|m| format!(": {}", m.chars().take(300).collect::<String>()))
                    .unwrap_or_default()
            ),
        },
    );
    for binding in outcome
        .bindings
        .iter()
        .filter(|b| b.result == BindingResult::Created)
    {
        cluster.audit.record_on(
            csr_reference(name),
            Entry {
                action: Action::Granted,
                actor: approver,
                subject,
                request: Some(name),
                note: format!(
                    "{approver} made {} {:?}{} for {subject:?}.",
                    binding.kind,
                    binding.name,
                    binding
                        .namespace
                        .as_deref()
                        .map(|n| format!(" in {n}"))
                        .unwrap_or_default()
                ),
            },
        );
    }
}

/// Denies the CSR as the approver holding `client`, with the reason as the condition's
/// message, and records it.
pub async fn deny(cluster: &Cluster, client: &Client, name: &str, reason: &str) -> Result<()> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid(
            ErrorCode::BadRequest,
            "A reason is required to deny a request.",
        ));
    }
    let api = Api::<CertificateSigningRequest>::all(client.clone());
    let csr = api.get(name).await.map_err(Error::approver)?;
    let phase = standing::phase(&csr);
    if phase != Phase::Pending {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!("The request is already {phase:?}."),
        ));
    }
    let (approver, _) = identity(client).await?;
    let message = shared::decision::denied(&approver, reason);
    let subject = crate::csr::describe(&csr.spec.request.0)
        .map(|s| s.username)
        .unwrap_or_default();
    decide(
        &api,
        Whose::Approver,
        csr,
        "Denied",
        DENY_REASON,
        message,
        &[],
    )
    .await?;
    cluster.metrics.denials.inc();
    cluster.audit.record_on(
        csr_reference(name),
        Entry {
            action: Action::Denied,
            actor: &approver,
            subject: &subject,
            request: Some(name),
            note: format!(
                "{approver} denied request {name} for {subject:?}: {}",
                reason.chars().take(300).collect::<String>()
            ),
        },
    );
    Ok(())
}

/// A reference to the CSR of that name, for audit Events.
pub(crate) fn csr_reference(name: &str) -> ObjectReference {
    ObjectReference {
        api_version: Some("certificates.k8s.io/v1".to_owned()),
        kind: Some("CertificateSigningRequest".to_owned()),
        name: Some(name.to_owned()),
        ..ObjectReference::default()
    }
}

/// Writes a decision condition (and `annotations`) through the `/approval`
/// subresource, with the credentials `api` was made with (`whose`).
pub(crate) async fn decide(
    api: &Api<CertificateSigningRequest>,
    whose: Whose,
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
        .await
        .map_err(|source| Error::Kube { whose, source })?;
    Ok(())
}

/// Reads the CSR `name` as the approver (so their RBAC decides whether they may see
/// it) and runs the identity rule for it, as the approval would.
pub async fn identity_of_request(
    cluster: &Cluster,
    decider: &Client,
    name: &str,
) -> Result<IdentityCheck> {
    let csr = Api::<CertificateSigningRequest>::all(decider.clone())
        .get(name)
        .await
        .map_err(Error::approver)?;
    let summary = crate::csr::describe(&csr.spec.request.0)?;
    access::check(
        cluster,
        Decider::Token(decider),
        &csr,
        &summary,
        Freshness::Fresh,
    )
    .await
}
