//! A CertDesk configured with notification sinks on loopback: the group only the
//! notification tests request (so the other tests' requests on the shared control plane
//! reach none of their sinks), the local approver's right to issue it, and the
//! notifications file with every URL and secret in a file of its own.

use std::path::Path;

use anyhow::{Context, Result};

use super::http::SECRET;
use super::smtp::{self, SmtpSink};
use crate::cluster::ControlPlane;

/// The group only the notification tests request; their sinks listen for it alone.
pub const GROUP: &str = "notify-e2e";

/// Lets the local approver issue [`GROUP`] (as an operator grants it); idempotent.
pub fn allow_group(cluster: &ControlPlane) -> Result<()> {
    let manifest = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: 'certdesk:test:notify-group'}}\nrules: [{{apiGroups: [''], resources: [groups], resourceNames: ['{GROUP}'], verbs: [impersonate]}}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: 'certdesk:test:notify-group'}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: 'certdesk:test:notify-group'}}\nsubjects: [{{kind: ServiceAccount, name: certdesk-approver, namespace: certdesk}}]\n"
    );
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("rbac.yaml");
    std::fs::write(&file, manifest)?;
    cluster.admin_kubectl_ok(&["apply", "-f", path(&file)?])?;
    Ok(())
}

fn path(p: &Path) -> Result<&str> {
    p.to_str().context("a temporary path is not UTF-8")
}

/// The files of one install's sinks and its policy.
pub struct SinkFiles {
    dir: tempfile::TempDir,
    /// The install's portal URL (unique: it also scopes its notifications).
    pub portal: String,
}

impl SinkFiles {
    /// A policy offering [`GROUP`] with any username, the webhook secret and the SMTP
    /// password in their files.
    pub fn new() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("policy.yaml"),
            format!("groups:\n  allowed: [{GROUP}]\nusernames:\n  pattern: '.+'\n"),
        )?;
        std::fs::write(dir.path().join("secret"), SECRET)?;
        std::fs::write(dir.path().join("password"), smtp::PASSWORD)?;
        Ok(Self {
            dir,
            portal: format!("https://{}.certdesk.example", crate::unique("portal")),
        })
    }

    /// The directory the files are in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A Slack, Teams or webhook sink posting to `url` (its URL in a file).
    pub fn http(&self, name: &str, format: &str, url: &str) -> Result<String> {
        std::fs::write(self.dir.path().join(format!("{name}.url")), url)?;
        let secret = if format == "webhook" {
            ", secretFile: secret"
        } else {
            ""
        };
        Ok(format!(
            "{{name: {name}, format: {format}, urlFile: {name}.url{secret}, groups: [{GROUP}]}}"
        ))
    }

    /// An email sink sending through `server` (`tls`: starttls or implicit).
    pub fn mail(&self, name: &str, server: &SmtpSink, tls: &str) -> Result<String> {
        std::fs::write(self.dir.path().join(format!("{name}.ca")), &server.ca_pem)?;
        Ok(format!(
            "{{name: {name}, format: email, groups: [{GROUP}], smtp: {{host: localhost, port: {}, tls: {tls}, username: {}, passwordFile: password, caFile: {name}.ca}}, from: 'CertDesk <certdesk@example.com>', to: [approvers@example.com]}}",
            server.port,
            smtp::USER
        ))
    }

    /// Writes the notifications file with `sinks` and returns the backend's flags for
    /// it and the policy.
    pub fn flags(&self, sinks: &[String], retry_seconds: u64) -> Result<Vec<String>> {
        let file = self.dir.path().join("notifications.yaml");
        let mut text = format!(
            "portalUrl: {}\nretrySeconds: {retry_seconds}\nsinks:\n",
            self.portal
        );
        for sink in sinks {
            text.push_str(&format!("  - {sink}\n"));
        }
        std::fs::write(&file, text)?;
        Ok(vec![
            "--notifications-file".to_owned(),
            path(&file)?.to_owned(),
            "--policy-file".to_owned(),
            path(&self.dir.path().join("policy.yaml"))?.to_owned(),
        ])
    }
}
