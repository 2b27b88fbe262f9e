//! The worker's side: it answers one [`Request`] per message with the steps it starts
//! and then the key and CSR (or why they could not be made).

use shared::keys::Subject;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};
use zeroize::Zeroizing;

use super::protocol::{Request, WorkerMessage};

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
    let request = event
        .data()
        .as_string()
        .ok_or_else(|| "the request was not text".to_owned())
        .and_then(|text| serde_json::from_str::<Request>(&text).map_err(|e| e.to_string()));
    let request = match request {
        Ok(request) => request,
        Err(message) => {
            post(
                scope,
                &WorkerMessage::Failed {
                    code: "bad_request".to_owned(),
                    message,
                },
            );
            return;
        }
    };
    let subject = Subject {
        username: request.username,
        groups: request.groups,
    };
    let result = shared::keys::generate_reporting(request.algorithm, &subject, |step| {
        post(scope, &WorkerMessage::Step { step: step.into() })
    });
    match result {
        Ok(key) => post(
            scope,
            &WorkerMessage::Done {
                algorithm: key.algorithm,
                csr_pem: key.csr_pem,
                private_key_pem: Zeroizing::new(key.private_key.pkcs8_pem().to_owned()),
            },
        ),
        Err(error) => post(
            scope,
            &WorkerMessage::Failed {
                code: error.code().to_owned(),
                message: error.to_string(),
            },
        ),
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
