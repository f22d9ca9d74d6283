//! Warnings: the lifecycle, recipients, roles, and CAP 1.2 messages valid against the OASIS
//! schema (checked by xmllint, an independent validator), and the Atom feed carrying them.

mod common;

use std::path::Path;

use common::testing::TestServer;
use common::{call, call_as, counts, expect_problem, get, post};
use onemap::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

const SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cap/CAP-v1.2.xsd");

/// A square of `d` degrees around a demo receptor, and the receptor.
async fn around_receptor(server: &TestServer) -> (Value, i64, [f64; 2]) {
    let (id, x, y): (i64, f64, f64) = sqlx::query_as(
        "SELECT id, ST_X(geom), ST_Y(geom) FROM receptor WHERE kind = 'school' AND GeometryType(geom) = 'POINT' ORDER BY id LIMIT 1",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let d = 0.01;
    let area = json!({"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]]});
    (area, id, [x, y])
}

fn draft(area: Value) -> Value {
    let now = chrono::Utc::now();
    json!({"kind": "air", "level": "橙", "headline": "氯气泄漏，下风向居民请关闭门窗",
           "description": "某化工企业储罐泄漏氯气", "instruction": "关闭门窗，听从疏散指挥", "area_desc": "学校周边 1 公里",
           "onset": now.to_rfc3339(), "expires": (now + chrono::Duration::hours(6)).to_rfc3339(), "area": area})
}

/// Validates `xml` against the CAP 1.2 schema with xmllint; the error text when invalid.
fn cap_valid(xml: &str, name: &str) -> Result<(), String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/cap");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}-{}.xml", std::process::id()));
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", SCHEMA])
        .arg(&file)
        .output()
        .expect("xmllint (libxml2-utils, installed by scripts/setup)");
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).to_string()) }
}

