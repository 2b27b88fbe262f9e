//! What the browser received, read from chromedriver's performance log (DevTools
//! `Network.responseReceived` and `Network.loadingFinished`): each response's URL,
//! status, headers, whether it came from the browser's cache, and the bytes it took on
//! the wire (`encodedDataLength`, as Chromium's own network panel counts them).

use std::collections::HashMap;

use anyhow::Result;
use serde_json::Value;

use crate::browser::Browser;

/// One response the page received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    /// The URL requested.
    pub url: String,
    /// The HTTP status.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// Whether the browser's memory or disk cache answered, with no request sent.
    pub from_cache: bool,
    /// Bytes on the wire, headers included (0 from the cache).
    pub encoded_bytes: u64,
}

impl Received {
    /// The value of the header `name` (lower case), if the response has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads the performance log since the last read and returns the responses in it.
///
/// The log is shared with [`crate::network::NetworkRecorder`]: whichever reads it first
/// gets the events, so a test uses one or the other for a stretch.
pub async fn responses(browser: &Browser) -> Result<Vec<Received>> {
    Ok(from_events(&browser.performance_events().await?))
}

/// The responses the given DevTools events describe, in the order they arrived.
pub fn from_events(events: &[Value]) -> Vec<Received> {
    let mut order = Vec::new();
    let mut by_id: HashMap<String, Received> = HashMap::new();
    for event in events {
        let params = &event["params"];
        let id = params["requestId"].as_str().unwrap_or_default().to_owned();
        match event["method"].as_str().unwrap_or_default() {
            "Network.responseReceived" => {
                let response = &params["response"];
                let headers = response["headers"]
                    .as_object()
                    .map(|map| {
                        map.iter()
                            .map(|(k, v)| {
                                (k.to_lowercase(), v.as_str().unwrap_or_default().to_owned())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let entry = by_id.entry(id.clone()).or_insert_with(|| {
                    order.push(id.clone());
                    Received::default()
                });
                entry.url = response["url"].as_str().unwrap_or_default().to_owned();
                entry.status = response["status"].as_u64().unwrap_or_default() as u16;
                entry.headers = headers;
                entry.from_cache |= response["fromDiskCache"].as_bool().unwrap_or(false)
                    || response["fromPrefetchCache"].as_bool().unwrap_or(false);
            }
            "Network.requestServedFromCache" => {
                by_id
                    .entry(id.clone())
                    .or_insert_with(|| {
                        order.push(id.clone());
                        Received::default()
                    })
                    .from_cache = true;
            }
            "Network.loadingFinished" => {
                if let Some(entry) = by_id.get_mut(&id) {
                    entry.encoded_bytes =
                        params["encodedDataLength"].as_f64().unwrap_or(0.0) as u64;
                }
            }
            _ => {}
        }
    }
    order
        .into_iter()
        .filter_map(|id| by_id.remove(&id))
        .filter(|r| !r.url.is_empty())
        .collect()
}

/// Bytes on the wire the given DevTools events report, headers included: for each
/// request, its finished total (`loadingFinished`) or, for one still open (a stream),
/// its headers plus every body chunk that arrived (`dataReceived`).
pub fn wire_bytes(events: &[Value]) -> u64 {
    let mut arrived: HashMap<String, u64> = HashMap::new();
    let mut finished: HashMap<String, u64> = HashMap::new();
    for event in events {
        let params = &event["params"];
        let id = params["requestId"].as_str().unwrap_or_default().to_owned();
        let bytes = |value: &Value| value.as_f64().unwrap_or(0.0) as u64;
        match event["method"].as_str().unwrap_or_default() {
            "Network.responseReceived" => {
                *arrived.entry(id).or_default() += bytes(&params["response"]["encodedDataLength"]);
            }
            "Network.dataReceived" => {
                *arrived.entry(id).or_default() += bytes(&params["encodedDataLength"]);
            }
            "Network.loadingFinished" => {
                finished.insert(id, bytes(&params["encodedDataLength"]));
            }
            _ => {}
        }
    }
    for (id, total) in finished {
        let seen = arrived.entry(id).or_default();
        *seen = (*seen).max(total);
    }
    arrived.values().sum()
}
