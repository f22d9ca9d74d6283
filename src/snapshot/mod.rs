//! The in-memory snapshot of the map layers: one R-tree a layer over Web Mercator geometries,
//! swapped whole on every change so that readers never wait.

pub mod refresh;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::geodesy::boxes::Boxes;
use anyhow::{Context, Result};
use arc_swap::ArcSwap;
use futures_util::TryStreamExt;
use geo::{BoundingRect, Geometry};
use serde_json::Value;
use sqlx::{AssertSqlSafe, PgPool};
use tokio::sync::{Mutex, broadcast};

use crate::geodesy::mercator::project_geometry;
use crate::layers::Layer;
use crate::layers::spec::LAYERS;

/// An attribute value carried into tiles.
#[derive(Debug, Clone, PartialEq)]
pub enum Tag {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
}

/// A feature's tags: a thin pointer, since a million roads share a handful of tag sets.
pub type Tags = Arc<Vec<(&'static str, Tag)>>;

/// One feature of a map layer, ready for tiling.
#[derive(Debug)]
pub struct MapFeature {
    /// Database id (the MVT feature id).
    pub id: i64,
    /// Geometry in Web Mercator metres.
    pub geometry: Geometry<f64>,
    /// The layer's tile fields that are not null (shared by the features that have the same).
    pub tags: Tags,
    /// Lowest zoom at which the feature is in tiles.
    pub min_zoom: u8,
    /// Where its one label goes (an area's centre of its largest inscribed circle, in Web
    /// Mercator metres): tiles carry it once, in the tile that holds it. Boxed: only areas have
    /// one, and a million roads would each carry the room for it.
    pub label: Option<Box<geo::Coord<f64>>>,
}

/// One layer at one moment: its features and packed indexes of their bounding boxes, one for
/// each minimum zoom, so a low-zoom tile never walks the features it will not show.
pub struct LayerSnapshot {
    /// The layer.
    pub layer: &'static Layer,
    /// Features, in no particular order.
    pub features: Vec<Arc<MapFeature>>,
    trees: Vec<(u8, Boxes)>,
    /// [west, south, east, north] of all features, exact (the indexes' boxes are f32).
    extent: Option<[f64; 4]>,
    /// Changes whenever the layer changes (for tile caches and ETags).
    pub generation: u64,
}

impl LayerSnapshot {
    /// A layer of `features` at `generation`.
    pub fn new(layer: &'static Layer, features: Vec<Arc<MapFeature>>, generation: u64) -> Self {
        type Entry = ([f64; 2], [f64; 2], u32);
        let mut bands: std::collections::BTreeMap<u8, Vec<Entry>> = Default::default();
        let mut extent: Option<[f64; 4]> = None;
        for (i, f) in features.iter().enumerate() {
            if let Some(rect) = f.geometry.bounding_rect() {
                let (lo, hi) = (rect.min(), rect.max());
                extent = Some(extent.map_or([lo.x, lo.y, hi.x, hi.y], |e| {
                    [e[0].min(lo.x), e[1].min(lo.y), e[2].max(hi.x), e[3].max(hi.y)]
                }));
                let index = u32::try_from(i).expect("fewer than 2³² features a layer");
                bands.entry(f.min_zoom).or_default().push((rect.min().into(), rect.max().into(), index));
            }
        }
        let trees = bands.into_iter().map(|(z, entries)| (z, Boxes::new(entries))).collect();
        Self { layer, features, trees, extent, generation }
    }

    /// [west, south, east, north] of all features in Web Mercator metres; None when empty.
    pub fn extent(&self) -> Option<[f64; 4]> {
        self.extent
    }

    /// Features shown at zoom `z` whose bounding box meets `[min, max]` (Web Mercator metres),
    /// and perhaps a few within a metre of it (the boxes are f32; the encoder clips).
    pub fn query(&self, z: u8, min: [f64; 2], max: [f64; 2]) -> Vec<&MapFeature> {
        self.trees
            .iter()
            .filter(|(min_zoom, _)| *min_zoom <= z)
            .flat_map(|(_, tree)| tree.within(min, max).map(|i| &*self.features[i as usize]))
            .collect()
    }
}

/// A change applied to the snapshot, as announced to the viewers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    /// Layer name.
    pub layer: &'static str,
    /// Ids inserted, updated or deleted; empty after a full reload.
    pub ids: Vec<i64>,
    /// The layer's new generation.
    pub generation: u64,
}

/// Every map layer, each swappable on its own.
pub struct Snapshot {
    layers: HashMap<&'static str, (ArcSwap<LayerSnapshot>, Mutex<()>)>,
    generation: AtomicU64,
    /// Whole-layer reloads (after a lost notification connection).
    reloads: AtomicU64,
    events: broadcast::Sender<Change>,
}

