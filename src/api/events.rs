//! `/api/events`: the live feed as Server-Sent Events. Each event carries its number from the
//! database's event log; a client that reconnects with `Last-Event-ID` (browsers do so by
//! themselves) or `?after=` gets exactly the events it missed, in order, then the live ones. A
//! client too far behind, or with an id the log does not know, gets `reload`.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::acting::Acting;
use super::doc::Doc;
use super::extract::Query;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::feed::{self, FeedEvent, MAX_BACKLOG};

/// Heartbeat for proxies and clients that drop quiet connections.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// How many event streams may be open at once.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// To one signed-in user (a hall's screens may share an account).
    pub per_user: usize,
    /// From one address (a hall behind one address).
    pub per_address: usize,
    /// In all.
    pub total: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self { per_user: 12, per_address: 24, total: 1_000 }
    }
}

/// The open event streams, counted by user and by address, so that one client cannot hold
/// the server's connections and each replay of the log.
#[derive(Debug, Default)]
pub struct Streams {
    limits: StreamLimits,
    open: Mutex<HashMap<String, usize>>,
}

/// One open stream's place in the counts, given back when the stream ends.
pub struct Ticket {
    streams: Arc<Streams>,
    keys: Vec<String>,
}

impl Streams {
    /// No streams yet, under `limits`.
    pub fn new(limits: StreamLimits) -> Self {
        Self { limits, open: Mutex::default() }
    }

    /// A ticket for a new stream of `user` from `address`, or which limit is reached.
    fn open(self: &Arc<Self>, user: Option<i64>, address: IpAddr) -> Result<Ticket, String> {
        let limits = self.limits;
        let mut keys = vec![("all".to_string(), limits.total, "in all".to_string())];
        keys.push((format!("addr:{address}"), limits.per_address, "from this address".to_string()));
        if let Some(id) = user {
            keys.push((format!("user:{id}"), limits.per_user, "for this user".to_string()));
        }
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, limit, what)) = keys.iter().find(|(k, limit, _)| open.get(k).copied().unwrap_or(0) >= *limit) {
            return Err(format!("{limit} event streams are open {what}, the most allowed; close one first"));
        }
        for (k, ..) in &keys {
            *open.entry(k.clone()).or_default() += 1;
        }
        Ok(Ticket { streams: self.clone(), keys: keys.into_iter().map(|k| k.0).collect() })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self.streams.open.lock().unwrap_or_else(|e| e.into_inner());
        for k in &self.keys {
            if let Some(n) = open.get_mut(k) {
                *n -= 1;
                if *n == 0 {
                    open.remove(k);
                }
            }
        }
    }
}

/// Route of the event stream.
pub fn router() -> Routes {
    Routes::new().get("/api/events", Action::Read, events).doc(
        Doc::new("the live feed (Server-Sent Events), lossless: resume with Last-Event-ID or after")
            .query_as("after", json!({"type": "integer", "minimum": 0}), "the last event seen")
            .answer_as(
                200,
                "text/event-stream",
                json!({"type": "object", "description": "one Server-Sent Event",
                       "properties": {"id": {"type": "string"}, "event": {"type": "string"}, "data": {"type": "string"}}}),
                "events: ready, change, incident, report, report_due, dispatch, warning, reload",
            )
            .also(429, "too many streams open for this user, from this address or in all"),
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

/// The query string of the stream: where to resume (as `Last-Event-ID` does, for clients that
/// cannot set headers).
#[derive(Debug, Deserialize)]
struct Params {
    after: Option<String>,
}

fn last_event_id(headers: &HeaderMap, params: Params) -> Result<Option<i64>, Problem> {
    let given = match params.after {
        Some(v) => Some(("after", v)),
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
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    Acting(actor): Acting,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Response, Problem> {
    let since = last_event_id(&headers, params)?;
    let ticket = state.streams.open(actor.user_id, from.ip()).map_err(|detail| {
        Problem::new(StatusCode::TOO_MANY_REQUESTS, "too many event streams", detail).with("retry_after_s", 30.into())
    })?;
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
    // The ticket rides with the stream and is given back when the client goes.
    let start = (cursor, receiver, closing, state, ticket);
    let stream =
        futures_util::stream::unfold(start, |(mut cursor, mut receiver, mut closing, state, ticket)| async move {
            loop {
                if *closing.borrow() {
                    return None;
                }
                if let Some(event) = cursor.queue.pop_front() {
                    return Some((Ok::<_, Infallible>(event), (cursor, receiver, closing, state, ticket)));
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
