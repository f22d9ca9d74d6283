//! Running onemap: `/metrics` after traffic, `/health` when the database is gone, and two real
//! processes on one database following each other's writes.

mod common;

use std::time::Duration;

use common::serve::Process;
use common::testing::{TestServer, database, new_token, url_of};
use common::{call_as, eventually, raw_get, sample, tile_of};
use onemap::api::ServerConfig;
use onemap::auth::Role;
use reqwest::Method;
use serde_json::Value;

/// The value of the metric line that starts with `series` (name and labels, exactly).
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.parse().ok()))
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_the_cache_and_the_map() {
    let server = TestServer::start().await.unwrap();
    let (status, _) = common::post(&server.at("/api/layers/depot"), sample("depot", 0, 0)).await;
    assert_eq!(status, 201);
    for _ in 0..3 {
        assert_eq!(raw_get(server.at("/api/layers/depot")).await.status(), 200);
    }
    for _ in 0..2 {
        assert!(raw_get(server.at("/tiles/onemap/10/845/426.mvt")).await.status().is_success());
    }
    assert_eq!(raw_get(server.at("/no/such/thing")).await.status(), 404);
    // The depot's event reaches the feed through the database's notification.
    for _ in 0..250 {
        let text = raw_get(server.at("/metrics")).await.text().await.unwrap();
        if metric(&text, "onemap_feed_last_event_id").unwrap_or(0.0) >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let response = raw_get(server.at("/metrics")).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.unwrap();
    let route = "method=\"GET\",route=\"/api/layers/{layer}\"";
    assert_eq!(metric(&text, &format!("onemap_http_requests_total{{{route},status=\"200\"}}")), Some(3.0), "{text}");
    let polled = metric(&text, "onemap_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"200\"}").unwrap();
    assert!(polled >= 1.0);
    assert_eq!(
        metric(&text, "onemap_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"),
        Some(1.0)
    );
    // The histogram: cumulative buckets, +Inf = count = the requests.
    let buckets: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with(&format!("onemap_http_request_duration_seconds_bucket{{{route},")))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(buckets.len(), 13);
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
    assert_eq!(buckets.last(), Some(&3.0));
    assert_eq!(metric(&text, &format!("onemap_http_request_duration_seconds_count{{{route}}}")), Some(3.0));
    // The same tile twice: one miss, then a hit.
    assert!(metric(&text, "onemap_tile_cache_hits_total").unwrap() >= 1.0);
    assert!(metric(&text, "onemap_tile_cache_misses_total").unwrap() >= 1.0);
    assert_eq!(metric(&text, "onemap_snapshot_features{layer=\"depot\"}"), Some(1.0));
    assert!(metric(&text, "onemap_snapshot_generation").unwrap() >= 2.0);
    assert!(metric(&text, "onemap_db_pool_max_connections").unwrap() >= 1.0);
    assert!(metric(&text, "onemap_feed_last_event_id").unwrap() >= 1.0, "the depot's event was announced");
    for series in [
        "onemap_graph_nodes{network=\"roads\"}",
        "onemap_graph_landmarks{network=\"roads\"}",
        "onemap_snapshot_reloads_total",
        "onemap_feed_lag_seconds",
    ] {
        assert!(metric(&text, series).is_some(), "{series}");
    }
    // An independent reader of the format (the Prometheus project's Python parser) reads every
    // series with the same value.
    let parsed = prometheus_parse(&text);
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
    assert_eq!(parsed.len(), lines.len(), "every sample read: {parsed:?}");
    for line in lines {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value.parse().unwrap();
        let (name, labels) = series.split_once('{').map_or((series, ""), |(n, l)| (n, l.trim_end_matches('}')));
        let found = parsed.iter().find(|(n, l, _)| n == name && *l == labels.replace('"', "")).map(|p| p.2);
        // The same number (its last digits may round differently in the two readers).
        assert!(found.is_some_and(|f| (f - value).abs() <= 1e-12 * value.abs().max(1.0)), "{line}: read as {found:?}");
    }
    // Not for anonymous callers.
    assert_eq!(reqwest::get(server.at("/metrics")).await.unwrap().status(), 401);
}

