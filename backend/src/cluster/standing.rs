//! Where a request stands: the one function every page, stream and answer asks
//! ([`of`] for a request id, [`of_csr`] for a CSR as it is now), and the phase of a
//! CSR alone ([`phase`]) for the decisions that need nothing more.
//!
//! A request's status is made of its CSR's conditions and certificate, whether its
//! requester withdrew it, whether the signer missed its deadline, and — once the
//! cluster has deleted the CSR — CertDesk's issuance record.

use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::Api;
use shared::admin::Grant;
use shared::{Phase, RequestId, RequestStatus};
use time::OffsetDateTime;

use super::Cluster;
use super::cache::SIGNER;
use super::error::{Error, Result};
use super::requests;
use super::resources::{BindingRecord, IssuedCertificate};

/// Where the request `id` stands: from the watch cache, asking the API server only
/// when the cache does not (yet) hold it, so a fresh submission is never reported
/// `Gone`; a request whose CSR the cluster deleted is read from its issuance record.
/// `None` when the name is not a request CertDesk made.
///
/// The caller checks the id's shape first (no API call for a name CertDesk never makes).
pub async fn of(cluster: &Cluster, id: &str) -> Result<Option<RequestStatus>> {
    let csr = match cluster.cache.get(id) {
        Some(csr) => Some(csr.as_ref().clone()),
        None => Api::<CertificateSigningRequest>::all(cluster.client.clone())
            .get_opt(id)
            .await
            .map_err(Error::own)?,
    };
    match csr {
        Some(csr) if csr.spec.signer_name == SIGNER && requests::is_managed(&csr) => {
            Ok(Some(of_csr(cluster, &csr)))
        }
        Some(_) => Ok(None),
        None => Ok(Some(after_deletion(cluster, id).await?)),
    }
}

/// Where the request of `csr` stands now: its conditions and certificate, withdrawn
/// when its requester withdrew it while pending, and why it is not issued when the
/// signer missed its deadline.
pub fn of_csr(cluster: &Cluster, csr: &CertificateSigningRequest) -> RequestStatus {
    let mut status = from_conditions(csr);
    let name = csr.metadata.name.as_deref().unwrap_or_default();
    if status.phase == Phase::Pending && cluster.withdrawals.contains(name) {
        withdrawn(&mut status);
    }
    cluster
        .signing
        .explain(csr, &mut status, OffsetDateTime::now_utc());
    if status.phase == Phase::Pending {
        status.typical_wait_seconds = typical_wait(
            &cluster.records.all(),
            cluster.own_username(),
            OffsetDateTime::now_utc(),
        );
    }
    status
}

/// How long requests that needed a person waited (submission to issuance record),
/// the median over the last 30 days' records; none with fewer than three. Renewals and
/// CertDesk's own approvals (invites) needed nobody and are left out.
pub fn typical_wait(
    records: &[std::sync::Arc<IssuedCertificate>],
    certdesk_user: Option<&str>,
    now: OffsetDateTime,
) -> Option<u32> {
    let since = now - time::Duration::days(30);
    let mut waits: Vec<i64> = records
        .iter()
        .filter(|r| r.spec.renewal_of.is_none())
        .filter(|r| {
            r.spec
                .approver
                .as_deref()
                .is_some_and(|a| Some(a) != certdesk_user && !a.starts_with("certdesk ("))
        })
        .filter_map(|r| {
            let asked = r.spec.requester.requested_at?;
            let written = r.metadata.creation_timestamp.as_ref()?.0.as_second();
            (asked >= since).then(|| written - asked.unix_timestamp())
        })
        .filter(|w| *w >= 0)
        .collect();
    if waits.len() < 3 {
        return None;
    }
    waits.sort_unstable();
    u32::try_from(waits[waits.len() / 2]).ok()
}

/// Where a request stands once the cluster deleted its CSR: issued (from its record),
/// or gone.
pub async fn after_deletion(cluster: &Cluster, id: &str) -> Result<RequestStatus> {
    if let Some(record) = cluster.records.get(id) {
        return Ok(from_record(&record));
    }
    match Api::<IssuedCertificate>::all(cluster.client.clone())
        .get_opt(id)
        .await
    {
        Ok(Some(record)) => Ok(from_record(&record)),
        // Without records (the CRD is not installed, say) the request is just gone.
        Ok(None) | Err(kube::Error::Api(_)) => Ok(gone(id)),
        Err(error) => Err(Error::own(error)),
    }
}

/// The phase of a CSR from its conditions and certificate alone.
pub fn phase(csr: &CertificateSigningRequest) -> Phase {
    from_conditions(csr).phase
}

/// The status of the request a pending CSR was, once its requester withdrew it.
pub fn withdrawn_status(csr: &CertificateSigningRequest) -> RequestStatus {
    let mut status = from_conditions(csr);
    withdrawn(&mut status);
    status
}

