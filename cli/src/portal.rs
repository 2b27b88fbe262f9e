//! CertDesk's API as the plugin uses it: the portal's configuration (the renewal
//! lifetime), a renewal challenge, the renewal, and the new request's status.
//!
//! Only HTTPS, except to a loopback address (`scripts/run.sh`'s local portal); the
//! server's certificate is checked against Mozilla's roots, or a PEM bundle the
//! kubeconfig names (a private CA).

use std::time::Duration;

use serde::de::DeserializeOwned;
use shared::renewal::{RenewalChallenge, RenewalRequest};
use shared::{ApiError, PortalConfig, RequestStatus, RequestTicket};

use crate::error::{Error, Result};

/// How long one call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// A CertDesk portal.
pub struct Portal {
    base: String,
    agent: ureq::Agent,
}

impl Portal {
    /// Checks `url` and prepares calls to it, trusting `ca_pem` when given.
    pub fn new(url: &str, ca_pem: Option<&str>) -> Result<Self> {
        let base = url.trim().trim_end_matches('/').to_owned();
        let loopback = base
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .is_some_and(|host| {
                let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
                matches!(host, "127.0.0.1" | "localhost" | "[::1]")
            });
        if !base.starts_with("https://") && !loopback {
            return Err(Error::Usage(format!(
                "the portal {base:?} is not an https:// address; the plugin sends your certificate's proofs only over HTTPS"
            )));
        }
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(pem) = ca_pem {
            let roots: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(pem.as_bytes())
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(certificate)) => Some(certificate),
                    _ => None,
                })
                .collect();
            if roots.is_empty() {
                return Err(Error::Usage(
                    "the portal's CA bundle holds no certificate".to_owned(),
                ));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&roots));
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(CALL_TIMEOUT))
            .http_status_as_error(false)
            .user_agent(concat!("kubectl-certdesk/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build()
            .into();
        Ok(Self { base, agent })
    }

    /// The portal's address.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// `GET /api/v1/config`.
    pub fn config(&self) -> Result<PortalConfig> {
        self.answer(
            self.agent
                .get(format!("{}/api/v1/config", self.base))
                .call(),
        )
    }

    /// `POST /api/v1/renewals/challenge`.
    pub fn challenge(&self) -> Result<RenewalChallenge> {
        self.answer(
            self.agent
                .post(format!("{}/api/v1/renewals/challenge", self.base))
                .send_empty(),
        )
    }

    /// `POST /api/v1/renewals`.
    pub fn renew(&self, request: &RenewalRequest) -> Result<RequestTicket> {
        self.answer(
            self.agent
                .post(format!("{}/api/v1/renewals", self.base))
                .send_json(request),
        )
    }

    /// `GET /api/v1/requests/{id}`.
    pub fn status(&self, id: &str) -> Result<RequestStatus> {
        self.answer(
            self.agent
                .get(format!("{}/api/v1/requests/{id}", self.base))
                .call(),
        )
    }

    fn answer<T: DeserializeOwned>(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T> {
        let unreachable = |reason: String| Error::Unreachable {
            portal: self.base.clone(),
            reason,
        };
        let mut response = sent.map_err(|e| unreachable(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            return response
                .body_mut()
                .read_json()
                .map_err(|e| unreachable(format!("an answer that is not CertDesk's ({e})")));
        }
        match response.body_mut().read_json::<ApiError>() {
            Ok(error) if status.is_client_error() && status.as_u16() != 429 => {
                Err(Error::Refused {
                    message: error.message,
                    code: error.code.as_str().to_owned(),
                    portal: self.base.clone(),
                })
            }
            Ok(error) => Err(unreachable(format!("{status}: {}", error.message))),
            Err(_) => Err(unreachable(format!("it answered {status}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://certdesk.example.com",
            "http://127.0.0.1:8080",
            "http://localhost:8080/",
        ] {
            assert!(Portal::new(ok, None).is_ok(), "{ok}");
        }
        for refused in [
            "http://certdesk.example.com",
            "http://127.0.0.1.evil.com",
            "ftp://x",
        ] {
            assert!(
                matches!(Portal::new(refused, None), Err(Error::Usage(_))),
                "{refused}"
            );
        }
    }
}
