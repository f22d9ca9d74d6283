//! `onemap import-osm`: the drivable roads of an OpenStreetMap extract into `route`, split at
//! junctions (nodes shared by two or more roads), with OSM's speeds, one-way and hazmat rules.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use osmpbf::{Element, ElementReader};

use super::roads::Road;

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
    name: Option<String>,
    class: &'static str,
    speed_kmh: f64,
    oneway: bool,
    hazmat_allowed: bool,
    nodes: Vec<i64>,
}

/// Reads the tags of a way; None when a car may not drive it.
fn way(tags: &HashMap<&str, &str>, mut nodes: Vec<i64>) -> Option<Way> {
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
    Some(Way { name: tags.get("name").map(|s| s.to_string()), class, speed_kmh, oneway, hazmat_allowed, nodes })
}

/// The drivable roads of `path`, split at junctions; with `bbox`, only segments wholly inside.
pub fn read(path: &Path, bbox: Option<[f64; 4]>) -> Result<Vec<Road>> {
    if !path.exists() {
        bail!("{} does not exist", path.display());
    }
    let reader = ElementReader::from_path(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut coords: HashMap<i64, [f64; 2]> = HashMap::new();
    let mut ways: Vec<Way> = Vec::new();
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
                    if let Some(way) = way(&tags, w.refs().collect()) {
                        ways.push(way);
                    }
                }
                Element::Relation(_) => {}
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
    for w in ways {
        let mut points: Vec<[f64; 2]> = Vec::new();
        let mut complete = true;
        for (i, n) in w.nodes.iter().enumerate() {
            let Some(p) = coords.get(n) else {
                // A node outside the extract: the way is cut there.
                complete = false;
                points.clear();
                continue;
            };
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
                }
                points = vec![*p];
                complete = true;
            }
        }
    }
    Ok(roads)
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
        let w = way(&tags(&[("highway", "residential"), ("oneway", "-1")]), vec![1, 2, 3]).unwrap();
        assert!(w.oneway && w.nodes == vec![3, 2, 1]);
        assert!(way(&tags(&[("highway", "motorway")]), vec![1, 2]).unwrap().oneway);
        assert!(way(&tags(&[("highway", "primary"), ("junction", "roundabout")]), vec![1, 2]).unwrap().oneway);
        assert!(way(&tags(&[("highway", "footway")]), vec![1, 2]).is_none());
        assert!(way(&tags(&[("highway", "service"), ("access", "private")]), vec![1, 2]).is_none());
        assert!(!way(&tags(&[("highway", "trunk"), ("hazmat", "no")]), vec![1, 2]).unwrap().hazmat_allowed);
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
}

impl std::fmt::Display for OsmSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let share = if self.nodes > 0 { 100.0 * self.largest_component as f64 / self.nodes as f64 } else { 0.0 };
        write!(
            f,
            "imported {} road segments; road network: {} nodes, {} directed edges; largest strongly connected component: {} nodes ({share:.1} %)",
            self.segments, self.nodes, self.arcs, self.largest_component
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
    let roads = tokio::task::spawn_blocking(move || read(&owned, bbox)).await??;
    if roads.is_empty() {
        bail!("{} holds no drivable roads{}", path.display(), if bbox.is_some() { " inside the bbox" } else { "" });
    }
    let segments = super::roads::insert(pool, actor, &roads, replace).await?;
    let graph = crate::routing::RoadGraph::load(pool).await?;
    let (nodes, arcs) = graph.size();
    let largest_component = petgraph::algo::kosaraju_scc(&graph.graph).iter().map(Vec::len).max().unwrap_or(0);
    Ok(OsmSummary { segments, nodes, arcs, largest_component })
}
