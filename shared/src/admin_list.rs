//! The approvers' list, filtered and paged on the server: which requests
//! (`GET /api/v1/admin/requests?phase=…&q=…&page=…&per_page=…`), in what order (pending
//! first, the longest-waiting at the top; then by phase, newest first), and one page of
//! them with the counts the filter shows. Pure, so the backend and its tests share it.

use std::cmp::{Ordering, Reverse};

use serde::{Deserialize, Serialize};

use crate::Phase;
use crate::admin::RequestView;

/// Requests a page shows when the query does not say.
pub const DEFAULT_PER_PAGE: u32 = 50;
/// The most requests one page may show.
pub const MAX_PER_PAGE: u32 = 100;
/// The longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// What the approver asked to see (the list's query string).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only requests in this phase (`Pending`, `Approved`, …); every phase when absent.
    #[serde(default)]
    pub phase: Option<Phase>,
    /// Words every shown request contains, in any case: in its username, groups, note,
    /// name or creator.
    #[serde(default)]
    pub q: Option<String>,
    /// The page, from 1 (default 1).
    #[serde(default)]
    pub page: Option<u32>,
    /// Requests a page, 1 to 100 (default 50).
    #[serde(default)]
    pub per_page: Option<u32>,
}

/// Why a list query cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListQueryError {
    /// `per_page` is 0 or above [`MAX_PER_PAGE`].
    #[error("per_page must be between 1 and {MAX_PER_PAGE}")]
    PerPage,
    /// `page` is 0.
    #[error("page counts from 1")]
    Page,
    /// The search text is longer than [`MAX_SEARCH_CHARS`].
    #[error("the search is at most {MAX_SEARCH_CHARS} characters")]
    SearchTooLong,
}

impl ListQuery {
    /// The page and page size asked for, checked.
    pub fn paging(&self) -> Result<(u32, u32), ListQueryError> {
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(ListQueryError::PerPage);
        }
        let page = self.page.unwrap_or(1);
        if page == 0 {
            return Err(ListQueryError::Page);
        }
        if self
            .q
            .as_deref()
            .is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS)
        {
            return Err(ListQueryError::SearchTooLong);
        }
        Ok((page, per_page))
    }
}

/// How many requests (that the search matches) are in one phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhaseCount {
    /// The phase.
    pub phase: Phase,
    /// Its requests.
    pub count: usize,
}

/// One page of the approvers' list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestPage {
    /// The page's requests, in list order.
    pub items: Vec<RequestView>,
    /// Requests the phase and the search match, on every page.
    pub total: usize,
    /// This page, from 1.
    pub page: u32,
    /// Requests a page.
    pub per_page: u32,
    /// Requests the search matches, by phase (for the phase filter's labels).
    pub counts: Vec<PhaseCount>,
}

/// The phases in list order.
pub const PHASES: [Phase; 7] = [
    Phase::Pending,
    Phase::Approved,
    Phase::Issued,
    Phase::Denied,
    Phase::Failed,
    Phase::Gone,
    Phase::Withdrawn,
];

fn rank(phase: Phase) -> usize {
    PHASES
        .iter()
        .position(|p| *p == phase)
        .unwrap_or(PHASES.len())
}

/// The list's order: pending first, the longest-waiting at the top; then the other
/// phases in [`PHASES`] order, newest first; then by name.
pub fn list_order(a: &RequestView, b: &RequestView) -> Ordering {
    rank(a.phase).cmp(&rank(b.phase)).then_with(|| {
        let by_age = if a.phase == Phase::Pending {
            a.created.cmp(&b.created)
        } else {
            Reverse(a.created).cmp(&Reverse(b.created))
        };
        by_age.then_with(|| a.name.cmp(&b.name))
    })
}

/// Whether `view` contains every word of `search` (lower-cased) in what a person
/// would search it by.
fn matches(view: &RequestView, words: &[String]) -> bool {
    if words.is_empty() {
        return true;
    }
    let mut haystack = view.name.to_lowercase();
    for field in [&view.username, &view.note, &view.created_by]
        .into_iter()
        .flatten()
    {
        haystack.push('\n');
        haystack.push_str(&field.to_lowercase());
    }
    for group in &view.groups {
        haystack.push('\n');
        haystack.push_str(&group.to_lowercase());
    }
    words.iter().all(|word| haystack.contains(word.as_str()))
}

