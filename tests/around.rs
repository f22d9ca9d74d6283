//! "What is around here": the answer checked against distances computed here (haversine on the
//! features' own coordinates), and bad input refused.

mod common;

use std::collections::BTreeSet;

use common::testing::{TestServer, demo_dir};
use common::{expect_problem, get};
use reqwest::Method;

/// Great-circle distance in metres on the mean Earth sphere.
fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let (dlat, dlon) = (la2 - la1, (b.0 - a.0).to_radians());
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

#[tokio::test]
async fn around_finds_what_is_within_the_radius_nearest_first() {
    let server = TestServer::start().await.unwrap();
    onemap::exchange::demo::load(&server.pool, &demo_dir(), false).await.unwrap();
    let center = (106.55, 29.56);
    let radius = 20_000.0;
    let (status, body) =
        get(&server.at(&format!("/api/around?lon={}&lat={}&radius_m={radius}&layers=depot,team", center.0, center.1)))
            .await;
    assert_eq!(status, 200, "{body}");
    let features = body["features"].as_array().unwrap();
    let distances: Vec<f64> = features.iter().map(|f| f["properties"]["distance_m"].as_f64().unwrap()).collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "nearest first");

    // Every depot and team, with its distance computed here; the sphere and the ellipsoid
    // differ by well under 0.5 %, so only features that close to the edge may go either way.
    let mut expected = BTreeSet::new();
    let mut borderline = BTreeSet::new();
    for layer in ["depot", "team"] {
        let (_, page) = get(&server.at(&format!("/api/layers/{layer}?limit=10000"))).await;
        for f in page["features"].as_array().unwrap() {
            let c = &f["geometry"]["coordinates"];
            let d = haversine(center, (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()));
            let key = (layer.to_string(), f["id"].as_i64().unwrap());
            if (d - radius).abs() < radius * 0.005 {
                borderline.insert(key);
            } else if d < radius {
                expected.insert(key.clone());
            }
            if let Some(hit) = features.iter().find(|h| h["properties"]["layer"] == layer && h["id"] == f["id"]) {
                let got = hit["properties"]["distance_m"].as_f64().unwrap();
                assert!((got - d).abs() <= d * 0.005 + 1.0, "{layer} {}: {got} m vs {d} m", f["id"]);
            }
        }
    }
    let got: BTreeSet<(String, i64)> = features
        .iter()
        .map(|f| (f["properties"]["layer"].as_str().unwrap().to_string(), f["id"].as_i64().unwrap()))
        .collect();
    assert!(expected.len() >= 5, "the city centre has depots and teams within 20 km");
    assert_eq!(got.difference(&borderline).cloned().collect::<BTreeSet<_>>(), expected);

    // The default layers include risk sources and receptors too.
    let (_, all) = get(&server.at("/api/around?lon=106.55&lat=29.56&radius_m=5000")).await;
    let layers: BTreeSet<&str> =
        all["features"].as_array().unwrap().iter().map(|f| f["properties"]["layer"].as_str().unwrap()).collect();
    assert!(layers.contains("receptor") && layers.contains("depot"), "{layers:?}");
}

#[tokio::test]
async fn around_refuses_bad_input() {
    let server = TestServer::start().await.unwrap();
    for query in [
        "",
        "lon=106&lat=29",
        "lon=106&lat=29&radius_m=50001",
        "lon=106&lat=29&radius_m=-5",
        "lon=106&lat=29&radius_m=0",
        "lon=east&lat=29&radius_m=100",
        "lon=200&lat=29&radius_m=100",
        "lon=106&lat=95&radius_m=100",
        "lon=106&lat=29&radius_m=NaN",
        "lon=106&lat=29&radius_m=100&layers=stock_item",
        "lon=106&lat=29&radius_m=100&layers=pipelines",
        "lon=106&lat=29&radius_m=100&limit=0",
        "lon=106&lat=29&radius_m=100&colour=red",
    ] {
        let p = expect_problem(Method::GET, &server.at(&format!("/api/around?{query}")), None, 400).await;
        assert!(p["field"].is_string(), "{query}: {p}");
    }
}
