//! One MVT tile from the snapshot: R-tree query of the buffered tile, transform to tile units,
//! clip (lines by Liang–Barsky, polygons by a true intersection), simplify at tile resolution, snap to the integer grid, orient rings, encode.

use geo::{BooleanOps, BoundingRect, Coord, CoordsIter, Geometry, LineString, MapCoords, Simplify};
use mvt::{GeomEncoder, GeomType, Tile};

use super::clip::{Window, clip_line};
use super::{BUFFER, EXTENT, TileId};
use crate::snapshot::{LayerSnapshot, Tag};

/// Douglas–Peucker tolerance in tile units: half a unit, below what the grid can show.
const SIMPLIFY: f64 = 0.5;

/// The tile's bytes for `layers`; empty when no feature falls in the tile.
pub fn encode(layers: &[&LayerSnapshot], id: TileId) -> Result<Vec<u8>, mvt::Error> {
    let [west, south, east, north] = id.bounds();
    let scale = f64::from(EXTENT) / id.size();
    let margin = f64::from(BUFFER) / scale;
    let to_tile = |c: Coord<f64>| Coord { x: (c.x - west) * scale, y: (north - c.y) * scale };
    let b = f64::from(BUFFER);
    let window =
        Window { min: Coord { x: -b, y: -b }, max: Coord { x: f64::from(EXTENT) + b, y: f64::from(EXTENT) + b } };

    let mut tile = Tile::new(EXTENT);
    let mut any = false;
    for snapshot in layers {
        let mut layer = tile.create_layer(snapshot.layer.name);
        let mut hits = snapshot.query(id.z, [west - margin, south - margin], [east + margin, north + margin]);
        // Stable output (and ETags) whatever the R-tree's order.
        hits.sort_unstable_by_key(|f| f.id);
        for feature in &hits {
            let Some(data) = geometry(&feature.geometry, &to_tile, &window)? else { continue };
            layer = tagged(layer.into_feature(data), feature).into_layer();
        }
        if layer.num_features() > 0 {
            any = true;
            tile.add_layer(layer)?;
        }
        // One label point per area, in the one tile that holds it (`{layer}_label`), so a
        // district spanning many tiles is named once.
        if snapshot.layer.geometry != crate::layers::spec::GeometryRule::MultiPolygon {
            continue;
        }
        let mut labels = tile.create_layer(&format!("{}_label", snapshot.layer.name));
        for feature in &hits {
            let Some(at) =
                feature.label.as_deref().copied().filter(|c| c.x >= west && c.x < east && c.y > south && c.y <= north)
            else {
                continue;
            };
            let p = to_tile(at);
            let data = GeomEncoder::new(GeomType::Point).point(p.x.round(), p.y.round())?.encode()?;
            labels = tagged(labels.into_feature(data), feature).into_layer();
        }
        if labels.num_features() > 0 {
            any = true;
            tile.add_layer(labels)?;
        }
    }
    if !any {
        return Ok(Vec::new());
    }
    tile.to_bytes()
}

/// The feature with its id and tags.
fn tagged(mut f: mvt::Feature, feature: &crate::snapshot::MapFeature) -> mvt::Feature {
    f.set_id(feature.id as u64);
    for (key, value) in feature.tags.iter() {
        match value {
            Tag::Text(s) => f.add_tag_string(key, s),
            Tag::Bool(b) => f.add_tag_bool(key, *b),
            Tag::Number(n) if n.fract() == 0.0 && n.abs() < 9e15 => f.add_tag_sint(key, *n as i64),
            Tag::Number(n) => f.add_tag_double(key, *n),
        }
    }
    f
}

/// Encodes one geometry, or None when nothing of it is left in the tile.
fn geometry(
    g: &Geometry<f64>,
    to_tile: &impl Fn(Coord<f64>) -> Coord<f64>,
    window: &Window,
) -> Result<Option<mvt::GeomData>, mvt::Error> {
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => {
            let points: Vec<Coord<f64>> = g.coords_iter().map(to_tile).filter(|c| window.contains(*c)).collect();
            if points.is_empty() {
                return Ok(None);
            }
            let mut enc = GeomEncoder::new(GeomType::Point);
            for p in points {
                enc.add_point(p.x.round(), p.y.round())?;
            }
            enc.encode().map(Some)
        }
        // As PostGIS's ST_AsMVTGeom: a line or an area less than half a unit across both ways
        // is below what the tile can show, even where rounding would leave two points apart.
        _ if g.bounding_rect().is_some_and(|r| {
            let (a, b) = (to_tile(r.min()), to_tile(r.max()));
            (b.x - a.x).abs() < 0.5 && (b.y - a.y).abs() < 0.5
        }) =>
        {
            Ok(None)
        }
        Geometry::LineString(line) => lines(std::slice::from_ref(line), to_tile, window),
        Geometry::MultiLineString(m) => lines(&m.0, to_tile, window),
        Geometry::Polygon(p) => polygons(std::slice::from_ref(p), to_tile, window),
        Geometry::MultiPolygon(m) => polygons(&m.0, to_tile, window),
        _ => Ok(None),
    }
}

