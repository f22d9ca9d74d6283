//! The risk map of the current data: sources, receptors, districts and hazmat roads read from
//! PostGIS, scored by [`super::regions`], and kept until one of those layers changes; also as
//! map layers (`risk_district`, `risk_grid`, `risk_road`) for `/tiles/risk/…`.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Result;
use geo::{Coord, Geometry, LineString, MultiPolygon};
use sqlx::PgPool;
use tokio::sync::Mutex;

use super::model::CLASSES;
use super::model::Model;
use super::regions::{Frame, Grid, Receptor, RoadRisk, Scored, Source, by_cell, by_district, score, score_roads};
use crate::geodesy::mercator::project_geometry;
use crate::layers::geometry_from_geojson as geometry;
use crate::layers::spec::{Field, FieldType, GeometryRule, Layer};
use crate::snapshot::{LayerSnapshot, MapFeature, Snapshot, Tag};

/// Grid cell of the tiles' risk grid, metres.
pub const TILE_CELL_M: f64 = 1000.0;

const fn tile_layer(name: &'static str, title: &'static str, geometry: GeometryRule) -> Layer {
    Layer {
        name,
        title,
        geometry,
        fields: &[],
        computed: &[
            Field { name: "name", ty: FieldType::Text { max: 200 }, required: false },
            Field {
                name: "index",
                ty: FieldType::Number { min: 0.0, max: f64::MAX, min_exclusive: false },
                required: false,
            },
            Field { name: "class", ty: FieldType::Enum(&CLASSES), required: false },
        ],
        legacy: &[],
        derived: None,
        defaults: &[],
        check: None,
        tile_fields: &["name", "index", "class"],
        zoom_rule: None,
        time: None,
    }
}

/// Districts with their risk index.
pub static RISK_DISTRICT: Layer = tile_layer("risk_district", "区域环境风险", GeometryRule::MultiPolygon);
/// 1 km cells with their risk index (cells without risk sources are absent).
pub static RISK_GRID: Layer = tile_layer("risk_grid", "网格环境风险", GeometryRule::MultiPolygon);
/// Hazmat roads with their risk index.
pub static RISK_ROAD: Layer = tile_layer("risk_road", "危化品运输道路风险", GeometryRule::LineString);

/// A district as the map shows it.
#[derive(Debug, Clone)]
pub struct District {
    /// Database id.
    pub id: i64,
    /// Administrative code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Boundary, lon/lat.
    pub geometry: MultiPolygon<f64>,
}

/// A hazmat road.
#[derive(Debug, Clone)]
pub struct Road {
    /// `route.id`.
    pub id: i64,
    /// Name.
    pub name: Option<String>,
    /// The line, lon/lat.
    pub line: LineString<f64>,
}

/// Everything scored, for one state of the data.
pub struct RiskMap {
    /// Parameters used.
    pub model: Arc<Model>,
    /// Latitude of the metric frame and the grid.
    pub latitude: f64,
    /// Active risk sources.
    pub sources: Vec<Source>,
    /// Receptors.
    pub receptors: Vec<Receptor>,
    /// Districts.
    pub districts: Vec<District>,
    /// Hazmat roads.
    pub roads: Vec<Road>,
    /// Every source scored.
    pub scored: Vec<Scored>,
    /// Every hazmat road scored.
    pub road_risks: Vec<RoadRisk>,
    /// Index and source count per district id.
    pub district_index: BTreeMap<i64, (f64, usize)>,
    /// Tile layers.
    pub layers: Vec<Arc<LayerSnapshot>>,
    /// The data's state this map is of (also the tiles' generation).
    pub generation: u64,
}

impl RiskMap {
    /// A grid of `cell_m` metres (squares, or hexagons of the same area) in this map's frame.
    pub fn grid(&self, cell_m: f64, hex: bool) -> Grid {
        if hex { Grid::hexagons(cell_m, self.latitude) } else { Grid::new(cell_m, self.latitude) }
    }

    /// Index and member sources per cell of `grid`.
    pub fn cells(&self, grid: &Grid) -> BTreeMap<(i64, i64), (f64, Vec<usize>)> {
        by_cell(grid, &self.sources, &self.scored)
    }
}

/// The model and the map of the latest data.
pub struct RiskState {
    /// Parameters.
    pub model: Arc<Model>,
    current: Mutex<Option<Arc<RiskMap>>>,
}

/// The layers a risk map is made of.
const INPUTS: [&str; 4] = ["risk_source", "receptor", "district", "route"];

impl RiskState {
    /// No map yet; the first request makes it.
    pub fn new(model: Model) -> Self {
        Self { model: Arc::new(model), current: Mutex::new(None) }
    }

    /// The map of the current data (made again when an input layer has changed).
    pub async fn map(&self, pool: &PgPool, snapshot: &Snapshot) -> Result<Arc<RiskMap>> {
        let generations: Vec<u8> =
            INPUTS.iter().flat_map(|l| snapshot.layer(l).map_or(0, |s| s.generation).to_le_bytes()).collect();
        let generation = crate::hash::fnv1a(&generations);
        let mut current = self.current.lock().await;
        if let Some(map) = current.as_ref().filter(|m| m.generation == generation) {
            return Ok(map.clone());
        }
        let map = Arc::new(make(pool, self.model.clone(), generation).await?);
        *current = Some(map.clone());
        Ok(map)
    }
}

