//! Inspect (`/inspect`): what a kubeconfig or certificate file says, read in the browser
//! (`openssl x509 -text` for people). Nothing of the file leaves the page.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::keys::Subject;
use shared::kubeconfig::Kubeconfig;
use shared::renewal::RenewalRequest;
use shared::{ApiError, CertificateInfo, ErrorCode, KeyAlgorithm};
use wasm_bindgen::JsCast;
use zeroize::Zeroizing;

use crate::components::subject::SubjectLine;
use crate::components::time;
use crate::submission::{Failure, FailurePanel, keep_key};

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
    /// The certificate and its key, when the file held a key that matches: what a
    /// renewal needs. The key stays in this page's memory (wiped when dropped).
    pub renewable: Option<RenewalSource>,
}

/// A certificate and the private key that belongs to it, read from a file here.
#[derive(Clone, PartialEq)]
pub struct RenewalSource {
    /// The certificate, PEM.
    pub certificate_pem: String,
    /// Its private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key_pem: Zeroizing<String>,
}

fn renewal_source(
    certificate_pem: &str,
    key: Option<Zeroizing<String>>,
    key_matches: Option<bool>,
) -> Option<RenewalSource> {
    (key_matches == Some(true)).then_some(())?;
    Some(RenewalSource {
        certificate_pem: certificate_pem.to_owned(),
        key_pem: key?,
    })
}

