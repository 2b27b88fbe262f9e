//! The issued certificate: the kubeconfig download and how to use it, with the
//! fingerprints behind a disclosure.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_i18n::Locale as _;
use shared::kubeconfig::{Credentials, Kubeconfig};
use shared::{ApiError, ErrorCode, PortalConfig, RequestStatus};

use super::KeyState;
use super::key_actions::ForgetKey;
use super::use_it::{UseIt, UseItPlan};
use crate::components::download;
use crate::components::error_panel::ErrorPanel;
use crate::components::subject::SubjectLine;
use crate::components::time;
use crate::i18n::{t, t_string, use_i18n};
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
    // A name of its own per certificate (its serial's end), so a renewal's file is not
    // saved as "name (1)" beside the old one while the commands name the old one.
    let file_name = kubeconfig_file_name(&config.cluster_name, &username, &info.serial);
    let plugin = config
        .plugin_downloads
        .iter()
        .find(|d| d.platform == "linux-amd64")
        .or_else(|| config.plugin_downloads.first())
        .cloned();
    // Where the plugin renews: the CertDesk that issued it (a peer's, or this one).
    let portal = match key.get_untracked() {
        KeyState::Held(record) if !record.portal.is_empty() => record.portal,
        _ => web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default(),
    };
    let plugin_portal = portal.clone();
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
    // Chosen on the request form, or here with "Keep it renewed" (any CertDesk
    // certificate can be handed to the plugin).
    let chosen = RwSignal::new(None::<bool>);
    let renewed_by_plugin = move || {
        chosen
            .get()
            .unwrap_or_else(|| matches!(key.get(), KeyState::Held(ref r) if r.renewed_by_plugin))
    };
    let plan = move || UseItPlan {
        path: path.clone(),
        context: context.clone(),
        portal: portal.clone(),
        plugin: plugin.clone(),
        renewed_by_plugin: renewed_by_plugin(),
    };
    let download_plugin_kubeconfig = {
        let file_name = file_name.replace(".kubeconfig", "-plugin.kubeconfig");
        let namespace = namespace.clone();
        let username = username.clone();
        move |_| {
            let portal = plugin_portal.clone();
            let result = config.with_value(|config| {
                let kubeconfig = Kubeconfig::for_user(Credentials {
                    cluster_name: &config.cluster_name,
                    server_url: &config.server_url,
                    ca_pem: &config.ca_bundle_pem,
                    certificate_pem: "",
                    private_key_pem: "",
                    username: &username,
                    namespace: &namespace,
                })
                .with_plugin(&portal);
                let yaml = kubeconfig.to_yaml().map_err(|e| e.to_string())?;
                download::save_text(&file_name, &yaml, "application/yaml")
            });
            save_result.set(Some(result));
        }
    };
    let i18n = use_i18n();
    view! {
        <section class="card issued" data-testid="issued">
            <h2>{t!(i18n, issued.heading)}</h2>
            <dl>
                <dt>{t!(i18n, issued.user)}</dt>
                <dd><SubjectLine username=username.clone() groups=info.organizations.clone() /></dd>
                <dt>{t!(i18n, issued.expires)}</dt>
                <dd data-testid="expires">{time::format_utc(expires_ms)} " (" {
                    let left_ms = expires_ms - time::now_ms();
                    if left_ms <= 0.0 {
                        t!(i18n, issued.expired).into_any()
                    } else {
                        // Whole minutes, as the English wording always had.
                        let seconds = ((left_ms / 60_000.0).floor() as i64 * 60).max(60);
                        t!(i18n, issued.left,
                            span = move || time::span_words(i18n.get_locale().as_str(), seconds)).into_any()
                    }
                } ")"</dd>
                <dt>{t!(i18n, issued.renewal)}</dt>
                <dd data-testid="renewal-note">{move || if renewed_by_plugin() {
                    t_string!(i18n, issued.renewed_by_plugin)
                } else {
                    t_string!(i18n, issued.renewed_by_nothing)
                }}</dd>
                <dt>{t!(i18n, issued.namespace)}</dt>
                <dd><code data-testid="namespace">{namespace}</code></dd>
            </dl>
            <div class="actions">
                {move || matches!(key.get(), KeyState::Held(_)).then(|| view! {
                    <button type="button" class="primary" data-testid="kubeconfig-download" on:click=download_kubeconfig.clone()>
                        {t!(i18n, issued.download_kubeconfig)}
                    </button>
                })}
                <button type="button" class="secondary" data-testid="certificate-download" on:click=download_certificate>
                    {t!(i18n, issued.download_certificate)}
                </button>
                {move || if !matches!(key.get(), KeyState::Held(_)) {
                    // Without the key here, nothing below can be done from this browser.
                    ().into_any()
                } else if renewed_by_plugin() {
                    view! {
                        <button type="button" class="secondary" data-testid="plugin-kubeconfig-download"
                            on:click=download_plugin_kubeconfig.clone()>
                            {t!(i18n, issued.download_plugin_kubeconfig)}
                        </button>
                        <button type="button" class="secondary" data-testid="renew-by-hand"
                            on:click=move |_| chosen.set(Some(false))>
                            {t!(i18n, issued.renew_by_hand)}
                        </button>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" class="secondary" data-testid="keep-renewed"
                            title=move || t_string!(i18n, issued.keep_renewed_title)
                            on:click=move |_| chosen.set(Some(true))>
                            {t!(i18n, issued.keep_renewed)}
                        </button>
                    }.into_any()
                }}
            </div>
            {move || save_result.get().map(|result| match result {
                Ok(()) => view! { <p class="muted" data-testid="download-done">{t!(i18n, issued.offered)}</p> }.into_any(),
                Err(message) => view! { <p class="field-error" data-testid="download-error">{message}</p> }.into_any(),
            })}
            <details class="fingerprints">
                <summary>{t!(i18n, issued.fingerprints)}</summary>
                <dl>
                    <dt>{t!(i18n, issued.certificate_sha256)}</dt>
                    <dd><code class="fingerprint" data-testid="certificate-fingerprint">{info.sha256_fingerprint.clone()}</code></dd>
                    <dt>{t!(i18n, issued.public_key_sha256)}</dt>
                    <dd><code class="fingerprint" data-testid="key-fingerprint">{info.public_key_sha256.clone()}</code></dd>
                    <dt>{t!(i18n, issued.key_here)}</dt>
                    <dd data-testid="key-match">{move || match matches.get() {
                        Some(true) => t_string!(i18n, issued.key_matches),
                        Some(false) => t_string!(i18n, issued.key_mismatch),
                        None => t_string!(i18n, issued.key_not_here),
                    }}</dd>
                </dl>
            </details>
            {move || matches!(key.get(), KeyState::Held(_)).then(|| view! { <UseIt plan=plan() /> })}
        </section>
        {move || match key.get() {
            KeyState::Held(record) if record.kubeconfig_downloaded => view! { <ForgetKey key /> }.into_any(),
            _ => ().into_any(),
        }}
    }
    .into_any()
}

/// The kubeconfig's file name: cluster, user and the serial's end, so a renewal's file
/// is not saved as "name (1)" beside the old one while the commands name the old one.
fn kubeconfig_file_name(cluster_name: &str, username: &str, serial: &str) -> String {
    let serial: String = serial
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>()
        .to_ascii_lowercase();
    let serial_end = &serial[serial.len().saturating_sub(8)..];
    format!(
        "{}-{}-{serial_end}.kubeconfig",
        download::file_name_part(cluster_name),
        download::file_name_part(username)
    )
}
