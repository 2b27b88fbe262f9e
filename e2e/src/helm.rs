//! The Helm chart `deploy/helm/certdesk`, rendered by real Helm (`scripts/helm.sh`
//! builds it from the Go module proxy), and the objects it renders.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::tools;

/// The chart's directory.
pub fn chart_dir() -> PathBuf {
    crate::repo_root().join("deploy/helm/certdesk")
}

/// Runs `scripts/helm.sh <args>`; its standard output.
pub fn helm(args: &[&str]) -> Result<String> {
    let script = crate::repo_root().join("scripts/helm.sh");
    tools::ok(script.to_str().context("utf-8")?, args, None)
}

/// `helm template <release> deploy/helm/certdesk -n <namespace> <more>`, CRDs included.
pub fn render(release: &str, namespace: &str, more: &[&str]) -> Result<String> {
    let chart = chart_dir();
    let mut args = vec![
        "template",
        release,
        chart.to_str().context("utf-8")?,
        "--namespace",
        namespace,
        "--include-crds",
    ];
    args.extend_from_slice(more);
    helm(&args)
}

/// The objects of a multi-document YAML stream (empty documents left out).
pub fn documents(yaml: &str) -> Result<Vec<Value>> {
    let all: Vec<Value> = serde_saphyr::from_multiple(yaml).context("YAML documents")?;
    Ok(all.into_iter().filter(|d| d.is_object()).collect())
}

/// The objects of `kind`.
pub fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

/// Whether an object is a Helm hook (`helm test` objects are made only by `helm test`).
pub fn is_hook(object: &Value) -> bool {
    object["metadata"]["annotations"]["helm.sh/hook"].is_string()
}
