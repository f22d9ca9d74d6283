//! Routing figures: "the 10 nearest depots to this incident" answered by onemap's bounded search
//! and by pgRouting (`pgr_dijkstraCost` from the depots to the incident, best 10) on the same
//! rows, on the real Helsinki network and on a generated network of about a million segments.

use std::time::Instant;

use anyhow::Result;
use geo::Coord;
use onemap::db::{self, LocalCluster};
use onemap::exchange::synthetic::{self, Grid};
use onemap::routing::RoadGraph;
use onemap::routing::search::nearest;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

const DEPOTS: usize = 200;
const K: usize = 10;
const ONEMAP_QUERIES: usize = 200;
const PGROUTING_QUERIES: usize = 3;

pub async fn run(side: usize, cluster: &LocalCluster, with_osrm: bool) -> Result<()> {
    // The largest real network at hand: Helsinki from OpenStreetMap.
    let pool = database(cluster, "bench_osm").await?;
    let have: i64 = sqlx::query_scalar("SELECT count(*) FROM route").fetch_one(&pool).await?;
    let turns: i64 = sqlx::query_scalar("SELECT count(*) FROM turn_restriction").fetch_one(&pool).await?;
    if have == 0 || turns == 0 {
        sqlx::query("TRUNCATE route CASCADE").execute(&pool).await?;
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/osm/helsinki.osm.pbf");
        println!(
            "{}",
            onemap::exchange::osm::import(&pool, &onemap::auth::Actor::command_line(), &path, None, false).await?
        );
    }
    let helsinki = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/osm/helsinki.osm.pbf");
    measure("Helsinki (OpenStreetMap)", &pool, with_osrm.then_some(("helsinki", helsinki.as_path()))).await?;

    let pool = province(cluster, side).await?;
    let province =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/osrm/province-{side}.osm.pbf"));
    if with_osrm && !province.exists() {
        std::fs::create_dir_all(province.parent().expect("a directory"))?;
        let t = Instant::now();
        super::osrm::export_pbf(&pool, &province).await?;
        println!("synthetic province exported to {} in {:.0} s", province.display(), t.elapsed().as_secs_f64());
    }
    let name = format!("province-{side}");
    measure("synthetic province", &pool, with_osrm.then_some((name.as_str(), province.as_path()))).await
}

/// The generated province of about 2·side² segments (made once, kept in the bench cluster).
pub async fn province(cluster: &LocalCluster, side: usize) -> Result<PgPool> {
    let pool = database(cluster, &province_name(side)).await?;
    let expected = 2 * side * (side - 1);
    let have: i64 = sqlx::query_scalar("SELECT count(*) FROM route").fetch_one(&pool).await?;
    if have as usize != expected {
        sqlx::query("TRUNCATE route CASCADE").execute(&pool).await?;
        let t = Instant::now();
        let grid = Grid { side, seed: 42, bbox: [105.29, 28.16, 110.19, 32.21] };
        synthetic::insert(&pool, &synthetic::roads(&grid)).await?;
        println!("generated {expected} synthetic road segments in {:.0} s", t.elapsed().as_secs_f64());
    }
    Ok(pool)
}

/// The database of the generated province of side `side`.
pub fn province_name(side: usize) -> String {
    format!("bench_routing_{side}")
}

/// The benchmark database `name`, with the schema and pgRouting.
pub async fn database(cluster: &LocalCluster, name: &str) -> Result<PgPool> {
    db::ensure_database(cluster, name).await?;
    let pool = PgPoolOptions::new().max_connections(4).connect_with(cluster.connect_options(name)).await?;
    db::prepare(&pool).await?;
    onemap::write_reference_tables(&pool).await?;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pgrouting").execute(&pool).await?;
    Ok(pool)
}

/// A deterministic spread of distinct graph nodes, none of them in `avoid`.
fn spread(
    graph: &RoadGraph,
    n: usize,
    salt: u64,
    avoid: &[petgraph::graph::NodeIndex],
) -> Vec<petgraph::graph::NodeIndex> {
    let count = graph.graph.node_count() as u64;
    let mut out: Vec<petgraph::graph::NodeIndex> = Vec::with_capacity(n);
    let mut i = 0u64;
    while out.len() < n.min(graph.graph.node_count() - avoid.len()) {
        let node = petgraph::graph::NodeIndex::new(((i * 2654435761 + salt * 40503) % count) as usize);
        i += 1;
        if !out.contains(&node) && !avoid.contains(&node) {
            out.push(node);
        }
    }
    out
}