impl Snapshot {
    /// Loads every spatial layer from the database.
    pub async fn load(pool: &PgPool) -> Result<Arc<Self>> {
        let mut layers = HashMap::new();
        for layer in LAYERS.iter().copied().filter(|l| l.is_spatial()) {
            let features = fetch(pool, layer, None).await?;
            layers.insert(layer.name, (ArcSwap::from_pointee(LayerSnapshot::new(layer, features, 1)), Mutex::new(())));
        }
        let (events, _) = broadcast::channel(1024);
        Ok(Arc::new(Self { layers, generation: AtomicU64::new(1), reloads: AtomicU64::new(0), events }))
    }

    /// The current snapshot of `layer`, if it is a map layer.
    pub fn layer(&self, name: &str) -> Option<Arc<LayerSnapshot>> {
        self.layers.get(name).map(|(s, _)| s.load_full())
    }

    /// The names of the map layers, in catalogue order.
    pub fn layer_names(&self) -> Vec<&'static str> {
        LAYERS.iter().map(|l| l.name).filter(|n| self.layers.contains_key(n)).collect()
    }

    /// Whether `layer` is one of the map's layers.
    pub fn shows(&self, layer: &str) -> bool {
        self.layers.contains_key(layer)
    }

    /// Subscribes to changes.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.events.subscribe()
    }

    /// Reads rows `ids` of `layer` again: present rows replace their old version, absent ones are removed.
    pub async fn apply(&self, pool: &PgPool, layer: &str, ids: &[i64]) -> Result<()> {
        let Some((current, lock)) = self.layers.get(layer) else {
            // Not on the map (turn restrictions, stock …): followers such as the road graph
            // still hear of it.
            if let Some(known) = crate::layers::layer(layer) {
                let _ = self.events.send(Change { layer: known.name, ids: ids.to_vec(), generation: 0 });
            }
            return Ok(());
        };
        let _writer = lock.lock().await;
        // Read under the lock, so a later refresh always reads a later state.
        let fresh = fetch(pool, current.load().layer, Some(ids)).await?;
        let changed: HashSet<i64> = ids.iter().copied().collect();
        let old = current.load();
        let mut features: Vec<Arc<MapFeature>> =
            old.features.iter().filter(|f| !changed.contains(&f.id)).cloned().collect();
        features.extend(fresh);
        self.swap(current, old.layer, features, ids.to_vec());
        Ok(())
    }

    /// Reads `layer` whole again (after a lost notification connection).
    pub async fn reload(&self, pool: &PgPool, layer: &str) -> Result<()> {
        let Some((current, lock)) = self.layers.get(layer) else { return Ok(()) };
        let _writer = lock.lock().await;
        let spec = current.load().layer;
        let features = fetch(pool, spec, None).await?;
        self.swap(current, spec, features, Vec::new());
        Ok(())
    }

    /// The latest generation given to a layer.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// How many times every layer was read again.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// Features held, per map layer.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        self.layer_names().into_iter().filter_map(|n| Some((n, self.layer(n)?.features.len()))).collect()
    }

    /// Reads every layer again.
    pub async fn reload_all(&self, pool: &PgPool) -> Result<()> {
        self.reloads.fetch_add(1, Ordering::Relaxed);
        for name in self.layer_names() {
            self.reload(pool, name).await?;
        }
        Ok(())
    }

    fn swap(
        &self,
        slot: &ArcSwap<LayerSnapshot>,
        layer: &'static Layer,
        features: Vec<Arc<MapFeature>>,
        ids: Vec<i64>,
    ) {
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        slot.store(Arc::new(LayerSnapshot::new(layer, features, generation)));
        let _ = self.events.send(Change { layer: layer.name, ids, generation });
    }
}

/// How a tile field's text from the database becomes a tag.
#[derive(Debug, Clone, Copy)]
enum TagText {
    Number,
    Bool,
    Text,
    /// JSON text (fields of no simple type): read as `jsonb_build_object` would give it.
    Json,
}

/// The SQL of tile field `name` as text, and how to read that text back.
fn tag_sql(layer: &Layer, name: &str) -> (String, TagText) {
    use crate::layers::spec::FieldType as F;
    let expr = layer.tile_field_sql(name);
    let field = layer.field(name).or_else(|| layer.read_only().find(|f| f.name == name));
    match field.map(|f| &f.ty) {
        Some(F::Number { .. } | F::Integer { .. } | F::Reference { .. }) => {
            (format!("({expr})::float8::text"), TagText::Number)
        }
        Some(F::Bool) => (format!("({expr})::text"), TagText::Bool),
        Some(F::Text { .. } | F::Coded { .. } | F::Enum(_)) => (format!("({expr})::text"), TagText::Text),
        Some(F::EnumList(_)) => (format!("array_to_string({expr}, ',')"), TagText::Text),
        _ => (format!("to_jsonb({expr})::text"), TagText::Json),
    }
}

