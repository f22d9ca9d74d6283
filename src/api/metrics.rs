//! `/metrics` in the Prometheus text format: requests by route and status with latency
//! histograms, the tile cache, the snapshot, the database pool, the feed's lag and the size of
//! the routing graphs. Requests are counted by the route's pattern, never by the raw path.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::doc::Doc;
use super::routes::Routes;
use crate::auth::Action;

/// Upper bounds of the latency buckets, seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// What the requests did: counts by (method, route, status), latency by (method, route).
#[derive(Debug, Default, Clone)]
struct Counts {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<(String, String), Histogram>,
}

/// The request counts, behind one lock.
#[derive(Debug, Default)]
pub struct Metrics(Mutex<Counts>);

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *counts.requests.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        let h = counts.latency.entry((method.to_string(), route.to_string())).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.buckets[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }
}

/// Route of the metrics.
pub fn router() -> Routes {
    Routes::new().get("/metrics", Action::Read, metrics).doc(
        Doc::new("Prometheus metrics: requests, latencies, tile cache, snapshot, pool, feed lag, graphs").answer_as(
            200,
            "text/plain; version=0.0.4",
            serde_json::json!({"type": "string"}),
            "the text format",
        ),
    )
}

/// Counts every request by its route pattern (unmatched ones as `unmatched`).
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    // Labels come from fixed sets: a made-up method must not become a series for ever.
    let method = match *request.method() {
        Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::OPTIONS => {
            request.method().as_str()
        }
        _ => "other",
    }
    .to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.record(&method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

async fn metrics(State(state): State<AppState>) -> Response {
    let counts = state.metrics.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut out = String::new();
    head(&mut out, "onemap_http_requests_total", "counter", "HTTP requests by method, route and status.");
    for ((method, route, status), n) in &counts.requests {
        let _ = writeln!(
            out,
            "onemap_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
            label(route)
        );
    }
    head(&mut out, "onemap_http_request_duration_seconds", "histogram", "Time to the response's head, seconds.");
    for ((method, route), h) in &counts.latency {
        let labels = format!("method=\"{method}\",route=\"{}\"", label(route));
        for (bound, n) in BUCKETS.iter().zip(h.buckets) {
            let _ = writeln!(out, "onemap_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(out, "onemap_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
        let _ = writeln!(out, "onemap_http_request_duration_seconds_sum{{{labels}}} {}", h.sum);
        let _ = writeln!(out, "onemap_http_request_duration_seconds_count{{{labels}}} {}", h.count);
    }
    let tiles = &state.tiles;
    head(&mut out, "onemap_tile_cache_hits_total", "counter", "Tiles answered from the cache.");
    let _ = writeln!(out, "onemap_tile_cache_hits_total {}", tiles.hits());
    head(&mut out, "onemap_tile_cache_misses_total", "counter", "Tiles encoded because not cached.");
    let _ = writeln!(out, "onemap_tile_cache_misses_total {}", tiles.misses());
    head(&mut out, "onemap_tile_cache_entries", "gauge", "Tiles held in the cache.");
    let _ = writeln!(out, "onemap_tile_cache_entries {}", tiles.len());
    head(&mut out, "onemap_tile_cache_bytes", "gauge", "Bytes the cached tiles count for.");
    let _ = writeln!(out, "onemap_tile_cache_bytes {}", tiles.bytes());
    head(&mut out, "onemap_snapshot_generation", "gauge", "The latest generation of the in-memory map.");
    let _ = writeln!(out, "onemap_snapshot_generation {}", state.snapshot.generation());
    head(
        &mut out,
        "onemap_snapshot_reloads_total",
        "counter",
        "Whole reloads of the map (after a lost notification connection).",
    );
    let _ = writeln!(out, "onemap_snapshot_reloads_total {}", state.snapshot.reloads());
    head(&mut out, "onemap_snapshot_features", "gauge", "Features held in memory, by map layer.");
    for (layer, n) in state.snapshot.counts() {
        let _ = writeln!(out, "onemap_snapshot_features{{layer=\"{layer}\"}} {n}");
    }
    head(&mut out, "onemap_db_pool_connections", "gauge", "Database connections of the pool, by state.");
    let (size, idle) = (state.pool.size(), state.pool.num_idle() as u32);
    let _ = writeln!(out, "onemap_db_pool_connections{{state=\"idle\"}} {idle}");
    let _ = writeln!(out, "onemap_db_pool_connections{{state=\"used\"}} {}", size.saturating_sub(idle));
    head(&mut out, "onemap_db_pool_max_connections", "gauge", "The pool's limit.");
    let _ = writeln!(out, "onemap_db_pool_max_connections {}", state.pool.options().get_max_connections());
    head(
        &mut out,
        "onemap_feed_lag_seconds",
        "gauge",
        "From the last event's commit to its announcement here, seconds.",
    );
    let _ = writeln!(out, "onemap_feed_lag_seconds {}", state.feed.lag_ms.load(Ordering::Relaxed) as f64 / 1000.0);
    head(&mut out, "onemap_feed_last_event_id", "gauge", "The last event announced by this process.");
    let _ = writeln!(out, "onemap_feed_last_event_id {}", state.feed.announced());
    for (name, help) in [("nodes", "Nodes of the routing graphs."), ("edges", "Directed edges of the routing graphs.")]
    {
        head(&mut out, &format!("onemap_graph_{name}"), "gauge", help);
        for (network, graph) in [("roads", state.roads.load()), ("rivers", state.rivers.load())] {
            let n = if name == "nodes" { graph.graph.node_count() } else { graph.graph.edge_count() };
            let _ = writeln!(out, "onemap_graph_{name}{{network=\"{network}\"}} {n}");
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out).into_response()
}
