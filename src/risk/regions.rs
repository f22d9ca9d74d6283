//! The regional and road risk indexes, pure: risk sources (hazard) weighed by the receptors
//! around them (exposure), summed per district or grid cell; hazmat roads weighed by the
//! receptors near them and the risk sources they serve. Distances are measured in a local
//! equirectangular frame (metres), exact enough within the 10 km the model looks.

use std::collections::BTreeMap;

use geo::{Coord, LineString, Polygon};
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::model::Model;

/// A risk source as the index sees it.
#[derive(Debug, Clone)]
pub struct Source {
    /// Database id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// HJ 941 grade (None: ungraded).
    pub grade: Option<String>,
    /// Q of air plus Q of water.
    pub q: f64,
    /// A point of it, lon/lat.
    pub at: Coord<f64>,
    /// The district it lies in (database id).
    pub district: Option<i64>,
}

/// A receptor as the index sees it.
#[derive(Debug, Clone)]
pub struct Receptor {
    /// Database id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Receptor kind.
    pub kind: String,
    /// People, when known.
    pub population: Option<f64>,
    /// The point of it nearest to nothing in particular: a point on its surface, lon/lat.
    pub at: Coord<f64>,
}

/// A source scored: hazard × exposure, with the receptors that make up the exposure.
#[derive(Debug, Clone)]
pub struct Scored {
    /// Index into the sources.
    pub source: usize,
    /// Grade weight × (1 + log10(1 + Q)).
    pub hazard: f64,
    /// 1 + Σ receptor weight × decay.
    pub exposure: f64,
    /// hazard × exposure.
    pub index: f64,
    /// (receptor index, its part of the index: hazard × weight × decay), largest first.
    pub receptors: Vec<(usize, f64)>,
}

/// A local metric frame around a latitude.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    kx: f64,
}

const METRES_PER_DEGREE_LAT: f64 = 110_574.0;
/// How much wider than the reach the candidate search in the city's frame looks.
const FRAME_SLACK: f64 = 1.1;
const METRES_PER_DEGREE_LON: f64 = 111_320.0;

impl Frame {
    /// The frame for data around latitude `lat`.
    pub fn new(lat: f64) -> Self {
        Self { kx: METRES_PER_DEGREE_LON * lat.to_radians().cos() }
    }

    /// Metres east and north of (0°, 0°) in this frame.
    pub fn metres(&self, c: Coord<f64>) -> [f64; 2] {
        [c.x * self.kx, c.y * METRES_PER_DEGREE_LAT]
    }
}

/// The weight of a receptor: kind weight × (1 + log10(1 + people / 1000)).
pub fn receptor_weight(model: &Model, r: &Receptor) -> f64 {
    model.kind_weight(&r.kind) * (1.0 + (1.0 + r.population.unwrap_or(0.0).max(0.0) / 1000.0).log10())
}

/// Scores every source.
pub fn score(model: &Model, frame: Frame, sources: &[Source], receptors: &[Receptor]) -> Vec<Scored> {
    let tree: RTree<GeomWithData<[f64; 2], usize>> =
        RTree::bulk_load(receptors.iter().enumerate().map(|(i, r)| GeomWithData::new(frame.metres(r.at), i)).collect());
    let weights: Vec<f64> = receptors.iter().map(|r| receptor_weight(model, r)).collect();
    sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let hazard = model.grade_weight(s.grade.as_deref()) * (1.0 + (1.0 + s.q.max(0.0)).log10());
            let p = frame.metres(s.at);
            // The city's frame is off by a few per cent far from its latitude (1.3 % in the
            // south of Chongqing): it only finds the candidates; distances are measured in a
            // frame at the source's own latitude.
            let local = Frame::new(s.at.y);
            let here = local.metres(s.at);
            let reach = model.reach_m * FRAME_SLACK;
            let mut parts: Vec<(usize, f64)> = tree
                .locate_within_distance(p, reach * reach)
                .filter_map(|r| {
                    let there = local.metres(receptors[r.data].at);
                    let d = ((there[0] - here[0]).powi(2) + (there[1] - here[1]).powi(2)).sqrt();
                    (d <= model.reach_m).then(|| (r.data, weights[r.data] * (-d / model.decay_m).exp()))
                })
                .collect();
            let exposure = 1.0 + parts.iter().map(|p| p.1).sum::<f64>();
            parts.iter_mut().for_each(|p| p.1 *= hazard);
            parts.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            Scored { source: i, hazard, exposure, index: hazard * exposure, receptors: parts }
        })
        .collect()
}