fn withdrawn(status: &mut RequestStatus) {
    status.phase = Phase::Withdrawn;
    status.message = Some("You withdrew this request.".to_owned());
}

/// The status of an issued request, from its record (its CSR is gone).
fn from_record(record: &IssuedCertificate) -> RequestStatus {
    RequestStatus {
        id: RequestId(record.metadata.name.clone().unwrap_or_default()),
        phase: Phase::Issued,
        reason: None,
        message: record.spec.approval_message.clone(),
        certificate_pem: Some(record.spec.certificate.clone()),
        not_after: Some(record.spec.not_after),
        namespace: record.spec.namespace.clone(),
        not_issued: None,
        lifetime_cut: None,
        grants: record.spec.bindings.iter().map(grant_of).collect(),
        submitted_at: None,
        requested_seconds: None,
        note: None,
        typical_wait_seconds: None,
    }
}

/// The grant a recorded binding made.
fn grant_of(binding: &BindingRecord) -> Grant {
    Grant {
        kind: binding.role_kind.into(),
        name: binding.role.clone(),
        namespace: binding.namespace.clone(),
    }
}

/// The certificate and phase of an issued CSR, for its issuance record.
pub(crate) fn issued(csr: &CertificateSigningRequest) -> Option<RequestStatus> {
    let status = from_conditions(csr);
    (status.phase == Phase::Issued).then_some(status)
}

/// The request's status from the CSR's status conditions alone, with the deciding
/// condition's reason and message and, once issued, the certificate and its notAfter.
pub(crate) fn from_conditions(csr: &CertificateSigningRequest) -> RequestStatus {
    let id = RequestId(csr.metadata.name.clone().unwrap_or_default());
    let status = csr.status.as_ref();
    let conditions = status
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default();
    let holds = |kind: &str| {
        conditions
            .iter()
            .find(|c| c.type_ == kind && c.status == "True")
    };
    let certificate = status
        .and_then(|s| s.certificate.as_ref())
        .filter(|c| !c.0.is_empty())
        .and_then(|c| String::from_utf8(c.0.clone()).ok());
    let (phase, condition) = if let Some(c) = holds("Denied") {
        (Phase::Denied, Some(c))
    } else if let Some(c) = holds("Failed") {
        (Phase::Failed, Some(c))
    } else if let Some(c) = holds("Approved") {
        (
            if certificate.is_some() {
                Phase::Issued
            } else {
                Phase::Approved
            },
            Some(c),
        )
    } else {
        (Phase::Pending, None)
    };
    let certificate_pem = certificate.filter(|_| phase == Phase::Issued);
    let submitted_at = csr
        .metadata
        .creation_timestamp
        .as_ref()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t.0.as_second()).ok());
    let lifetime_cut = certificate_pem
        .as_deref()
        .and_then(|pem| lifetime_cut(pem, submitted_at?, csr.spec.expiration_seconds?));
    RequestStatus {
        id,
        phase,
        reason: condition.and_then(|c| c.reason.clone()),
        message: condition.and_then(|c| c.message.clone()),
        not_after: certificate_pem.as_deref().and_then(not_after),
        certificate_pem,
        namespace: (phase == Phase::Approved || phase == Phase::Issued)
            .then(|| requests::granted_namespace(csr))
            .flatten(),
        not_issued: None,
        lifetime_cut,
        grants: if matches!(phase, Phase::Approved | Phase::Issued) {
            granted(csr)
        } else {
            Vec::new()
        },
        submitted_at,
        requested_seconds: csr.spec.expiration_seconds,
        note: requests::annotation(csr, requests::NOTE_ANNOTATION),
        typical_wait_seconds: None,
    }
}

