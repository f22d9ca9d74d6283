//! Lean at scale: the release `onemap serve` on the generated network of a million road
//! segments, as an operator starts it: seconds from its start until it answers (the database
//! already running), and its resident memory when it answers and once the road graph's
//! landmarks are computed, beside the same server on an empty database (what the road graph
//! and the map snapshot add).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use onemap::db::{self, LocalCluster};

use super::served::Served;

/// The figure to stay within (issue 25): road graph and map snapshot together.
const BUDGET_MB: f64 = 500.0;
/// The figure to stay within: ready after the database answers.
const READY_S: f64 = 3.0;

/// Prints the figures for the generated province of side `side`.
pub async fn run(cluster: &LocalCluster, side: usize) -> Result<()> {
    let database = &super::routing::province_name(side);
    let segments: i64 = sqlx::query_scalar("SELECT count(*) FROM route")
        .fetch_one(&super::routing::province(cluster, side).await?)
        .await?;
    db::ensure_database(cluster, "bench_empty").await?;
    let empty = Served::start(cluster, "bench_empty", &[]).await?;
    let (base, empty_s) = (empty.resident_mb()?, empty.ready_s);
    drop(empty);
    let full = Served::start(cluster, database, &[]).await?;
    let at_ready = full.resident_mb()?;
    let waited = Instant::now();
    full.landmarks.recv_timeout(Duration::from_secs(120)).context("the landmarks were not ready in 2 minutes")?;
    let with_landmarks = full.resident_mb()?;
    println!(
        "lean at scale: onemap serve on {segments} road segments ready {:.1} s after start (target ≤ {READY_S} s; an empty \
         database: {:.2} s); resident {at_ready:.0} MB when ready, {with_landmarks:.0} MB with the landmarks ({:.1} s later), \
         against {base:.0} MB on an empty database: the road graph and the map snapshot take {:.0} MB (target ≤ {BUDGET_MB} MB)",
        full.ready_s,
        empty_s,
        waited.elapsed().as_secs_f64(),
        with_landmarks - base,
    );
    Ok(())
}
