//! The duty desk: incident reports in their order, their deadlines, what they do to the
//! incident, and every refusal leaving nothing written.

mod common;

use common::testing::TestServer;
use common::{call, call_as, counts, expect_problem, get, post};
use onemap::api::ServerConfig;
use onemap::auth::Role;
use onemap::duty::deadlines::Deadlines;
use reqwest::Method;
use serde_json::{Value, json};

fn incident(props: Value) -> Value {
    let mut p = json!({"name": "值守测试事件", "kind": "water", "severity": "较大", "cause": "traffic_accident"});
    p.as_object_mut().unwrap().extend(props.as_object().unwrap().clone());
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.58, 29.58]}, "properties": p})
}

async fn new_incident(server: &TestServer, props: Value) -> i64 {
    let (status, body) = post(&server.at("/api/layers/incident"), incident(props)).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

fn initial_report() -> Value {
    json!({"stage": "initial", "summary": "槽车侧翻，柴油约 2 吨流入江中", "pollutants": [{"name": "柴油", "amount": "约2吨"}],
           "casualties": {"injuries": 1}, "measures": "围油栏拦截，关闭下游取水口", "reporting_unit": "某区生态环境局",
           "contact": "张三 023-00000000", "threatened": []})
}

async fn incident_props(server: &TestServer, id: i64) -> Value {
    let (status, body) = get(&server.at(&format!("/api/layers/incident/{id}"))).await;
    assert_eq!(status, 200, "{body}");
    body["properties"].clone()
}

fn time(v: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}"))).unwrap()
}

#[tokio::test]
async fn reports_go_initial_then_follow_ups_then_final_which_closes() {
    let server = TestServer::start().await.unwrap();
    let id = new_incident(&server, json!({})).await;
    let reports = server.at(&format!("/api/incidents/{id}/reports"));

    // Nothing before the initial report.
    for stage in ["follow_up", "final"] {
        let p = expect_problem(Method::POST, &reports, Some(json!({"stage": stage})), 409).await;
        assert!(p["detail"].as_str().unwrap().contains("initial report"), "{p}");
    }
    // A draft, completed, then submitted.
    let (status, draft) = post(&reports, json!({"stage": "initial", "summary": "槽车侧翻"})).await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["author"], "test-admin");
    let draft_id = draft["id"].as_i64().unwrap();
    let one = server.at(&format!("/api/incidents/{id}/reports/{draft_id}"));
    let p = expect_problem(Method::POST, &format!("{one}/submit"), None, 422).await;
    assert!(p["detail"].as_str().unwrap().contains("missing: casualties, measures, reporting_unit, contact"), "{p}");
    let p = expect_problem(Method::POST, &reports, Some(json!({"stage": "initial"})), 409).await;
    assert_eq!(p["report_id"], draft_id, "a second initial report: {p}");

    let mut rest = initial_report();
    rest.as_object_mut().unwrap().remove("stage");
    let (status, _, edited) = call(Method::PATCH, &one, Some(rest)).await;
    assert_eq!(status, 200, "{edited}");
    assert!(incident_props(&server, id).await["initial_reported_at"].is_null());
    let (status, submitted) = post(&format!("{one}/submit"), json!(null)).await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["number"], 1);
    let props = incident_props(&server, id).await;
    assert_eq!(time(&props["initial_reported_at"]), time(&submitted["submitted_at"]));
    assert_eq!(props["initial_report_overdue"], false);

    // Submitted is final: no edit, no discard, not even by plain SQL.
    for (method, body) in [(Method::PATCH, Some(json!({"summary": "改"}))), (Method::DELETE, None)] {
        let p = expect_problem(method, &one, body, 409).await;
        assert!(p["detail"].as_str().unwrap().contains("never changed"), "{p}");
    }
    let sql = sqlx::query("UPDATE incident_report SET content = '{}' WHERE id = $1")
        .bind(draft_id)
        .execute(&server.pool)
        .await;
    assert!(sql.unwrap_err().to_string().contains("never changed"));

    // Follow-ups, numbered in order; one raises the severity; resources come from dispatches.
    for (n, severity) in [(1, None), (2, Some("重大"))] {
        let mut body = json!({"stage": "follow_up", "progress": format!("第{n}次续报"), "submit": true});
        if let Some(s) = severity {
            body["severity"] = s.into();
        }
        let (status, r) = post(&reports, body).await;
        assert_eq!(status, 201, "{r}");
        assert_eq!(r["number"], n);
        assert_eq!(r["resources"], json!([]), "no dispatches yet: {r}");
    }
    let props = incident_props(&server, id).await;
    assert_eq!(props["severity"], "重大");
    // The final report closes the incident; nothing follows it.
    let (status, last) = post(
        &reports,
        json!({"stage": "final", "measures": "拦截回收", "result": "取水恢复", "damage": "直接经济损失约 30 万元", "submit": true}),
    )
    .await;
    assert_eq!(status, 201, "{last}");
    let props = incident_props(&server, id).await;
    assert_eq!(props["status"], "closed");
    assert_eq!(time(&props["final_reported_at"]), time(&last["submitted_at"]));
    assert!(!props["closed_at"].is_null());
    for stage in ["follow_up", "final", "initial"] {
        let p = expect_problem(Method::POST, &reports, Some(json!({"stage": stage})), 409).await;
        assert!(p["detail"].as_str().unwrap().contains("final report"), "{stage}: {p}");
    }
    let p = expect_problem(
        Method::PATCH,
        &server.at(&format!("/api/layers/incident/{id}")),
        Some(json!({"status": "open"})),
        422,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("stays closed"), "{p}");

    let (_, list) = get(&reports).await;
    let stages: Vec<(&str, i64)> = list["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["stage"].as_str().unwrap(), r["number"].as_i64().unwrap()))
        .collect();
    assert_eq!(stages, [("initial", 1), ("follow_up", 1), ("follow_up", 2), ("final", 1)]);
    // Each submission is in the audit trail, by its author.
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE table_name = 'incident_report' AND actor = 'test-admin' \
         AND after->>'incident_id' = $1 AND after->>'submitted_at' IS NOT NULL AND before->>'submitted_at' IS NULL",
    )
    .bind(id.to_string())
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(audited, 4);
}

