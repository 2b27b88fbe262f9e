//! A request to several clusters, side by side: each cluster's phase followed live at
//! its own CertDesk (one that is down or slow holds up no other), what each answer
//! means, and one kubeconfig holding every cluster that has issued — named
//! `<user>@<cluster>` so nothing collides, made again as further clusters issue.

use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;
use shared::kubeconfig::{Credentials, Kubeconfig};
use shared::{ApiError, Phase, PortalConfig, RequestStatus};

use super::explain::PhaseExplanation;
use super::use_it::{UseIt, UseItPlan};
use crate::api;
use crate::components::command_line::{CommandLine, shell_word};
use crate::components::download;
use crate::components::error_panel::ErrorPanel;
use crate::components::request_row::phase_name;
use crate::components::subject::SubjectLine;
use crate::i18n::{t, t_string, use_i18n};
use crate::store::{StoredKey, with_store};

/// One cluster's part: its key, and its phase and configuration as they arrive.
#[derive(Clone, Copy)]
struct Part {
    record: StoredValue<StoredKey>,
    status: RwSignal<Option<RequestStatus>>,
    error: RwSignal<Option<ApiError>>,
    config: LocalResource<Result<PortalConfig, ApiError>>,
}

impl Part {
    fn follow(record: StoredKey) -> Self {
        let status = RwSignal::new(None);
        let error = RwSignal::new(None);
        let live = RwSignal::new(true);
        let follower = SendWrapper::new(api::status_stream::follow(
            record.portal.clone(),
            record.request_id.clone(),
            status,
            error,
            live,
        ));
        on_cleanup(move || follower.take().stop());
        // This CertDesk's configuration is the page's own (asked once: a second ask for
        // the same address waits for the first's answer); a peer's is asked of it.
        let config = if record.portal.is_empty() {
            crate::config::use_config()
        } else {
            let portal = record.portal.clone();
            LocalResource::new(move || {
                let portal = portal.clone();
                async move { api::config_at(&portal).await }
            })
        };
        Self {
            record: StoredValue::new(record),
            status,
            error,
            config,
        }
    }

    fn phase(&self) -> Option<Phase> {
        self.status.with(|s| s.as_ref().map(|s| s.phase))
    }

    fn cluster(&self) -> String {
        self.record.with_value(|r| r.cluster.clone())
    }

    /// This part's kubeconfig, once its certificate is issued and its cluster's
    /// configuration known.
    fn kubeconfig(&self) -> Option<Kubeconfig> {
        let status = self.status.get().filter(|s| s.phase == Phase::Issued)?;
        let certificate_pem = status.certificate_pem?;
        let config = self.config.get()?.ok()?;
        let namespace = status
            .namespace
            .filter(|ns| !ns.is_empty())
            .unwrap_or_else(|| "default".to_owned());
        Some(self.record.with_value(|record| {
            Kubeconfig::for_user(Credentials {
                cluster_name: &config.cluster_name,
                server_url: &config.server_url,
                ca_pem: &config.ca_bundle_pem,
                certificate_pem: &certificate_pem,
                private_key_pem: &record.private_key_pem,
                username: &record.username,
                namespace: &namespace,
            })
        }))
    }
}

