//! `onemap import-osm`: the drivable roads of an OpenStreetMap extract into `route`, split at
//! junctions (nodes shared by two or more roads), with OSM's speeds, one-way and hazmat rules.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use osmpbf::{Element, ElementReader, RelMemberType};

use super::roads::{Road, Turn};
use crate::layers::spec::TURN_KINDS;

/// Drivable highway classes and the class and default speed (km/h) they map to.
fn class_of(highway: &str) -> Option<(&'static str, f64)> {
    Some(match highway {
        "motorway" | "motorway_link" => ("motorway", 100.0),
        "trunk" | "trunk_link" => ("trunk", 80.0),
        "primary" | "primary_link" => ("primary", 60.0),
        "secondary" | "secondary_link" => ("secondary", 50.0),
        "tertiary" | "tertiary_link" => ("tertiary", 40.0),
        "unclassified" | "road" => ("unclassified", 30.0),
        "residential" => ("residential", 30.0),
        "living_street" => ("residential", 10.0),
        "service" => ("service", 20.0),
        _ => return None,
    })
}

/// `maxspeed` in km/h: "50", "50 mph", "walk"; country codes such as "FI:urban" give None.
fn max_speed(value: &str) -> Option<f64> {
    let v = value.trim();
    if v == "walk" {
        return Some(7.0);
    }
    let (number, mph) = match v.strip_suffix("mph") {
        Some(n) => (n.trim(), true),
        None => (v.trim_end_matches("km/h").trim(), false),
    };
    let n: f64 = number.parse().ok()?;
    let kmh = if mph { n * 1.609_344 } else { n };
    (kmh > 0.0 && kmh <= 200.0).then_some(kmh)
}

/// A drivable way as read: its nodes in drawing direction and its attributes.
struct Way {
    id: i64,
    name: Option<String>,
    class: &'static str,
    speed_kmh: f64,
    oneway: bool,
    hazmat_allowed: bool,
    nodes: Vec<i64>,
}

/// Reads the tags of a way; None when a car may not drive it.
fn way(id: i64, tags: &HashMap<&str, &str>, mut nodes: Vec<i64>) -> Option<Way> {
    let highway = tags.get("highway")?;
    let (class, default_speed) = class_of(highway)?;
    let no = |k: &str| tags.get(k).is_some_and(|v| matches!(*v, "no" | "private"));
    let yes = |k: &str| tags.get(k).is_some_and(|v| matches!(*v, "yes" | "designated" | "permissive" | "destination"));
    if tags.get("area") == Some(&"yes")
        || no("motor_vehicle")
        || no("motorcar")
        || (no("access") && !yes("motor_vehicle") && !yes("motorcar"))
    {
        return None;
    }
    let speed_kmh = tags.get("maxspeed").and_then(|v| max_speed(v)).unwrap_or(default_speed);
    let implied = matches!(*highway, "motorway" | "motorway_link")
        || matches!(tags.get("junction"), Some(&"roundabout" | &"circular"));
    let oneway = match tags.get("oneway").copied() {
        Some("yes" | "true" | "1") => true,
        Some("-1" | "reverse") => {
            nodes.reverse();
            true
        }
        Some("no" | "false" | "0") => false,
        _ => implied,
    };
    let hazmat_allowed = tags.get("hazmat") != Some(&"no");
    if nodes.len() < 2 {
        return None;
    }
    Some(Way { id, name: tags.get("name").map(|s| s.to_string()), class, speed_kmh, oneway, hazmat_allowed, nodes })
}

/// A `type=restriction` relation for cars: from a way, via a node, to a way.
#[derive(Debug, Clone, PartialEq)]
struct Restriction {
    id: i64,
    kind: String,
    from: i64,
    via: i64,
    to: i64,
}

/// Why a restriction relation is left out.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Unusable {
    /// Via a way, not a node.
    ViaWay,
    /// Not for cars, or not one from way, one via node and one to way.
    Other,
}

