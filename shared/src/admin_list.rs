//! The approvers' list, filtered and paged on the server: which requests
//! (`GET /api/v1/admin/requests?phase=…&q=…&group=…&risk=…&sort=…&page=…&per_page=…`),
//! in what order (pending first; within a phase the longest-waiting at the top, or as
//! sorted), and one page of them with the counts the filter shows. Pure, so the backend
//! and its tests share it.

use std::cmp::{Ordering, Reverse};

use serde::{Deserialize, Serialize};

use crate::Phase;
use crate::admin::{RequestView, Severity};

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
    /// Only requests asking for this group (exactly).
    #[serde(default)]
    pub group: Option<String>,
    /// Only requests with (or without) these flags.
    #[serde(default)]
    pub risk: Option<RiskFilter>,
    /// The order within each phase (default: the longest-waiting first).
    #[serde(default)]
    pub sort: Option<SortKey>,
}

/// The order of the requests within each phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Pending: the longest-waiting first; decided: the newest first.
    #[default]
    Waiting,
    /// The newest first.
    Newest,
    /// By username, A to Z.
    Name,
    /// The most red flags first, then the most amber ones, then the longest-waiting.
    Risk,
}

impl SortKey {
    /// Every key, in the order the page offers them.
    pub const ALL: [SortKey; 4] = [Self::Waiting, Self::Newest, Self::Name, Self::Risk];

    /// The key as the query string says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Newest => "newest",
            Self::Name => "name",
            Self::Risk => "risk",
        }
    }
}

/// Which flags the shown requests carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RiskFilter {
    /// At least one red flag.
    Red,
    /// At least one red or amber flag.
    Flagged,
    /// No red or amber flag.
    Clear,
}

impl RiskFilter {
    /// Every filter, in the order the page offers them.
    pub const ALL: [RiskFilter; 3] = [Self::Red, Self::Flagged, Self::Clear];

    /// The filter as the query string says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Red => "red",
            Self::Flagged => "flagged",
            Self::Clear => "clear",
        }
    }

    fn admits(self, view: &RequestView) -> bool {
        let (red, amber) = severities(view);
        match self {
            Self::Red => red > 0,
            Self::Flagged => red + amber > 0,
            Self::Clear => red + amber == 0,
        }
    }
}

/// How many red and amber flags a request carries (an undecodable CSR counts as red).
fn severities(view: &RequestView) -> (usize, usize) {
    let count = |s: Severity| view.risks.iter().filter(|r| r.severity == s).count();
    (
        count(Severity::Red) + usize::from(view.decode_error.is_some()),
        count(Severity::Amber),
    )
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
        if [&self.q, &self.group]
            .into_iter()
            .flatten()
            .any(|q| q.chars().count() > MAX_SEARCH_CHARS)
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
    /// The groups the matching requests ask for (for the group filter), sorted; at
    /// most [`MAX_GROUPS`].
    #[serde(default)]
    pub groups: Vec<String>,
}

/// The most groups a page offers to filter by.
pub const MAX_GROUPS: usize = 100;

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
    sorted_by(SortKey::Waiting)(a, b)
}

/// The order for `key`: by phase in [`PHASES`] order, then by the key, then by name.
pub fn sorted_by(key: SortKey) -> impl Fn(&RequestView, &RequestView) -> Ordering {
    move |a, b| {
        let waiting = || {
            if a.phase == Phase::Pending {
                a.created.cmp(&b.created)
            } else {
                Reverse(a.created).cmp(&Reverse(b.created))
            }
        };
        let within = match key {
            SortKey::Waiting => waiting(),
            SortKey::Newest => Reverse(a.created).cmp(&Reverse(b.created)),
            SortKey::Name => {
                let name = |v: &RequestView| v.username.as_deref().map(str::to_lowercase);
                name(a).cmp(&name(b))
            }
            SortKey::Risk => Reverse(severities(a))
                .cmp(&Reverse(severities(b)))
                .then_with(waiting),
        };
        rank(a.phase)
            .cmp(&rank(b.phase))
            .then(within)
            .then_with(|| a.name.cmp(&b.name))
    }
}

