//! The approvers' list: one page of it, filtered, searched and ordered on the server
//! (`shared::admin_list`), and an event stream that says when it changed, so an idle
//! approver's page transfers next to nothing until something happens.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use shared::ErrorCode;
use shared::admin_list::{ListQuery, RequestPage};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::admin::{client, view_of};
use super::openapi::AdminErrors;
use crate::AppState;
use crate::cluster::approver;
use crate::error::{Error, Result};
use crate::extract::{BearerToken, ClientAddress};

/// How long one stream of changes lasts; the page then reconnects, and its token is
/// checked again.
pub const CHANGES_LIFETIME: Duration = Duration::from_secs(300);

/// Changes closer together than this are told as one.
const COALESCE: Duration = Duration::from_secs(1);

/// The list's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(changes))
}

/// The list's query string, or 400 `bad_request` saying what is wrong with it.
pub struct ListParams(ListQuery);

impl<S: Send + Sync> FromRequestParts<S> for ListParams {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let Query(query) = Query::<ListQuery>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| Error::client(ErrorCode::BadRequest, rejection.body_text()))?;
        query
            .paging()
            .map_err(|e| Error::client(ErrorCode::BadRequest, e.to_string()))?;
        Ok(Self(query))
    }
}

/// One page of the kube-apiserver-client CSRs in the watch cache, decoded and flagged:
/// pending first (the longest-waiting on top), then by phase, newest first; with the
/// counts by phase of what the search matches.
#[utoipa::path(get, path = "/requests", tag = "admin", security(("bearer" = [])),
    params(ListQuery),
    responses(AdminErrors,
        (status = 200, description = "One page of the requests", body = RequestPage),
    ))]
#[tracing::instrument(skip(state, token))]
async fn list(
    State(state): State<AppState>,
    token: BearerToken,
    ListParams(query): ListParams,
) -> Result<axum::Json<RequestPage>> {
    let client = client(&state, &token)?;
    approver::ensure_may_list(&client).await?;
    let cluster = state.cluster()?;
    let bound = cluster.bindings.users();
    let all = cluster.cache.all();
    let neighbours = super::admin::neighbours(cluster, &all);
    let context =
        shared::risk::RiskContext::new(&state.portal.policy, &bound).with_neighbours(&neighbours);
    let views = all
        .iter()
        .map(|csr| view_of(cluster, csr, &context))
        .collect();
    let page = shared::admin_list::select(views, &query)
        .map_err(|e| Error::client(ErrorCode::BadRequest, e.to_string()))?;
    Ok(axum::Json(page))
}

/// An event stream (`text/event-stream`) with an `event: changed` each time requests
/// were created, changed or deleted (changes within a second told as one), so the
/// list fetches its page again. It carries no request data; it ends after five minutes
/// with `event: closing`, and the page reconnects with its token checked again.
#[utoipa::path(get, path = "/requests/changes", tag = "admin", security(("bearer" = [])),
    responses(AdminErrors,
        (status = 200, description = "The stream of changes", content_type = "text/event-stream", body = String),
    ))]
#[tracing::instrument(skip(state, token))]
async fn changes(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    token: BearerToken,
) -> std::result::Result<Sse<impl Stream<Item = std::result::Result<Event, Infallible>>>, Response>
{
    let client = client(&state, &token).map_err(IntoResponse::into_response)?;
    approver::ensure_may_list(&client)
        .await
        .map_err(|e| Error::from(e).into_response())?;
    let slot = state
        .streams
        .take(address)
        .map_err(super::requests::too_many_streams)?;
    let cluster = state.cluster().map_err(IntoResponse::into_response)?;
    let watch = Watch {
        changes: cluster.cache.subscribe(),
        slot,
        end: tokio::time::Instant::now() + CHANGES_LIFETIME,
        told: 0,
    };
    let stream = futures::stream::unfold(Some(watch), |watch| async move {
        let mut watch = watch?;
        let (slots, end) = (watch.slot.slots(), watch.end);
        tokio::select! {
            changed = watch.next() => changed.then(|| {
                let event = Event::default().event("changed").data(watch.told.to_string());
                (Ok(event), Some(watch))
            }),
            () = tokio::time::sleep_until(end) => Some((Ok(closing("this stream's time is up; reconnect")), None)),
            () = slots.closed() => Some((Ok(closing("the server is stopping; reconnect")), None)),
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(25))))
}

fn closing(why: &'static str) -> Event {
    Event::default()
        .event("closing")
        .retry(Duration::from_secs(1))
        .data(why)
}

/// One approver page's view of the cache's changes; holds its stream's place.
struct Watch {
    changes: tokio::sync::broadcast::Receiver<crate::cluster::cache::Change>,
    slot: crate::streams::StreamSlot,
    end: tokio::time::Instant,
    told: u64,
}

impl Watch {
    /// Waits for a change and the ones right after it; false when the cache is gone.
    async fn next(&mut self) -> bool {
        match self.changes.recv().await {
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => return false,
        }
        tokio::time::sleep(COALESCE).await;
        loop {
            match self.changes.try_recv() {
                Ok(_) | Err(TryRecvError::Lagged(_)) => {}
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Closed) => return false,
            }
        }
        self.told += 1;
        true
    }
}
