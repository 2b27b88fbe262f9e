//! Key pairs and CSRs made in the browser, without freezing the page.
//!
//! [`generate`] is what the pages call; every key is made in a Web Worker. A 2048-bit RSA key takes about a second in WebAssembly and a
//! 4096-bit key several, which would freeze the page on its own thread; the search for
//! its two primes runs in several workers at once, one per processor up to four, and the
//! first two primes found make the key. ECDSA and Ed25519 keys take a millisecond or
//! two, but are made in one worker too: the page's own bundle then links no key, CSR or
//! signature code at all (the request form's first visit is smaller by that much; the
//! form starts the worker as soon as someone types, so the key does not wait for it).
//! [`generate_inline`] makes them on the calling thread, for tests and tools.
//!
//! Progress is reported as [`Phase`]s with the time elapsed; no percentage is given
//! because an RSA prime search takes a random number of attempts. A [`Cancel`] stops the
//! workers at once (they are terminated, so they leave no state behind) and the call returns
//! [`KeyGenError::Cancelled`].
//!
//! The primes and the private key cross between the workers and the page with
//! `postMessage` (in memory, same origin) and nowhere else; only the CSR is ever sent
//! to the server.

pub mod protocol;
#[cfg(target_arch = "wasm32")]
mod worker;
#[cfg(target_arch = "wasm32")]
mod worker_scope;

use std::cell::RefCell;
use std::rc::Rc;

use shared::KeyAlgorithm;
use shared::keys::{GeneratedKey, GenerationStep, Subject};
use zeroize::Zeroizing;

#[cfg(target_arch = "wasm32")]
pub use worker_scope::serve_in_worker;

/// Where the page loads the key-generation worker from: the loader script Trunk writes
/// for the `keygen-worker` binary (`data-loader-shim` in `frontend/index.html`).
pub const WORKER_SCRIPT: &str = "/keygen-worker_loader.js";

/// What a key generation is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The worker's script and WebAssembly are loading.
    StartingWorker,
    /// The key pair is being generated (for RSA, the search for two primes).
    GeneratingKey,
    /// The CSR is being built and signed with the new key.
    SigningCsr,
    /// The key and CSR are ready.
    Done,
}

impl Phase {
    /// Returns what the phase is, for a person, such as "Generating the key…".
    pub fn label(self) -> &'static str {
        match self {
            Self::StartingWorker => "Starting the key generator…",
            Self::GeneratingKey => "Generating the key…",
            Self::SigningCsr => "Signing the certificate signing request…",
            Self::Done => "Done.",
        }
    }
}

/// What a page making a key and sending a request is doing, for its status line (the
/// page words it in its language: `components::progress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A phase of making the key and CSR.
    Key(Phase),
    /// The CSR is on its way.
    Sending,
    /// A key is being made and sent for each of this many clusters.
    SendingEach(usize),
    /// A renewal: the old key signs the proof.
    Proving,
    /// A renewal is on its way.
    SendingRenewal,
}

impl From<GenerationStep> for Phase {
    fn from(step: GenerationStep) -> Self {
        match step {
            GenerationStep::GeneratingKey => Self::GeneratingKey,
            GenerationStep::SigningCsr => Self::SigningCsr,
        }
    }
}

/// A progress report: the phase that just started and the milliseconds since the call
/// began.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// The phase that just started.
    pub phase: Phase,
    /// Milliseconds since the call began (from `performance.now()`).
    pub elapsed_ms: f64,
}

/// Why a key and CSR could not be made in the browser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyGenError {
    /// The caller cancelled; the worker was terminated and nothing was kept.
    #[error("key generation was cancelled")]
    Cancelled,
    /// The browser could not start the worker (no Web Worker support, or its script is
    /// missing).
    #[error("the key generator could not be started: {0}")]
    WorkerUnavailable(String),
    /// The worker stopped with an error (for example, its script failed to load).
    #[error("the key generator stopped with an error: {0}")]
    WorkerFailed(String),
    /// The worker sent a message that is not part of the protocol.
    #[error("the key generator sent an unreadable message: {0}")]
    Protocol(String),
    /// Generating the key or signing the CSR failed.
    #[error("{message}")]
    Generation {
        /// The stable code of `shared::keys::KeyError`, such as `key_generation_failed`.
        code: String,
        /// A message for a person.
        message: String,
    },
}

impl From<shared::keys::KeyError> for KeyGenError {
    fn from(error: shared::keys::KeyError) -> Self {
        Self::Generation {
            code: error.code().to_owned(),
            message: error.to_string(),
        }
    }
}

/// A handle that cancels a running key generation. Clones share the same state; once
/// cancelled it stays cancelled, and a call started with it returns
/// [`KeyGenError::Cancelled`] at once.
#[derive(Clone, Default)]
pub struct Cancel {
    state: Rc<RefCell<CancelState>>,
}

