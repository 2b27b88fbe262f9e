//! Inspect (`/inspect`): what a kubeconfig or certificate file says, read in the browser
//! (`openssl x509 -text` for people). Nothing of the file leaves the page.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::CertificateInfo;
use shared::kubeconfig::Kubeconfig;
use wasm_bindgen::JsCast;
use zeroize::Zeroizing;

use crate::components::subject::SubjectLine;
use crate::components::time;

/// The largest file read, in bytes.
const MAX_FILE_BYTES: f64 = 1024.0 * 1024.0;

/// What a file turned out to hold.
#[derive(Clone, PartialEq)]
pub struct Findings {
    /// What kind of file it was, such as "kubeconfig (context minjun@dev)".
    pub source: String,
    /// The certificate.
    pub certificate: CertificateInfo,
    /// `Some(matches)` when the file also held a private key.
    pub key_matches: Option<bool>,
    /// The API server a kubeconfig points at.
    pub server: Option<String>,
}

/// Reads a kubeconfig (YAML) or PEM certificate text, with an optional private key.
pub fn inspect_text(text: &str) -> Result<Findings, String> {
    if text.contains("-----BEGIN") {
        let (certificate_text, key) = split_private_key(text);
        let certificate = shared::inspect::inspect_certificate(&certificate_text)
            .map_err(|e| format!("No certificate could be read from the file: {e}"))?;
        let key_matches = key
            .map(|key| shared::inspect::public_key_matches(&certificate, &key))
            .transpose()
            .map_err(|e| format!("The private key in the file could not be read: {e}"))?;
        return Ok(Findings {
            source: "PEM file".to_owned(),
            certificate,
            key_matches,
            server: None,
        });
    }
    let config = Kubeconfig::from_yaml(text).map_err(|e| e.to_string())?;
    let user = config.current_user().ok_or_else(|| {
        "The kubeconfig has no current context naming a user, and not exactly one user."
            .to_owned()
    })?;
    let certificate_pem = user
        .user
        .certificate_pem()
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            format!(
                "The user \"{}\" has no client-certificate-data (it may sign in with a token or a plugin).",
                user.name
            )
        })?;
    let certificate = shared::inspect::inspect_certificate(&certificate_pem)
        .map_err(|e| format!("The client certificate could not be read: {e}"))?;
    let key_matches = user
        .user
        .private_key_pem()
        .map_err(|e| e.to_string())?
        .map(|key| shared::inspect::public_key_matches(&certificate, &key))
        .transpose()
        .map_err(|e| format!("The client key could not be read: {e}"))?;
    let source = match config.current() {
        Some(context) => format!("kubeconfig, context {}", context.name),
        None => "kubeconfig".to_owned(),
    };
    Ok(Findings {
        source,
        certificate,
        key_matches,
        server: config.current_cluster().map(|c| c.cluster.server.clone()),
    })
}

/// Takes a `PRIVATE KEY` block out of PEM text; returns the rest and the key.
fn split_private_key(text: &str) -> (String, Option<Zeroizing<String>>) {
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    if let Some(start) = text.find(BEGIN)
        && let Some(end) = text[start..].find(END)
    {
        let end = start + end + END.len();
        let key = Zeroizing::new(text[start..end].to_owned());
        let rest = format!("{}{}", &text[..start], &text[end..]);
        return (rest, Some(key));
    }
    (text.to_owned(), None)
}

