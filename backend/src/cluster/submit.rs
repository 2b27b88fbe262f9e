//! Submitting a request: the one function that creates a request's CSR (for a
//! submission, an invitee's submission and a renewal alike), and the submission
//! workflow around it — the invite, the metric, the audit entry and, where the operator
//! turned it on, CertDesk's own approval.

use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::Api;
use kube::api::PostParams;
use shared::names::NameIndex;
use shared::{ErrorCode, PortalConfig, RequestId, RequestTicket, SubmitRequest};

use super::error::{Error, Result};
use super::requests::{self, GRANTED_NAMESPACE_ANNOTATION, Origin, RENEWAL_OF_ANNOTATION};
use super::resources::Invite;
use super::{Cluster, auto_approve, invites};
use crate::audit::{Action, Entry};
use crate::csr::VettedCsr;

/// The longest note a requester may leave, in characters.
pub const MAX_NOTE_CHARS: usize = 1000;

/// What a new request is, besides its CSR.
#[derive(Debug)]
pub enum Kind {
    /// A requester's own submission, possibly through an invite link (which is
    /// consumed with it, and released if the CSR cannot be created).
    Submission {
        /// The opened invite, when the request came through one.
        invite: Option<Box<Invite>>,
    },
    /// A renewal of the certificate of this serial.
    Renewal {
        /// The old certificate's serial.
        of_serial: String,
        /// The name of CertDesk's record of the old certificate.
        of_record: Option<String>,
        /// The namespace the old certificate's grants were in, if any.
        granted_namespace: Option<String>,
        /// The challenge the renewal answered.
        challenge: String,
        /// The old key's proof of possession over the challenge and the new CSR.
        proof: String,
    },
}

/// A new request: its id, vetted CSR, lifetime, where it came from, and its kind.
#[derive(Debug)]
pub struct NewRequest<'a> {
    /// The request id (the CSR's name).
    pub id: &'a RequestId,
    /// The vetted CSR.
    pub csr: &'a VettedCsr,
    /// The lifetime asked of the signer.
    pub expiration_seconds: u32,
    /// The note, address and user agent shown to approvers.
    pub origin: &'a Origin,
    /// A submission or a renewal.
    pub kind: Kind,
}

/// What [`create`] made.
#[derive(Debug)]
pub struct Created {
    /// The CSR as the API server stored it.
    pub csr: CertificateSigningRequest,
    /// The invite, marked used by this request.
    pub invite: Option<Invite>,
}

/// Refuses a lifetime outside the operator's limits ([`Error::Policy`]) and a note
/// longer than [`MAX_NOTE_CHARS`], as every way of asking for a certificate does.
pub fn check_lifetime_and_note(
    portal: &PortalConfig,
    expiration_seconds: u32,
    note: Option<&str>,
) -> Result<()> {
    if let Some(violation) = shared::policy::check_duration(expiration_seconds, &portal.duration) {
        return Err(Error::Policy(vec![violation]));
    }
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(Error::invalid(
            ErrorCode::BadRequest,
            format!("The note is longer than {MAX_NOTE_CHARS} characters."),
        ));
    }
    Ok(())
}

/// Checks a submission before the cluster is needed (so a bad CSR is refused even while
/// the API server is away): an invite where one is required, the lifetime, the note,
/// and the CSR against the policy (`known_users` are the users that have bindings).
pub fn vet(
    portal: &PortalConfig,
    known_users: &NameIndex,
    body: &SubmitRequest,
) -> Result<VettedCsr> {
    if body.invite.is_none() && portal.invite_required {
        return Err(Error::Invite(shared::ApiError::new(
            ErrorCode::InviteRequired,
            "This portal takes requests through invite links only: ask an approver for one.",
        )));
    }
    check_lifetime_and_note(portal, body.expiration_seconds, body.note.as_deref())?;
    crate::csr::vet(&body.csr_pem, portal, known_users)
}

