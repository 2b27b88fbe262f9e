//! A small SMTP server on loopback for the email sink's tests: EHLO, STARTTLS (or TLS
//! from the first byte), AUTH PLAIN/LOGIN against one user, MAIL, RCPT, DATA. It
//! refuses mail before TLS and before authentication, as a real submission server
//! does, and keeps each message with the MIME parts decoded.

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_rustls::TlsAcceptor;

/// The user and password the server accepts.
pub const USER: &str = "certdesk";
/// The password (the test writes it into the sink's password file).
pub const PASSWORD: &str = "smtp-e2e-password";

/// How the server speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain, upgraded by STARTTLS (required before MAIL).
    Starttls,
    /// TLS from the first byte.
    Implicit,
}

/// One received mail.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message as sent (headers and body).
    pub raw: String,
}

impl Mail {
    /// The message's parts, each `(content type, decoded text)` (base64 and
    /// quoted-printable undone).
    pub fn parts(&self) -> Vec<(String, String)> {
        let mut parts = Vec::new();
        let Some(boundary) = self
            .raw
            .split("boundary=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        else {
            return parts;
        };
        for chunk in self.raw.split(&format!("--{boundary}")).skip(1) {
            let Some((head, body)) = chunk.split_once("\r\n\r\n") else {
                continue;
            };
            let head_lower = head.to_ascii_lowercase();
            let content_type = head_lower
                .lines()
                .find_map(|l| l.strip_prefix("content-type: "))
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default()
                .to_owned();
            let body = body.trim_end_matches("\r\n");
            let text = if head_lower.contains("content-transfer-encoding: base64") {
                let joined: String = body.split_whitespace().collect();
                String::from_utf8_lossy(&STANDARD.decode(joined).unwrap_or_default()).into_owned()
            } else if head_lower.contains("content-transfer-encoding: quoted-printable") {
                quoted_printable(body)
            } else {
                body.to_owned()
            };
            parts.push((content_type, text));
        }
        parts
    }

    /// The decoded `Subject` (RFC 2047 words undone).
    pub fn subject(&self) -> String {
        let line = self
            .raw
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or_default();
        line.split(' ')
            .map(|word| {
                word.strip_prefix("=?utf-8?b?")
                    .or_else(|| word.strip_prefix("=?UTF-8?B?"))
                    .and_then(|w| w.strip_suffix("?="))
                    .and_then(|b| STANDARD.decode(b).ok())
                    .map_or_else(
                        || word.to_owned(),
                        |b| String::from_utf8_lossy(&b).into_owned(),
                    )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn quoted_printable(text: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'=' {
            if tail.starts_with(b"\r\n") {
                rest = &tail[2..];
                continue;
            }
            if let Some(hex) = tail.get(..2).and_then(|h| std::str::from_utf8(h).ok())
                && let Ok(value) = u8::from_str_radix(hex, 16)
            {
                bytes.push(value);
                rest = &tail[2..];
                continue;
            }
        }
        bytes.push(b);
        rest = tail;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The running server; dropping it stops it.
pub struct SmtpSink {
    /// Its port on 127.0.0.1 (its certificate names `localhost`).
    pub port: u16,
    /// Its certificate (PEM), for the sink's `caFile`.
    pub ca_pem: String,
    mails: Arc<Mutex<Vec<Mail>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

impl SmtpSink {
    /// Starts the server with a fresh self-signed certificate for `localhost`.
    pub async fn start(mode: Mode) -> Result<Self> {
        crate::tls::init();
        let dir = tempfile::tempdir()?;
        let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
        crate::tools::ok(
            "openssl",
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-addext",
                "extendedKeyUsage=serverAuth",
                "-days",
                "1",
                "-keyout",
                path(&key)?,
                "-out",
                path(&cert)?,
            ],
            None,
        )?;
        let ca_pem = std::fs::read_to_string(&cert)?;
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from_pem_file(&cert)?],
                PrivateKeyDer::from_pem_file(&key)?,
            )?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let store = mails.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, store) = (acceptor.clone(), store.clone());
                tokio::spawn(async move {
                    let stream: Box<dyn Io> = match mode {
                        Mode::Starttls => Box::new(stream),
                        Mode::Implicit => match acceptor.accept(stream).await {
                            Ok(tls) => Box::new(tls),
                            Err(_) => return,
                        },
                    };
                    let _ = session(stream, mode == Mode::Implicit, &acceptor, &store).await;
                });
            }
        });
        Ok(Self {
            port,
            ca_pem,
            mails,
            task,
        })
    }

    /// The mails received so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