/// The Inspect page.
#[component]
pub fn Inspect() -> impl IntoView {
    let result = RwSignal::new(None::<Result<Findings, String>>);
    let file_name = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(false);

    let read = move |file: web_sys::File| {
        file_name.set(Some(file.name()));
        if file.size() > MAX_FILE_BYTES {
            result.set(Some(Err(format!(
                "The file has {} bytes; files up to 1 MiB are read.",
                file.size()
            ))));
            return;
        }
        spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|text| text.as_string())
                .map(Zeroizing::new);
            let outcome = match text {
                Some(text) => inspect_text(&text),
                None => Err("The file could not be read as text.".to_owned()),
            };
            result.try_set(Some(outcome));
        });
    };
    let on_pick = move |event: leptos::ev::Event| {
        let file = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0));
        if let Some(file) = file {
            read(file);
        }
    };
    let on_drop = move |event: leptos::ev::DragEvent| {
        event.prevent_default();
        dragging.set(false);
        let file = event
            .data_transfer()
            .and_then(|data| data.files())
            .and_then(|files| files.get(0));
        if let Some(file) = file {
            read(file);
        }
    };

    view! {
        <h1>"Inspect a kubeconfig or certificate"</h1>
        <p>"See who a file says you are and until when. The file is read in this page; nothing of it is uploaded."</p>
        <div class="dropzone" class:dragging=move || dragging.get() data-testid="inspect-drop"
            on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop>
            <label for="inspect-file">"Drop a file here, or choose one: "</label>
            <input id="inspect-file" type="file" data-testid="inspect-file"
                accept=".kubeconfig,.yaml,.yml,.conf,.config,.crt,.pem,.cer,text/*"
                on:change=on_pick />
        </div>
        {move || file_name.get().map(|name| view! { <p class="muted">"File: " {name}</p> })}
        {move || result.get().map(|outcome| match outcome {
            Ok(findings) => view! { <FindingsView findings /> }.into_any(),
            Err(message) => view! {
                <div class="card error" role="alert" data-testid="inspect-error"><p>{message}</p></div>
            }.into_any(),
        })}
    }
}

/// What a file says, as a definition list.
#[component]
pub fn FindingsView(findings: Findings) -> impl IntoView {
    let certificate = findings.certificate;
    let not_after_ms = certificate.not_after.unix_timestamp() as f64 * 1000.0;
    let not_before_ms = certificate.not_before.unix_timestamp() as f64 * 1000.0;
    let username = certificate.common_name.clone().unwrap_or_default();
    let key_match = match findings.key_matches {
        Some(true) => "Yes: the private key in the file belongs to this certificate.",
        Some(false) => "No: the private key in the file belongs to a different certificate.",
        None => "The file holds no private key.",
    };
    view! {
        <section class="card" data-testid="inspect-result">
            <p class="muted">{findings.source}</p>
            <dl>
                <dt>"Who (CN)"</dt>
                <dd data-testid="inspect-cn"><SubjectLine username groups=Vec::new() /></dd>
                <dt>"Groups (O)"</dt>
                <dd data-testid="inspect-groups">{if certificate.organizations.is_empty() {
                    "none".to_owned()
                } else {
                    certificate.organizations.join(", ")
                }}</dd>
                <dt>"Issuer"</dt>
                <dd data-testid="inspect-issuer">{certificate.issuer.clone()}</dd>
                <dt>"Valid"</dt>
                <dd data-testid="inspect-validity">
                    {time::format_utc(not_before_ms)} " to " {time::format_utc(not_after_ms)}
                    " (" <span data-testid="inspect-time-left">{time::time_left(not_after_ms)}</span> ")"
                </dd>
                <dt>"Key type"</dt>
                <dd data-testid="inspect-key-type">{certificate.public_key.label()}</dd>
                <dt>"Certificate SHA-256"</dt>
                <dd><code class="fingerprint" data-testid="inspect-fingerprint">{certificate.sha256_fingerprint.clone()}</code></dd>
                <dt>"Public key SHA-256"</dt>
                <dd><code class="fingerprint" data-testid="inspect-key-fingerprint">{certificate.public_key_sha256.clone()}</code></dd>
                <dt>"Key matches"</dt>
                <dd data-testid="inspect-key-match" data-matches=findings.key_matches.map(|m| m.to_string())>{key_match}</dd>
                {findings.server.map(|server| view! {
                    <dt>"API server"</dt>
                    <dd><code data-testid="inspect-server">{server}</code></dd>
                })}
            </dl>
        </section>
    }
}