/// A grid of square or hexagonal cells of `cell_m`² each, in a frame.
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    /// Side of the equal-area square, metres.
    pub cell_m: f64,
    /// Hexagons (pointy-top, axial coordinates) instead of squares.
    pub hex: bool,
    kx: f64,
}

impl Grid {
    /// Squares of `cell_m` metres at latitude `lat` (the frame's).
    pub fn new(cell_m: f64, lat: f64) -> Self {
        Self { cell_m, hex: false, kx: Frame::new(lat).kx }
    }

    /// Hexagons of the same area as a `cell_m` square.
    pub fn hexagons(cell_m: f64, lat: f64) -> Self {
        Self { hex: true, ..Self::new(cell_m, lat) }
    }

    /// Centre-to-corner size of a hexagon of area `cell_m`².
    fn size(&self) -> f64 {
        self.cell_m * (2.0 / (3.0 * 3f64.sqrt())).sqrt()
    }

    /// The cell (column, row) — or (q, r) of hexagons — holding a point.
    pub fn cell(&self, c: Coord<f64>) -> (i64, i64) {
        let (x, y) = (c.x * self.kx, c.y * METRES_PER_DEGREE_LAT);
        if !self.hex {
            return ((x / self.cell_m).floor() as i64, (y / self.cell_m).floor() as i64);
        }
        let s = self.size();
        let q = (3f64.sqrt() / 3.0 * x - y / 3.0) / s;
        let r = (2.0 / 3.0 * y) / s;
        // Cube rounding: the nearest hexagon centre.
        let (cx, cz) = (q, r);
        let cy = -cx - cz;
        let (mut rx, ry, mut rz) = (cx.round(), cy.round(), cz.round());
        let (dx, dy, dz) = ((rx - cx).abs(), (ry - cy).abs(), (rz - cz).abs());
        if dx > dy && dx > dz {
            rx = -ry - rz;
        } else if dy <= dz {
            rz = -rx - ry;
        }
        (rx as i64, rz as i64)
    }

    /// The cell's outline, lon/lat.
    pub fn polygon(&self, (i, j): (i64, i64)) -> Polygon<f64> {
        let to_degrees = |x: f64, y: f64| (x / self.kx, y / METRES_PER_DEGREE_LAT);
        let corners: Vec<(f64, f64)> = if self.hex {
            let s = self.size();
            let (cx, cy) = (s * 3f64.sqrt() * (i as f64 + j as f64 / 2.0), s * 1.5 * j as f64);
            (0..=6)
                .map(|k| {
                    let a = (30.0 + 60.0 * (k % 6) as f64).to_radians();
                    to_degrees(cx + s * a.cos(), cy + s * a.sin())
                })
                .collect()
        } else {
            let (w, s, c) = (i as f64 * self.cell_m, j as f64 * self.cell_m, self.cell_m);
            vec![
                to_degrees(w, s),
                to_degrees(w + c, s),
                to_degrees(w + c, s + c),
                to_degrees(w, s + c),
                to_degrees(w, s),
            ]
        };
        Polygon::new(LineString::from(corners), vec![])
    }

    /// The cell's id: `{cell_m}:{column}:{row}`, or `hex{cell_m}:{q}:{r}`.
    pub fn id(&self, (i, j): (i64, i64)) -> String {
        format!("{}{}:{i}:{j}", if self.hex { "hex" } else { "" }, self.cell_m)
    }
}

/// Parses a cell id into (hexagons?, cell_m, (column, row)).
pub fn parse_cell(id: &str) -> Option<(bool, f64, (i64, i64))> {
    let (hex, rest) = match id.strip_prefix("hex") {
        Some(rest) => (true, rest),
        None => (false, id),
    };
    let mut parts = rest.split(':');
    let cell_m = parts.next()?.parse().ok()?;
    let i = parts.next()?.parse().ok()?;
    let j = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((hex, cell_m, (i, j)))
}

