//! The live feed: the database's numbered event log (`event_log`), announced to this process's
//! listeners in order and read back for a client that reconnects, so nothing is lost.

pub mod deadlines;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;
use tokio::sync::{Mutex, broadcast};

/// Most events a reconnecting client is sent; further behind, it is told to reload.
pub const MAX_BACKLOG: i64 = 2_000;
/// How long events are kept.
pub const KEEP_DAYS: i32 = 30;

/// One event of the log.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct FeedEvent {
    /// Its number: increasing in commit order.
    pub id: i64,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// `change`, `incident`, `report`, `report_due`, `dispatch`, `warning`.
    pub kind: String,
    /// What happened.
    pub data: sqlx::types::Json<Value>,
    /// Who did it (a onemap user, `onemap:<task>`, or a database role).
    pub actor: Option<String>,
}

/// The events of the log after `after`, up to `upto`, at most `limit`, in order.
pub async fn read(pool: &PgPool, after: i64, upto: i64, limit: i64) -> sqlx::Result<Vec<FeedEvent>> {
    sqlx::query_as("SELECT id, at, kind, data, actor FROM event_log WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3")
        .bind(after)
        .bind(upto)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// The oldest and the newest id in the log (0 when empty).
pub async fn bounds(pool: &PgPool) -> sqlx::Result<(i64, i64)> {
    let (oldest, newest): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT min(id), max(id) FROM event_log").fetch_one(pool).await?;
    Ok((oldest.unwrap_or(0), newest.unwrap_or(0)))
}

/// Drops events older than [`KEEP_DAYS`].
pub async fn prune(pool: &PgPool) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM event_log WHERE at < now() - make_interval(days => $1)")
        .bind(KEEP_DAYS)
        .execute(pool)
        .await?
        .rows_affected())
}

/// This process's announcer of the log: every event once, in order.
pub struct Feed {
    sender: broadcast::Sender<Arc<FeedEvent>>,
    /// Milliseconds from the last announced event's commit to its announcement.
    pub lag_ms: AtomicI64,
    /// The highest id announced.
    announced: AtomicI64,
    reading: Mutex<()>,
}

impl Feed {
    /// A feed that announces what comes after the log's present end.
    pub async fn start(pool: &PgPool) -> sqlx::Result<Arc<Self>> {
        let (_, newest) = bounds(pool).await?;
        let (sender, _) = broadcast::channel(4096);
        Ok(Arc::new(Self {
            sender,
            lag_ms: AtomicI64::new(0),
            announced: AtomicI64::new(newest),
            reading: Mutex::new(()),
        }))
    }

    /// Listens to the announcements.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<FeedEvent>> {
        self.sender.subscribe()
    }

    /// The highest id announced so far: events up to it are read from the log, later ones heard.
    pub fn announced(&self) -> i64 {
        self.announced.load(Ordering::Acquire)
    }

    /// Reads and announces the events after the last announced, up to `upto`.
    pub async fn announce_to(&self, pool: &PgPool, upto: i64) -> sqlx::Result<()> {
        let _one = self.reading.lock().await;
        loop {
            let from = self.announced();
            if from >= upto {
                return Ok(());
            }
            let events = read(pool, from, upto, 1000).await?;
            let Some(last) = events.last().map(|e| e.id) else {
                self.announced.store(upto.max(from), Ordering::Release);
                return Ok(());
            };
            for event in events {
                self.lag_ms.store((chrono::Utc::now() - event.at).num_milliseconds(), Ordering::Relaxed);
                let _ = self.sender.send(Arc::new(event));
            }
            self.announced.store(last, Ordering::Release);
        }
    }
}
