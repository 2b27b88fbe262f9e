//! The signer, end to end: a throwaway CSR for a throwaway identity is created, approved
//! as the administrator, and must be signed within the deadline; the certificate's real
//! lifetime is compared with the one asked for (a `--cluster-signing-duration` cap), and
//! the certificate must authenticate to the API server (a SelfSubjectReview with it
//! answers its own name; a 401 means the signing CA is not the client CA). The CSR is
//! deleted afterwards.

use std::time::{Duration, Instant};

use base64::Engine as _;
use k8s_openapi::ByteString;
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::certificates::v1::{
    CertificateSigningRequest, CertificateSigningRequestCondition, CertificateSigningRequestSpec,
    CertificateSigningRequestStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{DeleteParams, PostParams};
use kube::{Api, Client};
use shared::KeyAlgorithm;
use shared::keys::{Subject, generate};

use super::Line;
use crate::cluster::cache::SIGNER;

/// Runs the throwaway CSR through the cluster; returns the `signs`, `lifetime` and
/// `authenticates` lines (only `signs` when nothing was issued).
pub async fn check(
    client: &Client,
    config: &kube::Config,
    name: &str,
    deadline: Duration,
    requested_seconds: u32,
    eks: bool,
) -> Vec<Line> {
    let api = Api::<CertificateSigningRequest>::all(client.clone());
    // A run that was killed may have left its CSR: the name is the check's own.
    let _ = api.delete(name, &DeleteParams::default()).await;
    let outcome = issue(client, name, deadline, requested_seconds, eks).await;
    let _ = api.delete(name, &DeleteParams::default()).await;
    match outcome {
        Err(line) => vec![line],
        Ok((certificate_pem, key_pem, took)) => {
            let mut lines = vec![Line::ok(
                "signs",
                format!(
                    "a kube-apiserver-client CSR was signed {:.1} s after its approval",
                    took.as_secs_f64()
                ),
            )];
            lines.push(lifetime_line(&certificate_pem, requested_seconds));
            lines.push(authenticates(config, &certificate_pem, &key_pem, name).await);
            lines
        }
    }
}

/// A name no other run uses: `certdesk-check-` and eight random base32 characters.
pub fn random_name() -> String {
    let mut bytes = [0u8; 5];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    format!(
        "certdesk-check-{}",
        data_encoding::BASE32_NOPAD
            .encode(&bytes)
            .to_ascii_lowercase()
    )
}

/// Creates, approves and waits for the CSR: the certificate, its key, and how long the
/// signer took.
async fn issue(
    client: &Client,
    name: &str,
    deadline: Duration,
    requested_seconds: u32,
    eks: bool,
) -> Result<(String, String, Duration), Line> {
    let fail = |detail: String| Line::fail("signs", detail);
    let key = generate(
        KeyAlgorithm::EcdsaP256,
        &Subject {
            username: name.to_owned(),
            groups: Vec::new(),
        },
    )
    .map_err(|e| fail(format!("cannot make a key: {e}")))?;
    let api = Api::<CertificateSigningRequest>::all(client.clone());
    let csr = CertificateSigningRequest {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            ..ObjectMeta::default()
        },
        spec: CertificateSigningRequestSpec {
            request: ByteString(key.csr_pem.clone().into_bytes()),
            signer_name: SIGNER.to_owned(),
            usages: Some(vec![
                "digital signature".to_owned(),
                "client auth".to_owned(),
            ]),
            expiration_seconds: Some(i32::try_from(requested_seconds).unwrap_or(i32::MAX)),
            ..CertificateSigningRequestSpec::default()
        },
        status: None,
    };
    let mut created = api
        .create(&PostParams::default(), &csr)
        .await
        .map_err(|e| {
            fail(format!(
                "cannot create a CSR ({e}); run check with an administrator's kubeconfig"
            ))
        })?;
    created.status = Some(CertificateSigningRequestStatus {
        conditions: Some(vec![CertificateSigningRequestCondition {
            type_: "Approved".to_owned(),
            status: "True".to_owned(),
            reason: Some("CertDeskCheck".to_owned()),
            message: Some("certdesk check: a throwaway request, deleted at once".to_owned()),
            last_update_time: Some(Time(k8s_openapi::jiff::Timestamp::now())),
            ..CertificateSigningRequestCondition::default()
        }]),
        ..CertificateSigningRequestStatus::default()
    });
    api.replace_subresource("approval", name, &PostParams::default(), &created)
        .await
        .map_err(|e| {
            fail(format!(
                "cannot approve the CSR ({e}); run check with an administrator's kubeconfig"
            ))
        })?;
    let approved = Instant::now();
    while approved.elapsed() < deadline {
        if let Ok(current) = api.get(name).await
            && let Some(certificate) = current.status.and_then(|s| s.certificate)
            && !certificate.0.is_empty()
        {
            let pem = String::from_utf8_lossy(&certificate.0).into_owned();
            return Ok((
                pem,
                key.private_key.pkcs8_pem().to_owned(),
                approved.elapsed(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let cluster = if eks {
        "This is Amazon EKS, which never signs kubernetes.io/kube-apiserver-client certificates: CertDesk cannot issue credentials here; use EKS access entries or an OIDC provider."
    } else {
        "This cluster does not sign kubernetes.io/kube-apiserver-client certificates: check that kube-controller-manager runs the csrsigning controller with --cluster-signing-cert-file and --cluster-signing-key-file (or that another signer serves this signer name)."
    };
    Err(fail(format!(
        "the approved CSR was not signed within {} s. {cluster}",
        deadline.as_secs()
    )))
}

fn human(seconds: i64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The certificate's lifetime against the one asked for: a cut is reported (it is a
/// fact of the cluster, not a failure; CertDesk shows requesters what they got).
fn lifetime_line(certificate_pem: &str, requested_seconds: u32) -> Line {
    let Ok(info) = shared::inspect::inspect_certificate(certificate_pem) else {
        return Line::fail("lifetime", "the issued certificate does not parse");
    };
    // The signer back-dates notBefore a little; count from now.
    let issued = (info.not_after - time::OffsetDateTime::now_utc()).whole_seconds();
    let requested = i64::from(requested_seconds);
    if issued + 600 >= requested {
        Line::ok(
            "lifetime",
            format!(
                "the certificate lives as long as asked ({})",
                human(requested)
            ),
        )
    } else {
        let rounded = ((issued + 300) / 600) * 600;
        Line::ok(
            "lifetime",
            format!(
                "the cluster caps certificates at about {} (asked for {}): its --cluster-signing-duration; requesters are told the lifetime they got",
                human(rounded.max(60)),
                human(requested)
            ),
        )
    }
}

/// Whether the certificate authenticates as its own name.
async fn authenticates(
    config: &kube::Config,
    certificate_pem: &str,
    key_pem: &str,
    name: &str,
) -> Line {
    let mut config = config.clone();
    let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    config.auth_info = kube::config::AuthInfo {
        client_certificate_data: Some(b64(certificate_pem)),
        client_key_data: Some(b64(key_pem).into()),
        ..kube::config::AuthInfo::default()
    };
    let client = match Client::try_from(config) {
        Ok(client) => client,
        Err(error) => {
            return Line::fail(
                "authenticates",
                format!("cannot use the certificate ({error})"),
            );
        }
    };
    match Api::<SelfSubjectReview>::all(client)
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
    {
        Ok(review) => {
            let user = review
                .status
                .and_then(|s| s.user_info)
                .and_then(|u| u.username);
            if user.as_deref() == Some(name) {
                Line::ok(
                    "authenticates",
                    format!("the API server reads the certificate as {name}"),
                )
            } else {
                Line::fail(
                    "authenticates",
                    format!("the API server reads the certificate as {user:?}, not {name}"),
                )
            }
        }
        Err(kube::Error::Api(status)) if status.code == 401 => Line::fail(
            "authenticates",
            "the API server refused the certificate (401): the signing CA is not the API server's client CA (--client-ca-file); kubeconfigs CertDesk makes would not work",
        ),
        Err(error) => Line::fail(
            "authenticates",
            format!("the API server did not answer ({error})"),
        ),
    }
}