#[tokio::test]
async fn a_closed_incident_takes_only_its_final_report_and_drafts_are_their_authors() {
    let server = TestServer::start().await.unwrap();
    let alice = server.token("alice", Role::Dispatcher, None).await.unwrap();
    let bob = server.token("bob", Role::Dispatcher, None).await.unwrap();
    let viewer = server.token("vera", Role::Viewer, None).await.unwrap();
    let id = new_incident(&server, json!({})).await;
    let reports = server.at(&format!("/api/incidents/{id}/reports"));

    let (status, _, draft) =
        call_as(Some(&alice), Method::POST, &reports, Some(json!({"stage": "initial", "summary": "x"}))).await;
    assert_eq!(status, 201, "{draft}");
    let one = server.at(&format!("/api/incidents/{id}/reports/{}", draft["id"]));
    let before = counts(&server.pool).await;
    for (method, url) in
        [(Method::PATCH, one.clone()), (Method::POST, format!("{one}/submit")), (Method::DELETE, one.clone())]
    {
        let body = (method == Method::PATCH).then(|| json!({"summary": "bob's"}));
        let (status, _, p) = call_as(Some(&bob), method.clone(), &url, body.clone()).await;
        assert_eq!(status, 403, "{method} by another dispatcher: {p}");
        assert!(p["detail"].as_str().unwrap().contains("only its author"), "{p}");
        let (status, _, _) = call_as(Some(&viewer), method, &url, body).await;
        assert_eq!(status, 403);
    }
    let (status, _, _) = call_as(Some(&viewer), Method::POST, &reports, Some(initial_report())).await;
    assert_eq!(status, 403);
    assert_eq!(counts(&server.pool).await, before, "refusals wrote nothing");

    // The author may throw the draft away and file the real one.
    let (status, _, _) = call_as(Some(&alice), Method::DELETE, &one, None).await;
    assert_eq!(status, 204);
    let mut body = initial_report();
    body["submit"] = true.into();
    let (status, _, _) = call_as(Some(&alice), Method::POST, &reports, Some(body)).await;
    assert_eq!(status, 201);

    // Closed (dealt with) before the final report: only the final report may come.
    let (status, _, _) = call_as(
        Some(&alice),
        Method::PATCH,
        &server.at(&format!("/api/layers/incident/{id}")),
        Some(json!({"status": "closed"})),
    )
    .await;
    assert_eq!(status, 200);
    let props = incident_props(&server, id).await;
    let due = time(&props["final_report_due_at"]) - time(&props["closed_at"]);
    assert_eq!(due.num_minutes(), 1440, "{props}");
    let p = expect_problem(Method::POST, &reports, Some(json!({"stage": "follow_up", "progress": "x"})), 409).await;
    assert!(p["detail"].as_str().unwrap().contains("closed"), "{p}");
    let (status, _, last) = call_as(
        Some(&alice),
        Method::POST,
        &reports,
        Some(json!({"stage": "final", "measures": "m", "result": "r", "damage": "d", "submit": true})),
    )
    .await;
    assert_eq!(status, 201, "{last}");
    assert!(incident_props(&server, id).await["final_report_due_at"].is_string());
}

