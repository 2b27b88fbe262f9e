//! CertDesk approving by itself, where the operator turned it on: a request made with
//! an invite whose grants were bound when it was made, and a renewal proved with the
//! key of a live certificate CertDesk issued.
//!
//! Kubernetes cannot narrow `approve` on the signer to some identities, so the backend's
//! ServiceAccount could approve anything. [`basis`] says what may be approved by
//! CertDesk's own identity, from the cluster's records alone; the backend asks it
//! before approving, and the admission webhook asks it of every approval made with
//! CertDesk's identity — so a stolen ServiceAccount token can approve only what
//! CertDesk itself would have.

use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::{Api, Resource as _};
use shared::admin::Grant;
use shared::invite::InviteState;
use time::OffsetDateTime;

use super::access::{self, Decider, Freshness};
use super::approver::decide::{approval_annotations, decide};
use super::bindings::BindingName;
use super::error::{Error, Result, Whose};
use super::requests::{self, INVITE_ANNOTATION, RENEWAL_OF_ANNOTATION};
use super::resources::{Invite, IssuedCertificate};
use super::{Cluster, invites};
use crate::audit::{Action, Entry};

/// The annotation naming the issuance record a renewal renews.
pub const RENEWAL_RECORD_ANNOTATION: &str = "certdesk.dev/renewal-of-request";
/// The annotation holding the renewal's challenge.
pub const RENEWAL_CHALLENGE_ANNOTATION: &str = "certdesk.dev/renewal-challenge";
/// The annotation holding the old key's proof of possession over the challenge and
/// this CSR (`shared::renewal`), so the proof can be checked again by anyone.
pub const RENEWAL_PROOF_ANNOTATION: &str = "certdesk.dev/renewal-proof";
/// The annotation saying why CertDesk approved by itself.
pub const APPROVED_VIA_ANNOTATION: &str = "certdesk.dev/approved-via";

/// Why CertDesk may approve a request by itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Basis {
    /// The request used this invite, whose maker may still issue its identity.
    Invite(Box<Invite>),
    /// The request renews the certificate of this record, proved with its key.
    Renewal(Box<IssuedCertificate>),
}

impl Basis {
    /// What the approval's annotation and audit entry say.
    fn describe(&self) -> String {
        match self {
            Basis::Invite(invite) => format!(
                "invite {} from {}",
                invite.metadata.name.as_deref().unwrap_or_default(),
                invite.spec.created_by
            ),
            Basis::Renewal(record) => format!("renewal of certificate {}", record.spec.serial),
        }
    }
}

