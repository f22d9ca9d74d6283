//! The road graph of the current `route` rows, rebuilt in the background whenever roads
//! change (as the snapshot announces), and swapped in whole.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use arc_swap::ArcSwap;
use sqlx::PgPool;

use super::graph::RoadGraph;
use crate::snapshot::Snapshot;

/// Changes arriving within this window are rebuilt together.
const SETTLE: Duration = Duration::from_millis(100);

/// Loads the graph and keeps it current.
pub async fn start(pool: &PgPool, snapshot: &Snapshot) -> Result<Arc<ArcSwap<RoadGraph>>> {
    let mut changes = snapshot.subscribe();
    let graph = Arc::new(ArcSwap::from_pointee(RoadGraph::load(pool).await?));
    let (current, pool) = (graph.clone(), pool.clone());
    tokio::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) if change.layer != "route" => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                _ => {}
            }
            tokio::time::sleep(SETTLE).await;
            while changes.try_recv().is_ok() {}
            match RoadGraph::load(&pool).await {
                Ok(g) => {
                    let (nodes, arcs) = g.size();
                    current.store(Arc::new(g));
                    tracing::info!(nodes, arcs, "road graph rebuilt");
                }
                Err(err) => tracing::warn!(error = %err, "cannot rebuild the road graph"),
            }
        }
    });
    Ok(graph)
}
