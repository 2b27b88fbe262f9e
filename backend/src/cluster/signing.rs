//! Telling the truth about a cluster's signer: a request approved but not issued within
//! the deadline is explained (some clusters, Amazon EKS among them, never sign
//! `kubernetes.io/kube-apiserver-client`), instead of "signing…" for ever.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use shared::{Phase, RequestStatus};

/// The signing deadline, and whether the API server says it is Amazon EKS.
#[derive(Debug, Clone)]
pub struct Signing {
    /// How long after its approval a request may wait for its certificate.
    pub deadline: Duration,
    eks: Arc<OnceLock<bool>>,
    minor: Arc<OnceLock<u32>>,
}

impl Signing {
    /// A deadline of `deadline`; whether this is EKS is learnt by [`Self::learn`].
    pub fn new(deadline: Duration) -> Self {
        Self {
            deadline,
            eks: Arc::new(OnceLock::new()),
            minor: Arc::new(OnceLock::new()),
        }
    }

    /// Asks the API server's version once (in the background) to know whether this is
    /// Amazon EKS (`-eks-` in its version) and its minor, saying when CertDesk does not
    /// support that minor ([`shared::support`]).
    pub fn learn(&self, client: kube::Client) {
        let (eks, minor) = (self.eks.clone(), self.minor.clone());
        tokio::spawn(async move {
            if let Ok(version) = client.apiserver_version().await {
                let _ = eks.set(version.git_version.contains("-eks-"));
                if let Some(learnt) = shared::support::minor_of(&version.minor) {
                    let _ = minor.set(learnt);
                    if let Some(message) = shared::support::message(learnt) {
                        tracing::warn!(version = %version.git_version, "{message}");
                    }
                }
            }
        });
    }

    /// The API server's minor version, once learnt.
    pub fn minor(&self) -> Option<u32> {
        self.minor.get().copied()
    }

    /// Whether the API server said it is Amazon EKS.
    pub fn is_eks(&self) -> bool {
        self.eks.get().copied().unwrap_or(false)
    }

    /// The explanation for a request approved more than the deadline ago and still not
    /// issued, as `now` stands.
    pub fn explain(
        &self,
        csr: &CertificateSigningRequest,
        status: &mut RequestStatus,
        now: time::OffsetDateTime,
    ) {
        if status.phase != Phase::Approved {
            return;
        }
        let approved_at = csr
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|conditions| {
                conditions
                    .iter()
                    .find(|c| c.type_ == "Approved" && c.status == "True")
            })
            .and_then(|c| {
                c.last_update_time
                    .as_ref()
                    .or(c.last_transition_time.as_ref())
            })
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.0.as_second()).ok());
        let Some(approved_at) = approved_at else {
            return;
        };
        let waited = now - approved_at;
        if waited.whole_seconds() < self.deadline.as_secs() as i64 {
            return;
        }
        status.not_issued = Some(self.message(waited.whole_seconds()));
    }

    /// The explanation of the first request among `csrs` (but `except`) that was
    /// approved and not issued within the deadline, if any.
    pub fn stalled<'a>(
        &self,
        csrs: impl IntoIterator<Item = &'a CertificateSigningRequest>,
        except: &str,
        now: time::OffsetDateTime,
    ) -> Option<String> {
        csrs.into_iter()
            .filter(|csr| csr.metadata.name.as_deref() != Some(except))
            .filter(|csr| {
                csr.status
                    .as_ref()
                    .is_some_and(|s| s.certificate.as_ref().is_none_or(|c| c.0.is_empty()))
            })
            .find_map(|csr| {
                let mut status = crate::cluster::standing::from_conditions(csr);
                self.explain(csr, &mut status, now);
                status.not_issued
            })
    }

    fn message(&self, waited_seconds: i64) -> String {
        let minutes = waited_seconds / 60;
        let waited = if minutes >= 1 {
            format!("{minutes} min")
        } else {
            format!("{waited_seconds} s")
        };
        if self.is_eks() {
            format!(
                "Approved {waited} ago, but no certificate was issued: this is Amazon EKS, which does not issue kubernetes.io/kube-apiserver-client certificates. Ask your platform team for another way in (EKS access entries or an OIDC provider)."
            )
        } else {
            format!(
                "Approved {waited} ago, but no certificate was issued: this cluster does not seem to issue kubernetes.io/kube-apiserver-client certificates. Tell your platform team; `certdesk check` shows what is missing."
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::certificates::v1::{
        CertificateSigningRequestCondition, CertificateSigningRequestStatus,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;

    fn approved_at(second: i64) -> CertificateSigningRequest {
        let time = k8s_openapi::jiff::Timestamp::from_second(second).expect("a time");
        CertificateSigningRequest {
            status: Some(CertificateSigningRequestStatus {
                conditions: Some(vec![CertificateSigningRequestCondition {
                    type_: "Approved".to_owned(),
                    status: "True".to_owned(),
                    last_update_time: Some(Time(time)),
                    ..CertificateSigningRequestCondition::default()
                }]),
                ..CertificateSigningRequestStatus::default()
            }),
            ..CertificateSigningRequest::default()
        }
    }

    #[test]
    fn an_approved_request_is_explained_only_past_the_deadline() {
        let signing = Signing::new(Duration::from_secs(60));
        let csr = approved_at(1_700_000_000);
        let mut status = crate::cluster::standing::from_conditions(&csr);
        assert_eq!(status.phase, Phase::Approved);
        let at = |s: i64| time::OffsetDateTime::from_unix_timestamp(s).expect("a time");
        signing.explain(&csr, &mut status, at(1_700_000_059));
        assert_eq!(status.not_issued, None, "within the deadline");
        signing.explain(&csr, &mut status, at(1_700_000_125));
        let why = status.not_issued.expect("past the deadline");
        assert!(why.starts_with("Approved 2 min ago"), "{why}");
    }
}
