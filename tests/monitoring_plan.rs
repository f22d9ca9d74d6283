//! Emergency monitoring (issue 24, part 5) on a river drawn by hand: the plan's points at the
//! trace's hours, its frequencies around the arrival, its team, its predictions against the
//! advection–dispersion solution written out here; edited, refused, issued as orders with a
//! sampling point each; field readings back within the standard propose lifting the warning.

mod common;

use chrono::{Duration, Utc};
use common::testing::TestServer;
use common::{ask, post};
use onemap::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

fn at(lon: f64, lat: f64, props: Value) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props})
}

/// The river east along 29°N at 1 m/s, an intake at 106.2°, a monitoring team and an incident
/// on the river at 106.05° half an hour ago; the incident's id.
async fn river(server: &TestServer) -> i64 {
    let river = json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[106.0, 29.0], [106.5, 29.0]]},
                       "properties": {"kind": "river", "name": "试验河", "flow_speed_ms": 1.0}});
    let (status, body) = post(&server.at("/api/layers/route"), river).await;
    assert_eq!(status, 201, "{body}");
    for (layer, feature) in [
        ("receptor", at(106.2, 29.0005, json!({"kind": "water_intake", "name": "试验取水口"}))),
        ("team", at(106.1, 29.05, json!({"name": "监测站应急队", "specialties": ["monitoring"], "headcount": 6}))),
        ("team", at(106.06, 29.0, json!({"name": "消防队", "specialties": ["fire"], "headcount": 20}))),
    ] {
        let (status, body) = post(&server.at(&format!("/api/layers/{layer}")), feature).await;
        assert_eq!(status, 201, "{body}");
    }
    let occurred = (Utc::now() - Duration::minutes(30)).to_rfc3339();
    let (status, incident) = post(
        &server.at("/api/layers/incident"),
        at(106.05, 29.0, json!({"name": "试验泄漏", "kind": "water", "severity": "较大", "occurred_at": occurred})),
    )
    .await;
    assert_eq!(status, 201, "{incident}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    incident["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_plan_is_proposed_on_the_trace_predicted_edited_issued_and_read_back() {
    let server = TestServer::start().await.unwrap();
    let incident = river(&server).await;
    let admin = server.admin_token.clone();
    let path = format!("/api/incidents/{incident}/monitoring-plan");
    let (status, _) = ask(&server, &admin, Method::GET, &path, None).await;
    assert_eq!(status, 404, "no plan yet");
    let (status, answer) = ask(&server, &admin, Method::POST, &format!("{path}/issue"), None).await;
    assert_eq!(status, 409, "{answer}");
    let (status, plan) =
        ask(&server, &admin, Method::POST, &path, Some(json!({"item": "COD", "hours": 6, "mass_kg": 20000}))).await;
    assert_eq!(status, 201, "{plan}");
    let points = plan["points"].as_array().unwrap();
    let kinds: Vec<&str> = points.iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["control", "incident", "section", "section", "section", "intake"], "{plan}");
    // The 3-hour section: 10.8 km down at 1 m/s, 0.111° east of the incident at 29°N.
    let section = &points[3];
    assert_eq!(section["hours"], 3.0);
    assert!((section["metres"].as_f64().unwrap() - 10_800.0).abs() < 30.0, "{section}");
    assert!(
        (section["point"][0].as_f64().unwrap() - (106.05 + 10_800.0 / (111_320.0 * 29f64.to_radians().cos()))).abs()
            < 0.002
    );
    // The intake: 0.15° down, about 14.6 km, 4.05 hours.
    let intake = &points[5];
    assert!((intake["hours"].as_f64().unwrap() - 4.05).abs() < 0.05, "{intake}");
    assert_eq!(intake["team"][1], "监测站应急队");
    // Sampled every half hour around the arrival.
    let dense = section["frequency"].as_array().unwrap().iter().find(|f| f["every_minutes"] == 30).unwrap();
    let from = chrono::DateTime::parse_from_rfc3339(dense["from"].as_str().unwrap()).unwrap();
    let released = chrono::DateTime::parse_from_rfc3339(plan["released_at"].as_str().unwrap()).unwrap();
    assert!(((from - released).num_minutes() - 60).abs() <= 1, "two hours before the arrival at 3 hours: {dense}");
    // The predictions: C = M / (A √(4πDt)) · exp(−(x − ut)² / 4Dt), 试验河 taken as A = 300 m², D = 30 m²/s.
    let (a, d, m) = (300.0, 30.0, 20_000_000.0);
    let x = section["metres"].as_f64().unwrap();
    let u = x / (3.0 * 3600.0);
    let mut peak: f64 = 0.0;
    for p in section["predicted"].as_array().unwrap() {
        let t = chrono::DateTime::parse_from_rfc3339(p[0].as_str().unwrap()).unwrap();
        let s = (t - released).num_seconds() as f64;
        let c = m / (a * (4.0 * std::f64::consts::PI * d * s).sqrt()) * (-(x - u * s).powi(2) / (4.0 * d * s)).exp();
        assert!((p[1].as_f64().unwrap() - c).abs() < 1e-3, "{p} against {c}");
        peak = peak.max(c);
    }
    assert!(peak > 20.0, "a peak above the class Ⅲ limit: {peak}");

    // Refusals: a viewer, bad input, an incident off the rivers, a closed one.
    let viewer = server.token("m-viewer", Role::Viewer, None).await.unwrap();
    let (status, _) = ask(&server, &viewer, Method::POST, &path, Some(json!({}))).await;
    assert_eq!(status, 403);
    for (body, says) in [
        (json!({"item": "PM2.5"}), "not an item"),
        (json!({"hours": 100}), "at most 72"),
        (json!({"mass_kg": -1}), "more than 0"),
        (json!({"colour": 1}), "colour"),
    ] {
        let (status, answer) = ask(&server, &admin, Method::POST, &path, Some(body.clone())).await;
        assert!(status == 422 || status == 400, "{body}: {answer}");
        assert!(answer.to_string().contains(says), "{body}: {answer}");
    }
    let (status, _) =
        ask(&server, &admin, Method::POST, "/api/incidents/999999/monitoring-plan", Some(json!({}))).await;
    assert_eq!(status, 404);
    let (_, far) = post(
        &server.at("/api/layers/incident"),
        at(106.3, 29.4, json!({"name": "远处事件", "kind": "water", "severity": "一般"})),
    )
    .await;
    let (status, answer) =
        ask(&server, &admin, Method::POST, &format!("/api/incidents/{}/monitoring-plan", far["id"]), Some(json!({})))
            .await;
    assert_eq!(status, 409, "{answer}");
    sqlx::query("UPDATE incident SET status = 'closed', closed_at = now() WHERE id = $1")
        .bind(far["id"].as_i64().unwrap())
        .execute(&server.pool)
        .await
        .unwrap();
    let (status, answer) =
        ask(&server, &admin, Method::POST, &format!("/api/incidents/{}/monitoring-plan", far["id"]), Some(json!({})))
            .await;
    assert_eq!(status, 409, "{answer}");
    assert!(answer["detail"].as_str().unwrap().contains("closed"), "{answer}");

    // Edited: the control point renamed, a bad frequency refused.
    let mut edited: Vec<Value> = points.clone();
    edited[0]["name"] = json!("上游 500 米对照断面");
    let (status, answer) = ask(&server, &admin, Method::PUT, &path, Some(json!({"points": edited}))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["points"][0]["name"], "上游 500 米对照断面");
    let mut bad = edited.clone();
    bad[1]["frequency"][0]["every_minutes"] = json!(5);
    let (status, _) = ask(&server, &admin, Method::PUT, &path, Some(json!({"points": bad}))).await;
    assert_eq!(status, 422);

    // Issued: refused without a response, then an order and a sampling point each.
    let (status, answer) = ask(&server, &admin, Method::POST, &format!("{path}/issue"), None).await;
    assert_eq!(status, 409, "{answer}");
    sqlx::query("INSERT INTO response (incident_id, level, declared_by) VALUES ($1, 'IV', 'test')")
        .bind(incident)
        .execute(&server.pool)
        .await
        .unwrap();
    let (status, issued) = ask(&server, &admin, Method::POST, &format!("{path}/issue"), None).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["status"], "issued");
    let orders: i64 =
        sqlx::query_scalar("SELECT count(*) FROM response_order WHERE incident_id = $1 AND module = 'monitoring'")
            .bind(incident)
            .fetch_one(&server.pool)
            .await
            .unwrap();
    assert_eq!(orders, 6);
    let things: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sta_thing WHERE (properties->>'incident_id')::bigint = $1")
            .bind(incident)
            .fetch_one(&server.pool)
            .await
            .unwrap();
    assert_eq!(things, 6);
    let (status, _) = ask(&server, &admin, Method::POST, &path, Some(json!({}))).await;
    assert_eq!(status, 409, "an issued plan is not proposed again");

    // Field readings (a dispatcher, in bulk): up past the limit and back within for three.
    let dispatcher = server.token("m-dispatcher", Role::Dispatcher, None).await.unwrap();
    let start = Utc::now() - Duration::hours(6);
    let rows: Vec<Value> = [5.0, 30.0, 25.0, 15.0, 12.0, 10.0]
        .iter()
        .enumerate()
        .map(|(h, v)| json!([(start + Duration::hours(h as i64)).to_rfc3339(), v]))
        .collect();
    let groups: Vec<Value> = issued["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!({"Datastream": {"@iot.id": p["datastream_id"]}, "components": ["phenomenonTime", "result"], "dataArray": rows}))
        .collect();
    let (status, answer) =
        ask(&server, &dispatcher, Method::POST, "/sta/v1.1/CreateObservations", Some(json!(groups))).await;
    assert_eq!(status, 201, "{answer}");
    let (status, read) = ask(&server, &viewer, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(read["measured"].as_array().unwrap().len(), 6);
    assert!(read["measured"].as_array().unwrap().iter().all(|m| m["back_within"] == true), "{read}");
    assert_eq!(read["propose_lifting"], true);
}

#[tokio::test]
async fn a_release_to_the_air_is_sampled_upwind_at_the_source_the_zone_edges_and_the_receptors_inside() {
    let server = TestServer::start().await.unwrap();
    let admin = server.admin_token.clone();
    // A school 1 km east of a chlorine leak, the wind from the west.
    let (status, _) =
        post(&server.at("/api/layers/receptor"), at(106.31027, 29.4, json!({"kind": "school", "name": "下风向小学"})))
            .await;
    assert_eq!(status, 201);
    let occurred = (Utc::now() - Duration::minutes(10)).to_rfc3339();
    let (_, incident) = post(
        &server.at("/api/layers/incident"),
        at(106.3, 29.4, json!({"name": "液氯泄漏", "kind": "air", "severity": "较大", "occurred_at": occurred})),
    )
    .await;
    let id = incident["id"].as_i64().unwrap();
    let air = json!({"point": [0, 0], "release_g_s": 2000, "wind_from_deg": 270, "wind_ms": 2, "stability": "D",
                     "substance": "氯气", "minutes": 60});
    let path = format!("/api/incidents/{id}/monitoring-plan");
    let (status, plan) = ask(&server, &admin, Method::POST, &path, Some(json!({"hours": 6, "air": air}))).await;
    assert_eq!(status, 201, "{plan}");
    let points = plan["points"].as_array().unwrap();
    let kinds: Vec<&str> = points.iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["control", "incident", "edge", "edge", "edge", "receptor"], "{plan}");
    // The control point is upwind (west), the zone's tip downwind (east).
    assert!(points[0]["point"][0].as_f64().unwrap() < 106.3);
    assert!(points[2]["point"][0].as_f64().unwrap() > 106.31);
    assert_eq!((plan["item"].as_str(), plan["unit"].as_str()), (Some("氯气"), Some("mg/m³")));
    // At the school (1 km downwind, reached after about 8 minutes at 2 m/s): above the lower
    // end-point while the leak passes, nothing once it has gone by.
    let school = &points[5];
    assert_eq!(school["name"], "下风向小学");
    let limit = plan["limit"].as_f64().unwrap();
    let predicted: Vec<f64> = school["predicted"].as_array().unwrap().iter().map(|p| p[1].as_f64().unwrap()).collect();
    assert!(predicted[0] > limit, "{predicted:?} against {limit}");
    assert_eq!(*predicted.last().unwrap(), 0.0, "{predicted:?}");
    // Bad input inside the plume request is named.
    let (status, answer) = ask(
        &server,
        &admin,
        Method::POST,
        &path,
        Some(json!({"air": {"point": [0, 0], "release_g_s": -1, "wind_from_deg": 0, "wind_ms": 2}})),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["field"], "air.release_g_s", "{answer}");
}
