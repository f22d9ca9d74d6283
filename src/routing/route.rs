//! One search from an incident: snap it and the sources, run the bounded search, and the
//! pieces of the answer (the incident's snap and a path as GeoJSON, rounded figures).

use geo::Coord;
use serde_json::{Value, json};

use super::arrivals::Reached;
use super::request::{MAX_SNAP_M, RoadRules};
use super::search::nearest;
use super::{RoadGraph, Snap};
use crate::error::Error;

/// The outcome of one search from an incident: its snap, and per source the snap and the way.
pub struct Routed {
    /// Where the incident meets the road.
    pub incident: Snap,
    /// Per source (in the order given): its snap, or None when it is off the usable network.
    pub snaps: Vec<Option<Snap>>,
    /// Per source: how it reaches the incident (None: not reached, beyond the cut-off, or beyond `k`).
    pub reached: Vec<Option<Reached>>,
    /// Sources reached, nearest first (indices into the sources).
    pub ranked: Vec<usize>,
}

/// Snaps the incident (an error that says how far the road is when it cannot) and the sources,
/// then runs the one search for the `k` nearest sources.
pub fn route_from(
    graph: &RoadGraph,
    point: Coord<f64>,
    sources: &[Coord<f64>],
    rules: &RoadRules,
    k: usize,
) -> Result<Routed, Error> {
    // Without restrictions every edge is usable (no per-edge table to build), and the sources'
    // snaps can be remembered.
    let unrestricted = rules.restrictions.is_empty();
    let usable = if unrestricted { Vec::new() } else { rules.restrictions.usable(graph) };
    let ok = |e: usize| unrestricted || usable[e];
    let max_snap = rules.max_snap_m;
    let incident = snap_or_say(graph, point, "point", max_snap, &ok)?;
    let snaps: Vec<Option<Snap>> = sources
        .iter()
        .map(|c| if unrestricted { graph.snap_cached(*c, max_snap) } else { graph.snap(*c, max_snap, &ok) })
        .collect();
    let on_network: Vec<usize> = (0..sources.len()).filter(|&i| snaps[i].is_some()).collect();
    let searched: Vec<Snap> = on_network.iter().filter_map(|&i| snaps[i]).collect();
    let mut reached: Vec<Option<Reached>> = vec![None; sources.len()];
    let mut ranked = Vec::new();
    for mut r in nearest(graph, &incident, &searched, k, rules.cutoff_s, &ok) {
        let i = on_network[r.candidate];
        r.candidate = i;
        ranked.push(i);
        reached[i] = Some(r);
    }
    Ok(Routed { incident, snaps, reached, ranked })
}

/// `point` on the usable network, or an error on `field` that says how far the nearest road is.
fn snap_or_say(
    graph: &RoadGraph,
    point: Coord<f64>,
    field: &str,
    max_snap: f64,
    usable: &dyn Fn(usize) -> bool,
) -> Result<Snap, Error> {
    graph.snap(point, max_snap, usable).ok_or_else(|| {
        let nearest = graph
            .snap(point, MAX_SNAP_M, &|_| true)
            .map(|s| format!("; the nearest road is {:.0} m away", s.distance_m));
        Error::invalid(field, format!("no usable road within {max_snap} m of the point{}", nearest.unwrap_or_default()))
    })
}

/// One route from `from` to `to` under `rules`: the two snaps and the way, or None when no
/// usable road leads there (within the cut-off).
pub fn between(
    graph: &RoadGraph,
    from: Coord<f64>,
    to: Coord<f64>,
    rules: &RoadRules,
) -> Result<(Snap, Snap, Option<Reached>), Error> {
    let unrestricted = rules.restrictions.is_empty();
    let usable = if unrestricted { Vec::new() } else { rules.restrictions.usable(graph) };
    let ok = |e: usize| unrestricted || usable[e];
    let start = snap_or_say(graph, from, "from", rules.max_snap_m, &ok)?;
    let end = snap_or_say(graph, to, "to", rules.max_snap_m, &ok)?;
    // The search runs backwards from where the route ends.
    let way = nearest(graph, &end, &[start], 1, rules.cutoff_s, &ok).pop();
    Ok((start, end, way))
}

/// Rounds to a tenth.
pub fn tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Seconds as minutes, to a tenth.
pub fn minutes(seconds: f64) -> f64 {
    tenth(seconds / 60.0)
}

/// A point's snap as JSON (the point given, where it meets the road, how far, which road).
pub fn incident_json(graph: &RoadGraph, point: Coord<f64>, snap: &Snap) -> Value {
    json!({"point": [point.x, point.y], "snapped": [snap.point.x, snap.point.y],
           "snap_distance_m": tenth(snap.distance_m), "route_id": graph.edges[snap.edge].route_id})
}

/// A route as a GeoJSON LineString.
pub fn path_json(reached: &Reached) -> PathJson {
    PathJson { kind: "LineString", coordinates: reached.path.0.iter().map(|p| [p.x, p.y]).collect() }
}

/// A path as a GeoJSON LineString, written straight from its coordinates (not through a JSON
/// tree: a route across the country has thousands, an allocation each in a tree).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PathJson {
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: Vec<[f64; 2]>,
}
