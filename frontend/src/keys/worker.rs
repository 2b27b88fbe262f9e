//! The page's side of the key-generation worker: start it, send the request, turn its
//! messages into progress and a result, and terminate it when the call ends.

use futures_channel::mpsc::{UnboundedSender, unbounded};
use futures_util::StreamExt;
use shared::KeyAlgorithm;
use shared::keys::{GeneratedKey, PrivateKey, Subject};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, Event, MessageEvent, Worker};
use zeroize::Zeroizing;

use super::protocol::{Request, Step, WorkerMessage};
use super::{Cancel, KeyGenError, Phase, Progress, WORKER_SCRIPT, now_ms};

/// What the worker (or the cancel handle) did.
enum WorkerEvent {
    Message(JsValue),
    Failed(String),
    Cancelled,
}

/// A running worker and its event handlers; dropping it terminates the worker.
struct RunningWorker {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl RunningWorker {
    fn start(events: &UnboundedSender<WorkerEvent>) -> Result<Self, KeyGenError> {
        let worker = Worker::new(WORKER_SCRIPT)
            .map_err(|e| KeyGenError::WorkerUnavailable(js_message(&e)))?;
        let sender = events.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let _ = sender.unbounded_send(WorkerEvent::Message(event.data()));
        });
        let sender = events.clone();
        let on_error = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            // A script that fails to load raises a plain `Event`; a thrown error an
            // `ErrorEvent` with a message.
            let message = event
                .dyn_ref::<ErrorEvent>()
                .map(ErrorEvent::message)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| format!("the worker script {WORKER_SCRIPT} did not run"));
            let _ = sender.unbounded_send(WorkerEvent::Failed(message));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        worker.set_onmessageerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    }
}

impl Drop for RunningWorker {
    fn drop(&mut self) {
        self.worker.terminate();
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.set_onmessageerror(None);
    }
}

/// Runs one generation in a new worker; see [`super::generate_in_worker`].
pub(super) async fn generate(
    algorithm: KeyAlgorithm,
    subject: &Subject,
    mut on_progress: impl FnMut(Progress) + 'static,
    cancel: &Cancel,
) -> Result<GeneratedKey, KeyGenError> {
    let started = now_ms();
    let mut report = move |phase: Phase| {
        on_progress(Progress {
            phase,
            elapsed_ms: now_ms() - started,
        })
    };
    let request = serde_json::to_string(&Request {
        algorithm,
        username: subject.username.clone(),
        groups: subject.groups.clone(),
    })
    .map_err(|e| KeyGenError::Protocol(e.to_string()))?;

    let (events, mut received) = unbounded();
    report(Phase::StartingWorker);
    let running = RunningWorker::start(&events)?;
    let to_terminate = running.worker.clone();
    let _registration = cancel.register(Box::new(move || {
        // Terminate now, not when the awaiting task next runs: the CPU is freed at once.
        to_terminate.terminate();
        let _ = events.unbounded_send(WorkerEvent::Cancelled);
    }));

    while let Some(event) = received.next().await {
        let data = match event {
            WorkerEvent::Cancelled => return Err(KeyGenError::Cancelled),
            WorkerEvent::Failed(message) => return Err(KeyGenError::WorkerFailed(message)),
            WorkerEvent::Message(data) => data,
        };
        let text = Zeroizing::new(
            data.as_string()
                .ok_or_else(|| KeyGenError::Protocol("a message was not text".to_owned()))?,
        );
        let message: WorkerMessage =
            serde_json::from_str(&text).map_err(|e| KeyGenError::Protocol(e.to_string()))?;
        match message {
            WorkerMessage::Ready => {
                running
                    .worker
                    .post_message(&JsValue::from_str(&request))
                    .map_err(|e| KeyGenError::WorkerFailed(js_message(&e)))?;
            }
            WorkerMessage::Step { step } => report(match step {
                Step::GeneratingKey => Phase::GeneratingKey,
                Step::SigningCsr => Phase::SigningCsr,
            }),
            WorkerMessage::Done {
                algorithm: made,
                csr_pem,
                private_key_pem,
            } => {
                if made != algorithm {
                    return Err(KeyGenError::Protocol(format!(
                        "asked for {}, received {}",
                        algorithm.label(),
                        made.label()
                    )));
                }
                // Reading the key back checks it is a usable PKCS#8 key.
                let private_key = PrivateKey::from_pkcs8_pem(&private_key_pem)
                    .map_err(|e| KeyGenError::Protocol(e.to_string()))?;
                report(Phase::Done);
                return Ok(GeneratedKey {
                    algorithm,
                    csr_pem,
                    private_key,
                });
            }
            WorkerMessage::Failed { code, message } => {
                return Err(KeyGenError::Generation { code, message });
            }
        }
    }
    Err(KeyGenError::WorkerFailed(
        "the worker stopped without an answer".to_owned(),
    ))
}

/// The message of a thrown JavaScript value, or its string form.
pub(super) fn js_message(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
