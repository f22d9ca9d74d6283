//! Who may do what: every route tried anonymously and as every role against the permission
//! table; credentials that must not work; sessions and cross-site writes; failed sign-ins;
//! district users outside their district; accounts' bad input; secrets never stored in clear.

mod common;

use common::testing::TestServer;
use common::{call_as, counts, feature, point};
use onemap::api::permission::Need;
use onemap::auth::{Action, Actor, Role, accounts};
use onemap::layers::spec::LAYERS;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

/// The callers of the matrix: anonymous, each role, and district users (渝北区).
const CALLERS: &[(&str, Option<Role>, Option<&str>)] = &[
    ("anonymous", None, None),
    ("m-viewer", Some(Role::Viewer), None),
    ("m-dispatcher", Some(Role::Dispatcher), None),
    ("m-planner", Some(Role::Planner), None),
    ("m-admin", Some(Role::Admin), None),
    ("m-district-planner", Some(Role::Planner), Some("500112")),
    ("m-district-dispatcher", Some(Role::Dispatcher), Some("500112")),
];

/// Concrete paths for a route pattern: each layer for `{layer}`, ids that do not exist (so an
/// allowed write finds nothing to change and the matrix writes nothing).
fn concrete(pattern: &str) -> Vec<(String, Option<&'static str>)> {
    let fill = |layer: Option<&'static str>| {
        let path = pattern
            .replace("{id}", "999999")
            .replace("{depot}", "999999")
            .replace("{report}", "999999")
            .replace("{recipient}", "999999")
            .replace("{source}/{z}/{x}/{tile}", "onemap/3/6/3.mvt")
            .replace("{file}", "onemap.json")
            .replace("{way}", "downstream")
            .replace("{*path}", "Things(999999)");
        match layer {
            Some(l) => (path.replace("{layer}", l), Some(l)),
            None => (path, None),
        }
    };
    if pattern.contains("{layer}") { LAYERS.iter().map(|l| fill(Some(l.name))).collect() } else { vec![fill(None)] }
}

async fn audit_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(pool).await.unwrap()
}

async fn tokens(server: &TestServer) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for (name, role, district) in CALLERS {
        out.push(match role {
            Some(role) => Some(server.token(name, *role, *district).await.unwrap()),
            None => None,
        });
    }
    out
}

/// Every (method, path) of the router, as every caller: the status follows from the permission
/// table — 401 without a credential, 403 without the role, anything else when allowed.
async fn check_matrix(public_read: bool) {
    let config = onemap::api::ServerConfig { public_read, ..Default::default() };
    let server = TestServer::with_config(config).await.unwrap();
    onemap::exchange::demo::load(&server.pool, &common::testing::demo_dir(), false).await.unwrap();
    let tokens = tokens(&server).await;
    let before = (audit_count(&server.pool).await, counts(&server.pool).await);
    let routes = onemap::api::routes();
    assert!(routes.rules().len() >= 40, "{} routes", routes.rules().len());
    let mut tried = 0;
    for rule in routes.rules() {
        for (path, layer) in concrete(rule.path) {
            let url = server.at(&path);
            let body = matches!(rule.method, Method::POST | Method::PUT | Method::PATCH).then(|| json!({}));
            for ((name, role, district), token) in CALLERS.iter().zip(&tokens) {
                // The events stream never ends: only its status is read.
                let status = if rule.path == "/api/events" {
                    let mut request = Client::new().get(&url);
                    if let Some(t) = token {
                        request = request.bearer_auth(t);
                    }
                    request.send().await.unwrap().status()
                } else {
                    call_as(token.as_deref(), rule.method.clone(), &url, body.clone()).await.0
                };
                let actions = rule.need.actions(layer);
                // Districts are written by city-wide users only.
                let district_row = rule.need == Need::LayerWrite && layer == Some("district") && district.is_some();
                let allowed = actions.is_empty()
                    || match role {
                        Some(r) => actions.iter().any(|a| r.may(*a)) && !district_row,
                        None => public_read && actions == [Action::Read],
                    };
                let expected = match (allowed, role) {
                    (true, _) => None,
                    (false, None) => Some(StatusCode::UNAUTHORIZED),
                    (false, Some(_)) => Some(StatusCode::FORBIDDEN),
                };
                match expected {
                    Some(e) => assert_eq!(status, e, "{} {path} as {name}", rule.method),
                    None => assert!(
                        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                        "{} {path} as {name}: {status}",
                        rule.method
                    ),
                }
                tried += 1;
            }
        }
    }
    assert!(tried > 500, "{tried}");
    // Refused or not, nothing of the registry changed and nothing was recorded.
    assert_eq!((audit_count(&server.pool).await, counts(&server.pool).await), before);
    println!("{tried} requests (public read: {public_read})");
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_permission_table_says() {
    check_matrix(false).await;
}

#[tokio::test]
async fn public_read_opens_reading_and_nothing_else() {
    check_matrix(true).await;
}

#[test]
fn every_route_has_a_rule_that_names_an_action_or_is_public_on_purpose() {
    let public: Vec<&str> =
        onemap::api::routes().rules().iter().filter(|r| r.need == Need::Nothing).map(|r| r.path).collect();
    // What may be reached with no credential at all: health, the pages (the desk, the wall: they
    // fetch their data with the caller's credential) and their assets, signing in,
    // the description of the API (no data; it says how to sign in) and the domain's words (no
    // data: the labels of codes, which the sign-in form and the pages show).
    for path in &public {
        assert!(
            [
                "/health",
                "/",
                "/wall",
                "/sw.js",
                "/api/session",
                "/api/me",
                "/api/openapi.json",
                "/api/docs",
                "/api/words"
            ]
            .contains(path)
                || path.starts_with("/viewer/")
                || path.starts_with("/vendor/"),
            "{path} needs no credential"
        );
    }
}

fn auth_header(response: &reqwest::Response) -> Option<String> {
    response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string())
}

