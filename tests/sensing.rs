//! SensorThings API 1.1 at /sta/v1.1 (issue 24, part 1): an independent client (PyPI
//! frost-sta-client) creates a station with deep insert, posts observations in bulk and reads
//! them back with a filter, an expansion and paging, each answer compared with SQL written
//! here; `$filter`'s operators and functions compared with the same conditions in SQL; the
//! latest-value table against a scan; bad input and refused roles change nothing.

mod common;

use std::collections::BTreeSet;

use common::ask;
use common::testing::TestServer;
use onemap::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

const STA: &str = "/sta/v1.1";

async fn ids(pool: &PgPool, sql: &str) -> BTreeSet<i64> {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await.unwrap().into_iter().collect()
}

fn value_ids(answer: &Value) -> BTreeSet<i64> {
    answer["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|e| e["@iot.id"].as_i64().unwrap())
        .collect()
}

/// The latest observation of every datastream as the table keeps it, and as a scan finds it.
async fn latest_matches_a_scan(pool: &PgPool) {
    let kept: Vec<(i64, i64, Option<f64>)> =
        sqlx::query_as("SELECT datastream_id, observation_id, result FROM sta_latest ORDER BY 1")
            .fetch_all(pool)
            .await
            .unwrap();
    let scanned: Vec<(i64, i64, Option<f64>)> = sqlx::query_as(
        "SELECT DISTINCT ON (datastream_id) datastream_id, id, result FROM sta_observation \
         ORDER BY datastream_id, phenomenon_time DESC, id DESC",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(kept, scanned);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_independent_client_creates_a_station_posts_in_bulk_and_reads_back() {
    let server = TestServer::start().await.unwrap();
    let planner = server.token("sta-planner", Role::Planner, None).await.unwrap();
    let start = "2026-11-01T00:00:00+08:00";
    let (url, token) = (server.at(STA), planner.clone());
    let script = format!("{}/tests/clients/frost.py", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args([script.as_str(), url.as_str(), token.as_str(), start])
            .output()
            .expect("python3 with frost_sta_client (scripts/setup installs it)")
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let read: Value = serde_json::from_slice(&out.stdout).unwrap();
    let pool = &server.pool;
    let thing = read["thing"].as_i64().unwrap();
    // Deep insert: the thing's location, and a historical location recording it.
    let (locations, history): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM sta_thing_location WHERE thing_id = $1), \
                (SELECT count(*) FROM sta_location_history h JOIN sta_historical_location x ON x.id = h.historical_location_id \
                  WHERE x.thing_id = $1)",
    )
    .bind(thing)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((locations, history), (1, 1));
    assert_eq!(read["patched"], json!(["已修补", {"kind": "water", "owner": "区监测站"}]));
    let (description, owner): (String, Option<String>) =
        sqlx::query_as("SELECT description, properties->>'owner' FROM sta_thing WHERE id = $1")
            .bind(thing)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!((description.as_str(), owner.as_deref()), ("已修补", Some("区监测站")));
    // A patch whose test fails changes nothing.
    let failing =
        json!([{"op": "test", "path": "/name", "value": "别的名字"}, {"op": "replace", "path": "/name", "value": "x"}]);
    let answer = reqwest::Client::new()
        .patch(server.at(&format!("{STA}/Things({thing})")))
        .bearer_auth(&planner)
        .header("content-type", "application/json-patch+json")
        .body(failing.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 409);
    let streams: Vec<i64> = read["datastreams"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    let owned = ids(pool, &format!("SELECT id FROM sta_datastream WHERE thing_id = {thing}")).await;
    assert_eq!(owned, streams.iter().copied().collect());
    assert_eq!(read["links"], 96);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM sta_observation").fetch_one(pool).await.unwrap();
    assert_eq!(stored, 96);
    // The filter, as SQL says.
    let high: Vec<(i64, f64)> = sqlx::query_as(
        "SELECT id, result FROM sta_observation WHERE datastream_id = $1 AND result > 18 \
           AND phenomenon_time >= $2::timestamptz ORDER BY phenomenon_time",
    )
    .bind(streams[0])
    .bind(start)
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(!high.is_empty());
    let got: Vec<(i64, f64)> =
        read["high"].as_array().unwrap().iter().map(|p| (p[0].as_i64().unwrap(), p[1].as_f64().unwrap())).collect();
    assert_eq!(got, high);
    // The expansion: each datastream's property and its three latest results.
    for (n, d) in read["expanded"]["datastreams"].as_array().unwrap().iter().enumerate() {
        assert_eq!(d[0].as_i64().unwrap(), streams[n]);
        assert_eq!(d[1], ["COD", "NH3-N"][n]);
        let latest: Vec<f64> = sqlx::query_scalar(
            "SELECT result FROM sta_observation WHERE datastream_id = $1 ORDER BY phenomenon_time DESC, id LIMIT 3",
        )
        .bind(streams[n])
        .fetch_all(pool)
        .await
        .unwrap();
        let got: Vec<f64> = d[2].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(got, latest);
    }
    assert_eq!(read["expanded"]["locations"].as_array().unwrap().len(), 1);
    // Paging: every observation of the datastream once, in id order, five pages of ten.
    assert_eq!(read["count"], 48);
    assert_eq!(read["pages"], 5);
    let paged: Vec<i64> = read["paged"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    let all: Vec<i64> = sqlx::query_scalar("SELECT id FROM sta_observation WHERE datastream_id = $1 ORDER BY id")
        .bind(streams[0])
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(paged, all);
    latest_matches_a_scan(pool).await;
    // The registry's audit: who created the station.
    let actor: String = sqlx::query_scalar(
        "SELECT actor FROM audit_log WHERE table_name = 'sta_thing' AND row_id = $1 AND op = 'insert'",
    )
    .bind(thing)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(actor, "sta-planner");
}

/// Three stations with a datastream each and hourly observations, created by deep insert.
async fn stations(server: &TestServer, token: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for (n, (name, lon, lat, kind)) in
        [("A站", 106.50, 29.55, "water"), ("Bx", 106.60, 29.60, "air"), ("C站点", 107.40, 29.70, "water")]
            .into_iter()
            .enumerate()
    {
        let observations: Vec<Value> = (0..24)
            .map(|h| json!({"phenomenonTime": format!("2026-11-0{}T{h:02}:00:00Z", n + 1), "result": (h * (n + 1)) % 11}))
            .collect();
        let body = json!({
            "name": name, "description": format!("Station {n}"), "properties": {"kind": kind, "level": n},
            "Locations": [{"name": name, "description": "", "encodingType": "application/geo+json",
                           "location": {"type": "Point", "coordinates": [lon, lat]}}],
            "Datastreams": [{
                "name": format!("{name} COD"), "description": "", "observationType": "OM_Measurement",
                "unitOfMeasurement": {"name": "mg/L", "symbol": "mg/L", "definition": ""},
                "Sensor": {"name": "analyser", "description": "", "encodingType": "text/plain", "metadata": "HJ 828"},
                "ObservedProperty": {"name": if n == 1 { "PM2.5" } else { "COD" }, "definition": if n == 1 { "a34004" } else { "w01018" }, "description": ""},
                "Observations": observations
            }]
        });
        let (status, thing) = ask(server, token, Method::POST, &format!("{STA}/Things"), Some(body)).await;
        assert_eq!(status, 201, "{thing}");
        out.push(thing["@iot.id"].as_i64().unwrap());
    }
    out
}

#[tokio::test]
async fn filters_select_what_sql_selects() {
    let server = TestServer::start().await.unwrap();
    let token = server.admin_token.clone();
    stations(&server, &token).await;
    let pool = &server.pool;
    let cases: &[(&str, &str, &str)] = &[
        ("Observations", "result ge 5 and result lt 8", "result >= 5 AND result < 8"),
        ("Observations", "result add 1 gt 7", "result + 1 > 7"),
        ("Observations", "result mul 2 le 6 or result eq 9", "result * 2 <= 6 OR result = 9"),
        ("Observations", "not (result gt 3)", "NOT (result > 3)"),
        ("Observations", "result sub 4 div 4 eq 2", "result - 4.0 / 4 = 2"),
        ("Observations", "result mod 3 eq 1", "mod(result::numeric, 3) = 1"),
        ("Observations", "result div 0 gt 1", "false"),
        ("Observations", "-result lt -9", "-result < -9"),
        ("Observations", "phenomenonTime gt 2026-11-02T12:00:00Z", "phenomenon_time > '2026-11-02T12:00:00Z'"),
        ("Observations", "phenomenonTime le '2026-11-01T13:00:00+08:00'", "phenomenon_time <= '2026-11-01T05:00:00Z'"),
        (
            "Observations",
            "day(phenomenonTime) eq 3 and hour(phenomenonTime) ge 20",
            "extract(day FROM phenomenon_time AT TIME ZONE 'UTC') = 3 AND extract(hour FROM phenomenon_time AT TIME ZONE 'UTC') >= 20",
        ),
        (
            "Observations",
            "date(phenomenonTime) eq 2026-11-02",
            "phenomenon_time >= '2026-11-02T00:00:00Z' AND phenomenon_time < '2026-11-03T00:00:00Z'",
        ),
        ("Observations", "round(result div 4) eq 2", "round(result / 4) = 2"),
        (
            "Observations",
            "floor(result div 4) eq 1 and ceiling(result div 4) eq 2",
            "floor(result / 4) = 1 AND ceil(result / 4) = 2",
        ),
        (
            "Observations",
            "Datastream/Thing/name eq 'A站'",
            "datastream_id IN (SELECT d.id FROM sta_datastream d JOIN sta_thing t ON t.id = d.thing_id WHERE t.name = 'A站')",
        ),
        (
            "Observations",
            "Datastream/ObservedProperty/definition eq 'a34004' and result gt 5",
            "result > 5 AND datastream_id IN (SELECT d.id FROM sta_datastream d JOIN sta_observed_property p ON p.id = d.observed_property_id WHERE p.definition = 'a34004')",
        ),
        (
            "Observations",
            "geo.distance(FeatureOfInterest/feature, geography'POINT(106.5 29.55)') lt 20000",
            "feature_of_interest_id IN (SELECT id FROM sta_feature_of_interest WHERE ST_DWithin(geom::geography, ST_MakePoint(106.5, 29.55)::geography, 20000))",
        ),
        ("Things", "startswith(name, 'A') or endswith(name, '点')", "name LIKE 'A%' OR name LIKE '%点'"),
        ("Things", "substringof('站', name)", "name LIKE '%站%'"),
        ("Things", "length(name) eq 2", "length(name) = 2"),
        ("Things", "indexof(name, '站') eq 1", "strpos(name, '站') = 2"),
        ("Things", "substring(description, 8) eq '1'", "substr(description, 9) = '1'"),
        ("Things", "tolower(name) eq 'bx' and toupper(name) eq 'BX'", "lower(name) = 'bx'"),
        ("Things", "concat(name, description) eq 'A站Station 0'", "name || description = 'A站Station 0'"),
        ("Things", "trim(concat(' ', name)) eq 'Bx'", "name = 'Bx'"),
        ("Things", "properties/kind eq 'water'", "properties->>'kind' = 'water'"),
        ("Things", "properties/level gt 0", "(properties->>'level')::int > 0"),
        ("Things", "properties/missing eq null", "true"),
        ("Things", "Datastreams/ObservedProperty/name eq 'COD'", "name <> 'Bx'"),
        (
            "Things",
            "st_within(Locations/location, geography'POLYGON((106 29,107 29,107 30,106 30,106 29))')",
            "name IN ('A站', 'Bx')",
        ),
        (
            "Locations",
            "geo.intersects(location, geography'POLYGON((106.55 29.5,106.7 29.5,106.7 29.7,106.55 29.7,106.55 29.5))')",
            "ST_Intersects(geom, ST_GeomFromText('POLYGON((106.55 29.5,106.7 29.5,106.7 29.7,106.55 29.7,106.55 29.5))', 4326))",
        ),
        (
            "Locations",
            "st_disjoint(location, geography'POINT(106.5 29.55)')",
            "NOT ST_Equals(geom, ST_SetSRID(ST_MakePoint(106.5, 29.55), 4326))",
        ),
        ("Datastreams", "unitOfMeasurement/symbol eq 'mg/L' and Thing/properties/kind eq 'air'", "name = 'Bx COD'"),
        ("Datastreams", "phenomenonTime ge 2026-11-02T00:00:00Z", "name <> 'A站 COD'"),
    ];
    for (set, filter, sql) in cases {
        let table = onemap::sensing::model::Set::named(set).unwrap().table();
        let expected = ids(pool, &format!("SELECT id FROM {table} WHERE {sql}")).await;
        let url = format!("{STA}/{set}?$top=1000&$filter={}", urlencode(filter));
        let (status, answer) = ask(&server, &token, Method::GET, &url, None).await;
        assert_eq!(status, 200, "{filter}: {answer}");
        assert_eq!(value_ids(&answer), expected, "{set}?$filter={filter}");
        assert!(!expected.is_empty() || filter.contains("div 0"), "{filter} selects nothing: a weak case");
    }
    // $orderby, $select and $top/$skip against SQL's order.
    let order: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM sta_observation ORDER BY result DESC, phenomenon_time ASC, id LIMIT 5 OFFSET 3",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let (_, answer) = ask(
        &server,
        &token,
        Method::GET,
        &format!("{STA}/Observations?$orderby=result desc,phenomenonTime asc&$top=5&$skip=3&$select=id,result"),
        None,
    )
    .await;
    let got: Vec<i64> = answer["value"].as_array().unwrap().iter().map(|o| o["@iot.id"].as_i64().unwrap()).collect();
    assert_eq!(got, order);
    let keys: BTreeSet<&str> = answer["value"][0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["@iot.id", "@iot.selfLink", "result"]));
    assert!(answer["@iot.nextLink"].as_str().unwrap().contains("%24skip=8"), "{answer}");
    // A property, its raw value, and a path through navigation.
    let thing: i64 = sqlx::query_scalar("SELECT id FROM sta_thing WHERE name = 'Bx'").fetch_one(pool).await.unwrap();
    let (_, name) = ask(&server, &token, Method::GET, &format!("{STA}/Things({thing})/name"), None).await;
    assert_eq!(name, json!({"name": "Bx"}));
    let (_, raw, text) =
        common::call_as(Some(&token), Method::GET, &server.at(&format!("{STA}/Things({thing})/name/$value")), None)
            .await;
    assert!(raw.starts_with("text/plain"));
    assert_eq!(text, json!("Bx"));
    let (_, streams) = ask(
        &server,
        &token,
        Method::GET,
        &format!("{STA}/Things({thing})/Datastreams?$expand=Thing($select=name)"),
        None,
    )
    .await;
    assert_eq!(streams["value"][0]["Thing"]["name"], "Bx");
    let d = streams["value"][0]["@iot.id"].as_i64().unwrap();
    let (status, back) = ask(&server, &token, Method::GET, &format!("{STA}/Datastreams({d})/Thing"), None).await;
    assert_eq!((status, back["@iot.id"].as_i64()), (200, Some(thing)));
    assert!(
        back["Datastreams@iot.navigationLink"].as_str().unwrap().ends_with(&format!("/Things({thing})/Datastreams"))
    );
    let (status, _) = ask(&server, &token, Method::GET, &format!("{STA}/Things(999999)/Datastreams"), None).await;
    assert_eq!(status, 404);
    latest_matches_a_scan(pool).await;
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn sta_counts(pool: &PgPool) -> Vec<i64> {
    let mut out = Vec::new();
    for t in [
        "sta_thing",
        "sta_location",
        "sta_datastream",
        "sta_sensor",
        "sta_observed_property",
        "sta_observation",
        "sta_feature_of_interest",
        "sta_historical_location",
        "audit_log",
    ] {
        out.push(
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {t}"))).fetch_one(pool).await.unwrap(),
        );
    }
    out
}

#[tokio::test]
async fn bad_input_and_refused_roles_change_nothing() {
    let server = TestServer::with_demo().await.unwrap();
    let admin = server.admin_token.clone();
    let things = stations(&server, &admin).await;
    let pool = &server.pool;
    let datastream: i64 = sqlx::query_scalar("SELECT id FROM sta_datastream WHERE thing_id = $1")
        .bind(things[0])
        .fetch_one(pool)
        .await
        .unwrap();
    let before = sta_counts(pool).await;
    let future = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let bulk = |rows: Value| json!([{"Datastream": {"@iot.id": datastream}, "components": ["phenomenonTime", "result"], "dataArray": rows}]);
    let bad: Vec<(Method, String, Option<Value>, u16, &str)> = vec![
        (Method::GET, format!("{STA}/Observations?$filter=result gt"), None, 400, "ends where a value"),
        (Method::GET, format!("{STA}/Observations?$filter=result eq 'x' eq 1"), None, 400, "do not chain"),
        (
            Method::GET,
            format!("{STA}/Observations?$filter=phenomenonTime gt 5"),
            None,
            400,
            "compares a time with a number",
        ),
        (Method::GET, format!("{STA}/Things?$filter=nothing eq 1"), None, 400, "no property `nothing`"),
        (Method::GET, format!("{STA}/Things?$filter=unknownfn(name)"), None, 400, "not a function"),
        (
            Method::GET,
            format!("{STA}/Things?$filter=st_within(Locations/location, geography'POLYGON((1 1))')"),
            None,
            400,
            "ring",
        ),
        (
            Method::GET,
            format!("{STA}/Things?$filter=st_within(Locations/location, geography'CIRCLE(1 1)')"),
            None,
            400,
            "not WKT",
        ),
        (Method::GET, format!("{STA}/Things?$expand=Sensor"), None, 400, "no `Sensor`"),
        (Method::GET, format!("{STA}/Things?$select=colour"), None, 400, "no `colour`"),
        (Method::GET, format!("{STA}/Things?$top=99999"), None, 400, "whole number"),
        (Method::GET, format!("{STA}/Things?$foo=1"), None, 400, "not a query option"),
        (Method::GET, format!("{STA}/Things('a')"), None, 400, "not an id"),
        (Method::GET, format!("{STA}/Gadgets"), None, 400, "not an entity set"),
        (Method::POST, format!("{STA}/Things"), Some(json!({"description": "no name"})), 422, "name"),
        (Method::POST, format!("{STA}/Things"), Some(json!({"name": "x", "colour": "red"})), 422, "no `colour`"),
        (Method::POST, format!("{STA}/Things"), Some(json!({"name": "a\u{7}b"})), 422, "control character"),
        (Method::POST, format!("{STA}/Things"), Some(json!({"name": "长".repeat(201)})), 422, "longer than 200"),
        (
            Method::POST,
            format!("{STA}/Things"),
            Some(
                json!({"name": "x", "Locations": [{"name": "l", "location": {"type": "Point", "coordinates": [500, 29]}}]}),
            ),
            422,
            "longitude",
        ),
        (
            Method::POST,
            format!("{STA}/Datastreams"),
            Some(
                json!({"name": "orphan", "observationType": "x", "unitOfMeasurement": {"name": "mg/L"}, "Sensor": {"@iot.id": 1}, "ObservedProperty": {"@iot.id": 1}}),
            ),
            422,
            "needs its Thing",
        ),
        (
            Method::POST,
            format!("{STA}/Observations"),
            Some(json!({"result": "high", "phenomenonTime": future, "Datastream": {"@iot.id": datastream}})),
            422,
            "in the future",
        ),
        (
            Method::POST,
            format!("{STA}/Observations"),
            Some(json!({"result": 1, "Datastream": {"@iot.id": 999999}})),
            422,
            "no Datastream",
        ),
        (
            Method::POST,
            format!("{STA}/Datastreams({datastream})/Observations"),
            Some(json!({"result": 1, "Datastream": {"@iot.id": datastream}})),
            422,
            "given by the path",
        ),
        (
            Method::POST,
            format!("{STA}/CreateObservations"),
            Some(bulk(json!([["2026-11-05T01:00:00Z", 1], ["2026-11-05T00:00:00Z", 2]]))),
            422,
            "comes before",
        ),
        (
            Method::POST,
            format!("{STA}/CreateObservations"),
            Some(bulk(json!([["2026-11-05T01:00:00Z", 1], [future, 2]]))),
            422,
            "in the future",
        ),
        (
            Method::POST,
            format!("{STA}/CreateObservations"),
            Some(bulk(json!([["2026-11-05T01:00:00Z", "1", 3]]))),
            422,
            "one per component",
        ),
        (Method::POST, format!("{STA}/CreateObservations"), Some(bulk(json!([["yesterday", 1]]))), 422, "ISO 8601"),
        (
            Method::POST,
            format!("{STA}/CreateObservations"),
            Some(json!([{"Datastream": {"@iot.id": 999999}, "components": ["result"], "dataArray": [[1]]}])),
            422,
            "no Datastream",
        ),
        (
            Method::POST,
            format!("{STA}/CreateObservations"),
            Some(
                json!([{"Datastream": {"@iot.id": datastream}, "components": ["result", "colour"], "dataArray": [[1, 2]]}]),
            ),
            422,
            "not a component",
        ),
        (
            Method::PATCH,
            format!("{STA}/Things({})", things[0]),
            Some(json!({"name": null})),
            422,
            "cannot be set to null",
        ),
        (Method::PATCH, format!("{STA}/Things"), Some(json!({"name": "y"})), 400, "name one entity"),
        (Method::DELETE, format!("{STA}/Things(999999)"), None, 404, "no Things(999999)"),
    ];
    for (method, path, body, status, says) in bad {
        let (got, answer) = ask(&server, &admin, method.clone(), &path, body).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
        assert!(answer["detail"].as_str().unwrap_or_default().contains(says), "{method} {path}: {answer}");
    }
    assert_eq!(sta_counts(pool).await, before, "bad input wrote something");

    // Roles: a viewer writes nothing; a dispatcher posts observations but not stations; a
    // district planner writes stations of the district only.
    let viewer = server.token("sta-viewer", Role::Viewer, None).await.unwrap();
    let dispatcher = server.token("sta-dispatcher", Role::Dispatcher, None).await.unwrap();
    let district = server.token("sta-district", Role::Planner, Some("500112")).await.unwrap();
    let before = sta_counts(pool).await;
    let reading =
        json!({"result": 3.5, "phenomenonTime": "2026-11-06T00:00:00Z", "Datastream": {"@iot.id": datastream}});
    let (status, _) = ask(&server, &viewer, Method::POST, &format!("{STA}/Observations"), Some(reading.clone())).await;
    assert_eq!(status, 403);
    let (status, _, _) =
        common::call_as(None, Method::POST, &server.at(&format!("{STA}/Observations")), Some(reading.clone())).await;
    assert_eq!(status, 401);
    let (status, answer) =
        ask(&server, &dispatcher, Method::POST, &format!("{STA}/Things"), Some(json!({"name": "x"}))).await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) =
        ask(&server, &dispatcher, Method::DELETE, &format!("{STA}/Things({})", things[0]), None).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(sta_counts(pool).await, before, "a refused role wrote something");
    let (status, answer) = ask(&server, &dispatcher, Method::POST, &format!("{STA}/Observations"), Some(reading)).await;
    assert_eq!(status, 201, "{answer}");

    let (lon, lat): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM district WHERE code = '500112') x",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let at = |lon: f64, lat: f64| json!({"name": "渝北站", "Locations": [{"name": "渝北", "location": {"type": "Point", "coordinates": [lon, lat]}}]});
    let before = sta_counts(pool).await;
    let (status, answer) =
        ask(&server, &district, Method::POST, &format!("{STA}/Things"), Some(at(106.437, 29.826))).await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) =
        ask(&server, &district, Method::PATCH, &format!("{STA}/Things({})", things[0]), Some(json!({"name": "mine"})))
            .await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = ask(
        &server,
        &district,
        Method::POST,
        &format!("{STA}/Sensors"),
        Some(json!({"name": "s", "encodingType": "text/plain", "metadata": "m"})),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(sta_counts(pool).await, before, "a district user wrote outside the district");
    let (status, answer) = ask(&server, &district, Method::POST, &format!("{STA}/Things"), Some(at(lon, lat))).await;
    assert_eq!(status, 201, "{answer}");
    let mine = answer["@iot.id"].as_i64().unwrap();
    let (status, answer) = ask(
        &server,
        &district,
        Method::PATCH,
        &format!("{STA}/Things({mine})"),
        Some(json!({"description": "渝北区"})),
    )
    .await;
    assert_eq!((status, answer["description"].as_str()), (200, Some("渝北区")), "{answer}");

    // Deleting a station deletes its datastreams and observations, and the latest values follow.
    let (status, _) = ask(&server, &admin, Method::DELETE, &format!("{STA}/Things({})", things[0]), None).await;
    assert_eq!(status, 200);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM sta_observation WHERE datastream_id = $1")
        .bind(datastream)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    latest_matches_a_scan(pool).await;
}

#[tokio::test]
async fn a_station_is_classed_by_its_latest_values_and_shown_as_a_collection() {
    let server = TestServer::start().await.unwrap();
    let admin = server.admin_token.clone();
    let stream = |name: &str, definition: &str, values: Vec<Value>| {
        json!({"name": name, "observationType": "OM_Measurement", "unitOfMeasurement": {"name": "u", "symbol": "u"},
               "Sensor": {"name": "s", "encodingType": "text/plain", "metadata": "m"},
               "ObservedProperty": {"name": name, "definition": definition},
               "Observations": values})
    };
    let hourly = |values: &[f64]| -> Vec<Value> {
        values
            .iter()
            .enumerate()
            .map(|(h, v)| json!({"phenomenonTime": format!("2026-11-01T{h:02}:00:00Z"), "result": v}))
            .collect()
    };
    // Air: PM2.5's 24-hour mean 80 µg/m³ gives IAQI 100 + 50/40 × 5 = 106.25, rounded up 107;
    // SO2's hour 100 µg/m³ gives 50/150 × 100 = 33.3, 34 (HJ 633-2012 Table 1, worked by hand).
    let pm: Vec<f64> = (0..24).map(|h| if h % 2 == 0 { 70.0 } else { 90.0 }).collect();
    let air = json!({"name": "两江新区空气站", "Locations": [{"name": "l", "location": {"type": "Point", "coordinates": [106.55, 29.65]}}],
                     "Datastreams": [stream("PM2.5", "a34004", hourly(&pm)), stream("SO2", "SO2", hourly(&[300.0, 100.0]))]});
    // Water: COD 25 (Ⅳ: above 20, at most 30) and NH3-N 0.4 (Ⅱ), against the target Ⅲ.
    let water = json!({"name": "朝天门断面", "properties": {"target_class": "Ⅲ"},
                       "Locations": [{"name": "l", "location": {"type": "Point", "coordinates": [106.58, 29.56]}}],
                       "Datastreams": [stream("COD", "w01018", hourly(&[12.0, 25.0])), stream("氨氮", "NH3-N", hourly(&[0.4]))]});
    for body in [air, water] {
        let (status, answer) = ask(&server, &admin, Method::POST, &format!("{STA}/Things"), Some(body)).await;
        assert_eq!(status, 201, "{answer}");
    }
    let (status, items) = ask(&server, &admin, Method::GET, "/ogc/collections/stations/items", None).await;
    assert_eq!(status, 200, "{items}");
    let by_name = |name: &str| {
        items["features"].as_array().unwrap().iter().find(|f| f["properties"]["name"] == name).unwrap()["properties"]
            .clone()
    };
    let air = by_name("两江新区空气站");
    assert_eq!(
        (air["medium"].as_str(), air["aqi"].as_f64(), air["category"].as_str()),
        (Some("air"), Some(107.0), Some("轻度污染"))
    );
    let water = by_name("朝天门断面");
    assert_eq!(
        (water["class"].as_str(), water["target"].as_str(), water["meets_target"].as_bool()),
        (Some("Ⅳ"), Some("Ⅲ"), Some(false))
    );
    // A later, cleaner value moves the class, and the feed says so.
    let cod: i64 = sqlx::query_scalar("SELECT d.id FROM sta_datastream d JOIN sta_observed_property p ON p.id = d.observed_property_id WHERE p.definition = 'w01018'")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    let (status, _) = ask(
        &server,
        &admin,
        Method::POST,
        &format!("{STA}/Datastreams({cod})/Observations"),
        Some(json!({"phenomenonTime": "2026-11-01T05:00:00Z", "result": 14})),
    )
    .await;
    assert_eq!(status, 201);
    let (class, meets): (String, bool) =
        sqlx::query_as("SELECT class, meets_target FROM stations WHERE name = '朝天门断面'")
            .fetch_one(&server.pool)
            .await
            .unwrap();
    assert_eq!((class.as_str(), meets), ("Ⅱ", true));
    let announced: i64 =
        sqlx::query_scalar("SELECT count(*) FROM event_log WHERE kind = 'station' AND data->>'class' = 'Ⅱ'")
            .fetch_one(&server.pool)
            .await
            .unwrap();
    assert_eq!(announced, 1);
}

#[tokio::test]
async fn the_demo_stations_show_a_spill_down_the_jialing_a_stuck_sensor_and_a_silent_station() {
    use onemap::exchange::demo_stations::{HOURS, SILENT_HOURS, STUCK_HOURS, load};
    let server = TestServer::with_demo().await.unwrap();
    let pool = &server.pool;
    let now = chrono::Utc::now();
    let started = std::time::Instant::now();
    let (stations, observations) = load(pool, now).await.unwrap();
    println!("{stations} stations, {observations} observations in {:.1} s", started.elapsed().as_secs_f64());
    let (intakes, districts): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM receptor WHERE kind = 'water_intake'), (SELECT count(*) FROM district)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let (water, air): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE medium = 'water'), count(*) FILTER (WHERE medium = 'air') FROM stations",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(air, districts);
    assert!(water > intakes, "{water} water stations for {intakes} intakes: the city's edge sections are missing");
    assert_eq!(stations as i64, water + air);
    // Every hour of the fortnight, but for the silent station's last hours.
    let hours: Vec<i64> = sqlx::query_scalar("SELECT count(*) FROM sta_observation GROUP BY datastream_id")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(hours.iter().all(|h| *h == HOURS || *h == HOURS - SILENT_HOURS), "{hours:?}");
    // The spill: COD peaks station after station down the 嘉陵江 (farthest from its mouth first).
    let peaks: Vec<(String, f64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT t.name, ST_Distance(l.geom::geography, ST_SetSRID(ST_MakePoint(106.585, 29.565), 4326)::geography), \
                (SELECT o.phenomenon_time FROM sta_observation o WHERE o.datastream_id = d.id ORDER BY o.result DESC LIMIT 1) \
           FROM sta_thing t JOIN sta_thing_location tl ON tl.thing_id = t.id JOIN sta_location l ON l.id = tl.location_id \
           JOIN sta_datastream d ON d.thing_id = t.id JOIN sta_observed_property p ON p.id = d.observed_property_id \
          WHERE p.definition = 'w01018' AND EXISTS (SELECT 1 FROM route r WHERE r.kind = 'river' AND r.name LIKE '嘉陵江%' \
                AND ST_DWithin(r.geom::geography, l.geom::geography, 3000)) \
          ORDER BY 2 DESC",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(peaks.len() >= 2, "{peaks:?}");
    assert!(peaks.windows(2).all(|w| w[0].2 <= w[1].2), "the spill does not travel downstream: {peaks:?}");
    // The stuck sensor repeats one value; the silent station has said nothing for a day and more.
    let stuck: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT d.id FROM sta_datastream d JOIN sta_observed_property p ON p.id = d.observed_property_id \
           JOIN sta_observation o ON o.datastream_id = d.id WHERE p.definition = 'w01009' \
            AND o.phenomenon_time > now() - make_interval(hours => $1::int) GROUP BY d.id HAVING count(DISTINCT o.result) = 1) x",
    )
    .bind(STUCK_HOURS as i32 - 2)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(stuck, 1);
    let silent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM stations WHERE latest_time < now() - make_interval(hours => $1::int)")
            .bind(SILENT_HOURS as i32 - 1)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(silent, 1);
    let classed: i64 = sqlx::query_scalar("SELECT count(*) FROM stations WHERE class IS NOT NULL OR aqi IS NOT NULL")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(classed, stations as i64);
    // The spill is passing the last station now: its exceedance is open, the stuck sensor's fault too.
    let last = &peaks.last().unwrap().0;
    let open: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT t.name, a.kind, a.item FROM alarm a JOIN sta_thing t ON t.id = a.thing_id WHERE a.status = 'raised' ORDER BY 1, 2, 3",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        open.iter().any(|(name, kind, item)| name == last && kind == "exceedance" && item.as_deref() == Some("COD")),
        "{open:?}"
    );
    assert_eq!(open.iter().filter(|o| o.1 == "instrument").count(), 1, "{open:?}");
    // Its source, up the 嘉陵江: the station above is clean again, the spill came in between.
    let alarm: i64 = sqlx::query_scalar(
        "SELECT a.id FROM alarm a JOIN sta_thing t ON t.id = a.thing_id WHERE t.name = $1 AND a.item = 'COD' AND a.status = 'raised'",
    )
    .bind(last)
    .fetch_one(pool)
    .await
    .unwrap();
    let (status, traced) =
        ask(&server, &server.admin_token, Method::GET, &format!("/api/alarms/{alarm}/sources"), None).await;
    assert_eq!(status, 200, "{traced}");
    assert_eq!(traced["upstream"]["clean"], true, "{traced}");
    assert!(traced["finding"].as_str().unwrap().contains("两站之间"), "{traced}");
}
