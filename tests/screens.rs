//! The three screens: the wall's figures against the registry as `/api/layers` lists it, and
//! the wall (1920×1080, 3840×2160), the phone (390×844) and the desk (1440×900) in a real
//! headless Chromium driven by `tests/browser/screens.mjs`.

mod common;

use std::collections::BTreeMap;

use common::testing::TestServer;
use common::{get, post};
use onemap::auth::Role;
use serde_json::{Value, json};

/// Every feature of `layer`, as the registry lists it.
async fn features(server: &TestServer, layer: &str) -> Vec<Value> {
    let (status, page) = get(&server.at(&format!("/api/layers/{layer}?limit=10000"))).await;
    assert_eq!(status, 200, "{page}");
    page["features"].as_array().unwrap().clone()
}

fn count_by(features: &[Value], field: &str) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for f in features {
        let key = f["properties"][field].as_str().unwrap_or("未分级").to_string();
        *counts.entry(key).or_default() += 1;
    }
    counts
}

/// A drill as the desk would run it: an incident, a dispatch that reserves stock and sends a
/// team, and an orange warning issued over the incident's area.
async fn drill(server: &TestServer) -> i64 {
    let (status, incident) = post(
        &server.at("/api/layers/incident"),
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [107.08, 29.86]},
               "properties": {"name": "大屏演练：长寿槽车泄漏", "kind": "water", "severity": "较大", "cause": "traffic_accident"}}),
    )
    .await;
    assert_eq!(status, 201, "{incident}");
    let id = incident["id"].as_i64().unwrap();
    let (status, plan) = post(
        &server.at(&format!("/api/incidents/{id}/plan")),
        json!({"demands": [{"item": "活性炭", "quantity": 30}, {"item": "围油栏", "quantity": 200}, {"specialty": "hazmat", "count": 1}]}),
    )
    .await;
    assert_eq!(status, 200, "{plan}");
    let (status, sent) =
        post(&server.at(&format!("/api/incidents/{id}/dispatch")), json!({"shipments": plan["shipments"]})).await;
    assert_eq!(status, 201, "{sent}");
    let now = chrono::Utc::now();
    let square = json!({"type": "Polygon", "coordinates": [[[107.0, 29.8], [107.2, 29.8], [107.2, 29.95], [107.0, 29.95], [107.0, 29.8]]]});
    let (status, warning) = post(
        &server.at("/api/warnings"),
        json!({"kind": "water", "level": "橙", "headline": "长江长寿段柴油污染，下游取水口暂停取水", "incident_id": id,
               "description": "槽车侧翻，柴油入江", "instruction": "下游水厂暂停取水", "area_desc": "长寿区江段",
               "onset": now.to_rfc3339(), "expires": (now + chrono::Duration::hours(6)).to_rfc3339(), "area": square}),
    )
    .await;
    assert_eq!(status, 201, "{warning}");
    let (status, issued) = post(&server.at(&format!("/api/warnings/{}/issue", warning["id"])), json!(null)).await;
    assert_eq!(status, 200, "{issued}");
    id
}

