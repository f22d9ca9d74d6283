//! The audit trail: an API write, an import, a dispatch and a plain-SQL update each leave
//! exactly one record per changed row, with the right actor and before/after; a refused or
//! rolled-back write leaves none; `GET /api/audit` and `onemap audit` read it.

mod common;

use std::process::Command;

use common::testing::{TestServer, url_of};
use common::{call_as, feature, point};
use onemap::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

/// Audit records after id `after`, oldest first: (table, row, op, actor, before, after).
async fn records_since(pool: &PgPool, after: i64) -> Vec<(String, i64, String, String, Value, Value)> {
    sqlx::query_as(
        "SELECT table_name, row_id, op, actor, coalesce(before, 'null'), coalesce(after, 'null') \
         FROM audit_log WHERE id > $1 ORDER BY id",
    )
    .bind(after)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn last_id(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM audit_log").fetch_one(pool).await.unwrap()
}

/// (table, row) pairs of the records, sorted, and whether each pair appears once.
fn rows_of(records: &[(String, i64, String, String, Value, Value)]) -> Vec<(String, i64)> {
    let mut rows: Vec<(String, i64)> = records.iter().map(|r| (r.0.clone(), r.1)).collect();
    rows.sort();
    let before = rows.len();
    rows.dedup();
    assert_eq!(rows.len(), before, "a row recorded twice: {records:?}");
    rows
}

#[tokio::test]
async fn api_writes_imports_dispatches_and_plain_sql_are_each_recorded_once_per_row() {
    let server = TestServer::with_demo().await.unwrap();
    let pool = &server.pool;
    let planner = server.token("a-planner", Role::Planner, None).await.unwrap();
    let dispatcher = server.token("a-dispatcher", Role::Dispatcher, None).await.unwrap();
    let call = |token: &str, method: Method, path: &str, body: Option<Value>| {
        let (token, url) = (token.to_string(), server.at(path));
        async move { call_as(Some(&token), method, &url, body).await }
    };

    // An API write.
    let mark = last_id(pool).await;
    let depot = feature(point(106.55, 29.56), json!({"name": "审计测试库", "tier": "district", "district": "渝中区"}));
    let (status, _, created) = call(&planner, Method::POST, "/api/layers/depot", Some(depot)).await;
    assert_eq!(status, 201);
    let id = created["id"].as_i64().unwrap();
    let got = records_since(pool, mark).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let (table, row, op, actor, before, after) = &got[0];
    assert_eq!((table.as_str(), *row, op.as_str(), actor.as_str()), ("depot", id, "insert", "a-planner"));
    assert_eq!((before, &after["name"]), (&Value::Null, &json!("审计测试库")));

    // A change: before and after.
    let mark = last_id(pool).await;
    let (status, _, _) =
        call(&planner, Method::PATCH, &format!("/api/layers/depot/{id}"), Some(json!({"name": "改名库"}))).await;
    assert_eq!(status, 200);
    let got = records_since(pool, mark).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].2.as_str(), &got[0].4["name"], &got[0].5["name"]),
        ("update", &json!("审计测试库"), &json!("改名库"))
    );

    // A risk source with substances: the database regrades it after each substance, and still
    // it is one record, showing its final grade.
    let mark = last_id(pool).await;
    let source = feature(
        point(106.6, 29.6),
        json!({"name": "审计化工", "m_air": "M2", "e_air": "E1", "substances": [
            {"name": "液氯", "quantity_t": 12, "threshold_t": 1, "medium": "air"},
            {"name": "氨", "quantity_t": 50, "threshold_t": 10, "medium": "air"}]}),
    );
    let (status, _, made) = call(&planner, Method::POST, "/api/layers/risk_source", Some(source)).await;
    assert_eq!(status, 201, "{made}");
    let got = records_since(pool, mark).await;
    let rows = rows_of(&got);
    assert_eq!(rows.iter().filter(|r| r.0 == "risk_source").count(), 1, "{got:?}");
    assert_eq!(rows.iter().filter(|r| r.0 == "risk_substance").count(), 2, "{got:?}");
    let record = got.iter().find(|r| r.0 == "risk_source").unwrap();
    assert_eq!(record.5["grade"], made["properties"]["grade"]);

    // A dispatch: the dispatches, what they carry, the stock rows reserved, the team sent.
    let incident: i64 =
        sqlx::query_scalar("SELECT id FROM incident WHERE status = 'open' LIMIT 1").fetch_one(pool).await.unwrap();
    let (_, _, plan) = call(
        &dispatcher,
        Method::POST,
        &format!("/api/incidents/{incident}/plan"),
        Some(json!({"demands": [{"item": "活性炭", "quantity": 30}, {"specialty": "hazmat", "count": 1}]})),
    )
    .await;
    let shipments: Vec<Value> = plan["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| match s.get("team_id").filter(|t| !t.is_null()) {
            Some(team) => json!({"team_id": team}),
            None => json!({"depot_id": s["depot_id"], "items": s["items"]}),
        })
        .collect();
    let mark = last_id(pool).await;
    let (status, _, sent) = call(
        &dispatcher,
        Method::POST,
        &format!("/api/incidents/{incident}/dispatch"),
        Some(json!({"shipments": shipments})),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let got = records_since(pool, mark).await;
    let rows = rows_of(&got);
    assert!(got.iter().all(|r| r.3 == "a-dispatcher"), "{got:?}");
    let dispatches: Vec<i64> =
        sent["dispatches"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect();
    let carried: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, stock_item_id FROM dispatch_item WHERE dispatch_id = ANY($1) ORDER BY id")
            .bind(&dispatches)
            .fetch_all(pool)
            .await
            .unwrap();
    let teams: Vec<i64> = sent["dispatches"].as_array().unwrap().iter().filter_map(|d| d["team_id"].as_i64()).collect();
    let mut expected: Vec<(String, i64)> = dispatches.iter().map(|d| ("dispatch".to_string(), *d)).collect();
    expected.extend(carried.iter().map(|(id, _)| ("dispatch_item".to_string(), *id)));
    expected.extend(carried.iter().map(|(_, stock)| ("stock_item".to_string(), *stock)));
    expected.extend(teams.iter().map(|t| ("team".to_string(), *t)));
    expected.sort();
    expected.dedup();
    assert_eq!(rows, expected);
    assert!(!teams.is_empty() && !carried.is_empty());
    let team = got.iter().find(|r| r.0 == "team").unwrap();
    assert_eq!((&team.4["status"], &team.5["status"]), (&json!("available"), &json!("dispatched")));

    // An import by the command line.
    let dir = std::env::temp_dir().join(format!("onemap-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("teams.csv");
    std::fs::write(
        &file,
        "name,specialties,headcount,lon,lat\n导入队一,hazmat,10,106.5,29.5\n导入队二,water,8,106.6,29.6\n",
    )
    .unwrap();
    let mark = last_id(pool).await;
    let url = url_of(pool).await.unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_onemap"))
        .args(["import", "team"])
        .arg(&file)
        .env("DATABASE_URL", &url)
        .env("USER", "audit-operator")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got = records_since(pool, mark).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(|r| r.0 == "team" && r.2 == "insert" && r.3 == "cli:audit-operator"), "{got:?}");

    // `onemap audit` prints them.
    let out = Command::new(env!("CARGO_BIN_EXE_onemap"))
        .args(["audit", "--table", "team", "--limit", "5"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(printed.contains("cli:audit-operator") && printed.contains("insert"), "{printed}");
    std::fs::remove_dir_all(&dir).unwrap();

    // Plain SQL: the database role is the actor.
    let mark = last_id(pool).await;
    sqlx::query("UPDATE depot SET contact = '023-0000' WHERE id = $1").bind(id).execute(pool).await.unwrap();
    let role: String = sqlx::query_scalar("SELECT session_user::text").fetch_one(pool).await.unwrap();
    let got = records_since(pool, mark).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].0.as_str(), got[0].3.as_str(), &got[0].5["contact"]),
        ("depot", role.as_str(), &json!("023-0000"))
    );
    let user_id: Option<i64> = sqlx::query_scalar("SELECT actor_user_id FROM audit_log ORDER BY id DESC LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(user_id, None);
}

#[tokio::test]
async fn refused_and_rolled_back_writes_leave_no_record() {
    let server = TestServer::with_demo().await.unwrap();
    let pool = &server.pool;
    let viewer = server.token("r-viewer", Role::Viewer, None).await.unwrap();
    let district = server.token("r-district", Role::Planner, Some("500112")).await.unwrap();
    let mark = last_id(pool).await;
    let depot = feature(point(106.55, 29.56), json!({"name": "不写库", "tier": "city"}));
    let url = server.at("/api/layers/depot");
    assert_eq!(call_as(Some(&viewer), Method::POST, &url, Some(depot.clone())).await.0, 403);
    assert_eq!(call_as(None, Method::POST, &url, Some(depot.clone())).await.0, 401);
    // Written, then refused by the jurisdiction check inside the transaction: rolled back.
    assert_eq!(call_as(Some(&district), Method::POST, &url, Some(depot)).await.0, 403);
    // Invalid, and a duplicate district code found only by the database.
    let bad = feature(point(106.55, 29.56), json!({"name": "", "tier": "city"}));
    assert_eq!(call_as(Some(&server.admin_token), Method::POST, &url, Some(bad)).await.0, 422);
    let taken = feature(common::square(106.5, 29.5, 0.1), json!({"code": "500112", "name": "重复区"}));
    let (status, _, problem) =
        call_as(Some(&server.admin_token), Method::POST, &server.at("/api/layers/district"), Some(taken)).await;
    assert_eq!(status, 409, "{problem}");
    // A psql transaction rolled back.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("UPDATE depot SET name = 'rolled back'").execute(&mut *tx).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(records_since(pool, mark).await, vec![]);

    // In one transaction: an insert then delete leaves nothing; two updates leave one record
    // from the first state to the last.
    let mut tx = pool.begin().await.unwrap();
    let temp: i64 =
        sqlx::query_scalar("INSERT INTO expert (name, specialties) VALUES ('临时专家', ARRAY['air']) RETURNING id")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    sqlx::query("DELETE FROM expert WHERE id = $1").bind(temp).execute(&mut *tx).await.unwrap();
    let depot: (i64, String) =
        sqlx::query_as("SELECT id, name FROM depot ORDER BY id LIMIT 1").fetch_one(&mut *tx).await.unwrap();
    sqlx::query("UPDATE depot SET name = 'first' WHERE id = $1").bind(depot.0).execute(&mut *tx).await.unwrap();
    sqlx::query("UPDATE depot SET name = 'second' WHERE id = $1").bind(depot.0).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let got = records_since(pool, mark).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0].0.as_str(), &got[0].4["name"], &got[0].5["name"]), ("depot", &json!(depot.1), &json!("second")));
}