#[tokio::test]
async fn deadlines_follow_severity_and_the_flags_follow_the_clock() {
    let server = TestServer::start().await.unwrap();
    let now = chrono::Utc::now();
    let ago = |minutes: i64| (now - chrono::Duration::minutes(minutes)).to_rfc3339();
    // 一般, discovered 5 h ago: 4 h passed, overdue.
    let late =
        new_incident(&server, json!({"severity": "一般", "occurred_at": ago(400), "discovered_at": ago(300)})).await;
    // 重大, discovered 50 min ago: on the short clock (written within 60 minutes, sooner than the
    // national 2 h), due in 10 minutes (warned 30 min before).
    let soon =
        new_incident(&server, json!({"severity": "重大", "occurred_at": ago(50), "discovered_at": ago(50)})).await;
    // 较大, just now: neither.
    let fresh = new_incident(&server, json!({})).await;

    let props = incident_props(&server, late).await;
    assert_eq!((time(&props["initial_report_due_at"]) - time(&props["discovered_at"])).num_minutes(), 240);
    assert_eq!(props["initial_report_overdue"], true, "{props}");
    assert_eq!(props["initial_report_due_soon"], false);
    let props = incident_props(&server, soon).await;
    assert_eq!((time(&props["initial_report_due_at"]) - time(&props["discovered_at"])).num_minutes(), 60);
    assert_eq!(
        (props["initial_report_overdue"].clone(), props["initial_report_due_soon"].clone()),
        (json!(false), json!(true))
    );
    let props = incident_props(&server, fresh).await;
    assert_eq!(
        (props["initial_report_overdue"].clone(), props["initial_report_due_soon"].clone()),
        (json!(false), json!(false))
    );
    // Without a discovery time, it was discovered when entered.
    assert!((time(&props["discovered_at"]).to_utc() - now).num_seconds().abs() < 120, "{props}");

    // The list filters on the flags (computed in SQL as the properties are).
    let (_, overdue) = get(&server.at("/api/layers/incident?initial_report_overdue=true")).await;
    let ids: Vec<i64> = overdue["features"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [late]);

    // Escalating shortens the deadline: 重大 is on the short clock, written within 1 h of
    // discovery and phoned within 30 minutes.
    let url = server.at(&format!("/api/layers/incident/{late}"));
    let (status, _, _) = call(Method::PATCH, &url, Some(json!({"severity": "重大"}))).await;
    assert_eq!(status, 200);
    let props = incident_props(&server, late).await;
    assert_eq!((time(&props["initial_report_due_at"]) - time(&props["discovered_at"])).num_minutes(), 60);
    assert_eq!((time(&props["phone_report_due_at"]) - time(&props["discovered_at"])).num_minutes(), 30);

    // The initial report clears the flag.
    let mut body = initial_report();
    body["submit"] = true.into();
    let (status, _) = post(&server.at(&format!("/api/incidents/{late}/reports")), body).await;
    assert_eq!(status, 201);
    assert_eq!(incident_props(&server, late).await["initial_report_overdue"], false);
}