async fn cap_of(server: &TestServer, id: &Value) -> String {
    let response = common::raw_get(server.at(&format!("/api/warnings/{id}.cap"))).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/cap+xml"));
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_warning_is_drafted_issued_updated_and_cancelled_as_valid_cap() {
    let server = TestServer::with_demo().await.unwrap();
    let (area, school, _) = around_receptor(&server).await;
    let incident: i64 = sqlx::query_scalar("SELECT id FROM incident WHERE status = 'open' LIMIT 1")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    let mut body = draft(area.clone());
    body["incident_id"] = incident.into();
    let (status, w) = post(&server.at("/api/warnings"), body).await;
    assert_eq!(status, 201, "{w}");
    assert_eq!(w["properties"]["state"], "draft");
    let id = w["id"].clone();
    // The recipients: the school inside, and the district's duty unit.
    let (_, r) = get(&server.at(&format!("/api/warnings/{id}/recipients"))).await;
    let list = r["recipients"].as_array().unwrap();
    let expected: Vec<i64> = sqlx::query_scalar(
        "SELECT r.id FROM receptor r WHERE ST_Intersects(r.geom, ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)) ORDER BY r.id",
    )
    .bind(area.to_string())
    .fetch_all(&server.pool)
    .await
    .unwrap();
    let got: Vec<i64> = list.iter().filter_map(|r| r["receptor_id"].as_i64()).collect();
    assert_eq!(got, expected);
    assert!(got.contains(&school));
    assert!(list.iter().any(|r| r["name"].as_str().unwrap().ends_with("生态环境局应急值班室")), "{r}");
    // A draft is CAP's Draft; nobody is ticked off for a draft.
    assert!(cap_of(&server, &id).await.contains("<status>Draft</status>"));
    let first = list[0]["id"].clone();
    expect_problem(
        Method::PATCH,
        &server.at(&format!("/api/warnings/{id}/recipients/{first}")),
        Some(json!({"notified": true})),
        409,
    )
    .await;

    // Changed as a draft, then issued: an Alert.
    let (status, _, edited) =
        call(Method::PATCH, &server.at(&format!("/api/warnings/{id}")), Some(json!({"level": "红"}))).await;
    assert_eq!(status, 200, "{edited}");
    let (status, issued) = post(&server.at(&format!("/api/warnings/{id}/issue")), json!(null)).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["properties"]["state"], "issued");
    let alert = cap_of(&server, &id).await;
    cap_valid(&alert, "alert").unwrap();
    for part in [
        "<msgType>Alert</msgType>",
        "<language>zh-CN</language>",
        "<category>Env</category>",
        "<severity>Extreme</severity>",
        "<urgency>Immediate</urgency>",
        "<status>Actual</status>",
    ] {
        assert!(alert.contains(part), "{part} in {alert}");
    }
    // The polygon: latitude first, closed.
    let polygon = alert.split("<polygon>").nth(1).unwrap().split("</polygon>").next().unwrap();
    let pairs: Vec<&str> = polygon.split(' ').collect();
    assert_eq!(pairs.first(), pairs.last());
    let lat: f64 = pairs[0].split(',').next().unwrap().parse().unwrap();
    assert!((20.0..40.0).contains(&lat), "latitude first: {polygon}");
    // Ticked off (the recipients as issued).
    let (_, r) = get(&server.at(&format!("/api/warnings/{id}/recipients"))).await;
    let first = r["recipients"][0]["id"].clone();
    let (status, _, ticked) = call(
        Method::PATCH,
        &server.at(&format!("/api/warnings/{id}/recipients/{first}")),
        Some(json!({"notified": true})),
    )
    .await;
    assert_eq!(status, 200, "{ticked}");
    assert!(ticked["notified_at"].is_string());
    // An issued warning is not edited, nor issued again.
    expect_problem(Method::PATCH, &server.at(&format!("/api/warnings/{id}")), Some(json!({"level": "黄"})), 409).await;
    expect_problem(Method::POST, &server.at(&format!("/api/warnings/{id}/issue")), None, 409).await;

    // Updated: a new version that refers to the first, which is then `updated`.
    let (status, v2) =
        post(&server.at(&format!("/api/warnings/{id}/update")), json!({"level": "黄", "headline": "氯气浓度下降"}))
            .await;
    assert_eq!(status, 201, "{v2}");
    assert_eq!(v2["properties"]["version"], 2);
    let v2_id = v2["id"].clone();
    let (_, old) = get(&server.at(&format!("/api/warnings/{id}"))).await;
    assert_eq!(old["properties"]["state"], "updated");
    let update = cap_of(&server, &v2_id).await;
    cap_valid(&update, "update").unwrap();
    assert!(update.contains("<msgType>Update</msgType>"));
    let first_identifier = old["properties"]["identifier"].as_str().unwrap();
    assert!(update.contains(&format!("<references>onemap@localhost,{first_identifier},")), "{update}");
    let (_, r2) = get(&server.at(&format!("/api/warnings/{v2_id}/recipients"))).await;
    assert!(r2["recipients"][0]["notified_at"].is_string(), "ticks carry over: {r2}");

    // Cancelled: a Cancel referring to both versions; nothing more after.
    let (status, c) = post(&server.at(&format!("/api/warnings/{v2_id}/cancel")), json!(null)).await;
    assert_eq!(status, 200, "{c}");
    let cancel = cap_of(&server, &v2_id).await;
    cap_valid(&cancel, "cancel").unwrap();
    assert!(cancel.contains("<msgType>Cancel</msgType>"));
    assert_eq!(
        cancel.split("<references>").nth(1).unwrap().split("</references>").next().unwrap().split(' ').count(),
        2
    );
    for action in ["issue", "cancel", "update"] {
        expect_problem(Method::POST, &server.at(&format!("/api/warnings/{v2_id}/{action}")), Some(json!({})), 409)
            .await;
    }
    // And plain SQL cannot change an issued warning either.
    let sql =
        sqlx::query("UPDATE warning SET headline = 'x' WHERE id = $1").bind(v2_id.as_i64()).execute(&server.pool).await;
    assert!(sql.is_err());
    // The feed heard: issued, updated, cancelled.
    let ops: Vec<String> = sqlx::query_scalar("SELECT data->>'op' FROM event_log WHERE kind = 'warning' ORDER BY id")
        .fetch_all(&server.pool)
        .await
        .unwrap();
    assert_eq!(ops, ["issued", "updated", "cancelled"]);
    // And the incident's timeline tells it, with who.
    let (_, t) = get(&server.at(&format!("/api/incidents/{incident}/timeline"))).await;
    let told: Vec<&str> = t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "warning")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(told.len(), 3, "{t}");
    assert!(
        told[0].starts_with("发布红色预警") && told[1].starts_with("更新黄色预警") && told[2].starts_with("解除"),
        "{told:?}"
    );
}