#[tokio::test]
async fn expired_revoked_malformed_and_forged_tokens_and_disabled_users_get_401() {
    let server = TestServer::start().await.unwrap();
    let url = server.at("/api/layers");
    let me = Actor::command_line();
    accounts::add_user(&server.pool, &me, "t-viewer", Role::Viewer, None, "t-viewer-Password1", None).await.unwrap();
    let (id, token) = accounts::create_token(&server.pool, &me, "t-viewer", Some(30), None).await.unwrap();
    assert_eq!(call_as(Some(&token), Method::GET, &url, None).await.0, 200);

    let forged = format!("om_{}", "ab".repeat(32));
    for bad in ["om_xyz", "", "Bearer", &forged, &token.to_uppercase(), &format!("{token}0")] {
        let response = Client::new().get(&url).header("authorization", format!("Bearer {bad}")).send().await.unwrap();
        assert_eq!(response.status(), 401, "{bad}");
        assert_eq!(auth_header(&response).as_deref(), Some("Bearer realm=\"onemap\""));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], 401);
    }
    let basic = Client::new().get(&url).header("authorization", "Basic dXNlcjpwYXNz").send().await.unwrap();
    assert_eq!(basic.status(), 401);
    // A bad credential is refused even where none is needed.
    assert_eq!(call_as(Some(&forged), Method::GET, &server.at("/health"), None).await.0, 401);

    // Expired: the next request is refused.
    let (_, short) = accounts::create_token(&server.pool, &me, "t-viewer", Some(1), None).await.unwrap();
    assert_eq!(call_as(Some(&short), Method::GET, &url, None).await.0, 200);
    sqlx::query("UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id <> $1")
        .bind(id)
        .execute(&server.pool)
        .await
        .unwrap();
    assert_eq!(call_as(Some(&short), Method::GET, &url, None).await.0, 401);

    // Revoked: at once.
    accounts::revoke_token(&server.pool, &me, id).await.unwrap();
    assert_eq!(call_as(Some(&token), Method::GET, &url, None).await.0, 401);
    assert!(accounts::revoke_token(&server.pool, &me, id).await.is_err(), "revoked twice");

    // Disabled: tokens and sessions stop.
    let (_, fresh) = accounts::create_token(&server.pool, &me, "t-viewer", None, None).await.unwrap();
    let cookie = sign_in(&server, "t-viewer", "t-viewer-Password1").await.unwrap();
    assert_eq!(with_cookie(&server, &cookie, Method::GET, "/api/layers", None, None).await.0, 200);
    accounts::disable_user(&server.pool, &me, "t-viewer").await.unwrap();
    assert_eq!(call_as(Some(&fresh), Method::GET, &url, None).await.0, 401);
    assert_eq!(with_cookie(&server, &cookie, Method::GET, "/api/layers", None, None).await.0, 401);
    assert_eq!(sign_in(&server, "t-viewer", "t-viewer-Password1").await.unwrap_err(), 401);
}

