//! Safe on a bureau's network (issue 20): no request takes the process down or holds it.
//! Hostile filters against the real binary, then a tile from the same process; a panicking
//! handler and a slow one behind the guard on a real server.

mod common;

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::serve::Process;
use common::testing::{database, url_of};
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
    let server = common::testing::TestServer::start().await.unwrap();
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
    let server = common::testing::TestServer::start().await.unwrap();
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

/// A star of `n` positions around (lon, lat), closed: valid, and every segment near every other.
fn star(lon: f64, lat: f64, n: usize, r: f64) -> Value {
    let ring: Vec<[f64; 2]> = (0..=n)
        .map(|i| {
            let a = (i % n) as f64 / n as f64 * std::f64::consts::TAU;
            let k = if i % 2 == 0 { r } else { r * 0.8 };
            [lon + k * a.cos(), lat + k * a.sin()]
        })
        .collect();
    json!({"type": "Polygon", "coordinates": [ring]})
}

#[tokio::test]
async fn geometry_is_bounded_before_work_and_validity_is_decided_by_postgis() {
    let server = common::testing::TestServer::start().await.unwrap();
    let pool = &server.pool;
    let before = common::counts(pool).await;
    let district = |geometry: Value, code: &str| json!({"type": "Feature", "geometry": geometry, "properties": {"code": code, "name": format!("测试{code}")}});
    let url = server.at("/api/layers/district");
    // Polygons that are wrong in each way the OGC rules name; PostGIS is asked the same in SQL.
    let cases = [
        (
            "bow tie",
            json!({"type": "Polygon", "coordinates": [[[106, 29], [107, 30], [107, 29], [106, 30], [106, 29]]]}),
            "crosses itself",
        ),
        (
            "hole outside",
            json!({"type": "Polygon", "coordinates": [
            [[106, 29], [107, 29], [107, 30], [106, 30], [106, 29]],
            [[108, 29], [108.5, 29], [108.5, 29.5], [108, 29]]]}),
            "hole lies outside",
        ),
        (
            "nested holes",
            json!({"type": "Polygon", "coordinates": [
            [[106, 29], [107, 29], [107, 30], [106, 30], [106, 29]],
            [[106.1, 29.1], [106.9, 29.1], [106.9, 29.9], [106.1, 29.9], [106.1, 29.1]],
            [[106.2, 29.2], [106.3, 29.2], [106.3, 29.3], [106.2, 29.2]]]}),
            "inside another hole",
        ),
        (
            "overlapping parts",
            json!({"type": "MultiPolygon", "coordinates": [
            [[[106, 29], [107, 29], [107, 30], [106, 30], [106, 29]]],
            [[[106.5, 29.5], [107.5, 29.5], [107.5, 30.5], [106.5, 29.5]]]]}),
            "invalid MultiPolygon",
        ),
    ];
    for (what, geometry, says) in &cases {
        let valid: bool = sqlx::query_scalar("SELECT ST_IsValid(ST_GeomFromGeoJSON($1))")
            .bind(geometry.to_string())
            .fetch_one(pool)
            .await
            .unwrap();
        assert!(!valid, "{what}: PostGIS says valid");
        let (status, p) = common::post(&url, district(geometry.clone(), "500900")).await;
        assert_eq!(status, 422, "{what}: {p}");
        assert_eq!(p["field"], "geometry", "{p}");
        assert!(p["detail"].as_str().unwrap().contains(says), "{what}: {p}");
        assert!(!p["detail"].as_str().unwrap().contains("Self-intersection"), "onemap's words, not GEOS's: {p}");
    }
    // A position of one number (the geojson crate indexed past it: a panic, caught as a 500).
    for geometry in [
        json!({"type": "Point", "coordinates": [106.5]}),
        json!({"type": "Point", "coordinates": []}),
        json!({"type": "LineString", "coordinates": [[1, 2], [3]]}),
        json!({"type": "LineString", "coordinates": [[1, 2], []]}),
    ] {
        let (status, p) = common::post(
            &server.at("/api/layers/route"),
            json!({"type": "Feature", "geometry": geometry, "properties": {"name": "x", "kind": "road"}}),
        )
        .await;
        assert_eq!(status, 422, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("a position is"), "{p}");
    }
    // The same polygon as a warning's area and as a routing barrier.
    let bow_tie = cases[0].1.clone();
    let now = chrono::Utc::now();
    let warning = json!({"kind": "air", "level": "蓝", "headline": "测试", "area": bow_tie,
        "expires": (now + chrono::Duration::hours(1)).to_rfc3339()});
    let (status, p) = common::post(&server.at("/api/warnings"), warning).await;
    assert_eq!((status.as_u16(), p["field"].as_str()), (422, Some("area")), "{p}");
    let nearest = json!({"point": [106.55, 29.56], "find": "depot", "barriers": [bow_tie]});
    let (status, p) = common::post(&server.at("/api/nearest"), nearest).await;
    assert_eq!((status.as_u16(), p["field"].as_str()), (422, Some("barriers[0]")), "{p}");
    assert_eq!(common::counts(pool).await, before, "refusals write nothing");

    // A valid polygon of 19,000 positions is taken (PostGIS agrees it is valid).
    let (status, p) = common::post(&url, district(star(106.5, 29.5, 19_000, 0.2), "500901")).await;
    assert_eq!(status, 201, "{p}");
    let valid: bool = sqlx::query_scalar("SELECT ST_IsValid(geom) FROM district WHERE code = '500901'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(valid);
    // Past the limits: refused before any parsing, naming the limit.
    let before = common::counts(pool).await;
    let (status, p) = common::post(&url, district(star(106.5, 29.5, 20_001, 0.2), "500902")).await;
    assert_eq!(status, 422, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("at most 20000"), "{p}");
    let many: Vec<Value> = (0..12)
        .map(|i| {
            let ring: Vec<[i32; 2]> = (0..18_000).map(|_| [1, 2]).collect();
            district(json!({"type": "Polygon", "coordinates": [ring]}), &format!("50{i:04}"))
        })
        .collect();
    let (status, p) = common::post(&url, json!({"type": "FeatureCollection", "features": many})).await;
    assert_eq!(status, 422, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("200000 positions"), "{p}");
    let barriers: Vec<Value> = (0..101).map(|_| star(106.0, 29.0, 8, 0.01)).collect();
    let (status, p) = common::post(
        &server.at("/api/nearest"),
        json!({"point": [106.55, 29.56], "find": "depot", "barriers": barriers}),
    )
    .await;
    assert_eq!((status.as_u16(), p["field"].as_str()), (422, Some("barriers")), "{p}");
    assert_eq!(common::counts(pool).await, before, "refusals write nothing");
    // The limits are in the OpenAPI document.
    let (_, document) = common::get(&server.at("/api/openapi.json")).await;
    assert_eq!(document["info"]["x-limits"]["polygon_vertices"], 20_000);
    assert_eq!(document["info"]["x-limits"]["request_vertices"], 200_000);
}

#[tokio::test]
async fn event_streams_are_limited_per_user_and_per_address_and_given_back_on_close() {
    use onemap::auth::Role;
    let limits = onemap::api::events::StreamLimits::default();
    let (per_user, per_address) = (limits.per_user, limits.per_address);
    let server = common::testing::TestServer::start().await.unwrap();
    let url = server.at("/api/events");
    let open = |token: String| {
        let url = url.clone();
        async move { reqwest::Client::new().get(&url).bearer_auth(token).send().await.unwrap() }
    };
    let wall = server.token("wall", Role::Viewer, None).await.unwrap();
    let mut held = Vec::new();
    for _ in 0..per_user {
        let response = open(wall.clone()).await;
        assert_eq!(response.status(), 200);
        held.push(response);
    }
    let refused = open(wall.clone()).await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let problem: Value = refused.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("for this user"), "{problem}");
    // A closed stream gives its place back.
    drop(held.pop());
    common::eventually("a closed stream's place is given back", async || open(wall.clone()).await.status() == 200)
        .await;
    // Other users from the same address fill the address's share.
    let mut others = 0;
    loop {
        let token = server.token(&format!("screen{others}"), Role::Viewer, None).await.unwrap();
        let response = open(token).await;
        if response.status() == 429 {
            let problem: Value = response.json().await.unwrap();
            assert!(problem["detail"].as_str().unwrap().contains("from this address"), "{problem}");
            break;
        }
        assert_eq!(response.status(), 200);
        held.push(response);
        others += 1;
        assert!(others <= per_address, "the address limit never came");
    }
    assert!(held.len() <= per_address, "{}", held.len());
}

