//! A request's status (`/requests/:id`): the live phase from the server-sent events
//! (polling when the stream fails), what each phase means, and, once issued, the
//! kubeconfig assembled here from the key this browser kept.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use send_wrapper::SendWrapper;
use shared::kubeconfig::{Credentials, Kubeconfig};
use shared::{ApiError, ErrorCode, Phase, PortalConfig, RequestStatus};

use crate::api;
use crate::components::download;
use crate::components::error_panel::ErrorPanel;
use crate::components::request_row::duration_words;
use crate::components::subject::SubjectLine;
use crate::components::time;
use crate::components::title;
use crate::store::{StoredKey, with_store};
use crate::submission::key_file_name;

/// The status page; its URL carries the request id.
#[component]
pub fn RequestStatusPage() -> impl IntoView {
    let params = use_params_map();
    move || {
        let id = params.read().get("id").unwrap_or_default();
        view! { <StatusView id /> }
    }
}

/// Whether this browser holds the request's key.
#[derive(Clone)]
enum KeyState {
    Loading,
    Held(StoredKey),
    Missing,
    /// The key was deleted here at the person's request.
    Forgotten,
    Unavailable(String),
}

#[component]
fn StatusView(id: String) -> impl IntoView {
    let status = RwSignal::new(None::<RequestStatus>);
    let error = RwSignal::new(None::<ApiError>);
    let live = RwSignal::new(true);
    let key = RwSignal::new(KeyState::Loading);
    let config = crate::config::use_config();

    let lookup = id.clone();
    spawn_local(async move {
        let state = match with_store(async |store| store.get(&lookup).await).await {
            Ok(Some(record)) => KeyState::Held(record),
            Ok(None) => KeyState::Missing,
            Err(e) => KeyState::Unavailable(e.to_string()),
        };
        key.try_set(state);
    });

    let follower = SendWrapper::new(api::status_stream::follow(id.clone(), status, error, live));
    on_cleanup(move || follower.take().stop());

    let phase = move || status.with(|s| s.as_ref().map(|s| s.phase));
    Effect::new(move |_| {
        let username = match key.get() {
            KeyState::Held(record) => Some(record.username),
            _ => None,
        };
        title::set(&title::of_request(phase(), username.as_deref()));
    });
    view! {
        <h1>"Your access request"</h1>
        <p class="muted">"Request " <code data-testid="request-id">{id.clone()}</code>
            {move || if live.get() { " · following live" } else { " · checking every few seconds" }}
        </p>
        {move || match key.get() {
            KeyState::Held(record) => view! {
                <p>"For " <SubjectLine username=record.username.clone() groups=record.groups.clone() />
                   " · " {record.algorithm.label()} " key kept in this browser"</p>
            }.into_any(),
            KeyState::Missing => view! {
                <div class="card warning" data-testid="key-missing">
                    <p>"This browser does not hold the private key of this request. "
                       "The certificate can still be shown and downloaded, but a kubeconfig needs the key: "
                       "open this page in the browser you made the request in, or use the key file you saved."</p>
                </div>
            }.into_any(),
            KeyState::Unavailable(reason) => view! {
                <div class="card warning" data-testid="key-missing"><p>{reason}</p></div>
            }.into_any(),
            KeyState::Loading | KeyState::Forgotten => ().into_any(),
        }}
        <section class="card" aria-live="polite">
            <p class="phase">"Status: "
                <strong data-testid="phase" data-phase=move || phase().map(phase_name).unwrap_or("Loading")>
                    {move || phase().map(phase_name).unwrap_or("Loading…")}
                </strong>
            </p>
            {move || status.get().map(|status| view! { <PhaseExplanation status /> })}
        </section>
        {move || error.get().map(|error| view! { <div data-testid="status-error"><ErrorPanel error /></div> })}
        {move || {
            let held = matches!(key.get(), KeyState::Held(ref r) if !r.kubeconfig_downloaded);
            let issued = phase() == Some(Phase::Issued);
            (held && !issued).then(|| view! { <KeepKeyCopy key /> })
        }}
        {move || {
            let status = status.get().filter(|s| s.phase == Phase::Issued)?;
            let config = config.get()?;
            Some(match config {
                Ok(config) => view! { <Issued status config key /> }.into_any(),
                Err(error) => view! { <ErrorPanel error /> }.into_any(),
            })
        }}
        {move || {
            let finished = matches!(phase(), Some(Phase::Denied | Phase::Failed | Phase::Gone));
            (finished && matches!(key.get(), KeyState::Held(_))).then(|| view! { <ForgetKey key /> })
        }}
        {move || matches!(key.get(), KeyState::Forgotten).then(|| view! {
            <p data-testid="key-forgotten">"The key was removed from this browser."</p>
        })}
        <p><A href="/">"Back to the start page"</A></p>
    }
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Pending => "Pending",
        Phase::Approved => "Approved",
        Phase::Issued => "Issued",
        Phase::Denied => "Denied",
        Phase::Failed => "Failed",
        Phase::Gone => "Gone",
        Phase::Withdrawn => "Withdrawn",
    }
}

