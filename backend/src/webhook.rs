//! CertDesk's validating admission webhook (opt-in, `--webhook-listen`): the identity
//! check for approvals made around CertDesk, such as `kubectl certificate approve`.
//!
//! Registered for UPDATE of `certificatesigningrequests/approval` and scoped by
//! `matchConditions` to the signer `kubernetes.io/kube-apiserver-client`
//! (`deploy/webhook/`), it refuses an update that newly approves a CSR unless the
//! approving user may `impersonate` each requested group, and the username when it
//! already has bindings — asked with a SubjectAccessReview for the user the API server
//! names in the admission request. Everything else is allowed: denials, other signers,
//! an approval already present, and CertDesk's own automatic approvals (it checked the
//! deciding person itself). When the check cannot be made, the approval is refused.
//!
//! The API server calls webhooks over HTTPS only, so the listener is TLS (rustls) with
//! the certificate and key of `--webhook-tls-cert-file`/`--webhook-tls-key-file`.

use std::net::SocketAddr;

use anyhow::Context;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};

use crate::cluster::Cluster;
use crate::cluster::approver::access::Decider;
use crate::cluster::approver::decide::may_issue;
use crate::cluster::cache::SIGNER;

/// The path the webhook answers on.
pub const PATH: &str = "/validate/certificatesigningrequests/approval";

/// The webhook's routes.
pub fn router(cluster: Cluster) -> Router {
    Router::new()
        .route(PATH, post(review))
        .layer(axum::extract::DefaultBodyLimit::max(256 * 1024))
        .with_state(cluster)
}

/// Serves the webhook over TLS on `listen` in the background; returns the bound address.
pub async fn spawn(
    listen: SocketAddr,
    cert_file: &std::path::Path,
    key_file: &std::path::Path,
    cluster: Cluster,
) -> anyhow::Result<SocketAddr> {
    crate::cluster::install_crypto_provider();
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert_file, key_file)
        .await
        .with_context(|| {
            format!(
                "cannot use --webhook-tls-cert-file {} and --webhook-tls-key-file {}: give a PEM certificate and its key",
                cert_file.display(),
                key_file.display()
            )
        })?;
    let handle = axum_server::Handle::new();
    let server = axum_server::bind_rustls(listen, tls)
        .handle(handle.clone())
        .serve(router(cluster).into_make_service());
    tokio::spawn(async move {
        if let Err(error) = server.await {
            tracing::error!(%error, "the admission webhook's server failed");
        }
    });
    handle
        .listening()
        .await
        .with_context(|| format!("cannot listen on {listen} for the admission webhook"))
}

async fn review(
    State(cluster): State<Cluster>,
    Json(review): Json<AdmissionReview<CertificateSigningRequest>>,
) -> Json<AdmissionReview<kube::core::DynamicObject>> {
    let request: AdmissionRequest<CertificateSigningRequest> = match review.try_into() {
        Ok(request) => request,
        Err(error) => return Json(AdmissionResponse::invalid(error.to_string()).into_review()),
    };
    let response = AdmissionResponse::from(&request);
    let answer = match refusal(&cluster, &request).await {
        None => response,
        Some(reason) => {
            tracing::info!(
                target: "certdesk::audit",
                action = "approval_refused",
                actor = request.user_info.username.as_deref().unwrap_or_default(),
                request = request.name.as_str(),
                note = reason.as_str(),
            );
            response.deny(reason)
        }
    };
    Json(answer.into_review())
}

/// Returns why the update must be refused, or `None` to allow it.
async fn refusal(
    cluster: &Cluster,
    request: &AdmissionRequest<CertificateSigningRequest>,
) -> Option<String> {
    if request.operation != Operation::Update {
        return None;
    }
    let csr = request.object.as_ref()?;
    if csr.spec.signer_name != SIGNER
        || !approved(Some(csr))
        || approved(request.old_object.as_ref())
    {
        return None;
    }
    let user = &request.user_info;
    let who = user.username.clone().unwrap_or_default();
    if cluster.own_username().is_some_and(|own| own == who) {
        return None;
    }
    let summary = match crate::csr::describe(&csr.spec.request.0) {
        Ok(summary) => summary,
        Err(error) => {
            return Some(format!(
                "CertDesk: the subject of this CSR cannot be read, so whether {who} may issue it cannot be checked ({}).",
                plain(&error)
            ));
        }
    };
    match may_issue(cluster, Decider::User(&cluster.client, user), csr, &summary).await {
        Ok(check) if check.allowed => None,
        Ok(check) => Some(format!("CertDesk: {who}: {}", check.message)),
        Err(error) => Some(format!(
            "CertDesk could not check whether {who} may issue this identity ({}); the approval is refused until it can.",
            plain(&error)
        )),
    }
}

/// Returns whether the CSR carries an `Approved` condition that is true.
fn approved(csr: Option<&CertificateSigningRequest>) -> bool {
    csr.and_then(|c| c.status.as_ref())
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c.type_ == "Approved" && c.status == "True")
        })
}

/// The error as a sentence: a client error's message, or the whole chain of a fault.
fn plain(error: &crate::error::Error) -> String {
    match error {
        crate::error::Error::Client(api) => api.message.clone(),
        crate::error::Error::Internal(fault) => format!("{fault:#}"),
    }
}
