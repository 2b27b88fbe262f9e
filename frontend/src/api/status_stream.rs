//! A request's live status for the requester's page: its event stream first
//! (`EventSource`, `GET /api/v1/requests/{id}/events`), polling
//! `GET /api/v1/requests/{id}` once the stream fails, until a final phase.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{ApiError, ErrorCode, RequestStatus};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// How often the status is fetched when the event stream is not available.
const POLL_MS: i32 = 4000;

/// Follows a request: the event stream first, polling once it fails. Stopped (and its
/// callbacks released) when the page goes away.
pub struct Follower {
    source: Option<web_sys::EventSource>,
    alive: Rc<Cell<bool>>,
    _on_status: Option<Closure<dyn FnMut(web_sys::MessageEvent)>>,
    _on_error: Option<Closure<dyn FnMut(web_sys::Event)>>,
}

impl Follower {
    /// Stops following: the stream is closed and polling ends.
    pub fn stop(self) {
        self.alive.set(false);
        if let Some(source) = &self.source {
            source.close();
        }
    }
}

pub fn follow(
    portal: String,
    id: String,
    status: RwSignal<Option<RequestStatus>>,
    error: RwSignal<Option<ApiError>>,
    live: RwSignal<bool>,
) -> Follower {
    let alive = Rc::new(Cell::new(true));
    let polling = Rc::new(Cell::new(false));
    let start_polling = {
        let alive = Rc::clone(&alive);
        let id = id.clone();
        let portal = portal.clone();
        move || {
            if polling.replace(true) {
                return;
            }
            live.try_set(false);
            spawn_local(poll(
                portal.clone(),
                id.clone(),
                Rc::clone(&alive),
                status,
                error,
            ));
        }
    };
    let Ok(source) = web_sys::EventSource::new(&super::request_url(&portal, &id, "/events")) else {
        start_polling();
        return Follower {
            source: None,
            alive,
            _on_status: None,
            _on_error: None,
        };
    };
    let on_status = {
        let source = source.clone();
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let Some(data) = event.data().as_string() else {
                return;
            };
            if let Ok(next) = serde_json::from_str::<RequestStatus>(&data) {
                if next.phase.is_final() {
                    source.close();
                }
                status.try_set(Some(next));
                error.try_set(None);
            }
        })
    };
    let on_error = {
        let source = source.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            source.close();
            let done = status
                .try_with_untracked(|s| s.as_ref().is_some_and(|s| s.phase.is_final()))
                .unwrap_or(true);
            if !done {
                start_polling();
            }
        })
    };
    let _ = source.add_event_listener_with_callback("status", on_status.as_ref().unchecked_ref());
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Follower {
        source: Some(source),
        alive,
        _on_status: Some(on_status),
        _on_error: Some(on_error),
    }
}

async fn poll(
    portal: String,
    id: String,
    alive: Rc<Cell<bool>>,
    status: RwSignal<Option<RequestStatus>>,
    error: RwSignal<Option<ApiError>>,
) {
    while alive.get() {
        match super::request_status(&portal, &id).await {
            Ok(next) => {
                let done = next.phase.is_final();
                status.try_set(Some(next));
                error.try_set(None);
                if done {
                    return;
                }
            }
            Err(e) => {
                let stop = matches!(e.code, ErrorCode::NotFound | ErrorCode::BadRequest);
                error.try_set(Some(e));
                if stop {
                    return;
                }
            }
        }
        sleep(POLL_MS).await;
    }
}

/// Sleeps `ms` milliseconds on the browser's timer.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
