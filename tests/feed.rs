//! The live feed loses nothing: numbered events, replayed after a dropped connection or a
//! server restart from the log, in order, for writes through the API and by plain SQL alike.

mod common;

use std::time::Duration;

use common::serve::Process;
use common::sse::{SseEvent, SseStream};
use common::testing::{TestServer, database, new_token, url_of};
use common::{call_as, sample};
use onemap::api::ServerConfig;
use onemap::auth::Role;
use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;

const WAIT: Duration = Duration::from_secs(10);

async fn serve(pool: &PgPool) -> Process {
    Process::start(&url_of(pool).await.unwrap(), &["--deadline-check-s", "1"]).await
}

async fn log_ids_after(pool: &PgPool, after: i64) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM event_log WHERE id > $1 ORDER BY id").bind(after).fetch_all(pool).await.unwrap()
}

#[tokio::test]
async fn a_client_that_reconnects_after_a_restart_gets_exactly_what_it_missed() {
    let pool = database().await.unwrap();
    let token = new_token(&pool, "desk", Role::Admin, None).await.unwrap();
    let server = serve(&pool).await;
    let events = format!("{}/api/events", server.url);

    let mut stream = SseStream::open(&events, &token, None).await;
    let ready = stream.next(WAIT).await.unwrap();
    assert_eq!(ready.event, "ready");
    assert_eq!(stream.headers()["x-accel-buffering"], "no");
    let (status, _, team) =
        call_as(Some(&token), Method::POST, &format!("{}/api/layers/team", server.url), Some(sample("team", 0, 0)))
            .await;
    assert_eq!(status, 201, "{team}");
    let seen = stream.until(WAIT, |e| e.event == "change" && e.data["layer"] == "team").await;
    let last = seen.last().unwrap();
    assert_eq!(last.data["ids"], json!([team["id"]]));
    assert_eq!(last.data["actor"], "desk");
    let last_seen = last.id.unwrap();
    drop(stream);

    // Missed while disconnected: an incident and its initial report through the API, a
    // district by plain SQL; then the server stops, and more changes come by plain SQL.
    let (status, _, incident) = call_as(
        Some(&token),
        Method::POST,
        &format!("{}/api/layers/incident", server.url),
        Some(sample("incident", 0, 0)),
    )
    .await;
    assert_eq!(status, 201, "{incident}");
    let incident_id = incident["id"].as_i64().unwrap();
    let report = json!({"stage": "initial", "summary": "s", "casualties": {}, "measures": "m", "reporting_unit": "u",
                        "contact": "c", "threatened": [], "submit": true});
    let (status, _, _) = call_as(
        Some(&token),
        Method::POST,
        &format!("{}/api/incidents/{incident_id}/reports", server.url),
        Some(report),
    )
    .await;
    assert_eq!(status, 201);
    sqlx::query("INSERT INTO district (code, name, geom) VALUES ('500101', '万州区', ST_Multi(ST_MakeEnvelope(108, 30, 109, 31, 4326)))")
        .execute(&pool)
        .await
        .unwrap();
    drop(server);
    sqlx::query("UPDATE team SET status = 'off_duty'").execute(&pool).await.unwrap();
    sqlx::query("UPDATE incident SET severity = '重大'").execute(&pool).await.unwrap();
    let missed = log_ids_after(&pool, last_seen).await;
    assert!(missed.len() >= 7, "the log holds what was missed: {missed:?}");

    let server = serve(&pool).await;
    let mut stream = SseStream::open(&format!("{}/api/events", server.url), &token, Some(last_seen)).await;
    let mut got: Vec<SseEvent> = Vec::new();
    while got.len() < missed.len() {
        got.push(stream.next(WAIT).await.unwrap_or_else(|| panic!("missed events did not come: {got:?}")));
    }
    let ids: Vec<i64> = got.iter().map(|e| e.id.unwrap()).collect();
    assert_eq!(ids, missed, "exactly the missed events, in order");
    let kinds: Vec<&str> = got.iter().map(|e| e.event.as_str()).collect();
    for kind in ["change", "incident", "report"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let by_sql = got.iter().find(|e| e.data["layer"] == "district").unwrap();
    assert_eq!(by_sql.data["op"], "insert");
    let escalated = got.iter().find(|e| e.event == "incident" && e.data["severity_from"] == "较大").unwrap();
    assert_eq!(escalated.data["severity"], "重大");
    assert_eq!(got.iter().find(|e| e.event == "report").unwrap().data["incident_id"], incident_id);

    // Then the live ones.
    sqlx::query("DELETE FROM team").execute(&pool).await.unwrap();
    let live = stream.next(WAIT).await.unwrap();
    assert_eq!((live.event.as_str(), live.data["op"].as_str()), ("change", Some("delete")));
    assert_eq!(live.id.unwrap(), missed.last().unwrap() + 1);
    drop(server);
}

#[tokio::test]
async fn two_hundred_clients_all_hear_a_change() {
    // A hall of 200 screens on one account, from one address: limits raised to let them in.
    let streams = onemap::api::events::StreamLimits { per_user: 200, per_address: 200, total: 1000 };
    let server = TestServer::with_config(onemap::api::ServerConfig { streams, ..Default::default() }).await.unwrap();
    let token = server.admin_token.clone();
    let url = server.at("/api/events");
    let mut streams = Vec::new();
    for _ in 0..200 {
        let mut s = SseStream::open(&url, &token, None).await;
        assert_eq!(s.next(WAIT).await.unwrap().event, "ready");
        streams.push(s);
    }
    let (status, _, team) =
        call_as(Some(&token), Method::POST, &server.at("/api/layers/team"), Some(sample("team", 0, 0))).await;
    assert_eq!(status, 201);
    let heard = futures_util::future::join_all(streams.iter_mut().map(|s| async {
        s.until(WAIT, |e| e.event == "change" && e.data["layer"] == "team").await.last().unwrap().data["ids"].clone()
    }))
    .await;
    assert_eq!(heard.len(), 200);
    assert!(heard.iter().all(|ids| *ids == json!([team["id"]])), "{heard:?}");
}

#[tokio::test]
async fn unknown_or_forgotten_ids_get_a_reload_and_bad_ones_a_problem() {
    let server = TestServer::start().await.unwrap();
    let token = server.admin_token.clone();
    let url = server.at("/api/events");
    for _ in 0..3 {
        let (status, _, _) =
            call_as(Some(&token), Method::POST, &server.at("/api/layers/team"), Some(sample("team", 0, 0))).await;
        assert_eq!(status, 201);
    }
    let newest: i64 = sqlx::query_scalar("SELECT max(id) FROM event_log").fetch_one(&server.pool).await.unwrap();

    // From the start: everything, then nothing more.
    let mut all = SseStream::open(&url, &token, Some(0)).await;
    let got = all.until(WAIT, |e| e.id == Some(newest)).await;
    assert_eq!(got.iter().map(|e| e.id.unwrap()).collect::<Vec<_>>(), log_ids_after(&server.pool, 0).await);

    // An id from another database (after a restore): reload.
    let mut ahead = SseStream::open(&url, &token, Some(newest + 1000)).await;
    assert_eq!(ahead.next(WAIT).await.unwrap().event, "reload");
    // Events no longer kept: reload.
    sqlx::query("DELETE FROM event_log WHERE id < $1").bind(newest).execute(&server.pool).await.unwrap();
    let mut behind = SseStream::open(&url, &token, Some(0)).await;
    let first = behind.next(WAIT).await.unwrap();
    assert_eq!(first.event, "reload", "{first:?}");

    for bad in ["abc", "-1", "1.5"] {
        let (status, _, p) = call_as(Some(&token), Method::GET, &format!("{url}?after={bad}"), None).await;
        assert_eq!(status, 400, "{bad}: {p}");
    }
    let response =
        reqwest::Client::new().get(&url).bearer_auth(&token).header("last-event-id", "x").send().await.unwrap();
    assert_eq!(response.status(), 400);
    // No credential, no feed.
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 401);
}