/// Submits a vetted request: opens and checks its invite (if any), creates its CSR,
/// counts and records it, and — for an invite CertDesk approves by itself — approves
/// it when [`auto_approve::basis`] allows. Returns the request's id.
pub async fn submit(
    cluster: &Cluster,
    body: &SubmitRequest,
    vetted: &VettedCsr,
    origin: &Origin,
) -> Result<RequestTicket> {
    super::removals::ensure_not_removed(&cluster.client, &vetted.summary.username, false).await?;
    let invite = match body.invite.as_deref() {
        Some(token) => Some(invites::open(&cluster.client, token).await?),
        None => None,
    };
    if let Some(invite) = &invite {
        invites::check_match(invite, &vetted.summary, body.expiration_seconds)?;
    }
    let id = requests::new_request_id(&vetted.summary.username)?;
    tracing::Span::current().record("id", id.0.as_str());
    let Created { csr, invite } = create(
        cluster,
        NewRequest {
            id: &id,
            csr: vetted,
            expiration_seconds: body.expiration_seconds,
            origin,
            kind: Kind::Submission {
                invite: invite.map(Box::new),
            },
        },
    )
    .await?;
    cluster.metrics.submissions.inc();
    let username = vetted.summary.username.as_str();
    cluster.audit.record(
        &csr,
        Entry {
            action: Action::Submitted,
            actor: "requester",
            subject: username,
            request: Some(&id.0),
            note: format!(
                "Request for {username:?} (groups {:?}, {}) submitted from {}.",
                vetted.summary.groups,
                vetted.summary.key.label,
                origin
                    .client_address
                    .as_deref()
                    .unwrap_or("an unknown address")
            ),
        },
    );
    if let Some(invite) = invite {
        cluster.audit.record(
            &invite,
            Entry {
                action: Action::InviteUsed,
                actor: "requester",
                subject: username,
                request: Some(&id.0),
                note: format!("Invite used for request {id}."),
            },
        );
        if cluster.rules.portal.auto_approve_invites && invites::grants_bound(&invite) {
            auto_approve::approve_if_allowed(cluster, csr).await;
        }
    }
    Ok(RequestTicket { id })
}

/// Creates the request's `CertificateSigningRequest` as CertDesk. An invite is consumed
/// first (so one link makes one request) and given back if the CSR cannot be created.
/// A name already taken is a conflict (a renewal's id is derived from its challenge, so
/// that is a replay).
pub async fn create(cluster: &Cluster, new: NewRequest<'_>) -> Result<Created> {
    let mut object = requests::build(new.id, new.csr, new.expiration_seconds, new.origin);
    let invite = match new.kind {
        Kind::Submission { invite: None } => None,
        Kind::Submission {
            invite: Some(invite),
        } => {
            invites::annotate(&mut object, &invite);
            Some(invites::consume(&cluster.client, *invite, &new.id.0).await?)
        }
        Kind::Renewal {
            of_serial,
            of_record,
            granted_namespace,
            challenge,
            proof,
        } => {
            let annotations = object
                .metadata
                .annotations
                .get_or_insert_with(Default::default);
            annotations.insert(RENEWAL_OF_ANNOTATION.to_owned(), of_serial);
            if let Some(record) = of_record {
                annotations.insert(auto_approve::RENEWAL_RECORD_ANNOTATION.to_owned(), record);
            }
            annotations.insert(
                auto_approve::RENEWAL_CHALLENGE_ANNOTATION.to_owned(),
                challenge,
            );
            annotations.insert(auto_approve::RENEWAL_PROOF_ANNOTATION.to_owned(), proof);
            if let Some(namespace) = granted_namespace {
                annotations.insert(GRANTED_NAMESPACE_ANNOTATION.to_owned(), namespace);
            }
            None
        }
    };
    match Api::<CertificateSigningRequest>::all(cluster.client.clone())
        .create(&PostParams::default(), &object)
        .await
    {
        Ok(csr) => Ok(Created { csr, invite }),
        Err(error) => {
            if let Some(invite) = invite {
                invites::release(&cluster.client, invite).await;
            }
            Err(Error::own(error))
        }
    }
}