type SourceRow = (i64, String, Option<String>, f64, f64, f64, Option<i64>);

/// Reads and scores the data.
async fn make(pool: &PgPool, model: Arc<Model>, generation: u64) -> Result<RiskMap> {
    let rows: Vec<SourceRow> = sqlx::query_as(
        "SELECT s.id, s.name, s.grade, s.q_air + s.q_water, ST_X(p), ST_Y(p), \
           (SELECT d.id FROM district d WHERE ST_Intersects(d.geom, p) ORDER BY d.id LIMIT 1) \
         FROM risk_source s, LATERAL ST_PointOnSurface(s.geom) AS p WHERE s.status <> 'closed' ORDER BY s.id",
    )
    .fetch_all(pool)
    .await?;
    let sources: Vec<Source> = rows
        .into_iter()
        .map(|(id, name, grade, q, x, y, district)| Source { id, name, grade, q, at: Coord { x, y }, district })
        .collect();
    let rows: Vec<(i64, String, String, Option<i32>, f64, f64)> = sqlx::query_as(
        "SELECT r.id, r.name, r.kind, r.population, ST_X(p), ST_Y(p) \
         FROM receptor r, LATERAL ST_PointOnSurface(r.geom) AS p ORDER BY r.id",
    )
    .fetch_all(pool)
    .await?;
    let receptors: Vec<Receptor> = rows
        .into_iter()
        .map(|(id, name, kind, population, x, y)| Receptor {
            id,
            name,
            kind,
            population: population.map(f64::from),
            at: Coord { x, y },
        })
        .collect();
    let rows: Vec<(i64, String, String, String)> =
        sqlx::query_as("SELECT id, code, name, ST_AsGeoJSON(geom, 7) FROM district ORDER BY id")
            .fetch_all(pool)
            .await?;
    let mut districts = Vec::new();
    for (id, code, name, g) in rows {
        if let Geometry::MultiPolygon(geometry) = geometry(&g)? {
            districts.push(District { id, code, name, geometry });
        }
    }
    let rows: Vec<(i64, Option<String>, String)> = sqlx::query_as(
        "SELECT id, name, ST_AsGeoJSON(geom, 7) FROM route WHERE kind = 'road' AND hazmat_allowed ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    let mut roads = Vec::new();
    for (id, name, g) in rows {
        if let Geometry::LineString(line) = geometry(&g)? {
            roads.push(Road { id, name, line });
        }
    }

    let latitude = if sources.is_empty() {
        0.0
    } else {
        (sources.iter().map(|s| s.at.y).sum::<f64>() / sources.len() as f64).round()
    };
    let frame = Frame::new(latitude);
    let scored = score(&model, frame, &sources, &receptors);
    let lines: Vec<LineString<f64>> = roads.iter().map(|r| r.line.clone()).collect();
    let road_risks = score_roads(&model, frame, &lines, &sources, &receptors);
    let district_index = by_district(&sources, &scored);
    let mut map = RiskMap {
        model,
        latitude,
        sources,
        receptors,
        districts,
        roads,
        scored,
        road_risks,
        district_index,
        layers: Vec::new(),
        generation,
    };
    map.layers = tile_layers(&map);
    Ok(map)
}

fn feature(id: i64, geometry: Geometry<f64>, name: &str, index: f64, class: &str) -> Arc<MapFeature> {
    Arc::new(MapFeature {
        id,
        geometry: project_geometry(&geometry),
        tags: Arc::new(vec![
            ("name", Tag::Text(name.to_string())),
            ("index", Tag::Number((index * 10.0).round() / 10.0)),
            ("class", Tag::Text(class.to_string())),
        ]),
        min_zoom: 0,
        label: None,
    })
}

/// The map as tile layers.
fn tile_layers(map: &RiskMap) -> Vec<Arc<LayerSnapshot>> {
    let model = &map.model;
    let districts = map
        .districts
        .iter()
        .map(|d| {
            let index = map.district_index.get(&d.id).map_or(0.0, |e| e.0);
            feature(d.id, Geometry::MultiPolygon(d.geometry.clone()), &d.name, index, model.class(index))
        })
        .collect();
    let grid = map.grid(TILE_CELL_M, false);
    let cells = map
        .cells(&grid)
        .into_iter()
        .enumerate()
        .map(|(n, (cell, (index, _)))| {
            let polygon = MultiPolygon(vec![grid.polygon(cell)]);
            feature(n as i64 + 1, Geometry::MultiPolygon(polygon), &grid.id(cell), index, model.class(index))
        })
        .collect();
    let roads = map
        .road_risks
        .iter()
        .map(|r| {
            let road = &map.roads[r.road];
            let name = road.name.clone().unwrap_or_default();
            feature(road.id, Geometry::LineString(road.line.clone()), &name, r.index, model.road_class(r.index))
        })
        .collect();
    vec![
        Arc::new(LayerSnapshot::new(&RISK_DISTRICT, districts, map.generation)),
        Arc::new(LayerSnapshot::new(&RISK_GRID, cells, map.generation)),
        Arc::new(LayerSnapshot::new(&RISK_ROAD, roads, map.generation)),
    ]
}
