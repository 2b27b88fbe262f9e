//! What kubectl runs: an ExecCredential (`client.authentication.k8s.io/v1`) with the
//! stored certificate and key, renewed first when two thirds of its lifetime have
//! passed.
//!
//! kubectl passes the cluster it is about to call (`provideClusterInfo: true`) in
//! `KUBERNETES_EXEC_INFO`; the store entry is the one for that API server, its CA and
//! the `--user` the kubeconfig names. The answer's `expirationTimestamp` is a safe
//! margin before notAfter and the same on every run until the certificate changes, so
//! client-go keeps its connections and asks again in time.

use std::io::Write as _;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;
use shared::{KeyAlgorithm, Phase, Subject};
use time::OffsetDateTime;

use crate::args::CredentialArgs;
use crate::error::{Error, Result};
use crate::portal::Portal;
use crate::store::{self, Entry, Warning};

/// How long the plugin waits for CertDesk to issue a renewal it approved.
const ISSUE_WAIT: Duration = Duration::from_secs(60);

/// How often a warning about failing renewals is repeated.
const WARN_EVERY: time::Duration = time::Duration::hours(1);

/// The cluster kubectl passes in `KUBERNETES_EXEC_INFO`.
#[derive(Debug, Deserialize)]
struct ExecInfo {
    spec: ExecSpec,
}

#[derive(Debug, Deserialize)]
struct ExecSpec {
    cluster: Option<ExecCluster>,
}

#[derive(Debug, Deserialize)]
struct ExecCluster {
    server: String,
    #[serde(rename = "certificate-authority-data", default)]
    certificate_authority_data: Option<String>,
}

/// The API server and its CA (PEM) kubectl is about to call.
pub fn cluster_from_env() -> Result<(String, String)> {
    let missing = || {
        Error::Usage(
            "kubectl-certdesk credential is run by kubectl (exec with provideClusterInfo: true); KUBERNETES_EXEC_INFO names no cluster"
                .to_owned(),
        )
    };
    let info = std::env::var("KUBERNETES_EXEC_INFO").map_err(|_| missing())?;
    let info: ExecInfo = serde_json::from_str(&info).map_err(|_| missing())?;
    let cluster = info.spec.cluster.ok_or_else(missing)?;
    let ca_pem = match cluster.certificate_authority_data {
        Some(data) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|_| {
                    Error::Usage(
                        "the cluster's certificate-authority-data is not base64".to_owned(),
                    )
                })?;
            String::from_utf8(bytes)
                .map_err(|_| Error::Usage("the cluster's CA is not PEM text".to_owned()))?
        }
        None => String::new(),
    };
    Ok((cluster.server, ca_pem))
}

/// Runs the credential command: prints the ExecCredential, renewing first when due.
pub fn run(args: &CredentialArgs) -> Result<()> {
    let (server, ca_pem) = cluster_from_env()?;
    let dir = store::dir()?;
    let path = store::path_for(&dir, &server, &ca_pem, &args.user);
    let now = OffsetDateTime::now_utc();
    let not_imported = || Error::NotImported {
        server: server.clone(),
        username: args.user.clone(),
        portal: args.portal.clone(),
    };
    let entry = store::read(&path)?.ok_or_else(not_imported)?;
    // The fast path: a certificate not yet due, no lock, no network.
    if now < entry.renew_at(args.renew_at) && now < entry.not_after {
        return print(&entry);
    }
    let _lock = store::lock(&path, store::LOCK_WAIT)?;
    // Another run may have renewed it while this one waited for the lock.
    let mut entry = store::read(&path)?.ok_or_else(not_imported)?;
    let now = OffsetDateTime::now_utc();
    if now < entry.renew_at(args.renew_at) && now < entry.not_after {
        return print(&entry);
    }
    match renew(&entry) {
        Ok(renewed) => {
            store::write(&path, &renewed)?;
            print(&renewed)
        }
        // Still valid: keep using it, and say why it is not renewed (once an hour).
        Err(error) if now < entry.not_after => {
            let message = error.to_string();
            let said = entry
                .warned
                .as_ref()
                .is_some_and(|w| w.message == message && now - w.at < WARN_EVERY);
            if !said {
                eprintln!(
                    "kubectl-certdesk: {message}; your certificate still works until {} (renewal is retried on each command)",
                    rfc3339(entry.not_after)
                );
                entry.warned = Some(Warning { at: now, message });
                store::write(&path, &entry)?;
            }
            print(&entry)
        }
        Err(Error::Unreachable { .. }) | Err(Error::Locked { .. }) => Err(Error::Expired {
            username: entry.username.clone(),
            not_after: rfc3339(entry.not_after),
            portal: entry.portal.clone(),
        }),
        Err(error) => Err(error),
    }
}

