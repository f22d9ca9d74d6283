//! Registry answers that mean what they say: `bbox` selects by intersection (checked against
//! PostGIS), open polygon rings are refused, and the desk review of declared grades.

mod common;

use common::testing::TestServer;
use common::{collection, counts, expect_problem, feature, get, point, post};
use onemap::random::Random;
use reqwest::Method;
use serde_json::{Value, json};

fn ids(body: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = body["features"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn bbox_selects_what_intersects_the_box_as_postgis_does() {
    let server = TestServer::with_demo().await.unwrap();
    // A diagonal road whose bounding box covers the query box's corner but which passes it by.
    let road = feature(
        json!({"type": "LineString", "coordinates": [[107.0, 30.0], [108.0, 31.0]]}),
        json!({"kind": "road", "name": "对角路", "road_class": "primary", "speed_kmh": 60}),
    );
    let (status, made) = post(&server.at("/api/layers/route"), road).await;
    assert_eq!(status, 201, "{made}");
    let (_, near) = get(&server.at("/api/layers/route?bbox=107.8,30.0,108.0,30.2&limit=10000")).await;
    assert!(!ids(&near).contains(&made["id"].as_i64().unwrap()), "a box the road passes by");
    let (_, on) = get(&server.at("/api/layers/route?bbox=107.4,30.4,107.6,30.6&limit=10000")).await;
    assert!(ids(&on).contains(&made["id"].as_i64().unwrap()), "a box the road crosses");

    // Random boxes over Chongqing, every spatial layer: the same ids as ST_Intersects.
    let mut random = Random(41);
    let mut compared = 0;
    for _ in 0..25 {
        let (w, s) = (105.3 + random.unit() * 4.5, 28.2 + random.unit() * 3.8);
        let (e, n) = (w + 0.02 + random.unit() * 0.6, s + 0.02 + random.unit() * 0.6);
        for layer in ["district", "route", "risk_source", "receptor", "depot", "team", "incident"] {
            let (status, body) =
                get(&server.at(&format!("/api/layers/{layer}?bbox={w},{s},{e},{n}&limit=10000"))).await;
            assert_eq!(status, 200);
            let expected: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT id FROM {layer} WHERE ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326)) ORDER BY id"
            )))
            .bind(w)
            .bind(s)
            .bind(e)
            .bind(n)
            .fetch_all(&server.pool)
            .await
            .unwrap();
            assert_eq!(ids(&body), expected, "{layer} in {w},{s},{e},{n}");
            assert_eq!(body["numberMatched"], expected.len());
            compared += expected.len();
        }
    }
    assert!(compared > 100, "{compared} features compared");
}

