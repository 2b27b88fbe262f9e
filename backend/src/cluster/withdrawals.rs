//! Withdrawals: a requester's word, signed with the request's own key, that a pending
//! request should go.
//!
//! The backend has no power to delete, deny or update CSRs it did not create (and
//! none to change the ones it did), so a withdrawal is recorded in CertDesk's own
//! resource instead: a cluster-scoped `Withdrawal` named after the request, written
//! with a plain create (the API server lets one through). From then on every replica
//! leaves the request out of the approvers' list, shows it as withdrawn to the
//! requester, and refuses to approve it (`request_withdrawn`). The CSR itself stays
//! pending until the cluster removes it (a day after it was made); `kubectl
//! certificate approve` outside CertDesk could still approve it, which the audit Event
//! and the record make visible. A withdrawal is owned by its CSR, so the cluster's
//! garbage collector removes it with the CSR.

use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::PostParams;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, Client, CustomResource};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{ErrorCode, Phase};
use time::OffsetDateTime;

use super::cache::{RequestCache, SIGNER};
use super::error::{Error, Result};
use super::{Cluster, requests, standing};
use crate::audit::{Action, Entry};

/// The record of one withdrawn request, named after it.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "certdesk.dev",
    version = "v1alpha1",
    kind = "Withdrawal",
    plural = "withdrawals",
    category = "certdesk",
    derive = "PartialEq",
    doc = "A pending request its requester withdrew, proved with the request's key: CertDesk no longer lists it for approvers nor approves it.",
    printcolumn(name = "User", type_ = "string", json_path = ".spec.username"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalSpec {
    /// The username the request asked for.
    pub username: String,
    /// The SHA-256 of the public key whose signature proved the withdrawal (the
    /// request's own key), colon-separated hex.
    pub public_key_sha256: String,
    /// When it was withdrawn.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub withdrawn_at: OffsetDateTime,
    /// The address the withdrawal came from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_address: Option<String>,
}

/// A watch cache of the withdrawals; cheap to clone.
#[derive(Clone)]
pub struct WithdrawalStore {
    store: Store<Withdrawal>,
}

impl WithdrawalStore {
    /// Starts watching the cluster's `Withdrawal`s in a background task (retrying with
    /// backoff while the API server or the CRD is missing). Each one that appears is
    /// announced as a change of its request, so live status pages and the approvers'
    /// lists on every replica see it at once.
    pub fn start(client: Client, cache: RequestCache) -> Self {
        let store =
            super::watch::everything(client, "Withdrawal", move |withdrawal: &Withdrawal| {
                if let Some(name) = withdrawal.metadata.name.as_deref() {
                    cache.announce(name);
                }
            });
        Self { store }
    }

    /// Returns whether the cache holds a withdrawal of the named request.
    pub fn contains(&self, name: &str) -> bool {
        self.store.get(&ObjectRef::new(name)).is_some()
    }
}

/// Refuses (409 `request_withdrawn`) to approve a request its requester withdrew.
/// Asks the API server, not the cache, so a withdrawal made a moment ago on another
/// replica counts.
pub async fn ensure_not_withdrawn(client: &Client, name: &str) -> Result<()> {
    let api: Api<Withdrawal> = Api::all(client.clone());
    match api.get_opt(name).await {
        Ok(None) => Ok(()),
        Ok(Some(_)) => Err(withdrawn()),
        // Without the CRD (an old install) nothing can have been withdrawn.
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(error) => Err(Error::own(error)),
    }
}

/// The refusal to approve a withdrawn request.
pub fn withdrawn() -> Error {
    Error::conflict(
        ErrorCode::RequestWithdrawn,
        "The requester withdrew this request, so CertDesk will not approve it. They can make a new one.",
    )
}

/// Withdraws the pending CertDesk request `id` for the holder of its key: `proof` is
/// the key's signature over the id. Records the `Withdrawal` and its audit entry and
/// returns the request's new status. Withdrawing twice is not an error.
pub async fn withdraw(
    cluster: &Cluster,
    id: &str,
    proof: &str,
    client_address: Option<String>,
) -> Result<shared::RequestStatus> {
    let not_found = || Error::NotFound("There is no CertDesk request with that id.".to_owned());
    let csr = Api::<CertificateSigningRequest>::all(cluster.client.clone())
        .get_opt(id)
        .await
        .map_err(Error::own)?
        .filter(|csr| csr.spec.signer_name == SIGNER)
        .filter(requests::is_managed)
        .ok_or_else(not_found)?;
    let record = record(&cluster.client, &csr, proof, client_address).await?;
    cluster.audit.record(
        &record,
        Entry {
            action: Action::Withdrawn,
            actor: "requester",
            subject: &record.spec.username,
            request: Some(id),
            note: format!(
                "Request {id} for {:?} withdrawn by the holder of its key.",
                record.spec.username
            ),
        },
    );
    Ok(standing::withdrawn_status(&csr))
}

/// Records the withdrawal of the pending CertDesk request `csr` after checking `proof`.
async fn record(
    client: &Client,
    csr: &CertificateSigningRequest,
    proof: &str,
    client_address: Option<String>,
) -> Result<Withdrawal> {
    let name = csr.metadata.name.clone().unwrap_or_default();
    let csr_pem = std::str::from_utf8(&csr.spec.request.0)
        .map_err(|_| Error::conflict(ErrorCode::Conflict, "The request's CSR is not PEM text."))?;
    shared::withdrawal::verify(csr_pem, &name, proof).map_err(|error| {
        Error::invalid(
            ErrorCode::WithdrawalProofInvalid,
            format!(
                "Only the holder of this request's key can withdraw it ({error}): open the status page in the browser you made the request in."
            ),
        )
    })?;
    let phase = standing::phase(csr);
    if phase != Phase::Pending {
        return Err(Error::conflict(
            ErrorCode::RequestDecided,
            format!(
                "The request is already {}, so it can no longer be withdrawn.",
                format!("{phase:?}").to_lowercase()
            ),
        ));
    }
    // The CSR is read once more for what the record keeps (its self-signature too).
    let info = shared::inspect::inspect_csr(csr_pem)
        .map_err(|error| Error::invalid(error.api_code(), error.to_string()))?;
    let mut record = Withdrawal::new(
        &name,
        WithdrawalSpec {
            username: info.common_name,
            public_key_sha256: info.public_key_sha256,
            withdrawn_at: OffsetDateTime::now_utc(),
            client_address,
        },
    );
    record.metadata.labels = Some(std::collections::BTreeMap::from([(
        requests::MANAGED_BY.0.to_owned(),
        requests::MANAGED_BY.1.to_owned(),
    )]));
    // Owned by the CSR: when the cluster deletes the CSR (a day after it was made),
    // its garbage collector deletes the withdrawal with it.
    record.metadata.owner_references = csr.metadata.uid.clone().map(|uid| {
        vec![OwnerReference {
            api_version: "certificates.k8s.io/v1".to_owned(),
            kind: "CertificateSigningRequest".to_owned(),
            name: name.clone(),
            uid,
            ..OwnerReference::default()
        }]
    });
    let api: Api<Withdrawal> = Api::all(client.clone());
    match api.create(&PostParams::default(), &record).await {
        Ok(created) => Ok(created),
        Err(kube::Error::Api(e)) if e.code == 409 => api.get(&name).await.map_err(Error::own),
        Err(error) => Err(Error::own(error)),
    }
}
