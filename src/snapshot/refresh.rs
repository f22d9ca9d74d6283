//! Keeps the snapshot in step with the database through `LISTEN onemap_change`, so changes by
//! another onemap process or by plain SQL reach the map; a lost connection means a full reload.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::{Change, Snapshot};
use crate::feed::{self, Feed};

/// The channel the triggers notify on.
const CHANNEL: &str = "onemap_change";
/// Notifications arriving within this window after the first are applied together.
const BATCH_WINDOW: Duration = Duration::from_millis(20);

/// What [`start`] gives.
pub struct Started<T> {
    /// The map layers.
    pub snapshot: Arc<Snapshot>,
    /// The event log's announcer.
    pub feed: Arc<Feed>,
    /// The task following the database (runs until the runtime stops).
    pub task: JoinHandle<()>,
    /// What was loaded beside the snapshot.
    pub beside: T,
    /// The snapshot's changes from the first one applied after loading.
    pub changes: broadcast::Receiver<Change>,
}

/// Listens first, then loads: a change made while loading is applied again afterwards, so
/// nothing is missed between the two. `beside` (the road graph: another reader of a million
/// rows) loads at the same time, after the LISTEN, so it too hears through `changes` of every
/// change it may have missed. The feed's events are announced after the changes they report
/// are applied.
pub async fn start<T>(pool: &PgPool, beside: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<Started<T>> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    let (snapshot, beside) = tokio::try_join!(Snapshot::load(pool), beside)?;
    let changes = snapshot.subscribe();
    let feed = Feed::start(pool).await?;
    let task = tokio::spawn(follow(snapshot.clone(), feed.clone(), pool.clone(), listener));
    Ok(Started { snapshot, feed, task, beside, changes })
}

async fn follow(snapshot: Arc<Snapshot>, feed: Arc<Feed>, pool: PgPool, mut listener: PgListener) {
    loop {
        listen(&snapshot, &feed, &pool, &mut listener).await;
        // The connection was lost: listen again, then read everything that may have been missed.
        listener = loop {
            if let Some(l) = reconnect(&pool).await {
                break l;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        if let Err(err) = snapshot.reload_all(&pool).await {
            tracing::warn!(error = %err, "reload after reconnect failed");
        }
        let announced = match feed::bounds(&pool).await {
            Ok((_, newest)) => feed.announce_to(&pool, newest).await,
            Err(err) => Err(err),
        };
        if let Err(err) = announced {
            tracing::warn!(error = %err, "cannot read the event log after reconnect");
        }
    }
}

async fn reconnect(pool: &PgPool) -> Option<PgListener> {
    let mut listener = PgListener::connect_with(pool)
        .await
        .map_err(|e| tracing::warn!(error = %e, "cannot listen for changes"))
        .ok()?;
    listener.listen(CHANNEL).await.map_err(|e| tracing::warn!(error = %e, "LISTEN failed")).ok()?;
    Some(listener)
}

/// Applies batches of notifications until the connection is lost.
async fn listen(snapshot: &Snapshot, feed: &Feed, pool: &PgPool, listener: &mut PgListener) {
    loop {
        let first = match listener.try_recv().await {
            Ok(Some(n)) => n,
            Ok(None) => {
                // The connection was lost. Listen again first, then reload (in `follow`): the
                // other order would miss what changes between the reload and the new LISTEN.
                tracing::warn!("change notifications interrupted; listening again and reloading the map layers");
                return;
            }
            Err(err) => {
                tracing::warn!(error = %err, "change notifications failed");
                return;
            }
        };
        let mut pending: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        let mut events = 0;
        add(&mut pending, &mut events, first.payload());
        while let Ok(Ok(Some(n))) = tokio::time::timeout(BATCH_WINDOW, listener.try_recv()).await {
            add(&mut pending, &mut events, n.payload());
            if pending.values().map(Vec::len).sum::<usize>() > 50_000 {
                break;
            }
        }
        for (layer, ids) in pending {
            if let Err(err) = snapshot.apply(pool, &layer, &ids).await {
                tracing::warn!(error = %err, layer, "cannot refresh the layer");
            }
        }
        if events > 0
            && let Err(err) = feed.announce_to(pool, events).await
        {
            tracing::warn!(error = %err, "cannot read the event log");
        }
    }
}

/// Adds a row notification to `pending`, or raises `events` to an event-log marker.
fn add(pending: &mut BTreeMap<String, Vec<i64>>, events: &mut i64, payload: &str) {
    let Ok(v) = serde_json::from_str::<Value>(payload) else { return };
    if let Some(last) = v["event"].as_i64() {
        *events = (*events).max(last);
        return;
    }
    if let (Some(layer), Some(id)) = (v["layer"].as_str(), v["id"].as_i64()) {
        pending.entry(layer.to_string()).or_default().push(id);
    }
}