#[tokio::test]
async fn metrics_labels_come_from_fixed_sets_and_around_scans_a_layer_once() {
    let server = common::testing::TestServer::with_demo().await.unwrap();
    let client = common::client_for(&server.url);
    for method in ["FOO", "BREW", "X-ATTACK-1", "X-ATTACK-2"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        client.request(method, server.at("/api/layers")).send().await.unwrap();
    }
    let metrics = common::raw_get(server.at("/metrics")).await.text().await.unwrap();
    assert!(!metrics.contains("FOO") && !metrics.contains("X-ATTACK"), "a made-up method became a series");
    assert!(metrics.contains("method=\"other\""));
    let once = common::get(&server.at("/api/around?lon=106.55&lat=29.56&radius_m=20000&layers=depot")).await.1;
    let repeated = vec!["depot"; 200].join(",");
    let (status, many) =
        common::get(&server.at(&format!("/api/around?lon=106.55&lat=29.56&radius_m=20000&layers={repeated}"))).await;
    assert_eq!(status, 200, "{many}");
    assert_eq!(many, once, "a layer named 200 times is one layer");
}

#[tokio::test]
async fn parallel_wrong_passwords_are_checked_no_more_than_the_limit() {
    let server = common::testing::TestServer::start().await.unwrap();
    server.token("target", onemap::auth::Role::Admin, None).await.unwrap();
    let url = server.at("/api/session");
    let guesses = (0..12).map(|i| {
        let url = url.clone();
        async move {
            let body = json!({"username": "target", "password": format!("guess-number-{i}")});
            reqwest::Client::new().post(&url).json(&body).send().await.unwrap().status().as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 12, "{statuses:?}");
    assert!(checked <= 5, "{checked} of 12 parallel guesses were checked (limit 5): {statuses:?}");
    // And the right password is refused too while the name is locked.
    let right = json!({"username": "target", "password": "target-Password1"});
    let status = reqwest::Client::new().post(&url).json(&right).send().await.unwrap().status();
    assert_eq!(status, 429);
}

/// Closes the test's database to new connections and ends its sessions (the cluster goes on
/// for the other tests), or opens it again.
async fn database_reachable(pool: &sqlx::PgPool, name: &str, open: bool) {
    let admin_url = common::testing::cluster().await.unwrap().url("postgres");
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS {open}")))
        .execute(&mut admin)
        .await
        .unwrap();
    if !open {
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(name)
            .execute(&mut admin)
            .await
            .unwrap();
    }
    let _ = pool;
}

/// POSTs a depot called `name` to the server at `base` with `token`.
async fn post_depot(client: &reqwest::Client, base: &str, token: &str, name: &str) -> reqwest::Response {
    let depot = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.5, 29.5]},
        "properties": {"name": name, "tier": "city"}});
    client.post(format!("{base}/api/layers/depot")).bearer_auth(token).json(&depot).send().await.unwrap()
}

