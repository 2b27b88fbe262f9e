//! Sending the form: one key and one CSR per chosen cluster (so one cluster's renewal
//! or removal never touches another's credential), each CSR to that cluster's CertDesk,
//! all at once; each key kept in this browser under its request id.

use leptos::prelude::*;

use crate::keys::Step;
use shared::keys::Subject;
use shared::{ApiError, ErrorCode, KeyAlgorithm, SubmitRequest};

use crate::api;
use crate::components::time;
use crate::keys::{self, Cancel};
use crate::submission::{Destination, Failure, keep_key};

/// A cluster the form sends to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendTo {
    /// The cluster's name.
    pub name: String,
    /// Its CertDesk's origin; empty for this one.
    pub portal: String,
}

/// What one submission of the form carries to [`submit`].
#[derive(Clone)]
pub struct Submission {
    pub algorithm: KeyAlgorithm,
    pub subject: Subject,
    pub seconds: u32,
    pub note: String,
    pub invite: Option<String>,
    pub cancel: Cancel,
    pub renewed_by_plugin: bool,
    /// The clusters chosen, this one first when chosen; never empty.
    pub targets: Vec<SendTo>,
}

/// Sends the submission to every chosen cluster at once; answers the first request id
/// that was made (its status page shows every part), or what stopped all of them. The
/// clusters that could not take it are kept for the status page to name
/// ([`unsent`]).
pub async fn submit(
    input: Submission,
    progress: RwSignal<Option<Step>>,
) -> Result<String, Failure> {
    if let [target] = input.targets.as_slice() {
        let destination = Destination {
            portal: target.portal.clone(),
            cluster: target.name.clone(),
            batch: None,
            part: 0,
        };
        return send_one(&input, destination, Some(progress)).await;
    }
    progress.try_set(Some(Step::SendingEach(input.targets.len())));
    let batch = batch_id();
    let sends = input.targets.iter().zip(0..).map(|(target, part)| {
        let destination = Destination {
            portal: target.portal.clone(),
            cluster: target.name.clone(),
            batch: Some(batch.clone()),
            part,
        };
        send_one(&input, destination, None)
    });
    let outcomes = futures_util::future::join_all(sends).await;
    let mut made = None;
    let mut unsent = Vec::new();
    for (target, outcome) in input.targets.iter().zip(outcomes) {
        match outcome {
            Ok(id) => {
                made.get_or_insert(id);
            }
            Err(failure) => unsent.push((target.name.clone(), failure)),
        }
    }
    match made {
        Some(id) => {
            keep_unsent(&batch, &unsent);
            Ok(id)
        }
        None => Err(Failure::Several(unsent)),
    }
}

/// Makes one key and CSR, sends the CSR to `destination`'s CertDesk, keeps the key.
async fn send_one(
    input: &Submission,
    destination: Destination,
    progress: Option<RwSignal<Option<Step>>>,
) -> Result<String, Failure> {
    let key = keys::generate(
        input.algorithm,
        &input.subject,
        move |p| {
            if let Some(progress) = progress {
                progress.try_set(Some(Step::Key(p.phase)));
            }
        },
        &input.cancel,
    )
    .await
    .map_err(Failure::KeyGen)?;
    if let Some(progress) = progress {
        progress.try_set(Some(Step::Sending));
    }
    let body = SubmitRequest {
        csr_pem: key.csr_pem.clone(),
        expiration_seconds: input.seconds,
        note: (!input.note.is_empty()).then(|| input.note.clone()),
        invite: input.invite.clone(),
    };
    let ticket = api::submit(&destination.portal, &body)
        .await
        .map_err(Failure::Server)?;
    if !plausible_id(&ticket.id.0) {
        return Err(Failure::Server(ApiError::new(
            ErrorCode::Internal,
            format!(
                "The CertDesk of {} answered with a request id CertDesk does not make.",
                destination.cluster
            ),
        )));
    }
    keep_key(
        ticket.id.0,
        &key,
        input.subject.clone(),
        input.renewed_by_plugin,
        destination,
    )
    .await
}

/// Whether `id` has the shape of a CertDesk request id (`certdesk-` and lower-case
/// letters, digits and dashes): a peer's answer is checked before it keys a record.
pub fn plausible_id(id: &str) -> bool {
    id.len() <= 253
        && id.strip_prefix("certdesk-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// A new submission's id: the time and a random part.
fn batch_id() -> String {
    let random = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    format!("{}-{random:08x}", time::now_ms() as u64)
}

/// The session-storage key of a submission's unsent parts.
fn unsent_key(batch: &str) -> String {
    format!("certdesk.unsent.{batch}")
}

/// Keeps, for this tab's status page, which clusters did not take the submission and
/// why (the words only: nothing secret is in them).
fn keep_unsent(batch: &str, unsent: &[(String, Failure)]) {
    if unsent.is_empty() {
        return;
    }
    let words: Vec<(String, String)> = unsent
        .iter()
        .map(|(cluster, failure)| (cluster.clone(), failure.words()))
        .collect();
    if let (Ok(text), Some(storage)) = (
        serde_json::to_string(&words),
        window().session_storage().ok().flatten(),
    ) {
        let _ = storage.set_item(&unsent_key(batch), &text);
    }
}

/// The clusters that did not take the submission `batch`, and why (kept in this tab).
pub fn unsent(batch: &str) -> Vec<(String, String)> {
    window()
        .session_storage()
        .ok()
        .flatten()
        .and_then(|storage| storage.get_item(&unsent_key(batch)).ok().flatten())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::plausible_id;

    #[test]
    fn only_ids_certdesk_makes_key_a_stored_record() {
        assert!(plausible_id("certdesk-minjun-x7k2p"));
        for id in [
            "",
            "certdesk-",
            "certdesk-../../x",
            "certdesk-Minjun",
            "other-minjun",
            "certdesk-a\u{0}",
            &format!("certdesk-{}", "a".repeat(300)),
        ] {
            assert!(!plausible_id(id), "{id:?}");
        }
    }
}