#[tokio::test]
async fn local_rules_may_be_stricter() {
    let mut deadlines = Deadlines::builtin();
    deadlines.initial.get_mut("一般").unwrap().minutes = 60;
    deadlines.orders.ack_minutes = 5;
    let server =
        TestServer::with_config(ServerConfig { report_deadlines: deadlines, ..Default::default() }).await.unwrap();
    let id = new_incident(&server, json!({"severity": "一般"})).await;
    let props = incident_props(&server, id).await;
    assert_eq!((time(&props["initial_report_due_at"]) - time(&props["discovered_at"])).num_minutes(), 60);
    let minutes: i32 =
        sqlx::query_scalar("SELECT minutes FROM report_deadline WHERE stage = 'initial' AND severity = '一般'")
            .fetch_one(&server.pool)
            .await
            .unwrap();
    assert_eq!(minutes, 60);
    let ack: i32 = sqlx::query_scalar("SELECT ack_minutes FROM order_rule").fetch_one(&server.pool).await.unwrap();
    assert_eq!(ack, 5, "an order waits at most 5 minutes for its acknowledgement here");

    // Without the short clock, the national rule alone: 重大 written within 2 h, no phone clock.
    let mut national = Deadlines::builtin();
    national.urgent = None;
    let server =
        TestServer::with_config(ServerConfig { report_deadlines: national, ..Default::default() }).await.unwrap();
    let id = new_incident(&server, json!({"severity": "重大"})).await;
    let props = incident_props(&server, id).await;
    assert_eq!((time(&props["initial_report_due_at"]) - time(&props["discovered_at"])).num_minutes(), 120);
    assert_eq!(props["phone_report_due_at"], Value::Null);
    let rules: i64 =
        sqlx::query_scalar("SELECT count(*) FROM urgent_report_rule").fetch_one(&server.pool).await.unwrap();
    assert_eq!(rules, 0);
}

#[tokio::test]
async fn bad_reports_and_incidents_are_refused_and_write_nothing() {
    let server = TestServer::start().await.unwrap();
    let id = new_incident(&server, json!({})).await;
    let reports = server.at(&format!("/api/incidents/{id}/reports"));
    let before = counts(&server.pool).await;
    let future = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let cases: Vec<(Method, String, Value, u16, &str)> = vec![
        (Method::POST, server.at("/api/incidents/999999/reports"), initial_report(), 404, "incident"),
        (Method::POST, reports.clone(), json!({"summary": "x"}), 422, "stage"),
        (Method::POST, reports.clone(), json!({"stage": "second"}), 422, "stage"),
        (Method::POST, reports.clone(), json!({"stage": "initial", "progress": "x"}), 422, "progress"),
        (Method::POST, reports.clone(), json!({"stage": "initial", "casualties": {"deaths": -2}}), 422, "casualties"),
        (Method::POST, reports.clone(), json!({"stage": "initial", "submit": "yes"}), 422, "submit"),
        (Method::POST, reports.clone(), json!({"stage": "initial", "summary": "x", "submit": true}), 422, "casualties"),
        (Method::POST, reports.clone(), json!({"stage": "follow_up", "severity": "严重"}), 422, "severity"),
        (Method::POST, reports.clone(), json!([1, 2]), 422, "body"),
        (
            Method::POST,
            server.at("/api/layers/incident"),
            incident(json!({"discovered_at": future})),
            422,
            "discovered_at",
        ),
        (
            Method::POST,
            server.at("/api/layers/incident"),
            incident(json!({"occurred_at": "2026-11-20T10:00:00+08:00", "discovered_at": "2026-11-20T09:00:00+08:00"})),
            422,
            "discovered_at",
        ),
        (Method::POST, server.at("/api/layers/incident"), incident(json!({"cause": "sabotage"})), 422, "cause"),
        (Method::POST, server.at("/api/layers/incident"), incident(json!({"district": "火星区"})), 422, "district"),
    ];
    for (method, url, body, status, field) in cases {
        let p = expect_problem(method, &url, Some(body.clone()), status).await;
        let said = format!("{} {}", p["field"].as_str().unwrap_or_default(), p["detail"]);
        assert!(said.contains(field), "{body}: {p}");
    }
    // The same discovery rules hold for plain SQL.
    let sql = sqlx::query("UPDATE incident SET discovered_at = occurred_at - interval '1 hour' WHERE id = $1")
        .bind(id)
        .execute(&server.pool)
        .await;
    assert!(sql.unwrap_err().to_string().contains("before occurred_at"));
    assert_eq!(counts(&server.pool).await, before);
}

