//! The first visit's form hands its request to the status app, which makes the key
//! and sends it (`/requests/new`): the form's bundle then carries no key, CSR,
//! submission or key-store code, and the status page, loaded after sending anyway,
//! does it. What passes is what was chosen — never a key (none is made yet) and never
//! an invite token (an invite's form is the whole form's app, which sends by itself);
//! it is kept in this tab's `sessionStorage` and taken once.

use serde::{Deserialize, Serialize};
use shared::KeyAlgorithm;

/// The status app's page that sends a handed-over request.
pub const PAGE: &str = "/requests/new";

/// A sent request's page in the status app (the id encoded).
pub fn request_page(request_id: &str) -> String {
    format!(
        "/requests/{}",
        String::from(js_sys::encode_uri_component(request_id))
    )
}

/// The storage key.
const KEY: &str = "certdesk.request-to-send";

/// A request the form checked and the status app is to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToSend {
    /// The key's algorithm.
    pub algorithm: KeyAlgorithm,
    /// The username.
    pub username: String,
    /// The groups.
    pub groups: Vec<String>,
    /// The certificate's lifetime.
    pub seconds: u32,
    /// The note (trimmed; may be empty).
    pub note: String,
    /// Whether the credential plugin is to keep it renewed.
    pub renewed_by_plugin: bool,
}

/// Why a request could not be handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageOff;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// Keeps `request` for the status app and opens its sending page.
pub fn hand_over(request: &ToSend) -> Result<(), StorageOff> {
    let storage = storage().ok_or(StorageOff)?;
    let text = serde_json::to_string(request).map_err(|_| StorageOff)?;
    storage.set_item(KEY, &text).map_err(|_| StorageOff)?;
    let window = web_sys::window().ok_or(StorageOff)?;
    window.location().assign(PAGE).map_err(|_| StorageOff)
}

/// Takes the request handed over in this tab, if there is one: once (a reload of the
/// sending page sends nothing twice).
pub fn take() -> Option<ToSend> {
    let storage = storage()?;
    let text = storage.get_item(KEY).ok()??;
    let _ = storage.remove_item(KEY);
    serde_json::from_str(&text).ok()
}
