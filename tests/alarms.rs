//! Alarms that trust only checked data (issue 24, part 4), on a river drawn by hand: an
//! exceedance raised after two passing values in a row and cleared after three good ones, a
//! failed value ignored, a stuck sensor's instrument alarm, a silent station; acknowledged,
//! made into an intake; and its source traced up the river to the clean station above.

mod common;

use chrono::{Duration, Utc};
use common::testing::TestServer;
use common::{ask, post};
use onemap::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

const STA: &str = "/sta/v1.1";

fn at(lon: f64, lat: f64, props: Value) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props})
}

/// A water station at `lon` on the river with one datastream of `definition`; its datastream.
async fn station(server: &TestServer, name: &str, lon: f64, definition: &str) -> i64 {
    let body = json!({"name": name, "properties": {"target_class": "Ⅲ"},
        "Locations": [{"name": name, "location": {"type": "Point", "coordinates": [lon, 29.0005]}}],
        "Datastreams": [{"name": format!("{name} {definition}"), "observationType": "OM_Measurement",
            "unitOfMeasurement": {"name": "mg/L", "symbol": "mg/L"},
            "Sensor": {"name": "analyser", "encodingType": "text/plain", "metadata": "m"},
            "ObservedProperty": {"name": definition, "definition": definition}}]});
    let (status, thing) =
        ask(server, &server.admin_token, Method::POST, &format!("{STA}/Things?$expand=Datastreams"), Some(body)).await;
    assert_eq!(status, 201, "{thing}");
    let id = thing["@iot.id"].as_i64().unwrap();
    let (_, streams) =
        ask(server, &server.admin_token, Method::GET, &format!("{STA}/Things({id})/Datastreams"), None).await;
    streams["value"][0]["@iot.id"].as_i64().unwrap()
}

/// Posts `values` hourly to `datastream`, the last `hours_ago` hours before now.
async fn readings(server: &TestServer, datastream: i64, hours_ago: i64, values: &[f64]) {
    let start = Utc::now() - Duration::hours(hours_ago);
    for (h, v) in values.iter().enumerate() {
        let body = json!({"phenomenonTime": (start + Duration::hours(h as i64)).to_rfc3339(), "result": v});
        let (status, answer) = ask(
            server,
            &server.admin_token,
            Method::POST,
            &format!("{STA}/Datastreams({datastream})/Observations"),
            Some(body),
        )
        .await;
        assert_eq!(status, 201, "{answer}");
    }
}

