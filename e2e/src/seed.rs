//! Many CSRs at once, made directly as the cluster's admin (32 at a time), for the
//! tests and benchmarks of an approver's list with thousands of requests.

use anyhow::Result;
use futures::StreamExt;
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use serde_json::json;

use crate::cluster::ControlPlane;

/// A kube-apiserver-client CSR object named `name`, labelled `certdesk.dev/seed=<prefix>`,
/// asking with `request_pem`.
fn object(name: &str, prefix: &str, request_pem: &str) -> Result<CertificateSigningRequest> {
    let request = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, request_pem);
    Ok(serde_json::from_value(json!({
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": { "name": name, "labels": { "certdesk.dev/seed": prefix } },
        "spec": {
            "request": request,
            "signerName": "kubernetes.io/kube-apiserver-client",
            "usages": ["client auth"],
        },
    }))?)
}

/// Creates one CSR named `name` for `subject` (a fresh openssl key), labelled with
/// `prefix` as [`csrs`] labels its own.
pub async fn one(cluster: &ControlPlane, name: &str, prefix: &str, subject: &str) -> Result<()> {
    let csr = object(name, prefix, &crate::tools::openssl_csr(subject)?)?;
    let api: kube::Api<CertificateSigningRequest> = kube::Api::all(cluster.admin_client().await?);
    api.create(&Default::default(), &csr).await?;
    Ok(())
}

/// Creates `count` kube-apiserver-client CSRs named `<prefix>-<n>`, labelled
/// `certdesk.dev/seed=<prefix>` (so they can be deleted together), all with one CSR
/// text for `subject` (the list decodes each object anyway). An existing one counts.
pub async fn csrs(cluster: &ControlPlane, prefix: &str, count: u64, subject: &str) -> Result<()> {
    let request_pem = crate::tools::openssl_csr(subject)?;
    let api: kube::Api<CertificateSigningRequest> = kube::Api::all(cluster.admin_client().await?);
    let results: Vec<Result<()>> = futures::stream::iter(0..count)
        .map(|n| {
            let api = api.clone();
            let csr = object(&format!("{prefix}-{n}"), prefix, &request_pem);
            async move {
                match api.create(&Default::default(), &csr?).await {
                    Ok(_) => Ok(()),
                    Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
                    Err(e) => Err(e.into()),
                }
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    results.into_iter().collect()
}

/// Deletes the CSRs [`csrs`] made with `prefix`, without waiting for them to go.
pub fn delete(cluster: &ControlPlane, prefix: &str) -> Result<()> {
    let selector = format!("certdesk.dev/seed={prefix}");
    cluster.admin_kubectl_ok(&["delete", "csr", "-l", &selector, "--wait=false"])?;
    Ok(())
}