/// The tags of one row's texts (None for null).
fn tags_of(layer: &Layer, kinds: &[TagText], texts: &[Option<&str>]) -> Vec<(&'static str, Tag)> {
    let read = |kind: TagText, text: &str| match kind {
        TagText::Number => text.parse().ok().map(Tag::Number),
        TagText::Bool => Some(Tag::Bool(text == "true")),
        TagText::Text => Some(Tag::Text(text.to_string())),
        TagText::Json => serde_json::from_str(text).ok().and_then(|v| tag(&v)),
    };
    layer
        .tile_fields
        .iter()
        .zip(kinds.iter().zip(texts))
        .filter_map(|(name, (kind, text))| Some((*name, read(*kind, (*text)?)?)))
        .collect()
}

/// Reads `layer` (or only rows `ids`) as map features. Geometries come as WKB and tags as
/// plain text columns (a million roads in well under a second of the server's time); rows
/// with the same tags share one copy of them.
async fn fetch(pool: &PgPool, layer: &'static Layer, ids: Option<&[i64]>) -> Result<Vec<Arc<MapFeature>>> {
    let (mut columns, kinds): (Vec<String>, Vec<TagText>) = layer.tile_fields.iter().map(|f| tag_sql(layer, f)).unzip();
    // The zoom rule's field comes last (it is read as text whether or not it is a tile field).
    if let Some(rule) = &layer.zoom_rule {
        columns.push(format!("(t.{})::text", rule.field));
    }
    let filter = if ids.is_some() { "WHERE t.id = ANY($1)" } else { "" };
    // Areas get a label point: the centre of the largest circle inside (PostGIS).
    let (label, circle) = if layer.geometry == crate::layers::spec::GeometryRule::MultiPolygon {
        ("ST_X(c.center), ST_Y(c.center)", ", LATERAL ST_MaximumInscribedCircle(t.geom) c")
    } else {
        ("NULL::float8, NULL::float8", "")
    };
    let sql = format!(
        "SELECT t.id, ST_AsBinary(t.geom, 'NDR'), {label}, {} FROM {} t{circle} {filter}",
        columns.join(", "),
        layer.name
    );
    // Row by row: a million rows' bytes are never held at once.
    let mut rows = sqlx::query(AssertSqlSafe(sql)).bind(ids.unwrap_or_default()).fetch(pool);
    // Rows' tag texts, joined into one key (a buffer used again: no allocation a row).
    let mut shared: HashMap<String, (Tags, u8)> = HashMap::new();
    let mut key = String::new();
    let mut features = Vec::new();
    while let Some(row) = rows.try_next().await.with_context(|| format!("cannot read layer {}", layer.name))? {
        use sqlx::Row;
        let (id, wkb): (i64, &[u8]) = (row.try_get(0)?, row.try_get(1)?);
        let (lx, ly): (Option<f64>, Option<f64>) = (row.try_get(2)?, row.try_get(3)?);
        let texts = (4..4 + columns.len()).map(|i| row.try_get(i)).collect::<Result<Vec<Option<&str>>, _>>()?;
        key.clear();
        for text in &texts {
            // Each text after its length, null as "-": one key for one list of texts.
            use std::fmt::Write;
            match text {
                Some(t) => write!(key, "{}:{t}", t.len()).expect("a String takes any text"),
                None => key.push('-'),
            }
        }
        let (tags, min_zoom) = match shared.get(key.as_str()) {
            Some(found) => found.clone(),
            None => {
                let min_zoom = layer.zoom_rule.map_or(0, |r| r.min_zoom(texts.last().copied().flatten()));
                let made = (Arc::new(tags_of(layer, &kinds, &texts)), min_zoom);
                shared.insert(key.clone(), made.clone());
                made
            }
        };
        let geometry = crate::layers::wkb::geometry_from_wkb(wkb)?;
        let label = lx.zip(ly).map(|(x, y)| Box::new(crate::geodesy::mercator::project(geo::Coord { x, y })));
        features.push(Arc::new(MapFeature { id, geometry: project_geometry(&geometry), tags, min_zoom, label }));
    }
    Ok(features)
}

fn tag(value: &Value) -> Option<Tag> {
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(Tag::Bool(*b)),
        Value::Number(n) => n.as_f64().map(Tag::Number),
        Value::String(s) => Some(Tag::Text(s.clone())),
        Value::Array(items) => Some(Tag::Text(
            items
                .iter()
                .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
                .collect::<Vec<_>>()
                .join(","),
        )),
        Value::Object(_) => Some(Tag::Text(value.to_string())),
    }
}