/// Index per cell (cells without sources are absent), with the scored sources in each.
pub fn by_cell(grid: &Grid, sources: &[Source], scored: &[Scored]) -> BTreeMap<(i64, i64), (f64, Vec<usize>)> {
    let mut cells: BTreeMap<(i64, i64), (f64, Vec<usize>)> = BTreeMap::new();
    for s in scored {
        let cell = cells.entry(grid.cell(sources[s.source].at)).or_default();
        cell.0 += s.index;
        cell.1.push(s.source);
    }
    cells
}

/// Index per district id, with the number of sources.
pub fn by_district(sources: &[Source], scored: &[Scored]) -> BTreeMap<i64, (f64, usize)> {
    let mut districts: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
    for s in scored {
        if let Some(d) = sources[s.source].district {
            let e = districts.entry(d).or_default();
            e.0 += s.index;
            e.1 += 1;
        }
    }
    districts
}

/// A hazmat road scored.
#[derive(Debug, Clone)]
pub struct RoadRisk {
    /// Index into the roads.
    pub road: usize,
    /// Σ receptor weight × band factor.
    pub receptor_score: f64,
    /// Risk sources within the model's reach of the road.
    pub sources_served: usize,
    /// receptor score × (1 + log10(1 + sources served)).
    pub index: f64,
    /// (receptor index, distance m, part of the receptor score), largest part first.
    pub receptors: Vec<(usize, f64, f64)>,
}

