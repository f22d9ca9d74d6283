//! `/api/events`: Server-Sent Events announcing every change the snapshot applies, so the
//! viewer refreshes its tiles without polling.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::routes::Routes;
use crate::auth::Action;

/// Route of the event stream.
pub fn router() -> Routes {
    Routes::new().get("/api/events", Action::Read, events)
}

async fn events(State(state): State<AppState>) -> Sse<impl futures_core::Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.snapshot.subscribe();
    let stream = futures_util::stream::unfold((receiver, state), |(mut receiver, state)| async move {
        let event = loop {
            match receiver.recv().await {
                // Changes of what is not on the map (stock, turn restrictions) are for the
                // process's own followers, not for the viewer's tiles.
                Ok(change) if !state.snapshot.shows(change.layer) => continue,
                Ok(change) => break Event::default().event("change").json_data(&change).unwrap_or_default(),
                // Too slow to keep up: tell the client to refresh everything.
                Err(RecvError::Lagged(_)) => break Event::default().event("reload").data("{}"),
                Err(RecvError::Closed) => return None,
            }
        };
        Some((Ok(event), (receiver, state)))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
