//! Inspect (`/inspect`): what a kubeconfig or certificate file says, read in the browser
//! (`openssl x509 -text` for people). Nothing of the file leaves the page.

use leptos::prelude::*;
use leptos_i18n::Locale as _;

use crate::components::request_row::I18n;
use crate::i18n::{t, t_string, use_i18n};
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

/// What kind of file it was.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// PEM text (a certificate, perhaps with its key).
    Pem,
    /// A kubeconfig, with its current context's name when it has one.
    Kubeconfig(Option<String>),
}

/// Why a file could not be inspected. The `String`s are what the parser said (its own
/// technical words, shown as code).
#[derive(Clone, Debug, PartialEq)]
pub enum Unreadable {
    /// Larger than [`MAX_FILE_BYTES`] (its size).
    TooLarge(f64),
    /// Not text.
    NotText,
    /// No certificate in PEM text.
    NoCertificate(String),
    /// The private key beside the certificate.
    BadKey(String),
    /// Not a kubeconfig CertDesk can read.
    NotKubeconfig(String),
    /// No current context naming a user, and not exactly one user.
    NoUser,
    /// The user holds no client certificate (its name).
    NoClientCertificate(String),
    /// The kubeconfig's client certificate.
    BadClientCertificate(String),
    /// The kubeconfig's client key.
    BadClientKey(String),
}

/// What a file turned out to hold.
#[derive(Clone, PartialEq)]
pub struct Findings {
    /// What kind of file it was.
    pub source: Source,
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
pub fn inspect_text(text: &str) -> Result<Findings, Unreadable> {
    if text.contains("-----BEGIN") {
        let (certificate_text, key) = split_private_key(text);
        let certificate = shared::inspect::inspect_certificate(&certificate_text)
            .map_err(|e| Unreadable::NoCertificate(e.to_string()))?;
        let key_matches = key
            .as_ref()
            .map(|key| shared::inspect::public_key_matches(&certificate, key))
            .transpose()
            .map_err(|e| Unreadable::BadKey(e.to_string()))?;
        return Ok(Findings {
            source: Source::Pem,
            renewable: renewal_source(&certificate_text, key, key_matches),
            certificate,
            key_matches,
            server: None,
        });
    }
    let config =
        Kubeconfig::from_yaml(text).map_err(|e| Unreadable::NotKubeconfig(e.to_string()))?;
    let user = config.current_user().ok_or(Unreadable::NoUser)?;
    let certificate_pem = user
        .user
        .certificate_pem()
        .map_err(|e| Unreadable::BadClientCertificate(e.to_string()))?
        .ok_or_else(|| Unreadable::NoClientCertificate(user.name.clone()))?;
    let certificate = shared::inspect::inspect_certificate(&certificate_pem)
        .map_err(|e| Unreadable::BadClientCertificate(e.to_string()))?;
    let key = user
        .user
        .private_key_pem()
        .map_err(|e| Unreadable::BadClientKey(e.to_string()))?;
    let key_matches = key
        .as_ref()
        .map(|key| shared::inspect::public_key_matches(&certificate, key))
        .transpose()
        .map_err(|e| Unreadable::BadClientKey(e.to_string()))?;
    let source = Source::Kubeconfig(config.current().map(|context| context.name.clone()));
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

/// Why a file could not be read, in the page's words (the parser's own in code).
fn unreadable_words(i18n: I18n, why: &Unreadable) -> AnyView {
    let detail = |text: &String| {
        let text = text.clone();
        move || view! { <code>{text.clone()}</code> }
    };
    match why {
        Unreadable::TooLarge(bytes) => {
            let bytes = *bytes;
            t!(i18n, inspect.too_large, bytes = move || bytes).into_any()
        }
        Unreadable::NotText => t!(i18n, inspect.not_text).into_any(),
        Unreadable::NoCertificate(e) => {
            t!(i18n, inspect.no_certificate, <why> = detail(e)).into_any()
        }
        Unreadable::BadKey(e) => t!(i18n, inspect.bad_key, <why> = detail(e)).into_any(),
        Unreadable::NotKubeconfig(e) => {
            t!(i18n, inspect.not_kubeconfig, <why> = detail(e)).into_any()
        }
        Unreadable::NoUser => t!(i18n, inspect.no_user).into_any(),
        Unreadable::NoClientCertificate(user) => {
            t!(i18n, inspect.no_client_certificate, <user> = detail(user)).into_any()
        }
        Unreadable::BadClientCertificate(e) => {
            t!(i18n, inspect.bad_client_certificate, <why> = detail(e)).into_any()
        }
        Unreadable::BadClientKey(e) => {
            t!(i18n, inspect.bad_client_key, <why> = detail(e)).into_any()
        }
    }
}

/// The Inspect page.
#[component]
pub fn Inspect() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| crate::components::title::set(t_string!(i18n, inspect.title)));
    let result = RwSignal::new(None::<Result<Findings, Unreadable>>);
    let file_name = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(false);