async fn open_alarms(server: &TestServer) -> Vec<Value> {
    let (status, body) = ask(server, &server.admin_token, Method::GET, "/api/alarms", None).await;
    assert_eq!(status, 200, "{body}");
    body["alarms"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_exceedance_is_raised_acknowledged_taken_in_traced_and_cleared() {
    let server = TestServer::start().await.unwrap();
    // The river flows east along 29°N at 1 m/s.
    let river = json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[106.0, 29.0], [106.5, 29.0]]},
                       "properties": {"kind": "river", "name": "试验河", "flow_speed_ms": 1.0}});
    let (status, body) = post(&server.at("/api/layers/route"), river).await;
    assert_eq!(status, 201, "{body}");
    // Risk sources: above the upper station, between the stations (one holding ammonia), below.
    for (lon, name, substance, cas) in [
        (106.02, "上游化肥厂", "液氨", "7664-41-7"),
        (106.20, "中段化肥厂", "液氨", "7664-41-7"),
        (106.25, "中段冶炼厂", "硫酸", "7664-93-9"),
        (106.45, "下游化肥厂", "液氨", "7664-41-7"),
    ] {
        let source = at(
            lon,
            29.003,
            json!({"name": name, "grade": "较大",
            "substances": [{"name": substance, "cas": cas, "quantity_t": 50, "threshold_t": 10, "medium": "water"}]}),
        );
        let (status, body) = post(&server.at("/api/layers/risk_source"), source).await;
        assert_eq!(status, 201, "{body}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let upper = station(&server, "上游断面", 106.05, "w21003").await;
    let lower = station(&server, "下游断面", 106.35, "w21003").await;
    readings(&server, upper, 12, &[0.4, 0.42, 0.45, 0.41]).await;
    // NH3-N against Ⅲ (1.0 mg/L): one exceedance, then a failed value (beyond the instrument,
    // not counted), then a second passing exceedance raises it.
    readings(&server, lower, 12, &[0.5, 0.6, 1.8]).await;
    assert!(open_alarms(&server).await.is_empty(), "raised after one exceedance");
    readings(&server, lower, 9, &[250.0]).await;
    assert!(open_alarms(&server).await.is_empty(), "raised on a failed value");
    let flag: String = sqlx::query_scalar(
        "SELECT q.flag FROM sta_qc q JOIN sta_observation o ON o.id = q.observation_id WHERE o.result = 250",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(flag, "fail");
    readings(&server, lower, 8, &[2.0]).await;
    let alarms = open_alarms(&server).await;
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    let alarm = &alarms[0];
    assert_eq!(
        (
            alarm["kind"].as_str(),
            alarm["item"].as_str(),
            alarm["value"].as_f64(),
            alarm["threshold"].as_f64(),
            alarm["status"].as_str()
        ),
        (Some("exceedance"), Some("NH3-N"), Some(2.0), Some(1.0), Some("raised"))
    );
    let id = alarm["id"].as_i64().unwrap();
    let (alarms_open,): (i32,) =
        sqlx::query_as("SELECT alarms FROM stations WHERE name = '下游断面'").fetch_one(&server.pool).await.unwrap();
    assert_eq!(alarms_open, 1);

    // 溯源: the upper station is clean, so the ammonia between them comes first; nothing above
    // the upper station or below the lower one.
    let (status, traced) =
        ask(&server, &server.admin_token, Method::GET, &format!("/api/alarms/{id}/sources"), None).await;
    assert_eq!(status, 200, "{traced}");
    assert_eq!(
        (traced["upstream"]["name"].as_str(), traced["upstream"]["clean"].as_bool()),
        (Some("上游断面"), Some(true))
    );
    let names: Vec<&str> = traced["sources"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["中段化肥厂", "中段冶炼厂"], "{traced}");
    assert_eq!(traced["sources"][0]["matches"], true);
    assert_eq!(traced["sources"][1]["matches"], false);
    // 0.30° of longitude at 29°N is about 29.2 km: about 8.1 hours at 1 m/s.
    let hours = traced["upstream"]["hours"].as_f64().unwrap();
    assert!((hours - 8.1).abs() < 0.3, "{hours}");

    // Roles and states.
    let viewer = server.token("a-viewer", Role::Viewer, None).await.unwrap();
    let dispatcher = server.token("a-dispatcher", Role::Dispatcher, None).await.unwrap();
    let (status, _) = ask(&server, &viewer, Method::POST, &format!("/api/alarms/{id}/acknowledge"), None).await;
    assert_eq!(status, 403);
    let (status, _) = ask(&server, &dispatcher, Method::POST, "/api/alarms/999999/acknowledge", None).await;
    assert_eq!(status, 404);
    // A district's dispatcher works the alarms of the district's stations only.
    let district = json!({"type": "Feature", "properties": {"code": "500112", "name": "渝北区"},
        "geometry": {"type": "Polygon", "coordinates": [[[107.0, 30.0], [107.1, 30.0], [107.1, 30.1], [107.0, 30.1], [107.0, 30.0]]]}});
    let (status, body) = post(&server.at("/api/layers/district"), district).await;
    assert_eq!(status, 201, "{body}");
    let elsewhere = server.token("a-district", Role::Dispatcher, Some("500112")).await.unwrap();
    for step in ["acknowledge", "intake"] {
        let (status, answer) = ask(&server, &elsewhere, Method::POST, &format!("/api/alarms/{id}/{step}"), None).await;
        assert_eq!(status, 403, "{step}: {answer}");
    }
    let (status, acked) = ask(&server, &dispatcher, Method::POST, &format!("/api/alarms/{id}/acknowledge"), None).await;
    assert_eq!(
        (status, acked["status"].as_str(), acked["acknowledged_by"].as_str()),
        (200, Some("acknowledged"), Some("a-dispatcher"))
    );
    let (status, again) = ask(&server, &dispatcher, Method::POST, &format!("/api/alarms/{id}/acknowledge"), None).await;
    assert_eq!(status, 409, "{again}");
    let (status, made) = ask(&server, &dispatcher, Method::POST, &format!("/api/alarms/{id}/intake"), None).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["intake"]["channel"], "monitoring_alarm");
    let what = made["intake"]["what"].as_str().unwrap();
    assert!(what.contains("下游断面") && what.contains("NH3-N") && what.contains("2") && what.contains("1"), "{what}");
    let (status, _) = ask(&server, &dispatcher, Method::POST, &format!("/api/alarms/{id}/intake"), None).await;
    assert_eq!(status, 409);
    let intakes: i64 = sqlx::query_scalar("SELECT count(*) FROM intake").fetch_one(&server.pool).await.unwrap();
    assert_eq!(intakes, 1);

    // Three good values clear it (two do not).
    readings(&server, lower, 7, &[0.5, 0.45]).await;
    assert_eq!(open_alarms(&server).await.len(), 1);
    readings(&server, lower, 5, &[0.4]).await;
    assert!(open_alarms(&server).await.is_empty());
    let (status, all) = ask(&server, &server.admin_token, Method::GET, "/api/alarms?all=true", None).await;
    assert_eq!(status, 200);
    assert_eq!(all["alarms"][0]["status"], "cleared");
    let kinds: Vec<String> = sqlx::query_scalar("SELECT data->>'op' FROM event_log WHERE kind = 'alarm' ORDER BY id")
        .fetch_all(&server.pool)
        .await
        .unwrap();
    assert_eq!(kinds, ["raised", "acknowledged", "intake", "cleared"]);
    let (status, _) = ask(&server, &server.admin_token, Method::GET, "/api/alarms?days=0", None).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_stuck_sensor_raises_an_instrument_alarm_and_a_silent_station_a_silence_alarm() {
    let server = TestServer::start().await.unwrap();
    let stuck = station(&server, "卡滞站", 106.1, "w01009").await;
    readings(&server, stuck, 30, &[7.2, 7.5]).await;
    readings(&server, stuck, 28, &[7.83; 12]).await;
    assert!(
        open_alarms(&server).await.is_empty(),
        "the twelfth equal value fails once: one failed check is no fault yet"
    );
    readings(&server, stuck, 16, &[7.83]).await;
    let alarms = open_alarms(&server).await;
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(
        (alarms[0]["kind"].as_str(), alarms[0]["detail"]["tests"][0].as_str()),
        (Some("instrument"), Some("flat_line"))
    );
    // Its source is not traced: it is no exceedance.
    let id = alarms[0]["id"].as_i64().unwrap();
    let (status, _) = ask(&server, &server.admin_token, Method::GET, &format!("/api/alarms/{id}/sources"), None).await;
    assert_eq!(status, 409);
    // Nothing for 15 hours: silent after 3.
    let raised = onemap::sensing::alarms::silent(&server.pool, std::time::Duration::from_secs(3 * 3600)).await.unwrap();
    assert_eq!(raised, 1);
    assert_eq!(
        onemap::sensing::alarms::silent(&server.pool, std::time::Duration::from_secs(3 * 3600)).await.unwrap(),
        0
    );
    assert!(open_alarms(&server).await.iter().any(|a| a["kind"] == "silent"));
    // Data again: the silence clears; three good values clear the fault.
    readings(&server, stuck, 3, &[7.1, 7.4, 7.6]).await;
    assert!(open_alarms(&server).await.is_empty(), "{:?}", open_alarms(&server).await);
}
