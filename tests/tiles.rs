//! Vector tiles against the reference, PostGIS `ST_AsMVT(ST_AsMVTGeom(...))`: the same feature
//! ids in every tile of a sample over zooms 4–14 and geometries within two pixels, decoded by a
//! decoder of our own here (protobuf by geozero/prost), not the encoder's; plus the HTTP
//! contract and live updates from plain SQL.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::time::{Duration, Instant};

use common::testing::{TestServer, demo_dir};
use common::{eventually, tile_of};
use geozero::mvt::{Message, Tile};
use reqwest::Method;
use serde_json::{Value, json};

type Geometry = Vec<Vec<(f64, f64)>>;

/// Geometry commands of one feature as parts (points, lines or rings) in tile units.
fn decode_geometry(commands: &[u32]) -> Geometry {
    let zigzag = |v: u32| ((v >> 1) as i64) ^ -((v & 1) as i64);
    let (mut x, mut y) = (0i64, 0i64);
    let mut parts: Geometry = Vec::new();
    let mut i = 0;
    while i < commands.len() {
        let (id, count) = (commands[i] & 7, commands[i] >> 3);
        i += 1;
        match id {
            1 | 2 => {
                for _ in 0..count {
                    x += zigzag(commands[i]);
                    y += zigzag(commands[i + 1]);
                    i += 2;
                    if id == 1 {
                        parts.push(Vec::new());
                    }
                    parts.last_mut().expect("MoveTo first").push((x as f64, y as f64));
                }
            }
            7 => {
                let first = parts.last().expect("a ring")[0];
                parts.last_mut().unwrap().push(first);
            }
            other => panic!("bad command {other}"),
        }
    }
    parts
}

/// Layer name → feature id → geometry.
fn decode(bytes: &[u8]) -> BTreeMap<String, BTreeMap<u64, Geometry>> {
    let tile = Tile::decode(bytes).expect("a valid MVT protobuf");
    tile.layers
        .into_iter()
        .map(|l| {
            assert_eq!(l.extent, Some(4096));
            let features =
                l.features.iter().map(|f| (f.id.expect("feature id"), decode_geometry(&f.geometry))).collect();
            (l.name, features)
        })
        .collect()
}

fn point_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = dx * dx + dy * dy;
    let t = if len == 0.0 { 0.0 } else { (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len).clamp(0.0, 1.0) };
    ((p.0 - a.0 - t * dx).powi(2) + (p.1 - a.1 - t * dy).powi(2)).sqrt()
}

/// Largest distance from a vertex of `a` to the nearest point of `b` (vertices and segments).
fn directed_distance(a: &Geometry, b: &Geometry) -> f64 {
    let mut worst: f64 = 0.0;
    for p in a.iter().flatten() {
        let mut best = f64::INFINITY;
        for part in b {
            if part.len() == 1 {
                best = best.min(point_to_segment(*p, part[0], part[0]));
            }
            for w in part.windows(2) {
                best = best.min(point_to_segment(*p, w[0], w[1]));
            }
        }
        worst = worst.max(best);
    }
    worst
}