#[tokio::test]
async fn a_passed_deadline_is_announced_once() {
    let config = ServerConfig { deadline_check: Duration::from_millis(200), ..Default::default() };
    let server = TestServer::with_config(config).await.unwrap();
    let token = server.admin_token.clone();
    let mut stream = SseStream::open(&server.at("/api/events"), &token, None).await;
    let five_hours_ago = (chrono::Utc::now() - chrono::Duration::hours(5)).to_rfc3339();
    let mut late = sample("incident", 0, 0);
    late["properties"]["severity"] = "一般".into();
    late["properties"]["occurred_at"] = five_hours_ago.clone().into();
    late["properties"]["discovered_at"] = five_hours_ago.into();
    let (status, _, incident) =
        call_as(Some(&token), Method::POST, &server.at("/api/layers/incident"), Some(late)).await;
    assert_eq!(status, 201, "{incident}");
    let got = stream.until(WAIT, |e| e.event == "report_due").await;
    let due = got.last().unwrap();
    assert_eq!(due.data["incident_id"], incident["id"]);
    assert_eq!(due.data["what"], "initial_overdue");
    assert_eq!(due.data["actor"], "onemap:deadlines");
    // Several checks later, still once.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let told: i64 = sqlx::query_scalar("SELECT count(*) FROM event_log WHERE kind = 'report_due'")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    assert_eq!(told, 1);
}