/// Reads a restriction relation; Err when onemap cannot use it.
fn restriction(
    id: i64,
    tags: &HashMap<&str, &str>,
    members: &[(RelMemberType, i64, &str)],
) -> Option<Result<Restriction, Unusable>> {
    if tags.get("type") != Some(&"restriction") {
        return None;
    }
    let kind = tags.get("restriction").or_else(|| tags.get("restriction:motorcar")).copied();
    let Some(kind) = kind.filter(|k| TURN_KINDS.contains(k)) else {
        return Some(Err(Unusable::Other));
    };
    if tags.get("except").is_some_and(|e| e.split(';').any(|v| v.trim() == "motorcar")) {
        return Some(Err(Unusable::Other));
    }
    let role = |r: &str, t: RelMemberType| -> Vec<i64> {
        members.iter().filter(|m| m.2 == r && m.0 == t).map(|m| m.1).collect()
    };
    let (from, via, to) =
        (role("from", RelMemberType::Way), role("via", RelMemberType::Node), role("to", RelMemberType::Way));
    if !role("via", RelMemberType::Way).is_empty() {
        return Some(Err(Unusable::ViaWay));
    }
    match (from.as_slice(), via.as_slice(), to.as_slice()) {
        ([from], [via], [to]) => Some(Ok(Restriction { id, kind: kind.to_string(), from: *from, via: *via, to: *to })),
        _ => Some(Err(Unusable::Other)),
    }
}

/// What became of the turn restrictions of an extract.
#[derive(Debug, Default, Clone)]
pub struct TurnReport {
    /// Kept, between two imported roads.
    pub kept: usize,
    /// Via a way (not kept).
    pub via_way: usize,
    /// Between roads not imported (not drivable, outside the extract or the bbox), or not
    /// meeting at the via node.
    pub unmatched: usize,
    /// Not for cars, or malformed.
    pub other: usize,
}