async fn measure(label: &str, pool: &PgPool, osrm: Option<(&str, &std::path::Path)>) -> Result<()> {
    let t = Instant::now();
    let mut graph = RoadGraph::load(pool).await?;
    // First without turn restrictions, as pgRouting's Dijkstra answers; then with them (a
    // generated network has none: one forbidden turn at every tenth junction, to see the cost).
    let mut turns = std::mem::take(&mut graph.turns);
    if turns.is_empty() {
        for node in graph.graph.node_indices().step_by(10) {
            let into =
                graph.graph.edges_directed(node, petgraph::Direction::Incoming).next().map(|a| a.weight().edge());
            let out = graph.graph.edges_directed(node, petgraph::Direction::Outgoing).map(|a| a.weight().edge());
            if let Some(into) = into
                && let Some(out) = out.filter(|o| *o != into).last()
            {
                turns.insert((into, node, out));
            }
        }
    }
    let (nodes, arcs) = graph.size();
    println!("{label}: {nodes} nodes, {arcs} directed edges, graph built in {:.1} s", t.elapsed().as_secs_f64());
    // pgRouting's vertices are the graph's nodes, so both answer exactly the same question.
    let ids: Vec<i64> = graph.edges.iter().map(|e| e.route_id).collect();
    let sources: Vec<i64> = graph.edges.iter().map(|e| e.ends.0.index() as i64 + 1).collect();
    let targets: Vec<i64> = graph.edges.iter().map(|e| e.ends.1.index() as i64 + 1).collect();
    sqlx::query("DROP TABLE IF EXISTS bench_edges").execute(pool).await?;
    sqlx::query(
        "CREATE TABLE bench_edges AS SELECT r.id, u.source, u.target, ST_Length(r.geom::geography) / (r.speed_kmh / 3.6) AS cost, \
           CASE WHEN r.oneway THEN -1 ELSE ST_Length(r.geom::geography) / (r.speed_kmh / 3.6) END AS reverse_cost \
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(id, source, target) JOIN route r ON r.id = u.id",
    )
    .bind(&ids)
    .bind(&sources)
    .bind(&targets)
    .execute(pool)
    .await?;

    let depots = spread(&graph, DEPOTS, 1, &[]);
    // As the API does: the depots' snaps are remembered by the graph (the first query makes them).
    let snap = |n: petgraph::graph::NodeIndex| graph.snap_cached(graph.graph[n], 1.0).expect("a node is on a road");
    let incidents = spread(&graph, ONEMAP_QUERIES, 7, &depots);
    let mut latencies = Vec::new();
    let mut answers = Vec::new();
    let start = Instant::now();
    for incident in &incidents {
        let t = Instant::now();
        // Everything a request does: snap the incident and the depots, one bounded search.
        let at: Coord<f64> = graph.graph[*incident];
        let incident_snap = graph.snap(at, 5000.0, &|_| true).expect("on the network");
        let candidates: Vec<_> = depots.iter().map(|d| snap(*d)).collect();
        let found = nearest(&graph, &incident_snap, &candidates, K, f64::INFINITY, &|_| true);
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        answers.push(found.iter().map(|r| (depots[r.candidate].index() as i64 + 1, r.seconds)).collect::<Vec<_>>());
    }
    let onemap_rate = incidents.len() as f64 / start.elapsed().as_secs_f64();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1];

    let depot_vids: Vec<i64> = depots.iter().map(|d| d.index() as i64 + 1).collect();
    let mut pg_ms = Vec::new();
    let mut differ = 0;
    for (i, incident) in incidents.iter().take(PGROUTING_QUERIES).enumerate() {
        let t = Instant::now();
        let rows: Vec<(i64, f64)> = sqlx::query_as(
            "SELECT start_vid, agg_cost FROM pgr_dijkstraCost('SELECT id, source, target, cost, reverse_cost FROM bench_edges', \
               $1::bigint[], $2::bigint, directed => true) ORDER BY agg_cost, start_vid LIMIT $3",
        )
        .bind(&depot_vids)
        .bind(incident.index() as i64 + 1)
        .bind(K as i64)
        .fetch_all(pool)
        .await?;
        pg_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let same = rows.len() == answers[i].len()
            && rows.iter().zip(&answers[i]).all(|((_, a), (_, b))| (a - b).abs() <= a.abs() * 0.001 + 1e-6);
        if !same {
            differ += 1;
        }
    }
    let pg_mean = pg_ms.iter().sum::<f64>() / pg_ms.len() as f64;
    let free_p50 = at(0.5);
    if !turns.is_empty() {
        let forbidden = turns.len();
        let candidates: Vec<_> = depots.iter().map(|d| snap(*d)).collect();
        graph.turns = turns;
        let mut restricted = Vec::new();
        for incident in &incidents {
            let t = Instant::now();
            let incident_snap = graph.snap(graph.graph[*incident], 5000.0, &|_| true).expect("on the network");
            std::hint::black_box(nearest(&graph, &incident_snap, &candidates, K, f64::INFINITY, &|_| true));
            restricted.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        restricted.sort_by(|a, b| a.total_cmp(b));
        let p50 = restricted[restricted.len() / 2];
        println!(
            "{label}: with its {forbidden} forbidden turns (and no u-turns but at dead ends) — onemap p50 {p50:.2} ms, \
             {:.1}x the search without them",
            p50 / free_p50
        );
    }
    println!(
        "{label}: nearest {K} of {DEPOTS} depots — onemap p50 {:.2} ms, p99 {:.2} ms, {onemap_rate:.0} queries/s; pgRouting {pg_mean:.0} ms a query; \
         ratio {:.0}x (target ≥ 100x, p50 ≤ 20 ms); answers differ in {differ} of {PGROUTING_QUERIES}",
        at(0.5),
        at(0.99),
        pg_mean / (1000.0 / onemap_rate)
    );
    if let Some((name, pbf)) = osrm {
        let prepared = match super::osrm::prepare(name, pbf) {
            Ok(p) => p,
            Err(e) => {
                println!("{label}: OSRM — {e:#}");
                return Ok(());
            }
        };
        let routed = super::osrm::Routed::start(&prepared).await?;
        let client = reqwest::Client::new();
        let depot_points: Vec<Coord<f64>> = depots.iter().map(|d| graph.graph[*d]).collect();
        // Warm: the first request loads OSRM's files (and gives the depots' hints).
        let (_, hints) = routed.nearest(&client, graph.graph[incidents[0]], &depot_points, None, K).await?;
        for (mode, hints) in [("snapping all 201 points", None), ("with the depots' hints", Some(hints.as_slice()))] {
            let (mut osrm_ms, mut agree) = (Vec::new(), 0usize);
            let start = Instant::now();
            for (incident, ours) in incidents.iter().zip(&answers) {
                let t = Instant::now();
                let (theirs, _) = routed.nearest(&client, graph.graph[*incident], &depot_points, hints, K).await?;
                osrm_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                let ours: Vec<i64> = ours.iter().map(|(vid, _)| *vid).collect();
                agree += theirs.iter().filter(|(i, _)| ours.contains(&(depots[*i].index() as i64 + 1))).count();
            }
            let osrm_rate = incidents.len() as f64 / start.elapsed().as_secs_f64();
            osrm_ms.sort_by(|a, b| a.total_cmp(b));
            println!(
                "{label}: OSRM (CH, car.lua) /table {DEPOTS} depots to the incident, {mode} — p50 {:.2} ms, {osrm_rate:.0} queries/s over HTTP; \
                 preprocessing {:.1} s extract + {:.1} s contract; onemap/OSRM queries/s {:.1}x; of the 10 nearest, {:.0}% the same depots \
                 (OSRM's car profile and turn costs are its own)",
                osrm_ms[osrm_ms.len() / 2],
                prepared.extract_s,
                prepared.contract_s,
                onemap_rate / osrm_rate,
                100.0 * agree as f64 / (incidents.len() * K) as f64
            );
        }
    }
    Ok(())
}
