//! The approvers' stream of changes (`GET /api/v1/admin/requests/changes`), read with
//! `fetch` rather than `EventSource` because it must carry the approver's token in the
//! `Authorization` header (a token never goes into a URL). The stream holds no request
//! data: each `changed` event only says "fetch your page again".

use futures_util::StreamExt;
use gloo_net::http::Request;
use shared::{ApiError, ErrorCode};
use wasm_bindgen::JsCast;

/// How a stream of changes ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The server closed it (its five minutes were up, or it is stopping): reconnect.
    Closed,
    /// It was aborted from this side (the page was left).
    Aborted,
}

/// Opens the stream with `token`, calls `on_open` once it is accepted and `on_change`
/// for each `changed` event until the stream ends or `abort` fires; the server's refusal
/// is an `ApiError`.
pub async fn follow(
    token: &str,
    abort: &web_sys::AbortSignal,
    on_open: impl FnOnce(),
    mut on_change: impl FnMut(),
) -> Result<Ended, ApiError> {
    let response = Request::get("/api/v1/admin/requests/changes")
        .header("Authorization", &format!("Bearer {token}"))
        .header("Accept", "text/event-stream")
        .abort_signal(Some(abort))
        .send()
        .await
        .map_err(super::unreachable)?;
    if !response.ok() {
        return Err(super::decode::<()>(response)
            .await
            .err()
            .unwrap_or_else(|| ApiError::new(ErrorCode::Unknown, "The stream was refused.")));
    }
    let Some(body) = response.body() else {
        return Ok(Ended::Closed);
    };
    on_open();
    let mut chunks = wasm_streams::ReadableStream::from_raw(body.unchecked_into()).into_stream();
    let mut buffer = String::new();
    while let Some(chunk) = chunks.next().await {
        let Ok(chunk) = chunk else {
            return Ok(if abort.aborted() {
                Ended::Aborted
            } else {
                Ended::Closed
            });
        };
        let bytes = js_sys::Uint8Array::new(&chunk).to_vec();
        buffer.push_str(&String::from_utf8_lossy(&bytes));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            match event_name(&event) {
                Some("changed") => on_change(),
                Some("closing") => return Ok(Ended::Closed),
                _ => {}
            }
        }
        // A stream that never ends an event must not grow without bound.
        if buffer.len() > 64 * 1024 {
            return Ok(Ended::Closed);
        }
    }
    Ok(Ended::Closed)
}

/// The `event:` field of one server-sent event.
pub fn event_name(event: &str) -> Option<&str> {
    event
        .lines()
        .find_map(|line| line.strip_prefix("event:"))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::event_name;

    #[test]
    fn events_are_told_by_their_name_and_comments_by_none() {
        assert_eq!(event_name("event: changed\ndata: 3\n\n"), Some("changed"));
        assert_eq!(
            event_name("event:closing\nretry: 1000\ndata: x\n\n"),
            Some("closing")
        );
        assert_eq!(event_name(": keep-alive\n\n"), None);
    }
}
