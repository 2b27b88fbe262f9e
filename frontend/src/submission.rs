//! What a submission needs beyond its page: an attempt's state on the page that sends
//! it ([`Attempt`]), what can stop it ([`Failure`], shown by [`FailurePanel`]) and keeping
//! the new key in this browser ([`keep_key`]). The request form, the sending page and the
//! renewal on the file tools' page submit.

use leptos::prelude::*;
use shared::ApiError;
use shared::keys::Subject;
use zeroize::Zeroizing;

use crate::components::download;
use crate::components::error_panel::ErrorPanel;
use crate::components::time;
use crate::i18n::{t, use_i18n};
use crate::keys::{Cancel, KeyGenError, Step};
use crate::store::{StoredKey, with_store};

/// A submission's state on the page that sends it (the whole form, the sending page):
/// its progress, what stopped it, and the handle that cancels the attempt under way.
#[derive(Clone, Copy)]
pub struct Attempt {
    pub progress: RwSignal<Option<Step>>,
    pub failure: RwSignal<Option<Failure>>,
    cancel: StoredValue<Option<Cancel>, LocalStorage>,
}

impl Default for Attempt {
    fn default() -> Self {
        Self {
            progress: RwSignal::new(None),
            failure: RwSignal::new(None),
            cancel: StoredValue::new_local(None),
        }
    }
}

impl Attempt {
    /// Starts an attempt: the last one's failure and progress go; answers its cancel
    /// handle.
    pub fn begin(&self) -> Cancel {
        let handle = Cancel::new();
        self.cancel.set_value(Some(handle.clone()));
        self.failure.set(None);
        self.progress.set(None);
        handle
    }

    /// Cancels the attempt under way, if any.
    pub fn cancel(&self) {
        self.cancel.with_value(|handle| {
            if let Some(handle) = handle {
                handle.cancel();
            }
        });
    }

    /// Ends the attempt with its `outcome`: a made request clears the form's draft and
    /// `open` shows its page (the address [`crate::handoff::request_page`] gives); a
    /// failure is kept for its panel.
    pub fn settle(&self, outcome: Result<String, Failure>, open: impl FnOnce(&str)) {
        self.cancel.set_value(None);
        self.progress.set(None);
        match outcome {
            Ok(request_id) => {
                crate::draft::clear();
                open(&crate::handoff::request_page(&request_id));
            }
            Err(error) => self.failure.set(Some(error)),
        }
    }
}

/// What stopped a submission.
#[derive(Clone)]
pub enum Failure {
    /// The server refused it (or could not be reached).
    Server(ApiError),
    /// The key could not be made.
    KeyGen(KeyGenError),
    /// The request was made, but this browser could not keep its key.
    NotStored {
        /// The request that was made.
        request_id: String,
        /// Why the key could not be kept.
        reason: String,
    },
    /// Sent to several clusters, no cluster took it: each cluster and what stopped it.
    Several(Vec<(String, Failure)>),
}

impl Failure {
    /// What stopped it, in words.
    pub fn words(&self) -> String {
        match self {
            Self::Server(error) => error.message.clone(),
            Self::KeyGen(error) => format!("the key could not be made in this browser: {error}"),
            Self::NotStored { reason, .. } => {
                format!("this browser could not keep the private key: {reason}")
            }
            Self::Several(parts) => parts
                .iter()
                .map(|(cluster, failure)| format!("{cluster}: {}", failure.words()))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    /// Whether sending again may help (the server was not reached or asked to wait).
    fn retryable(&self) -> bool {
        match self {
            Self::Server(error) => error.code.retryable(),
            Self::Several(parts) => parts.iter().any(|(_, failure)| failure.retryable()),
            _ => false,
        }
    }
}

/// What stopped a submission, and what to do about it; `retry` sends the form again
/// (offered when the server was not reached or asked to come back later).
#[component]
pub fn FailurePanel(failure: Failure, retry: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let again = failure.retryable();
    let said = match failure {
        Failure::Server(error) => view! {
            <div data-testid="request-error"><ErrorPanel error /></div>
        }
        .into_any(),
        Failure::Several(parts) => view! {
            <div class="card error" role="alert" data-testid="request-error">
                <p>{t!(i18n, failure.no_cluster)}</p>
                <ul>
                    {parts.into_iter().map(|(cluster, failure)| {
                        let label = cluster.clone();
                        view! {
                            <li data-testid="unsent-cluster" data-cluster=label>
                                <strong>{cluster}</strong> ": " {failure.words()}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        }
        .into_any(),
        Failure::KeyGen(KeyGenError::Cancelled) => view! {
            <p class="muted" data-testid="request-error">{t!(i18n, failure.cancelled)}</p>
        }
        .into_any(),
        Failure::KeyGen(error) => {
            let why = error.to_string();
            view! {
                <div class="card error" role="alert" data-testid="request-error">
                    <p>{t!(i18n, failure.key_not_made, why = move || why.clone())}</p>
                </div>
            }
            .into_any()
        }
        Failure::NotStored { request_id, reason } => {
            let href = format!(
                "/requests/{}",
                String::from(js_sys::encode_uri_component(&request_id))
            );
            view! {
                <div class="card error" role="alert" data-testid="request-error">
                    <p>{t!(i18n, failure.not_kept, why = move || reason.clone())}</p>
                    <p>{t!(i18n, failure.save_key)}</p>
                    // The status page may be another app's (the file tools renew too).
                    <p><a href=href rel="external">{t!(i18n, failure.follow)}</a></p>
                </div>
            }
            .into_any()
        }
    };
    view! {
        {said}
        {again.then(|| view! {
            <button type="button" class="secondary" data-testid="retry-submit"
                on:click=move |_| retry.run(())>
                {t!(i18n, failure.try_again)}
            </button>
        })}
    }
}

/// Where a request was sent: which CertDesk and cluster, and the submission it was part
/// of when one form went to several clusters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Destination {
    /// The CertDesk's origin; empty for this one.
    pub portal: String,
    /// The cluster's name.
    pub cluster: String,
    /// The submission's id, shared by its parts.
    pub batch: Option<String>,
    /// Its place among the submission's parts.
    pub part: u32,
}

/// Keeps a new key in this browser under its request id, so the status page (now, or
/// after a reload or another day) can assemble the kubeconfig; returns the request id.
/// When the browser cannot keep it, the key is offered as a download at once.
pub async fn keep_key(
    request_id: String,
    key: &crate::keys::MadeKey,
    subject: Subject,
    renewed_by_plugin: bool,
    destination: Destination,
) -> Result<String, Failure> {
    let record = StoredKey {
        request_id,
        private_key_pem: Zeroizing::new(key.private_key_pem().to_owned()),
        algorithm: key.algorithm,
        username: subject.username,
        groups: subject.groups,
        created_ms: time::now_ms(),
        kubeconfig_downloaded: false,
        renewed_by_plugin,
        portal: destination.portal,
        cluster: destination.cluster,
        batch: destination.batch,
        part: destination.part,
    };
    let stored = with_store(async |store| store.put(&record).await).await;
    if let Err(error) = stored {
        // The key would be lost on the next page: hand it over at once instead.
        let _ = download::save_text(
            &key_file_name(&record.username),
            &record.private_key_pem,
            "application/x-pem-file",
        );
        return Err(Failure::NotStored {
            request_id: record.request_id,
            reason: error.to_string(),
        });
    }
    Ok(record.request_id)
}

/// The file name the private key is saved under.
pub fn key_file_name(username: &str) -> String {
    format!("{}.key.pem", download::file_name_part(username))
}
