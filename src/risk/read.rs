//! What planners read from a risk map: the districts or the grid cells with their risk index
//! and class, what makes up one cell's index (its sources and the receptors they threaten), and
//! the hazmat roads ranked by risk — each a GeoJSON Feature, typed.

use std::collections::BTreeMap;

use geo::Geometry;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::map::RiskMap;
use super::regions::Grid;

fn geojson(g: Geometry<f64>) -> Value {
    serde_json::to_value(geojson::Geometry::from(&g)).unwrap_or(Value::Null)
}

/// To two decimals: what the screens show of an index.
fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Districts or cells with their risk, and how the classes are cut.
#[derive(Debug, Serialize, ToSchema)]
pub struct Regions {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// One a district or a cell (cells without risk sources are absent).
    pub features: Vec<Region>,
    /// district or grid.
    pub unit: &'static str,
    /// The lowest index of each class.
    pub breaks: BTreeMap<String, f64>,
    /// The model, in words.
    pub method: String,
}

/// A district or a cell with its risk.
#[derive(Debug, Serialize, ToSchema)]
pub struct Region {
    /// Always `Feature`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The district's id, or the cell's (`{cell_m}:{column}:{row}`, `hex{cell_m}:{q}:{r}`).
    #[schema(value_type = Object)]
    pub id: Value,
    /// Its outline.
    #[schema(value_type = Object)]
    pub geometry: Value,
    /// Its risk.
    pub properties: RegionRisk,
}

/// The risk of a district or a cell.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionRisk {
    /// The cell's id (cells only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The district's code (districts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The district's name (districts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The risk index: the sum of its sources'.
    pub index: f64,
    /// The class of the index.
    pub class: &'static str,
    /// Risk sources in it.
    pub sources: usize,
}

impl Regions {
    fn of(map: &RiskMap, unit: &'static str, features: Vec<Region>) -> Self {
        Self {
            kind: "FeatureCollection",
            features,
            unit,
            breaks: map.model.breaks.clone(),
            method: map.model.about.clone(),
        }
    }

    /// The districts with their risk.
    pub fn districts(map: &RiskMap) -> Self {
        let features = map
            .districts
            .iter()
            .map(|d| {
                let (index, sources) = map.district_index.get(&d.id).copied().unwrap_or_default();
                Region {
                    kind: "Feature",
                    id: d.id.into(),
                    geometry: geojson(Geometry::MultiPolygon(d.geometry.clone())),
                    properties: RegionRisk {
                        id: None,
                        code: Some(d.code.clone()),
                        name: Some(d.name.clone()),
                        index: round(index),
                        class: map.model.class(index),
                        sources,
                    },
                }
            })
            .collect();
        Self::of(map, "district", features)
    }

    /// The cells of `grid` holding risk sources, with their risk.
    pub fn cells(map: &RiskMap, grid: &Grid) -> Self {
        let features = map
            .cells(grid)
            .into_iter()
            .map(|(cell, (index, members))| Region {
                kind: "Feature",
                id: grid.id(cell).into(),
                geometry: geojson(Geometry::Polygon(grid.polygon(cell))),
                properties: RegionRisk {
                    id: Some(grid.id(cell)),
                    code: None,
                    name: None,
                    index: round(index),
                    class: map.model.class(index),
                    sources: members.len(),
                },
            })
            .collect();
        Self::of(map, "grid", features)
    }
}

/// One cell and what makes up its risk.
#[derive(Debug, Serialize, ToSchema)]
pub struct CellRisk {
    /// The cell's id.
    pub id: String,
    /// Its risk index.
    pub index: f64,
    /// The class of the index.
    pub class: &'static str,
    /// Its outline, a GeoJSON Polygon.
    #[schema(value_type = Object)]
    pub geometry: Value,
    /// Its risk sources, the largest index first.
    pub sources: Vec<SourceRisk>,
    /// The ten receptors most exposed to them, the largest part first.
    pub receptors: Vec<ReceptorPart>,
}

/// A risk source's part of an index.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceRisk {
    /// The risk source's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its grade.
    pub grade: Option<String>,
    /// Q, the ratio of its hazardous substances to their critical quantities.
    pub q: f64,
    /// Grade weight × (1 + log10(1 + Q)).
    pub hazard: f64,
    /// 1 + Σ receptor weight × decay.
    pub exposure: f64,
    /// hazard × exposure.
    pub index: f64,
}

/// A receptor's part of an index.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceptorPart {
    /// The receptor's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// How far from the road, metres (roads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// Its part of the index.
    pub contribution: f64,
}