/// The drivable roads of `path`, split at junctions, and the turn restrictions between them;
/// with `bbox`, only segments wholly inside.
pub fn read(path: &Path, bbox: Option<[f64; 4]>) -> Result<(Vec<Road>, Vec<Turn>, TurnReport)> {
    if !path.exists() {
        bail!("{} does not exist", path.display());
    }
    let reader = ElementReader::from_path(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut coords: HashMap<i64, [f64; 2]> = HashMap::new();
    let mut ways: Vec<Way> = Vec::new();
    let mut restrictions: Vec<Restriction> = Vec::new();
    let mut report = TurnReport::default();
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} reading {msg} ({per_sec})") {
        bar.set_style(style);
    }
    let mut seen = 0u64;
    reader
        .for_each(|element| {
            match element {
                Element::Node(n) => {
                    coords.insert(n.id(), [n.lon(), n.lat()]);
                }
                Element::DenseNode(n) => {
                    coords.insert(n.id(), [n.lon(), n.lat()]);
                }
                Element::Way(w) => {
                    let tags: HashMap<&str, &str> = w.tags().collect();
                    if let Some(way) = way(w.id(), &tags, w.refs().collect()) {
                        ways.push(way);
                    }
                }
                Element::Relation(r) => {
                    let tags: HashMap<&str, &str> = r.tags().collect();
                    let members: Vec<(RelMemberType, i64, &str)> =
                        r.members().map(|m| (m.member_type.clone(), m.member_id, m.role().unwrap_or(""))).collect();
                    match restriction(r.id(), &tags, &members) {
                        Some(Ok(found)) => restrictions.push(found),
                        Some(Err(Unusable::ViaWay)) => report.via_way += 1,
                        Some(Err(Unusable::Other)) => report.other += 1,
                        None => {}
                    }
                }
            }
            seen += 1;
            if seen.is_multiple_of(100_000) {
                bar.set_message(format!("{seen} elements"));
                bar.tick();
            }
        })
        .with_context(|| format!("{} is not a readable OpenStreetMap PBF file", path.display()))?;
    bar.finish_and_clear();

    // A node used by two ways, or twice by one, is a junction: roads are split there.
    let mut uses: HashMap<i64, u32> = HashMap::new();
    for w in &ways {
        for n in &w.nodes {
            *uses.entry(*n).or_default() += 1;
        }
    }
    let inside = |p: &[f64; 2]| bbox.is_none_or(|[w, s, e, n]| p[0] >= w && p[0] <= e && p[1] >= s && p[1] <= n);
    let mut roads = Vec::new();
    // (way, first node, last node) of each road, for the restrictions.
    let mut ends: Vec<(i64, i64, i64)> = Vec::new();
    for w in ways {
        let mut first_node = w.nodes[0];
        let mut points: Vec<[f64; 2]> = Vec::new();
        let mut complete = true;
        for (i, n) in w.nodes.iter().enumerate() {
            let Some(p) = coords.get(n) else {
                // A node outside the extract: the way is cut there.
                complete = false;
                points.clear();
                continue;
            };
            if points.is_empty() {
                first_node = *n;
            }
            if points.last() != Some(p) {
                points.push(*p);
            }
            let junction = uses[n] > 1 || i == w.nodes.len() - 1;
            if junction && points.len() >= 2 {
                if complete && points.iter().all(inside) {
                    roads.push(Road {
                        name: w.name.clone(),
                        class: w.class,
                        speed_kmh: w.speed_kmh,
                        oneway: w.oneway,
                        hazmat_allowed: w.hazmat_allowed,
                        points: points.clone(),
                    });
                    ends.push((w.id, first_node, *n));
                }
                points = vec![*p];
                first_node = *n;
                complete = true;
            }
        }
    }
    let mut by_way: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, e) in ends.iter().enumerate() {
        by_way.entry(e.0).or_default().push(i);
    }
    // The one road of `way` that ends at `node` (a way running through its via node is not
    // a valid restriction: which half is meant?).
    let find = |way: i64, node: i64| {
        let mut matching = by_way.get(&way)?.iter().copied().filter(|&i| ends[i].1 == node || ends[i].2 == node);
        let first = matching.next()?;
        matching.next().is_none().then_some(first)
    };
    let mut turns = Vec::new();
    for r in restrictions {
        match (find(r.from, r.via), find(r.to, r.via)) {
            (Some(from), Some(to)) => {
                turns.push(Turn { kind: r.kind, from, to, at_end: ends[from].2 == r.via, osm_id: r.id })
            }
            _ => report.unmatched += 1,
        }
    }
    report.kept = turns.len();
    Ok((roads, turns, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_and_one_way_rules() {
        assert_eq!(max_speed("50"), Some(50.0));
        assert!((max_speed("30 mph").unwrap() - 48.28).abs() < 0.01);
        assert_eq!(max_speed("FI:urban"), None);
        let tags = |pairs: &[(&'static str, &'static str)]| pairs.iter().copied().collect::<HashMap<_, _>>();
        let w = way(1, &tags(&[("highway", "residential"), ("oneway", "-1")]), vec![1, 2, 3]).unwrap();
        assert!(w.oneway && w.nodes == vec![3, 2, 1]);
        assert!(way(1, &tags(&[("highway", "motorway")]), vec![1, 2]).unwrap().oneway);
        assert!(way(1, &tags(&[("highway", "primary"), ("junction", "roundabout")]), vec![1, 2]).unwrap().oneway);
        assert!(way(1, &tags(&[("highway", "footway")]), vec![1, 2]).is_none());
        assert!(way(1, &tags(&[("highway", "service"), ("access", "private")]), vec![1, 2]).is_none());
        assert!(!way(1, &tags(&[("highway", "trunk"), ("hazmat", "no")]), vec![1, 2]).unwrap().hazmat_allowed);
    }
}

/// What an OpenStreetMap import did, and the shape of the network after it.
#[derive(Debug)]
pub struct OsmSummary {
    /// Road segments written.
    pub segments: usize,
    /// Nodes of the whole road graph.
    pub nodes: usize,
    /// Directed arcs of the whole road graph.
    pub arcs: usize,
    /// Nodes in the largest strongly connected component.
    pub largest_component: usize,
    /// The turn restrictions.
    pub turns: TurnReport,
}

impl std::fmt::Display for OsmSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let share = if self.nodes > 0 { 100.0 * self.largest_component as f64 / self.nodes as f64 } else { 0.0 };
        write!(
            f,
            "imported {} road segments and {} turn restrictions ({} via a way and {} between roads not imported left out, {} not for cars); \
             road network: {} nodes, {} directed edges; largest strongly connected component: {} nodes ({share:.1} %)",
            self.segments,
            self.turns.kept,
            self.turns.via_way,
            self.turns.unmatched,
            self.turns.other,
            self.nodes,
            self.arcs,
            self.largest_component
        )
    }
}

/// Reads `path`, writes its roads (after removing all roads when `replace`), and measures the network.
pub async fn import(
    pool: &sqlx::PgPool,
    actor: &crate::auth::Actor,
    path: &Path,
    bbox: Option<[f64; 4]>,
    replace: bool,
) -> Result<OsmSummary> {
    let owned = path.to_path_buf();
    let (roads, turns, report) = tokio::task::spawn_blocking(move || read(&owned, bbox)).await??;
    if roads.is_empty() {
        bail!("{} holds no drivable roads{}", path.display(), if bbox.is_some() { " inside the bbox" } else { "" });
    }
    let segments = super::roads::insert(pool, actor, &roads, &turns, replace).await?;
    let graph = crate::routing::RoadGraph::load(pool).await?;
    let (nodes, arcs) = graph.size();
    let largest_component = petgraph::algo::kosaraju_scc(&graph.graph).iter().map(Vec::len).max().unwrap_or(0);
    Ok(OsmSummary { segments, nodes, arcs, largest_component, turns: report })
}