/// Renews the entry's certificate: a new key and CSR for the same identity, the old
/// key's proof of possession over CertDesk's challenge and the CSR, then waits for the
/// certificate. Returns the new entry.
pub fn renew(entry: &Entry) -> Result<Entry> {
    let portal = Portal::new(&entry.portal, entry.portal_ca_pem.as_deref())?;
    let current = shared::inspect::inspect_certificate(&entry.certificate_pem)
        .map_err(|e| Error::Key(format!("the stored certificate cannot be read: {e}")))?;
    let config = portal.config()?;
    let subject = Subject {
        username: entry.username.clone(),
        groups: current.organizations.clone(),
    };
    let key = shared::keys::generate(KeyAlgorithm::EcdsaP256, &subject)
        .map_err(|e| Error::Key(e.to_string()))?;
    let old_key = shared::keys::PrivateKey::from_pem(&entry.private_key_pem)
        .map_err(|e| Error::Key(format!("the stored key cannot be read: {e}")))?;
    let challenge = portal.challenge()?;
    let proof = shared::renewal::sign_proof(&old_key, &challenge.challenge, &key.csr_pem)
        .map_err(|e| Error::Key(e.to_string()))?;
    let ticket = portal.renew(&shared::renewal::RenewalRequest {
        csr_pem: key.csr_pem.clone(),
        expiration_seconds: config.duration.plugin_seconds,
        certificate_pem: entry.certificate_pem.clone(),
        challenge: challenge.challenge,
        proof,
        note: Some(format!(
            "Renewed by kubectl-certdesk {} (proof of possession of the current key).",
            env!("CARGO_PKG_VERSION")
        )),
    })?;
    let certificate_pem = wait_issued(&portal, &ticket.id.0)?;
    let issued = shared::inspect::inspect_certificate(&certificate_pem)
        .map_err(|e| Error::Key(format!("the issued certificate cannot be read: {e}")))?;
    Ok(Entry {
        certificate_pem,
        private_key_pem: zeroize::Zeroizing::new(key.private_key.pkcs8_pem().to_owned()),
        not_before: issued.not_before,
        not_after: issued.not_after,
        issued: store::issued_estimate(
            issued.not_before,
            issued.not_after,
            OffsetDateTime::now_utc(),
        ),
        warned: None,
        ..entry.clone()
    })
}

fn wait_issued(portal: &Portal, id: &str) -> Result<String> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(200);
    loop {
        let status = portal.status(id)?;
        match status.phase {
            Phase::Issued => {
                if let Some(pem) = status.certificate_pem {
                    return Ok(pem);
                }
            }
            Phase::Denied | Phase::Failed | Phase::Gone | Phase::Withdrawn => {
                return Err(Error::NotIssued {
                    request: id.to_owned(),
                    reason: status
                        .message
                        .unwrap_or_else(|| format!("it is {:?}", status.phase)),
                    portal: portal.url().to_owned(),
                });
            }
            Phase::Pending | Phase::Approved => {}
        }
        if start.elapsed() > ISSUE_WAIT {
            return Err(Error::NotIssued {
                request: id.to_owned(),
                reason: format!(
                    "still {:?} after {} s (this CertDesk may not approve renewals by itself: an approver must)",
                    status.phase,
                    ISSUE_WAIT.as_secs()
                ),
                portal: portal.url().to_owned(),
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

/// The margin before notAfter the answer's expiry leaves: a tenth of the lifetime, at
/// least a minute.
fn expiry(entry: &Entry) -> OffsetDateTime {
    let lifetime: time::Duration = entry.not_after - entry.not_before;
    let margin = (lifetime / 10_i32).max(time::Duration::minutes(1));
    (entry.not_after - margin).max(entry.not_before)
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Writes the ExecCredential on stdout.
fn print(entry: &Entry) -> Result<()> {
    let credential = serde_json::json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {
            "clientCertificateData": entry.certificate_pem,
            "clientKeyData": entry.private_key_pem.as_str(),
            "expirationTimestamp": rfc3339(expiry(entry)),
        },
    });
    let text = zeroize::Zeroizing::new(credential.to_string());
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .map_err(|e| Error::Usage(format!("cannot write to kubectl: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expiry_is_a_tenth_of_the_lifetime_before_not_after() {
        let start = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let entry = Entry {
            version: store::VERSION,
            portal: String::new(),
            portal_ca_pem: None,
            server: String::new(),
            ca_pem: String::new(),
            username: String::new(),
            certificate_pem: String::new(),
            private_key_pem: zeroize::Zeroizing::new(String::new()),
            not_before: start,
            not_after: start + time::Duration::hours(8),
            issued: start,
            warned: None,
        };
        assert_eq!(expiry(&entry), start + time::Duration::minutes(432));
        let short = Entry {
            not_after: start + time::Duration::minutes(5),
            ..entry
        };
        assert_eq!(expiry(&short), start + time::Duration::minutes(4));
    }
}
