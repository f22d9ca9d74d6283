//! Polygon validity at the sizes of issue 20's finding: onemap's check (PostGIS's
//! `ST_IsValidDetail` in one statement, as a write runs it) beside geo's `Validation`, the
//! pairwise check onemap used before, on the same polygons in the same run. An ordinary outline
//! (a circle) and a zigzag star, the worst shape found for GEOS.

use std::time::Instant;

use anyhow::Result;
use geo::{Coord, Geometry, LineString, Polygon, Validation};
use onemap::db::{self, LocalCluster};
use sqlx::postgres::PgPoolOptions;

fn shape(n: usize, zigzag: bool) -> Geometry<f64> {
    let ring: Vec<Coord<f64>> = (0..=n)
        .map(|i| {
            let a = (i % n) as f64 / n as f64 * std::f64::consts::TAU;
            let r = if zigzag && i % 2 == 1 { 0.04 } else { 0.05 };
            Coord { x: 106.55 + r * a.cos(), y: 29.6 + r * a.sin() }
        })
        .collect();
    Geometry::Polygon(Polygon::new(LineString(ring), vec![]))
}

/// The best of three, in milliseconds.
async fn best<F: AsyncFnMut()>(mut run: F) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        run().await;
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
    }
    best
}

pub async fn run(cluster: &LocalCluster) -> Result<()> {
    db::ensure_database(cluster, "bench_demo").await?;
    let pool = PgPoolOptions::new().max_connections(2).connect_with(cluster.connect_options("bench_demo")).await?;
    db::prepare(&pool).await?;
    onemap::write_reference_tables(&pool).await?;
    println!(
        "\npolygon validity (best of 3): onemap (PostGIS in the write) beside geo's pairwise check (before issue 20)"
    );
    for (name, zigzag) in [("circle", false), ("zigzag", true)] {
        for n in [3_000, 12_000, 20_000] {
            let g = shape(n, zigzag);
            let ours = best(async || {
                let found = onemap::layers::validity::first_invalid(&pool, &[Some(&g)]).await;
                assert!(matches!(found, Ok(None)), "a valid polygon was refused: {found:?}");
            })
            .await;
            let pairwise = best(async || assert!(g.is_valid())).await;
            println!(
                "  {name:<7} {n:>6} positions   onemap {ours:>8.1} ms   pairwise {pairwise:>9.1} ms   ratio {:.2}",
                ours / pairwise
            );
        }
    }
    Ok(())
}