    let read = move |file: web_sys::File| {
        file_name.set(Some(file.name()));
        if file.size() > MAX_FILE_BYTES {
            result.set(Some(Err(Unreadable::TooLarge(file.size()))));
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
                None => Err(Unreadable::NotText),
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
        <h1>{t!(i18n, inspect.heading)}</h1>
        <p>{t!(i18n, inspect.intro)}</p>
        <div class="dropzone" class:dragging=move || dragging.get() data-testid="inspect-drop"
            on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop>
            <label for="inspect-file">{t!(i18n, inspect.drop)} " "</label>
            <input id="inspect-file" type="file" data-testid="inspect-file"
                accept=".kubeconfig,.yaml,.yml,.conf,.config,.crt,.pem,.cer,text/*"
                on:change=on_pick />
        </div>
        {move || file_name.get().map(|name| view! { <p class="muted">{t!(i18n, inspect.file, <name> = move || view! { {name.clone()} })}</p> })}
        {move || result.get().map(|outcome| match outcome {
            Ok(findings) => {
                let renewal = findings.renewable.clone().map(|source| {
                    let certificate = findings.certificate.clone();
                    view! { <Renew source certificate /> }
                });
                view! { <FindingsView findings /> {renewal} }.into_any()
            }
            Err(why) => view! {
                <div class="card error" role="alert" data-testid="inspect-error"><p>{unreadable_words(i18n, &why)}</p></div>
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
    let i18n = use_i18n();
    let username = certificate.common_name.clone().unwrap_or_default();
    let matches = findings.key_matches;
    let key_match = move || match matches {
        Some(true) => t_string!(i18n, inspect.key_matches),
        Some(false) => t_string!(i18n, inspect.key_differs),
        None => t_string!(i18n, inspect.no_key),
    };
    let source = match findings.source.clone() {
        Source::Pem => t!(i18n, inspect.source_pem).into_any(),
        Source::Kubeconfig(None) => t!(i18n, inspect.source_kubeconfig).into_any(),
        Source::Kubeconfig(Some(context)) => t!(i18n, inspect.source_context,
            <context> = move || view! { {context.clone()} })
        .into_any(),
    };
    let left = move || {
        let seconds = ((not_after_ms - time::now_ms()) / 1000.0).floor() as i64;
        if seconds <= 0 {
            t_string!(i18n, issued.expired).to_owned()
        } else {
            let span = time::span_words(i18n.get_locale().as_str(), seconds);
            crate::language::fill(t_string!(i18n, people.left), &[("span", &span)])
        }
    };
    view! {
        <section class="card" data-testid="inspect-result">
            <p class="muted">{source}</p>
            <dl>
                <dt>{t!(i18n, inspect.who)}</dt>
                <dd data-testid="inspect-cn"><SubjectLine username groups=Vec::new() /></dd>
                <dt>{t!(i18n, detail.groups)}</dt>
                <dd data-testid="inspect-groups">{if certificate.organizations.is_empty() {
                    t_string!(i18n, row.none).to_owned()
                } else {
                    certificate.organizations.join(", ")
                }}</dd>
                <dt>{t!(i18n, inspect.issuer)}</dt>
                <dd data-testid="inspect-issuer">{certificate.issuer.clone()}</dd>
                <dt>{t!(i18n, inspect.valid)}</dt>
                <dd data-testid="inspect-validity">
                    {
                        let (from, to) = (time::format_utc(not_before_ms), time::format_utc(not_after_ms));
                        t!(i18n, inspect.valid_span,
                            <from> = move || view! { {from.clone()} },
                            <to> = move || view! { {to.clone()} },
                            <left> = move || view! { <span data-testid="inspect-time-left">{left}</span> })
                    }
                </dd>
                <dt>{t!(i18n, inspect.key_type)}</dt>
                <dd data-testid="inspect-key-type">{certificate.public_key.label()}</dd>
                <dt>{t!(i18n, issued.certificate_sha256)}</dt>
                <dd><code class="fingerprint" data-testid="inspect-fingerprint">{certificate.sha256_fingerprint.clone()}</code></dd>
                <dt>{t!(i18n, issued.public_key_sha256)}</dt>
                <dd><code class="fingerprint" data-testid="inspect-key-fingerprint">{certificate.public_key_sha256.clone()}</code></dd>
                <dt>{t!(i18n, inspect.key_match)}</dt>
                <dd data-testid="inspect-key-match" data-matches=findings.key_matches.map(|m| m.to_string())>{key_match}</dd>
                {findings.server.map(|server| view! {
                    <dt>{t!(i18n, inspect.server)}</dt>
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
    let i18n = use_i18n();
    let live = certificate.not_after.unix_timestamp() as f64 * 1000.0 > time::now_ms();
    let lifetime = (certificate.not_after - certificate.not_before).whole_seconds();
    let lifetime = u32::try_from(lifetime.max(0)).unwrap_or(u32::MAX);
    let algorithm = RwSignal::new(
        certificate
            .public_key
            .key_algorithm()
            .unwrap_or(KeyAlgorithm::EcdsaP256),
    );
    let progress = RwSignal::new(None::<crate::keys::Step>);
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
            <h2 id="renew-title">{t!(i18n, inspect.renew_heading)}</h2>
            {if live {
                view! {
                    <p>{
                        let user = subject.with_value(|s| s.username.clone());
                        t!(i18n, inspect.renew_intro, <user> = move || view! { {user.clone()} })
                    }</p>
                    <div class="field">
                        <label for="renew-algorithm">{t!(i18n, inspect.new_algorithm)}</label>
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
                        {move || if busy.get() { t_string!(i18n, inspect.renewing) } else { t_string!(i18n, inspect.renew) }}
                    </button>
                    <p role="status" aria-live="polite" data-testid="renew-progress">{move || progress.get().map(|p| crate::components::progress::progress_words(i18n, p))}</p>
                    {move || failure.get().map(|failure| view! { <div data-testid="renew-error"><FailurePanel failure retry /></div> })}
                }.into_any()
            } else {
                view! {
                    <p data-testid="renew-expired">{t!(i18n, inspect.expired)}</p>
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
    progress: RwSignal<Option<crate::keys::Step>>,
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
            progress.try_set(Some(crate::keys::Step::Key(p.phase)));
        },
        &crate::keys::Cancel::new(),
    )
    .await
    .map_err(Failure::KeyGen)?;
    progress.try_set(Some(crate::keys::Step::Proving));
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
    progress.try_set(Some(crate::keys::Step::SendingRenewal));
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