/// Signs in; the session cookie (`name=value`) or the status.
async fn sign_in(server: &TestServer, name: &str, password: &str) -> Result<String, u16> {
    let response = Client::new()
        .post(server.at("/api/session"))
        .json(&json!({"username": name, "password": password}))
        .send()
        .await
        .unwrap();
    if response.status() != 200 {
        return Err(response.status().as_u16());
    }
    let set = response.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    Ok(set.split(';').next().unwrap().to_string())
}

/// A request with the session cookie and, if given, an Origin.
async fn with_cookie(
    server: &TestServer,
    cookie: &str,
    method: Method,
    path: &str,
    origin: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = Client::new().request(method, server.at(path)).header("cookie", cookie);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn incidents(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM incident").fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn a_session_cookie_writes_only_from_onemaps_own_pages_and_ends_on_sign_out() {
    let server = TestServer::start().await.unwrap();
    server.token("c-dispatcher", Role::Dispatcher, None).await.unwrap();
    server.token("c-viewer", Role::Viewer, None).await.unwrap();
    let own = server.url.clone();
    let incident = feature(point(106.55, 29.56), json!({"name": "演练", "kind": "water", "severity": "一般"}));

    let cookie = sign_in(&server, "c-dispatcher", "c-dispatcher-Password1").await.unwrap();
    let (status, me) = with_cookie(&server, &cookie, Method::GET, "/api/me", None, None).await;
    assert_eq!(status, 200);
    assert_eq!((me["user"].as_str(), me["role"].as_str()), (Some("c-dispatcher"), Some("dispatcher")));
    assert!(me["may"].as_array().unwrap().contains(&json!("handle_incidents")), "{me}");

    // A form on another site posting with the dispatcher's cookie writes nothing.
    let before = incidents(&server.pool).await;
    for origin in [Some("http://evil.example"), Some("null"), None] {
        let (status, problem) =
            with_cookie(&server, &cookie, Method::POST, "/api/layers/incident", origin, Some(incident.clone())).await;
        assert_eq!(status, 403, "{origin:?}: {problem}");
        assert_eq!(problem["title"], "cross-site request refused");
    }
    let raw = Client::new()
        .post(server.at("/api/layers/incident"))
        .header("cookie", &cookie)
        .header("origin", "http://evil.example")
        .header("content-type", "text/plain")
        .body(incident.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 403);
    assert_eq!(incidents(&server.pool).await, before);
    let (status, _) =
        with_cookie(&server, &cookie, Method::POST, "/api/layers/incident", Some(&own), Some(incident.clone())).await;
    assert_eq!(status, 201);

    // A viewer's cookie cannot write, even from the page.
    let viewer = sign_in(&server, "c-viewer", "c-viewer-Password1").await.unwrap();
    let (status, problem) =
        with_cookie(&server, &viewer, Method::POST, "/api/layers/incident", Some(&own), Some(incident.clone())).await;
    assert_eq!(status, 403, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("dispatcher"), "{problem}");

    // Signed out: the cookie is nothing any more.
    let (status, _) = with_cookie(&server, &cookie, Method::DELETE, "/api/session", Some(&own), None).await;
    assert_eq!(status, 204);
    let (_, me) = with_cookie(&server, &cookie, Method::GET, "/api/me", None, None).await;
    assert_eq!(me["user"], Value::Null);
    let (status, _) =
        with_cookie(&server, &cookie, Method::POST, "/api/layers/incident", Some(&own), Some(incident)).await;
    assert_eq!(status, 401);
    assert_eq!(incidents(&server.pool).await, before + 1);
}

#[tokio::test]
async fn failed_sign_ins_are_slowed_then_refused_alike_for_real_and_unknown_names() {
    let server = TestServer::start().await.unwrap();
    server.token("s-planner", Role::Planner, None).await.unwrap();
    let attempt = |name: &'static str, password: &'static str| {
        let url = server.at("/api/session");
        async move {
            let response =
                Client::new().post(url).json(&json!({"username": name, "password": password})).send().await.unwrap();
            let status = response.status().as_u16();
            let retry = response.headers().get("retry-after").is_some();
            let body: Value = response.json().await.unwrap();
            // The wait in seconds ticks on between two answers: compare the words.
            let detail: String =
                body["detail"].as_str().unwrap_or_default().chars().filter(|c| !c.is_ascii_digit()).collect();
            (status, retry, detail)
        }
    };
    let mut real = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..6 {
        real.push(attempt("s-planner", "wrong password!").await);
        unknown.push(attempt("nobody-by-this-name", "wrong password!").await);
    }
    // The same answers whether the name exists or not: five refusals, then locked.
    assert_eq!(real, unknown);
    assert!(real[..5].iter().all(|(s, retry, _)| *s == 401 && !retry), "{real:?}");
    assert_eq!((real[5].0, real[5].1), (429, true), "{real:?}");
    // Locked means locked: the right password waits too.
    assert_eq!(attempt("s-planner", "s-planner-Password1").await.0, 429);
    // Bad input is not a sign-in attempt.
    let long = "x".repeat(65);
    let (status, _, _) = {
        let response = Client::new()
            .post(server.at("/api/session"))
            .json(&json!({"username": long, "password": "whatever long"}))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), (), ())
    };
    assert_eq!(status, 422);
}