#[tokio::test]
async fn open_or_short_polygon_rings_are_refused_not_closed() {
    let server = TestServer::start().await.unwrap();
    let before = counts(&server.pool).await;
    let url = server.at("/api/layers/receptor");
    let props = json!({"kind": "school", "name": "环测试"});
    let open =
        json!({"type": "Polygon", "coordinates": [[[106.5, 29.5], [106.6, 29.5], [106.6, 29.6], [106.5, 29.6]]]});
    let short = json!({"type": "Polygon", "coordinates": [[[106.5, 29.5], [106.6, 29.5], [106.5, 29.5]]]});
    let open_hole = json!({"type": "Polygon", "coordinates": [
        [[106.5, 29.5], [106.6, 29.5], [106.6, 29.6], [106.5, 29.6], [106.5, 29.5]],
        [[106.52, 29.52], [106.54, 29.52], [106.54, 29.54], [106.52, 29.54]]]});
    let open_multi = json!({"type": "MultiPolygon", "coordinates": [
        [[[106.5, 29.5], [106.6, 29.5], [106.6, 29.6], [106.5, 29.5]]],
        [[[106.7, 29.5], [106.8, 29.5], [106.8, 29.6], [106.7, 29.6]]]]});
    for (geometry, says) in [
        (open, "ring 0 is not closed"),
        (short, "ring 0 has 3 positions"),
        (open_hole, "ring 1 is not closed"),
        (open_multi, "polygon 1, ring 0 is not closed"),
    ] {
        let problem = expect_problem(Method::POST, &url, Some(feature(geometry, props.clone())), 422).await;
        assert_eq!(problem["field"], "geometry");
        assert!(problem["detail"].as_str().unwrap().contains(says), "{problem}");
    }
    // In a batch, the feature at fault is named and nothing is written.
    let batch = collection(vec![
        feature(common::square(106.5, 29.5, 0.01), props.clone()),
        feature(
            json!({"type": "Polygon", "coordinates": [[[106.5, 29.5], [106.6, 29.5], [106.6, 29.6], [106.5, 29.6]]]}),
            props.clone(),
        ),
    ]);
    let problem = expect_problem(Method::POST, &url, Some(batch), 422).await;
    assert_eq!(problem["feature"], 1);
    assert_eq!(counts(&server.pool).await, before);
    let (status, _) = post(&url, feature(common::square(106.5, 29.5, 0.01), props)).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn declared_grades_below_the_computed_ones_are_listed_with_the_reason() {
    let server = TestServer::start().await.unwrap();
    let url = server.at("/api/layers/risk_source");
    // 液氯 12 t over a threshold of 1 t: Q = 12 (Q2), with M2 and E1 the air grade is above 一般.
    let source = |name: &str, declared: Option<&str>| {
        let mut props = json!({"name": name, "m_air": "M2", "e_air": "E1", "m_water": "M1", "e_water": "E3",
            "substances": [{"name": "液氯", "quantity_t": 12, "threshold_t": 1, "medium": "air"}]});
        if let Some(d) = declared {
            props["declared_grade"] = d.into();
            props["declared_on"] = "2024-03-01".into();
        }
        feature(point(106.6, 29.6), props)
    };
    let mut made = Vec::new();
    for (name, declared) in [("低报企业", Some("一般")), ("如实企业", Some("重大")), ("未备案企业", None)]
    {
        let (status, body) = post(&url, source(name, declared)).await;
        assert_eq!(status, 201, "{body}");
        made.push(body);
    }
    let computed = made[0]["properties"]["grade"].as_str().unwrap().to_string();
    assert_ne!(computed, "一般", "the example must be graded above 一般");
    let (status, review) = get(&server.at("/api/risk/grade-check")).await;
    assert_eq!(status, 200, "{review}");
    let listed: Vec<&str> = review["sources"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(
        listed.contains(&"低报企业") && listed.contains(&"未备案企业") && !listed.contains(&"如实企业"),
        "{listed:?}"
    );
    let low = review["sources"].as_array().unwrap().iter().find(|s| s["name"] == "低报企业").unwrap();
    assert_eq!(
        (low["declared_grade"].as_str(), low["computed_grade"].as_str()),
        (Some("一般"), Some(computed.as_str()))
    );
    assert_eq!(low["declared_on"], "2024-03-01");
    assert!(low["reason"].as_str().unwrap().starts_with("大气 Q=12.00 (Q2), M2, E1 → "), "{low}");
    assert_eq!(low["finding"], "declared lower than computed");
    // Correcting the declaration takes it off the list.
    let id = made[0]["id"].as_i64().unwrap();
    let (status, _, _) =
        common::call(Method::PATCH, &format!("{url}/{id}"), Some(json!({"declared_grade": computed}))).await;
    assert_eq!(status, 200);
    let (_, review) = get(&server.at("/api/risk/grade-check")).await;
    assert!(review["sources"].as_array().unwrap().iter().all(|s| s["id"] != id));

    // Bad input.
    for (props, field) in
        [(json!({"declared_grade": "超大"}), "declared_grade"), (json!({"declared_on": "2024-13-01"}), "declared_on")]
    {
        let problem = expect_problem(Method::PATCH, &format!("{url}/{id}"), Some(props), 422).await;
        assert_eq!(problem["field"], field);
    }
    expect_problem(Method::GET, &server.at("/api/risk/grade-check?grade=重大"), None, 400).await;
}

#[tokio::test]
async fn a_legacy_grade_column_is_imported_as_the_declared_grade() {
    let server = TestServer::start().await.unwrap();
    let dir = std::env::temp_dir().join(format!("onemap-legacy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("legacy.csv");
    std::fs::write(&file, "name,grade,lon,lat\n老台账企业甲,较大,106.5,29.5\n老台账企业乙,,106.6,29.6\n").unwrap();
    let url = common::testing::url_of(&server.pool).await.unwrap();
    let import = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_onemap"))
            .args(["import", "risk_source"])
            .arg(&file)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap()
    };
    let out = import();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT name, declared_grade FROM risk_source ORDER BY id")
            .fetch_all(&server.pool)
            .await
            .unwrap();
    assert_eq!(rows, vec![("老台账企业甲".into(), Some("较大".into())), ("老台账企业乙".into(), None)]);
    // A legacy grade that is not a grade is refused, naming the column.
    std::fs::write(&file, "name,grade,lon,lat\n老台账企业丙,很大,106.5,29.5\n").unwrap();
    let out = import();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("grade"));
    std::fs::remove_dir_all(&dir).unwrap();
}
