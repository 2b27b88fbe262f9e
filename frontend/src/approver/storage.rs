//! What the tab keeps of the approver's sign-in, in its `sessionStorage` only: the token
//! sent to the API server and how it was had; it goes when the tab closes, other tabs
//! never see it, and it is never written to `localStorage` or logged. A refresh token
//! is never stored (it lives in the page's memory, [`super::Approver`]).

/// The `sessionStorage` key the token is kept under.
pub const TOKEN_KEY: &str = "certdesk.approver-token";
/// Present (`oidc`) when the token came from the OpenID Connect sign-in.
pub const VIA_KEY: &str = "certdesk.approver-via";
/// A peer's token is kept under this prefix and the peer's cluster name.
pub const PEER_TOKEN_PREFIX: &str = "certdesk.peer-token.";
/// A sign-in under way: state, nonce, PKCE verifier and the page to return to (JSON).
pub const PENDING_KEY: &str = "certdesk.oidc-pending";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Returns the value under `key`, if this tab has one.
pub fn get(key: &str) -> Option<String> {
    storage()?
        .get_item(key)
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

/// Keeps a value for this tab; fails when the browser refuses storage (private modes).
pub fn set(key: &str, value: &str) -> Result<(), String> {
    storage()
        .ok_or_else(|| "This browser offers no session storage.".to_owned())?
        .set_item(key, value)
        .map_err(|_| "This browser refused to keep the sign-in for this tab.".to_owned())
}

/// Forgets the value under `key`.
pub fn remove(key: &str) {
    if let Some(storage) = storage() {
        // A failure leaves nothing to do: the storage is unusable anyway.
        let _ = storage.remove_item(key);
    }
}

/// Forgets every peer's token this tab holds.
pub fn remove_peer_tokens() {
    let Some(storage) = storage() else { return };
    let keys: Vec<String> = (0..storage.length().unwrap_or(0))
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|key| key.starts_with(PEER_TOKEN_PREFIX))
        .collect();
    for key in keys {
        let _ = storage.remove_item(&key);
    }
}
