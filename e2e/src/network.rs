//! What the browser sent over the network, read from chromedriver's performance log
//! (Chrome DevTools Protocol `Network.*` events), and the check that no private key is
//! in any of it.
//!
//! The log covers the page's own requests (fetch, XHR, navigations, EventSource,
//! WebSocket frames). A dedicated Web Worker's requests are not in it; CertDesk's key
//! worker makes none beyond loading its own script.

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use serde_json::Value;

use crate::browser::Browser;

/// One thing the browser sent: a request (URL, method, headers, body) or a WebSocket
/// frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Which DevTools event it came from, such as `Network.requestWillBeSent`.
    pub event: String,
    /// The request's URL (for a WebSocket frame, the socket's URL).
    pub url: String,
    /// `GET`, `POST`, … (empty for a WebSocket frame).
    pub method: String,
    /// Header names and values as sent.
    pub headers: Vec<(String, String)>,
    /// The body, when there was one.
    pub body: Option<String>,
    /// DevTools' id of the request, which ties its events together.
    pub request_id: String,
}

impl Sent {
    /// Whether this left the browser (http, https, ws, wss), as opposed to a `data:` or
    /// `blob:` URL the page resolved itself.
    /// A record whose URL is unknown counts as having left.
    pub fn left_the_browser(&self) -> bool {
        self.url.is_empty()
            || ["http://", "https://", "ws://", "wss://"]
                .iter()
                .any(|scheme| self.url.starts_with(scheme))
    }
}

/// Everything the browser sent during a test, gathered from the performance log each
/// time [`NetworkRecorder::collect`] is called.
#[derive(Debug, Default)]
pub struct NetworkRecorder {
    sent: Vec<Sent>,
    urls: HashMap<String, String>,
}

impl NetworkRecorder {
    /// Starts an empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the browser's performance log since the last call and adds what was sent.
    pub async fn collect(&mut self, browser: &Browser) -> Result<()> {
        let events = browser.performance_events().await?;
        self.add_events(&events);
        Ok(())
    }

    /// Adds what the given DevTools events say was sent.
    pub fn add_events(&mut self, events: &[Value]) {
        for event in events {
            let method = event["method"].as_str().unwrap_or_default();
            let params = &event["params"];
            let request_id = params["requestId"].as_str().unwrap_or_default().to_owned();
            match method {
                "Network.requestWillBeSent" => {
                    let request = &params["request"];
                    let url = request["url"].as_str().unwrap_or_default().to_owned();
                    self.urls.insert(request_id.clone(), url.clone());
                    self.sent.push(Sent {
                        event: method.to_owned(),
                        url,
                        method: request["method"].as_str().unwrap_or_default().to_owned(),
                        headers: headers(&request["headers"]),
                        body: body(request),
                        request_id,
                    });
                }
                "Network.requestWillBeSentExtraInfo" => {
                    // The headers as they went on the wire (cookies included).
                    self.sent.push(Sent {
                        event: method.to_owned(),
                        url: self.urls.get(&request_id).cloned().unwrap_or_default(),
                        method: String::new(),
                        headers: headers(&params["headers"]),
                        body: None,
                        request_id,
                    });
                }
                "Network.webSocketCreated" => {
                    let url = params["url"].as_str().unwrap_or_default().to_owned();
                    self.urls.insert(request_id, url);
                }
                "Network.webSocketWillSendHandshakeRequest" => {
                    self.sent.push(Sent {
                        event: method.to_owned(),
                        url: self.urls.get(&request_id).cloned().unwrap_or_default(),
                        method: "GET".to_owned(),
                        headers: headers(&params["request"]["headers"]),
                        body: None,
                        request_id,
                    });
                }
                "Network.webSocketFrameSent" => {
                    self.sent.push(Sent {
                        event: method.to_owned(),
                        url: self.urls.get(&request_id).cloned().unwrap_or_default(),
                        method: String::new(),
                        headers: Vec::new(),
                        body: params["response"]["payloadData"]
                            .as_str()
                            .map(str::to_owned),
                        request_id,
                    });
                }
                _ => {}
            }
        }
        // The extra-info event (the headers as sent) may come before the request's own.
        for sent in self.sent.iter_mut().filter(|s| s.url.is_empty()) {
            if let Some(url) = self.urls.get(&sent.request_id) {
                sent.url = url.clone();
            }
        }
    }

    /// Everything recorded so far, in order.
    pub fn sent(&self) -> &[Sent] {
        &self.sent
    }

    /// Writes the record as readable text (one block a request) into `path`.
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        let mut text = String::new();
        for s in &self.sent {
            text.push_str(&format!("{} {} {}\n", s.event, s.method, s.url));
            for (name, value) in &s.headers {
                text.push_str(&format!("  {name}: {value}\n"));
            }
            if let Some(body) = &s.body {
                text.push_str(&format!("  body: {body}\n"));
            }
        }
        std::fs::write(path, text)?;
        Ok(())
    }
}

