//! Safe on a bureau's network (issue 20): no request takes the process down or holds it.
//! Hostile filters against the real binary, then a tile from the same process; a panicking
//! handler and a slow one behind the guard on a real server.

mod common;

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::serve::Process;
use onemap::testing::{database, url_of};
use serde_json::Value;

/// A query value, as short as a hostile client would make it (the URI is limited to 8 KiB).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b' ' => "+".to_string(),
            b if b.is_ascii_alphanumeric() || b == b'-' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn hostile_filters_are_refused_and_the_process_answers_after_them() {
    let pool = database().await.unwrap();
    let server = Process::start(&url_of(&pool).await.unwrap(), &["--public-read"]).await;
    let client = reqwest::Client::new();
    let hostile = [
        format!("{}id = 1", "NOT ".repeat(1900)),
        format!("id = {}1", "-".repeat(8000)),
        format!("id = {}1", "- ".repeat(3900)),
        format!("{}id = 1{}", "NOT (".repeat(500), ")".repeat(500)),
    ];
    for filter in &hostile {
        for path in ["/ogc/collections/risk_source/items", "/ogc/collections/receptor/items"] {
            let url = format!("{}{path}?filter={}", server.url, encode(filter));
            assert!(url.len() < 8 * 1024, "{}", url.len());
            let response = client.get(&url).send().await.map_err(|e| e.without_url()).expect("the server must answer");
            assert_eq!(response.status(), 400, "{path}");
            assert_eq!(response.headers()["content-type"], "application/problem+json");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["field"], "filter", "{problem}");
            assert!(problem["detail"].as_str().unwrap().contains("nests deeper"), "{problem}");
        }
    }
    // The same process still draws the map.
    let tile = client.get(format!("{}/tiles/onemap/8/207/107.mvt", server.url)).send().await.unwrap();
    assert!(matches!(tile.status().as_u16(), 200 | 204), "{}", tile.status());
    let health = client.get(format!("{}/health", server.url)).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

/// Serves `router` behind the guard with `limit` on 127.0.0.1; returns its URL.
async fn guarded(router: Router, limit: Duration) -> String {
    let app =
        router.layer(axum::middleware::from_fn(move |request, next| onemap::api::guard::guard(limit, request, next)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_server_goes_on() {
    async fn boom() -> &'static str {
        let list: Vec<u8> = Vec::new();
        if list.is_empty() {
            panic!("a bug in a handler");
        }
        "never"
    }
    let router = Router::new().route("/boom", get(boom)).route("/fine", get(|| async { "fine" }));
    let url = guarded(router, Duration::from_secs(30)).await;
    for _ in 0..3 {
        let response = reqwest::get(format!("{url}/boom")).await.unwrap();
        assert_eq!(response.status(), 500);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["status"], 500);
        assert!(!problem["detail"].as_str().unwrap().contains("a bug"), "the panic's words stay in the log");
    }
    assert_eq!(reqwest::get(format!("{url}/fine")).await.unwrap().text().await.unwrap(), "fine");
}

#[tokio::test]
async fn a_request_past_its_time_limit_answers_503_with_retry_after() {
    let router = Router::new()
        .route("/slow", get(|| async { tokio::time::sleep(Duration::from_secs(600)).await }))
        .route("/fine", get(|| async { "fine" }));
    let url = guarded(router, Duration::from_millis(300)).await;
    let response = reqwest::get(format!("{url}/slow")).await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let problem: Value = response.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("--request-timeout-s"), "{problem}");
    assert_eq!(reqwest::get(format!("{url}/fine")).await.unwrap().text().await.unwrap(), "fine");
}
