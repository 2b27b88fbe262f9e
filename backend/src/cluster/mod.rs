//! Everything that speaks to Kubernetes.

use std::path::Path;

use anyhow::{Context, Result, bail};
use kube::config::Kubeconfig;

/// What requesters need to reach the cluster: its API server URL and CA bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterEndpoint {
    /// The API server URL.
    pub server: String,
    /// The CA bundle (PEM) that verifies the API server.
    pub ca_pem: String,
}

/// Reads the current context's cluster URL and CA from a kubeconfig file.
pub fn endpoint_from_kubeconfig(path: &Path) -> Result<ClusterEndpoint> {
    let kubeconfig = Kubeconfig::read_from(path)
        .with_context(|| format!("cannot read the kubeconfig {}", path.display()))?;
    let context_name = kubeconfig
        .current_context
        .clone()
        .with_context(|| format!("the kubeconfig {} has no current-context", path.display()))?;
    let context = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context_name)
        .and_then(|c| c.context.as_ref())
        .with_context(|| {
            format!(
                "the kubeconfig {} has no context {context_name:?}",
                path.display()
            )
        })?;
    let cluster = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == context.cluster)
        .and_then(|c| c.cluster.as_ref())
        .with_context(|| {
            format!(
                "the kubeconfig {} has no cluster {:?}",
                path.display(),
                context.cluster
            )
        })?;
    let server = cluster
        .server
        .clone()
        .context("the kubeconfig's cluster has no server")?;
    let ca_pem = if let Some(data) = &cluster.certificate_authority_data {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .context("the kubeconfig's certificate-authority-data is not base64")?;
        String::from_utf8(bytes)
            .context("the kubeconfig's certificate-authority-data is not PEM")?
    } else if let Some(file) = &cluster.certificate_authority {
        let file = path.parent().unwrap_or(Path::new(".")).join(file);
        std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read the CA file {}", file.display()))?
    } else {
        String::new()
    };
    if !ca_pem.is_empty() && !ca_pem.contains("-----BEGIN CERTIFICATE-----") {
        bail!("the kubeconfig's CA is not a PEM certificate bundle");
    }
    Ok(ClusterEndpoint { server, ca_pem })
}
