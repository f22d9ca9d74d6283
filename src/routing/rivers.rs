//! The river network: `route` rows of kind river, drawn in flow direction, as a graph whose
//! edges are one-way downstream (split where a tributary joins).

use anyhow::Result;
use geo::{Coord, LineString};
use sqlx::PgPool;

use super::graph::{RoadGraph, RoadRow};

/// The river network (a [`RoadGraph`] whose edges are one-way in flow direction).
pub async fn load_rivers(pool: &PgPool) -> Result<RoadGraph> {
    Ok(RoadGraph::build(split_at_mouths(super::graph::rows(pool, "river").await?)))
}

/// A tributary may end on a vertex inside the river it joins (the main river not split there):
/// the main river is split at that vertex so the water can go on (both pieces keep its id).
pub fn split_at_mouths(rivers: Vec<RoadRow>) -> Vec<RoadRow> {
    let key = |c: &Coord<f64>| ((c.x * 1e7).round() as i64, (c.y * 1e7).round() as i64);
    let ends: std::collections::HashSet<(i64, i64)> =
        rivers.iter().flat_map(|r| [key(&r.line.0[0]), key(r.line.0.last().expect("a line has points"))]).collect();
    let mut out = Vec::with_capacity(rivers.len());
    for river in rivers {
        let points = &river.line.0;
        let mut start = 0;
        for i in 1..points.len() - 1 {
            if ends.contains(&key(&points[i])) {
                out.push(RoadRow { line: LineString(points[start..=i].to_vec()), ..river.clone() });
                start = i;
            }
        }
        out.push(RoadRow { line: LineString(points[start..].to_vec()), ..river });
    }
    out
}