#[tokio::test]
async fn the_atom_feed_carries_the_warnings_in_force_as_valid_cap() {
    let server = TestServer::with_demo().await.unwrap();
    let (area, _, _) = around_receptor(&server).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let (_, w) = post(&server.at("/api/warnings"), draft(area.clone())).await;
        if n < 2 {
            let (status, _) = post(&server.at(&format!("/api/warnings/{}/issue", w["id"])), json!(null)).await;
            assert_eq!(status, 200);
        }
        ids.push(w["id"].as_i64().unwrap());
    }
    let response = common::raw_get(server.at("/api/warnings.atom")).await;
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
    let feed = response.text().await.unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/cap/feed-{}.xml", std::process::id()));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, &feed).unwrap();
    let wellformed = std::process::Command::new("xmllint").arg("--noout").arg(&file).output().unwrap();
    assert!(wellformed.status.success(), "{}", String::from_utf8_lossy(&wellformed.stderr));
    let alerts: Vec<&str> = feed.split("<alert ").skip(1).map(|a| a.split("</alert>").next().unwrap()).collect();
    assert_eq!(alerts.len(), 2, "the two issued, not the draft");
    for (i, a) in alerts.iter().enumerate() {
        cap_valid(&format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert {a}</alert>"), &format!("entry{i}"))
            .unwrap();
    }
    let (_, in_force) = get(&server.at("/api/warnings?in_force=true")).await;
    assert_eq!(in_force["features"].as_array().unwrap().len(), 2);

    // Control characters are refused at the edge (line breaks only in long text), and one that
    // reached the database another way (psql) does not break the message or the feed.
    for (field, text) in
        [("headline", "氯气\u{7}泄漏"), ("area_desc", "学校\n周边"), ("description", "储罐\u{1b}[31m泄漏")]
    {
        let mut body = draft(area.clone());
        body[field] = text.into();
        let (status, p) = post(&server.at("/api/warnings"), body).await;
        assert_eq!(status, 422, "{field}: {p}");
        assert_eq!(p["field"], field, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("control character"), "{p}");
    }
    let mut body = draft(area.clone());
    body["description"] = "第一段\n\t第二段".into();
    assert_eq!(post(&server.at("/api/warnings"), body).await.0, 201);
    // As psql by a superuser would (past the trigger that freezes an issued warning).
    let mut tx = server.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica").execute(&mut *tx).await.unwrap();
    sqlx::query("UPDATE warning SET headline = E'氯气\\x01泄漏 <b>&', description = E'\\x0b' WHERE id = $1")
        .bind(ids[0])
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let cap = cap_of(&server, &json!(ids[0])).await;
    cap_valid(&cap, "control").unwrap();
    assert!(cap.contains("<headline>氯气泄漏 &lt;b&gt;&amp;</headline>"), "{cap}");
    let feed = common::raw_get(server.at("/api/warnings.atom")).await.text().await.unwrap();
    std::fs::write(&file, &feed).unwrap();
    let wellformed = std::process::Command::new("xmllint").arg("--noout").arg(&file).output().unwrap();
    assert!(wellformed.status.success(), "{}", String::from_utf8_lossy(&wellformed.stderr));
}

