//! `/metrics` in the Prometheus text format (0.0.4), written by `prometheus-client`: requests
//! by route and status with latency histograms, the tile cache, the snapshot, the database
//! pool, the feed's lag and the size of the routing graphs. Requests are counted by the route's
//! pattern, never by the raw path.

use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeGaugeValue, EncodeLabelSet, EncodeMetric, prometheus_text};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::AppState;
use super::doc::Doc;
use super::routes::Routes;
use crate::auth::Action;

/// Upper bounds of the latency buckets, seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The labels of a request counted.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Answered {
    method: &'static str,
    route: String,
    status: u16,
}

/// The labels of a request timed.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Timed {
    method: &'static str,
    route: String,
}

/// What the requests did: counts by (method, route, status), latency by (method, route).
#[derive(Debug)]
pub struct Metrics {
    requests: Family<Answered, Counter>,
    latency: Family<Timed, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self { requests: Family::default(), latency: Family::new_with_constructor(|| Histogram::new(BUCKETS)) }
    }
}

impl Metrics {
    fn record(&self, method: &'static str, route: &str, status: u16, seconds: f64) {
        self.requests.get_or_create(&Answered { method, route: route.to_string(), status }).inc();
        self.latency.get_or_create(&Timed { method, route: route.to_string() }).observe(seconds);
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
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.record(method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// What is read at each scrape: the cache, the map, the pool, the feed and the graphs.
struct Live(AppState);

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the live figures of onemap")
    }
}

/// One counter without labels.
fn counter(e: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> std::fmt::Result {
    ConstCounter::new(value).encode(e.encode_descriptor(name, help, None, MetricType::Counter)?)
}

/// One gauge without labels.
fn gauge<N: EncodeGaugeValue>(e: &mut DescriptorEncoder, name: &str, help: &str, value: N) -> std::fmt::Result {
    ConstGauge::new(value).encode(e.encode_descriptor(name, help, None, MetricType::Gauge)?)
}

/// One gauge with a series a value of `label`.
fn by_label<N: EncodeGaugeValue + Copy>(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    label: &'static str,
    values: &[(&str, N)],
) -> std::fmt::Result {
    let mut metric = e.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (value, n) in values {
        ConstGauge::new(*n).encode(metric.encode_family(&[(label, *value)])?)?;
    }
    Ok(())
}

impl Collector for Live {
    fn encode(&self, mut e: DescriptorEncoder) -> std::fmt::Result {
        let state = &self.0;
        let (tiles, snapshot, pool) = (&state.tiles, &state.snapshot, &state.pool);
        counter(&mut e, "tile_cache_hits", "Tiles answered from the cache.", tiles.hits())?;
        counter(&mut e, "tile_cache_misses", "Tiles encoded because not cached.", tiles.misses())?;
        gauge(&mut e, "tile_cache_entries", "Tiles held in the cache.", tiles.len())?;
        gauge(&mut e, "tile_cache_bytes", "Bytes the cached tiles count for.", tiles.bytes())?;
        gauge(&mut e, "snapshot_generation", "The latest generation of the in-memory map.", snapshot.generation())?;
        let reloads = "Whole reloads of the map (after a lost notification connection).";
        counter(&mut e, "snapshot_reloads", reloads, snapshot.reloads())?;
        let features = snapshot.counts();
        by_label(&mut e, "snapshot_features", "Features held in memory, by map layer.", "layer", &features)?;
        let (size, idle) = (pool.size(), pool.num_idle() as u32);
        let connections = [("idle", idle), ("used", size.saturating_sub(idle))];
        by_label(&mut e, "db_pool_connections", "Database connections of the pool, by state.", "state", &connections)?;
        gauge(&mut e, "db_pool_max_connections", "The pool's limit.", pool.options().get_max_connections())?;
        let lag = state.feed.lag_ms.load(Ordering::Relaxed) as f64 / 1000.0;
        gauge(&mut e, "feed_lag_seconds", "From the last event's commit to its announcement here, seconds.", lag)?;
        gauge(&mut e, "feed_last_event_id", "The last event announced by this process.", state.feed.announced())?;
        let (roads, rivers) = (state.roads.load(), state.rivers.load());
        let nodes = [("roads", roads.graph.node_count()), ("rivers", rivers.graph.node_count())];
        by_label(&mut e, "graph_nodes", "Nodes of the routing graphs.", "network", &nodes)?;
        let edges = [("roads", roads.graph.edge_count()), ("rivers", rivers.graph.edge_count())];
        by_label(&mut e, "graph_edges", "Directed edges of the routing graphs.", "network", &edges)?;
        let landmarks = |g: &crate::routing::RoadGraph| g.landmarks.get().map_or(0, |l| l.count());
        let landmarks = [("roads", landmarks(&roads))];
        let help = "Landmarks of the road graph (0 until computed, in the background after a build: routes are plain searches until then).";
        by_label(&mut e, "graph_landmarks", help, "network", &landmarks)?;
        let (packets, observations, unknown) = crate::sensing::hj212::counts();
        let mut metric = e.encode_descriptor(
            "hj212_packets",
            "HJ 212 packets by outcome (accepted, or why refused).",
            None,
            MetricType::Counter,
        )?;
        for (outcome, n) in packets {
            ConstCounter::new(n).encode(metric.encode_family(&[("outcome", outcome)])?)?;
        }
        counter(&mut e, "hj212_observations", "Observations stored from HJ 212 packets.", observations)?;
        counter(&mut e, "hj212_unknown_codes", "Values of pollutant codes not in the table, left out.", unknown)
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut registry = Registry::with_prefix("onemap");
    let metrics = state.metrics.clone();
    registry.register("http_requests", "HTTP requests by method, route and status", metrics.requests.clone());
    registry.register("http_request_duration_seconds", "Time to the response's head, seconds", metrics.latency.clone());
    registry.register_collector(Box::new(Live(state)));
    let mut out = String::new();
    if prometheus_text::encode(&mut out, &registry).is_err() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the metrics could not be written").into_response();
    }
    ([(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)], out).into_response()
}