impl CellRisk {
    /// Cell `cell` of `grid` (called `id`), with what makes up its index.
    pub fn of(map: &RiskMap, grid: &Grid, cell: (i64, i64), id: String) -> Self {
        let (index, members) = map.cells(grid).get(&cell).cloned().unwrap_or_default();
        let scored: Vec<_> = map.scored.iter().filter(|s| members.contains(&s.source)).collect();
        let mut sources: Vec<SourceRisk> = scored
            .iter()
            .map(|s| {
                let src = &map.sources[s.source];
                SourceRisk {
                    id: src.id,
                    name: src.name.clone(),
                    grade: src.grade.clone(),
                    q: round(src.q),
                    hazard: round(s.hazard),
                    exposure: round(s.exposure),
                    index: round(s.index),
                }
            })
            .collect();
        sources.sort_by(|a, b| b.index.total_cmp(&a.index));
        let mut by_receptor: BTreeMap<usize, f64> = BTreeMap::new();
        for s in &scored {
            for (r, part) in &s.receptors {
                *by_receptor.entry(*r).or_default() += part;
            }
        }
        let mut receptors: Vec<(usize, f64)> = by_receptor.into_iter().collect();
        receptors.sort_by(|a, b| b.1.total_cmp(&a.1));
        let receptors = receptors
            .iter()
            .take(10)
            .map(|(r, part)| {
                let rec = &map.receptors[*r];
                ReceptorPart {
                    id: rec.id,
                    name: rec.name.clone(),
                    kind: rec.kind.clone(),
                    distance_m: None,
                    contribution: round(*part),
                }
            })
            .collect();
        Self {
            id,
            index: round(index),
            class: map.model.class(index),
            geometry: geojson(Geometry::Polygon(grid.polygon(cell))),
            sources,
            receptors,
        }
    }
}

/// Hazmat roads ranked by risk.
#[derive(Debug, Serialize, ToSchema)]
pub struct Roads {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The riskiest first.
    pub features: Vec<RoadFeature>,
    /// Hazmat roads scored in all.
    pub roads: usize,
    /// The lowest index of each class.
    pub breaks: BTreeMap<String, f64>,
}

/// A hazmat road with its risk.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoadFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The road's id (`route.id`).
    pub id: i64,
    /// Its line, a GeoJSON LineString.
    #[schema(value_type = Object)]
    pub geometry: Value,
    /// Its risk.
    pub properties: RoadRisk,
}

/// A hazmat road's risk.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoadRisk {
    /// 1 for the riskiest.
    pub rank: usize,
    /// The road's id.
    pub route_id: i64,
    /// Its name.
    pub name: Option<String>,
    /// receptor score × (1 + log10(1 + sources served)).
    pub index: f64,
    /// The class of the index.
    pub class: &'static str,
    /// Σ receptor weight × band factor.
    pub receptor_score: f64,
    /// Risk sources within the model's reach of the road.
    pub sources_served: usize,
    /// The five receptors it threatens most.
    pub receptors: Vec<ReceptorPart>,
}

impl Roads {
    /// The `top` riskiest hazmat roads.
    pub fn ranked(map: &RiskMap, top: usize) -> Self {
        let mut ranked: Vec<_> = map.road_risks.iter().collect();
        ranked.sort_by(|a, b| b.index.total_cmp(&a.index).then(map.roads[a.road].id.cmp(&map.roads[b.road].id)));
        let features = ranked
            .iter()
            .take(top)
            .enumerate()
            .map(|(rank, r)| {
                let road = &map.roads[r.road];
                let receptors = r
                    .receptors
                    .iter()
                    .take(5)
                    .map(|(i, d, part)| {
                        let rec = &map.receptors[*i];
                        ReceptorPart {
                            id: rec.id,
                            name: rec.name.clone(),
                            kind: rec.kind.clone(),
                            distance_m: Some(d.round()),
                            contribution: round(*part),
                        }
                    })
                    .collect();
                RoadFeature {
                    kind: "Feature",
                    id: road.id,
                    geometry: geojson(Geometry::LineString(road.line.clone())),
                    properties: RoadRisk {
                        rank: rank + 1,
                        route_id: road.id,
                        name: road.name.clone(),
                        index: round(r.index),
                        class: map.model.road_class(r.index),
                        receptor_score: round(r.receptor_score),
                        sources_served: r.sources_served,
                        receptors,
                    },
                }
            })
            .collect();
        Self { kind: "FeatureCollection", features, roads: map.road_risks.len(), breaks: map.model.road.breaks.clone() }
    }
}
