//! `/api/events`: the live feed as Server-Sent Events. Each event carries its number from the
//! database's event log; a client that reconnects with `Last-Event-ID` (browsers do so by
//! themselves) or `?after=` gets exactly the events it missed, in order, then the live ones. A
//! client too far behind, or with an id the log does not know, gets `reload`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::layers::{only, query_params};
use super::openapi::Doc;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::feed::{self, FeedEvent, MAX_BACKLOG};

/// Heartbeat for proxies and clients that drop quiet connections.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// Route of the event stream.
pub fn router() -> Routes {
    Routes::new().get("/api/events", Action::Read, events).doc(
        Doc::new("the live feed (Server-Sent Events), lossless: resume with Last-Event-ID or after")
            .query_as("after", json!({"type": "integer", "minimum": 0}), "the last event seen")
            .answer_as(
                200,
                "text/event-stream",
                json!({"type": "string"}),
                "events: ready, change, incident, report, report_due, dispatch, warning, reload",
            ),
    )
}

/// The event's data with its number, time and author (`event_id`: the data's own `id` is the
/// changed row's).
fn as_sse(event: &FeedEvent) -> Event {
    let mut body = json!({"event_id": event.id, "at": event.at, "actor": event.actor});
    if let (Some(out), Some(data)) = (body.as_object_mut(), event.data.0.as_object()) {
        for (k, v) in data {
            out.entry(k.clone()).or_insert(v.clone());
        }
    }
    Event::default().id(event.id.to_string()).event(&event.kind).data(body.to_string())
}

fn reload(id: i64, why: &str) -> Event {
    Event::default().id(id.to_string()).event("reload").data(json!({"id": id, "reason": why}).to_string())
}

/// Where a stream stands: the events to send next and the last id sent.
struct Cursor {
    queue: VecDeque<Event>,
    last: i64,
}

impl Cursor {
    /// Queues the log's events after `self.last` up to `upto`; too many: a reload to `upto`.
    async fn catch_up(&mut self, state: &AppState, upto: i64) -> Result<(), Problem> {
        if upto <= self.last {
            return Ok(());
        }
        let missed = feed::read(&state.pool, self.last, upto, MAX_BACKLOG + 1).await?;
        if missed.len() as i64 > MAX_BACKLOG {
            self.queue.push_back(reload(upto, "too far behind"));
        } else {
            self.queue.extend(missed.iter().map(as_sse));
        }
        self.last = upto;
        Ok(())
    }
}

fn last_event_id(headers: &HeaderMap, raw: Option<String>) -> Result<Option<i64>, Problem> {
    let params = query_params(raw)?;
    only(&params, &["after"])?;
    let given = match params.get("after") {
        Some(v) => Some(("after", v.clone())),
        None => headers
            .get("last-event-id")
            .map(|v| ("Last-Event-ID", String::from_utf8_lossy(v.as_bytes()).trim().to_string())),
    };
    given
        .map(|(name, v)| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| Problem::bad_request(name, format!("`{v}` is not an event id (a whole number)")))
        })
        .transpose()
}

async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let since = last_event_id(&headers, raw)?;
    // Subscribe before reading the log: an event is then either read or heard, never neither.
    let receiver = state.feed.subscribe();
    let announced = state.feed.announced();
    let mut cursor = Cursor { queue: VecDeque::new(), last: announced };
    match since {
        None => cursor.queue.push_back(
            Event::default().id(announced.to_string()).event("ready").data(json!({"id": announced}).to_string()),
        ),
        Some(id) => {
            let (oldest, newest) = feed::bounds(&state.pool).await?;
            if id > newest.max(announced) {
                cursor.queue.push_back(reload(announced, "unknown event id"));
            } else if oldest > 0 && id + 1 < oldest {
                cursor.queue.push_back(reload(announced, "the missed events are no longer kept"));
            } else {
                cursor.last = id;
                cursor.catch_up(&state, announced).await?;
            }
        }
    }
    let closing = state.closing.subscribe();
    let start = (cursor, receiver, closing, state);
    let stream = futures_util::stream::unfold(start, |(mut cursor, mut receiver, mut closing, state)| async move {
        loop {
            if *closing.borrow() {
                return None;
            }
            if let Some(event) = cursor.queue.pop_front() {
                return Some((Ok::<_, Infallible>(event), (cursor, receiver, closing, state)));
            }
            let heard = tokio::select! {
                heard = receiver.recv() => heard,
                _ = closing.changed() => return None,
            };
            match heard {
                Ok(event) if event.id <= cursor.last => continue,
                Ok(event) => {
                    cursor.last = event.id;
                    cursor.queue.push_back(as_sse(&event));
                }
                // Too slow to keep up with the announcements: read what was missed from the log.
                Err(RecvError::Lagged(_)) => {
                    let upto = state.feed.announced();
                    if cursor.catch_up(&state, upto).await.is_err() {
                        cursor.queue.push_back(reload(upto, "the event log could not be read"));
                        cursor.last = upto;
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let mut response = Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT)).into_response();
    let headers = response.headers_mut();
    // Proxies (nginx) would otherwise hold the stream back.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    headers.insert("cache-control", HeaderValue::from_static("no-cache"));
    Ok(response)
}