#[tokio::test]
async fn the_audit_api_pages_filters_and_keeps_districts_to_themselves() {
    let server = TestServer::with_demo().await.unwrap();
    let planner = server.token("p-planner", Role::Planner, None).await.unwrap();
    let district = server.token("p-district", Role::Planner, Some("500112")).await.unwrap();
    let viewer = server.token("p-viewer", Role::Viewer, None).await.unwrap();
    let dispatcher = server.token("p-dispatcher", Role::Dispatcher, None).await.unwrap();
    let started = chrono::Utc::now();
    let mut ids = Vec::new();
    for (i, (lon, lat)) in [(106.63, 29.72), (107.39, 29.70), (106.64, 29.73)].into_iter().enumerate() {
        let depot = feature(point(lon, lat), json!({"name": format!("翻页库{i}"), "tier": "district"}));
        let (_, _, made) = call_as(Some(&planner), Method::POST, &server.at("/api/layers/depot"), Some(depot)).await;
        ids.push(made["id"].as_i64().unwrap());
    }
    let get = |token: &str, query: &str| {
        let (token, url) = (token.to_string(), server.at(&format!("/api/audit{query}")));
        async move { call_as(Some(&token), Method::GET, &url, None).await }
    };

    // Newest first, a page at a time, following `next`.
    let (status, _, page) = get(&server.admin_token, "?table=depot&actor=p-planner&limit=2").await;
    assert_eq!(status, 200, "{page}");
    let first: Vec<i64> = page["records"].as_array().unwrap().iter().map(|r| r["row_id"].as_i64().unwrap()).collect();
    assert_eq!(first, vec![ids[2], ids[1]]);
    let next = page["links"][0]["href"].as_str().unwrap().to_string();
    let (_, _, page) = get(&server.admin_token, next.trim_start_matches("/api/audit")).await;
    let second: Vec<i64> = page["records"].as_array().unwrap().iter().map(|r| r["row_id"].as_i64().unwrap()).collect();
    assert_eq!(second, vec![ids[0]]);
    assert!(page["links"].as_array().unwrap().is_empty());
    let (_, _, one) = get(&server.admin_token, &format!("?table=depot&id={}", ids[1])).await;
    assert_eq!(one["records"].as_array().unwrap().len(), 1);
    assert_eq!(one["records"][0]["after"]["name"], "翻页库1");
    let since = started.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (_, _, recent) = get(&server.admin_token, &format!("?since={}", since.replace('+', "%2B"))).await;
    assert_eq!(recent["records"].as_array().unwrap().len(), 3, "the three depots: {recent}");
    let (_, _, none) = get(&server.admin_token, &format!("?until={}", since.replace('+', "%2B"))).await;
    assert!(
        none["records"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["table"] != "depot" || !ids.contains(&r["row_id"].as_i64().unwrap()))
    );

    // A district planner sees their district (渝北区: depots 0 and 2), not users.
    let (status, _, theirs) = get(&district, "?table=depot&actor=p-planner").await;
    assert_eq!(status, 200);
    let seen: Vec<i64> = theirs["records"].as_array().unwrap().iter().map(|r| r["row_id"].as_i64().unwrap()).collect();
    assert_eq!(seen, vec![ids[2], ids[0]]);
    let (_, _, users) = get(&planner, "?table=app_user").await;
    assert_eq!(users["records"], json!([]));
    let (_, _, users) = get(&server.admin_token, "?table=app_user").await;
    assert!(users["records"].as_array().unwrap().len() >= 4);
    assert!(users["records"].as_array().unwrap().iter().all(|r| r["after"].get("password_hash").is_none()));

    // Others may not; bad parameters are 400.
    assert_eq!(get(&viewer, "").await.0, 403);
    assert_eq!(get(&dispatcher, "").await.0, 403);
    for bad in ["?table=nothing", "?id=3", "?since=yesterday", "?limit=0", "?limit=5000", "?before=-1", "?colour=red"] {
        let (status, content_type, problem) = get(&server.admin_token, bad).await;
        assert_eq!((status.as_u16(), content_type.as_str()), (400, "application/problem+json"), "{bad}: {problem}");
    }
}
