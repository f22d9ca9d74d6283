//! Risk for planners on PostGIS: the database grades risk sources after HJ 941-2018 exactly as
//! the pure function does, whenever substances, M or E change.

mod common;

use common::testing::TestServer;
use common::{feature, point, post};
use onemap::random::Random;
use onemap::risk::grading::{self, Substance};
use reqwest::Method;
use serde_json::{Value, json};

fn level(value: &Value, prefix: char) -> Option<usize> {
    value.as_str().map(|s| s.trim_start_matches(prefix).parse().unwrap())
}

#[tokio::test]
async fn the_database_grades_like_the_pure_function() {
    let server = TestServer::start().await.unwrap();
    let url = server.at("/api/layers/risk_source");
    let mut random = Random(941);
    let pick = |random: &mut Random, values: &[&str]| -> Value {
        match random.below(values.len() as u64 + 1) as usize {
            0 => Value::Null,
            i => values[i - 1].into(),
        }
    };
    for i in 0..120 {
        let substances: Vec<Value> = (0..random.below(4))
            .map(|_| {
                let threshold = [0.5, 5.0, 50.0][random.below(3) as usize];
                let ratio = [0.2, 0.9, 1.0, 3.0, 10.0, 40.0, 100.0, 400.0][random.below(8) as usize];
                let medium = ["air", "water", "both"][random.below(3) as usize];
                json!({"name": "物质", "quantity_t": threshold * ratio, "threshold_t": threshold, "medium": medium})
            })
            .collect();
        let props = json!({"name": format!("厂{i}"), "substances": substances,
            "m_air": pick(&mut random, &["M1", "M2", "M3", "M4"]), "e_air": pick(&mut random, &["E1", "E2", "E3"]),
            "m_water": pick(&mut random, &["M1", "M2", "M3", "M4"]), "e_water": pick(&mut random, &["E1", "E2", "E3"])});
        let (status, created) = post(&url, feature(point(106.5, 29.5), props.clone())).await;
        assert_eq!(status, 201, "{created}");
        let expected = grading::grade(
            &substances
                .iter()
                .map(|s| Substance {
                    quantity_t: s["quantity_t"].as_f64().unwrap(),
                    threshold_t: s["threshold_t"].as_f64().unwrap(),
                    medium: s["medium"].as_str().unwrap().into(),
                })
                .collect::<Vec<_>>(),
            level(&props["m_air"], 'M'),
            level(&props["e_air"], 'E'),
            level(&props["m_water"], 'M'),
            level(&props["e_water"], 'E'),
        );
        let got = &created["properties"];
        assert_eq!(got["grade"].as_str(), expected.grade(), "{props}");
        assert_eq!(got["level"].as_str().map(String::from), expected.level(), "{props}");
        assert_eq!(got["air_grade"].as_str(), expected.air.grade.map(|g| grading::GRADES[g]));
        assert_eq!(got["water_grade"].as_str(), expected.water.grade.map(|g| grading::GRADES[g]));
        assert!((got["q_air"].as_f64().unwrap() - expected.air.q).abs() < 1e-9);
    }
}

