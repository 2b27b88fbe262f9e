//! An HTTPS client for calling CertDesk's admission webhook as a stranger would: one
//! connection (keep-alive), a chosen CA to trust, and optionally a client certificate.

use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

/// One open HTTPS connection to a webhook.
pub struct Connection {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    authority: String,
}

/// Opens a connection to `url` (`https://127.0.0.1:PORT/...`) trusting the PEM `ca`,
/// presenting `client` (certificate chain PEM, key PEM) when given. A server that
/// demands a client certificate and gets none (or a foreign one) fails here or on the
/// first request.
pub async fn connect(
    url: &str,
    ca: &str,
    client: Option<(&str, &str)>,
) -> anyhow::Result<Connection> {
    e2e::tls::init();
    let authority = url
        .strip_prefix("https://")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| anyhow::anyhow!("not an https URL: {url}"))?
        .to_owned();
    // The webhook's test certificate is self-signed: trust exactly it (pinned).
    let pinned = CertificateDer::pem_slice_iter(ca.as_bytes())
        .next()
        .ok_or_else(|| anyhow::anyhow!("no certificate to trust"))??;
    let builder = rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned(pinned.into_owned())));
    let config = match client {
        Some((chain, key)) => builder.with_client_auth_cert(
            CertificateDer::pem_slice_iter(chain.as_bytes()).collect::<Result<Vec<_>, _>>()?,
            PrivateKeyDer::from_pem_slice(key.as_bytes())?,
        )?,
        None => builder.with_no_client_auth(),
    };
    let tcp = tokio::net::TcpStream::connect(&authority).await?;
    let host = authority
        .rsplit_once(':')
        .map_or(authority.as_str(), |(h, _)| h);
    let name = ServerName::try_from(host.to_owned())?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?;
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await?;
    tokio::spawn(connection);
    Ok(Connection { sender, authority })
}

impl Connection {
    /// POSTs `body` as JSON to `path`; returns the status and the body text.
    pub async fn post_json(&mut self, path: &str, body: &str) -> anyhow::Result<(u16, String)> {
        self.sender.ready().await?;
        let request = hyper::Request::post(path)
            .header("host", &self.authority)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_owned())))?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
    }
}

/// Accepts exactly one server certificate, and checks the handshake's signatures with
/// it as rustls would.
#[derive(Debug)]
struct Pinned(CertificateDer<'static>);

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.0.as_ref() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "not the pinned certificate".to_owned(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &algorithms())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &algorithms())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        algorithms().supported_schemes()
    }
}

fn algorithms() -> rustls::crypto::WebPkiSupportedAlgorithms {
    rustls::crypto::ring::default_provider().signature_verification_algorithms
}
