//! The page's title (WCAG 2.4.2): what the page is and, where it has one, its state,
//! such as "Pending — minjun — CertDesk".

/// Sets the document's title to `text` and the site's name.
pub fn set(text: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&format!("{text} — CertDesk"));
    }
}

/// The status page's title for a request of `username` in `phase` (still loading:
/// `None`).
pub fn of_request(phase: Option<shared::Phase>, username: Option<&str>) -> String {
    use shared::Phase;
    let state = match phase {
        None => "Your request",
        Some(Phase::Pending) => "Pending",
        Some(Phase::Approved) => "Approved, waiting for the certificate",
        Some(Phase::Issued) => "Ready",
        Some(Phase::Denied) => "Denied",
        Some(Phase::Failed) => "Failed",
        Some(Phase::Gone) => "Gone",
        Some(Phase::Withdrawn) => "Withdrawn",
    };
    match username.filter(|u| !u.is_empty()) {
        Some(username) => format!("{state} — {username}"),
        None => state.to_owned(),
    }
}
