//! Risk for planners: a 24-hour downstream trace from a spill on the Jialing River on the
//! Chongqing demo network (the trace itself, and the whole `GET /api/rivers/downstream` answer
//! over HTTP with the receptors near the reach, found in PostGIS); the whole-city 1 km grid risk
//! map over HTTP on the demo data, and the same computation on a generated city with 100 times
//! more risk sources and receptors.

use std::time::Instant;

use anyhow::Result;
use geo::Coord;
use onemap::api::{self, AppState, ServerConfig};
use onemap::db::LocalCluster;
use onemap::random::Random;
use onemap::risk::model::Model;
use onemap::risk::regions::{Frame, Grid, Receptor, Source, by_cell, score};
use onemap::risk::trace::{Way, trace};
use onemap::routing::rivers::load_rivers;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Prints the figures.
pub async fn run(cluster: &LocalCluster) -> Result<()> {
    let pool = super::routing::database(cluster, "bench_demo").await?;
    onemap::exchange::demo::load(
        &pool,
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/chongqing"),
        false,
    )
    .await?;
    let rivers = load_rivers(&pool).await?;
    // On the (real) Jialing at Hechuan, below its confluences.
    let (x, y): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_ClosestPoint(geom, ST_SetSRID(ST_MakePoint(106.30, 29.95), 4326)) AS p, \
           ST_Distance(geom, ST_SetSRID(ST_MakePoint(106.30, 29.95), 4326)) AS d FROM route \
         WHERE kind = 'river' AND name = '嘉陵江' ORDER BY d LIMIT 1) nearest",
    )
    .fetch_one(&pool)
    .await?;
    let spill = Coord { x, y };
    let start = rivers.snap(spill, 5_000.0, &|_| true).expect("the spill is on the Jialing");
    let mut times = Vec::new();
    let mut pieces = 0;
    for _ in 0..200 {
        let t = Instant::now();
        pieces = trace(&rivers, &start, 24.0, Way::Downstream).len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);

    let state = AppState::start(pool.clone(), &ServerConfig { public_read: true, ..ServerConfig::default() }).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = api::app(state.clone(), &ServerConfig { public_read: true, ..ServerConfig::default() });
    let server = tokio::spawn(api::serve(listener, app, std::future::pending()));
    let client = reqwest::Client::new();
    let url = format!("{base}/api/rivers/downstream?lon={}&lat={}&hours=24", spill.x, spill.y);
    let mut http = Vec::new();
    let mut receptors = 0;
    for _ in 0..100 {
        let t = Instant::now();
        let body: serde_json::Value = client.get(&url).send().await?.error_for_status()?.json().await?;
        http.push(t.elapsed().as_secs_f64() * 1000.0);
        receptors = body["receptors"].as_array().map_or(0, Vec::len);
    }
    http.sort_by(f64::total_cmp);
    // The grid map: the first answer makes the map (reading PostGIS), the next ones reuse it.
    let grid_url = format!("{base}/api/risk/regions?unit=grid&cell_m=1000");
    let mut grid_times = Vec::new();
    let mut cells = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let body: serde_json::Value = client.get(&grid_url).send().await?.error_for_status()?.json().await?;
        grid_times.push(t.elapsed().as_secs_f64() * 1000.0);
        cells = body["features"].as_array().map_or(0, Vec::len);
    }
    println!(
        "whole-city 1 km grid risk map, demo data: first answer (reads PostGIS, scores) {:.0} ms, then p50 {:.1} ms; {cells} cells with risk; target ≤ 1 s",
        grid_times[0],
        {
            let mut rest = grid_times[1..].to_vec();
            rest.sort_by(f64::total_cmp);
            percentile(&rest, 0.5)
        },
    );
    server.abort();
    state.stop();
    let (nodes, arcs) = rivers.size();
    println!(
        "24 h downstream trace, demo rivers ({nodes} nodes, {arcs} reaches): trace p50 {:.3} ms, p99 {:.3} ms \
         ({pieces} pieces); GET /api/rivers/downstream p50 {:.1} ms, p99 {:.1} ms ({receptors} receptors); target ≤ 50 ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&http, 0.5),
        percentile(&http, 0.99),
    );
    generated_grid();
    Ok(())
}

/// 5,600 risk sources and 8,200 receptors spread over Chongqing's extent: score and grid.
fn generated_grid() {
    let mut random = Random(82_000);
    let [w, s, e, n] = super::BBOX;
    let mut at = || geo::Coord { x: w + random.unit() * (e - w), y: s + random.unit() * (n - s) };
    let grades = ["一般", "较大", "重大"];
    let sources: Vec<Source> = (0..5_600)
        .map(|i| Source {
            id: i,
            name: format!("合成风险源{i}"),
            grade: Some(grades[(i % 3) as usize].to_string()),
            q: (i % 50) as f64,
            at: at(),
            district: None,
        })
        .collect();
    let kinds = ["water_intake", "school", "hospital", "residential", "other"];
    let receptors: Vec<Receptor> = (0..8_200)
        .map(|i| Receptor {
            id: i,
            name: format!("合成目标{i}"),
            kind: kinds[(i % 5) as usize].to_string(),
            population: Some((i % 20) as f64 * 500.0),
            at: at(),
        })
        .collect();
    let model = Model::builtin();
    let mut times = Vec::new();
    let mut cells = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let frame = Frame::new(30.0);
        let scored = score(&model, frame, &sources, &receptors);
        cells = by_cell(&Grid::new(1000.0, 30.0), &sources, &scored).len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "1 km grid risk map, generated city (5,600 sources, 8,200 receptors over Chongqing's bounding box, ≈ 210,000 km²): p50 {:.1} ms; {cells} cells; target ≤ 1 s",
        percentile(&times, 0.5)
    );
}
