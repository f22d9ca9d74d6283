//! Safe on a bureau's network (issue 20): no request takes the process down or holds it.
//! Hostile filters against the real binary, then a tile from the same process; a panicking
//! handler and a slow one behind the guard on a real server.

mod common;

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::serve::Process;
use onemap::testing::{database, url_of};
use serde_json::{Value, json};

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

#[tokio::test]
async fn text_from_a_report_is_printed_as_text_never_as_markup() {
    let server = onemap::testing::TestServer::start().await.unwrap();
    let script = "<script>fetch('/api/users',{method:'POST'})</script>";
    let image = "<img src=x onerror=alert(1)>";
    let incident = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.58, 29.58]},
        "properties": {"name": format!("泄漏{image}"), "kind": "water", "severity": "较大", "cause": "other",
                       "cause_detail": script}});
    let (status, created) = common::post(&server.at("/api/layers/incident"), incident).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let report = json!({"stage": "initial", "summary": format!("摘要{script}"), "measures": "围堵",
        "pollutants": [{"name": image, "amount": script}], "reporting_unit": script, "contact": "张三",
        "casualties": {"injuries": 0}, "submit": true,
        "threatened": [{"name": "取水口", "kind": script, "via": image, "note": script}]});
    let (status, filed) = common::post(&server.at(&format!("/api/incidents/{id}/reports")), report).await;
    assert_eq!(status, 201, "{filed}");
    let page = common::raw_get(server.at(&format!("/api/incidents/{id}/report.html"))).await;
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self';"));
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script") && !html.contains("<img src=x"), "markup from a field reached the page");
    assert!(html.contains("&lt;script&gt;fetch(") && html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // The threatened receptor's unknown kind, the field of the finding, is there as text.
    assert!(html.matches("&lt;script&gt;").count() >= 5, "{html}");
}

#[tokio::test]
async fn every_answer_tells_the_browser_what_it_may_run() {
    let server = onemap::testing::TestServer::start().await.unwrap();
    let pages = ["/", "/wall", "/api/docs", "/viewer/offline.html", "/api/layers", "/health", "/no/such/thing"];
    for path in pages {
        let response = common::raw_get(server.at(path)).await;
        let h = response.headers();
        let csp = h.get("content-security-policy").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let script_src = csp.split(';').map(str::trim).find(|d| d.starts_with("script-src")).unwrap_or_default();
        assert_eq!(script_src, "script-src 'self'", "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert!(h["permissions-policy"].to_str().unwrap().contains("geolocation=(self)"), "{path}");
    }
    // No page of the viewer carries an inline script for the policy to refuse.
    for path in ["/", "/wall", "/api/docs", "/viewer/offline.html"] {
        let html = common::raw_get(server.at(path)).await.text().await.unwrap();
        for tag in html.split("<script").skip(1) {
            let open = &tag[..tag.find('>').unwrap()];
            assert!(open.contains("src="), "{path}: an inline script: <script{open}>");
        }
    }
}