/// The page of a request to several clusters.
#[component]
pub fn BatchView(parts: Vec<StoredKey>) -> impl IntoView {
    let batch = parts
        .first()
        .and_then(|p| p.batch.clone())
        .unwrap_or_default();
    let unsent = crate::pages::request::unsent(&batch);
    let (username, groups) = parts
        .first()
        .map(|p| (p.username.clone(), p.groups.clone()))
        .unwrap_or_default();
    let parts: Vec<Part> = parts.into_iter().map(Part::follow).collect();
    let parts = StoredValue::new(parts);
    let i18n = use_i18n();
    Effect::new(move |_| crate::components::title::set(t_string!(i18n, status.heading)));
    view! {
        <h1>{t!(i18n, status.heading)}</h1>
        <p>{t!(i18n, batch.for_who,
            <subject> = move || view! { <SubjectLine username=username.clone() groups=groups.clone() /> })}</p>
        <div class="clusters" data-testid="batch">
            {parts.get_value().into_iter().map(|part| view! { <PartCard part /> }).collect_view()}
        </div>
        {(!unsent.is_empty()).then(|| view! {
            <div class="card warning" data-testid="unsent">
                <p>{t!(i18n, batch.unsent)}</p>
                <ul>
                    {unsent.into_iter().map(|(cluster, why)| {
                        let label = cluster.clone();
                        view! {
                            <li data-testid="unsent-cluster" data-cluster=label><strong>{cluster}</strong> ": " {why}</li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        })}
        <Merged parts />
        <p><a href="/" rel="external">{t!(i18n, status.back)}</a></p>
    }
}

/// One cluster's card: its phase, live, and what it means.
#[component]
fn PartCard(part: Part) -> impl IntoView {
    let cluster = part.cluster();
    let label = cluster.clone();
    let id = part.record.with_value(|r| r.request_id.clone());
    let i18n = use_i18n();
    view! {
        <section class="card" data-testid="batch-part" data-cluster=label aria-live="polite">
            <h2>{cluster}</h2>
            <p class="status-line">
                <strong class="badge" data-testid="phase"
                    data-phase=move || part.phase().map(phase_name).unwrap_or("Loading")>
                    {move || match part.phase() {
                        Some(phase) => super::phase_words(i18n, phase),
                        None => t_string!(i18n, status.loading),
                    }}
                </strong>
            </p>
            <p class="muted">{t!(i18n, status.request,
                <id> = move || view! { <code data-testid="request-id">{id.clone()}</code> })}</p>
            {move || part.status.get().map(|status| {
                let contact = part.config.get().and_then(Result::ok).and_then(|c| c.approvers_contact);
                view! { <PhaseExplanation status has_key=true contact /> }
            })}
            {move || part.error.get().map(|error| view! { <div data-testid="status-error"><ErrorPanel error /></div> })}
        </section>
    }
}

/// The one kubeconfig of every issued cluster, and how to use it.
#[component]
fn Merged(parts: StoredValue<Vec<Part>>) -> impl IntoView {
    let i18n = use_i18n();
    let saved = RwSignal::new(None::<Result<(), String>>);
    // The parts issued so far, with their kubeconfigs, in the request's order.
    let ready = Signal::derive(move || {
        parts.with_value(|parts| {
            parts
                .iter()
                .filter_map(|part| part.kubeconfig().map(|k| (*part, k)))
                .collect::<Vec<_>>()
        })
    });
    let names = move || {
        ready.with(|ready| {
            ready
                .iter()
                .map(|(part, _)| part.cluster())
                .collect::<Vec<_>>()
        })
    };
    let username = parts.with_value(|p| {
        p.first()
            .map(|p| p.record.with_value(|r| r.username.clone()))
            .unwrap_or_default()
    });
    let file_name = format!(
        "{}-clusters.kubeconfig",
        download::file_name_part(&username)
    );
    let path = format!("~/Downloads/{file_name}");
    let download = move |_| {
        let configs: Vec<Kubeconfig> = ready.with(|r| r.iter().map(|(_, k)| k.clone()).collect());
        let result = Kubeconfig::merged(&configs)
            .to_yaml()
            .map_err(|e| e.to_string())
            .and_then(|yaml| download::save_text(&file_name, &yaml, "application/yaml"));
        if result.is_ok() {
            let ids: Vec<String> = ready.with(|r| {
                r.iter()
                    .map(|(part, _)| part.record.with_value(|r| r.request_id.clone()))
                    .collect()
            });
            spawn_local(async move {
                for id in ids {
                    let _ = with_store(async |store| store.mark_downloaded(&id).await).await;
                }
            });
        }
        saved.set(Some(result));
    };
    let waiting = move || {
        parts.with_value(|parts| {
            parts
                .iter()
                .filter(|p| matches!(p.phase(), None | Some(Phase::Pending | Phase::Approved)))
                .map(Part::cluster)
                .collect::<Vec<_>>()
        })
    };
    let plugin_imports = move |path: &str| {
        ready.with(|ready| {
            ready
                .iter()
                .filter(|(part, _)| part.record.with_value(|r| r.renewed_by_plugin))
                .map(|(part, _)| {
                    let (portal, context) = part.record.with_value(|r| {
                        let portal = if r.portal.is_empty() {
                            window().location().origin().unwrap_or_default()
                        } else {
                            r.portal.clone()
                        };
                        (portal, format!("{}@{}", r.username, r.cluster))
                    });
                    format!(
                        "kubectl certdesk import {path} --context {} --portal {}",
                        shell_word(&context),
                        shell_word(&portal)
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let first_context = move || {
        ready.with(|ready| {
            ready.first().map(|(part, _)| {
                part.record
                    .with_value(|r| format!("{}@{}", r.username, r.cluster))
            })
        })
    };
    move || {
        let names = names();
        if names.is_empty() {
            return view! {
                <section class="card" data-testid="merged-waiting">
                    <p>{t!(i18n, batch.made_here)}</p>
                </section>
            }
            .into_any();
        }
        let waiting = waiting();
        let contexts = names
            .iter()
            .map(|n| format!("{username}@{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let imports = plugin_imports(&path);
        let plan = UseItPlan {
            path: path.clone(),
            context: first_context().unwrap_or_default(),
            portal: String::new(),
            plugin: None,
            renewed_by_plugin: false,
        };
        view! {
            <section class="card issued" data-testid="merged">
                <h2>{t!(i18n, batch.heading)}</h2>
                <p data-testid="merged-clusters" data-clusters=names.join(",")>
                    {t!(i18n, batch.contexts, contexts = move || contexts.clone())}
                </p>
                {(!waiting.is_empty()).then(|| {
                    let clusters = waiting.join(", ");
                    view! {
                        <p class="muted" data-testid="merged-pending">
                            {t!(i18n, batch.still_waiting, clusters = move || clusters.clone())}
                        </p>
                    }
                })}
                <div class="actions">
                    <button type="button" class="primary" data-testid="kubeconfig-download" on:click=download.clone()>
                        {t!(i18n, issued.download_kubeconfig)}
                    </button>
                </div>
                {move || saved.get().map(|result| match result {
                    Ok(()) => view! { <p class="muted" data-testid="download-done">{t!(i18n, issued.offered)}</p> }.into_any(),
                    Err(message) => view! { <p class="field-error" data-testid="download-error">{message}</p> }.into_any(),
                })}
                <UseIt plan />
                {(!imports.is_empty()).then(|| view! {
                    <p>{t!(i18n, batch.imports)}</p>
                    {imports.into_iter().map(|command| view! { <CommandLine command testid="plugin-import" /> }).collect_view()}
                })}
            </section>
        }
        .into_any()
    }
}
