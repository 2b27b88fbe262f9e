//! Checks of what a person relies on, each failing with a message that says what was
//! seen: kubectl's answers with a downloaded kubeconfig, the certificate's lifetime,
//! and what the browser sent.

use anyhow::{Context, Result, bail, ensure};
use time::OffsetDateTime;

use crate::kubeconfig::Kubeconfig;
pub use crate::network::no_key_material;

/// How far back the Kubernetes signer dates a certificate's notBefore (to tolerate
/// clock skew): at most five minutes.
pub const SIGNER_BACKDATE_SECONDS: i64 = 300;

/// `kubectl get pods -n <namespace>` succeeds with this kubeconfig.
pub fn can_list_pods(kubeconfig: &Kubeconfig, namespace: &str) -> Result<()> {
    let run = kubeconfig.kubectl(&["get", "pods", "-n", namespace])?;
    ensure!(
        run.success,
        "kubectl get pods -n {namespace} failed: {}{}",
        run.stdout,
        run.stderr
    );
    Ok(())
}

/// `kubectl get pods -n <namespace>` is refused Forbidden with this kubeconfig, naming
/// the user: it still authenticates, and may no longer list pods.
pub fn cannot_list_pods(kubeconfig: &Kubeconfig, namespace: &str, username: &str) -> Result<()> {
    let run = kubeconfig.kubectl(&["get", "pods", "-n", namespace])?;
    ensure!(
        !run.success,
        "kubectl get pods -n {namespace} still succeeds: {}",
        run.stdout
    );
    ensure!(
        run.stderr.contains("Forbidden") && run.stderr.contains(&format!("User \"{username}\"")),
        "kubectl get pods failed, but not Forbidden for {username}: {}",
        run.stderr
    );
    Ok(())
}

/// `kubectl get deployments -n <namespace>` is refused Forbidden with this kubeconfig,
/// naming the user.
pub fn cannot_list_deployments(
    kubeconfig: &Kubeconfig,
    namespace: &str,
    username: &str,
) -> Result<()> {
    let run = kubeconfig.kubectl(&["get", "deployments", "-n", namespace])?;
    ensure!(
        !run.success,
        "kubectl get deployments -n {namespace} succeeded: {}",
        run.stdout
    );
    ensure!(
        run.stderr.contains("Forbidden") && run.stderr.contains(&format!("User \"{username}\"")),
        "kubectl get deployments failed, but not Forbidden for {username}: {}",
        run.stderr
    );
    Ok(())
}

/// `kubectl auth whoami` says this kubeconfig is `username`, in every group of `groups`.
pub fn authenticates_as(kubeconfig: &Kubeconfig, username: &str, groups: &[&str]) -> Result<()> {
    let (name, their_groups) = kubeconfig.whoami()?;
    ensure!(
        name == username,
        "kubectl auth whoami says {name:?}, not {username:?}"
    );
    for group in groups {
        ensure!(
            their_groups.iter().any(|g| g == group),
            "kubectl auth whoami gives groups {their_groups:?}, without {group:?}"
        );
    }
    Ok(())
}

/// The certificate's validity as `openssl x509` reads it: (notBefore, notAfter).
pub fn certificate_dates(cert_pem: &str) -> Result<(OffsetDateTime, OffsetDateTime)> {
    let text = crate::tools::ok(
        "openssl",
        &[
            "x509",
            "-noout",
            "-startdate",
            "-enddate",
            "-dateopt",
            "iso_8601",
        ],
        Some(cert_pem.as_bytes()),
    )?;
    let mut start = None;
    let mut end = None;
    for line in text.lines() {
        let parse = |v: &str| {
            // "2026-11-23 02:40:37Z"
            OffsetDateTime::parse(
                &v.trim().replacen(' ', "T", 1),
                &time::format_description::well_known::Rfc3339,
            )
            .with_context(|| format!("openssl printed an unexpected date: {v}"))
        };
        if let Some(v) = line.strip_prefix("notBefore=") {
            start = Some(parse(v)?);
        } else if let Some(v) = line.strip_prefix("notAfter=") {
            end = Some(parse(v)?);
        }
    }
    match (start, end) {
        (Some(start), Some(end)) => Ok((start, end)),
        _ => bail!("openssl printed no dates: {text}"),
    }
}

/// The kubeconfig's certificate lasts the lifetime the requester chose: notAfter −
/// notBefore is the lifetime plus the signer's backdating of notBefore (at most five
/// minutes), and notAfter is the lifetime after a moment between `submitted` and
/// `issued` (for certificates of 8 h or more the signer backdates notAfter as well).
pub fn lifetime_is(
    kubeconfig: &Kubeconfig,
    lifetime_seconds: i64,
    submitted: OffsetDateTime,
    issued: OffsetDateTime,
) -> Result<()> {
    let (not_before, not_after) = certificate_dates(&kubeconfig.client_certificate_pem()?)?;
    let span = (not_after - not_before).whole_seconds();
    ensure!(
        (lifetime_seconds..=lifetime_seconds + SIGNER_BACKDATE_SECONDS).contains(&span),
        "the certificate is valid {span} s (from {not_before} to {not_after}), not the \
         {lifetime_seconds} s chosen"
    );
    // openssl prints whole seconds; allow for that rounding on both ends.
    let earliest =
        submitted + time::Duration::seconds(lifetime_seconds - SIGNER_BACKDATE_SECONDS - 2);
    let latest = issued + time::Duration::seconds(lifetime_seconds + 2);
    ensure!(
        (earliest..=latest).contains(&not_after),
        "notAfter {not_after} is not {lifetime_seconds} s after the request was made \
         ({submitted}) and issued ({issued})"
    );
    Ok(())
}
