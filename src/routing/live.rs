//! The road (or river) graph of the current `route` rows, rebuilt in the background whenever
//! routes change (as the snapshot announces), and swapped in whole.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use arc_swap::ArcSwap;
use sqlx::PgPool;

use super::graph::RoadGraph;
use tokio::sync::broadcast;

use crate::snapshot::{Change, Snapshot};

/// Changes arriving within this window are rebuilt together.
const SETTLE: Duration = Duration::from_millis(100);

/// Which network of the `route` rows.
#[derive(Debug, Clone, Copy)]
pub enum Network {
    /// Rows of kind road, for routing vehicles.
    Roads,
    /// Rows of kind river, one-way in flow direction, for tracing spills.
    Rivers,
}

impl Network {
    /// Reads the network from the `route` rows.
    pub async fn load(self, pool: &PgPool) -> Result<RoadGraph> {
        match self {
            Self::Roads => RoadGraph::load(pool).await,
            Self::Rivers => super::rivers::load_rivers(pool).await,
        }
    }

    /// Serves `graph` from now on; a road graph computes its landmarks in the background (its
    /// routes are plain searches until they are ready).
    fn serve(self, current: &ArcSwap<RoadGraph>, graph: Arc<RoadGraph>) {
        current.store(graph.clone());
        if matches!(self, Self::Roads) {
            tokio::task::spawn_blocking(move || {
                let started = std::time::Instant::now();
                graph.prepare_landmarks();
                if let Some(l) = graph.landmarks.get() {
                    let seconds = started.elapsed().as_secs_f64();
                    tracing::info!(count = l.count(), mb = l.bytes() / 1_000_000, seconds, "landmarks ready");
                }
            });
        }
    }
}

/// Loads the graph and keeps it current.
pub async fn start(pool: &PgPool, snapshot: &Snapshot, network: Network) -> Result<Arc<ArcSwap<RoadGraph>>> {
    let changes = snapshot.subscribe();
    let loaded = network.load(pool).await?;
    Ok(follow(pool, changes, network, loaded))
}

/// Serves `loaded` and keeps it current: `changes` must have been subscribed to before the
/// rows of `loaded` were read (or come from a snapshot that listened before), so that no change
/// falls between the two.
pub fn follow(
    pool: &PgPool,
    mut changes: broadcast::Receiver<Change>,
    network: Network,
    loaded: RoadGraph,
) -> Arc<ArcSwap<RoadGraph>> {
    let loaded = Arc::new(loaded);
    let graph = Arc::new(ArcSwap::new(loaded.clone()));
    network.serve(&graph, loaded);
    let (current, pool) = (graph.clone(), pool.clone());
    tokio::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) if change.layer != "route" && change.layer != "turn_restriction" => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                _ => {}
            }
            tokio::time::sleep(SETTLE).await;
            while changes.try_recv().is_ok() {}
            match network.load(&pool).await {
                Ok(g) => {
                    let (nodes, arcs) = g.size();
                    network.serve(&current, Arc::new(g));
                    tracing::info!(nodes, arcs, ?network, "graph rebuilt");
                }
                Err(err) => tracing::warn!(error = %err, ?network, "cannot rebuild the graph"),
            }
        }
    });
    graph
}
