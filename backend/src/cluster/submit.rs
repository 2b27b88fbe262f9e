//! A request's CSR in the cluster: the one function that creates one (for a submission,
//! an invitee's submission and a renewal alike) and the one that says where it stands.
//! Routes call these, never the Kubernetes API themselves.

use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::Api;
use kube::api::PostParams;
use shared::{RequestId, RequestStatus};

use super::Cluster;
use super::cache::SIGNER;
use super::invites;
use super::records;
use super::requests::{self, GRANTED_NAMESPACE_ANNOTATION, Origin, RENEWAL_OF_ANNOTATION};
use super::resources::Invite;
use super::resources::IssuedCertificate;
use crate::csr::VettedCsr;
use crate::error::Result;

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
        /// The namespace the old certificate's grants were in, if any.
        granted_namespace: Option<String>,
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

/// Creates the request's `CertificateSigningRequest` as CertDesk. An invite is consumed
/// first (so one link makes one request) and given back if the CSR cannot be created.
/// A name already taken is `conflict` (a renewal's id is derived from its challenge, so
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
            granted_namespace,
        } => {
            let annotations = object
                .metadata
                .annotations
                .get_or_insert_with(Default::default);
            annotations.insert(RENEWAL_OF_ANNOTATION.to_owned(), of_serial);
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
            Err(error.into())
        }
    }
}

/// Where a request stands: from the watch cache, asking the API server only when the
/// cache does not (yet) hold it, so a fresh submission is never reported `Gone`; a
/// request the signer's CSR no longer exists for is read from its issuance record.
/// `None` when the name is not a request CertDesk made.
///
/// The caller checks the id's shape first (no API call for a name CertDesk never makes).
pub async fn current_status(cluster: &Cluster, id: &str) -> Result<Option<RequestStatus>> {
    let csr = match cluster.cache.get(id) {
        Some(csr) => Some(csr.as_ref().clone()),
        None => {
            Api::<CertificateSigningRequest>::all(cluster.client.clone())
                .get_opt(id)
                .await?
        }
    };
    match csr {
        None => match cluster.records.get(id) {
            Some(record) => Ok(Some(records::status_of(&record))),
            None => match Api::<IssuedCertificate>::all(cluster.client.clone())
                .get_opt(id)
                .await
            {
                Ok(Some(record)) => Ok(Some(records::status_of(&record))),
                // Without records (the CRD is not installed, say) the request is just gone.
                Ok(None) | Err(kube::Error::Api(_)) => Ok(Some(requests::gone(id))),
                Err(error) => Err(error.into()),
            },
        },
        Some(csr) if csr.spec.signer_name == SIGNER && requests::is_managed(&csr) => {
            Ok(Some(cluster.status_of(&csr)))
        }
        Some(_) => Ok(None),
    }
}
