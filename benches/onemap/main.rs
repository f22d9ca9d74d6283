//! `scripts/bench` (`cargo bench --bench onemap`): onemap's figures beside their references, measured in the same run.
//!
//! Tiles: a fixed list of tile coordinates from z6 to z14 over a generated province-scale road
//! network (≥ 100,000 segments, see `exchange::synthetic`), requested by 32 concurrent HTTP
//! clients from (a) onemap with its tile cache off, (b) onemap with its cache, and (c) PostGIS
//! `ST_AsMVT(ST_AsMVTGeom(...))` served over HTTP the way Martin or pg_tileserv do, over the
//! same rows with the same per-class minimum zooms.
//!
//! Routing: nearest 10 of 200 depots against pgRouting (see `routing.rs`); on the real major
//! roads of China and the world, routes and the nearest depots beside OSRM (see `country.rs`). Allocation: 20 items
//! over 200 depots against a linear program of the same size (see `allocation.rs`). Risk: a
//! 24-hour downstream trace and the 1 km grid risk map (see `risk.rs`). Screens: the first screen
//! of the wall, the phone and the desk in Chromium (see `screens.rs`). Monitoring: ingest beside
//! `COPY`, the latest value of every station beside a scan (see `monitoring.rs`).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use clap::Parser;
use onemap::api::{self, AppState, ServerConfig};
use onemap::db::{self, LocalCluster};
use onemap::exchange::synthetic::{self, Grid};
use onemap::layers::spec::ROUTE_LAYER;
use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, PgPool};
use tokio::sync::Mutex;

