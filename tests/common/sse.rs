//! A small Server-Sent Events reader for the feed's tests (reads the stream as it comes).

use std::time::Duration;

/// One event as sent: its id, its name and its data as JSON.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<i64>,
    pub event: String,
    pub data: serde_json::Value,
}

/// An open stream.
pub struct SseStream {
    response: reqwest::Response,
    buffer: Vec<u8>,
}

impl SseStream {
    /// Opens `url` with `token`, sending `last_event_id` if given.
    pub async fn open(url: &str, token: &str, last_event_id: Option<i64>) -> Self {
        let mut request = reqwest::Client::new().get(url).bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.expect("the event stream opens");
        assert_eq!(response.status(), 200, "{url}");
        Self { response, buffer: Vec::new() }
    }

    /// The response's headers.
    pub fn headers(&self) -> &reqwest::header::HeaderMap {
        self.response.headers()
    }

    /// The next event (heartbeats skipped), or None when nothing comes within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Split on bytes: a chunk may end inside a character.
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let bytes: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let block = String::from_utf8_lossy(&bytes);
                let (mut id, mut event, mut data) = (None, String::from("message"), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                if data.is_empty() {
                    continue; // a heartbeat (comment) or an empty block
                }
                let data = serde_json::from_str(&data).unwrap_or(serde_json::Value::String(data));
                return Some(SseEvent { id, event, data });
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?.ok()??;
            self.buffer.extend_from_slice(&chunk);
        }
    }

    /// Events until one satisfies `stop` (included), failing after `wait` without it.
    pub async fn until(&mut self, wait: Duration, stop: impl Fn(&SseEvent) -> bool) -> Vec<SseEvent> {
        let mut got = Vec::new();
        loop {
            let event = self.next(wait).await.unwrap_or_else(|| panic!("no event came; so far: {got:?}"));
            let done = stop(&event);
            got.push(event);
            if done {
                return got;
            }
        }
    }
}