fn path(p: &std::path::Path) -> Result<&str> {
    p.to_str().context("a temporary path is not UTF-8")
}

async fn session(
    mut stream: Box<dyn Io>,
    mut secure: bool,
    acceptor: &TlsAcceptor,
    store: &Mutex<Vec<Mail>>,
) -> Result<()> {
    stream.write_all(b"220 localhost ESMTP e2e\r\n").await?;
    let mut authenticated = false;
    let (mut from, mut to) = (String::new(), Vec::new());
    loop {
        let mut reader = BufReader::new(&mut stream);
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            let tls = if secure { "" } else { "250-STARTTLS\r\n" };
            format!("250-localhost\r\n{tls}250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
        } else if upper == "STARTTLS" && !secure {
            stream.write_all(b"220 go ahead\r\n").await?;
            stream = Box::new(acceptor.accept(stream).await?);
            secure = true;
            continue;
        } else if let Some(plain) = command.strip_prefix("AUTH PLAIN ") {
            authenticated = secure && plain_ok(plain);
            if authenticated {
                "235 ok\r\n".into()
            } else {
                "535 bad credentials\r\n".into()
            }
        } else if upper == "AUTH LOGIN" {
            let user = prompt(&mut stream, "334 VXNlcm5hbWU6\r\n").await?;
            let password = prompt(&mut stream, "334 UGFzc3dvcmQ6\r\n").await?;
            authenticated = secure && user == USER && password == PASSWORD;
            if authenticated {
                "235 ok\r\n".into()
            } else {
                "535 bad credentials\r\n".into()
            }
        } else if upper.starts_with("MAIL FROM:") {
            if !secure {
                "530 must issue STARTTLS first\r\n".into()
            } else if !authenticated {
                "530 authentication required\r\n".into()
            } else {
                from = command[10..].trim().trim_matches(['<', '>']).to_owned();
                to.clear();
                "250 ok\r\n".into()
            }
        } else if upper.starts_with("RCPT TO:") {
            to.push(command[8..].trim().trim_matches(['<', '>']).to_owned());
            "250 ok\r\n".into()
        } else if upper == "DATA" {
            stream.write_all(b"354 end with .\r\n").await?;
            let raw = read_data(&mut stream).await?;
            store
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(Mail {
                    from: from.clone(),
                    to: to.clone(),
                    raw,
                });
            "250 queued\r\n".into()
        } else if upper == "QUIT" {
            stream.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            "250 ok\r\n".into()
        } else {
            "502 not implemented\r\n".into()
        };
        stream.write_all(reply.as_bytes()).await?;
    }
}

fn plain_ok(encoded: &str) -> bool {
    let Ok(bytes) = STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let fields: Vec<&[u8]> = bytes.split(|b| *b == 0).collect();
    fields.len() == 3 && fields[1] == USER.as_bytes() && fields[2] == PASSWORD.as_bytes()
}

async fn prompt(stream: &mut Box<dyn Io>, ask: &str) -> Result<String> {
    stream.write_all(ask.as_bytes()).await?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).await?;
    let bytes = STANDARD.decode(line.trim()).unwrap_or_default();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

async fn read_data(stream: &mut Box<dyn Io>) -> Result<String> {
    let mut reader = BufReader::new(stream);
    let mut raw = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            anyhow::bail!("the client left mid-message");
        }
        if line == ".\r\n" {
            return Ok(raw);
        }
        raw.push_str(
            line.strip_prefix('.')
                .filter(|_| line.starts_with(".."))
                .unwrap_or(&line),
        );
    }
}