#[tokio::test]
async fn a_change_of_substances_or_levels_by_plain_sql_regrades() {
    let server = TestServer::start().await.unwrap();
    let (_, created) = post(
        &server.at("/api/layers/risk_source"),
        feature(
            point(106.5, 29.5),
            json!({"name": "测试厂", "m_air": "M1", "e_air": "E3", "m_water": "M1", "e_water": "E3",
                   "substances": [{"name": "液氯", "quantity_t": 0.5, "threshold_t": 1, "medium": "air"}]}),
        ),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["properties"]["level"], "一般[一般-大气(Q0)+一般-水(Q0)]");
    let level = || async {
        let level: Option<String> = sqlx::query_scalar("SELECT level FROM risk_source WHERE id = $1")
            .bind(id)
            .fetch_one(&server.pool)
            .await
            .unwrap();
        level
    };
    sqlx::query("UPDATE risk_substance SET quantity_t = 150 WHERE risk_source_id = $1")
        .bind(id)
        .execute(&server.pool)
        .await
        .unwrap();
    assert_eq!(level().await.as_deref(), Some("较大[较大-大气(Q3-M1-E3)+一般-水(Q0)]"));
    sqlx::query("UPDATE risk_source SET e_air = 'E1' WHERE id = $1").bind(id).execute(&server.pool).await.unwrap();
    assert_eq!(level().await.as_deref(), Some("重大[重大-大气(Q3-M1-E1)+一般-水(Q0)]"));
    sqlx::query("DELETE FROM risk_substance WHERE risk_source_id = $1").bind(id).execute(&server.pool).await.unwrap();
    assert_eq!(level().await.as_deref(), Some("一般[一般-大气(Q0)+一般-水(Q0)]"));
    // Grades are read-only: a written grade is ignored (as on import of an export), the
    // standard's stays.
    let (status, _, body) = common::call(
        Method::PATCH,
        &server.at(&format!("/api/layers/risk_source/{id}")),
        Some(json!({"grade": "一般", "substances": [{"name": "液氯", "quantity_t": 150, "threshold_t": 1, "medium": "air"}]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["properties"]["grade"], "重大", "{body}");
}

/// The point of the river named `name` (or starting so) nearest to (lon, lat).
async fn river_point(server: &TestServer, name: &str, lon: f64, lat: f64) -> (f64, f64) {
    sqlx::query_as(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_ClosestPoint(geom, ST_SetSRID(ST_MakePoint($2, $3), 4326)) AS p, \
           ST_Distance(geom, ST_SetSRID(ST_MakePoint($2, $3), 4326)) AS d FROM route \
         WHERE kind = 'river' AND name LIKE $1 || '%' ORDER BY d LIMIT 1) nearest",
    )
    .bind(name)
    .bind(lon)
    .bind(lat)
    .fetch_one(&server.pool)
    .await
    .unwrap()
}

/// The names of the river rows of a trace.
async fn rivers_of(server: &TestServer, trace: &Value) -> std::collections::BTreeSet<String> {
    let ids: Vec<i64> =
        trace["features"].as_array().unwrap().iter().map(|f| f["properties"]["route_id"].as_i64().unwrap()).collect();
    sqlx::query_scalar("SELECT DISTINCT name FROM route WHERE id = ANY($1)")
        .bind(&ids)
        .fetch_all(&server.pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

async fn traced(server: &TestServer, way: &str, (lon, lat): (f64, f64), hours: f64) -> Value {
    let (status, trace) =
        common::get(&server.at(&format!("/api/rivers/{way}?lon={lon}&lat={lat}&hours={hours}"))).await;
    assert_eq!(status, 200, "{trace}");
    trace
}

#[tokio::test]
async fn a_hechuan_spill_follows_the_real_jialing_to_chaotianmen_and_down_the_yangtze() {
    let server = TestServer::with_demo().await.unwrap();
    // On the Jialing at Hechuan, below the Fu and Qu confluences.
    let spill = river_point(&server, "嘉陵江", 106.30, 29.95).await;
    let spilled = traced(&server, "downstream", spill, 120.0).await;
    let trace = &spilled;
    let names: Vec<&str> = trace["receptors"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    let order = [
        "嘉陵江北碚段取水口（示例）",
        "嘉陵江沙坪坝段取水口（示例）",
        "长江江北段取水口（示例）",
        "长江长寿段取水口（示例）",
        "长江涪陵段取水口（示例）",
    ];
    for below in order {
        assert!(names.contains(&below), "{below} not reached: {names:?}");
    }
    for above in ["长江江津段取水口（示例）", "长江大渡口段取水口（示例）", "乌江彭水段取水口（示例）"]
    {
        assert!(!names.contains(&above), "{above} reached: {names:?}");
    }
    let hours = |name: &str| {
        trace["receptors"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap()["hours"].as_f64().unwrap()
    };
    // Through Beibei to Chaotianmen (the confluence), then past Changshou and Fuling, in that order.
    let at_chaotianmen = trace["features"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            let coords = f["geometry"]["coordinates"].as_array().unwrap().clone();
            let hours = f["properties"]["hours"].as_array().unwrap().clone();
            coords.into_iter().zip(hours)
        })
        .map(|(c, h)| {
            let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            ((x - 106.585).powi(2) + (y - 29.575).powi(2), h.as_f64().unwrap())
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    assert!(at_chaotianmen.0.sqrt() < 0.02, "the trace passes Chaotianmen");
    let mut times: Vec<f64> = order.iter().map(|n| hours(n)).collect();
    times.insert(2, at_chaotianmen.1);
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    assert_eq!(rivers_of(&server, trace).await, ["嘉陵江", "长江"].iter().map(|s| s.to_string()).collect());
    // Every vertex within the hours asked; metres along the river agree with PostGIS's length of
    // each piece (geodesic), and times follow the rows' flow speeds.
    for f in trace["features"].as_array().unwrap() {
        let h: Vec<f64> = f["properties"]["hours"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let m: Vec<f64> = f["properties"]["metres"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert!(h.iter().all(|h| *h <= 120.0 + 1e-9) && h.windows(2).all(|w| w[1] >= w[0]));
        let (length, speed): (f64, f64) = sqlx::query_as(
            "SELECT ST_Length(ST_GeomFromGeoJSON($1)::geography, true), flow_speed_ms FROM route WHERE id = $2",
        )
        .bind(f["geometry"].to_string())
        .bind(f["properties"]["route_id"].as_i64().unwrap())
        .fetch_one(&server.pool)
        .await
        .unwrap();
        let along = m.last().unwrap() - m[0];
        assert!((along - length).abs() <= 1e-3 * length + 1.0, "{along} vs {length}");
        assert!(((h.last().unwrap() - h[0]) * 3600.0 * speed - along).abs() <= 1e-6 * along + 1e-3);
    }
    // Real lengths: Hechuan to Chaotianmen is about 95 km of river, to Fuling about 215 km (World
    // Data Bank II smooths the meanders a little).
    let metres = |name: &str| {
        trace["receptors"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap()["metres_along"]
            .as_f64()
            .unwrap()
    };
    assert!(
        (65_000.0..130_000.0).contains(&metres("长江江北段取水口（示例）")),
        "{}",
        metres("长江江北段取水口（示例）")
    );
    assert!(
        (190_000.0..280_000.0).contains(&metres("长江涪陵段取水口（示例）")),
        "{}",
        metres("长江涪陵段取水口（示例）")
    );

    // Upstream from the Jiangbei intake: the Jialing and its tributaries and the upper Yangtze, not the Wu.
    let up = traced(&server, "upstream", river_point(&server, "长江", 106.62, 29.60).await, 96.0).await;
    let rivers = rivers_of(&server, &up).await;
    assert!(["嘉陵江", "长江", "涪江", "渠江"].iter().all(|r| rivers.contains(*r)), "{rivers:?}");
    assert!(!rivers.contains("乌江"), "{rivers:?}");
    assert!(up["risk_sources"].is_array());
}

#[tokio::test]
async fn the_jialing_above_hechuan_is_upstream_of_its_confluences() {
    let server = TestServer::with_demo().await.unwrap();
    // Above Hechuan the Jialing passes the Qu and Fu mouths on its way: neither is reached.
    let above = traced(&server, "downstream", river_point(&server, "嘉陵江", 106.23, 30.25).await, 12.0).await;
    assert_eq!(rivers_of(&server, &above).await, ["嘉陵江".to_string()].into());
    // A spill on the Fu reaches the Jialing below Hechuan, and not the Jialing above it.
    let fu = traced(&server, "downstream", river_point(&server, "涪江", 105.85, 30.18).await, 48.0).await;
    assert_eq!(rivers_of(&server, &fu).await, ["嘉陵江".to_string(), "涪江".to_string()].into());
    let jialing_above: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM route WHERE name = '嘉陵江' AND ST_Y(ST_StartPoint(geom)) > 30.1")
            .fetch_all(&server.pool)
            .await
            .unwrap();
    assert!(!jialing_above.is_empty());
    assert!(
        fu["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !jialing_above.contains(&f["properties"]["route_id"].as_i64().unwrap()))
    );
}

#[tokio::test]
async fn every_river_row_flows_into_another_or_out_of_chongqing() {
    let server = TestServer::with_demo().await.unwrap();
    // Nothing flows uphill: each row ends where another begins, or at the edge of Chongqing.
    let stranded: Vec<(i64, Option<String>)> = sqlx::query_as(
        "WITH city AS (SELECT ST_Union(geom) AS g FROM district) \
         SELECT r.id, r.name FROM route r, city WHERE r.kind = 'river' \
           AND NOT EXISTS (SELECT 1 FROM route o WHERE o.kind = 'river' AND o.id <> r.id \
                           AND ST_Equals(ST_StartPoint(o.geom), ST_EndPoint(r.geom))) \
           AND ST_Contains(city.g, ST_EndPoint(r.geom)) \
           AND NOT ST_DWithin(ST_Boundary(city.g), ST_EndPoint(r.geom), 0.07)",
    )
    .fetch_all(&server.pool)
    .await
    .unwrap();
    assert_eq!(stranded, vec![], "rows ending inside Chongqing on no other row");
    // Where the water leaves: by the Yangtze at the eastern edge, and the You into Hunan.
    let outlets: Vec<(Option<String>, f64)> = sqlx::query_as(
        "SELECT r.name, ST_X(ST_EndPoint(r.geom)) FROM route r WHERE r.kind = 'river' AND NOT EXISTS \
           (SELECT 1 FROM route o WHERE o.kind = 'river' AND ST_Equals(ST_StartPoint(o.geom), ST_EndPoint(r.geom))) ORDER BY 1",
    )
    .fetch_all(&server.pool)
    .await
    .unwrap();
    assert_eq!(outlets.len(), 2, "{outlets:?}");
    assert!(outlets.iter().any(|(n, x)| n.as_deref() == Some("长江") && *x > 110.0), "{outlets:?}");
    // Split at confluences: no row ends on an inner vertex of another, and none forks.
    let inside: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM route r JOIN route o ON o.kind = 'river' AND o.id <> r.id \
           AND ST_DWithin(o.geom, ST_EndPoint(r.geom), 0) \
           AND NOT ST_Equals(ST_StartPoint(o.geom), ST_EndPoint(r.geom)) AND NOT ST_Equals(ST_EndPoint(o.geom), ST_EndPoint(r.geom)) \
         WHERE r.kind = 'river'",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(inside, 0);
    let forks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT ST_StartPoint(geom) s FROM route WHERE kind = 'river' GROUP BY 1 HAVING count(*) > 1) f",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(forks, 0);
    // The named rivers are there, and the main ones in their real length order.
    let km: std::collections::BTreeMap<String, f64> = sqlx::query_as::<_, (String, f64)>(
        "SELECT name, sum(ST_Length(geom::geography)) / 1000 FROM route WHERE kind = 'river' GROUP BY name",
    )
    .fetch_all(&server.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    for name in ["长江", "嘉陵江", "涪江", "渠江", "乌江", "芙蓉江", "酉水"] {
        assert!(km.contains_key(name), "{name}: {km:?}");
    }
    assert!(km["长江"] > 600.0 && km["长江"] > km["乌江"] && km["乌江"] > km["嘉陵江"], "{km:?}");
}

#[tokio::test]
async fn bad_traces_are_refused() {
    let server = TestServer::with_demo().await.unwrap();
    let (lon, lat) = river_point(&server, "嘉陵江", 106.30, 29.95).await;
    for (query, status, field) in [
        (format!("lon={lon}&lat={lat}&hours=-1"), 400, "hours"),
        (format!("lon={lon}&lat={lat}&hours=10000"), 400, "hours"),
        (format!("lon={lon}&lat={lat}&hours=abc"), 400, "hours"),
        (format!("lon={lon}&lat={lat}"), 400, "hours"),
        (format!("lon=200&lat={lat}&hours=1"), 400, "lon"),
        (format!("lon={lon}&lat={lat}&hours=1&near_m=0"), 400, "near_m"),
        (format!("lon={lon}&lat={lat}&hours=1&colour=red"), 400, "colour"),
    ] {
        let problem =
            common::expect_problem(Method::GET, &server.at(&format!("/api/rivers/downstream?{query}")), None, status)
                .await;
        assert_eq!(problem["field"], field, "{query}: {problem}");
    }
    // Far from every river: says how far the nearest is.
    let problem =
        common::expect_problem(Method::GET, &server.at("/api/rivers/downstream?lon=108.9&lat=28.5&hours=1"), None, 422)
            .await;
    assert!(problem["detail"].as_str().unwrap().contains("the nearest river is"), "{problem}");
    common::expect_problem(Method::GET, &server.at("/api/rivers/sideways?lon=1&lat=1&hours=1"), None, 404).await;
}

/// `CASE column WHEN key THEN weight … ELSE default END` from a map of weights.
fn case(column: &str, weights: &std::collections::BTreeMap<String, f64>, default: f64) -> String {
    let arms: String = weights.iter().map(|(k, w)| format!(" WHEN '{k}' THEN {w}")).collect();
    format!("(CASE {column}{arms} ELSE {default} END)")
}

/// Every source a cell's explanation lists lies in the cell (by PostGIS).
async fn sources_lie_in_their_cell(server: &TestServer, why: &Value) {
    for s in why["sources"].as_array().unwrap() {
        let inside: bool = sqlx::query_scalar(
            "SELECT ST_Intersects(ST_GeomFromGeoJSON($1), ST_PointOnSurface(geom)) FROM risk_source WHERE id = $2",
        )
        .bind(why["geometry"].to_string())
        .bind(s["id"].as_i64().unwrap())
        .fetch_one(&server.pool)
        .await
        .unwrap();
        assert!(inside, "source {} is not in cell {}", s["id"], why["id"]);
    }
}

#[tokio::test]
async fn district_and_grid_indexes_agree_with_postgis_and_cells_explain_themselves() {
    let server = TestServer::with_demo().await.unwrap();
    let model = onemap::risk::model::Model::builtin();
    // The same model in SQL, with PostGIS's geodesic distances instead of onemap's local frame.
    let sql = format!(
        "WITH src AS (SELECT s.id, ST_PointOnSurface(s.geom) AS p, \
            {grade} * (1 + log(1 + s.q_air + s.q_water)) AS hazard FROM risk_source s WHERE s.status <> 'closed'), \
         rec AS (SELECT ST_PointOnSurface(r.geom) AS p, {kind} * (1 + log(1 + coalesce(r.population, 0) / 1000.0)) AS w \
            FROM receptor r), \
         scored AS (SELECT src.id, src.p, src.hazard * (1 + coalesce((SELECT sum(rec.w * exp(-ST_Distance(src.p::geography, rec.p::geography) / {decay})) \
            FROM rec WHERE ST_DWithin(src.p::geography, rec.p::geography, {reach})), 0)) AS idx FROM src) \
         SELECT d.id, sum(scored.idx)::float8 FROM district d JOIN scored ON ST_Intersects(d.geom, scored.p) GROUP BY d.id",
        grade = case("s.grade", &model.grade_weights, model.grade_weight(None)),
        kind = case("r.kind", &model.kind_weights, model.kind_weight("other")),
        decay = model.decay_m,
        reach = model.reach_m,
    );
    let reference: Vec<(i64, f64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&server.pool).await.unwrap();
    assert!(reference.len() > 10, "the demo has risk sources in many districts");
    let (status, districts) = common::get(&server.at("/api/risk/regions?unit=district")).await;
    assert_eq!(status, 200, "{districts}");
    let features = districts["features"].as_array().unwrap();
    let mut classes = std::collections::BTreeSet::new();
    for f in features {
        let id = f["id"].as_i64().unwrap();
        let ours = f["properties"]["index"].as_f64().unwrap();
        let theirs = reference.iter().find(|r| r.0 == id).map_or(0.0, |r| r.1);
        assert!((ours - theirs).abs() <= 0.01 * theirs + 0.01, "district {id}: {ours} vs PostGIS {theirs}");
        assert_eq!(f["properties"]["class"], model.class(ours));
        classes.insert(f["properties"]["class"].as_str().unwrap().to_string());
    }
    assert!(classes.len() >= 3, "the demo spreads over the classes: {classes:?}");

    // The 1 km grid holds the same total; the riskiest cell explains itself by its sources.
    let (status, grid) = common::get(&server.at("/api/risk/regions?unit=grid&cell_m=1000")).await;
    assert_eq!(status, 200);
    let cells = grid["features"].as_array().unwrap();
    let total = |fs: &[Value]| fs.iter().map(|f| f["properties"]["index"].as_f64().unwrap()).sum::<f64>();
    assert!((total(cells) - total(features)).abs() <= 0.001 * total(features) + 0.1 * cells.len() as f64);
    let top = cells
        .iter()
        .max_by(|a, b| {
            a["properties"]["index"].as_f64().unwrap().total_cmp(&b["properties"]["index"].as_f64().unwrap())
        })
        .unwrap();
    let id = top["properties"]["id"].as_str().unwrap();
    let (status, why) = common::get(&server.at(&format!("/api/risk/cells/{id}"))).await;
    assert_eq!(status, 200, "{why}");
    let parts: f64 = why["sources"].as_array().unwrap().iter().map(|s| s["index"].as_f64().unwrap()).sum();
    assert!((parts - why["index"].as_f64().unwrap()).abs() < 0.05 * why["sources"].as_array().unwrap().len() as f64);
    sources_lie_in_their_cell(&server, &why).await;
    // Hexagons of 1 km² hold the same total, and explain themselves the same way.
    let (status, hexes) = common::get(&server.at("/api/risk/regions?unit=grid&cell_m=hex")).await;
    assert_eq!(status, 200, "{hexes}");
    let hexes = hexes["features"].as_array().unwrap();
    assert!((total(hexes) - total(features)).abs() <= 0.001 * total(features) + 0.1 * hexes.len() as f64);
    assert_eq!(hexes[0]["geometry"]["coordinates"][0].as_array().unwrap().len(), 7, "six corners, closed");
    let hex_id = hexes[0]["properties"]["id"].as_str().unwrap();
    assert!(hex_id.starts_with("hex1000:"));
    let (status, hex_why) = common::get(&server.at(&format!("/api/risk/cells/{hex_id}"))).await;
    assert_eq!(status, 200);
    sources_lie_in_their_cell(&server, &hex_why).await;
    // The tiles carry the same cells.
    let polygon = why["geometry"]["coordinates"][0].as_array().unwrap();
    let (lon, lat) = (polygon[0][0].as_f64().unwrap() + 0.001, polygon[0][1].as_f64().unwrap() + 0.001);
    let tile = onemap::tiles::TileId::containing(lon, lat, 12).unwrap();
    let response = common::raw_get(server.at(&format!("/tiles/risk/12/{}/{}.mvt", tile.x, tile.y))).await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.windows(id.len()).any(|w| w == id.as_bytes()), "cell {id} not in its tile");
}

#[tokio::test]
async fn hazmat_roads_are_ranked_by_the_receptors_near_them() {
    let server = TestServer::with_demo().await.unwrap();
    let model = onemap::risk::model::Model::builtin();
    let (status, roads) = common::get(&server.at("/api/risk/roads?top=5")).await;
    assert_eq!(status, 200, "{roads}");
    let features = roads["features"].as_array().unwrap();
    assert_eq!(features.len(), 5.min(roads["roads"].as_u64().unwrap() as usize));
    let index: Vec<f64> = features.iter().map(|f| f["properties"]["index"].as_f64().unwrap()).collect();
    assert!(index.windows(2).all(|w| w[0] >= w[1]), "{index:?}");
    let bands: Vec<String> = model
        .road
        .bands_m
        .iter()
        .zip(&model.road.band_factors)
        .map(|(b, f)| format!("WHEN d <= {b} THEN {f}"))
        .collect();
    for f in features {
        // The receptor score again in PostGIS (geodesic distances to the road line).
        let sql = format!(
            "SELECT coalesce(sum({kind} * (1 + log(1 + coalesce(population, 0) / 1000.0)) * (CASE {bands} ELSE 0 END)), 0)::float8 \
             FROM (SELECT r.kind, r.population, ST_Distance(ST_PointOnSurface(r.geom)::geography, t.geom::geography) AS d \
                   FROM receptor r, route t WHERE t.id = $1) AS x",
            kind = case("kind", &model.kind_weights, model.kind_weight("other")),
            bands = bands.join(" "),
        );
        let theirs: f64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(f["properties"]["route_id"].as_i64().unwrap())
            .fetch_one(&server.pool)
            .await
            .unwrap();
        let ours = f["properties"]["receptor_score"].as_f64().unwrap();
        assert!((ours - theirs).abs() <= 0.01 * theirs + 0.01, "road {}: {ours} vs PostGIS {theirs}", f["id"]);
        let hazmat: bool = sqlx::query_scalar("SELECT hazmat_allowed FROM route WHERE id = $1")
            .bind(f["id"].as_i64().unwrap())
            .fetch_one(&server.pool)
            .await
            .unwrap();
        assert!(hazmat);
    }
}

#[tokio::test]
async fn bad_risk_queries_are_refused() {
    let server = TestServer::with_demo().await.unwrap();
    for (path, field) in [
        ("/api/risk/regions?unit=county", "unit"),
        ("/api/risk/regions?unit=grid&cell_m=100", "cell_m"),
        ("/api/risk/regions?unit=grid&shape=circle", "shape"),
        ("/api/risk/regions?unit=grid&shape=hex&cell_m=10", "cell_m"),
        ("/api/risk/cells/hex10:1:2", "id"),
        ("/api/risk/regions?unit=grid&cell_m=abc", "cell_m"),
        ("/api/risk/regions?unit=district&cell_m=1000", "cell_m"),
        ("/api/risk/regions?colour=red", "colour"),
        ("/api/risk/cells/garbage", "id"),
        ("/api/risk/cells/10:1:2", "id"),
        ("/api/risk/roads?top=0", "top"),
    ] {
        let problem = common::expect_problem(Method::GET, &server.at(path), None, 400).await;
        assert_eq!(problem["field"], field, "{path}: {problem}");
    }
}

#[tokio::test]
async fn coverage_areas_nest_and_the_gaps_are_outside_them() {
    let server = TestServer::with_demo().await.unwrap();
    let (status, cover) = common::get(&server.at("/api/coverage?item=围油栏&minutes=30,60,90")).await;
    assert_eq!(status, 200, "{cover}");
    let areas: Vec<String> = cover["features"].as_array().unwrap().iter().map(|f| f["geometry"].to_string()).collect();
    assert_eq!(areas.len(), 3);
    // Each band covers the one before it (within a metre of buffer rounding), and never shrinks.
    for w in areas.windows(2) {
        let (covers, grows): (bool, bool) = sqlx::query_as(
            "SELECT ST_Covers(ST_Buffer(ST_GeomFromGeoJSON($2)::geography, 1)::geometry, ST_GeomFromGeoJSON($1)), \
                    ST_Area(ST_GeomFromGeoJSON($2)::geography) >= ST_Area(ST_GeomFromGeoJSON($1)::geography)",
        )
        .bind(&w[0])
        .bind(&w[1])
        .fetch_one(&server.pool)
        .await
        .unwrap();
        assert!(covers, "a longer time covers the shorter one's area");
        assert!(grows);
    }
    // Every depot with the item on the network lies in the 30-minute area.
    for d in cover["depots"].as_array().unwrap().iter().filter(|d| d["on_network"] == true) {
        let inside: bool = sqlx::query_scalar(
            "SELECT ST_DWithin(ST_GeomFromGeoJSON($1)::geography, geom::geography, 5000) FROM depot WHERE id = $2",
        )
        .bind(&areas[0])
        .bind(d["id"].as_i64().unwrap())
        .fetch_one(&server.pool)
        .await
        .unwrap();
        assert!(inside, "depot {} is not in its own service area", d["id"]);
    }
    // The gaps are exactly the receptors and major risk sources outside the 90-minute area.
    let outside: Vec<i64> =
        cover["outside"]["receptors"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    let expected: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM receptor WHERE NOT ST_Intersects(geom, ST_GeomFromGeoJSON($1)) ORDER BY (kind = 'water_intake') DESC, id",
    )
    .bind(&areas[2])
    .fetch_all(&server.pool)
    .await
    .unwrap();
    assert_eq!(outside, expected);
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM receptor").fetch_one(&server.pool).await.unwrap();
    assert!(!outside.is_empty() && (outside.len() as i64) < total, "some but not all receptors are out of reach");
    for s in cover["outside"]["risk_sources"].as_array().unwrap() {
        assert!(["重大", "较大"].contains(&s["grade"].as_str().unwrap()));
    }
}

#[tokio::test]
async fn bad_coverage_queries_are_refused() {
    let server = TestServer::with_demo().await.unwrap();
    for (query, status, field) in [
        ("item=围油栏&minutes=-5", 400, "minutes"),
        ("item=围油栏&minutes=60,30", 400, "minutes"),
        ("item=围油栏&minutes=100000", 400, "minutes"),
        ("item=围油栏&minutes=a", 400, "minutes"),
        ("minutes=30", 400, "item"),
        ("item=不存在的物资", 422, "item"),
        ("category=poison", 422, "category"),
        ("item=围油栏&buffer_m=1", 400, "buffer_m"),
        ("item=围油栏&colour=red", 400, "colour"),
    ] {
        let problem =
            common::expect_problem(Method::GET, &server.at(&format!("/api/coverage?{query}")), None, status).await;
        assert_eq!(problem["field"], field, "{query}: {problem}");
    }
}

#[tokio::test]
async fn a_qijiang_spill_flows_on_into_the_yangtze_below_jiangjin() {
    let server = TestServer::with_demo().await.unwrap();
    // The (drawn) 綦江 ends where the real Yangtze is split for it: the trace goes on.
    let (lon, lat) = river_point(&server, "綦江", 106.65, 28.96).await;
    let (status, trace) =
        common::get(&server.at(&format!("/api/rivers/downstream?lon={lon}&lat={lat}&hours=72"))).await;
    assert_eq!(status, 200, "{trace}");
    let names: Vec<&str> = trace["receptors"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"长江江北段取水口（示例）"), "{names:?}");
    assert!(!names.contains(&"长江江津段取水口（示例）"), "江津 is above the mouth: {names:?}");
}