#[derive(Debug, Parser)]
struct Args {
    /// Lattice side of the generated network (about 2·side² segments).
    #[arg(long, default_value_t = 320)]
    side: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Passes over the tile list without a cache (each tile made anew).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Passes over the tile list from a warm cache (a pass takes milliseconds: enough of them
    /// to measure serving, not the start of the clients).
    #[arg(long, default_value_t = 60)]
    warm_rounds: usize,
    /// Data directory of the benchmark's own cluster.
    #[arg(long, default_value = "target/bench-pg")]
    data_dir: std::path::PathBuf,
    /// Which part: tiles, routing (with scale and country), scale, country, allocation, risk,
    /// screens, validity, monitoring or all.
    #[arg(long, default_value = "all")]
    part: String,
    /// Lattice side of the generated routing network (about 2·side² segments).
    #[arg(long, default_value_t = 708)]
    routing_side: usize,
    /// Also measure OSRM (from PyPI's osrm-bindings wheel) on the routing networks.
    #[arg(long)]
    with_osrm: bool,
    /// Also measure Martin (installed from crates.io into target/martin) on the tiles.
    #[arg(long)]
    with_martin: bool,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

/// The benchmark's province: Chongqing's extent.
const BBOX: [f64; 4] = [105.29, 28.16, 110.19, 32.21];

mod allocation;
mod country;
mod martin;
mod monitoring;
mod osrm;
mod risk;
mod routing;
mod scale;
mod screens;
mod served;
mod validity;

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let cluster = LocalCluster::new(&args.data_dir)?.fast_unsafe();
    let blocking = cluster.clone();
    let started = tokio::task::spawn_blocking(move || blocking.ensure_running()).await??;
    let result = run(&args, &cluster).await;
    if started {
        cluster.stop()?;
    }
    result
}

async fn run(args: &Args, cluster: &LocalCluster) -> Result<()> {
    if matches!(args.part.as_str(), "tiles" | "all") {
        tiles(args, cluster).await?;
    }
    if matches!(args.part.as_str(), "routing" | "all") {
        routing::run(args.routing_side, cluster, args.with_osrm).await?;
    }
    if matches!(args.part.as_str(), "routing" | "scale" | "all") {
        scale::run(cluster, args.routing_side).await?;
    }
    if matches!(args.part.as_str(), "routing" | "country" | "all") {
        country::run(cluster, args.with_osrm).await?;
    }
    if matches!(args.part.as_str(), "allocation" | "all") {
        allocation::run();
    }
    if matches!(args.part.as_str(), "risk" | "all") {
        risk::run(cluster).await?;
    }
    if matches!(args.part.as_str(), "screens" | "all") {
        screens::run(cluster).await?;
    }
    if matches!(args.part.as_str(), "validity" | "all") {
        validity::run(cluster).await?;
    }
    if matches!(args.part.as_str(), "monitoring" | "all") {
        monitoring::run(cluster).await?;
    }
    Ok(())
}

async fn tiles(args: &Args, cluster: &LocalCluster) -> Result<()> {
    let name = format!("bench_roads_{}", args.side);
    db::ensure_database(cluster, &name).await?;
    let pool = PgPoolOptions::new().max_connections(40).connect_with(cluster.connect_options(&name)).await?;
    db::prepare(&pool).await?;
    onemap::write_reference_tables(&pool).await?;
    let grid = Grid { side: args.side, seed: 20261123, bbox: BBOX };
    let expected = 2 * args.side * (args.side - 1);
    let have: i64 = sqlx::query_scalar("SELECT count(*) FROM route").fetch_one(&pool).await?;
    if have as usize != expected {
        sqlx::query("TRUNCATE route CASCADE").execute(&pool).await?;
        let t = Instant::now();
        let roads = synthetic::roads(&grid);
        synthetic::insert(&pool, &roads).await?;
        sqlx::query("ANALYZE route").execute(&pool).await?;
        println!("generated {} synthetic road segments in {:.1} s", roads.len(), t.elapsed().as_secs_f64());
    }
    let segments: i64 = sqlx::query_scalar("SELECT count(*) FROM route").fetch_one(&pool).await?;
    let tiles = tile_list();
    println!(
        "tiles: {} synthetic road segments, {} tiles z6–z14 × {} rounds, {} concurrent clients, {} cores",
        segments,
        tiles.len(),
        args.rounds,
        args.clients,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );

    let encoding =
        AppState::start(pool.clone(), &ServerConfig { tile_cache_mb: 0, public_read: true, ..ServerConfig::default() })
            .await?;
    encode_times(&encoding, &tiles)?;
    encoding.stop();
    // The servers measured run in processes of their own, as Martin does.
    let template = |s: &served::Served| format!("{}/tiles/route/{{z}}/{{x}}/{{y}}.mvt", s.base);
    let uncached = served::Served::start(cluster, &name, &["--tile-cache-mb", "0"]).await?;
    let cached = served::Served::start(cluster, &name, &[]).await?;
    let (cold, warm) = (template(&uncached), template(&cached));
    let reference = serve_reference(pool.clone()).await?;

    let mismatches = compare(&cold, &reference, &tiles).await?;
    println!("answers: {mismatches} of {} tiles differ from ST_AsMVT in their feature ids", tiles.len());

    let pg = load(&reference, &tiles, args, args.rounds).await?;
    let a = load(&cold, &tiles, args, args.rounds).await?;
    // Steady state of a cache: every tile of the list was asked for once before.
    warm_up(&warm, &tiles).await?;
    let b = load(&warm, &tiles, args, args.warm_rounds).await?;
    println!("{:<34} {:>10} {:>9} {:>9}", "", "tiles/s", "p50 ms", "p99 ms");
    for (label, m) in
        [("PostGIS ST_AsMVT (reference)", &pg), ("onemap, no tile cache", &a), ("onemap, warm tile cache", &b)]
    {
        println!("{label:<34} {:>10.1} {:>9.2} {:>9.2}", m.rate, m.p50, m.p99);
    }
    println!(
        "ratio onemap/ST_AsMVT throughput: {:.1}x without cache, {:.1}x with cache (target ≥ 3x)",
        a.rate / pg.rate,
        b.rate / pg.rate
    );
    println!("onemap p99: {:.1} ms without cache, {:.1} ms with cache (target ≤ 20 ms)", a.p99, b.p99);
    if args.with_martin {
        compare_martin(args, cluster, &name, &pool, &tiles, &warm, (&a, &b)).await?;
    }
    Ok(())
}

/// Martin on the same rows and zooms, without and with its cache; then a road deleted: what
/// each cache serves for its tile afterwards.
async fn compare_martin(
    args: &Args,
    cluster: &LocalCluster,
    database: &str,
    pool: &PgPool,
    tiles: &[(u32, u32, u32)],
    onemap: &str,
    (cold, warm): (&Measure, &Measure),
) -> Result<()> {
    martin::create_function(pool, &reference_sql()?).await?;
    let connection = cluster.key_value_connection(database);
    let uncached = martin::Martin::start(&connection, 0).await?;
    let cached = martin::Martin::start(&connection, 512).await?;
    let differ = compare(&uncached.template, onemap, tiles).await?;
    println!("answers: {differ} of {} tiles differ between Martin and onemap in their feature ids", tiles.len());
    let m0 = load(&uncached.template, tiles, args, args.rounds).await?;
    warm_up(&cached.template, tiles).await?;
    let m1 = load(&cached.template, tiles, args, args.warm_rounds).await?;
    for (label, m) in [("Martin, no cache", &m0), ("Martin, warm cache (512 MB)", &m1)] {
        println!("{label:<34} {:>10.1} {:>9.2} {:>9.2}", m.rate, m.p50, m.p99);
    }
    println!(
        "ratio onemap/Martin throughput: {:.1}x without caches, {:.1}x with both warm",
        cold.rate / m0.rate,
        warm.rate / m1.rate
    );

    // A road is deleted: Martin's cache keeps serving it until the entry is evicted, onemap's
    // follows the database.
    let client = reqwest::Client::new();
    let mut chosen = None;
    for (z, x, y) in tiles.iter().filter(|t| t.0 == 14) {
        if let Some(id) = ids(&fetch(&client, &at(&cached.template, *z, *x, *y)).await?).into_iter().next() {
            chosen = Some(((*z, *x, *y), id as i64));
            break;
        }
    }
    let ((z, x, y), gone) = chosen.context("a z14 tile with a road")?;
    // One connection for the copy and the delete, so the copy can be put back below.
    let mut conn = pool.acquire().await?;
    sqlx::query("CREATE TEMP TABLE bench_deleted AS SELECT * FROM route WHERE id = $1")
        .bind(gone)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM route WHERE id = $1").bind(gone).execute(&mut *conn).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let in_martin = ids(&fetch(&client, &at(&cached.template, z, x, y)).await?).contains(&(gone as u64));
    let in_onemap = ids(&fetch(&client, &at(onemap, z, x, y)).await?).contains(&(gone as u64));
    println!(
        "road {gone} deleted: 0.5 s later its tile {z}/{x}/{y} from Martin's cache {} it, from onemap's cache {} it",
        if in_martin { "still has" } else { "no longer has" },
        if in_onemap { "still has" } else { "no longer has" }
    );
    sqlx::query("INSERT INTO route SELECT * FROM bench_deleted").execute(&mut *conn).await?;
    sqlx::query("DROP TABLE bench_deleted").execute(&mut *conn).await?;
    Ok(())
}

/// The fixed tile list: tiles under a deterministic spread of points, more at higher zooms.
fn tile_list() -> Vec<(u32, u32, u32)> {
    let mut list = BTreeSet::new();
    for (z, count) in [(6u32, 2usize), (7, 4), (8, 8), (9, 10), (10, 12), (11, 12), (12, 12), (13, 12), (14, 12)] {
        let mut k = 0;
        let mut i = 0u64;
        while k < count {
            // A low-discrepancy walk over the province (golden-ratio steps).
            let fx = (i as f64 * 0.618_033_988_75 + 0.31).fract();
            let fy = (i as f64 * 0.414_213_562_37 + 0.27).fract();
            i += 1;
            let lon = BBOX[0] + fx * (BBOX[2] - BBOX[0]);
            let lat = BBOX[1] + fy * (BBOX[3] - BBOX[1]);
            if list.insert(tile_of(lon, lat, z)) {
                k += 1;
            }
        }
    }
    list.into_iter().collect()
}

fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32, u32) {
    let t = onemap::tiles::TileId::containing(lon, lat, z as u8).expect("a tile of the province");
    (z, t.x, t.y)
}