/// Distance from `p` to the polyline `line` (both in frame metres).
fn distance_to_line(p: [f64; 2], line: &[[f64; 2]]) -> f64 {
    line.windows(2)
        .map(|w| {
            let (dx, dy) = (w[1][0] - w[0][0], w[1][1] - w[0][1]);
            let len2 = dx * dx + dy * dy;
            let t =
                if len2 > 0.0 { (((p[0] - w[0][0]) * dx + (p[1] - w[0][1]) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
            ((p[0] - w[0][0] - t * dx).powi(2) + (p[1] - w[0][1] - t * dy).powi(2)).sqrt()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Scores roads (lon/lat lines) by the receptors within the model's bands and the sources they serve.
pub fn score_roads(
    model: &Model,
    frame: Frame,
    roads: &[LineString<f64>],
    sources: &[Source],
    receptors: &[Receptor],
) -> Vec<RoadRisk> {
    let near: RTree<GeomWithData<[f64; 2], usize>> =
        RTree::bulk_load(receptors.iter().enumerate().map(|(i, r)| GeomWithData::new(frame.metres(r.at), i)).collect());
    let plants: RTree<GeomWithData<[f64; 2], usize>> =
        RTree::bulk_load(sources.iter().enumerate().map(|(i, s)| GeomWithData::new(frame.metres(s.at), i)).collect());
    let widest = model.road.bands_m.last().copied().unwrap_or(0.0);
    roads
        .iter()
        .enumerate()
        .map(|(k, road)| {
            let line: Vec<[f64; 2]> = road.0.iter().map(|c| frame.metres(*c)).collect();
            let envelope = |m: f64| {
                let (lo, hi) = line.iter().fold(([f64::MAX; 2], [f64::MIN; 2]), |(lo, hi), p| {
                    ([lo[0].min(p[0]), lo[1].min(p[1])], [hi[0].max(p[0]), hi[1].max(p[1])])
                });
                rstar::AABB::from_corners([lo[0] - m, lo[1] - m], [hi[0] + m, hi[1] + m])
            };
            let mut parts: Vec<(usize, f64, f64)> = near
                .locate_in_envelope(&envelope(widest))
                .filter_map(|r| {
                    let d = distance_to_line(*r.geom(), &line);
                    let band = model.road.bands_m.iter().position(|b| d <= *b)?;
                    Some((r.data, d, receptor_weight(model, &receptors[r.data]) * model.road.band_factors[band]))
                })
                .collect();
            parts.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
            let reach = model.road.source_reach_m;
            let served = plants
                .locate_in_envelope(&envelope(reach))
                .filter(|s| distance_to_line(*s.geom(), &line) <= reach)
                .count();
            let receptor_score: f64 = parts.iter().map(|p| p.2).sum();
            RoadRisk {
                road: k,
                receptor_score,
                sources_served: served,
                index: receptor_score * (1.0 + (1.0 + served as f64).log10()),
                receptors: parts,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(id: i64, grade: &str, q: f64, at: (f64, f64)) -> Source {
        Source { id, name: format!("s{id}"), grade: Some(grade.into()), q, at: at.into(), district: Some(1) }
    }

    fn receptor(id: i64, kind: &str, at: (f64, f64)) -> Receptor {
        Receptor { id, name: format!("r{id}"), kind: kind.into(), population: None, at: at.into() }
    }

    #[test]
    fn the_index_by_hand() {
        let model = Model::builtin();
        let frame = Frame::new(30.0);
        // A 重大 source with Q = 9 (hazard 9 × 2 = 18) and an intake 2 km east (10 × e^-1).
        let east = 2000.0 / frame.metres(Coord { x: 1.0, y: 0.0 })[0];
        let sources = [source(1, "重大", 9.0, (106.0, 30.0))];
        let receptors = [receptor(7, "water_intake", (106.0 + east, 30.0)), receptor(8, "school", (107.0, 30.0))];
        let s = &score(&model, frame, &sources, &receptors)[0];
        assert!((s.hazard - 18.0).abs() < 1e-9);
        assert!((s.exposure - (1.0 + 10.0 * (-1.0f64).exp())).abs() < 1e-6, "{}", s.exposure);
        assert_eq!(s.receptors.len(), 1, "the school is 96 km away");
        assert_eq!(model.class(s.index), "较高");
    }

    #[test]
    fn cells_sum_their_sources_and_ids_round_trip() {
        let model = Model::builtin();
        let frame = Frame::new(30.0);
        let sources = [source(1, "一般", 0.0, (106.0001, 30.0001)), source(2, "较大", 0.0, (106.0002, 30.0002))];
        let scored = score(&model, frame, &sources, &[]);
        let grid = Grid::new(1000.0, 30.0);
        let cells = by_cell(&grid, &sources, &scored);
        assert_eq!(cells.len(), 1);
        let (cell, (index, members)) = cells.iter().next().unwrap();
        assert_eq!((*index, members.len()), (4.0, 2));
        assert_eq!(parse_cell(&grid.id(*cell)), Some((false, 1000.0, *cell)));
        assert!(geo::Contains::contains(&grid.polygon(*cell), &geo::Point::from(sources[0].at)));
    }

    #[test]
    fn hexagons_hold_their_points_and_have_the_square_s_area() {
        let grid = Grid::hexagons(1000.0, 30.0);
        let frame = Frame::new(30.0);
        let mut random = crate::random::Random(6);
        for _ in 0..2000 {
            let p = Coord { x: 106.0 + random.unit() * 0.3, y: 29.9 + random.unit() * 0.3 };
            let cell = grid.cell(p);
            let polygon = grid.polygon(cell);
            assert!(geo::Intersects::intersects(&polygon, &geo::Point::from(p)), "{p:?} not in {cell:?}");
            assert_eq!(parse_cell(&grid.id(cell)), Some((true, 1000.0, cell)));
            let metres: Vec<[f64; 2]> = polygon.exterior().0.iter().map(|c| frame.metres(*c)).collect();
            let area: f64 = metres.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum::<f64>() / 2.0;
            assert!((area.abs() - 1e6).abs() < 1.0, "{area}");
        }
    }

    #[test]
    fn a_road_weighs_receptors_by_distance_band_and_counts_sources_served() {
        let model = Model::builtin();
        let frame = Frame::new(30.0);
        let per_m = 1.0 / frame.metres(Coord { x: 0.0, y: 1.0 })[1];
        let road = LineString::from(vec![(106.0, 30.0), (106.1, 30.0)]);
        let receptors = [
            receptor(1, "water_intake", (106.05, 30.0 + 100.0 * per_m)),
            receptor(2, "school", (106.05, 30.0 + 400.0 * per_m)),
            receptor(3, "hospital", (106.05, 30.0 + 5000.0 * per_m)),
        ];
        let sources = [source(1, "一般", 0.0, (106.02, 30.0 + 900.0 * per_m))];
        let r = &score_roads(&model, frame, &[road], &sources, &receptors)[0];
        assert!((r.receptor_score - (10.0 * 1.0 + 5.0 * 0.5)).abs() < 1e-9);
        assert_eq!(r.sources_served, 1);
        assert!((r.index - 12.5 * (1.0 + 2f64.log10())).abs() < 1e-9);
    }
}