#[tokio::test]
async fn district_users_change_only_their_district() {
    let server = TestServer::with_demo().await.unwrap();
    let planner = server.token("d-planner", Role::Planner, Some("500112")).await.unwrap();
    let dispatcher = server.token("d-dispatcher", Role::Dispatcher, Some("500112")).await.unwrap();
    let pool = &server.pool;
    let before = (audit_count(pool).await, counts(pool).await);
    let post = |token: &str, path: &str, body: Value| {
        let (token, url) = (token.to_string(), server.at(path));
        async move { call_as(Some(&token), Method::POST, &url, Some(body)).await }
    };
    // 涪陵区 is not 渝北区: by its district field, or by where it stands.
    let outside = feature(point(107.39, 29.70), json!({"name": "区外库", "tier": "district", "district": "涪陵区"}));
    let (status, _, problem) = post(&planner, "/api/layers/depot", outside).await;
    assert_eq!(status, 403, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("渝北区"), "{problem}");
    let unnamed = feature(point(107.39, 29.70), json!({"name": "区外库", "tier": "district"}));
    assert_eq!(post(&planner, "/api/layers/depot", unnamed).await.0, 403);
    // A batch with one feature outside is refused whole.
    let batch = common::collection(vec![
        feature(point(106.63, 29.72), json!({"name": "区内库", "tier": "district"})),
        feature(point(107.39, 29.70), json!({"name": "区外库", "tier": "district"})),
    ]);
    assert_eq!(post(&planner, "/api/layers/depot", batch).await.0, 403);
    assert_eq!((audit_count(pool).await, counts(pool).await), before, "refusals write nothing");

    // The stored district and the place must both be 渝北区: naming one's own district for a
    // depot elsewhere, or another district for one at home, is refused.
    for (lon, lat, district) in [(107.39, 29.70, "渝北区"), (107.39, 29.70, "500112"), (106.63, 29.72, "涪陵区")]
    {
        let body = feature(point(lon, lat), json!({"name": "越界库", "tier": "district", "district": district}));
        let (status, _, problem) = post(&planner, "/api/layers/depot", body).await;
        assert_eq!(status, 403, "{district} at {lon},{lat}: {problem}");
    }
    // A district's own users cannot widen it, rename it or remove it.
    let home: i64 = sqlx::query_scalar("SELECT id FROM district WHERE code = '500112'").fetch_one(pool).await.unwrap();
    let city = json!({"type": "Feature", "properties": {},
        "geometry": {"type": "MultiPolygon", "coordinates": [[[[105.0, 28.0], [110.0, 28.0], [110.0, 32.0], [105.0, 32.0], [105.0, 28.0]]]]}});
    for (method, body) in [
        (Method::PATCH, Some(city.clone())),
        (Method::PATCH, Some(json!({"name": "重庆市"}))),
        (Method::PUT, Some(city)),
        (Method::DELETE, None),
    ] {
        for path in [format!("/api/layers/district/{home}"), format!("/ogc/collections/district/items/{home}")] {
            let (status, _, problem) = call_as(Some(&planner), method.clone(), &server.at(&path), body.clone()).await;
            assert_eq!(status, 403, "{method} {path}: {problem}");
        }
    }
    let new_district = feature(point(106.6, 29.7), json!({"name": "新区", "code": "500199"}));
    assert_eq!(post(&planner, "/api/layers/district", new_district).await.0, 403);
    assert_eq!((audit_count(pool).await, counts(pool).await), before, "refusals write nothing");

    // Inside (in 渝北区's boundary, no district given): allowed.
    let inside = feature(point(106.63, 29.72), json!({"name": "区内库", "tier": "district"}));
    let (status, _, created) = post(&planner, "/api/layers/depot", inside).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();

    // Existing rows outside: no change, no move out, no delete, no stock.
    let far: i64 =
        sqlx::query_scalar("SELECT id FROM depot WHERE district = '涪陵区' LIMIT 1").fetch_one(pool).await.unwrap();
    let patch = |token: &str, path: String, body: Value| {
        let (token, url) = (token.to_string(), server.at(&path));
        async move { call_as(Some(&token), Method::PATCH, &url, Some(body)).await.0 }
    };
    assert_eq!(patch(&planner, format!("/api/layers/depot/{far}"), json!({"contact": "x"})).await, 403);
    assert_eq!(
        call_as(Some(&planner), Method::DELETE, &server.at(&format!("/api/layers/depot/{far}")), None).await.0,
        403
    );
    let moved =
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [107.39, 29.70]}, "properties": {}});
    assert_eq!(patch(&planner, format!("/api/layers/depot/{id}"), moved).await, 403);
    let stock = json!({"category": "treatment", "item": "活性炭", "unit": "t", "quantity": 1});
    assert_eq!(post(&planner, &format!("/api/depots/{far}/stock"), stock.clone()).await.0, 403);
    assert_eq!(post(&planner, &format!("/api/depots/{id}/stock"), stock).await.0, 201);
    assert_eq!(patch(&planner, format!("/api/layers/depot/{id}"), json!({"contact": "023-1"})).await, 200);

    // A district dispatcher plans and dispatches only for incidents in the district.
    let incident =
        |lon: f64, lat: f64| feature(point(lon, lat), json!({"name": "区县演练", "kind": "water", "severity": "一般"}));
    let (status, _, mine) = post(&dispatcher, "/api/layers/incident", incident(106.63, 29.72)).await;
    assert_eq!(status, 201, "{mine}");
    assert_eq!(post(&dispatcher, "/api/layers/incident", incident(107.39, 29.70)).await.0, 403);
    let admin_incident = post(&server.admin_token, "/api/layers/incident", incident(107.39, 29.70)).await.2;
    let demands = json!({"demands": [{"item": "活性炭", "quantity": 1}]});
    let theirs = admin_incident["id"].as_i64().unwrap();
    let ours = mine["id"].as_i64().unwrap();
    assert_eq!(post(&dispatcher, &format!("/api/incidents/{theirs}/plan"), demands.clone()).await.0, 403);
    let joint = json!({"incidents": [{"id": ours, "demands": demands["demands"]}, {"id": theirs, "demands": demands["demands"]}]});
    assert_eq!(post(&dispatcher, "/api/plan", joint).await.0, 403);
    let shipments = |plan: &Value| {
        json!({"shipments": plan["shipments"].as_array().unwrap().iter()
            .map(|s| json!({"depot_id": s["depot_id"], "items": s["items"]})).collect::<Vec<_>>()})
    };
    let (status, _, plan) = post(&dispatcher, &format!("/api/incidents/{ours}/plan"), demands.clone()).await;
    assert_eq!(status, 200, "{plan}");
    let ours_shipments = shipments(&plan);
    let (_, _, plan) = post(&server.admin_token, &format!("/api/incidents/{theirs}/plan"), demands).await;
    let theirs_shipments = shipments(&plan);
    assert_eq!(post(&dispatcher, &format!("/api/incidents/{theirs}/dispatch"), theirs_shipments.clone()).await.0, 403);
    let (status, _, sent) = post(&dispatcher, &format!("/api/incidents/{ours}/dispatch"), ours_shipments).await;
    assert_eq!(status, 201, "{sent}");
    let (status, _, other) =
        post(&server.admin_token, &format!("/api/incidents/{theirs}/dispatch"), theirs_shipments).await;
    assert_eq!(status, 201, "{other}");
    let foreign = other["dispatches"][0]["id"].as_i64().unwrap();
    assert_eq!(patch(&dispatcher, format!("/api/dispatches/{foreign}"), json!({"status": "en_route"})).await, 403);
    let own = sent["dispatches"][0]["id"].as_i64().unwrap();
    assert_eq!(patch(&dispatcher, format!("/api/dispatches/{own}"), json!({"status": "en_route"})).await, 200);
}