#[tokio::test]
async fn the_overview_counts_what_the_registry_lists() {
    let server = TestServer::with_demo().await.unwrap();
    let incident = drill(&server).await;
    let (status, o) = get(&server.at("/api/overview")).await;
    assert_eq!(status, 200, "{o}");

    let sources: Vec<Value> =
        features(&server, "risk_source").await.into_iter().filter(|f| f["properties"]["status"] != "closed").collect();
    let by_grade = count_by(&sources, "grade");
    for grade in ["重大", "较大", "一般", "未分级"] {
        assert_eq!(
            o["risk_sources"]["by_grade"][grade].as_i64(),
            Some(by_grade.get(grade).copied().unwrap_or(0)),
            "{grade}"
        );
    }
    assert_eq!(o["risk_sources"]["total"].as_i64(), Some(sources.len() as i64));
    let receptors = features(&server, "receptor").await;
    let by_kind = count_by(&receptors, "kind");
    assert_eq!(o["receptors"]["by_kind"], json!(by_kind));
    let teams = count_by(&features(&server, "team").await, "status");
    for status in ["available", "dispatched", "off_duty"] {
        assert_eq!(o["teams"][status].as_i64(), Some(teams.get(status).copied().unwrap_or(0)), "{status}");
    }
    assert!(o["teams"]["dispatched"].as_i64().unwrap() >= 1, "the drill sent a team");

    let open: Vec<i64> = features(&server, "incident")
        .await
        .iter()
        .filter(|f| f["properties"]["status"] == "open")
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    let listed: Vec<i64> =
        o["incidents"]["list"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(o["incidents"]["open"].as_i64(), Some(open.len() as i64));
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    let mut open_sorted = open.clone();
    open_sorted.sort_unstable();
    assert_eq!(sorted, open_sorted);
    assert!(listed.contains(&incident));

    let (_, warnings) = get(&server.at("/api/warnings?in_force=true")).await;
    let warnings = warnings["features"].as_array().unwrap();
    assert_eq!(o["warnings"]["in_force"].as_i64(), Some(warnings.len() as i64));
    assert_eq!(o["warnings"]["by_level"]["橙"].as_i64(), Some(1));

    // Stock: summed from each item's listing, expiry counted against the database's today.
    let today: chrono::NaiveDate = sqlx::query_scalar("SELECT current_date").fetch_one(&server.pool).await.unwrap();
    let horizon = today + chrono::Duration::days(o["rotation_days"].as_i64().unwrap());
    assert_eq!(o["stock"].as_array().unwrap().len(), 8);
    let mut reserved_somewhere = false;
    for line in o["stock"].as_array().unwrap() {
        let item = line["item"].as_str().unwrap();
        let (_, listing) = get(&server.at(&format!("/api/stock?item={item}"))).await;
        let rows: Vec<&Value> = listing["features"]
            .as_array()
            .unwrap_or_else(|| panic!("{listing}"))
            .iter()
            .map(|f| &f["properties"])
            .filter(|r| r["unit"] == line["unit"])
            .collect();
        let sum = |f: &dyn Fn(&Value) -> f64| rows.iter().map(|r| f(r)).sum::<f64>();
        let quantity = sum(&|r| r["quantity"].as_f64().unwrap());
        let reserved = sum(&|r| r["reserved"].as_f64().unwrap());
        let expiring = sum(&|r| {
            let due = r["expiry_date"].as_str().and_then(|d| d.parse::<chrono::NaiveDate>().ok());
            if due.is_some_and(|d| d < horizon) { r["quantity"].as_f64().unwrap() } else { 0.0 }
        });
        assert!((line["quantity"].as_f64().unwrap() - quantity).abs() < 1e-6, "{item}: {line}");
        assert!((line["reserved"].as_f64().unwrap() - reserved).abs() < 1e-6, "{item}: {line}");
        assert!((line["free"].as_f64().unwrap() - (quantity - reserved)).abs() < 1e-6, "{item}: {line}");
        assert!((line["expiring"].as_f64().unwrap() - expiring).abs() < 1e-6, "{item}: {line}");
        reserved_somewhere |= reserved > 0.0;
    }
    assert!(reserved_somewhere, "the drill reserved stock");
    let last: i64 = sqlx::query_scalar("SELECT max(id) FROM event_log").fetch_one(&server.pool).await.unwrap();
    assert_eq!(o["event"].as_i64(), Some(last));
    assert_eq!(o["recent"][0]["id"].as_i64(), Some(last));

    // Other items on request; bad requests said so.
    let (_, some) = get(&server.at("/api/overview?items=石灰,不存在的物资")).await;
    assert_eq!(some["stock"].as_array().unwrap().len(), 1);
    for bad in ["items=", "item=活性炭", &format!("items={}", vec!["a"; 21].join(","))] {
        let (status, body) = get(&server.at(&format!("/api/overview?{bad}"))).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
}

#[tokio::test]
async fn the_wall_the_phone_and_the_desk_fit_their_screens_and_stay_live() {
    let server = TestServer::with_demo().await.unwrap();
    onemap::exchange::demo_stations::load(&server.pool, chrono::Utc::now()).await.unwrap();
    let incident = drill(&server).await;
    let viewer = server.token("wall", Role::Viewer, None).await.unwrap();
    let district: String = sqlx::query_scalar(
        "SELECT code FROM district WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(107.08, 29.86), 4326))",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let officer = server.token("officer", Role::Admin, Some(&district)).await.unwrap();
    // The city's duty leader of this hour, whom the desk names.
    sqlx::query(
        "INSERT INTO duty_shift (starts_at, ends_at, person, post, phone) \
         VALUES (now() - interval '1 hour', now() + interval '7 hours', '张值班', 'leader', '023-12369')",
    )
    .execute(&server.pool)
    .await
    .unwrap();
    // A response to the drill with an order to the officer, which the phone answers offline.
    sqlx::query("INSERT INTO response (incident_id, level, declared_by) VALUES ($1, 'IV', 'test')")
        .bind(incident)
        .execute(&server.pool)
        .await
        .unwrap();
    let order: i64 = sqlx::query_scalar(
        "INSERT INTO response_order (incident_id, what, module, to_kind, to_ref, due_at, issued_by) \
         VALUES ($1, '下游 500 米处布设围油栏', 'containment', 'user', 'officer', now() + interval '1 hour', 'test') RETURNING id",
    )
    .bind(incident)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    // The demo's spill on the Yangtze at Changshou: its emergency monitoring, issued, with a first
    // reading at each point.
    let river_incident: i64 = sqlx::query_scalar("SELECT id FROM incident WHERE name LIKE '长寿示例柴油泄漏%'")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO response (incident_id, level, declared_by) VALUES ($1, 'IV', 'test') ON CONFLICT DO NOTHING",
    )
    .bind(river_incident)
    .execute(&server.pool)
    .await
    .unwrap();
    let path = format!("/api/incidents/{river_incident}/monitoring-plan");
    let (status, plan) =
        common::ask(&server, &server.admin_token, reqwest::Method::POST, &path, Some(json!({"mass_kg": 20000}))).await;
    assert_eq!(status, 201, "{plan}");
    let (status, plan) =
        common::ask(&server, &server.admin_token, reqwest::Method::POST, &format!("{path}/issue"), None).await;
    assert_eq!(status, 200, "{plan}");
    let readings: Vec<Value> = plan["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(
            |p| json!({"Datastream": {"@iot.id": p["datastream_id"]}, "components": ["result"], "dataArray": [[18.5]]}),
        )
        .collect();
    let (status, _) = common::ask(
        &server,
        &server.admin_token,
        reqwest::Method::POST,
        "/sta/v1.1/CreateObservations",
        Some(json!(readings)),
    )
    .await;
    assert_eq!(status, 201);
    let root = env!("CARGO_MANIFEST_DIR");
    let output = tokio::process::Command::new("node")
        .arg(format!("{root}/tests/browser/screens.mjs"))
        .arg(&server.url)
        .arg(format!("{root}/target"))
        .arg(&server.admin_token)
        .arg(&viewer)
        .arg(&officer)
        .arg(incident.to_string())
        .arg(river_incident.to_string())
        .output()
        .await
        .expect("node (scripts/setup installs the browser test's packages)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    let result: Value = serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap();
    println!("{result}");
    // The phone's report went through once: one incident more, with its photo.
    let reported: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT i.id, (SELECT count(*) FROM attachment a WHERE a.incident_id = i.id) FROM incident i WHERE i.name = $1",
    )
    .bind(result["phone"]["report_name"].as_str().unwrap())
    .fetch_all(&server.pool)
    .await
    .unwrap();
    assert_eq!(reported.len(), 1, "the offline report was filed exactly once: {reported:?}");
    assert_eq!(reported[0].1, 1, "with its one photo");
    // The order answered offline reached the command once the phone was back.
    let (status, done_by, note, photos): (String, Option<String>, Option<String>, i64) = sqlx::query_as(
        "SELECT status, done_by, note, (SELECT count(*) FROM attachment a \
           WHERE a.record_table = 'response_order' AND a.record_id = o.id) FROM response_order o WHERE id = $1",
    )
    .bind(order)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), done_by.as_deref(), note.as_deref(), photos),
        ("done", Some("officer"), Some("围油栏已布设"), 1),
        "done with its photo"
    );
    // The reading entered offline on the phone arrived once, with its method.
    let readings: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sta_observation WHERE result = 23.4 AND parameters->>'method' = '便携式快速检测'",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(readings, 1, "the field reading was stored exactly once");
    for shot in ["wall-1920x1080.png", "wall-3840x2160.png", "wall-focus.png", "phone-390x844.png", "desk-1440x900.png"]
    {
        assert!(
            std::fs::metadata(format!("{root}/target/{shot}")).unwrap().len() > 10_000,
            "{shot}: a real screenshot"
        );
    }
}
