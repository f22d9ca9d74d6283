//! After the response: the review's figures against the timeline worked out by hand, the
//! warning lead time at an intake against the river trace, the investigation and corrective
//! actions (overdue flagged, done once), the refusals that write nothing, and the case library
//! finding the closed incident by its substance and medium.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::testing::TestServer;
use common::{ask, counts};
use onemap::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

/// Moves `column` of `table` row `id` to `t0` + `minutes`.
async fn at(server: &TestServer, table: &str, column: &str, id: i64, t0: DateTime<Utc>, minutes: i64) {
    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE {table} SET {column} = $2 WHERE id = $1")))
        .bind(id)
        .bind(t0 + Duration::minutes(minutes))
        .execute(&server.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_review_measures_the_response_from_its_timeline() {
    let server = TestServer::with_demo().await.unwrap();
    let command = server.token("市值班长", Role::Dispatcher, None).await.unwrap();
    // On the Yangtze where it enters the city: intakes lie downstream.
    let (x, y, own) = common::on_the_yangtze(&server.pool).await;
    // The call came in two hours ago (t0); the incident was opened from it.
    let t0 = Utc::now() - Duration::minutes(120);
    let (status, call_in) = ask(
        &server,
        &command,
        Method::POST,
        "/api/intake",
        Some(json!({"channel": "hotline_12369", "received_at": t0.to_rfc3339(), "point": [x, y], "what": "江面油污"})),
    )
    .await;
    assert_eq!(status, 201, "{call_in}");
    let (status, screened) = ask(
        &server,
        &command,
        Method::POST,
        &format!("/api/intake/{}/screen", call_in["id"]),
        Some(json!({"incident": {"name": "长江柴油泄漏", "kind": "water", "severity": "较大", "pollutant": "柴油"}})),
    )
    .await;
    assert_eq!(status, 200, "{screened}");
    let incident = screened["incident_id"].as_i64().unwrap();
    // The review waits for the end of the response.
    let review = format!("/api/incidents/{incident}/review");
    let before = counts(&server.pool).await;
    let (status, p) = ask(&server, &command, Method::PUT, &review, Some(json!({"lessons": "x"}))).await;
    assert_eq!(status, 409, "{p}");
    assert_eq!(counts(&server.pool).await, before);

    // The timeline, each step put at a known minute after t0.
    at(&server, "incident", "created_at", incident, t0, 5).await;
    let (status, _) = ask(
        &server,
        &command,
        Method::POST,
        &format!("/api/incidents/{incident}/phone-reports"),
        Some(json!({"called": "市局总值班室", "said": "长江柴油泄漏，已处置"})),
    )
    .await;
    assert_eq!(status, 201);
    sqlx::query("UPDATE phone_report SET called_at = $2 WHERE incident_id = $1")
        .bind(incident)
        .bind(t0 + Duration::minutes(20))
        .execute(&server.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO incident_report (incident_id, stage, number, content, author, submitted_at) \
         VALUES ($1, 'initial', 1, '{}', 'test', $2)",
    )
    .bind(incident)
    .bind(t0 + Duration::minutes(50))
    .execute(&server.pool)
    .await
    .unwrap();
    let (status, declared) = ask(
        &server,
        &command,
        Method::POST,
        &format!("/api/incidents/{incident}/response"),
        Some(json!({"level": "IV", "why": "柴油入江"})),
    )
    .await;
    assert_eq!(status, 200, "{declared}");
    sqlx::query("UPDATE response SET declared_at = $2 WHERE incident_id = $1")
        .bind(incident)
        .bind(t0 + Duration::minutes(15))
        .execute(&server.pool)
        .await
        .unwrap();
    let mut orders = Vec::new();
    for what in ["布设围油栏", "下游取水口加密监测"] {
        let (status, o) = ask(
            &server,
            &command,
            Method::POST,
            &format!("/api/incidents/{incident}/orders"),
            Some(json!({"what": what, "module": "containment", "to_kind": "user", "to_ref": "市值班长", "due_in_minutes": 60})),
        )
        .await;
        assert_eq!(status, 201, "{o}");
        orders.push(o["id"].as_i64().unwrap());
    }
    ask(&server, &command, Method::POST, &format!("/api/orders/{}/done", orders[0]), Some(json!({}))).await;
    // First: issued at 25, acknowledged at 28, done at 65 (due at 85). Second: issued at 30,
    // never acknowledged, due at 40: late.
    sqlx::query(
        "UPDATE response_order SET issued_at = $2 + interval '25 minutes', acknowledged_at = $2 + interval '28 minutes', \
           done_at = $2 + interval '65 minutes', due_at = $2 + interval '85 minutes' WHERE id = $1",
    )
    .bind(orders[0])
    .bind(t0)
    .execute(&server.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE response_order SET issued_at = $2 + interval '30 minutes', due_at = $2 + interval '40 minutes' WHERE id = $1")
        .bind(orders[1])
        .bind(t0)
        .execute(&server.pool)
        .await
        .unwrap();
    // A team arrived at 45; a depot's booms sent (and one dispatch cancelled, not counted).
    let (stock_id, item, unit): (i64, String, String) =
        sqlx::query_as("SELECT id, item, unit FROM stock_item WHERE quantity >= 10 ORDER BY id LIMIT 1")
            .fetch_one(&server.pool)
            .await
            .unwrap();
    for (team, status, arrived, quantity) in
        [(true, "arrived", Some(45), 0.0), (false, "en_route", None, 7.5), (false, "cancelled", None, 3.0)]
    {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO dispatch (incident_id, team_id, depot_id, travel_seconds, travel_metres, eta, status, arrived_at) \
             VALUES ($1, CASE WHEN $2 THEN (SELECT min(id) FROM team) END, \
                     CASE WHEN $2 THEN NULL ELSE (SELECT depot_id FROM stock_item WHERE id = $5) END, 600, 5000, now(), $3, $4) \
             RETURNING id",
        )
        .bind(incident)
        .bind(team)
        .bind(status)
        .bind(arrived.map(|m| t0 + Duration::minutes(m)))
        .bind(stock_id)
        .fetch_one(&server.pool)
        .await
        .unwrap();
        if !team {
            sqlx::query("INSERT INTO dispatch_item (dispatch_id, stock_item_id, item, unit, quantity) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(stock_id)
                .bind(&item)
                .bind(&unit)
                .bind(quantity)
                .execute(&server.pool)
                .await
                .unwrap();
        }
    }
    // The trace's first water intake was warned at 60.
    let (_, trace) = ask(
        &server,
        &command,
        Method::GET,
        &format!("/api/rivers/downstream?lon={x}&lat={y}&hours=72&max_snap_m=5000&near_m=1000"),
        None,
    )
    .await;
    let intakes: Vec<&Value> =
        trace["receptors"].as_array().unwrap().iter().filter(|r| r["kind"] == "water_intake").collect();
    assert!(!intakes.is_empty(), "{trace}");
    let warned = intakes[0]["id"].as_i64().unwrap();
    let warning: i64 = sqlx::query_scalar(
        "INSERT INTO warning (identifier, incident_id, kind, level, headline, area_desc, onset, expires, status, geom, \
           author, issued_at, issued_by) \
         VALUES ('test-review', $1, 'water', '黄', '长江柴油', '下游', now(), now() + interval '1 day', 'issued', \
           ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(106, 29.5), 4326), 0.1)), 'test', now(), 'test') RETURNING id",
    )
    .bind(incident)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO warning_recipient (warning_id, receptor_id, name, notified_at) VALUES ($1, $2, 'x', $3)")
        .bind(warning)
        .bind(warned)
        .bind(t0 + Duration::minutes(60))
        .execute(&server.pool)
        .await
        .unwrap();
    // Ended at 180.
    let (status, _) = ask(
        &server,
        &command,
        Method::POST,
        &format!("/api/incidents/{incident}/response"),
        Some(json!({"end": "油污已回收，下游监测达标"})),
    )
    .await;
    assert_eq!(status, 200);
    sqlx::query("UPDATE response SET ended_at = $2 WHERE incident_id = $1")
        .bind(incident)
        .bind(t0 + Duration::minutes(180))
        .execute(&server.pool)
        .await
        .unwrap();

    let (status, r) = ask(&server, &command, Method::GET, &review, None).await;
    assert_eq!(status, 200, "{r}");
    let f = &r["figures"];
    assert_eq!(r["over"], true);
    let figures: Vec<Option<f64>> = [
        "intake_to_incident_min",
        "phone_report_min",
        "written_report_min",
        "response_min",
        "first_order_min",
        "first_arrival_min",
        "response_duration_min",
    ]
    .iter()
    .map(|k| f[k].as_f64())
    .collect();
    assert_eq!(figures, [Some(5.0), Some(20.0), Some(50.0), Some(15.0), Some(25.0), Some(45.0), Some(165.0)], "{f}");
    let by_id = |id: i64| f["orders"].as_array().unwrap().iter().find(|o| o["id"] == id).unwrap().clone();
    let (first, second) = (by_id(orders[0]), by_id(orders[1]));
    assert_eq!(
        (first["ack_min"].as_f64(), first["done_min"].as_f64(), first["late"].as_bool()),
        (Some(3.0), Some(40.0), Some(false))
    );
    assert_eq!(
        (second["ack_min"].as_f64(), second["done_min"].as_f64(), second["late"].as_bool()),
        (None, None, Some(true))
    );
    assert_eq!((f["orders_done"].as_u64(), f["orders_late"].as_u64()), (Some(1), Some(1)));
    assert_eq!(f["stock_sent"], json!([{"item": item, "unit": unit, "quantity": 7.5}]));
    // The intake's lead: the trace's hours after t0, less the warning at 60.
    let lead = f["intakes"].as_array().unwrap().iter().find(|i| i["receptor_id"] == warned).unwrap();
    let expected = intakes[0]["hours"].as_f64().unwrap() * 60.0 - 60.0;
    assert!((lead["lead_min"].as_f64().unwrap() - expected).abs() < 0.2, "{lead} vs {expected}");
    assert!(
        f["intakes"].as_array().unwrap().iter().filter(|i| i["receptor_id"] != warned).all(|i| i["lead_min"].is_null())
    );

    // The investigation; refusals write nothing.
    let elsewhere: String = sqlx::query_scalar("SELECT code FROM district WHERE code <> $1 ORDER BY code LIMIT 1")
        .bind(&own)
        .fetch_one(&server.pool)
        .await
        .unwrap();
    let other = server.token("别区值班", Role::Dispatcher, Some(&elsewhere)).await.unwrap();
    let before = counts(&server.pool).await;
    assert_eq!(ask(&server, &other, Method::PUT, &review, Some(json!({"lessons": "x"}))).await.0, 403);
    for body in
        [json!({"losses": {"deaths": -1}}), json!({"losses": {"direct_loss_yuan": "lots"}}), json!({"mood": "x"})]
    {
        let (status, p) = ask(&server, &command, Method::PUT, &review, Some(body.clone())).await;
        assert!(status == 422 || status == 400, "{body}: {status} {p}");
    }
    let actions = format!("/api/incidents/{incident}/actions");
    for body in [
        json!({"what": "x", "owner": "y", "due_on": "2020-01-01"}),
        json!({"what": "", "owner": "y", "due_on": "2099-01-01"}),
        json!({"what": "x", "owner": "y", "due_on": "soon"}),
    ] {
        assert_eq!(ask(&server, &command, Method::POST, &actions, Some(body.clone())).await.0, 422, "{body}");
    }
    assert_eq!(counts(&server.pool).await, before);
    let (status, r) = ask(
        &server,
        &command,
        Method::PUT,
        &review,
        Some(json!({"cause": "槽罐车侧翻", "nature": "责任事件", "responsibility": "承运企业",
            "losses": {"deaths": 0, "injuries": 1, "evacuated": 0, "direct_loss_yuan": 120000.0}, "lessons": "危化品车辆事故后先封堵边沟"})),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["record"]["losses"]["injuries"], 1);
    let tomorrow = (Utc::now() + Duration::days(1)).format("%Y-%m-%d").to_string();
    let (status, action) = ask(
        &server,
        &command,
        Method::POST,
        &actions,
        Some(json!({"what": "增设边沟截流闸", "owner": "区交通局", "due_on": tomorrow})),
    )
    .await;
    assert_eq!(status, 201, "{action}");
    assert_eq!(action["overdue"], false);
    // Past its day and still open: flagged as the city's calendar says.
    sqlx::query("UPDATE corrective_action SET due_on = (now() AT TIME ZONE 'Asia/Shanghai')::date - 1 WHERE id = $1")
        .bind(action["id"].as_i64().unwrap())
        .execute(&server.pool)
        .await
        .unwrap();
    let (_, open) = ask(&server, &command, Method::GET, "/api/actions", None).await;
    let listed = open["actions"].as_array().unwrap().iter().find(|a| a["id"] == action["id"]).unwrap().clone();
    assert_eq!(listed["overdue"], true);
    let done = format!("/api/actions/{}/done", action["id"]);
    let (status, closed) = ask(&server, &command, Method::POST, &done, Some(json!({"note": "已建成"}))).await;
    assert_eq!((status, closed["overdue"].as_bool(), closed["status"].as_str()), (200, Some(false), Some("done")));
    assert_eq!(ask(&server, &command, Method::POST, &done, Some(json!({}))).await.0, 409);

    // Closed, it is a case: found by its substance and medium before the others, with its lessons.
    sqlx::query("UPDATE incident SET status = 'closed', closed_at = now() WHERE id = $1")
        .bind(incident)
        .execute(&server.pool)
        .await
        .unwrap();
    let (status, cases) = ask(&server, &command, Method::GET, "/api/cases?substance=柴油&medium=water", None).await;
    assert_eq!(status, 200, "{cases}");
    let cases = cases["cases"].as_array().unwrap();
    let scores: Vec<i64> = cases.iter().map(|c| c["score"].as_i64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let ours = cases.iter().find(|c| c["id"] == incident).unwrap_or_else(|| panic!("{cases:?}"));
    assert_eq!((ours["score"].as_i64(), ours["lessons"].as_str()), (Some(6), Some("危化品车辆事故后先封堵边沟")));
    assert_eq!((ours["written_report_min"].as_f64(), ours["first_arrival_min"].as_f64()), (Some(50.0), Some(45.0)));
    // Each score as SQL counts it: the substance 4, the medium 2.
    for c in cases {
        let (pollutant, medium): (Option<String>, String) =
            sqlx::query_as("SELECT pollutant, kind FROM incident WHERE id = $1")
                .bind(c["id"].as_i64().unwrap())
                .fetch_one(&server.pool)
                .await
                .unwrap();
        let expected = if pollutant.is_some_and(|p| p.contains("柴油") || "柴油".contains(p.as_str()) && !p.is_empty())
        {
            4
        } else {
            0
        } + if medium == "water" { 2 } else { 0 };
        assert_eq!(c["score"].as_i64(), Some(expected), "{c}");
    }
    let (_, excluded) =
        ask(&server, &command, Method::GET, &format!("/api/cases?substance=柴油&exclude={incident}"), None).await;
    assert!(excluded["cases"].as_array().unwrap().iter().all(|c| c["id"] != incident));
    for bad in ["medium=lava", "cause=boredom", "district=abc", "limit=0", "colour=red"] {
        assert_eq!(ask(&server, &command, Method::GET, &format!("/api/cases?{bad}"), None).await.0, 400, "{bad}");
    }
}