fn headers(value: &Value) -> Vec<(String, String)> {
    value
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn body(request: &Value) -> Option<String> {
    if let Some(data) = request["postData"].as_str() {
        return Some(data.to_owned());
    }
    // Newer Chromium gives the body as base64 chunks instead of (or as well as) postData.
    let entries = request["postDataEntries"].as_array()?;
    let mut bytes = Vec::new();
    for entry in entries {
        if let Some(chunk) = entry["bytes"].as_str() {
            bytes.extend(STANDARD.decode(chunk).unwrap_or_default());
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The forms a private key could take in a request: its PEM (whole and line by line,
/// which also catches a JSON-escaped PEM; lines holding only public-key bytes, which
/// the CSR carries too, left out), the base64 of its DER with and without line
/// breaks, base64url, the DER in hex, the same for the key's other DER encoding
/// (PKCS#8 or the algorithm's own), the base64 of the PEM text (as in a kubeconfig's
/// `client-key-data`), and the bare private value in hex and base64. Each comes with a
/// label saying which form it is.
pub fn key_needles(key_pem: &str) -> Result<Vec<(String, String)>> {
    let mut needles = vec![
        ("PEM".to_owned(), key_pem.trim().to_owned()),
        ("base64 of the PEM".to_owned(), STANDARD.encode(key_pem)),
    ];
    let pkcs8 = crate::tools::ok(
        "openssl",
        &["pkey", "-outform", "PEM"],
        Some(key_pem.as_bytes()),
    )
    .context("openssl cannot read the private key")?;
    let public = crate::tools::ok(
        "openssl",
        &["pkey", "-pubout", "-outform", "PEM"],
        Some(key_pem.as_bytes()),
    )?;
    let spki = STANDARD
        .decode(
            public
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .context("openssl's public key PEM is not base64")?;
    let mut forms = vec![("given", key_pem.to_owned()), ("PKCS#8", pkcs8)];
    // RSA and EC keys have an encoding of their own besides PKCS#8; Ed25519 has none.
    let traditional = crate::tools::run(
        "openssl",
        &["pkey", "-outform", "PEM", "-traditional"],
        Some(key_pem.as_bytes()),
    )?;
    if traditional.success {
        forms.push(("traditional", traditional.stdout));
    }
    for (form, pem) in &forms {
        let lines: Vec<&str> = pem
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("-----"))
            .collect();
        let der = STANDARD
            .decode(lines.concat())
            .with_context(|| format!("the {form} PEM body is not base64"))?;
        // A line made only of public-key bytes is also in the CSR: not a leak.
        for line in lines.iter().filter(|l| l.len() >= 32) {
            let public_only = STANDARD
                .decode(line)
                .is_ok_and(|bytes| spki.windows(bytes.len()).any(|w| w == bytes));
            if !public_only {
                needles.push((format!("a line of the {form} PEM"), (*line).to_owned()));
            }
        }
        needles.push((format!("{form} DER, base64"), STANDARD.encode(&der)));
        needles.push((
            format!("{form} DER, base64 unpadded"),
            STANDARD_NO_PAD.encode(&der),
        ));
        needles.push((
            format!("{form} DER, base64url"),
            URL_SAFE_NO_PAD.encode(&der),
        ));
        needles.push((format!("{form} DER, hex"), hex(&der)));
    }
    let text = crate::tools::ok(
        "openssl",
        &["pkey", "-noout", "-text"],
        Some(key_pem.as_bytes()),
    )?;
    let private = private_value(&text)
        .with_context(|| format!("no private value in openssl's description:\n{text}"))?;
    needles.push(("private value, hex".to_owned(), hex(&private)));
    needles.push((
        "private value, base64".to_owned(),
        STANDARD_NO_PAD.encode(&private),
    ));
    needles.push((
        "private value, base64url".to_owned(),
        URL_SAFE_NO_PAD.encode(&private),
    ));
    needles.sort();
    needles.dedup();
    Ok(needles)
}

/// The bytes after `priv:` (EC, Ed25519) or `privateExponent:` (RSA) in
/// `openssl pkey -text`.
fn private_value(text: &str) -> Option<Vec<u8>> {
    let mut lines = text.lines();
    lines.find(|l| {
        let l = l.trim();
        l == "priv:" || l == "privateExponent:"
    })?;
    let hex_text: String = lines
        .take_while(|l| l.starts_with(' ') || l.starts_with('\t'))
        .flat_map(|l| l.trim().split(':').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let mut bytes: Vec<u8> = (0..hex_text.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex_text[2 * i..2 * i + 2], 16).ok())
        .collect();
    if bytes.first() == Some(&0) {
        bytes.remove(0);
    }
    (bytes.len() >= 16).then_some(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks that no form of the private key ([`key_needles`]) is in the URL, a header or
/// the body of anything that left the browser; URLs and bodies are also searched
/// percent-decoded, and hex case-insensitively.
pub fn no_key_material(sent: &[Sent], key_pem: &str) -> Result<()> {
    let needles = key_needles(key_pem)?;
    let mut found = Vec::new();
    for s in sent.iter().filter(|s| s.left_the_browser()) {
        let mut haystacks = vec![("URL", s.url.clone())];
        for (name, value) in &s.headers {
            haystacks.push(("header", format!("{name}: {value}")));
        }
        if let Some(body) = &s.body {
            haystacks.push(("body", body.clone()));
        }
        for (place, text) in haystacks {
            let decoded = percent_encoding::percent_decode_str(&text)
                .decode_utf8_lossy()
                .into_owned();
            // JSON escapes `/` as `\/` in some encoders; undo that too.
            let unescaped = text.replace("\\/", "/");
            for hay in [&text, &decoded, &unescaped] {
                let lower = hay.to_ascii_lowercase();
                for (label, needle) in &needles {
                    let hit = if label.ends_with("hex") {
                        lower.contains(needle.as_str())
                    } else {
                        hay.contains(needle.as_str())
                    };
                    if hit {
                        found.push(format!("{label} in the {place} of {} {}", s.method, s.url));
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    if !found.is_empty() {
        bail!(
            "private key material left the browser:\n{}",
            found.join("\n")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(algorithm: &[&str]) -> String {
        let mut args = vec!["genpkey"];
        args.extend_from_slice(algorithm);
        crate::tools::ok("openssl", &args, None).expect("openssl makes a key")
    }

    fn post(body: &str) -> Sent {
        Sent {
            event: "Network.requestWillBeSent".to_owned(),
            url: "http://127.0.0.1:1/api/v1/requests".to_owned(),
            method: "POST".to_owned(),
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: Some(body.to_owned()),
            request_id: "1".to_owned(),
        }
    }

    #[test]
    fn a_request_without_the_key_passes() {
        let pem = key(&["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
        let other = key(&["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
        no_key_material(&[post(&format!("{{\"csr\":{other:?}}}"))], &pem).unwrap();
    }

    #[test]
    fn the_csr_of_the_same_key_is_not_key_material() {
        // The CSR carries the public key, which a PKCS#8 or RSA key file holds too; with
        // several keys some PEM line lines up with the CSR's base64 by chance.
        for algorithm in [
            vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        ] {
            for _ in 0..6 {
                let pem = key(&algorithm);
                let dir = tempfile::tempdir().unwrap();
                let file = dir.path().join("key.pem");
                std::fs::write(&file, &pem).unwrap();
                let csr = crate::tools::ok(
                    "openssl",
                    &[
                        "req",
                        "-new",
                        "-key",
                        file.to_str().unwrap(),
                        "-subj",
                        "/CN=minjun",
                    ],
                    None,
                )
                .unwrap();
                let body = serde_json::json!({ "csr_pem": csr }).to_string();
                no_key_material(&[post(&body), post(&csr)], &pem).unwrap();
            }
        }
    }

    #[test]
    fn the_key_in_any_usual_form_is_found() {
        for algorithm in [
            vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            vec!["-algorithm", "ED25519"],
            vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        ] {
            let pem = key(&algorithm);
            let needles = key_needles(&pem).unwrap();
            let der_b64 = &needles
                .iter()
                .find(|(l, _)| l == "PKCS#8 DER, base64")
                .unwrap()
                .1;
            let der_hex = &needles
                .iter()
                .find(|(l, _)| l == "PKCS#8 DER, hex")
                .unwrap()
                .1;
            let as_json = serde_json::to_string(&pem).unwrap();
            let leaks = [
                post(&as_json),
                post(der_b64),
                post(&der_hex.to_uppercase()),
                post(&STANDARD.encode(&pem)),
                Sent {
                    url: format!(
                        "http://127.0.0.1:1/x?k={}",
                        percent_encoding::utf8_percent_encode(
                            der_b64,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    ),
                    ..post("")
                },
                Sent {
                    headers: vec![("X-Key".to_owned(), der_b64.clone())],
                    ..post("")
                },
            ];
            for leak in leaks {
                assert!(
                    no_key_material(std::slice::from_ref(&leak), &pem).is_err(),
                    "{algorithm:?}: not found in {leak:?}"
                );
            }
            // A blob: or data: URL never leaves the browser.
            let local = Sent {
                url: format!("data:text/plain;base64,{der_b64}"),
                ..post("")
            };
            no_key_material(&[local], &pem).unwrap();
        }
    }
}
