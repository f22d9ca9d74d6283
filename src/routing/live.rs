//! The road (or river) graph of the current `route` rows, rebuilt in the background whenever
//! routes change (as the snapshot announces), and swapped in whole.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use arc_swap::ArcSwap;
use sqlx::PgPool;

use super::graph::RoadGraph;
use crate::snapshot::Snapshot;

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
    async fn load(self, pool: &PgPool) -> Result<RoadGraph> {
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
            tokio::task::spawn_blocking(move || graph.prepare_landmarks());
        }
    }
}

/// Loads the graph and keeps it current.
pub async fn start(pool: &PgPool, snapshot: &Snapshot, network: Network) -> Result<Arc<ArcSwap<RoadGraph>>> {
    let mut changes = snapshot.subscribe();
    let loaded = Arc::new(network.load(pool).await?);
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
    Ok(graph)
}
