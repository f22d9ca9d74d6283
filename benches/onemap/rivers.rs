//! Rivers: a 24-hour downstream trace from a spill on the Jialing River on the Chongqing demo
//! network — the trace itself, and the whole `GET /api/rivers/downstream` answer over HTTP
//! (trace plus the receptors near the reach, found in PostGIS).

use std::time::Instant;

use anyhow::Result;
use geo::Coord;
use onemap::api::{self, AppState, ServerConfig};
use onemap::db::LocalCluster;
use onemap::risk::trace::{Way, load_rivers, trace};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Prints the figures.
pub async fn run(cluster: &LocalCluster) -> Result<()> {
    let pool = super::routing::database(cluster, "bench_demo").await?;
    onemap::exchange::demo::load(&pool, &onemap::testing::demo_dir(), false).await?;
    let rivers = load_rivers(&pool).await?;
    let spill = Coord { x: 106.35, y: 29.90 };
    let start = rivers.snap(spill, 5_000.0, &|_| true).expect("the spill is on the Jialing");
    let mut times = Vec::new();
    let mut pieces = 0;
    for _ in 0..200 {
        let t = Instant::now();
        pieces = trace(&rivers, &start, 24.0, Way::Downstream).len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);

    let state = AppState::start(pool.clone(), &ServerConfig::default()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = api::app(state.clone(), &ServerConfig::default());
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
    Ok(())
}