fn lines(
    lines: &[LineString<f64>],
    to_tile: &impl Fn(Coord<f64>) -> Coord<f64>,
    window: &Window,
) -> Result<Option<mvt::GeomData>, mvt::Error> {
    let mut enc = GeomEncoder::new(GeomType::Linestring);
    let mut any = false;
    for line in lines {
        let points: Vec<Coord<f64>> = line.0.iter().map(|c| to_tile(*c)).collect();
        for part in clip_line(&points, window) {
            let snapped = snap(&LineString(part).simplify(SIMPLIFY).0);
            // A part lying only on the window's edge is outside (as PostGIS's clip-by-rect has
            // it); one that runs out to a point and back to where it began is dropped, as
            // PostGIS drops it.
            let out_and_back = snapped.len() == 3 && snapped[0] == snapped[2];
            if snapped.len() < 2 || out_and_back || on_one_edge(&snapped, window) {
                continue;
            }
            for c in &snapped {
                enc.add_point(c.x, c.y)?;
            }
            enc.complete_geom()?;
            any = true;
        }
    }
    if any { enc.encode().map(Some) } else { Ok(None) }
}

fn polygons(
    polygons: &[geo::Polygon<f64>],
    to_tile: &impl Fn(Coord<f64>) -> Coord<f64>,
    window: &Window,
) -> Result<Option<mvt::GeomData>, mvt::Error> {
    let mut enc = GeomEncoder::new(GeomType::Polygon);
    let mut any = false;
    for polygon in polygons {
        let polygon = polygon.map_coords(to_tile);
        for part in clip_polygon(polygon, window) {
            let exterior = ring(part.exterior());
            if exterior.is_empty() {
                continue;
            }
            // MVT: exterior rings have positive area in tile coordinates (y down), holes negative.
            add_ring(&mut enc, exterior, true)?;
            for hole in part.interiors() {
                let hole = ring(hole);
                if !hole.is_empty() {
                    add_ring(&mut enc, hole, false)?;
                }
            }
            any = true;
        }
    }
    if any { enc.encode().map(Some) } else { Ok(None) }
}

/// A ring simplified and snapped to the grid; empty when it collapses.
fn ring(r: &LineString<f64>) -> Vec<Coord<f64>> {
    let snapped = snap(&r.simplify(SIMPLIFY).0);
    // A ring needs three distinct corners and some area once on the grid.
    if snapped.len() < 4 || area(&snapped) == 0.0 { Vec::new() } else { snapped }
}

/// The polygon inside the window: as is when wholly inside, else a true intersection (which,
/// like GEOS in PostGIS, splits a polygon that leaves and re-enters the window into parts).
fn clip_polygon(polygon: geo::Polygon<f64>, window: &Window) -> Vec<geo::Polygon<f64>> {
    let Some(bbox) = polygon.bounding_rect() else { return Vec::new() };
    if window.contains(bbox.min()) && window.contains(bbox.max()) {
        return vec![polygon];
    }
    if bbox.max().x < window.min.x
        || bbox.min().x > window.max.x
        || bbox.max().y < window.min.y
        || bbox.min().y > window.max.y
    {
        return Vec::new();
    }
    polygon.intersection(&geo::Rect::new(window.min, window.max).to_polygon()).0
}

fn add_ring(enc: &mut GeomEncoder<f64>, mut ring: Vec<Coord<f64>>, exterior: bool) -> Result<(), mvt::Error> {
    if (area(&ring) > 0.0) != exterior {
        ring.reverse();
    }
    // The closing point is implied by ClosePath.
    for c in &ring[..ring.len() - 1] {
        enc.add_point(c.x, c.y)?;
    }
    enc.complete_geom()
}

/// True when every point lies on the same edge of the window.
fn on_one_edge(points: &[Coord<f64>], window: &Window) -> bool {
    let all = |f: &dyn Fn(&Coord<f64>) -> bool| points.iter().all(f);
    all(&|c| c.x == window.min.x)
        || all(&|c| c.x == window.max.x)
        || all(&|c| c.y == window.min.y)
        || all(&|c| c.y == window.max.y)
}

/// Rounds to the tile grid and drops repeated points.
fn snap(points: &[Coord<f64>]) -> Vec<Coord<f64>> {
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(points.len());
    for c in points {
        let c = Coord { x: c.x.round(), y: c.y.round() };
        if out.last() != Some(&c) {
            out.push(c);
        }
    }
    out
}

/// Twice the signed area by the surveyor's formula (positive = clockwise on screen, y down).
fn area(ring: &[Coord<f64>]) -> f64 {
    ring.windows(2).map(|w| w[0].x * w[1].y - w[1].x * w[0].y).sum()
}
