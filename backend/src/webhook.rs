//! CertDesk's validating admission webhook (opt-in, `--webhook-listen`): the identity
//! rule for approvals made around CertDesk, such as `kubectl certificate approve`, and
//! the limit on CertDesk's own approvals.
//!
//! Registered for UPDATE of `certificatesigningrequests/approval` and scoped by
//! `matchConditions` to the signer `kubernetes.io/kube-apiserver-client`
//! (`deploy/webhook/`), it judges every update that newly approves a CSR:
//!
//! - made by CertDesk's own ServiceAccount: allowed only when
//!   [`auto_approve::basis`] says CertDesk itself would approve it (its own request, a
//!   live invite or an unremoved renewal with a proof of possession) — so a stolen
//!   token of the ServiceAccount cannot mint an identity;
//! - made by anyone else: the identity rule ([`access::check`]), asked about the user
//!   the API server names, from the watch cache of bindings and with SubjectAccessReview
//!   answers kept for a few seconds, so reviews cost the API server next to nothing.
//!
//! Everything else is allowed: denials, other signers, an approval already present.
//! When a check cannot be made, the approval is refused. The refusal tells the approving
//! user only which of their own permissions is missing.
//!
//! The listener is TLS (the API server calls webhooks over HTTPS only); with
//! `--webhook-client-ca-file` it also requires a client certificate from that CA (the
//! API server's admission kubeconfig), refusing anyone else at the handshake. Reviews
//! are rate-limited per client address and bounded in flight.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};
use tokio::sync::Semaphore;

use crate::cluster::access::{self, Decider, Freshness};
use crate::cluster::cache::SIGNER;
use crate::cluster::{Cluster, auto_approve};
use crate::limits::KeyedLimiter;

/// The path the webhook answers on.
pub const PATH: &str = "/validate/certificatesigningrequests/approval";

/// How many reviews are judged at once; more wait.
const IN_FLIGHT: usize = 16;

/// The webhook's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The serving certificate chain (PEM).
    pub cert: std::path::PathBuf,
    /// Its key (PEM).
    pub key: std::path::PathBuf,
    /// The CA whose client certificates may call (the API server's); none: anyone.
    pub client_ca: Option<std::path::PathBuf>,
    /// Reviews one client address may send per minute.
    pub per_minute: u32,
    /// Reviews one client address may send in a burst.
    pub burst: u32,
}

#[derive(Clone)]
struct Webhook {
    cluster: Cluster,
    limiter: Arc<KeyedLimiter>,
    in_flight: Arc<Semaphore>,
}

/// The webhook's routes, with their limits.
pub fn router(cluster: Cluster, per_minute: u32, burst: u32) -> Router {
    let limiter = Arc::new(crate::limits::keyed(per_minute, burst));
    crate::limits::forget_refilled(&limiter);
    Router::new()
        .route(PATH, post(review))
        .layer(axum::extract::DefaultBodyLimit::max(256 * 1024))
        .with_state(Webhook {
            cluster,
            limiter,
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
        })
}

/// Serves the webhook over TLS in the background; returns the bound address.
pub async fn spawn(settings: &Settings, cluster: Cluster) -> anyhow::Result<SocketAddr> {
    crate::cluster::install_crypto_provider();
    let tls = tls(&settings.cert, &settings.key, settings.client_ca.as_deref())?;
    let handle = axum_server::Handle::new();
    let service = router(cluster, settings.per_minute, settings.burst)
        .into_make_service_with_connect_info::<SocketAddr>();
    let server = axum_server::bind_rustls(settings.listen, tls)
        .handle(handle.clone())
        .serve(service);
    tokio::spawn(async move {
        if let Err(error) = server.await {
            tracing::error!(%error, "the admission webhook's server failed");
        }
    });
    handle.listening().await.with_context(|| {
        format!(
            "cannot listen on {} for the admission webhook",
            settings.listen
        )
    })
}

/// The listener's TLS: the serving certificate, and — with a client CA — a client
/// certificate required of every caller.
fn tls(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> anyhow::Result<axum_server::tls_rustls::RustlsConfig> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let files = || {
        format!(
            "cannot use --webhook-tls-cert-file {} and --webhook-tls-key-file {}: give a PEM certificate and its key",
            cert.display(),
            key.display()
        )
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .with_context(files)?;
    let private = PrivateKeyDer::from_pem_file(key).with_context(files)?;
    let builder = rustls::ServerConfig::builder();
    let mut config = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let refuse = || {
                format!(
                    "--webhook-client-ca-file {}: give a PEM CA bundle",
                    ca.display()
                )
            };
            let mut roots = rustls::RootCertStore::empty();
            for certificate in CertificateDer::pem_file_iter(ca).with_context(refuse)? {
                roots
                    .add(certificate.with_context(refuse)?)
                    .with_context(refuse)?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
                .build()
                .with_context(refuse)?;
            builder.with_client_cert_verifier(verifier)
        }
    }
    .with_single_cert(chain, private)
    .with_context(files)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(config),
    ))
}

async fn review(
    State(webhook): State<Webhook>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(review): Json<AdmissionReview<CertificateSigningRequest>>,
) -> Response {
    let client: IpAddr = crate::streams::client_key(Some(peer.ip()));
    if webhook.limiter.check_key(&client).is_err() {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "too many admission reviews from this address",
        )
            .into_response();
    }
    let Ok(_permit) = webhook.in_flight.acquire().await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let request: AdmissionRequest<CertificateSigningRequest> = match review.try_into() {
        Ok(request) => request,
        Err(error) => {
            return Json(AdmissionResponse::invalid(error.to_string()).into_review())
                .into_response();
        }
    };
    let response = AdmissionResponse::from(&request);
    let answer = match refusal(&webhook.cluster, &request).await {
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
    Json(answer.into_review()).into_response()
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
        return auto_approve::basis(cluster, csr).await.err().map(|why| {
            format!("CertDesk approves by itself only its own requests for a live invite or renewal: {}", plain(why))
        });
    }
    let summary = match crate::csr::describe(&csr.spec.request.0) {
        Ok(summary) => summary,
        Err(error) => {
            return Some(format!(
                "CertDesk: the subject of this CSR cannot be read as the API server reads it, so whether {who} may issue it cannot be checked ({}).",
                plain(error)
            ));
        }
    };
    match access::check(
        cluster,
        Decider::User(user),
        csr,
        &summary,
        Freshness::Cached,
    )
    .await
    {
        Ok(check) if check.allowed => None,
        Ok(check) => Some(format!("CertDesk: {who}: {}", check.message)),
        Err(error) => Some(format!(
            "CertDesk could not check whether {who} may issue this identity ({}); the approval is refused until it can.",
            plain(error)
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

/// The error as a sentence for the approving user: a refusal's message, or the
/// fault's first line (never a ServiceAccount's rights).
fn plain(error: crate::cluster::Error) -> String {
    match crate::error::Error::from(error) {
        crate::error::Error::Client(api) => api.message,
        crate::error::Error::Internal(fault) => fault.to_string(),
    }
}
