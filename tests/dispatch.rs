//! Incidents, plans and dispatches on the Chongqing demo data: plans agree with the ranking by
//! road, priorities decide between incidents, commits never reserve more than is free (also
//! with 200 dispatchers at once), status changes move stock, bad input changes nothing.

mod common;

use common::testing::TestServer;
use common::{expect_problem, get, post};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

const CHANGSHOU: [f64; 2] = [107.08, 29.86];

async fn incident(server: &TestServer, at: [f64; 2], severity: &str) -> i64 {
    let (status, created) = post(
        &server.at("/api/layers/incident"),
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": at},
               "properties": {"name": "测试事件", "kind": "water", "severity": severity, "pollutant": "柴油"}}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

/// (stock row id → (quantity, reserved)) of every stock row.
async fn stock(pool: &PgPool) -> Vec<(i64, f64, f64)> {
    sqlx::query_as("SELECT id, quantity, reserved FROM stock_item ORDER BY id").fetch_all(pool).await.unwrap()
}

/// Puts `quantity` of a test item at each of `depots`.
async fn stock_up(server: &TestServer, item: &str, depots: &[i64], quantity: f64) {
    for d in depots {
        let (status, body) = post(
            &server.at(&format!("/api/depots/{d}/stock")),
            json!({"category": "collection", "item": item, "unit": "kg", "quantity": quantity}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
}

/// Depot ids ranked by /api/nearest from `at` for `item`, with their travel seconds.
async fn ranking(server: &TestServer, at: [f64; 2], item: &str) -> Vec<(i64, f64)> {
    let (status, body) =
        post(&server.at("/api/nearest"), json!({"point": at, "find": "depot", "item": item, "count": 100})).await;
    assert_eq!(status, 200, "{body}");
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_i64().unwrap(), r["seconds"].as_f64().unwrap()))
        .collect()
}

#[tokio::test]
async fn a_plan_takes_the_nearest_stock_first_and_reports_the_shortfall() {
    let server = TestServer::with_demo().await.unwrap();
    let id = incident(&server, CHANGSHOU, "较大").await;
    let ranked = ranking(&server, CHANGSHOU, "活性炭").await;
    let free: Vec<(i64, f64)> = sqlx::query_as(
        "SELECT depot_id, sum(quantity - reserved) FROM stock_item WHERE item = '活性炭' GROUP BY depot_id",
    )
    .fetch_all(&server.pool)
    .await
    .unwrap();
    let free_at = |d: i64| free.iter().find(|f| f.0 == d).map_or(0.0, |f| f.1);
    // Ask for a bit more than the two nearest hold: the third gives the rest.
    let wanted = free_at(ranked[0].0) + free_at(ranked[1].0) + 1.0;
    let (status, plan) = post(
        &server.at(&format!("/api/incidents/{id}/plan")),
        json!({"demands": [{"item": "活性炭", "quantity": wanted}, {"specialty": "hazmat", "count": 1}]}),
    )
    .await;
    assert_eq!(status, 200, "{plan}");
    let carbon = &plan["demands"][0];
    let from: Vec<(i64, f64, f64)> = carbon["from"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["depot_id"].as_i64().unwrap(), f["quantity"].as_f64().unwrap(), f["seconds"].as_f64().unwrap()))
        .collect();
    let expected = vec![
        (ranked[0].0, free_at(ranked[0].0), ranked[0].1),
        (ranked[1].0, free_at(ranked[1].0), ranked[1].1),
        (ranked[2].0, 1.0, ranked[2].1),
    ];
    for (got, want) in from.iter().zip(&expected) {
        assert_eq!(got.0, want.0);
        assert!((got.1 - want.1).abs() < 1e-6 && (got.2 - want.2).abs() < 0.11, "{got:?} vs {want:?}");
    }
    assert_eq!(from.len(), 3);
    assert_eq!(carbon["met"].as_f64().unwrap(), wanted);
    assert_eq!(carbon["seconds"].as_f64().unwrap(), ranked[2].1);
    // The nearest available hazmat team (by /api/nearest) goes.
    let (_, teams) = post(
        &server.at("/api/nearest"),
        json!({"point": CHANGSHOU, "find": "team", "specialty": "hazmat", "count": 1}),
    )
    .await;
    assert_eq!(plan["demands"][1]["from"][0]["team_id"], teams["results"][0]["id"]);
    // Shipments: one per depot or team, with a route.
    assert_eq!(plan["shipments"].as_array().unwrap().len(), 4);

    // Far more than exists: everything reachable is given, the rest is short.
    let total: f64 = ranked.iter().map(|r| free_at(r.0)).sum();
    let (_, short) = post(
        &server.at(&format!("/api/incidents/{id}/plan")),
        json!({"demands": [{"item": "活性炭", "quantity": total + 100.0}]}),
    )
    .await;
    assert!((short["demands"][0]["met"].as_f64().unwrap() - total).abs() < 1e-6);
    assert!((short["demands"][0]["short"].as_f64().unwrap() - 100.0).abs() < 1e-6);
}

#[tokio::test]
async fn a_higher_priority_incident_gets_the_nearer_stock_though_listed_last() {
    let server = TestServer::with_demo().await.unwrap();
    let ranked = ranking(&server, CHANGSHOU, "活性炭").await;
    let (near, far) = (ranked[0].0, ranked[5].0);
    stock_up(&server, "测试吸附棉", &[near, far], 10.0).await;
    let minor = incident(&server, CHANGSHOU, "一般").await;
    let major = incident(&server, CHANGSHOU, "特别重大").await;
    let demand = json!([{"item": "测试吸附棉", "quantity": 10}]);
    let (status, plan) = post(
        &server.at("/api/plan"),
        json!({"incidents": [{"id": minor, "demands": demand}, {"id": major, "demands": demand}]}),
    )
    .await;
    assert_eq!(status, 200, "{plan}");
    let depot_of = |plan: &Value, i: usize| plan["incidents"][i]["demands"][0]["from"][0]["depot_id"].as_i64().unwrap();
    assert_eq!(plan["incidents"][1]["priority"], 4);
    assert_eq!((depot_of(&plan, 1), depot_of(&plan, 0)), (near, far));
    // An explicit priority overrides the severity.
    let (_, plan) = post(
        &server.at("/api/plan"),
        json!({"incidents": [{"id": minor, "priority": 9, "demands": demand}, {"id": major, "demands": demand}]}),
    )
    .await;
    assert_eq!((depot_of(&plan, 0), depot_of(&plan, 1)), (near, far));
}

#[tokio::test]
async fn a_dispatch_reserves_and_status_changes_move_the_stock() {
    let server = TestServer::with_demo().await.unwrap();
    let id = incident(&server, CHANGSHOU, "重大").await;
    let (_, plan) = post(
        &server.at(&format!("/api/incidents/{id}/plan")),
        json!({"demands": [{"item": "活性炭", "quantity": 30}, {"item": "吸油毡", "quantity": 50},
                           {"specialty": "hazmat", "count": 1}]}),
    )
    .await;
    let before = stock(&server.pool).await;
    let (status, done) =
        post(&server.at(&format!("/api/incidents/{id}/dispatch")), json!({"shipments": plan["shipments"]})).await;
    assert_eq!(status, 201, "{done}");
    let after = stock(&server.pool).await;
    let reserved = |s: &[(i64, f64, f64)]| s.iter().map(|r| r.2).sum::<f64>();
    assert!((reserved(&after) - reserved(&before) - 80.0).abs() < 1e-9);
    let team = plan["demands"][2]["from"][0]["team_id"].as_i64().unwrap();
    let team_status: String =
        sqlx::query_scalar("SELECT status FROM team WHERE id = $1").bind(team).fetch_one(&server.pool).await.unwrap();
    assert_eq!(team_status, "dispatched");
    let (_, list) = get(&server.at(&format!("/api/incidents/{id}/dispatches"))).await;
    let dispatches = list["dispatches"].as_array().unwrap();
    assert_eq!(dispatches.len(), plan["shipments"].as_array().unwrap().len());
    // The ETA is the plan's travel time.
    for (d, s) in dispatches.iter().zip(plan["shipments"].as_array().unwrap()) {
        assert!((d["travel_seconds"].as_f64().unwrap() - s["seconds"].as_f64().unwrap()).abs() < 0.1);
    }

    let depot_dispatch = dispatches.iter().find(|d| d["depot_id"].is_i64()).unwrap();
    let did = depot_dispatch["id"].as_i64().unwrap();
    let carried: f64 =
        depot_dispatch["items"].as_array().unwrap().iter().map(|i| i["quantity"].as_f64().unwrap()).sum();
    let totals = |s: &[(i64, f64, f64)]| (s.iter().map(|r| r.1).sum::<f64>(), reserved(s));
    let url = server.at(&format!("/api/dispatches/{did}"));
    expect_problem(Method::PATCH, &url, Some(json!({"status": "returned"})), 409).await;
    expect_problem(Method::PATCH, &url, Some(json!({"status": "lost"})), 422).await;
    let mut previous = totals(&stock(&server.pool).await);
    for (step, dq, dr) in [("en_route", 0.0, 0.0), ("arrived", -carried, -carried), ("returned", carried, 0.0)] {
        let (status, _, body) = common::call(Method::PATCH, &url, Some(json!({"status": step}))).await;
        assert_eq!(status, 200, "{step}: {body}");
        assert_eq!(body["status"], step);
        let now = totals(&stock(&server.pool).await);
        assert!((now.0 - previous.0 - dq).abs() < 1e-6 && (now.1 - previous.1 - dr).abs() < 1e-6, "{step}: {now:?}");
        previous = now;
    }
    expect_problem(Method::PATCH, &url, Some(json!({"status": "consumed"})), 409).await;
    // A team comes back: available again; a team cannot be consumed.
    let team_dispatch = dispatches.iter().find(|d| d["team_id"].is_i64()).unwrap();
    let turl = server.at(&format!("/api/dispatches/{}", team_dispatch["id"]));
    assert_eq!(common::call(Method::PATCH, &turl, Some(json!({"status": "arrived"}))).await.0, 200);
    expect_problem(Method::PATCH, &turl, Some(json!({"status": "consumed"})), 409).await;
    assert_eq!(common::call(Method::PATCH, &turl, Some(json!({"status": "returned"}))).await.0, 200);
    let team_status: String =
        sqlx::query_scalar("SELECT status FROM team WHERE id = $1").bind(team).fetch_one(&server.pool).await.unwrap();
    assert_eq!(team_status, "available");
    // Cancelling releases what is still reserved.
    let depot = depot_dispatch["depot_id"].clone();
    let (status, more) = post(
        &server.at(&format!("/api/incidents/{id}/dispatch")),
        json!({"shipments": [{"depot_id": depot, "items": [{"item": "活性炭", "unit": "t", "quantity": 2.5}]}]}),
    )
    .await;
    assert_eq!(status, 201, "{more}");
    let reserved_before = reserved(&stock(&server.pool).await);
    let cancel = server.at(&format!("/api/dispatches/{}", more["dispatches"][0]["id"]));
    assert_eq!(common::call(Method::PATCH, &cancel, Some(json!({"status": "cancelled"}))).await.0, 200);
    assert!((reserved_before - reserved(&stock(&server.pool).await) - 2.5).abs() < 1e-6);
}

#[tokio::test]
async fn two_hundred_dispatchers_at_once_never_reserve_more_than_is_free() {
    let server = TestServer::with_demo().await.unwrap();
    let id = incident(&server, CHANGSHOU, "重大").await;
    let depots: Vec<i64> = ranking(&server, CHANGSHOU, "活性炭").await.iter().take(3).map(|r| r.0).collect();
    stock_up(&server, "测试围油栏", &depots, 100.0).await;
    let item_rows = || async {
        let rows: Vec<(i64, f64, f64)> = sqlx::query_as(
            "SELECT depot_id, quantity, reserved FROM stock_item WHERE item = '测试围油栏' ORDER BY depot_id",
        )
        .fetch_all(&server.pool)
        .await
        .unwrap();
        rows
    };
    let url = server.at(&format!("/api/incidents/{id}/dispatch"));
    let mut random = onemap::random::Random(2026);
    let mut requests = Vec::new();
    for _ in 0..200 {
        // One to three of the depots, 1–9 kg each: together far more than the 300 kg there are.
        let mut shipments = Vec::new();
        for d in &depots {
            if random.below(2) == 0 {
                let quantity = 1 + random.below(9);
                shipments.push(
                    json!({"depot_id": d, "items": [{"item": "测试围油栏", "unit": "kg", "quantity": quantity}]}),
                );
            }
        }
        let shipments = if shipments.is_empty() {
            vec![json!({"depot_id": depots[0], "items": [{"item": "测试围油栏", "unit": "kg", "quantity": 5}]})]
        } else {
            shipments
        };
        requests.push(shipments);
    }
    let tasks: Vec<_> = requests
        .iter()
        .cloned()
        .map(|shipments| {
            let url = url.clone();
            tokio::spawn(async move { post(&url, json!({"shipments": shipments})).await })
        })
        .collect();
    let mut committed = vec![0.0; depots.len()];
    let (mut ok, mut refused) = (0, 0);
    for (task, shipments) in tasks.into_iter().zip(&requests) {
        let (status, body) = task.await.unwrap();
        match status.as_u16() {
            201 => {
                ok += 1;
                for s in shipments {
                    let d = depots.iter().position(|d| *d == s["depot_id"].as_i64().unwrap()).unwrap();
                    committed[d] += s["items"][0]["quantity"].as_f64().unwrap();
                }
            }
            409 => {
                refused += 1;
                // The refusal names what is short with the amount free at that moment.
                let short = body["short"].as_array().unwrap();
                assert!(!short.is_empty(), "{body}");
                for s in short {
                    assert!(s["free"].as_f64().unwrap() < s["requested"].as_f64().unwrap());
                }
            }
            other => panic!("status {other}: {body}"),
        }
    }
    assert_eq!(ok + refused, 200);
    assert!(ok > 10 && refused > 10, "{ok} committed, {refused} refused");
    for (depot, quantity, reserved) in item_rows().await {
        let committed = committed[depots.iter().position(|d| *d == depot).unwrap()];
        assert_eq!(quantity, 100.0, "quantity unchanged");
        assert!((reserved - committed).abs() < 1e-9, "depot {depot}: reserved {reserved} = committed {committed}");
        assert!(reserved <= quantity);
    }
    let carried: f64 = sqlx::query_scalar(
        "SELECT sum(i.quantity) FROM dispatch_item i JOIN dispatch d ON d.id = i.dispatch_id WHERE d.incident_id = $1",
    )
    .bind(id)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert!((carried - committed.iter().sum::<f64>()).abs() < 1e-9);
}

#[tokio::test]
async fn bad_plans_and_dispatches_are_refused_and_change_nothing() {
    let server = TestServer::with_demo().await.unwrap();
    let id = incident(&server, CHANGSHOU, "较大").await;
    let plan = server.at(&format!("/api/incidents/{id}/plan"));
    let before = stock(&server.pool).await;
    for (body, status, field) in [
        (json!({"demands": [{"item": "活性炭", "quantity": 0}]}), 422, "demands[0].quantity"),
        (json!({"demands": [{"item": "活性炭", "quantity": -3}]}), 422, "demands[0].quantity"),
        (json!({"demands": [{"item": "不存在的物资", "quantity": 3}]}), 422, "demands[0].item"),
        (json!({"demands": [{"item": "活性炭", "quantity": 3, "unit": "kg"}]}), 422, "demands[0].unit"),
        (json!({"demands": [{"category": "poison", "quantity": 3}]}), 422, "demands[0].category"),
        (json!({"demands": [{"specialty": "hazmat", "count": 0}]}), 422, "demands[0].count"),
        (json!({"demands": [{"specialty": "magic", "count": 1}]}), 422, "demands[0].specialty"),
        (json!({"demands": [{"item": "活性炭", "specialty": "hazmat", "quantity": 1}]}), 422, "demands[0]"),
        (json!({"demands": []}), 422, "demands"),
        (json!({"demands": [{"item": "活性炭", "quantity": 1}], "colour": "red"}), 422, "colour"),
        (
            json!({"demands": [{"item": "活性炭", "quantity": 1}],
                   "barriers": [{"type": "Polygon", "coordinates": [[[107, 29], [108, 30], [108, 29], [107, 30], [107, 29]]]}]}),
            422,
            "barriers[0]",
        ),
        (json!({"demands": [{"item": "活性炭", "quantity": 1}], "cutoff_minutes": -5}), 422, "cutoff_minutes"),
    ] {
        let problem = expect_problem(Method::POST, &plan, Some(body.clone()), status).await;
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    // A point far from every road.
    let remote = incident(&server, [110.9, 26.1], "一般").await;
    let problem = expect_problem(
        Method::POST,
        &server.at(&format!("/api/incidents/{remote}/plan")),
        Some(json!({"demands": [{"item": "活性炭", "quantity": 1}]})),
        422,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("no usable road"), "{problem}");
    expect_problem(
        Method::POST,
        &server.at("/api/incidents/999999/plan"),
        Some(json!({"demands": [{"item": "活性炭", "quantity": 1}]})),
        404,
    )
    .await;

    // A team that is not available: the whole dispatch is refused, the depot's stock untouched.
    let off_duty: i64 = sqlx::query_scalar("SELECT id FROM team WHERE status = 'off_duty' LIMIT 1")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    let depot = ranking(&server, CHANGSHOU, "活性炭").await[0].0;
    let dispatch = server.at(&format!("/api/incidents/{id}/dispatch"));
    let carbon = json!({"depot_id": depot, "items": [{"item": "活性炭", "unit": "t", "quantity": 1}]});
    let problem =
        expect_problem(Method::POST, &dispatch, Some(json!({"shipments": [carbon, {"team_id": off_duty}]})), 409).await;
    assert_eq!(problem["unavailable"][0]["team_id"], off_duty);
    for (body, field) in [
        (json!({"shipments": []}), "shipments"),
        (
            json!({"shipments": [{"depot_id": depot, "items": [{"item": "活性炭", "unit": "t", "quantity": -1}]}]}),
            "shipments[0].items[0].quantity",
        ),
        (json!({"shipments": [{"depot_id": depot, "team_id": off_duty}]}), "shipments[0]"),
        (json!({"shipments": [carbon, carbon]}), "shipments[1]"),
        (
            json!({"shipments": [{"depot_id": 999999, "items": [{"item": "活性炭", "unit": "t", "quantity": 1}]}]}),
            "shipments",
        ),
    ] {
        let problem = expect_problem(Method::POST, &dispatch, Some(body.clone()), 422).await;
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    // A closed incident: no plan, no dispatch.
    let (status, _, _) = common::call(
        Method::PATCH,
        &server.at(&format!("/api/layers/incident/{id}")),
        Some(json!({"status": "closed"})),
    )
    .await;
    assert_eq!(status, 200);
    expect_problem(Method::POST, &plan, Some(json!({"demands": [{"item": "活性炭", "quantity": 1}]})), 409).await;
    expect_problem(Method::POST, &dispatch, Some(json!({"shipments": [carbon]})), 409).await;
    assert_eq!(stock(&server.pool).await, before, "nothing reserved");
    let dispatched: i64 = sqlx::query_scalar("SELECT count(*) FROM dispatch WHERE incident_id = $1")
        .bind(id)
        .fetch_one(&server.pool)
        .await
        .unwrap();
    assert_eq!(dispatched, 0);
}