/// Serves onemap's app on an ephemeral port; returns its tile URL template.
async fn serve(state: AppState) -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/tiles/route/{{z}}/{{x}}/{{y}}.mvt", listener.local_addr()?);
    tokio::spawn(api::serve(
        listener,
        api::app(state, &ServerConfig { public_read: true, ..ServerConfig::default() }),
        std::future::pending(),
    ));
    Ok(url)
}

/// The reference tile query: PostGIS `ST_AsMVT` over the same rows with the same minimum zooms
/// (`$1`, `$2`, `$3`: z, x, y).
fn reference_sql() -> Result<String> {
    let rule = ROUTE_LAYER.zoom_rule.context("route has a zoom rule")?.sql();
    let fields: Vec<String> = ROUTE_LAYER.tile_fields.iter().map(|f| format!("t.{f}")).collect();
    Ok(format!(
        "SELECT ST_AsMVT(q, 'route', 4096, 'geom', 'id') FROM ( \
           SELECT t.id, {}, ST_AsMVTGeom(ST_Transform(t.geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom \
           FROM route t WHERE t.geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AND {rule} <= $1) q \
         WHERE geom IS NOT NULL",
        fields.join(", ")
    ))
}

/// A minimal tile server over PostGIS `ST_AsMVT`, as Martin and pg_tileserv build tiles.
async fn serve_reference(pool: PgPool) -> Result<String> {
    let sql = Arc::new(reference_sql()?);
    async fn tile(
        State((pool, sql)): State<(PgPool, Arc<String>)>,
        Path((z, x, y)): Path<(i32, i32, String)>,
    ) -> axum::response::Response {
        let y: i32 = y.trim_end_matches(".mvt").parse().unwrap_or(0);
        match sqlx::query_scalar::<_, Vec<u8>>(AssertSqlSafe(sql.as_str()))
            .bind(z)
            .bind(x)
            .bind(y)
            .fetch_one(&pool)
            .await
        {
            Ok(bytes) if bytes.is_empty() => StatusCode::NO_CONTENT.into_response(),
            Ok(bytes) => bytes.into_response(),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        }
    }
    let app = axum::Router::new().route("/tiles/route/{z}/{x}/{y}", axum::routing::get(tile)).with_state((pool, sql));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/tiles/route/{{z}}/{{x}}/{{y}}.mvt", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// The URL of tile z/x/y from a template with `{z}`, `{x}` and `{y}`.
fn at(template: &str, z: u32, x: u32, y: u32) -> String {
    template.replace("{z}", &z.to_string()).replace("{x}", &x.to_string()).replace("{y}", &y.to_string())
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<Vec<u8>> {
    let response = client.get(url).send().await?;
    let status = response.status();
    anyhow::ensure!(status == 200 || status == 204, "{url}: {status}");
    Ok(response.bytes().await?.to_vec())
}

/// Feature ids of the single layer of a tile, decoded from the protobuf by hand.
fn ids(bytes: &[u8]) -> BTreeSet<u64> {
    use geozero::mvt::{Message, Tile};
    Tile::decode(bytes)
        .map(|t| t.layers.iter().flat_map(|l| l.features.iter().filter_map(|f| f.id)).collect())
        .unwrap_or_default()
}

async fn compare(ours: &str, reference: &str, tiles: &[(u32, u32, u32)]) -> Result<usize> {
    let client = reqwest::Client::new();
    let mut differ = 0;
    for (z, x, y) in tiles {
        let a = ids(&fetch(&client, &at(ours, *z, *x, *y)).await?);
        let b = ids(&fetch(&client, &at(reference, *z, *x, *y)).await?);
        if a != b {
            differ += 1;
            let only_ours: Vec<&u64> = a.difference(&b).take(5).collect();
            let only_theirs: Vec<&u64> = b.difference(&a).take(5).collect();
            println!("  {z}/{x}/{y}: only onemap {only_ours:?}, only ST_AsMVT {only_theirs:?}");
        }
    }
    Ok(differ)
}

/// Single-threaded encoding time of the listed tiles, by zoom: where the cold cost lies.
fn encode_times(state: &AppState, tiles: &[(u32, u32, u32)]) -> Result<()> {
    let layer = state.snapshot.layer("route").context("route layer")?;
    let mut by_zoom: std::collections::BTreeMap<u32, (f64, f64, usize)> = Default::default();
    for (z, x, y) in tiles {
        let id = onemap::tiles::TileId::new(*z, *x, *y).map_err(anyhow::Error::msg)?;
        let t = Instant::now();
        let bytes = onemap::tiles::encode::encode(&[&*layer], id)?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let e = by_zoom.entry(*z).or_default();
        *e = (e.0.max(ms), e.1 + ms, e.2.max(ids(&bytes).len()));
    }
    let line: Vec<String> = by_zoom
        .iter()
        .map(|(z, (max, sum, features))| {
            let n = tiles.iter().filter(|t| t.0 == *z).count();
            format!("z{z} {:.1}/{max:.1} ms ({features} features max)", sum / n as f64)
        })
        .collect();
    println!("encode time per tile, mean/max: {}", line.join(", "));
    Ok(())
}

async fn warm_up(base: &str, tiles: &[(u32, u32, u32)]) -> Result<()> {
    let client = reqwest::Client::new();
    for (z, x, y) in tiles {
        fetch(&client, &at(base, *z, *x, *y)).await?;
    }
    Ok(())
}

struct Measure {
    rate: f64,
    p50: f64,
    p99: f64,
}

/// Requests every tile `rounds` times with `clients` concurrent workers, each with its own
/// connection open before the clock starts (as a map screen keeps its connections).
async fn load(base: &str, tiles: &[(u32, u32, u32)], args: &Args, rounds: usize) -> Result<Measure> {
    let mut queue: Vec<String> = Vec::new();
    for round in 0..rounds {
        // Each round in another order, so neighbours do not arrive together.
        let mut order: Vec<&(u32, u32, u32)> = tiles.iter().collect();
        order.sort_by_key(|(z, x, y)| {
            (u64::from(*x) * 2654435761 + u64::from(*y) * 40503 + u64::from(*z) + round as u64 * 97) % 1009
        });
        queue.extend(order.into_iter().map(|(z, x, y)| at(base, *z, *x, *y)));
    }
    let total = queue.len();
    let queue = Arc::new(Mutex::new(queue));
    let opening = queue.lock().await.first().cloned().context("tiles to ask for")?;
    let ready = Arc::new(tokio::sync::Barrier::new(args.clients + 1));
    let mut workers = Vec::new();
    for _ in 0..args.clients {
        let (queue, ready, opening) = (queue.clone(), ready.clone(), opening.clone());
        // A client each: one connection a worker, opened by an untimed first request.
        let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?;
        workers.push(tokio::spawn(async move {
            // Past the barrier even when it fails, so that nobody waits for ever.
            let opened = fetch(&client, &opening).await;
            ready.wait().await;
            opened?;
            let mut latencies = Vec::new();
            loop {
                let Some(url) = queue.lock().await.pop() else { break };
                let t = Instant::now();
                fetch(&client, &url).await?;
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    ready.wait().await;
    let start = Instant::now();
    let mut latencies = Vec::with_capacity(total);
    for w in workers {
        latencies.extend(w.await??);
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1];
    Ok(Measure { rate: total as f64 / elapsed, p50: at(0.50), p99: at(0.99) })
}
