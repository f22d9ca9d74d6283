//! Air threat zones: the plume on the demo map, checked against PostGIS, and its refusals.

mod common;

use common::testing::TestServer;
use common::{counts, expect_problem, post};
use reqwest::Method;
use serde_json::{Value, json};

/// A chlorine release at `at`, the wind blowing towards `towards_deg`.
fn chlorine(at: [f64; 2], towards_deg: f64) -> Value {
    json!({"point": at, "release_g_s": 1000, "height_m": 0, "wind_from_deg": (towards_deg + 180.0) % 360.0, "wind_ms": 3,
           "stability": "D", "terrain": "rural", "substance": "氯气", "minutes": 60})
}

async fn park(server: &TestServer) -> [f64; 2] {
    let (x, y): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM risk_source WHERE name LIKE '长寿经开区%' ORDER BY id LIMIT 1",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    [x, y]
}

#[tokio::test]
async fn a_chlorine_release_gives_nested_zones_downwind_with_who_is_inside() {
    let server = TestServer::with_demo().await.unwrap();
    let at = park(&server).await;
    // The wind blows towards the nearest receptor between 300 m and 2.5 km away.
    let (target, towards): (i64, f64) = sqlx::query_as(
        "WITH s AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS p) \
         SELECT r.id, degrees(ST_Azimuth(s.p, r.geom)) FROM receptor r, s WHERE GeometryType(r.geom) = 'POINT' \
           AND ST_Distance(r.geom::geography, s.p::geography) BETWEEN 300 AND 2500 \
         ORDER BY ST_Distance(r.geom::geography, s.p::geography) LIMIT 1",
    )
    .bind(at[0])
    .bind(at[1])
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let (status, body) = post(&server.at("/api/air/plume"), chlorine(at, towards)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["substance"]["endpoints_mg_m3"], json!([58.0, 5.8]));
    assert_eq!((body["stability"].as_str(), body["stability_from"].as_str()), (Some("D"), Some("given")));
    let features = body["features"].as_array().unwrap();
    assert_eq!(features.len(), 2);
    let (outer, inner) = (&features[0], &features[1]);
    assert_eq!(
        (outer["properties"]["threshold_mg_m3"].as_f64(), inner["properties"]["threshold_mg_m3"].as_f64()),
        (Some(5.8), Some(58.0))
    );
    assert!(outer["properties"]["max_distance_m"].as_f64() > inner["properties"]["max_distance_m"].as_f64());
    // Reach: 3 m/s for an hour carries it at most 10.8 km.
    assert!(outer["properties"]["max_distance_m"].as_f64().unwrap() <= 10_800.0);

    for f in features {
        let polygon = f["geometry"].to_string();
        // Valid, downwind (east of the source), and PostGIS agrees on who is inside.
        let (valid, bearing): (bool, f64) = sqlx::query_as(
            "WITH z AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g) \
             SELECT ST_IsValid(g), degrees(ST_Azimuth(ST_SetSRID(ST_MakePoint($2, $3), 4326), ST_Centroid(g))) FROM z",
        )
        .bind(&polygon)
        .bind(at[0])
        .bind(at[1])
        .fetch_one(&server.pool)
        .await
        .unwrap();
        assert!(valid, "{polygon}");
        let off = (bearing - towards + 540.0) % 360.0 - 180.0;
        assert!(off.abs() < 2.0, "the zone points downwind: {bearing} vs {towards}");
        let within: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM receptor WHERE ST_Within(geom, ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)) ORDER BY id",
        )
        .bind(&polygon)
        .fetch_all(&server.pool)
        .await
        .unwrap();
        let mut listed: Vec<i64> =
            f["properties"]["receptors"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
        listed.sort();
        assert_eq!(listed, within, "threshold {}", f["properties"]["threshold_mg_m3"]);
        let people: Option<i64> = sqlx::query_scalar(
            "SELECT sum(population)::bigint FROM receptor WHERE kind = 'residential' AND ST_Within(geom, ST_SetSRID(ST_GeomFromGeoJSON($1), 4326))",
        )
        .bind(&polygon)
        .fetch_one(&server.pool)
        .await
        .unwrap();
        assert_eq!(f["properties"]["people"], people.unwrap_or(0));
    }
    // The inner zone lies in the outer one.
    let nested: bool = sqlx::query_scalar(
        "SELECT ST_Covers(ST_Buffer(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), 1e-7), ST_SetSRID(ST_GeomFromGeoJSON($2), 4326))",
    )
    .bind(outer["geometry"].to_string())
    .bind(inner["geometry"].to_string())
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert!(nested);
    let outer_receptors = outer["properties"]["receptors"].as_array().unwrap().len();
    assert!(outer["properties"]["receptors"].as_array().unwrap().iter().any(|r| r["id"] == target), "{outer}");
    assert!(outer_receptors >= inner["properties"]["receptors"].as_array().unwrap().len());
    println!("receptors {outer_receptors}, people {}", outer["properties"]["people"]);

    // By Pasquill's table: a sunny day with a light wind is very unstable (A), and its zone is shorter.
    let mut sunny = chlorine(at, towards);
    let o = sunny.as_object_mut().unwrap();
    o.remove("stability");
    o.insert("day".into(), true.into());
    o.insert("insolation".into(), "strong".into());
    o.insert("wind_ms".into(), 1.5.into());
    let (status, a) = post(&server.at("/api/air/plume"), sunny).await;
    assert_eq!(status, 200, "{a}");
    assert_eq!((a["stability"].as_str(), a["stability_from"].as_str()), (Some("A"), Some("pasquill")));
}

#[tokio::test]
async fn bad_plume_requests_are_refused_with_the_reason() {
    let server = TestServer::start().await.unwrap();
    let url = server.at("/api/air/plume");
    let good = chlorine([106.58, 29.58], 90.0);
    let (status, _) = post(&url, good.clone()).await;
    assert_eq!(status, 200);
    let before = counts(&server.pool).await;
    let with = |key: &str, value: Value| {
        let mut b = good.clone();
        if value.is_null() {
            b.as_object_mut().unwrap().remove(key);
        } else {
            b[key] = value;
        }
        b
    };
    let cases = [
        (with("wind_ms", json!(0)), "wind_ms"),
        (with("wind_ms", json!(51)), "wind_ms"),
        (with("release_g_s", json!(-5)), "release_g_s"),
        (with("stability", json!("G")), "stability"),
        (with("stability", Value::Null), "stability"),
        (with("substance", json!("水银蒸气")), "substance"),
        (with("point", json!([200, 29])), "point"),
        (with("minutes", json!(0)), "minutes"),
        (with("terrain", json!("forest")), "terrain"),
        (with("colour", json!("red")), "colour"),
        (
            {
                let mut b = with("substance", Value::Null);
                b["thresholds_mg_m3"] = json!([5.8, 0]);
                b
            },
            "thresholds_mg_m3",
        ),
        (
            {
                let mut b = with("substance", Value::Null);
                b["thresholds_mg_m3"] = json!([]);
                b
            },
            "thresholds_mg_m3",
        ),
        (with("substance", Value::Null), "thresholds_mg_m3"),
        (
            {
                let mut b = with("stability", Value::Null);
                b["day"] = json!(false);
                b
            },
            "cloud_octas",
        ),
    ];
    for (body, field) in cases {
        let p = expect_problem(Method::POST, &url, Some(body.clone()), 422).await;
        let said = format!("{} {}", p["field"].as_str().unwrap_or_default(), p["detail"]);
        assert!(said.contains(field), "{body}: {p}");
    }
    assert_eq!(counts(&server.pool).await, before);
}