#[tokio::test]
async fn areas_come_from_a_trace_or_a_plume() {
    let server = TestServer::with_demo().await.unwrap();
    // A spill on the Jialing at Hechuan, a day downstream, 500 m either side.
    let mut from_trace = draft(Value::Null);
    from_trace.as_object_mut().unwrap().remove("area");
    from_trace["kind"] = "water".into();
    from_trace["from"] = json!({"trace": {"lon": 106.27, "lat": 29.99, "hours": 12, "buffer_m": 500}});
    let (status, w) = post(&server.at("/api/warnings"), from_trace).await;
    assert_eq!(status, 201, "{w}");
    assert_eq!(w["geometry"]["type"], "MultiPolygon");
    let (valid, km2): (bool, f64) = sqlx::query_as(
        "SELECT ST_IsValid(g), ST_Area(g::geography) / 1e6 FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g) x",
    )
    .bind(w["geometry"].to_string())
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert!(valid && km2 > 1.0, "{km2} km²");
    // From a plume: the widest zone.
    let plume = json!({"point": [106.58, 29.58], "release_g_s": 1000, "wind_from_deg": 270, "wind_ms": 3, "stability": "D",
                       "substance": "氯气"});
    let mut from_plume = draft(Value::Null);
    from_plume.as_object_mut().unwrap().remove("area");
    from_plume["from"] = json!({"plume": plume.clone()});
    let (status, w) = post(&server.at("/api/warnings"), from_plume).await;
    assert_eq!(status, 201, "{w}");
    let (_, zones) = post(&server.at("/api/air/plume"), plume).await;
    let apart: f64 = sqlx::query_scalar(
        "SELECT ST_HausdorffDistance(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), ST_SetSRID(ST_GeomFromGeoJSON($2), 4326))",
    )
    .bind(w["geometry"].to_string())
    .bind(zones["features"][0]["geometry"].to_string())
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert!(apart < 1e-6, "{apart}°");
}

