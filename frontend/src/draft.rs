//! The request form's draft, kept in this tab's `sessionStorage` while the person types,
//! so a reload (after a network failure, say) loses nothing. It holds what was typed —
//! never a key, which is made only when the form is sent — and is cleared once a
//! request is made.

use serde::{Deserialize, Serialize};

/// The storage key.
const KEY: &str = "certdesk.request-draft";

/// What the form holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// The username typed.
    pub username: String,
    /// The groups ticked.
    pub groups: Vec<String>,
    /// The lifetime's number, as typed.
    pub amount: String,
    /// The lifetime's unit, in seconds.
    pub unit: u32,
    /// The note.
    pub note: String,
    /// Whether the credential plugin is to keep it renewed.
    pub renewed: bool,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The draft kept in this tab, if any.
pub fn load() -> Option<Draft> {
    let text = storage()?.get_item(KEY).ok()??;
    serde_json::from_str(&text).ok()
}

/// Keeps `draft` in this tab (quietly nothing when storage is off).
pub fn save(draft: &Draft) {
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(draft)) {
        let _ = storage.set_item(KEY, &text);
    }
}

/// Forgets the draft (a request was made).
pub fn clear() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(KEY);
    }
}