#[derive(Default)]
struct CancelState {
    cancelled: bool,
    on_cancel: Option<Box<dyn FnOnce()>>,
}

impl Cancel {
    /// Returns a handle that has not been cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels the generation this handle was given to: a running worker is
    /// terminated at once.
    pub fn cancel(&self) {
        let on_cancel = {
            let mut state = self.state.borrow_mut();
            state.cancelled = true;
            state.on_cancel.take()
        };
        if let Some(on_cancel) = on_cancel {
            on_cancel();
        }
    }

    /// Returns whether [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.state.borrow().cancelled
    }

    /// Runs `on_cancel` when the handle is cancelled (at once if it already is), until
    /// the returned guard is dropped. (Only the browser's worker needs it.)
    #[cfg(any(target_arch = "wasm32", test))]
    fn register(&self, on_cancel: Box<dyn FnOnce()>) -> CancelRegistration {
        if self.is_cancelled() {
            on_cancel();
        } else {
            self.state.borrow_mut().on_cancel = Some(on_cancel);
        }
        CancelRegistration {
            state: Rc::clone(&self.state),
        }
    }
}

/// Forgets the registered cancel action when the call it belongs to ends.
#[cfg(any(target_arch = "wasm32", test))]
struct CancelRegistration {
    state: Rc<RefCell<CancelState>>,
}

#[cfg(any(target_arch = "wasm32", test))]
impl Drop for CancelRegistration {
    fn drop(&mut self) {
        self.state.borrow_mut().on_cancel = None;
    }
}

/// A key pair a worker made and the CSR it signed. The private key (PKCS#8 PEM) is
/// wiped from memory when dropped; there is no `Debug` and no `Serialize`, so it cannot
/// reach a log or a request body by accident.
pub struct MadeKey {
    /// The algorithm the key pair was made for.
    pub algorithm: KeyAlgorithm,
    /// The certificate signing request, PEM-encoded: public, safe to send.
    pub csr_pem: String,
    private_key_pem: Zeroizing<String>,
}

impl MadeKey {
    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn private_key_pem(&self) -> &str {
        &self.private_key_pem
    }
}

/// Generates the key and CSR on the calling thread, reporting each phase. It cannot be
/// cancelled once started; a handle cancelled beforehand makes it return
/// [`KeyGenError::Cancelled`] without generating anything.
pub fn generate_inline(
    algorithm: KeyAlgorithm,
    subject: &Subject,
    mut on_progress: impl FnMut(Progress),
    cancel: &Cancel,
) -> Result<GeneratedKey, KeyGenError> {
    if cancel.is_cancelled() {
        return Err(KeyGenError::Cancelled);
    }
    let started = now_ms();
    // An RSA key is the workers' prime search ([`generate`]).
    if algorithm.is_rsa() {
        return Err(shared::keys::KeyError::RsaNotHere.into());
    }
    let key = shared::keys::generate_reporting_without_rsa(algorithm, subject, |step| {
        on_progress(Progress {
            phase: step.into(),
            elapsed_ms: now_ms() - started,
        })
    })?;
    on_progress(Progress {
        phase: Phase::Done,
        elapsed_ms: now_ms() - started,
    });
    Ok(key)
}

/// Generates a key pair of `algorithm` and a CSR for `subject` the way the product does:
/// in Web Workers (an RSA key's prime search in up to four at once, any other key in
/// one), which are terminated when the call ends, is cancelled, or its future is dropped.
///
/// `on_progress` hears [`Phase::StartingWorker`] first, then
/// [`Phase::GeneratingKey`] (for RSA, the prime search) and [`Phase::SigningCsr`], then
/// [`Phase::Done`]. Outside a browser it returns [`KeyGenError::WorkerUnavailable`].
pub async fn generate(
    algorithm: KeyAlgorithm,
    subject: &Subject,
    on_progress: impl FnMut(Progress) + 'static,
    cancel: &Cancel,
) -> Result<MadeKey, KeyGenError> {
    if cancel.is_cancelled() {
        return Err(KeyGenError::Cancelled);
    }
    #[cfg(target_arch = "wasm32")]
    {
        worker::generate(algorithm, subject, on_progress, cancel).await
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (algorithm, subject, on_progress);
        Err(KeyGenError::WorkerUnavailable(
            "Web Workers exist only in a browser".to_owned(),
        ))
    }
}

/// Starts the RSA key workers before they are needed, so the key asked for next does
/// not wait for their WebAssembly to load; does nothing outside a browser.
pub fn prestart_rsa_workers() {
    #[cfg(target_arch = "wasm32")]
    worker::prestart(worker::worker_count());
}