async fn reference_tile(pool: &sqlx::PgPool, layer: &str, z: u32, x: u32, y: u32) -> Vec<u8> {
    let min_zoom =
        onemap::layers::find(layer).unwrap().zoom_rule.map(|r| format!("AND {} <= $1", r.sql())).unwrap_or_default();
    let sql = format!(
        "SELECT ST_AsMVT(q, '{layer}', 4096, 'geom', 'id') FROM ( \
           SELECT id, ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom \
           FROM {layer} t WHERE geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) {min_zoom}) q \
         WHERE geom IS NOT NULL"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(z as i32)
        .bind(x as i32)
        .bind(y as i32)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn our_tile(url: &str) -> Vec<u8> {
    let response = common::raw_get(url).await;
    match response.status().as_u16() {
        200 => response.bytes().await.unwrap().to_vec(),
        204 => Vec::new(),
        other => panic!("{url}: {other}"),
    }
}

#[tokio::test]
async fn tiles_match_postgis_st_asmvt_over_a_sample_of_zooms() {
    let server = TestServer::start().await.unwrap();
    onemap::exchange::demo::load(&server.pool, &demo_dir(), false).await.unwrap();
    // Minor roads from every depot, so the per-class minimum zooms are compared too.
    sqlx::query(
        "INSERT INTO route (kind, name, road_class, speed_kmh, geom) \
         SELECT 'road', '支路' || id, (ARRAY['primary', 'tertiary', 'residential', 'service'])[id % 4 + 1], 30, \
                ST_MakeLine(geom, ST_Translate(geom, 0.01 * (id % 5), 0.008)) FROM depot",
    )
    .execute(&server.pool)
    .await
    .unwrap();
    server_reload(&server).await;

    // Sample: the tiles under every vertex of every layer's features, a few per zoom.
    let vertices: Vec<(f64, f64)> = sqlx::query_as(
        "SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_DumpPoints(geom)).geom g FROM route UNION ALL SELECT geom FROM depot \
         UNION ALL SELECT ST_PointOnSurface(geom) FROM risk_source UNION ALL SELECT ST_PointOnSurface(geom) FROM receptor) p",
    )
    .fetch_all(&server.pool)
    .await
    .unwrap();
    let mut sample = BTreeSet::new();
    for z in [4u32, 6, 8, 10, 12, 14] {
        let tiles: BTreeSet<(u32, u32)> = vertices.iter().map(|(lon, lat)| tile_of(*lon, *lat, z)).collect();
        let step = (tiles.len() / 40).max(1);
        sample.extend(tiles.into_iter().step_by(step).map(|(x, y)| (z, x, y)));
    }
    assert!(sample.len() > 100, "{}", sample.len());

    let mut compared = 0;
    let mut worst: f64 = 0.0;
    for (z, x, y) in &sample {
        for layer in ["district", "route", "risk_source", "receptor", "depot", "team"] {
            let ours = decode(&our_tile(&server.at(&format!("/tiles/{layer}/{z}/{x}/{y}.mvt"))).await);
            let reference = decode(&reference_tile(&server.pool, layer, *z, *x, *y).await);
            let empty = BTreeMap::new();
            let (a, b) = (ours.get(layer).unwrap_or(&empty), reference.get(layer).unwrap_or(&empty));
            let ids_a: Vec<&u64> = a.keys().collect();
            let ids_b: Vec<&u64> = b.keys().collect();
            assert_eq!(ids_a, ids_b, "{layer} {z}/{x}/{y}: feature ids differ from ST_AsMVT");
            for (id, geometry) in a {
                let d = directed_distance(geometry, &b[id]).max(directed_distance(&b[id], geometry));
                // 16 tile units = two pixels of a 512-pixel tile.
                assert!(d <= 16.0, "{layer} {id} in {z}/{x}/{y}: {d} units from ST_AsMVT");
                worst = worst.max(d);
                compared += 1;
            }
        }
    }
    assert!(compared > 500, "compared only {compared} features");
    println!("compared {compared} features in {} tiles; largest distance {worst:.2} tile units", sample.len());
}

/// The demo data was loaded after the server started: wait until the snapshot holds it.
async fn server_reload(server: &TestServer) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let districts: i64 = sqlx::query_scalar("SELECT count(*) FROM district").fetch_one(&server.pool).await.unwrap();
    loop {
        let (_, page) = common::get(&server.at("/api/layers/district?limit=1")).await;
        // Every layer's batch of notifications applied, not only the districts' (the demo's
        // layers arrive one after the other).
        let mut west = Vec::new();
        for layer in ["district", "route", "risk_source", "receptor", "depot", "team"] {
            let (_, tj) = common::get(&server.at(&format!("/tiles/{layer}.json"))).await;
            west.push(tj["bounds"].as_array().map(|b| b[0].as_f64().unwrap()).unwrap_or(-180.0));
        }
        if page["numberMatched"] == districts && west.iter().all(|w| *w > 100.0) {
            return;
        }
        assert!(Instant::now() < deadline, "the snapshot never caught up with the demo data");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn ids_in(server: &TestServer, layer: &str, (z, x, y): (u32, u32, u32)) -> BTreeSet<u64> {
    let bytes = our_tile(&server.at(&format!("/tiles/onemap/{z}/{x}/{y}.mvt"))).await;
    decode(&bytes).get(layer).map(|f| f.keys().copied().collect()).unwrap_or_default()
}

/// Polls until `check` holds; returns how long it took. Fails after 20 s.
#[tokio::test]
async fn a_change_by_plain_sql_reaches_the_tiles() {
    let server = TestServer::start().await.unwrap();
    let (lon, lat, z) = (106.55, 29.56, 12);
    let (x, y) = tile_of(lon, lat, z);
    let here = (z, x, y);
    let (x2, y2) = tile_of(lon + 0.5, lat, z);
    let there = (z, x2, y2);

    let id: i64 = sqlx::query_scalar("INSERT INTO depot (name, tier, geom) VALUES ('SQL 插入的库', 'city', ST_SetSRID(ST_MakePoint($1, $2), 4326)) RETURNING id")
        .bind(lon)
        .bind(lat)
        .fetch_one(&server.pool)
        .await
        .unwrap();
    let id = id as u64;
    let t = eventually("the insert", async || ids_in(&server, "depot", here).await.contains(&id)).await;
    println!("insert visible after {t:?}");

    sqlx::query("UPDATE depot SET geom = ST_SetSRID(ST_MakePoint($1, $2), 4326) WHERE id = $3")
        .bind(lon + 0.5)
        .bind(lat)
        .bind(id as i64)
        .execute(&server.pool)
        .await
        .unwrap();
    let t = eventually("the move", async || {
        !ids_in(&server, "depot", here).await.contains(&id) && ids_in(&server, "depot", there).await.contains(&id)
    })
    .await;
    println!("move visible after {t:?}");

    sqlx::query("DELETE FROM depot WHERE id = $1").bind(id as i64).execute(&server.pool).await.unwrap();
    let t = eventually("the delete", async || !ids_in(&server, "depot", there).await.contains(&id)).await;
    println!("delete visible after {t:?}");
}

#[tokio::test]
async fn a_lost_notification_connection_is_reopened_and_nothing_is_missed() {
    let server = TestServer::start().await.unwrap();
    let (lon, lat, z) = (108.4, 30.8, 11);
    let (x, y) = tile_of(lon, lat, z);
    // Cut the listener's connection, then change the data while nobody listens.
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    .fetch_all(&server.pool)
    .await
    .unwrap();
    assert!(!killed.is_empty() && killed.iter().all(|k| *k), "the listener's connection was found and cut");
    let id: i64 = sqlx::query_scalar("INSERT INTO team (name, specialties, headcount, geom) VALUES ('断线期间', '{water}', 5, ST_SetSRID(ST_MakePoint($1, $2), 4326)) RETURNING id")
        .bind(lon)
        .bind(lat)
        .fetch_one(&server.pool)
        .await
        .unwrap();
    let t = eventually("the change made while disconnected", async || {
        ids_in(&server, "team", (z, x, y)).await.contains(&(id as u64))
    })
    .await;
    println!("seen after reconnecting, {t:?}");
}

#[tokio::test]
async fn an_api_write_is_in_the_next_tile_and_announced() {
    let server = TestServer::start().await.unwrap();
    let mut events = common::raw_get(server.at("/api/events")).await;
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let (lon, lat, z) = (107.0, 29.8, 10);
    let (x, y) = tile_of(lon, lat, z);
    let (status, created) = common::post(
        &server.at("/api/layers/team"),
        common::feature(common::point(lon, lat), json!({"name": "新队", "specialties": ["hazmat"], "headcount": 9})),
    )
    .await;
    assert_eq!(status, 201);
    let id = created["id"].as_u64().unwrap();
    // Own writes are in the snapshot before the answer: no waiting.
    assert!(ids_in(&server, "team", (z, x, y)).await.contains(&id));
    let mut text = String::new();
    while !text.contains(&format!("\"ids\":[{id}]")) {
        let chunk = tokio::time::timeout(Duration::from_secs(10), events.chunk()).await.unwrap().unwrap().unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("event: change") && text.contains("\"layer\":\"team\""), "{text}");
}

#[tokio::test]
async fn tiles_speak_http_properly() {
    let server = TestServer::start().await.unwrap();
    onemap::exchange::demo::load(&server.pool, &demo_dir(), false).await.unwrap();
    server_reload(&server).await;
    let (x, y) = tile_of(106.55, 29.56, 8);
    let url = server.at(&format!("/tiles/onemap/8/{x}/{y}.mvt"));
    let client = common::client_for(&url);

    let first = client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["content-type"], "application/vnd.mapbox-vector-tile");
    assert_eq!(first.headers()["cache-control"], "no-cache");
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let plain = first.bytes().await.unwrap();
    let layers = decode(&plain);
    for layer in ["district", "route", "risk_source", "receptor", "depot", "team"] {
        assert!(layers.contains_key(layer), "z8 over the city centre has {layer}");
    }

    let again = client.get(&url).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);

    let gz = client.get(&url).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let mut unzipped = Vec::new();
    flate2_decode(&gz.bytes().await.unwrap(), &mut unzipped);
    assert_eq!(unzipped, plain.to_vec());

    // A change anywhere in the layer gives a new ETag.
    let depot_id: i64 = sqlx::query_scalar(
        "SELECT id FROM depot ORDER BY geom <-> ST_SetSRID(ST_MakePoint(106.55, 29.56), 4326) LIMIT 1",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    common::call(
        Method::PATCH,
        &server.at(&format!("/api/layers/depot/{depot_id}")),
        Some(json!({"name": "改名后的库"})),
    )
    .await;
    let changed = client.get(&url).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);

    // Empty tiles are 204, every time.
    let empty = server.at("/tiles/onemap/10/0/0.mvt");
    assert_eq!(client.get(&empty).send().await.unwrap().status(), 204);
    assert_eq!(client.get(&empty).send().await.unwrap().status(), 204);
}

/// gzip decoding through the system's `gzip`, to keep the decoder independent of the server's.
fn flate2_decode(bytes: &[u8], out: &mut Vec<u8>) {
    let mut child = std::process::Command::new("gzip")
        .arg("-dc")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    child.stdout.take().unwrap().read_to_end(out).unwrap();
    assert!(child.wait().unwrap().success());
}

#[tokio::test]
async fn bad_tile_requests_get_a_reason() {
    let server = TestServer::start().await.unwrap();
    for (path, status) in [
        ("/tiles/onemap/23/0/0.mvt", 400),
        ("/tiles/onemap/-1/0/0.mvt", 400),
        ("/tiles/onemap/a/0/0.mvt", 400),
        ("/tiles/onemap/3/8/0.mvt", 400),
        ("/tiles/onemap/3/0/8.mvt", 400),
        ("/tiles/onemap/3/0/1.5.mvt", 400),
        ("/tiles/onemap/3/0/0.png", 404),
        ("/tiles/pipelines/3/0/0.mvt", 404),
        ("/tiles/stock_item/3/0/0.mvt", 404),
        ("/tiles/pipelines.json", 404),
        (
            "/tiles/onemap/3/0/0.mvt?v=1&padding=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            400,
        ),
    ] {
        let p = common::expect_problem(Method::GET, &server.at(path), None, status).await;
        assert!(!p["detail"].as_str().unwrap().is_empty(), "{path}");
    }
    let huge = format!("/tiles/onemap/3/0/0.mvt?{}", "q".repeat(20_000));
    common::expect_problem(Method::GET, &server.at(&huge), None, 414).await;
    // A short version tag is allowed (the viewer uses it to refresh).
    assert_eq!(common::raw_get(server.at("/tiles/onemap/3/0/0.mvt?v=7")).await.status(), 204);
}

#[tokio::test]
async fn tilejson_and_style_describe_only_what_onemap_serves() {
    let server = TestServer::start().await.unwrap();
    onemap::exchange::demo::load(&server.pool, &demo_dir(), false).await.unwrap();
    server_reload(&server).await;
    let (status, tj) = common::get(&server.at("/tiles/onemap.json")).await;
    assert_eq!(status, 200);
    assert_eq!(tj["tilejson"], "3.0.0");
    // The demo's roads are OpenStreetMap's (ODbL): the map says so wherever it is shown.
    let attribution = tj["attribution"].as_str().unwrap();
    assert!(attribution.contains("© OpenStreetMap contributors") && attribution.contains("GeoNames"), "{attribution}");
    let ids: Vec<&str> = tj["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "district_label",
            "district",
            "route",
            "risk_source",
            "receptor",
            "intercept_site",
            "depot",
            "team",
            "incident"
        ]
    );
    let b: Vec<f64> = tj["bounds"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let (w, s, e, n): (f64, f64, f64, f64) = sqlx::query_as(
        "SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM (SELECT ST_Extent(geom) x FROM ( \
           SELECT geom FROM district UNION ALL SELECT geom FROM route UNION ALL SELECT geom FROM risk_source \
           UNION ALL SELECT geom FROM receptor UNION ALL SELECT geom FROM depot UNION ALL SELECT geom FROM team \
           UNION ALL SELECT geom FROM incident) every) d",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert!(
        (b[0] - w).abs() < 1e-6 && (b[1] - s).abs() < 1e-6 && (b[2] - e).abs() < 1e-6 && (b[3] - n).abs() < 1e-6,
        "{b:?}"
    );
    assert!(tj["vector_layers"][3]["fields"]["grade"] == "String");

    let (status, style) = common::get(&server.at("/style.json")).await;
    assert_eq!(status, 200);
    assert!(style.get("glyphs").is_none() && style.get("sprite").is_none(), "nothing from outside");
    let text = style.to_string();
    for url in text.split('"').filter(|s| s.starts_with("http")) {
        assert!(url.starts_with(&server.url), "the style points outside onemap: {url}");
    }
    // Every source of the style is served here, and its layers are exactly the source's layers.
    assert_eq!(style["sources"].as_object().unwrap().len(), 2, "onemap and risk");
    for (source, spec) in style["sources"].as_object().unwrap() {
        let tj: Value = common::raw_get(spec["url"].as_str().unwrap()).await.json().await.unwrap();
        let served: BTreeSet<&str> =
            tj["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
        let styled: BTreeSet<&str> = style["layers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["source"] == *source)
            .filter_map(|l| l["source-layer"].as_str())
            .collect();
        assert_eq!(styled, served, "{source}");
    }
    assert!(ids.contains(&"incident"));
    let _ = Value::Null;
}

#[tokio::test]
async fn every_district_is_labelled_once_at_every_zoom() {
    let server = TestServer::with_demo().await.unwrap();
    let districts: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM district ORDER BY id").fetch_all(&server.pool).await.unwrap();
    let (w, s, e, n): (f64, f64, f64, f64) = sqlx::query_as(
        "SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM (SELECT ST_Extent(geom) x FROM district) d",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    for z in [6, 8, 9] {
        let (x0, y0) = tile_of(w, n, z);
        let (x1, y1) = tile_of(e, s, z);
        let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
        let mut pieces = 0;
        for x in x0..=x1 {
            for y in y0..=y1 {
                let layers = decode(&our_tile(&server.at(&format!("/tiles/onemap/{z}/{x}/{y}.mvt"))).await);
                pieces += layers.get("district").map_or(0, |l| l.len());
                for id in
                    layers.get("district_label").map(|l| l.keys().copied().collect::<Vec<_>>()).unwrap_or_default()
                {
                    *seen.entry(id).or_default() += 1;
                }
            }
        }
        let once: Vec<i64> = seen.iter().filter(|(_, n)| **n == 1).map(|(id, _)| *id as i64).collect();
        assert_eq!(once, districts, "z{z}: every district once ({seen:?})");
        assert!(pieces > districts.len() || z == 6, "z{z}: districts span tiles ({pieces} pieces)");
    }
    // The label point (the largest inscribed circle's centre) lies inside its district.
    let inside: bool = sqlx::query_scalar(
        "SELECT bool_and(ST_Contains(geom, (ST_MaximumInscribedCircle(geom)).center)) FROM district",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert!(inside);
}

#[tokio::test]
async fn wkb_reads_what_postgis_writes_as_its_geojson_says() {
    // Every kind of geometry, both byte orders, read from ST_AsBinary and compared with the
    // same geometry read from PostGIS's GeoJSON at full precision.
    let pool = common::testing::database().await.unwrap();
    let shapes = [
        "POINT(106.123456789012 29.5)",
        "LINESTRING(106 29.5, 106.1 29.6, 106.3333333333333 29.7)",
        "POLYGON((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 1))",
        "MULTIPOINT((1 2), (3 4))",
        "MULTILINESTRING((0 0, 1 1), (2 2, 3 3, 4 5))",
        "MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5), (5.2 5.1, 5.8 5.1, 5.8 5.7, 5.2 5.1)))",
        "GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 2 2))",
    ];
    for shape in shapes {
        for order in ["NDR", "XDR"] {
            let (wkb, geojson): (Vec<u8>, String) =
                sqlx::query_as("SELECT ST_AsBinary(g, $2), ST_AsGeoJSON(g, 17) FROM ST_GeomFromText($1, 4326) g")
                    .bind(shape)
                    .bind(order)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            let ours = onemap::layers::wkb::geometry_from_wkb(&wkb).unwrap();
            assert_eq!(ours, onemap::layers::geometry_from_geojson(&geojson).unwrap(), "{shape} {order}");
        }
    }
}