#[component]
fn PhaseExplanation(status: RequestStatus) -> impl IntoView {
    let message = status.message.clone().filter(|m| !m.trim().is_empty());
    match status.phase {
        Phase::Pending => view! {
            <p>"Waiting for an approver. You can close this page: your key is kept in this browser, "
               "and this address (or the start page) brings you back here."</p>
        }
        .into_any(),
        Phase::Approved => match status.not_issued.clone() {
            Some(why) => view! {
                <p class="warning" role="alert" data-testid="not-issued">{why}</p>
            }
            .into_any(),
            None => view! {
                <p>"Approved. The cluster is signing your certificate; this usually takes seconds."</p>
            }
            .into_any(),
        },
        Phase::Issued => view! {
            <p>"Your certificate is ready. Download the kubeconfig below."</p>
            {status.lifetime_cut.map(|cut| view! {
                <p class="warning" data-testid="lifetime-cut">
                    {format!(
                        "You asked for {}; the cluster issued {}: its signer caps certificate lifetimes.",
                        duration_words(i64::from(cut.requested_seconds)),
                        duration_words(i64::from(cut.issued_seconds)),
                    )}
                </p>
            })}
        }
        .into_any(),
        Phase::Denied => view! {
            <p>"An approver denied this request."</p>
            <p>"Reason: " <q data-testid="deny-reason">{message.unwrap_or_else(|| "none given".to_owned())}</q></p>
            <p>"What next: talk to the approver about what you need, then make a new request."</p>
        }
        .into_any(),
        Phase::Failed => view! {
            <p>"The cluster's signer could not issue the certificate."</p>
            <p data-testid="deny-reason">{message.unwrap_or_default()}</p>
            <p>"What next: make a new request; if it fails again, tell the cluster's operator."</p>
        }
        .into_any(),
        Phase::Withdrawn => view! {
            <p>"You withdrew this request: approvers no longer see it."</p>
        }
        .into_any(),
        Phase::Gone => view! {
            <p>"The cluster no longer has this request: it removes requests an hour after a decision, "
               "or a day after they were made if nobody decided. Make a new request from the start page."</p>
        }
        .into_any(),
    }
}

/// "Keep a copy of your key": the stored key as a PEM file.
#[component]
fn KeepKeyCopy(key: RwSignal<KeyState>) -> impl IntoView {
    let saved = RwSignal::new(None::<Result<(), String>>);
    let save = move |_| {
        if let KeyState::Held(record) = key.get_untracked() {
            saved.set(Some(download::save_text(
                &key_file_name(&record.username),
                &record.private_key_pem,
                "application/x-pem-file",
            )));
        }
    };
    view! {
        <div class="card">
            <p>"Your private key is kept in this browser until you download the kubeconfig. "
               "You can also keep a copy of it yourself (treat it like a password)."</p>
            <button type="button" class="secondary" data-testid="key-download" on:click=save>"Keep a copy of your key"</button>
            {move || saved.get().map(|result| match result {
                Ok(()) => view! { <p class="muted">"Key file offered for download."</p> }.into_any(),
                Err(message) => view! { <p class="field-error">{message}</p> }.into_any(),
            })}
        </div>
    }
}

/// "Forget the key in this browser".
#[component]
fn ForgetKey(key: RwSignal<KeyState>) -> impl IntoView {
    let failed = RwSignal::new(None::<String>);
    let forget = move |_| {
        let KeyState::Held(record) = key.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let result = with_store(async |store| store.delete(&record.request_id).await).await;
            match result {
                Ok(()) => {
                    key.try_set(KeyState::Forgotten);
                }
                Err(e) => {
                    failed.try_set(Some(e.to_string()));
                }
            }
        });
    };
    view! {
        <div class="card">
            <p>"Once you have the kubeconfig, this browser no longer needs the key."</p>
            <button type="button" class="secondary" data-testid="forget-key" on:click=forget>"Forget the key in this browser"</button>
            {move || failed.get().map(|message| view! { <p class="field-error">{message}</p> })}
        </div>
    }
}