#[tokio::test]
async fn accounts_refuse_bad_input_and_write_nothing() {
    let server = TestServer::with_demo().await.unwrap();
    let pool = &server.pool;
    let me = Actor::command_line();
    let users = || async { accounts::list_users(pool).await.unwrap().len() };
    let before = users().await;
    let long = "n".repeat(65);
    let cases: Vec<(&str, Option<&str>, &str, Option<i64>)> = vec![
        ("ok-name", None, "short", None),
        ("with space", None, "a Long password", None),
        ("", None, "a Long password", None),
        (&long, None, "a Long password", None),
        ("ok-name", Some("999999"), "a Long password", None),
        ("ok-name", Some("50011"), "a Long password", None),
        ("ok-name", None, "a Long password", Some(0)),
        ("ok-name", None, "a Long password", Some(-3)),
    ];
    for (name, district, password, days) in cases {
        let err = accounts::add_user(pool, &me, name, Role::Viewer, district, password, days).await.unwrap_err();
        assert!(!err.to_string().is_empty());
    }
    assert!("superuser".parse::<Role>().is_err());
    assert_eq!(users().await, before);
    accounts::add_user(pool, &me, "ok-name", Role::Viewer, Some("500112"), "a Long password", Some(90)).await.unwrap();
    assert!(accounts::add_user(pool, &me, "ok-name", Role::Admin, None, "a Long password", None).await.is_err());
    assert!(accounts::set_password(pool, &me, "ok-name", "short", None).await.is_err());
    assert!(accounts::create_token(pool, &me, "ok-name", Some(0), None).await.is_err());
    assert!(accounts::create_token(pool, &me, "no-such-user", None, None).await.is_err());
    assert_eq!(users().await, before + 1);
    let tokens: i64 = sqlx::query_scalar("SELECT count(*) FROM api_token").fetch_one(pool).await.unwrap();
    assert_eq!(tokens, 1, "only the test server's own admin token");
}