/// Starts a key worker for each of `keys` keys before they are needed (the request form
/// calls it when someone starts typing, with one key per chosen cluster): the keys, made
/// at once, then do not wait for a worker's WebAssembly to load. Counts the workers
/// already waiting; does nothing outside a browser.
pub fn prestart_key_workers(keys: usize) {
    #[cfg(target_arch = "wasm32")]
    worker::prestart_each(keys);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = keys;
}

/// Like [`prestart_key_workers`], only once the form has started readying keys (a
/// worker waits): for a choice of clusters that grows after the person started typing.
pub fn top_up_key_workers(keys: usize) {
    #[cfg(target_arch = "wasm32")]
    if worker::waiting() > 0 {
        worker::prestart_each(keys);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = keys;
}

/// How many keys made now would find their workers loaded (0 outside a browser).
pub fn keys_ready() -> usize {
    #[cfg(target_arch = "wasm32")]
    return worker::waiting();
    #[cfg(not(target_arch = "wasm32"))]
    0
}

/// The key worker's files: its loader, the glue the loader imports, its WebAssembly
/// (Trunk names a worker's files without a hash).
#[cfg(target_arch = "wasm32")]
const WORKER_FILES: [&str; 3] = [WORKER_SCRIPT, "/keygen-worker.js", "/keygen-worker_bg.wasm"];

/// Has the browser fetch the key worker's files into its cache ahead of the key, without
/// starting a worker (`<link rel="prefetch">`, once a page): the first visit's form,
/// whose request the status app sends, calls it when someone types, so the key made
/// there does not wait for them.
pub fn prefetch_key_worker() {
    #[cfg(target_arch = "wasm32")]
    {
        thread_local!(static ASKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
        if ASKED.replace(true) {
            return;
        }
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        let Some(head) = document.head() else { return };
        for href in WORKER_FILES {
            if let Ok(link) = document.create_element("link") {
                let _ = link.set_attribute("rel", "prefetch");
                let _ = link.set_attribute("href", href);
                let _ = head.append_child(&link);
            }
        }
    }
}

/// Milliseconds from a fixed origin, from `performance.now()` in the browser.
pub fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()
            .and_then(|window| window.performance())
            .map(|performance| performance.now())
            .unwrap_or_else(js_sys::Date::now)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::sync::OnceLock;
        use std::time::Instant;
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn cancelling_runs_the_registered_action_once_and_sticks() {
        let cancel = Cancel::new();
        let runs = Rc::new(Cell::new(0));
        let counter = Rc::clone(&runs);
        let registration = cancel.register(Box::new(move || counter.set(counter.get() + 1)));
        assert!(!cancel.is_cancelled());
        cancel.clone().cancel();
        cancel.cancel();
        assert_eq!(runs.get(), 1);
        assert!(cancel.is_cancelled());
        drop(registration);
    }

    #[test]
    fn a_finished_call_forgets_its_cancel_action() {
        let cancel = Cancel::new();
        let runs = Rc::new(Cell::new(0));
        let counter = Rc::clone(&runs);
        drop(cancel.register(Box::new(move || counter.set(counter.get() + 1))));
        cancel.cancel();
        assert_eq!(runs.get(), 0);
    }

    #[test]
    fn registering_on_a_cancelled_handle_acts_at_once() {
        let cancel = Cancel::new();
        cancel.cancel();
        let runs = Rc::new(Cell::new(0));
        let counter = Rc::clone(&runs);
        let _registration = cancel.register(Box::new(move || counter.set(counter.get() + 1)));
        assert_eq!(runs.get(), 1);
    }

    #[test]
    fn a_cancelled_handle_stops_inline_generation_before_it_starts() {
        let cancel = Cancel::new();
        cancel.cancel();
        let subject = Subject {
            username: "minjun".into(),
            groups: vec![],
        };
        let result = generate_inline(KeyAlgorithm::EcdsaP256, &subject, |_| {}, &cancel);
        assert_eq!(result.err(), Some(KeyGenError::Cancelled));
    }

    #[test]
    fn inline_generation_reports_every_phase_in_order() {
        let subject = Subject {
            username: "minjun".into(),
            groups: vec!["dev".into()],
        };
        let mut phases = Vec::new();
        let key = generate_inline(
            KeyAlgorithm::Ed25519,
            &subject,
            |p| phases.push(p.phase),
            &Cancel::new(),
        )
        .unwrap();
        assert_eq!(
            phases,
            [Phase::GeneratingKey, Phase::SigningCsr, Phase::Done]
        );
        let info = shared::inspect::inspect_csr(&key.csr_pem).unwrap();
        assert_eq!(info.common_name, "minjun");
    }
}
