//! Issuance records: one `IssuedCertificate` for every certificate CertDesk's requests
//! were issued, written by the backend when the certificate appears on the CSR.
//!
//! The record is named after the request, and written with a plain create: when
//! several replicas see the same certificate, the API server lets exactly one create
//! through and answers the others 409, which counts as done. Records outlive their
//! CSRs (which the cluster deletes an hour after the decision), so a requester can still
//! fetch the certificate by request id, and approvers can list who holds what.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::api::PostParams;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, Client};
use tokio::sync::broadcast::error::RecvError;

use super::approver::binding_ref;
use super::cache::{Change, RequestCache};
use super::requests::{
    self, APPROVED_BY_ANNOTATION, CLIENT_ADDRESS_ANNOTATION, INVITE_ANNOTATION, NOTE_ANNOTATION,
    RENEWAL_OF_ANNOTATION, USER_AGENT_ANNOTATION,
};
use super::resources::{BindingRecord, IssuedCertificate, IssuedCertificateSpec, RequesterRecord};
use crate::audit::{Action, Audit, Entry, timestamp};

/// How often every issued request is checked for its record, so a create that failed
/// (the API server was away) is made later even though the CSR does not change again.
const RESCAN_EVERY: Duration = Duration::from_secs(60);

/// A watch cache of the issuance records; cheap to clone.
#[derive(Clone)]
pub struct RecordStore {
    store: Store<IssuedCertificate>,
}

impl RecordStore {
    /// Starts watching the cluster's `IssuedCertificate`s in a background task, which
    /// retries with backoff while the API server (or the CRD) is missing.
    pub fn start(client: Client) -> Self {
        Self {
            store: super::watch::everything(client, "IssuedCertificate", |_| {}),
        }
    }

    /// Returns the record of that request id, if the cache holds one.
    pub fn get(&self, name: &str) -> Option<Arc<IssuedCertificate>> {
        self.store.get(&ObjectRef::new(name))
    }

    /// Returns every cached record.
    pub fn all(&self) -> Vec<Arc<IssuedCertificate>> {
        self.store.state()
    }

    /// Returns the record of the certificate with that serial number (hex, any case,
    /// leading zeros ignored) from the issuer `issuer` (its distinguished name as
    /// `shared::inspect` prints it). A certificate is known by what its issuer signed,
    /// so a copy re-encoded outside the signed part is still found.
    pub fn by_issuer_and_serial(
        &self,
        issuer: &str,
        serial: &str,
    ) -> Option<Arc<IssuedCertificate>> {
        let wanted = normal_serial(serial);
        self.store.state().into_iter().find(|record| {
            normal_serial(&record.spec.serial) == wanted
                && shared::inspect::inspect_certificate(&record.spec.certificate)
                    .is_ok_and(|known| known.issuer == issuer)
        })
    }

    /// Returns the record of the certificate with that SHA-256 fingerprint.
    pub fn by_fingerprint(&self, fingerprint: &str) -> Option<Arc<IssuedCertificate>> {
        self.store.find(|record| {
            record
                .spec
                .sha256_fingerprint
                .eq_ignore_ascii_case(fingerprint)
        })
    }

    /// Waits until the cache has listed the records once.
    async fn wait_until_ready(&self) {
        // The writer lives as long as the watch task, which never ends on its own.
        let _ = self.store.wait_until_ready().await;
    }
}

/// Returns the record of an issued CertDesk request, or `None` when the CSR is not
/// CertDesk's (its label, and `spec.username` — which the API server sets — equal to
/// `certdesk_user`, the backend's own identity), not issued, or its certificate does
/// not decode. Anyone who may create CSRs can copy CertDesk's label; only the backend
/// creates CSRs as itself.
pub fn record_of(
    csr: &CertificateSigningRequest,
    certdesk_user: Option<&str>,
) -> Option<IssuedCertificate> {
    if !super::approver::view::made_by_certdesk(csr, certdesk_user) {
        return None;
    }
    let status = super::standing::issued(csr)?;
    let pem = status.certificate_pem.clone()?;
    let certificate = match shared::inspect::inspect_certificate(&pem) {
        Ok(certificate) => certificate,
        Err(error) => {
            tracing::warn!(request = %status.id, %error, "the issued certificate does not decode; no record");
            return None;
        }
    };
    let username = certificate.common_name.clone().unwrap_or_default();
    let annotation = |key: &str| requests::annotation(csr, key);
    let grants = super::standing::granted(csr);
    let bindings = grants
        .iter()
        .filter_map(|grant| binding_ref(&username, grant))
        .map(|binding| BindingRecord::from(&binding))
        .collect();
    let spec = IssuedCertificateSpec {
        username,
        groups: certificate.organizations.clone(),
        serial: certificate.serial.clone(),
        sha256_fingerprint: certificate.sha256_fingerprint.clone(),
        not_before: certificate.not_before,
        not_after: certificate.not_after,
        approver: approver_of(csr, certdesk_user),
        approval_message: status.message.clone(),
        bindings,
        namespace: status.namespace.clone(),
        certificate: pem,
        requester: RequesterRecord {
            note: annotation(NOTE_ANNOTATION),
            client_address: annotation(CLIENT_ADDRESS_ANNOTATION),
            user_agent: annotation(USER_AGENT_ANNOTATION),
            requested_at: csr
                .metadata
                .creation_timestamp
                .as_ref()
                .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.0.as_second()).ok()),
        },
        renewal_of: annotation(RENEWAL_OF_ANNOTATION),
        invite: annotation(INVITE_ANNOTATION),
    };
    let mut record = IssuedCertificate::new(&status.id.0, spec);
    record.metadata.labels = Some(std::collections::BTreeMap::from([(
        requests::MANAGED_BY.0.to_owned(),
        requests::MANAGED_BY.1.to_owned(),
    )]));
    Some(record)
}

