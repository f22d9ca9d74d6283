//! Drills: scheduled from a plan's scenario by its district, started in exercise mode (an
//! incident marked as a drill, its response declared and the plan's orders issued as for real),
//! marked in every feed event and on the printed report, left out of the statistics, finished
//! with an evaluation whose findings flag the plan, evaluated with a response's figures, and
//! counted in the year's coverage; the refusals write nothing.

mod common;

use chrono::{Duration, Utc};
use common::testing::TestServer;
use common::{ask, counts};
use onemap::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

/// The count of incidents in the statistics, in all.
async fn counted(server: &TestServer, token: &str) -> i64 {
    let (status, stats) = ask(server, token, Method::GET, "/api/stats/incidents?by=kind", None).await;
    assert_eq!(status, 200, "{stats}");
    stats["total"]["count"].as_i64().unwrap_or_else(|| panic!("{stats}"))
}

#[tokio::test]
async fn a_drill_runs_as_a_response_marked_everywhere_and_out_of_the_statistics() {
    let server = TestServer::with_demo().await.unwrap();
    let rivers = std::sync::Arc::new(onemap::routing::rivers::load_rivers(&server.pool).await.unwrap());
    onemap::exchange::demo_plans::load(&server.pool, rivers, &common::testing::demo_dir()).await.unwrap();
    let (scenario, plan, district): (i64, i64, String) = sqlx::query_as(
        "SELECT s.id, p.id, p.district FROM plan_scenario s JOIN plan_version v ON v.id = s.version_id \
         JOIN plan p ON p.id = v.plan_id WHERE s.title = '液氯钢瓶泄漏' ORDER BY s.id LIMIT 1",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let measures: i64 =
        sqlx::query_scalar("SELECT jsonb_array_length(measures)::bigint FROM plan_scenario WHERE id = $1")
            .bind(scenario)
            .fetch_one(&server.pool)
            .await
            .unwrap();
    let duty = server.token("长寿演练员", Role::Dispatcher, Some(&district)).await.unwrap();
    let fuling = server.token("涪陵值班", Role::Dispatcher, Some("500102")).await.unwrap();
    let when = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let body = json!({"scenario_id": scenario, "scheduled_for": when, "participants": ["企业现场处置组", "区监测站"]});

    // Refused, nothing written: another district, a time long past, an unknown scenario.
    let before = counts(&server.pool).await;
    assert_eq!(ask(&server, &fuling, Method::POST, "/api/drills", Some(body.clone())).await.0, 403);
    for (bad, field) in [
        (
            json!({"scenario_id": scenario, "scheduled_for": (Utc::now() - Duration::days(3)).to_rfc3339()}),
            "scheduled_for",
        ),
        (json!({"scenario_id": 999999, "scheduled_for": when}), "scenario_id"),
        (json!({"scenario_id": scenario, "scheduled_for": "tomorrow"}), "scheduled_for"),
    ] {
        let (status, p) = ask(&server, &duty, Method::POST, "/api/drills", Some(bad.clone())).await;
        assert_eq!((status, p["field"].as_str()), (422, Some(field)), "{bad}: {p}");
    }
    assert_eq!(counts(&server.pool).await, before);

    let (status, drill) = ask(&server, &duty, Method::POST, "/api/drills", Some(body)).await;
    assert_eq!(status, 201, "{drill}");
    assert_eq!((drill["status"].as_str(), drill["plan_id"].as_i64()), (Some("scheduled"), Some(plan)));
    let id = drill["id"].as_i64().unwrap();
    assert_eq!(ask(&server, &duty, Method::POST, &format!("/api/drills/{id}/finish"), Some(json!({}))).await.0, 409);
    assert_eq!(ask(&server, &fuling, Method::POST, &format!("/api/drills/{id}/start"), Some(json!({}))).await.0, 403);

    // Started: an incident marked as a drill, its response and the scenario's orders.
    let statistics = counted(&server, &duty).await;
    let (status, running) =
        ask(&server, &duty, Method::POST, &format!("/api/drills/{id}/start"), Some(json!({}))).await;
    assert_eq!(status, 200, "{running}");
    assert_eq!(running["status"], "running");
    let incident = running["incident_id"].as_i64().unwrap();
    assert_eq!(ask(&server, &duty, Method::POST, &format!("/api/drills/{id}/start"), Some(json!({}))).await.0, 409);
    let (_, feature) = ask(&server, &duty, Method::GET, &format!("/api/layers/incident/{incident}"), None).await;
    assert_eq!(feature["properties"]["drill"], true, "{feature}");
    let (_, response) = ask(&server, &duty, Method::GET, &format!("/api/incidents/{incident}/response"), None).await;
    assert_eq!(response["level"], "IV");
    assert_eq!(response["orders"].as_array().unwrap().len() as i64, measures, "{response}");
    assert!(response["orders"].as_array().unwrap().iter().all(|o| o["drill"] == true), "{response}");
    // Out of the statistics; a real incident is in them.
    assert_eq!(counted(&server, &duty).await, statistics);
    let (status, _) = ask(
        &server,
        &duty,
        Method::POST,
        "/api/layers/incident",
        Some(json!({"type": "Feature", "geometry": feature["geometry"],
            "properties": {"name": "真实事件", "kind": "air", "severity": "一般"}})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(counted(&server, &duty).await, statistics + 1);
    // Marked in every event about it, and on the printed report.
    let (about, marked): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE data->>'drill' = 'true') FROM event_log \
         WHERE data->>'incident_id' = $1::text OR (kind = 'incident' AND data->>'id' = $1::text)",
    )
    .bind(incident)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert!(about >= 3, "{about} events");
    assert_eq!(marked, about);
    let unmarked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM event_log WHERE data->>'drill' = 'true' AND NOT \
         (data->>'incident_id' = $1::text OR (kind = 'incident' AND data->>'id' = $1::text))",
    )
    .bind(incident)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(unmarked, 0, "only the drill's events are marked");
    let page = reqwest::Client::new()
        .get(server.at(&format!("/api/incidents/{incident}/report.html")))
        .bearer_auth(&duty)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("本报告为应急演练所作"), "{page}");
    // A drill never becomes a real incident, nor the other way.
    assert!(
        sqlx::query("UPDATE incident SET drill = false WHERE id = $1")
            .bind(incident)
            .execute(&server.pool)
            .await
            .is_err()
    );
    let (status, _) = ask(
        &server,
        &duty,
        Method::PATCH,
        &format!("/api/layers/incident/{incident}"),
        Some(json!({"properties": {"drill": false}})),
    )
    .await;
    assert!(status == 422 || status == 400, "{status}");

    // An order answered; finished with the evaluation and a finding that flags the plan.
    let order = response["orders"][0]["id"].as_i64().unwrap();
    assert_eq!(
        ask(&server, &duty, Method::POST, &format!("/api/orders/{order}/acknowledge"), Some(json!({}))).await.0,
        200
    );
    let (status, done) = ask(
        &server,
        &duty,
        Method::POST,
        &format!("/api/drills/{id}/finish"),
        Some(json!({"evaluation": "处置组到位及时，喷淋启动偏慢", "findings": ["碱液喷淋启动流程需写明责任人"]})),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "done");
    assert_eq!(ask(&server, &duty, Method::POST, &format!("/api/drills/{id}/finish"), Some(json!({}))).await.0, 409);
    let (kind, with_incident, standing): (String, Option<i64>, String) = sqlx::query_as(
        "SELECT f.kind, f.incident_id, s.standing FROM plan_finding f JOIN plan_standing s ON s.plan_id = f.plan_id \
         WHERE f.plan_id = $1 ORDER BY f.id DESC LIMIT 1",
    )
    .bind(plan)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!((kind.as_str(), with_incident, standing.as_str()), ("drill", Some(incident), "revise"));
    let (ended, closed): (bool, String) = sqlx::query_as(
        "SELECT r.ended_at IS NOT NULL, i.status FROM response r JOIN incident i ON i.id = r.incident_id WHERE i.id = $1",
    )
    .bind(incident)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!((ended, closed.as_str()), (true, "closed"));

    // Evaluated with the figures of a response: the same as the incident's review.
    let (_, evaluated) = ask(&server, &duty, Method::GET, &format!("/api/drills/{id}"), None).await;
    let (_, review) = ask(&server, &duty, Method::GET, &format!("/api/incidents/{incident}/review"), None).await;
    let strip = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("orders");
        v
    };
    assert_eq!(strip(&evaluated["figures"]), strip(&review["figures"]));
    assert_eq!(evaluated["figures"]["orders"].as_array().unwrap().len() as i64, measures);
    assert!(evaluated["figures"]["first_order_min"].is_number(), "{evaluated}");

    // The year's drills and each plan in force with its drills: the coverage.
    let (_, year) = ask(&server, &duty, Method::GET, "/api/drills", None).await;
    assert!(year["drills"].as_array().unwrap().iter().any(|d| d["id"] == id), "{year}");
    let in_force: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM plan p WHERE p.district = $1 \
           AND EXISTS (SELECT 1 FROM plan_version v WHERE v.plan_id = p.id AND v.status = 'in_force')",
    )
    .bind(&district)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let plans = year["plans"].as_array().unwrap();
    assert_eq!(plans.len() as i64, in_force, "{year}");
    assert_eq!(plans.iter().find(|p| p["plan_id"] == plan).unwrap()["done"], 1);
    assert_eq!(year["drilled"], 1);
    assert!((year["coverage"].as_f64().unwrap() - 1.0 / in_force as f64).abs() < 1e-9);
    let (_, elsewhere) = ask(&server, &fuling, Method::GET, "/api/drills", None).await;
    assert!(elsewhere["drills"].as_array().unwrap().is_empty(), "another district sees its own");
    assert_eq!(ask(&server, &duty, Method::GET, "/api/drills?year=1999", None).await.0, 400);

    // Another scheduled and called off, saying why; a finished one is not called off.
    let (_, second) =
        ask(&server, &duty, Method::POST, "/api/drills", Some(json!({"scenario_id": scenario, "scheduled_for": when})))
            .await;
    let cancel = format!("/api/drills/{}/cancel", second["id"]);
    assert_eq!(ask(&server, &duty, Method::POST, &cancel, Some(json!({}))).await.0, 422, "a reason is needed");
    assert_eq!(ask(&server, &fuling, Method::POST, &cancel, Some(json!({"evaluation": "x"}))).await.0, 403);
    let (status, off) = ask(&server, &duty, Method::POST, &cancel, Some(json!({"evaluation": "汛期改期"}))).await;
    assert_eq!((status, off["status"].as_str(), off["incident_id"].is_null()), (200, Some("cancelled"), true));
    assert_eq!(
        ask(&server, &duty, Method::POST, &format!("/api/drills/{}/start", second["id"]), Some(json!({}))).await.0,
        409
    );
    let finished = format!("/api/drills/{id}/cancel");
    assert_eq!(ask(&server, &duty, Method::POST, &finished, Some(json!({"evaluation": "x"}))).await.0, 409);
}