#[tokio::test]
async fn the_initial_report_is_filled_with_what_the_map_shows_threatened() {
    let server = TestServer::with_demo().await.unwrap();
    // A spill on the Yangtze at the demo's Changshou incident.
    let (id, lon, lat): (i64, f64, f64) = sqlx::query_as(
        "SELECT id, ST_X(geom), ST_Y(geom) FROM incident WHERE status = 'open' AND kind = 'water' LIMIT 1",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let (status, r) = post(&server.at(&format!("/api/incidents/{id}/reports")), json!({"stage": "initial"})).await;
    assert_eq!(status, 201, "{r}");
    let threatened = r["threatened"].as_array().unwrap();
    // Downstream: what the river trace reaches within a day, intakes first.
    let (_, traced) = get(&server.at(&format!("/api/rivers/downstream?lon={lon}&lat={lat}&hours=24"))).await;
    let traced: Vec<&Value> = traced["receptors"].as_array().unwrap().iter().map(|r| &r["id"]).collect();
    let downstream: Vec<&Value> = threatened.iter().filter(|t| t["via"] == "downstream").map(|t| &t["id"]).collect();
    assert!(!downstream.is_empty(), "a Yangtze spill threatens something downstream: {r}");
    assert_eq!(downstream, traced.iter().take(downstream.len()).copied().collect::<Vec<_>>());
    // Nearby: PostGIS's receptors within 3 km that are not already downstream.
    let near: Vec<i64> = sqlx::query_scalar(
        "SELECT r.id FROM receptor r, incident i WHERE i.id = $1 AND r.kind <> 'river_section' \
         AND ST_DWithin(r.geom::geography, i.geom::geography, 3000) ORDER BY ST_Distance(r.geom::geography, i.geom::geography), r.id",
    )
    .bind(id)
    .fetch_all(&server.pool)
    .await
    .unwrap();
    let expected: Vec<i64> = near.into_iter().filter(|n| !downstream.contains(&&json!(n))).collect();
    let nearby: Vec<i64> =
        threatened.iter().filter(|t| t["via"] == "nearby").map(|t| t["id"].as_i64().unwrap()).collect();
    assert_eq!(nearby, expected.into_iter().take(nearby.len()).collect::<Vec<_>>());
}

/// An incident with every kind of entry: severity raised, reports, a team sent and arriving.
async fn worked_incident(server: &TestServer) -> (i64, i64) {
    let id = new_incident(server, json!({"name": "长江示例苯胺泄漏", "district": null})).await;
    let reports = server.at(&format!("/api/incidents/{id}/reports"));
    let mut body = initial_report();
    body["submit"] = true.into();
    assert_eq!(post(&reports, body).await.0, 201);
    let (status, team) = post(&server.at("/api/layers/team"), common::sample("team", 0, 0)).await;
    assert_eq!(status, 201, "{team}");
    let team = team["id"].as_i64().unwrap();
    sqlx::query(
        "INSERT INTO dispatch (incident_id, team_id, travel_seconds, travel_metres, eta) VALUES ($1, $2, 600, 5000, now() + interval '10 minutes')",
    )
    .bind(id)
    .bind(team)
    .execute(&server.pool)
    .await
    .unwrap();
    let dispatch: i64 = sqlx::query_scalar("SELECT id FROM dispatch WHERE incident_id = $1")
        .bind(id)
        .fetch_one(&server.pool)
        .await
        .unwrap();
    let (status, _, d) =
        call(Method::PATCH, &server.at(&format!("/api/dispatches/{dispatch}")), Some(json!({"status": "en_route"})))
            .await;
    assert_eq!(status, 200, "{d}");
    let (status, _, _) =
        call(Method::PATCH, &server.at(&format!("/api/dispatches/{dispatch}")), Some(json!({"status": "arrived"})))
            .await;
    assert_eq!(status, 200);
    let follow = json!({"stage": "follow_up", "progress": "已布设三道围油栏", "monitoring": "下游 5 km 断面苯胺 0.08 mg/L",
                        "severity": "重大", "submit": true});
    let (status, f) = post(&reports, follow).await;
    assert_eq!(status, 201);
    assert_eq!(f["resources"][0]["dispatch_id"], dispatch, "resources filled from the dispatches: {f}");
    let last = json!({"stage": "final", "measures": "拦截、吸附、活性炭投加", "result": "水厂恢复供水", "damage": "停水 6 小时",
                      "remaining": "河岸土壤待修复", "submit": true});
    assert_eq!(post(&reports, last).await.0, 201);
    (id, dispatch)
}

#[tokio::test]
async fn the_timeline_tells_the_incident_in_order_with_who() {
    let server = TestServer::start().await.unwrap();
    let (id, dispatch) = worked_incident(&server).await;
    let (status, body) = get(&server.at(&format!("/api/incidents/{id}/timeline"))).await;
    assert_eq!(status, 200, "{body}");
    let entries = body["timeline"].as_array().unwrap();
    let kinds: Vec<&str> = entries.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "occurred",
            "discovered",
            "created",
            "report",
            "dispatch",
            "dispatch_status",
            "dispatch_status",
            "severity",
            "report",
            "status",
            "report"
        ],
        "{body}"
    );
    let times: Vec<_> = entries.iter().map(|e| time(&e["at"])).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in order: {times:?}");
    let severity = entries.iter().find(|e| e["kind"] == "severity").unwrap();
    assert_eq!((severity["from"].as_str(), severity["to"].as_str()), (Some("较大"), Some("重大")));
    assert_eq!(severity["actor"], "test-admin");
    // The dispatch was written by plain SQL: the database role is its author.
    let sent = entries.iter().find(|e| e["kind"] == "dispatch").unwrap();
    assert_eq!(sent["dispatch_id"], dispatch);
    assert_eq!(sent["actor"], "onemap");
    let moves: Vec<&str> =
        entries.iter().filter(|e| e["kind"] == "dispatch_status").map(|e| e["to"].as_str().unwrap()).collect();
    assert_eq!(moves, ["en_route", "arrived"]);
    assert!(entries.iter().all(|e| e["text"].as_str().is_some_and(|t| !t.is_empty())));
    let (status, _) = get(&server.at("/api/incidents/999999/timeline")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_printed_report_has_the_incident_and_every_section() {
    let server = TestServer::start().await.unwrap();
    let (id, _) = worked_incident(&server).await;
    let url = server.at(&format!("/api/incidents/{id}/report.html"));
    let root = env!("CARGO_MANIFEST_DIR");
    let pdf = format!("{root}/target/incident-report.pdf");
    let output = tokio::process::Command::new("node")
        .args([&format!("{root}/tests/browser/print.mjs"), &url, &server.admin_token, &pdf])
        .output()
        .await
        .expect("node (scripts/setup installs the browser test's packages)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // Read back by an independent tool: poppler's pdftotext.
    let text = std::process::Command::new("pdftotext")
        .args(["-layout", &pdf, "-"])
        .output()
        .expect("pdftotext (poppler-utils)");
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout).replace(char::is_whitespace, "");
    for expected in [
        "突发环境事件信息报告",
        "长江示例苯胺泄漏",
        "初报",
        "续报（第1次）",
        "终报（处理结果报告）",
        "事件经过",
        "主要污染物及数量",
        "人员受害情况",
        "受威胁的环境敏感点",
        "处置进展",
        "监测结果",
        "处置结果",
        "遗留问题",
        "河岸土壤待修复",
        "交通事故",
    ] {
        assert!(text.contains(expected), "the PDF lacks {expected}: {text}");
    }
    // Bad parameters are refused; a viewer may read it; nobody anonymous.
    for bad in ["?drafts=maybe", "?report=abc", "?report=999999", "?page=2"] {
        let (status, _, _) = call(Method::GET, &format!("{url}{bad}"), None).await;
        assert!(status == 400 || status == 404, "{bad}: {status}");
    }
    let viewer = server.token("vera", Role::Viewer, None).await.unwrap();
    assert_eq!(call_as(Some(&viewer), Method::GET, &url, None).await.0, 200);
    assert_eq!(call_as(None, Method::GET, &url, None).await.0, 401);
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

#[tokio::test]
async fn statistics_equal_the_same_counts_in_sql() {
    let server = TestServer::with_demo().await.unwrap();
    // The demo carries years of history, reported and with arrivals.
    let history: i64 =
        sqlx::query_scalar("SELECT count(*) FROM incident WHERE name LIKE '%示例）' AND status = 'closed'")
            .fetch_one(&server.pool)
            .await
            .unwrap();
    assert!(history >= 50, "{history}");
    for (by, key_sql) in [
        ("year", "to_char(occurred_at AT TIME ZONE 'Asia/Shanghai', 'YYYY')"),
        ("month", "to_char(occurred_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"),
        ("cause", "coalesce(cause, 'unknown')"),
        ("district", "coalesce(district, 'unknown')"),
        ("severity", "severity"),
        ("kind", "kind"),
    ] {
        let (status, stats) = get(&server.at(&format!("/api/stats/incidents?by={by}"))).await;
        assert_eq!(status, 200, "{stats}");
        // Independently: the raw rows, counted and averaged here.
        let rows: Vec<(String, Option<f64>, Option<f64>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {key_sql}, extract(epoch FROM initial_reported_at - discovered_at)::float8 / 60, \
               extract(epoch FROM (SELECT min(arrived_at) FROM dispatch d WHERE d.incident_id = incident.id) - discovered_at)::float8 / 60 \
             FROM incident"
        )))
        .fetch_all(&server.pool)
        .await
        .unwrap();
        let mut expected: std::collections::BTreeMap<String, (i64, Vec<f64>, Vec<f64>)> = Default::default();
        for (key, initial, arrival) in rows {
            let e = expected.entry(key).or_default();
            e.0 += 1;
            e.1.extend(initial);
            e.2.extend(arrival);
        }
        let groups = stats["groups"].as_array().unwrap();
        assert_eq!(groups.len(), expected.len(), "{by}: {stats}");
        for g in groups {
            let (count, initial, arrival) = &expected[g["key"].as_str().unwrap()];
            assert_eq!(g["count"], *count, "{by} {}", g["key"]);
            let m = &g["minutes"];
            assert_eq!(m["to_initial_report"]["n"], initial.len());
            let mean = initial.iter().sum::<f64>() / initial.len().max(1) as f64;
            if !initial.is_empty() {
                assert!((m["to_initial_report"]["mean"].as_f64().unwrap() - mean).abs() <= 0.0501, "{by}: {g}");
                assert!(
                    (m["to_initial_report"]["median"].as_f64().unwrap() - median(initial.clone()).unwrap()).abs()
                        <= 0.0501
                );
            }
            if let Some(med) = median(arrival.clone()) {
                assert!((m["to_first_arrival"]["median"].as_f64().unwrap() - med).abs() <= 0.0501, "{by}: {g}");
            }
        }
        let total: i64 = expected.values().map(|e| e.0).sum();
        assert_eq!(stats["total"]["count"], total);
    }
    // A year and a district: the same count by SQL.
    let (_, one) = get(&server.at("/api/stats/incidents?by=cause&from=2024-01-01&to=2024-12-31&district=合川区")).await;
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM incident WHERE occurred_at >= '2024-01-01T00:00:00+08:00' AND occurred_at < '2025-01-01T00:00:00+08:00' \
         AND district = '合川区'",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(one["total"]["count"], n, "{one}");
    let code: String =
        sqlx::query_scalar("SELECT code FROM district WHERE name = '合川区'").fetch_one(&server.pool).await.unwrap();
    let (_, by_code) =
        get(&server.at(&format!("/api/stats/incidents?by=cause&from=2024-01-01&to=2024-12-31&district={code}"))).await;
    assert_eq!(by_code["total"], one["total"]);

    for (query, field) in [
        ("by=weekday", "by"),
        ("by=year&from=2025-01-01&to=2024-01-01", "from"),
        ("by=year&from=yesterday", "from"),
        ("by=year&district=火星区", "district"),
        ("by=year&colour=red", "colour"),
    ] {
        let p = expect_problem(Method::GET, &server.at(&format!("/api/stats/incidents?{query}")), None, 400).await;
        let said = format!("{} {}", p["field"].as_str().unwrap_or_default(), p["detail"]);
        assert!(said.contains(field), "{query}: {p}");
    }
}