/// Runs the `onemap` command line against `url`.
fn onemap_cli(url: &str, args: &[&str]) -> String {
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_onemap")).args(args).env("DATABASE_URL", url).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test]
async fn signed_in_users_keep_the_map_while_the_database_is_down_and_revocations_hold() {
    use common::testing::new_token;
    use onemap::auth::Role;
    let pool = database().await.unwrap();
    let name: String = sqlx::query_scalar("SELECT current_database()::text").fetch_one(&pool).await.unwrap();
    let url = url_of(&pool).await.unwrap();
    let planner = new_token(&pool, "keeper", Role::Planner, None).await.unwrap();
    let revoked = new_token(&pool, "leaver", Role::Viewer, None).await.unwrap();
    let disabled = new_token(&pool, "gone", Role::Viewer, None).await.unwrap();
    let (a, b) = (Process::start(&url, &[]).await, Process::start(&url, &[]).await);
    let client = reqwest::Client::new();
    // A session cookie from A's sign-in form.
    let signed = client
        .post(format!("{}/api/session", a.url))
        .json(&json!({"username": "keeper", "password": "keeper-Password1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 200);
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let tile = |base: &str| format!("{base}/tiles/onemap/8/207/107.mvt");
    let as_token = |u: String, t: &str| client.get(u).bearer_auth(t).send();
    let as_cookie = |u: String| client.get(u).header("cookie", cookie.clone()).send();
    // Every credential verified on both instances while the database answers.
    for server in [&a, &b] {
        for token in [&planner, &revoked, &disabled] {
            assert!(as_token(tile(&server.url), token).await.unwrap().status().is_success());
        }
    }
    assert!(as_cookie(tile(&a.url)).await.unwrap().status().is_success());
    // Revoked and disabled through the command line (a third process): both instances hear it.
    let listed = onemap_cli(&url, &["token", "list"]);
    let id =
        listed.lines().find(|l| l.contains("leaver")).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    onemap_cli(&url, &["token", "revoke", &id]);
    onemap_cli(&url, &["user", "disable", "gone"]);
    for server in [&a, &b] {
        for token in [&revoked, &disabled] {
            assert_eq!(as_token(tile(&server.url), token).await.unwrap().status(), 401);
        }
    }

    // The database goes down.
    database_reachable(&pool, &name, false).await;
    for server in [&a, &b] {
        let response = as_token(tile(&server.url), &planner).await.unwrap();
        assert!(response.status().is_success(), "{}: {}", server.url, response.status());
        for token in [&revoked, &disabled] {
            let status = as_token(tile(&server.url), token).await.unwrap().status();
            assert!(!status.is_success(), "a revoked credential read from memory: {status}");
        }
        // Writes: 503, nothing written.
        let response = post_depot(&client, &server.url, &planner, "停库").await;
        assert_eq!(response.status(), 503);
        let problem: Value = response.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("nothing was written"), "{problem}");
    }
    let response = as_cookie(tile(&a.url)).await.unwrap();
    assert!(response.status().is_success(), "the cookie from memory: {}", response.status());
    let response = client
        .post(format!("{}/api/session", a.url))
        .header("cookie", cookie.clone())
        .header("origin", a.url.clone())
        .json(&json!({"username": "x", "password": "y"}))
        .send()
        .await
        .unwrap();
    assert!(!response.status().is_success());
    // An unknown token cannot be verified: 503, not the map.
    let stranger = format!("om_{}", "A".repeat(43));
    assert!(!as_token(tile(&a.url), &stranger).await.unwrap().status().is_success());

    // The database comes back: writes go through again.
    database_reachable(&pool, &name, true).await;
    common::eventually("a write after the database is back", async || {
        post_depot(&client, &a.url, &planner, "复库").await.status() == 201
    })
    .await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM depot").fetch_one(&pool).await.unwrap();
    assert_eq!(count, 1, "only the write after the database came back");
}

#[tokio::test]
async fn a_session_ends_after_it_is_left_idle() {
    let server = common::testing::TestServer::start().await.unwrap();
    server.token("idler", onemap::auth::Role::Viewer, None).await.unwrap();
    let client = reqwest::Client::new();
    let signed = client
        .post(server.at("/api/session"))
        .json(&json!({"username": "idler", "password": "idler-Password1"}))
        .send()
        .await
        .unwrap();
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let me = || async {
        let r = client.get(server.at("/api/me")).header("cookie", cookie.clone()).send().await.unwrap();
        r.json::<Value>().await.unwrap()["user"].clone()
    };
    assert_eq!(me().await, "idler");
    // Used 29 minutes ago: still signed in, and the use is recorded.
    sqlx::query("UPDATE user_session SET last_seen_at = now() - interval '29 minutes'")
        .execute(&server.pool)
        .await
        .unwrap();
    assert_eq!(me().await, "idler");
    let idle: f64 = sqlx::query_scalar("SELECT extract(epoch FROM now() - last_seen_at)::float8 FROM user_session")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    assert!(idle < 60.0, "{idle}");
    // Left for 31 minutes (under the 12 hours): signed out.
    sqlx::query("UPDATE user_session SET last_seen_at = now() - interval '31 minutes'")
        .execute(&server.pool)
        .await
        .unwrap();
    assert_eq!(me().await, Value::Null);
}

#[tokio::test]
async fn the_security_log_records_who_from_where_and_cannot_be_rewritten() {
    use onemap::auth::Role;
    let pool = database().await.unwrap();
    let url = url_of(&pool).await.unwrap();
    let server = Process::start(&url, &[]).await;
    onemap_cli(&url, &["user", "add", "sec-planner", "--role", "planner"]);
    let client = reqwest::Client::new();
    let admin = common::testing::new_token(&pool, "sec-admin", Role::Admin, None).await.unwrap();
    let planner = common::testing::new_token(&pool, "sec-viewer", Role::Viewer, None).await.unwrap();
    let sign_in = |name: &str, password: &str| {
        let body = json!({"username": name, "password": password});
        client.post(format!("{}/api/session", server.url)).json(&body).send()
    };
    assert_eq!(sign_in("sec-viewer", "wrong-Password1").await.unwrap().status(), 401);
    assert_eq!(sign_in("sec-viewer", "sec-viewer-Password1").await.unwrap().status(), 200);
    for _ in 0..6 {
        sign_in("nobody-at-all", "guess").await.unwrap();
    }
    // Refusals: a viewer writing, and a flood of bad tokens (sampled).
    assert_eq!(post_depot(&client, &server.url, &planner, "x").await.status(), 403);
    for _ in 0..40 {
        client.get(format!("{}/api/layers", server.url)).bearer_auth("om_not-a-token").send().await.unwrap();
    }
    onemap_cli(&url, &["user", "disable", "sec-planner"]);
    let records = |query: &'static str| {
        let (client, admin, base) = (client.clone(), admin.clone(), server.url.clone());
        async move {
            let response =
                client.get(format!("{base}/api/audit/security?{query}")).bearer_auth(&admin).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()["records"].as_array().unwrap().clone()
        }
    };
    common::eventually("the refusals are written", async || records("kind=refused&limit=1000").await.len() >= 2).await;
    let all = records("limit=1000").await;
    let of = |kind: &str| all.iter().filter(|r| r["kind"] == kind).collect::<Vec<_>>();
    assert!(of("sign_in").iter().any(|r| r["user"] == "sec-viewer" && r["address"] == "127.0.0.1"), "{all:?}");
    assert!(of("sign_in_failed").iter().any(|r| r["user"] == "sec-viewer"));
    assert!(!of("locked_out").is_empty(), "the sixth guess of one name is a lock-out");
    let refusals = of("refused");
    assert!(refusals.iter().any(|r| r["actor"] == "sec-viewer" && r["detail"]["status"] == 403), "{refusals:?}");
    assert!(refusals.len() <= 10, "a flood is sampled: {} written", refusals.len());
    assert!(of("account").iter().any(|r| r["user"] == "sec-planner" && r["detail"]["change"] == "created"));
    assert!(of("account").iter().any(|r| r["user"] == "sec-planner"
        && r["detail"]["change"] == "disabled"
        && r["actor"].as_str().unwrap().starts_with("cli:")));
    assert!(of("credential").iter().any(|r| r["user"] == "sec-admin" && r["detail"]["change"] == "token created"));
    // Admins only; bad parameters are named.
    let response = client.get(format!("{}/api/audit/security", server.url)).bearer_auth(&planner).send().await.unwrap();
    assert_eq!(response.status(), 403);
    for (query, field) in
        [("kind=%3Cscript%3E", "kind"), ("limit=100000", "limit"), ("since=yesterday", "since"), ("drop=1", "drop")]
    {
        let url = format!("{}/api/audit/security?{query}", server.url);
        let response = client.get(url).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(response.status(), 400, "{query}");
        let problem: Value = response.json().await.unwrap();
        assert!(problem.to_string().contains(field), "{query}: {problem}");
    }
    // A one-time code that is too long or not text is refused before anything is checked.
    for code in [json!("1".repeat(40)), json!(123456), json!(["1"])] {
        let body = json!({"username": "sec-viewer", "password": "sec-viewer-Password1", "code": code});
        let response = client.post(format!("{}/api/session", server.url)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 422, "{code}");
    }

    // Neither trail can be changed or emptied by onemap's own role.
    for sql in [
        "UPDATE security_log SET actor = 'someone else'",
        "DELETE FROM security_log",
        "TRUNCATE security_log",
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    // Pruning: only past 180 days, only by the command, and logged.
    sqlx::query(
        "INSERT INTO security_log (at, kind, actor) VALUES (now() - interval '200 days', 'sign_in', 'old'), \
                 (now() - interval '100 days', 'sign_in', 'recent')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_onemap"))
        .args(["audit", "prune", "--older-than-days", "30"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = onemap_cli(&url, &["audit", "prune"]);
    assert!(said.contains("1 of the security log"), "{said}");
    let actors: Vec<String> = sqlx::query_scalar("SELECT actor FROM security_log WHERE actor IN ('old', 'recent')")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(actors, vec!["recent".to_string()]);
    let printed = onemap_cli(&url, &["audit", "security", "--kind", "prune"]);
    assert!(printed.contains("older_than_days"), "{printed}");
}

/// The current code of `uri` by pyotp, an independent RFC 6238 implementation.
fn pyotp_now(uri: &str) -> String {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys, pyotp; print(pyotp.parse_uri(sys.argv[1]).now())", uri])
        .output()
        .expect("python3 with pyotp (scripts/setup installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn administrators_sign_in_with_a_one_time_code_that_pyotp_agrees_with() {
    let pool = database().await.unwrap();
    let url = url_of(&pool).await.unwrap();
    let server = Process::start(&url, &[]).await;
    common::testing::new_token(&pool, "chief", onemap::auth::Role::Admin, None).await.unwrap();
    common::testing::new_token(&pool, "clerk", onemap::auth::Role::Viewer, None).await.unwrap();
    let client = reqwest::Client::new();
    let sign_in = |name: &'static str, code: Option<String>| {
        let body = json!({"username": name, "password": format!("{name}-Password1"), "code": code});
        let request = client.post(format!("{}/api/session", server.url)).json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // An administrator without a second factor cannot sign in; a viewer can.
    let (status, p) = sign_in("chief", None).await;
    assert_eq!(status, 401, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("onemap user totp"), "{p}");
    assert_eq!(sign_in("clerk", None).await.0, 200);
    // Enrolled by the command line: a URI and a QR code, once.
    let printed = onemap_cli(&url, &["user", "totp", "chief"]);
    let uri = printed.lines().find(|l| l.starts_with("otpauth://totp/")).unwrap().to_string();
    assert!(uri.contains("issuer=onemap") && uri.contains("digits=6") && uri.contains("period=30"), "{uri}");
    assert!(printed.contains('█') || printed.contains('▀'), "a QR code is drawn");
    let secret: Vec<u8> =
        sqlx::query_scalar("SELECT secret FROM user_totp t JOIN app_user u ON u.id = t.user_id WHERE u.name = 'chief'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!printed.contains("chief-Password1") && secret.len() == 20);
    // Without the code, with a wrong one, then with pyotp's.
    let (status, p) = sign_in("chief", None).await;
    assert_eq!((status, p["code_required"].as_bool()), (401, Some(true)), "{p}");
    let code = pyotp_now(&uri);
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert_eq!(sign_in("chief", Some(wrong)).await.0, 401);
    assert_eq!(sign_in("chief", Some("12345".into())).await.0, 401);
    let code = pyotp_now(&uri);
    let (status, p) = sign_in("chief", Some(code.clone())).await;
    assert_eq!(status, 200, "pyotp's code {code}: {p}");
    assert_eq!(p["role"], "admin");
    // The same code again (read over a shoulder): refused.
    assert_eq!(sign_in("chief", Some(code)).await.0, 401);
    let logged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM security_log WHERE kind = 'credential' AND user_name = 'chief' AND detail->>'change' = 'one-time codes enrolled'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(logged, 1);
    // Our codes equal pyotp's for the same secret (asked again if the step turned meanwhile).
    use onemap::auth::totp::{code_at, step_of};
    loop {
        let step = step_of(chrono::Utc::now().timestamp());
        let theirs = pyotp_now(&uri);
        if step_of(chrono::Utc::now().timestamp()) == step {
            assert_eq!(format!("{:06}", code_at(&secret, step)), theirs);
            break;
        }
    }
}
