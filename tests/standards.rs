//! The standards' calculators over HTTP, and their tables against the limits as published: GB
//! 3838-2002 Table 1 as `../shared/data/gb3838/GB_3838_2002.json` has it (spot-checked against
//! the standard by its provider), item by item.

mod common;

use common::testing::TestServer;
use common::{call, post};
use onemap::standards::water;
use reqwest::Method;
use serde_json::{Value, json};

#[test]
fn the_water_table_is_the_published_one() {
    let path = format!("{}/../shared/data/gb3838/GB_3838_2002.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let published: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap();
    for item in &water::ITEMS {
        let key = match item.code {
            "TP" => "总磷_河流",
            "pH" => "pH值",
            _ => item.name,
        };
        let limits: Vec<String> = published[key]["Limits"]
            .as_array()
            .unwrap_or_else(|| panic!("{key} not published"))
            .iter()
            .map(|l| l["LimitValue"].as_str().unwrap().to_string())
            .collect();
        match item.meets {
            water::Meets::Within => assert_eq!(limits, ["6-9"], "{key}"),
            _ => {
                let parsed: Vec<f64> = limits.iter().map(|l| l.parse().unwrap()).collect();
                assert_eq!(parsed, item.limits, "{key}");
            }
        }
        if let Some(lake) = item.lake_limits {
            let parsed: Vec<f64> = published["总磷_湖库"]["Limits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["LimitValue"].as_str().unwrap().parse().unwrap())
                .collect();
            assert_eq!(parsed, lake, "总磷_湖库");
        }
        let unit = published[key]["Unit"].as_str().unwrap();
        assert_eq!(unit, item.unit, "{key}");
    }
}

#[tokio::test]
async fn the_calculators_answer_and_refuse() {
    let server = TestServer::start().await.unwrap();
    let (status, _, tables) = call(Method::GET, &server.at("/api/standards"), None).await;
    assert_eq!(status, 200);
    assert_eq!(tables["water"].as_array().unwrap().len(), water::ITEMS.len());
    assert_eq!(tables["air"][0]["key"], "SO2_24h");
    let (status, water) = post(
        &server.at("/api/standards/water-class"),
        json!({"waterbody": "river", "values": {"NH3-N": 1.2, "TP": 0.15, "COD": 18, "DO": 6.2, "pH": 7.4}, "target": "Ⅲ"}),
    )
    .await;
    assert_eq!(status, 200, "{water}");
    assert_eq!((water["class"].as_str(), water["meets_target"].as_bool()), (Some("Ⅳ"), Some(false)));
    assert_eq!(water["deciding"], json!(["NH3-N"]));
    let (status, air) =
        post(&server.at("/api/standards/aqi"), json!({"values": {"PM2.5_24h": 80, "O3_8h": 120}})).await;
    assert_eq!(status, 200, "{air}");
    assert_eq!(
        (air["aqi"].as_f64(), air["category"].as_str(), &air["primary"]),
        (Some(107.0), Some("轻度污染"), &json!(["PM2.5"]))
    );
    for (path, body, field) in [
        ("/api/standards/water-class", json!({"waterbody": "sea", "values": {"COD": 1}}), "waterbody"),
        ("/api/standards/water-class", json!({"waterbody": "river", "values": {"锑": 1}}), "values.锑"),
        ("/api/standards/water-class", json!({"waterbody": "river", "values": {"COD": -1}}), "values.COD"),
        ("/api/standards/water-class", json!({"waterbody": "river", "values": {"COD": 1}, "target": "Ⅵ"}), "target"),
        ("/api/standards/aqi", json!({"values": {"SO2_1h": 900}}), "values.SO2_1h"),
        ("/api/standards/aqi", json!({"values": {}}), "values"),
    ] {
        let (status, p) = post(&server.at(path), body.clone()).await;
        assert_eq!((status.as_u16(), p["field"].as_str()), (422, Some(field)), "{body}: {p}");
    }
    let (status, _) = post(&server.at("/api/standards/aqi"), json!({"values": {"PM10_24h": "high"}})).await;
    assert_eq!(status.as_u16(), 422);
}

#[tokio::test]
async fn the_desk_computes_them() {
    let server = TestServer::start().await.unwrap();
    server.token("analyst", onemap::auth::Role::Planner, None).await.unwrap();
    let shot = format!("{}/target/desk-standards.png", env!("CARGO_MANIFEST_DIR"));
    let result = common::browser::run("standards.mjs", &[server.url.clone(), shot]).await;
    assert_eq!(result["errors"], json!([]), "{result}");
    // As the API answers the same values.
    let (_, water) = post(
        &server.at("/api/standards/water-class"),
        json!({"waterbody": "river", "values": {"NH3-N": 1.2, "TP": 0.15, "COD": 18, "DO": 6.2, "pH": 7.4}, "target": "Ⅲ"}),
    )
    .await;
    let said = result["water"].as_str().unwrap();
    assert!(said.contains(&format!("水质类别 {}", water["class"].as_str().unwrap())), "{said}");
    assert!(said.contains("未达 Ⅲ 类目标"), "{said}");
    let (_, air) = post(&server.at("/api/standards/aqi"), json!({"values": {"PM2.5_24h": 80, "O3_8h": 120}})).await;
    let said = result["aqi"].as_str().unwrap();
    assert!(said.starts_with(&format!("AQI {}", air["aqi"].as_f64().unwrap())), "{said}");
    assert!(said.contains(air["category"].as_str().unwrap()), "{said}");
    assert!(result["refused"].as_str().unwrap().contains("PM1"), "{result}");
}