/// Who approved: `certdesk.dev/approved-by`, which CertDesk's admission policy lets
/// only the approving user write (so it names them, not whom a kubectl approver
/// claims); CertDesk's own approvals say why they were made.
fn approver_of(csr: &CertificateSigningRequest, certdesk_user: Option<&str>) -> Option<String> {
    let by = requests::annotation(csr, APPROVED_BY_ANNOTATION)?;
    match requests::annotation(csr, super::auto_approve::APPROVED_VIA_ANNOTATION) {
        Some(via) if Some(by.as_str()) == certdesk_user => Some(format!("certdesk ({via})")),
        _ => Some(by),
    }
}

fn normal_serial(serial: &str) -> String {
    let digits: String = serial
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Writes the record of the CSR if it is an issued CertDesk request without one.
/// Returns whether this call created it.
async fn ensure_record(
    client: &Client,
    records: &RecordStore,
    audit: &Audit,
    csr: &CertificateSigningRequest,
    certdesk_user: Option<&str>,
) -> bool {
    let Some(name) = csr.metadata.name.as_deref() else {
        return false;
    };
    if records.get(name).is_some() {
        return false;
    }
    let Some(record) = record_of(csr, certdesk_user) else {
        return false;
    };
    let api: Api<IssuedCertificate> = Api::all(client.clone());
    match api.create(&PostParams::default(), &record).await {
        Ok(created) => {
            let spec = &created.spec;
            audit.record(
                &created,
                Entry {
                    action: Action::Issued,
                    actor: "certdesk",
                    subject: &spec.username,
                    request: Some(name),
                    note: format!(
                        "Issued certificate {} for {:?} (groups {:?}), valid until {}.",
                        spec.serial,
                        spec.username,
                        spec.groups,
                        timestamp(spec.not_after)
                    ),
                },
            );
            true
        }
        // Another replica (or an earlier run) wrote it first.
        Err(kube::Error::Api(status)) if status.code == 409 => false,
        Err(error) => {
            tracing::warn!(request = name, %error, "could not write the issuance record; will retry");
            false
        }
    }
}

/// Follows the request cache and writes a record for every issued CertDesk request
/// that has none, for as long as the process runs.
///
/// Until the backend has learnt its own identity (`own`), nothing is written; the
/// periodic rescan writes what was missed.
pub fn spawn_writer(
    client: Client,
    cache: RequestCache,
    records: RecordStore,
    audit: Audit,
    own: Arc<std::sync::OnceLock<String>>,
) {
    tokio::spawn(async move {
        // Subscribe first, so nothing that happens during the first scan is missed.
        let mut changes = cache.subscribe();
        records.wait_until_ready().await;
        let scan = async |records: &RecordStore| {
            for csr in cache.all() {
                ensure_record(
                    &client,
                    records,
                    &audit,
                    &csr,
                    own.get().map(String::as_str),
                )
                .await;
            }
        };
        scan(&records).await;
        let mut rescan = tokio::time::interval(RESCAN_EVERY);
        loop {
            tokio::select! {
                change = changes.recv() => match change {
                    Ok(Change::Applied(csr)) => {
                        ensure_record(&client, &records, &audit, &csr, own.get().map(String::as_str)).await;
                    }
                    Ok(Change::Deleted(_)) => {}
                    Ok(Change::Resync) | Err(RecvError::Lagged(_)) => scan(&records).await,
                    Err(RecvError::Closed) => break,
                },
                _ = rescan.tick() => scan(&records).await,
            }
        }
    });
}