/// Reads a kubeconfig (YAML) or PEM certificate text, with an optional private key.
pub fn inspect_text(text: &str) -> Result<Findings, String> {
    if text.contains("-----BEGIN") {
        let (certificate_text, key) = split_private_key(text);
        let certificate = shared::inspect::inspect_certificate(&certificate_text)
            .map_err(|e| format!("No certificate could be read from the file: {e}"))?;
        let key_matches = key
            .as_ref()
            .map(|key| shared::inspect::public_key_matches(&certificate, key))
            .transpose()
            .map_err(|e| format!("The private key in the file could not be read: {e}"))?;
        return Ok(Findings {
            source: "PEM file".to_owned(),
            renewable: renewal_source(&certificate_text, key, key_matches),
            certificate,
            key_matches,
            server: None,
        });
    }
    let config = Kubeconfig::from_yaml(text).map_err(|e| e.to_string())?;
    let user = config.current_user().ok_or_else(|| {
        "The kubeconfig has no current context naming a user, and not exactly one user.".to_owned()
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
    let key = user.user.private_key_pem().map_err(|e| e.to_string())?;
    let key_matches = key
        .as_ref()
        .map(|key| shared::inspect::public_key_matches(&certificate, key))
        .transpose()
        .map_err(|e| format!("The client key could not be read: {e}"))?;
    let source = match config.current() {
        Some(context) => format!("kubeconfig, context {}", context.name),
        None => "kubeconfig".to_owned(),
    };
    Ok(Findings {
        source,
        renewable: renewal_source(&certificate_pem, key, key_matches),
        certificate,
        key_matches,
        server: config.current_cluster().map(|c| c.cluster.server.clone()),
    })
}

/// Takes a private key block (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`)
/// out of PEM text; returns the rest and the key.
fn split_private_key(text: &str) -> (String, Option<Zeroizing<String>>) {
    for label in ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"] {
        let begin = format!("-----BEGIN {label}-----");
        let end_line = format!("-----END {label}-----");
        if let Some(start) = text.find(&begin)
            && let Some(end) = text[start..].find(&end_line)
        {
            let end = start + end + end_line.len();
            let key = Zeroizing::new(text[start..end].to_owned());
            let rest = format!("{}{}", &text[..start], &text[end..]);
            return (rest, Some(key));
        }
    }
    (text.to_owned(), None)
}

/// The Inspect page.
#[component]
pub fn Inspect() -> impl IntoView {
    crate::components::title::set("Inspect a file");
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
            Ok(findings) => {
                let renewal = findings.renewable.clone().map(|source| {
                    let certificate = findings.certificate.clone();
                    view! { <Renew source certificate /> }
                });
                view! { <FindingsView findings /> {renewal} }.into_any()
            }
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

/// Renewal by proof of possession: a new key and CSR for the same identity, made here,
/// and the old key's signature over a fresh challenge and the new CSR. Only the new
/// CSR, the old certificate and that signature are sent; the new key is kept in this
/// browser like any request's, and the status page assembles the new kubeconfig.
#[component]
pub fn Renew(source: RenewalSource, certificate: CertificateInfo) -> impl IntoView {
    let live = certificate.not_after.unix_timestamp() as f64 * 1000.0 > time::now_ms();
    let lifetime = (certificate.not_after - certificate.not_before).whole_seconds();
    let lifetime = u32::try_from(lifetime.max(0)).unwrap_or(u32::MAX);
    let algorithm = RwSignal::new(
        certificate
            .public_key
            .key_algorithm()
            .unwrap_or(KeyAlgorithm::EcdsaP256),
    );
    let progress = RwSignal::new(None::<&'static str>);
    let failure = RwSignal::new(None::<Failure>);
    let source = StoredValue::new(source);
    let subject = Subject {
        username: certificate.common_name.clone().unwrap_or_default(),
        groups: certificate.organizations.clone(),
    };
    let subject = StoredValue::new(subject);
    let config = crate::config::use_config();

    // The renewal is a Leptos action: `pending` is the busy state, its value where the
    // page goes (the new request's status, in the requester's app) or what stopped it.
    let renewing = Action::new_local(move |input: &(KeyAlgorithm, u32)| {
        let (chosen, seconds) = *input;
        let (source, subject) = (source.get_value(), subject.get_value());
        renew_with(chosen, subject, seconds, source, progress)
    });
    let busy = renewing.pending();
    Effect::new(move |_| {
        let Some(outcome) = renewing.value().get() else {
            return;
        };
        progress.set(None);
        match outcome {
            // The status page is the requester's app: load it.
            Ok(request_id) => {
                let path = format!(
                    "/requests/{}",
                    String::from(js_sys::encode_uri_component(&request_id))
                );
                let _ = window().location().assign(&path);
            }
            Err(error) => failure.set(Some(error)),
        }
    });
    let renew = move || {
        if busy.get_untracked() {
            return;
        }
        let Some(Ok(config)) = config.get_untracked() else {
            return;
        };
        // The old lifetime, within what the operator allows now.
        let seconds = lifetime.clamp(config.duration.min_seconds, config.duration.max_seconds);
        failure.set(None);
        renewing.dispatch_local((algorithm.get_untracked(), seconds));
    };
    let retry = Callback::new(move |()| renew());

    view! {
        <section class="card" data-testid="renewal" aria-labelledby="renew-title">
            <h2 id="renew-title">"Renew this certificate"</h2>
            {if live {
                view! {
                    <p>
                        "Get a new certificate for the same identity (" {subject.with_value(|s| s.username.clone())}
                        ") without starting over: a new key is made in this browser, and the key in this file proves it is you. "
                        "An approver may still have to approve it."
                    </p>
                    <div class="field">
                        <label for="renew-algorithm">"New key algorithm"</label>
                        <select id="renew-algorithm" data-testid="renew-algorithm"
                            on:change=move |ev| {
                                if let Ok(a) = serde_json::from_value(serde_json::Value::String(event_target_value(&ev))) {
                                    algorithm.set(a);
                                }
                            }>
                            {KeyAlgorithm::ALL.into_iter().map(|a| {
                                let wire = serde_json::to_value(a).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                                view! { <option value=wire selected=move || algorithm.get() == a>{a.label()}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <button type="button" class="primary" data-testid="renew-button"
                        prop:disabled=move || busy.get() on:click=move |_| renew()>
                        {move || if busy.get() { "Renewing…" } else { "Renew" }}
                    </button>
                    <p role="status" aria-live="polite" data-testid="renew-progress">{move || progress.get()}</p>
                    {move || failure.get().map(|failure| view! { <div data-testid="renew-error"><FailurePanel failure retry /></div> })}
                }.into_any()
            } else {
                view! {
                    <p data-testid="renew-expired">"This certificate has expired: it can no longer prove who you are. Request access anew."</p>
                }.into_any()
            }}
        </section>
    }
}

async fn renew_with(
    algorithm: KeyAlgorithm,
    subject: Subject,
    expiration_seconds: u32,
    source: RenewalSource,
    progress: RwSignal<Option<&'static str>>,
) -> Result<String, Failure> {
    let old_key = shared::keys::PrivateKey::from_pem(&source.key_pem).map_err(|e| {
        Failure::Server(ApiError::new(
            ErrorCode::BadRequest,
            format!("The key in the file cannot sign: {e}"),
        ))
    })?;
    let key = crate::keys::generate(
        algorithm,
        &subject,
        move |p| {
            progress.try_set(Some(p.phase.label()));
        },
        &crate::keys::Cancel::new(),
    )
    .await
    .map_err(Failure::KeyGen)?;
    progress.try_set(Some("Proving it is you with the old key…"));
    let challenge = crate::api::renewal_challenge()
        .await
        .map_err(Failure::Server)?;
    let proof =
        shared::renewal::sign_proof(&old_key, &challenge.challenge, &key.csr_pem).map_err(|e| {
            Failure::Server(ApiError::new(
                ErrorCode::BadRequest,
                format!("The proof could not be made: {e}"),
            ))
        })?;
    progress.try_set(Some("Sending the renewal…"));
    let body = RenewalRequest {
        csr_pem: key.csr_pem.clone(),
        expiration_seconds,
        certificate_pem: source.certificate_pem.clone(),
        challenge: challenge.challenge,
        proof,
        note: None,
    };
    let ticket = crate::api::renew(&body).await.map_err(Failure::Server)?;
    keep_key(ticket.id.0, &key, subject, false, Default::default()).await
}