/// Returns why CertDesk's own identity may approve `csr`, or why not — read from the
/// cluster afresh, never from what the CSR claims alone:
///
/// - CertDesk itself created it (the API server's `spec.username`), with its label;
/// - its identity passes the operator's policy;
/// - it names an invite that this very request used, for exactly this identity and
///   lifetime, not revoked, whose grants were bound when it was made, and whose maker
///   may still issue the identity now (asked of the cluster by their name and groups,
///   with the username's bindings as they are now); or
/// - it renews a live certificate CertDesk recorded, for the same identity, whose
///   user's access was not removed, with a proof of possession of that certificate's
///   key over this very CSR.
pub async fn basis(cluster: &Cluster, csr: &CertificateSigningRequest) -> Result<Basis> {
    let refuse = |why: String| Err(Error::Internal(anyhow::anyhow!(why)));
    let own = cluster.own_username();
    if !super::approver::view::made_by_certdesk(csr, own) {
        return refuse("CertDesk did not create this request".to_owned());
    }
    let summary = crate::csr::describe(&csr.spec.request.0)?;
    let portal = &cluster.rules.portal;
    let violations = shared::policy::check_subject(
        &summary.username,
        &summary.groups,
        &portal.policy,
        &shared::names::NameIndex::new(),
    );
    if !violations.is_empty() {
        return Err(Error::Policy(violations));
    }
    let name = csr.metadata.name.as_deref().unwrap_or_default();
    let renewal = requests::annotation(csr, RENEWAL_OF_ANNOTATION).is_some();
    super::removals::ensure_not_removed(&cluster.client, &summary.username, renewal).await?;
    if let Some(invite) = requests::annotation(csr, INVITE_ANNOTATION) {
        if !portal.auto_approve_invites {
            return refuse("invites are not approved automatically here".to_owned());
        }
        let invite = Api::<Invite>::all(cluster.client.clone())
            .get(&invite)
            .await
            .map_err(Error::own)?;
        let status = invite.status.clone().unwrap_or_default();
        let state = invites::state_of(
            &invite,
            status.used_at.unwrap_or_else(OffsetDateTime::now_utc),
        );
        if status.used_by.as_deref() != Some(name) || state != InviteState::Used {
            return refuse(format!(
                "invite {} was not used by this request",
                invite.spec.username
            ));
        }
        if !invites::grants_bound(&invite) {
            return refuse("the invite's grants were not bound when it was made".to_owned());
        }
        invites::check_match(
            &invite,
            &summary,
            csr.spec
                .expiration_seconds
                .and_then(|s| u32::try_from(s).ok())
                .unwrap_or_default(),
        )?;
        let maker = invites::maker(&invite);
        let exempt: Vec<BindingName> = invite
            .spec
            .bindings
            .iter()
            .map(|b| BindingName::from(&shared::people::BindingRef::from(b)))
            .collect();
        let check = access::check_identity(
            cluster,
            Decider::User(&maker),
            &summary.username,
            &summary.groups,
            &exempt,
            Freshness::Fresh,
        )
        .await?;
        access::ensure(check)?;
        return Ok(Basis::Invite(Box::new(invite)));
    }
    if let Some(serial) = requests::annotation(csr, RENEWAL_OF_ANNOTATION) {
        if !portal.auto_approve_renewals {
            return refuse("renewals are not approved automatically here".to_owned());
        }
        let record_name = requests::annotation(csr, RENEWAL_RECORD_ANNOTATION).unwrap_or_default();
        let record = Api::<IssuedCertificate>::all(cluster.client.clone())
            .get_opt(&record_name)
            .await
            .map_err(Error::own)?;
        let Some(record) = record else {
            return refuse(format!(
                "no record {record_name:?} of the certificate renewed"
            ));
        };
        let now = OffsetDateTime::now_utc();
        if record.spec.serial != serial
            || !(record.spec.not_before <= now && now < record.spec.not_after)
        {
            return refuse(
                "the renewed certificate is not the live one the record holds".to_owned(),
            );
        }
        if record
            .status
            .as_ref()
            .is_some_and(|s| s.access_removed.is_some())
        {
            return refuse(format!("{}'s access was removed", record.spec.username));
        }
        if summary.username != record.spec.username || summary.groups != record.spec.groups {
            return refuse("a renewal must keep the identity".to_owned());
        }
        let challenge = requests::annotation(csr, RENEWAL_CHALLENGE_ANNOTATION).unwrap_or_default();
        let proof = requests::annotation(csr, RENEWAL_PROOF_ANNOTATION).unwrap_or_default();
        let csr_pem = String::from_utf8_lossy(&csr.spec.request.0);
        if shared::renewal::verify_proof(&record.spec.certificate, &challenge, &csr_pem, &proof)
            .is_err()
        {
            return refuse(
                "the renewal's proof does not verify with the renewed certificate's key".to_owned(),
            );
        }
        return Ok(Basis::Renewal(Box::new(record)));
    }
    refuse("the request names neither an invite nor a renewal".to_owned())
}

/// Approves `csr` as CertDesk itself on `basis`, and records it. A refusal (the
/// operator did not give the backend the approval rights, or the webhook said no)
/// leaves the request pending for an approver, and is logged.
pub async fn approve(cluster: &Cluster, csr: CertificateSigningRequest, basis: &Basis) {
    let id = csr.metadata.name.clone().unwrap_or_default();
    let regarding = csr.object_ref(&());
    let own = cluster.own_username().unwrap_or("certdesk").to_owned();
    let via = basis.describe();
    let message = format!("Approved automatically by CertDesk: {via}.");
    let grants: Vec<Grant> = match basis {
        Basis::Invite(invite) => invite.spec.grants.iter().map(Grant::from).collect(),
        Basis::Renewal(_) => Vec::new(),
    };
    let username = crate::csr::describe(&csr.spec.request.0)
        .map(|s| s.username)
        .unwrap_or_default();
    let written = async {
        let mut annotations = approval_annotations(&own, &grants)?;
        annotations.push((APPROVED_VIA_ANNOTATION, via.clone()));
        let api = Api::<CertificateSigningRequest>::all(cluster.client.clone());
        decide(
            &api,
            Whose::Own,
            csr,
            "Approved",
            super::approver::AUTO_APPROVE_REASON,
            message.clone(),
            &annotations,
        )
        .await
    };
    match written.await {
        Ok(()) => cluster.audit.record_on(
            regarding,
            Entry {
                action: Action::AutoApproved,
                actor: &format!("certdesk ({via})"),
                subject: &username,
                request: Some(&id),
                note: message,
            },
        ),
        Err(error) => tracing::warn!(
            request = id,
            %error,
            "auto-approval failed (does CertDesk's ServiceAccount have deploy/rbac-backend-auto-approve.yaml, and is its admission webhook registered?); the request waits for an approver"
        ),
    }
}

/// Approves `csr` by itself when [`basis`] allows it; otherwise leaves it for an
/// approver and logs why.
pub async fn approve_if_allowed(cluster: &Cluster, csr: CertificateSigningRequest) {
    match basis(cluster, &csr).await {
        Ok(basis) => approve(cluster, csr, &basis).await,
        Err(error) => tracing::info!(
            request = csr.metadata.name.as_deref().unwrap_or_default(),
            %error,
            "not approved automatically; the request waits for an approver"
        ),
    }
}