/// The page `query` asks for out of `views` (in any order).
pub fn select(views: Vec<RequestView>, query: &ListQuery) -> Result<RequestPage, ListQueryError> {
    let (page, per_page) = query.paging()?;
    let words: Vec<String> = query
        .q
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let mut found: Vec<RequestView> = views.into_iter().filter(|v| matches(v, &words)).collect();
    let counts = PHASES
        .iter()
        .map(|&phase| PhaseCount {
            phase,
            count: found.iter().filter(|v| v.phase == phase).count(),
        })
        .collect();
    // Withdrawn requests left the list: only their own filter shows them.
    let phase = query.phase;
    found.retain(|v| phase.map_or(v.phase != Phase::Withdrawn, |p| v.phase == p));
    found.sort_by(list_order);
    let total = found.len();
    let skip = usize::try_from(u64::from(page - 1) * u64::from(per_page)).unwrap_or(usize::MAX);
    let items = found
        .into_iter()
        .skip(skip)
        .take(per_page as usize)
        .collect();
    Ok(RequestPage {
        items,
        total,
        page,
        per_page,
        counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn view(name: &str, phase: Phase, minutes_ago: i64) -> RequestView {
        let created = OffsetDateTime::from_unix_timestamp(1_800_000_000 - minutes_ago * 60).ok();
        let mut view: RequestView = serde_json::from_value(serde_json::json!({
            "name": name, "phase": phase, "managed": true, "groups": ["dev-team"],
            "risks": [], "username": name.to_uppercase(), "note": format!("note of {name}")
        }))
        .unwrap();
        view.created = created;
        view
    }

    fn names(page: &RequestPage) -> Vec<&str> {
        page.items.iter().map(|v| v.name.as_str()).collect()
    }

    fn sample() -> Vec<RequestView> {
        vec![
            view("issued-old", Phase::Issued, 50),
            view("pending-new", Phase::Pending, 1),
            view("denied", Phase::Denied, 5),
            view("pending-old", Phase::Pending, 30),
            view("issued-new", Phase::Issued, 2),
        ]
    }

    #[test]
    fn pending_first_longest_waiting_on_top_then_the_rest_newest_first() {
        let page = select(sample(), &ListQuery::default()).unwrap();
        assert_eq!(
            names(&page),
            [
                "pending-old",
                "pending-new",
                "issued-new",
                "issued-old",
                "denied"
            ]
        );
        assert_eq!(page.total, 5);
        let pending = page.counts.iter().find(|c| c.phase == Phase::Pending);
        assert_eq!(pending.map(|c| c.count), Some(2));
    }

    #[test]
    fn withdrawn_requests_leave_the_list_but_have_their_own_filter() {
        let mut views = sample();
        views.push(view("withdrawn", Phase::Withdrawn, 3));
        let all = select(views.clone(), &ListQuery::default()).unwrap();
        assert!(!names(&all).contains(&"withdrawn"));
        assert_eq!(all.total, 5);
        let query = ListQuery {
            phase: Some(Phase::Withdrawn),
            ..ListQuery::default()
        };
        assert_eq!(names(&select(views, &query).unwrap()), ["withdrawn"]);
    }

    #[test]
    fn phase_search_and_pages_combine() {
        let query = ListQuery {
            phase: Some(Phase::Issued),
            ..ListQuery::default()
        };
        assert_eq!(
            names(&select(sample(), &query).unwrap()),
            ["issued-new", "issued-old"]
        );
        // Every word, any case, in any searched field.
        let query = ListQuery {
            q: Some("NOTE  pending-o".into()),
            ..ListQuery::default()
        };
        let page = select(sample(), &query).unwrap();
        assert_eq!(names(&page), ["pending-old"]);
        assert_eq!(page.counts.iter().map(|c| c.count).sum::<usize>(), 1);
        let query = ListQuery {
            page: Some(2),
            per_page: Some(2),
            ..ListQuery::default()
        };
        let page = select(sample(), &query).unwrap();
        assert_eq!(names(&page), ["issued-new", "issued-old"]);
        assert_eq!((page.total, page.page, page.per_page), (5, 2, 2));
        let beyond = ListQuery {
            page: Some(u32::MAX),
            per_page: Some(100),
            ..ListQuery::default()
        };
        assert!(select(sample(), &beyond).unwrap().items.is_empty());
    }

    #[test]
    fn queries_that_cannot_be_answered_are_refused() {
        for (query, error) in [
            (
                ListQuery {
                    per_page: Some(0),
                    ..ListQuery::default()
                },
                ListQueryError::PerPage,
            ),
            (
                ListQuery {
                    per_page: Some(101),
                    ..ListQuery::default()
                },
                ListQueryError::PerPage,
            ),
            (
                ListQuery {
                    page: Some(0),
                    ..ListQuery::default()
                },
                ListQueryError::Page,
            ),
            (
                ListQuery {
                    q: Some("x".repeat(201)),
                    ..ListQuery::default()
                },
                ListQueryError::SearchTooLong,
            ),
        ] {
            assert_eq!(select(sample(), &query).unwrap_err(), error);
        }
    }
}
