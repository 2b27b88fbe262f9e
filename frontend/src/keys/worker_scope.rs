//! The worker's side: it answers each [`Job`]: a prime for the page to collect, the
//! key and CSR made from two primes, or a whole ECDSA or Ed25519 key and its CSR (or why
//! it could not).

use shared::keys::{GenerationStep, Subject};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};
use zeroize::Zeroizing;

use super::protocol::{Job, Request, WorkerMessage};

/// Makes the current Web Worker a key generator and tells the page it is ready. The
/// `keygen-worker` binary calls it; it does nothing useful on a page's main thread.
pub fn serve_in_worker() {
    console_error_panic_hook::set_once();
    let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else {
        web_sys::console::error_1(&"the key generator must run in a dedicated worker".into());
        return;
    };
    let replies = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        answer(&replies, &event);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(&scope, &WorkerMessage::Ready);
}

fn answer(scope: &DedicatedWorkerGlobalScope, event: &MessageEvent) {
    let job = event
        .data()
        .as_string()
        .map(Zeroizing::new)
        .ok_or_else(|| "the job was not text".to_owned())
        .and_then(|text| serde_json::from_str::<Job>(&text).map_err(|e| e.to_string()));
    let failed = |code: &str, message: String| WorkerMessage::Failed {
        code: code.to_owned(),
        message,
    };
    let reply = match job {
        Err(message) => failed("bad_request", message),
        Ok(Job::Prime { modulus_bits }) if [2048, 3072, 4096].contains(&modulus_bits) => {
            WorkerMessage::Prime {
                prime: shared::rsa_primes::prime(modulus_bits),
            }
        }
        Ok(Job::Prime { modulus_bits }) => failed(
            "bad_request",
            format!("no RSA modulus of {modulus_bits} bits is made here"),
        ),
        Ok(Job::Make { request }) => make(scope, request),
        Ok(Job::Assemble { request, p, q }) => {
            post(
                scope,
                &WorkerMessage::Step {
                    step: GenerationStep::SigningCsr.into(),
                },
            );
            let subject = Subject {
                username: request.username,
                groups: request.groups,
            };
            match shared::rsa_primes::key_from_primes(request.algorithm, &subject, &p, &q) {
                Ok(key) => WorkerMessage::Done {
                    algorithm: key.algorithm,
                    csr_pem: key.csr_pem,
                    private_key_pem: Zeroizing::new(key.private_key.pkcs8_pem().to_owned()),
                },
                Err(error) => failed(error.code(), error.to_string()),
            }
        }
    };
    post(scope, &reply);
}

/// Makes a key that needs no prime search, announcing each step.
fn make(scope: &DedicatedWorkerGlobalScope, request: Request) -> WorkerMessage {
    let subject = Subject {
        username: request.username,
        groups: request.groups,
    };
    let made = shared::keys::generate_reporting_without_rsa(request.algorithm, &subject, |step| {
        post(scope, &WorkerMessage::Step { step: step.into() });
    });
    match made {
        Ok(key) => WorkerMessage::Done {
            algorithm: key.algorithm,
            csr_pem: key.csr_pem,
            private_key_pem: Zeroizing::new(key.private_key.pkcs8_pem().to_owned()),
        },
        Err(error) => WorkerMessage::Failed {
            code: error.code().to_owned(),
            message: error.to_string(),
        },
    }
}

fn post(scope: &DedicatedWorkerGlobalScope, message: &WorkerMessage) {
    let text = match serde_json::to_string(message) {
        Ok(text) => Zeroizing::new(text),
        Err(error) => {
            web_sys::console::error_1(&format!("cannot encode a reply: {error}").into());
            return;
        }
    };
    if let Err(error) = scope.post_message(&JsValue::from_str(&text)) {
        web_sys::console::error_1(&error);
    }
}