/// The samples of `text` as the Python `prometheus_client` parser reads them: (name, labels as
/// `k=v,k=v` in the order written, value). scripts/setup installs it.
fn prometheus_parse(text: &str) -> Vec<(String, String, f64)> {
    const READ: &str = "import sys, json\n\
from prometheus_client.parser import text_string_to_metric_families\n\
out = [[s.name, ','.join(f'{k}={v}' for k, v in s.labels.items()), s.value]\n\
       for f in text_string_to_metric_families(sys.stdin.read()) for s in f.samples]\n\
print(json.dumps(out))";
    let mut child = std::process::Command::new("python3")
        .args(["-c", READ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 with prometheus_client (scripts/setup installs it)");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the parser refused the text: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn without_its_database_the_map_is_still_served_and_health_says_so() {
    let config = ServerConfig { public_read: true, ..Default::default() };
    let server = TestServer::with_config(config).await.unwrap();
    let (status, _) = common::post(&server.at("/api/layers/depot"), sample("depot", 0, 0)).await;
    assert_eq!(status, 201);
    let ok: Value = reqwest::get(server.at("/health")).await.unwrap().json().await.unwrap();
    assert_eq!(ok["status"], "ok");
    // The database goes away: the pool is closed under the server (marked closed at once; the
    // future would wait for the server's own listener to give its connection back).
    drop(server.pool.close());
    let response = reqwest::get(server.at("/health")).await.unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!((body["status"].as_str(), body["database"].as_str()), (Some("degraded"), Some("unreachable")), "{body}");
    assert_eq!(body["map"]["served_from"], "memory");
    assert_eq!(body["map"]["layers"]["depot"], 1);
    // The tiles come from memory all the same.
    let tile = reqwest::get(server.at("/tiles/onemap/10/845/426.mvt")).await.unwrap();
    assert!(tile.status().is_success(), "{}", tile.status());
}

/// Waits until the other instance follows, and says how long it took.
async fn followed(what: &str, check: impl AsyncFnMut() -> bool) {
    let took = eventually(what, check).await;
    println!("{what}: followed in {} ms", took.as_millis());
}

#[tokio::test]
async fn two_instances_on_one_database_follow_each_others_writes() {
    let pool = database().await.unwrap();
    onemap::exchange::demo::load(&pool, &common::testing::demo_dir(), false).await.unwrap();
    let token = new_token(&pool, "operator", Role::Admin, None).await.unwrap();
    let url = url_of(&pool).await.unwrap();
    let (a, b) = (Process::start(&url, &[]).await, Process::start(&url, &[]).await);
    let as_admin = |path: String| {
        let token = token.clone();
        async move { reqwest::Client::new().get(path).bearer_auth(token).send().await.unwrap() }
    };

    // A team written through A: in B's tiles and B's nearest teams.
    let (lon, lat) = (107.081, 29.861);
    let mut team = sample("team", 0, 0);
    team["geometry"]["coordinates"] = serde_json::json!([lon, lat]);
    team["properties"]["name"] = "双实例测试队".into();
    let (status, _, written) =
        call_as(Some(&token), Method::POST, &format!("{}/api/layers/team", a.url), Some(team)).await;
    assert_eq!(status, 201, "{written}");
    let id = written["id"].clone();
    let (x, y) = tile_of(lon, lat, 12);
    let tile = format!("{}/tiles/onemap/12/{x}/{y}.mvt", b.url);
    followed("tiles", async || {
        let bytes = as_admin(tile.clone()).await.bytes().await.unwrap();
        bytes.windows("双实例测试队".len()).any(|w| w == "双实例测试队".as_bytes())
    })
    .await;
    let nearest = format!("{}/api/nearest", b.url);
    followed("nearest", async || {
        let body = serde_json::json!({"point": [lon, lat], "find": "team", "specialty": "hazmat", "count": 1});
        let (_, _, r) = call_as(Some(&token), Method::POST, &nearest, Some(body)).await;
        r["results"][0]["id"] == id
    })
    .await;

    // A risk source written through A raises B's risk map.
    let regions = format!("{}/api/risk/regions?unit=district", b.url);
    let total = async || -> f64 {
        let r: Value = as_admin(regions.clone()).await.json().await.unwrap();
        r["features"].as_array().unwrap().iter().map(|f| f["properties"]["index"].as_f64().unwrap_or(0.0)).sum()
    };
    let before = total().await;
    let (status, _, source) = call_as(
        Some(&token),
        Method::POST,
        &format!("{}/api/layers/risk_source", a.url),
        Some(sample("risk_source", 0, 0)),
    )
    .await;
    assert_eq!(status, 201, "{source}");
    followed("risk map", async || total().await > before).await;

    // And a deletion through B leaves A's tiles.
    let (status, _, _) = call_as(Some(&token), Method::DELETE, &format!("{}/api/layers/team/{id}", b.url), None).await;
    assert_eq!(status, 204);
    let tile_a = format!("{}/tiles/onemap/12/{x}/{y}.mvt", a.url);
    followed("deletion", async || {
        let bytes = as_admin(tile_a.clone()).await.bytes().await.unwrap();
        !bytes.windows("双实例测试队".len()).any(|w| w == "双实例测试队".as_bytes())
    })
    .await;
}
