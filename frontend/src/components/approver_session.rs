//! The approver's token, kept in the tab's `sessionStorage` only: it goes when the tab
//! closes, other tabs never see it, and it is never written to `localStorage` or logged.

/// The `sessionStorage` key the token is kept under.
pub const TOKEN_KEY: &str = "certdesk.approver-token";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Returns the approver's token, if this tab has one.
pub fn token() -> Option<String> {
    storage()?
        .get_item(TOKEN_KEY)
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

/// Keeps the token for this tab; fails when the browser refuses storage (private modes).
pub fn keep(token: &str) -> Result<(), String> {
    storage()
        .ok_or_else(|| "This browser offers no session storage.".to_owned())?
        .set_item(TOKEN_KEY, token)
        .map_err(|_| "This browser refused to keep the token for this tab.".to_owned())
}

/// Forgets the token (sign out).
pub fn forget() {
    if let Some(storage) = storage() {
        // A failure leaves nothing to do: the storage is unusable anyway.
        let _ = storage.remove_item(TOKEN_KEY);
    }
}