/// The issued certificate: fingerprints, expiry, the kubeconfig download and how to use it.
#[component]
fn Issued(status: RequestStatus, config: PortalConfig, key: RwSignal<KeyState>) -> impl IntoView {
    let certificate_pem = status.certificate_pem.clone().unwrap_or_default();
    let info = match shared::inspect::inspect_certificate(&certificate_pem) {
        Ok(info) => info,
        Err(error) => {
            let error = ApiError::new(
                ErrorCode::Internal,
                format!("The issued certificate could not be read: {error}"),
            );
            return view! { <div data-testid="status-error"><ErrorPanel error /></div> }.into_any();
        }
    };
    let namespace = status
        .namespace
        .clone()
        .filter(|ns| !ns.is_empty())
        .unwrap_or_else(|| "default".to_owned());
    let expires_ms = info.not_after.unix_timestamp() as f64 * 1000.0;
    let username = info.common_name.clone().unwrap_or_default();
    let file_name = format!(
        "{}-{}.kubeconfig",
        download::file_name_part(&config.cluster_name),
        download::file_name_part(&username)
    );
    let certificate = StoredValue::new(certificate_pem);
    let config = StoredValue::new(config);
    let save_result = RwSignal::new(None::<Result<(), String>>);
    let matches = Memo::new({
        let info = info.clone();
        move |_| match key.get() {
            KeyState::Held(record) => Some(
                shared::inspect::public_key_matches(&info, &record.private_key_pem)
                    .unwrap_or(false),
            ),
            _ => None,
        }
    });

    let download_kubeconfig = {
        let file_name = file_name.clone();
        let namespace = namespace.clone();
        move |_| {
            let KeyState::Held(record) = key.get_untracked() else {
                return;
            };
            let result = config.with_value(|config| {
                certificate.with_value(|certificate_pem| {
                    let kubeconfig = Kubeconfig::for_user(Credentials {
                        cluster_name: &config.cluster_name,
                        server_url: &config.server_url,
                        ca_pem: &config.ca_bundle_pem,
                        certificate_pem,
                        private_key_pem: &record.private_key_pem,
                        username: &record.username,
                        namespace: &namespace,
                    });
                    let yaml = kubeconfig.to_yaml().map_err(|e| e.to_string())?;
                    download::save_text(&file_name, &yaml, "application/yaml")
                })
            });
            let ok = result.is_ok();
            save_result.set(Some(result));
            if ok {
                let id = record.request_id.clone();
                spawn_local(async move {
                    let _ = with_store(async |store| store.mark_downloaded(&id).await).await;
                    let mut record = record;
                    record.kubeconfig_downloaded = true;
                    key.try_set(KeyState::Held(record));
                });
            }
        }
    };
    let download_certificate = {
        let username = username.clone();
        move |_| {
            let result = certificate.with_value(|pem| {
                download::save_text(
                    &format!("{}.crt", download::file_name_part(&username)),
                    pem,
                    "application/x-pem-file",
                )
            });
            save_result.set(Some(result));
        }
    };
    let merge = format!(
        "KUBECONFIG=~/.kube/config:{file_name} kubectl config view --flatten > merged && mv merged ~/.kube/config"
    );
    let use_line = format!("kubectl --kubeconfig {file_name} get pods");
    let context = format!(
        "{username}@{}",
        config.with_value(|c| c.cluster_name.clone())
    );
    view! {
        <section class="card issued" data-testid="issued">
            <h2>"Your certificate"</h2>
            <dl>
                <dt>"User"</dt>
                <dd><SubjectLine username=username.clone() groups=info.organizations.clone() /></dd>
                <dt>"Expires"</dt>
                <dd data-testid="expires">{time::format_utc(expires_ms)} " (" {time::time_left(expires_ms)} ")"</dd>
                <dt>"Namespace"</dt>
                <dd><code data-testid="namespace">{namespace}</code></dd>
                <dt>"Certificate SHA-256"</dt>
                <dd><code class="fingerprint" data-testid="certificate-fingerprint">{info.sha256_fingerprint.clone()}</code></dd>
                <dt>"Public key SHA-256"</dt>
                <dd><code class="fingerprint" data-testid="key-fingerprint">{info.public_key_sha256.clone()}</code></dd>
                <dt>"Key in this browser"</dt>
                <dd data-testid="key-match">{move || match matches.get() {
                    Some(true) => "matches the certificate",
                    Some(false) => "does NOT match the certificate",
                    None => "not held here",
                }}</dd>
            </dl>
            <div class="actions">
                {move || matches!(key.get(), KeyState::Held(_)).then(|| view! {
                    <button type="button" data-testid="kubeconfig-download" on:click=download_kubeconfig.clone()>
                        "Download kubeconfig"
                    </button>
                })}
                <button type="button" class="secondary" data-testid="certificate-download" on:click=download_certificate>
                    "Download the certificate only"
                </button>
            </div>
            {move || save_result.get().map(|result| match result {
                Ok(()) => view! { <p class="muted" data-testid="download-done">"File offered for download."</p> }.into_any(),
                Err(message) => view! { <p class="field-error" data-testid="download-error">{message}</p> }.into_any(),
            })}
            <h3>"Use it"</h3>
            <p>"Save the file, then:"</p>
            <pre data-testid="kubectl-use">{use_line}</pre>
            <p>"To add it to your usual " <code>"~/.kube/config"</code> " without overwriting what is there:"</p>
            <pre data-testid="kubectl-merge">{merge}</pre>
            <p>"then " <code>{format!("kubectl config use-context {context}")}</code> "."</p>
        </section>
        {move || match key.get() {
            KeyState::Held(record) if record.kubeconfig_downloaded => view! { <ForgetKey key /> }.into_any(),
            _ => ().into_any(),
        }}
    }
    .into_any()
}
