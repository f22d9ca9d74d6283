//! The first screen of the wall (1920×1080, 3840×2160), the phone (390×844) and the desk
//! (1440×900) on the Chongqing demo: a release onemap, headless Chromium with an empty cache
//! (`tests/browser/measure.mjs`, the median of three), beside the 2 s the issue asks for. The
//! browser draws with SwiftShader (no GPU here), which dominates at 3840×2160.

use anyhow::{Context, Result};
use onemap::api::{self, AppState, ServerConfig};
use onemap::db::{self, LocalCluster};
use sqlx::postgres::PgPoolOptions;

/// The target for a first screen, in milliseconds.
const TARGET_MS: f64 = 2000.0;

pub async fn run(cluster: &LocalCluster) -> Result<()> {
    db::ensure_database(cluster, "bench_demo").await?;
    let pool = PgPoolOptions::new().max_connections(16).connect_with(cluster.connect_options("bench_demo")).await?;
    db::prepare(&pool).await?;
    onemap::write_reference_tables(&pool).await?;
    let districts: i64 = sqlx::query_scalar("SELECT count(*) FROM district").fetch_one(&pool).await?;
    if districts == 0 {
        onemap::exchange::demo::load(
            &pool,
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/chongqing"),
            false,
        )
        .await?;
    }
    let config = ServerConfig { public_read: true, ..Default::default() };
    let state = AppState::start(pool.clone(), &config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(api::serve(listener, api::app(state, &config), std::future::pending()));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/measure.mjs");
    let output = tokio::process::Command::new("node")
        .arg(script)
        .arg(&url)
        .output()
        .await
        .context("node (scripts/setup installs the browser test's packages)")?;
    anyhow::ensure!(output.status.success(), "measure.mjs: {}", String::from_utf8_lossy(&output.stderr));
    println!("\nfirst screen, Chongqing demo, empty cache (median of 3; Chromium with SwiftShader, no GPU):");
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let figure: serde_json::Value = serde_json::from_str(line)?;
        let ms = figure["first_screen_ms"].as_f64().unwrap_or(f64::NAN);
        println!(
            "  {:<6} {:>4}×{:<4} {:>6.0} ms   target {TARGET_MS:.0} ms   ratio {:.2}   runs {}",
            figure["screen"].as_str().unwrap_or("?"),
            figure["width"],
            figure["height"],
            ms,
            ms / TARGET_MS,
            figure["runs"]
        );
    }
    Ok(())
}