/// The roles recorded with the approval (an annotation CertDesk wrote; anything that
/// does not read as grants counts as none).
pub fn granted(csr: &CertificateSigningRequest) -> Vec<shared::admin::Grant> {
    requests::annotation(csr, requests::GRANTS_ANNOTATION)
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// How far Kubernetes' signer back-dates a certificate's notBefore (for clock skew).
/// For a lifetime of eight hours or more it back-dates notAfter with it, so such a
/// certificate ends up to five minutes before "asked-for lifetime after the request".
pub const SIGNER_BACKDATE_SECONDS: i64 = 300;

/// The lifetime asked for against the one the certificate has, when the signer cut it:
/// notAfter less the request's creation is shorter than asked by more than the
/// signer's back-dating (and a minute of clock and queue). The back-dating is not a
/// cut, nor is the time the request waited for approval.
fn lifetime_cut(
    pem: &str,
    submitted_at: OffsetDateTime,
    requested_seconds: i32,
) -> Option<shared::LifetimeCut> {
    let not_after = not_after(pem)?.unix_timestamp();
    let issued = (not_after - submitted_at.unix_timestamp()).max(0);
    let requested = i64::from(requested_seconds);
    (issued + SIGNER_BACKDATE_SECONDS + 60 < requested).then(|| shared::LifetimeCut {
        requested_seconds: u32::try_from(requested).unwrap_or(u32::MAX),
        issued_seconds: u32::try_from(issued).unwrap_or(u32::MAX),
    })
}

/// The status of a request the cluster no longer has.
fn gone(id: &str) -> RequestStatus {
    RequestStatus {
        id: RequestId(id.to_owned()),
        phase: Phase::Gone,
        reason: None,
        message: Some(
            "The cluster no longer has this request (it was cleaned up or expired).".to_owned(),
        ),
        certificate_pem: None,
        not_after: None,
        namespace: None,
        not_issued: None,
        lifetime_cut: None,
        grants: Vec::new(),
        submitted_at: None,
        requested_seconds: None,
        note: None,
        typical_wait_seconds: None,
    }
}

/// Returns the notAfter of the first certificate of a PEM bundle.
pub fn not_after(pem: &str) -> Option<OffsetDateTime> {
    shared::inspect::inspect_certificate(pem)
        .ok()
        .map(|certificate| certificate.not_after)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::ByteString;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;
    use crate::cluster::requests::{GRANTED_NAMESPACE_ANNOTATION, is_namespace_name};

    fn status_of(csr: &CertificateSigningRequest) -> RequestStatus {
        from_conditions(csr)
    }

    fn csr_with(conditions: &[(&str, &str)], certificate: &[u8]) -> CertificateSigningRequest {
        use k8s_openapi::api::certificates::v1::{
            CertificateSigningRequestCondition, CertificateSigningRequestStatus,
        };
        CertificateSigningRequest {
            metadata: ObjectMeta {
                name: Some("certdesk-a-x".to_owned()),
                ..ObjectMeta::default()
            },
            status: Some(CertificateSigningRequestStatus {
                conditions: Some(
                    conditions
                        .iter()
                        .map(|(kind, reason)| CertificateSigningRequestCondition {
                            type_: (*kind).to_owned(),
                            status: "True".to_owned(),
                            reason: Some((*reason).to_owned()),
                            message: Some(format!("{kind} because")),
                            ..Default::default()
                        })
                        .collect(),
                ),
                certificate: (!certificate.is_empty()).then(|| ByteString(certificate.to_vec())),
            }),
            ..CertificateSigningRequest::default()
        }
    }

    #[test]
    fn the_phase_follows_the_conditions_and_the_certificate() {
        assert_eq!(status_of(&csr_with(&[], b"")).phase, Phase::Pending);
        let approved = status_of(&csr_with(&[("Approved", "CertDeskApprove")], b""));
        assert_eq!(approved.phase, Phase::Approved);
        assert_eq!(approved.reason.as_deref(), Some("CertDeskApprove"));
        assert_eq!(approved.message.as_deref(), Some("Approved because"));
        let issued = status_of(&csr_with(
            &[("Approved", "CertDeskApprove")],
            b"-----BEGIN CERTIFICATE-----",
        ));
        assert_eq!(issued.phase, Phase::Issued);
        assert!(issued.certificate_pem.is_some());
        assert_eq!(
            status_of(&csr_with(&[("Denied", "CertDeskDeny")], b"")).phase,
            Phase::Denied
        );
        let failed = status_of(&csr_with(
            &[
                ("Approved", "CertDeskApprove"),
                ("Failed", "SignerValidationFailure"),
            ],
            b"",
        ));
        assert_eq!(failed.phase, Phase::Failed);
        assert_eq!(failed.reason.as_deref(), Some("SignerValidationFailure"));
        assert_eq!(gone("certdesk-a-x").phase, Phase::Gone);
    }

    #[test]
    fn the_granted_namespace_is_read_only_when_it_is_a_namespace_name() {
        let mut csr = csr_with(&[("Approved", "CertDeskApprove")], b"");
        assert_eq!(status_of(&csr).namespace, None);
        for (value, expected) in [
            ("team-a", Some("team-a")),
            ("default\nusers:", None),
            ("Team", None),
            ("-a", None),
            ("a\"b", None),
            ("", None),
        ] {
            csr.metadata.annotations = Some(BTreeMap::from([(
                GRANTED_NAMESPACE_ANNOTATION.to_owned(),
                value.to_owned(),
            )]));
            assert_eq!(status_of(&csr).namespace.as_deref(), expected, "{value:?}");
        }
        assert!(!is_namespace_name(&"a".repeat(64)));
        assert!(is_namespace_name(&"a".repeat(63)));
    }
}