/// Whether `view` contains every word of `search` (lower-cased) in what a person
/// would search it by; a word also matches a username or group that reads like it
/// (its skeleton: "minjun" finds a Cyrillic "mіnjun").
fn matches(view: &RequestView, words: &[(String, String)]) -> bool {
    if words.is_empty() {
        return true;
    }
    let mut folded = String::new();
    for name in view.username.iter().chain(&view.groups) {
        folded.push('\n');
        folded.push_str(&crate::names::skeleton(name));
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
    words.iter().all(|(word, read)| {
        haystack.contains(word.as_str()) || (!read.is_empty() && folded.contains(read.as_str()))
    })
}

/// The page `query` asks for out of `views` (in any order).
pub fn select(views: Vec<RequestView>, query: &ListQuery) -> Result<RequestPage, ListQueryError> {
    let (page, per_page) = query.paging()?;
    let words: Vec<(String, String)> = query
        .q
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(|w| (w.to_lowercase(), crate::names::skeleton(w)))
        .collect();
    let group = query.group.as_deref().filter(|g| !g.is_empty());
    let mut found: Vec<RequestView> = views
        .into_iter()
        .filter(|v| matches(v, &words))
        .filter(|v| group.is_none_or(|g| v.groups.iter().any(|h| h == g)))
        .filter(|v| query.risk.is_none_or(|r| r.admits(v)))
        .collect();
    let groups: std::collections::BTreeSet<&String> =
        found.iter().flat_map(|v| v.groups.iter()).collect();
    let groups: Vec<String> = groups.into_iter().take(MAX_GROUPS).cloned().collect();
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
    found.sort_by(sorted_by(query.sort.unwrap_or_default()));
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
        groups,
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

    #[test]
    fn sorted_by_name_or_risk_and_filtered_by_group_or_risk() {
        let mut views = sample();
        views[1].risks = vec![crate::admin::Risk {
            code: crate::risk::RiskCode::SharedKey,
            severity: Severity::Red,
            message: String::new(),
        }];
        views[3].groups = vec!["qa".to_owned()];
        let page = |query: ListQuery| names(&select(views.clone(), &query).unwrap()).join(" ");
        let pending = |more: ListQuery| ListQuery {
            phase: Some(Phase::Pending),
            ..more
        };
        assert_eq!(
            page(pending(ListQuery::default())),
            "pending-old pending-new"
        );
        assert_eq!(
            page(pending(ListQuery {
                sort: Some(SortKey::Risk),
                ..ListQuery::default()
            })),
            "pending-new pending-old"
        );
        assert_eq!(
            page(ListQuery {
                sort: Some(SortKey::Name),
                ..ListQuery::default()
            }),
            "pending-new pending-old issued-new issued-old denied"
        );
        assert_eq!(
            page(ListQuery {
                group: Some("qa".into()),
                ..ListQuery::default()
            }),
            "pending-old"
        );
        assert_eq!(
            page(ListQuery {
                risk: Some(RiskFilter::Red),
                ..ListQuery::default()
            }),
            "pending-new"
        );
        let all = select(views, &ListQuery::default()).unwrap();
        assert_eq!(all.groups, ["dev-team", "qa"]);
    }

    #[test]
    fn a_search_finds_names_that_read_alike() {
        let mut views = sample();
        views[0].username = Some("m\u{456}njun".to_owned());
        views[2].username = Some("minjun".to_owned());
        let query = ListQuery {
            q: Some("minjun".into()),
            ..ListQuery::default()
        };
        let page = select(views, &query).unwrap();
        let mut found = names(&page);
        found.sort_unstable();
        assert_eq!(found, ["denied", "issued-old"]);
    }
}
