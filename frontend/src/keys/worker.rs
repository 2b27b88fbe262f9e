//! The page's side of the key-generation workers: an RSA key's two primes are searched
//! for in several workers at once (`navigator.hardwareConcurrency`, at most
//! [`MAX_WORKERS`]); the first two primes that arrive are kept, the other workers are
//! terminated at once, and one worker makes the key and its CSR from the two. Any other
//! key is made whole by the first worker ready. Every worker is terminated when the
//! call ends, is cancelled, or its future is dropped.

use std::cell::RefCell;

use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures_util::StreamExt;
use shared::KeyAlgorithm;
use shared::keys::Subject;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, Event, MessageEvent, Worker};
use zeroize::Zeroizing;

use super::protocol::{Job, Request, Step, WorkerMessage};
use super::{Cancel, KeyGenError, MadeKey, Phase, Progress, WORKER_SCRIPT, now_ms};

/// The most workers one key's prime search runs in.
pub const MAX_WORKERS: usize = 4;

/// What a worker (or the cancel handle) did; worker events carry the worker's index.
enum WorkerEvent {
    Message(usize, JsValue),
    Failed(usize, String),
    Cancelled,
}

/// A running worker and its event handlers; dropping it terminates the worker.
struct RunningWorker {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl RunningWorker {
    fn start(index: usize, events: &UnboundedSender<WorkerEvent>) -> Result<Self, KeyGenError> {
        let worker = Worker::new(WORKER_SCRIPT)
            .map_err(|e| KeyGenError::WorkerUnavailable(js_message(&e)))?;
        let sender = events.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let _ = sender.unbounded_send(WorkerEvent::Message(index, event.data()));
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
            let _ = sender.unbounded_send(WorkerEvent::Failed(index, message));
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

    fn send(&self, job: &Job) -> Result<(), KeyGenError> {
        let text = Zeroizing::new(
            serde_json::to_string(job).map_err(|e| KeyGenError::Protocol(e.to_string()))?,
        );
        self.worker
            .post_message(&JsValue::from_str(&text))
            .map_err(|e| KeyGenError::WorkerFailed(js_message(&e)))
    }
}

/// How many workers search for primes: the browser's logical processors, 1 to
/// [`MAX_WORKERS`].
pub fn worker_count() -> usize {
    let cores = web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .unwrap_or(1.0);
    (cores as usize).clamp(1, MAX_WORKERS)
}

impl Drop for RunningWorker {
    fn drop(&mut self) {
        self.worker.terminate();
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.set_onmessageerror(None);
    }
}

/// Workers started together, and the channel of their events.
struct Pool {
    workers: Vec<Option<RunningWorker>>,
    events: UnboundedSender<WorkerEvent>,
    received: UnboundedReceiver<WorkerEvent>,
}

impl Pool {
    fn start(count: usize) -> Result<Self, KeyGenError> {
        let (events, received) = unbounded();
        let workers = (0..count)
            .map(|index| RunningWorker::start(index, &events).map(Some))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            workers,
            events,
            received,
        })
    }
}

thread_local! {
    /// Pools of workers started ahead of keys ([`prestart`], [`prestart_each`]), each
    /// waiting for its first job.
    static WAITING: RefCell<Vec<Pool>> = const { RefCell::new(Vec::new()) };
}

/// Starts `count` key workers now in one pool (or as many more as make `count` with
/// those already waiting in the first), so a key asked for later does not wait for their
/// WebAssembly to load (the request form calls it when an RSA algorithm is chosen: the
/// prime search takes the whole pool). They hold no secret until given a job; the next
/// key takes them.
pub fn prestart(count: usize) {
    WAITING.with(|waiting| {
        let mut waiting = waiting.borrow_mut();
        match waiting.first_mut() {
            None => waiting.extend(Pool::start(count).ok()),
            Some(pool) => {
                for index in pool.workers.len()..count {
                    match RunningWorker::start(index, &pool.events) {
                        Ok(worker) => pool.workers.push(Some(worker)),
                        Err(_) => break,
                    }
                }
            }
        }
    });
}

/// Has `keys` pools of one worker each wait (counting the pools already waiting), so
/// that many keys made at once (one per chosen cluster) each find a worker loaded: the
/// request form calls it when someone types, with the number of clusters chosen.
pub fn prestart_each(keys: usize) {
    WAITING.with(|waiting| {
        let mut waiting = waiting.borrow_mut();
        while waiting.len() < keys {
            match Pool::start(1) {
                Ok(pool) => waiting.push(pool),
                Err(_) => break,
            }
        }
    });
}

/// How many keys would find workers waiting (each waiting pool makes one key).
pub fn waiting() -> usize {
    WAITING.with(|waiting| waiting.borrow().len())
}

/// A waiting pool (for an RSA key, `count` > 1, the largest; for any other key the
/// smallest, so the RSA pool stays for an RSA key), or `count` new workers.
fn take_pool(count: usize) -> Result<Pool, KeyGenError> {
    let waiting = WAITING.with(|waiting| {
        let mut waiting = waiting.borrow_mut();
        let sizes = waiting.iter().map(|pool| pool.workers.len()).enumerate();
        let index = if count > 1 {
            sizes.max_by_key(|&(_, size)| size)
        } else {
            sizes.min_by_key(|&(_, size)| size)
        }
        .map(|(index, _)| index);
        index.map(|index| waiting.swap_remove(index))
    });
    match waiting {
        Some(pool) => Ok(pool),
        None => Pool::start(count),
    }
}

