//! The issued certificate: the kubeconfig download and how to use it, with the
//! fingerprints behind a disclosure.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::kubeconfig::{Credentials, Kubeconfig};
use shared::{ApiError, ErrorCode, PortalConfig, RequestStatus};

use super::KeyState;
use super::key_actions::ForgetKey;
use crate::components::command_line::{CommandLine, shell_word};
use crate::components::download;
use crate::components::error_panel::ErrorPanel;
use crate::components::subject::SubjectLine;
use crate::components::time;
use crate::store::with_store;

/// The issued certificate: fingerprints, expiry, the kubeconfig download and how to use it.
#[component]
pub fn Issued(
    status: RequestStatus,
    config: PortalConfig,
    key: RwSignal<KeyState>,
) -> impl IntoView {
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
    // Browsers save into the Downloads folder, not the terminal's current one.
    let path = format!("~/Downloads/{file_name}");
    let context = format!(
        "{username}@{}",
        config.with_value(|c| c.cluster_name.clone())
    );
    let whoami = format!("kubectl --kubeconfig {path} auth whoami");
    let use_line = format!("kubectl --kubeconfig {path} get pods");
    let backup = "cp ~/.kube/config ~/.kube/config.backup-$(date +%Y%m%d%H%M%S)".to_owned();
    let merge = format!(
        "KUBECONFIG=~/.kube/config:{path} kubectl config view --flatten > ~/.kube/config.merged && mv ~/.kube/config.merged ~/.kube/config"
    );
    let switch = format!("kubectl config use-context {}", shell_word(&context));
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
            </dl>
            <div class="actions">
                {move || matches!(key.get(), KeyState::Held(_)).then(|| view! {
                    <button type="button" class="primary" data-testid="kubeconfig-download" on:click=download_kubeconfig.clone()>
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
            <details class="fingerprints">
                <summary>"Fingerprints and key check"</summary>
                <dl>
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
            </details>
            <h3>"Use it"</h3>
            <p>"Your browser saves the file as " <code data-testid="saved-path">{path.clone()}</code>
               " (if it asked where, use that path instead). Check that the cluster knows you:"</p>
            <CommandLine command=whoami testid="kubectl-whoami" />
            <p>"Then use it:"</p>
            <CommandLine command=use_line testid="kubectl-use" />
            <p>"To add it to your usual " <code>"~/.kube/config"</code> ", first keep a backup,"</p>
            <CommandLine command=backup testid="kubectl-backup" />
            <p>"then merge the two (what is there stays):"</p>
            <CommandLine command=merge testid="kubectl-merge" />
            <p>"and switch to it:"</p>
            <CommandLine command=switch testid="kubectl-switch" />
        </section>
        {move || match key.get() {
            KeyState::Held(record) if record.kubeconfig_downloaded => view! { <ForgetKey key /> }.into_any(),
            _ => ().into_any(),
        }}
    }
    .into_any()
}
