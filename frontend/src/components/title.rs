//! The page's title (WCAG 2.4.2): what the page is and, where it has one, its state,
//! such as "Pending — minjun — CertDesk".

/// Sets the document's title to `text` and the site's name.
pub fn set(text: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&format!("{text} — CertDesk"));
    }
}

/// The status page's title for a request of `username` in `phase` (still loading:
/// `None`), in the page's language.
pub fn of_request(
    i18n: super::request_row::I18n,
    phase: Option<shared::Phase>,
    username: Option<&str>,
) -> String {
    use crate::i18n::t_string;
    use shared::Phase;
    let state = match phase {
        None => t_string!(i18n, title.loading),
        Some(Phase::Pending) => t_string!(i18n, title.pending),
        Some(Phase::Approved) => t_string!(i18n, title.approved),
        Some(Phase::Issued) => t_string!(i18n, title.issued),
        Some(Phase::Denied) => t_string!(i18n, title.denied),
        Some(Phase::Failed) => t_string!(i18n, title.failed),
        Some(Phase::Gone) => t_string!(i18n, title.gone),
        Some(Phase::Withdrawn) => t_string!(i18n, title.withdrawn),
    };
    match username.filter(|u| !u.is_empty()) {
        Some(username) => format!("{state} — {username}"),
        None => state.to_owned(),
    }
}
