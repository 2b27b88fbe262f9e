//! The approver's place in the list (its phase filter, search and page), kept in the
//! tab's `sessionStorage` so "← Requests" and "Next pending" after a decision return
//! to it, as the browser's Back does through the URL.

use shared::Phase;
use shared::admin_list::ListQuery;

const KEY: &str = "certdesk.admin.list-query";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Remembers the list's current query.
pub fn remember(query: &ListQuery) {
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(query)) {
        let _ = storage.set_item(KEY, &json);
    }
}

/// The list query last shown in this tab (the default list when none).
pub fn remembered() -> ListQuery {
    storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// The address of the list as the approver last left it.
pub fn list_href() -> String {
    super::requests::href_of(&remembered())
}

/// The query that finds the next pending request within the approver's search: the
/// two longest-waiting (one may be the request just decided, if the list has not
/// caught up).
pub fn next_pending_query() -> ListQuery {
    ListQuery {
        phase: Some(Phase::Pending),
        per_page: Some(2),
        // The same search and filters, in the longest-waiting order.
        ..ListQuery {
            page: None,
            sort: None,
            ..remembered()
        }
    }
}