#[tokio::test]
async fn passwords_tokens_and_session_keys_are_stored_only_as_hashes() {
    let server = TestServer::start().await.unwrap();
    let pool = &server.pool;
    let me = Actor::command_line();
    let password = "Unmistakable-Secret-7Q";
    accounts::add_user(pool, &me, "h-user", Role::Planner, None, password, None).await.unwrap();
    accounts::set_password(pool, &me, "h-user", "Another-Secret-8R", None).await.unwrap();
    let (_, token) = accounts::create_token(pool, &me, "h-user", None, Some("scan")).await.unwrap();
    let cookie = sign_in(&server, "h-user", "Another-Secret-8R").await.unwrap();
    let key = cookie.split_once('=').unwrap().1.to_string();
    assert_eq!(call_as(Some(&token), Method::GET, &server.at("/api/audit"), None).await.0, 200);
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(tables.contains(&"audit_log".to_string()) && tables.contains(&"user_session".to_string()));
    for table in &tables {
        for secret in [password, "Another-Secret-8R", &token, &token[3..], &key] {
            let found: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM {table} t WHERE to_jsonb(t)::text LIKE '%' || $1 || '%'"
            )))
            .bind(secret)
            .fetch_one(pool)
            .await
            .unwrap();
            assert_eq!(found, 0, "{table} holds a secret in clear");
        }
    }
    // Nor their hashes in the audit trail.
    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE coalesce(before, after) ? 'password_hash' OR coalesce(before, after) ? 'token_hash'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0);
}
