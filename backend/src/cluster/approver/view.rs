//! A CSR as the approver sees it: decoded, annotated by CertDesk, and flagged by
//! [`shared::risk`].

use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use shared::Phase;
use shared::admin::RequestView;
use shared::invite::InviteMatch;
use shared::risk::{self, KeyFacts, RiskContext, RiskInput};

use crate::cluster::requests::{
    self, CLIENT_ADDRESS_ANNOTATION, NOTE_ANNOTATION, USER_AGENT_ANNOTATION,
};
use crate::csr::CsrSummary;

/// Returns the CSR decoded for the approver, with its risk flags (`context` is built
/// once for a whole list: [`RiskContext::new`]).
///
/// What the backend itself wrote on the CSR (the invite it matched, the certificate it
/// renews) is shown only when the CSR was created by `certdesk_user`, the backend's own
/// identity as the API server recorded it in `spec.username`: anyone else who may
/// create CSRs could write the same annotations.
pub fn view(
    csr: &CertificateSigningRequest,
    decoding: &Result<CsrSummary, String>,
    context: &RiskContext<'_>,
    certdesk_user: Option<&str>,
) -> RequestView {
    let annotation = |key: &str| requests::annotation(csr, key);
    let created = csr
        .metadata
        .creation_timestamp
        .as_ref()
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.0.as_second()).ok());
    let age_seconds = created.map(|c| (time::OffsetDateTime::now_utc() - c).whole_seconds());
    let phase = crate::cluster::standing::phase(csr);
    let mut view = RequestView {
        name: csr.metadata.name.clone().unwrap_or_default(),
        phase,
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
        not_issued: None,
        decision: decision(csr),
    };
    if made_by_certdesk(csr, certdesk_user) {
        view.invite = annotation(requests::INVITE_ANNOTATION).map(|name| InviteMatch {
            name,
            created_by: annotation(requests::INVITED_BY_ANNOTATION).unwrap_or_default(),
            grants: annotation(requests::INVITE_GRANTS_ANNOTATION)
                .and_then(|json| serde_json::from_str(&json).ok())
                .unwrap_or_default(),
        });
        view.renewal_of = annotation(requests::RENEWAL_OF_ANNOTATION);
    }
    match decoding {
        Ok(summary) => {
            let input = RiskInput {
                username: &summary.username,
                groups: &summary.groups,
                key: Some(KeyFacts {
                    label: &summary.key.label,
                    is_rsa: summary.key.is_rsa,
                    bits: u32::try_from(summary.key.bits).unwrap_or(u32::MAX),
                }),
                asks_for_ca: summary.asks_for_ca,
                signature_valid: summary.signature_valid,
                expiration_seconds: csr.spec.expiration_seconds.map(i64::from),
                undecided: phase == Phase::Pending,
                renewal_of: view.renewal_of.as_deref(),
                invite: view
                    .invite
                    .as_ref()
                    .map(|i| (i.name.as_str(), i.created_by.as_str())),
                name: &view.name,
                key_sha256: Some(&summary.public_key_sha256),
                outside_certdesk: !made_by_certdesk(csr, certdesk_user),
            };
            view.risks = risk::assess(&input, context);
            view.username = Some(summary.username.clone());
            view.groups = summary.groups.clone();
            view.key = Some(summary.key.label.clone());
        }
        Err(error) => view.decode_error = Some(error.clone()),
    }
    view
}

/// How the CSR was decided, from its deciding condition (none while pending).
fn decision(csr: &CertificateSigningRequest) -> Option<shared::admin::Decision> {
    let conditions = csr.status.as_ref()?.conditions.as_ref()?;
    let condition = ["Denied", "Failed", "Approved"].iter().find_map(|kind| {
        conditions
            .iter()
            .find(|c| c.type_ == *kind && c.status == "True")
    })?;
    Some(shared::admin::Decision {
        kind: condition.type_.clone(),
        at: condition
            .last_update_time
            .as_ref()
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.0.as_second()).ok()),
        message: condition.message.clone(),
        approved_by: (condition.type_ == "Approved")
            .then(|| requests::annotation(csr, requests::APPROVED_BY_ANNOTATION))
            .flatten(),
    })
}

/// Every request in `csrs` and every issuance record in `records`, indexed for the
/// flags one request raises about the others ([`shared::risk::Neighbours`]): the same
/// username pending twice, a look-alike, one public key twice.
pub fn neighbours(
    csrs: &[std::sync::Arc<CertificateSigningRequest>],
    decode: impl Fn(&CertificateSigningRequest) -> std::sync::Arc<Result<CsrSummary, String>>,
    waiting: impl Fn(&CertificateSigningRequest) -> bool,
    records: &[std::sync::Arc<crate::cluster::resources::IssuedCertificate>],
) -> risk::Neighbours {
    let decoded: Vec<_> = csrs
        .iter()
        .map(|csr| {
            (
                csr.metadata.name.clone().unwrap_or_default(),
                decode(csr),
                waiting(csr),
            )
        })
        .collect();
    let keys: Vec<(String, String, Option<String>)> = records
        .iter()
        .map(|record| {
            let key = shared::inspect::inspect_certificate(&record.spec.certificate)
                .ok()
                .map(|c| c.public_key_sha256);
            (
                record.metadata.name.clone().unwrap_or_default(),
                record.spec.username.clone(),
                key,
            )
        })
        .collect();
    let from_csrs = decoded.iter().filter_map(|(name, summary, pending)| {
        let summary = summary.as_ref().as_ref().ok()?;
        Some(risk::Neighbour {
            name,
            username: &summary.username,
            key_sha256: Some(&summary.public_key_sha256),
            pending: *pending,
        })
    });
    let from_records = keys.iter().map(|(name, username, key)| risk::Neighbour {
        name,
        username,
        key_sha256: key.as_deref(),
        pending: false,
    });
    risk::Neighbours::new(from_csrs.chain(from_records))
}

/// Returns whether the CSR was created by CertDesk itself: it carries CertDesk's label
/// and the API server recorded the backend's own identity as its creator.
pub fn made_by_certdesk(csr: &CertificateSigningRequest, certdesk_user: Option<&str>) -> bool {
    requests::is_managed(csr)
        && certdesk_user.is_some()
        && csr.spec.username.as_deref() == certdesk_user
}

/// Reads the CSR `name` with the approver's own client (their RBAC decides whether they
/// may see it).
pub async fn read(
    client: &kube::Client,
    name: &str,
) -> crate::cluster::Result<CertificateSigningRequest> {
    kube::Api::<CertificateSigningRequest>::all(client.clone())
        .get(name)
        .await
        .map_err(crate::cluster::Error::approver)
}