/// Makes a key and CSR: an RSA key with the prime search spread over
/// [`worker_count`] workers (the ones [`prestart`] started, if any), any other key by
/// the first worker ready; see [`super::generate`].
pub(super) async fn generate(
    algorithm: KeyAlgorithm,
    subject: &Subject,
    mut on_progress: impl FnMut(Progress) + 'static,
    cancel: &Cancel,
) -> Result<MadeKey, KeyGenError> {
    let modulus_bits = shared::rsa_primes::modulus_bits(algorithm);
    let started = now_ms();
    let mut report = move |phase: Phase| {
        on_progress(Progress {
            phase,
            elapsed_ms: now_ms() - started,
        })
    };
    report(Phase::StartingWorker);
    let Pool {
        mut workers,
        events,
        mut received,
    } = take_pool(if modulus_bits.is_some() {
        worker_count()
    } else {
        1
    })?;
    let to_terminate: Vec<Worker> = workers.iter().flatten().map(|w| w.worker.clone()).collect();
    let _registration = cancel.register(Box::new(move || {
        // Terminate now, not when the awaiting task next runs: the CPUs are freed at once.
        for worker in &to_terminate {
            worker.terminate();
        }
        let _ = events.unbounded_send(WorkerEvent::Cancelled);
    }));
    let request = Request {
        algorithm,
        username: subject.username.clone(),
        groups: subject.groups.clone(),
    };
    let mut primes: Vec<Zeroizing<String>> = Vec::with_capacity(2);
    let mut searching = false;

    while let Some(event) = received.next().await {
        let (index, data) = match event {
            WorkerEvent::Cancelled => return Err(KeyGenError::Cancelled),
            // A worker already let go may report its end; that is not this call's failure.
            WorkerEvent::Failed(index, _) if workers.get(index).is_none_or(Option::is_none) => {
                continue;
            }
            WorkerEvent::Failed(_, message) => return Err(KeyGenError::WorkerFailed(message)),
            WorkerEvent::Message(index, data) => (index, data),
        };
        if workers.get(index).is_none_or(Option::is_none) {
            continue; // a worker already let go
        }
        let text = Zeroizing::new(
            data.as_string()
                .ok_or_else(|| KeyGenError::Protocol("a message was not text".to_owned()))?,
        );
        let message: WorkerMessage =
            serde_json::from_str(&text).map_err(|e| KeyGenError::Protocol(e.to_string()))?;
        match message {
            WorkerMessage::Ready => match modulus_bits {
                Some(modulus_bits) => {
                    if !searching {
                        searching = true;
                        report(Phase::GeneratingKey);
                    }
                    send(&workers, index, &Job::Prime { modulus_bits })?;
                }
                // The first worker ready makes the whole key; the others go.
                None if !searching => {
                    searching = true;
                    keep_only(&mut workers, index);
                    let request = request.clone();
                    send(&workers, index, &Job::Make { request })?;
                }
                None => {}
            },
            WorkerMessage::Prime { prime } => {
                let Some(modulus_bits) = modulus_bits else {
                    return Err(KeyGenError::Protocol("a prime nobody asked for".to_owned()));
                };
                primes.push(prime);
                if primes.len() < 2 {
                    // Keep this worker searching too (the only one, on one core).
                    send(&workers, index, &Job::Prime { modulus_bits })?;
                    continue;
                }
                // Two primes: the others stop now; this worker makes the key.
                keep_only(&mut workers, index);
                let (q, p) = (primes.remove(1), primes.remove(0));
                let request = request.clone();
                send(&workers, index, &Job::Assemble { request, p, q })?;
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
                if !private_key_pem.starts_with("-----BEGIN PRIVATE KEY-----") {
                    return Err(KeyGenError::Protocol(
                        "the worker's key is not PKCS#8 PEM".to_owned(),
                    ));
                }
                report(Phase::Done);
                return Ok(MadeKey {
                    algorithm,
                    csr_pem,
                    private_key_pem,
                });
            }
            WorkerMessage::Failed { code, message } => {
                return Err(KeyGenError::Generation { code, message });
            }
        }
    }
    Err(KeyGenError::WorkerFailed(
        "the workers stopped without an answer".to_owned(),
    ))
}

/// Sends `job` to the worker at `index`, if it is still running.
fn send(workers: &[Option<RunningWorker>], index: usize, job: &Job) -> Result<(), KeyGenError> {
    match workers.get(index).and_then(Option::as_ref) {
        Some(worker) => worker.send(job),
        None => Ok(()),
    }
}

/// Lets every worker but the one at `index` go (each is terminated as it drops).
fn keep_only(workers: &mut [Option<RunningWorker>], index: usize) {
    for (other, slot) in workers.iter_mut().enumerate() {
        if other != index {
            *slot = None;
        }
    }
}

/// The message of a thrown JavaScript value, or its string form.
pub(super) fn js_message(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