#[tokio::test]
async fn bad_warnings_and_refused_roles_write_nothing() {
    let server = TestServer::with_demo().await.unwrap();
    let (area, _, _) = around_receptor(&server).await;
    let url = server.at("/api/warnings");
    let before = counts(&server.pool).await;
    let now = chrono::Utc::now();
    let with = |key: &str, value: Value| {
        let mut b = draft(area.clone());
        if value.is_null() {
            b.as_object_mut().unwrap().remove(key);
        } else {
            b[key] = value;
        }
        b
    };
    let open_ring =
        json!({"type": "Polygon", "coordinates": [[[106.0, 29.0], [106.1, 29.0], [106.1, 29.1], [106.0, 29.1]]]});
    let cases = [
        (with("area", Value::Null), "area"),
        (with("expires", json!((now - chrono::Duration::hours(1)).to_rfc3339())), "expires"),
        (with("level", json!("紫")), "level"),
        (with("kind", json!("noise")), "kind"),
        (with("area", open_ring), "area"),
        (with("colour", json!("red")), "colour"),
        (with("incident_id", json!(999999)), "incident_id"),
        (with("onset", json!("tomorrow")), "onset"),
        (
            {
                let mut b = with("area", Value::Null);
                b["from"] = json!({"trace": {"lon": 105.0, "lat": 40.0}});
                b
            },
            "river",
        ),
    ];
    for (body, field) in cases {
        let (status, _, p) = call(Method::POST, &url, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {p}");
        let said = format!("{} {} {}", p["field"].as_str().unwrap_or_default(), p["detail"], p["title"]);
        assert!(said.contains(field), "{field}: {p}");
    }
    assert_eq!(counts(&server.pool).await, before);

    // A viewer drafts nothing; a dispatcher of another district drafts but cannot issue here.
    let viewer = server.token("vera", Role::Viewer, None).await.unwrap();
    assert_eq!(call_as(Some(&viewer), Method::POST, &url, Some(draft(area.clone()))).await.0, 403);
    // An area well inside 渝北区 (500112); a dispatcher of 万州区 (500101) is an outsider there.
    let (px, py): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM district WHERE code = '500112') x",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let d = 0.002;
    let inside = json!({"type": "Polygon", "coordinates": [[[px - d, py - d], [px + d, py - d], [px + d, py + d], [px - d, py + d], [px - d, py - d]]]});
    let covered: bool = sqlx::query_scalar(
        "SELECT ST_CoveredBy(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), geom) FROM district WHERE code = '500112'",
    )
    .bind(inside.to_string())
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert!(covered);
    let (here, elsewhere) = ("500112".to_string(), "500101".to_string());
    let outsider = server.token("outsider", Role::Dispatcher, Some(&elsewhere)).await.unwrap();
    let local = server.token("local", Role::Dispatcher, Some(&here)).await.unwrap();
    let (status, _, w) = call_as(Some(&outsider), Method::POST, &url, Some(draft(inside))).await;
    assert_eq!(status, 201, "{w}");
    let issue = server.at(&format!("/api/warnings/{}/issue", w["id"]));
    let (status, _, p) = call_as(Some(&outsider), Method::POST, &issue, None).await;
    assert_eq!(status, 403, "{p}");
    let (status, _, p) = call_as(Some(&local), Method::POST, &issue, None).await;
    assert_eq!(status, 200, "{p}");

    // An update may not move the area out of the district (the new version is checked too).
    let (qx, qy): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM district WHERE code = '500101') x",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let away = json!({"type": "Polygon", "coordinates": [[[qx - d, qy - d], [qx + d, qy - d], [qx + d, qy + d], [qx - d, qy + d], [qx - d, qy - d]]]});
    let warnings = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM warning").fetch_one(&server.pool).await.unwrap()
    };
    let before = (warnings().await, counts(&server.pool).await);
    let update = server.at(&format!("/api/warnings/{}/update", w["id"]));
    let (status, _, p) = call_as(Some(&local), Method::POST, &update, Some(json!({"area": away}))).await;
    assert_eq!(status, 403, "{p}");
    assert_eq!((warnings().await, counts(&server.pool).await), before, "a refused update writes nothing");
    let (status, _, p) = call_as(Some(&local), Method::POST, &update, Some(json!({"level": "红"}))).await;
    assert_eq!(status, 201, "{p}");

    // A draft is changed by its author or a city-wide dispatcher, and not moved out by either of
    // the district's users.
    let colleague = server.token("colleague", Role::Dispatcher, Some(&here)).await.unwrap();
    let city = server.token("city", Role::Dispatcher, None).await.unwrap();
    let (status, _, mine) = call_as(Some(&local), Method::POST, &url, Some(draft(inside_area(px, py, d)))).await;
    assert_eq!(status, 201, "{mine}");
    let edit = server.at(&format!("/api/warnings/{}", mine["id"]));
    let (status, _, p) = call_as(Some(&colleague), Method::PATCH, &edit, Some(json!({"level": "黄"}))).await;
    assert_eq!(status, 403, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("local"), "{p}");
    let (status, _, p) = call_as(Some(&local), Method::PATCH, &edit, Some(json!({"area": away}))).await;
    assert_eq!(status, 403, "{p}");
    let (_, kept) = common::get(&edit).await;
    assert_eq!(kept["properties"]["level"], "橙");
    assert!((kept["geometry"]["coordinates"][0][0][0][0].as_f64().unwrap() - (px - d)).abs() < 1e-6, "{kept}");
    let (status, _, p) = call_as(Some(&local), Method::PATCH, &edit, Some(json!({"level": "黄"}))).await;
    assert_eq!(status, 200, "{p}");
    let (status, _, p) = call_as(Some(&city), Method::PATCH, &edit, Some(json!({"level": "红"}))).await;
    assert_eq!(status, 200, "{p}");
}

fn inside_area(px: f64, py: f64, d: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[px - d, py - d], [px + d, py - d], [px + d, py + d], [px - d, py + d], [px - d, py - d]]]})
}
