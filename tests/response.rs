//! Response command: a response declared and changed, a plan activated whose scenario's
//! measures become orders due at their minutes, orders answered by their addressee or the
//! command only and in order, overdue flags, and the refusals that leave nothing written.

mod common;

use chrono::{DateTime, Utc};
use common::testing::TestServer;
use common::{call_as, counts};
use onemap::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(server: &TestServer, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let (status, _, value) = call_as(Some(token), method, &server.at(path), body).await;
    (status.as_u16(), value)
}

/// The status of an order issued in incident `incident`'s response, as `token`.
async fn an_order(server: &TestServer, token: &str, incident: i64) -> u16 {
    let body = json!({"what": "x", "module": "other", "to_kind": "user", "to_ref": "指挥长", "due_in_minutes": 5});
    call(server, token, Method::POST, &format!("/api/incidents/{incident}/orders"), Some(body)).await.0
}

/// A step of incident `incident`'s response, as `token`.
async fn respond(server: &TestServer, token: &str, incident: i64, body: Value) -> (u16, Value) {
    call(server, token, Method::POST, &format!("/api/incidents/{incident}/response"), Some(body)).await
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}"))).unwrap().to_utc()
}

/// The demo with its plans, and a chlorine release at 长寿经开区示例企业C.
async fn chlorine(server: &TestServer, token: &str) -> i64 {
    let rivers = std::sync::Arc::new(onemap::routing::rivers::load_rivers(&server.pool).await.unwrap());
    onemap::exchange::demo_plans::load(&server.pool, rivers, &common::testing::demo_dir()).await.unwrap();
    let (x, y): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM risk_source WHERE name = '长寿经开区示例企业C'",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let (status, f) = call(
        server,
        token,
        Method::POST,
        "/api/layers/incident",
        Some(json!({"type": "Feature",
        "geometry": {"type": "Point", "coordinates": [x + 0.0005, y]},
        "properties": {"name": "长寿液氯泄漏", "kind": "air", "pollutant": "液氯", "severity": "较大"}})),
    )
    .await;
    assert_eq!(status, 201, "{f}");
    f["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_plan_activated_turns_its_scenarios_measures_into_orders_due_at_their_minutes() {
    let server = TestServer::with_demo().await.unwrap();
    let command = server.token("指挥长", Role::Dispatcher, None).await.unwrap();
    let incident = chlorine(&server, &command).await;

    // Suggested: the enterprise's plans (its source is at the incident) and the scenario of the
    // same substance and medium.
    let (_, suggested) =
        call(&server, &command, Method::GET, &format!("/api/incidents/{incident}/response/suggested"), None).await;
    let plans = suggested["plans"].as_array().unwrap();
    let c = plans
        .iter()
        .find(|p| p["name"].as_str().unwrap().starts_with("长寿经开区示例企业C突发"))
        .unwrap_or_else(|| panic!("{suggested}"));
    assert_eq!(c["why"], "source");
    assert_eq!(c["scenario"], "液氯钢瓶泄漏");
    assert!(plans.iter().any(|p| p["why"] == "district" && p["kind"] == "government"), "{suggested}");

    // No response yet: an order or a step without a level is refused.
    let before = counts(&server.pool).await;
    let (status, _) = respond(&server, &command, incident, json!({"command_post": "x"})).await;
    assert_eq!(status, 409);
    assert_eq!(an_order(&server, &command, incident).await, 409);
    for (body, field) in [
        (json!({"level": "V", "why": "x"}), "level"),
        (json!({"level": "III"}), "why"),
        (json!({"level": "III", "why": "x", "colour": 1}), "colour"),
        (json!({"level": "III", "why": "x", "groups": vec![json!({"name": "组"}); 21]}), "groups"),
        (json!({"level": "III", "why": "x\u{0000}"}), "why"),
    ] {
        let (status, p) =
            call(&server, &command, Method::POST, &format!("/api/incidents/{incident}/response"), Some(body.clone()))
                .await;
        assert_eq!(status, 422, "{body}: {p}");
        assert!(p["field"] == field || p["detail"].as_str().unwrap_or_default().contains(field), "{body}: {p}");
    }
    assert_eq!(counts(&server.pool).await, before);

    let (status, declared) = respond(&server, &command, incident, json!({
        "level": "Ⅲ", "why": "液氯泄漏，下风向有居民", "command_post": "长寿经开区管委会",
        "groups": [{"name": "监测组", "lead": "区监测站", "members": ["监测员"]}, {"name": "企业现场处置组", "members": []}]})).await;
    assert_eq!(status, 200, "{declared}");
    assert_eq!((declared["level"].as_str(), declared["levels"].as_array().unwrap().len()), (Some("III"), 1));

    // Activated: one order a measure, to the group or unit it names, due at its minutes.
    let plan_id = c["plan_id"].as_i64().unwrap();
    let (status, active) = respond(&server, &command, incident, json!({"activate": [{"plan_id": plan_id}]})).await;
    assert_eq!(status, 200, "{active}");
    let activated_at = time(&active["activations"][0]["activated_at"]);
    assert_eq!(active["activations"][0]["scenario_id"], c["scenario_id"]);
    let (_, plan) = call(&server, &command, Method::GET, &format!("/api/plans/{plan_id}"), None).await;
    let scenario = plan["versions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|v| v["scenarios"].as_array().unwrap().iter())
        .find(|s| s["id"] == c["scenario_id"])
        .unwrap();
    let measures = scenario["measures"].as_array().unwrap();
    let orders = active["orders"].as_array().unwrap();
    assert_eq!(orders.len(), measures.len());
    let mut by_due: Vec<&Value> = measures.iter().collect();
    by_due.sort_by(|a, b| a["within_min"].as_f64().unwrap().total_cmp(&b["within_min"].as_f64().unwrap()));
    for (o, m) in orders.iter().zip(by_due) {
        assert_eq!(o["what"], m["step"]);
        assert_eq!((o["to_kind"].as_str(), &o["to_ref"]), (Some("group"), &m["by"]));
        let minutes = (time(&o["due_at"]) - activated_at).num_milliseconds() as f64 / 60_000.0;
        assert!((minutes - m["within_min"].as_f64().unwrap()).abs() < 0.05, "{o} vs {m}");
        assert_eq!(o["status"], "issued");
        assert_eq!(o["from_measure"]["plan_id"], plan_id);
    }
    let modules: Vec<&str> = orders.iter().map(|o| o["module"].as_str().unwrap()).collect();
    assert_eq!(modules, ["containment", "reporting", "evacuation"]);
    // Activated once.
    let (status, _) = respond(&server, &command, incident, json!({"activate": [{"plan_id": plan_id}]})).await;
    assert_eq!(status, 409);
    // A district user activates its district's plans only.
    let fuling = server.token("涪陵值班", Role::Dispatcher, Some("500102")).await.unwrap();
    let (status, _) = respond(&server, &fuling, incident, json!({"activate": [{"plan_id": plan_id}]})).await;
    assert_eq!(status, 403, "not its incident either");
    let changshou = server.token("长寿值班长", Role::Dispatcher, Some("500115")).await.unwrap();
    let wanzhou: i64 = sqlx::query_scalar("SELECT id FROM plan WHERE district <> '500115' ORDER BY id LIMIT 1")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    let before = counts(&server.pool).await;
    let (status, p) = respond(&server, &changshou, incident, json!({"activate": [{"plan_id": wanzhou}]})).await;
    assert_eq!(status, 403, "its incident, another district's plan: {p}");
    assert!(p["detail"].as_str().unwrap().contains("filed with district"), "{p}");
    assert_eq!(counts(&server.pool).await, before);

    // Raised, with why; ended once; nothing after the end.
    let (_, raised) = respond(&server, &command, incident, json!({"level": "II", "why": "扩散至街道"})).await;
    let levels: Vec<&str> = raised["levels"].as_array().unwrap().iter().map(|l| l["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["III", "II"]);
    let (status, ended) =
        respond(&server, &command, incident, json!({"end": "泄漏源已控制，下风向监测连续 2 小时达标"})).await;
    assert_eq!(status, 200, "{ended}");
    assert!(ended["ended_at"].is_string());
    let before = counts(&server.pool).await;
    let (status, _) = respond(&server, &command, incident, json!({"end": "again"})).await;
    assert_eq!(status, 409);
    assert_eq!(an_order(&server, &command, incident).await, 409);
    assert_eq!(counts(&server.pool).await, before);
    let told: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM event_log WHERE kind = 'order' AND (data->>'incident_id')::bigint = $1",
    )
    .bind(incident)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(told, 3);
}

#[tokio::test]
async fn orders_are_answered_by_their_addressee_or_the_command_in_order() {
    let server = TestServer::with_demo().await.unwrap();
    let command = server.token("指挥长乙", Role::Dispatcher, None).await.unwrap();
    let incident = chlorine(&server, &command).await;
    respond(
        &server,
        &command,
        incident,
        json!({
        "level": "IV", "why": "初判", "groups": [{"name": "监测组", "members": ["监测员乙"]}]}),
    )
    .await;
    let worker = server.token("处置员甲", Role::Viewer, None).await.unwrap();
    let stranger = server.token("路人", Role::Viewer, None).await.unwrap();
    let monitor = server.token("监测员乙", Role::Viewer, None).await.unwrap();
    let changshou = server.token("长寿值班", Role::Viewer, Some("500115")).await.unwrap();
    let orders = format!("/api/incidents/{incident}/orders");
    let issue = |body: Value| {
        let (server, command, orders) = (&server, &command, &orders);
        async move {
            let (status, o) = call(server, command, Method::POST, orders, Some(body.clone())).await;
            assert_eq!(status, 201, "{body}: {o}");
            o["id"].as_i64().unwrap()
        }
    };
    let to_worker = issue(json!({"what": "关闭雨水排口", "module": "containment", "to_kind": "user", "to_ref": "处置员甲", "due_in_minutes": 30})).await;
    let to_group = issue(json!({"what": "下风向布点监测", "module": "monitoring", "to_kind": "group", "to_ref": "监测组", "due_in_minutes": 60})).await;
    let to_district = issue(json!({"what": "通知晏家街道", "module": "warning", "to_kind": "district", "to_ref": "500115", "due_in_minutes": 20})).await;

    // Each sees their own.
    for (token, id) in [(&worker, to_worker), (&monitor, to_group), (&changshou, to_district)] {
        let (_, mine) = call(&server, token, Method::GET, "/api/orders?mine=true", None).await;
        let ids: Vec<i64> = mine["orders"].as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [id]);
    }
    let (status, _) = call(&server, &worker, Method::GET, "/api/orders", None).await;
    assert_eq!(status, 400);

    // Refused, nothing written: a stranger's answer, a refusal without a reason, an unknown
    // addressee, a bad module, no due time.
    let before = counts(&server.pool).await;
    let (status, p) =
        call(&server, &stranger, Method::POST, &format!("/api/orders/{to_worker}/acknowledge"), Some(json!({}))).await;
    assert_eq!(status, 403, "{p}");
    let (status, p) =
        call(&server, &worker, Method::POST, &format!("/api/orders/{to_worker}/refuse"), Some(json!({}))).await;
    assert_eq!((status, p["field"].as_str()), (422, Some("reason")));
    for (body, field) in [
        (json!({"what": "x", "module": "other", "to_kind": "user", "to_ref": "无此人", "due_in_minutes": 5}), "to_ref"),
        (
            json!({"what": "x", "module": "magic", "to_kind": "user", "to_ref": "处置员甲", "due_in_minutes": 5}),
            "module",
        ),
        (json!({"what": "x", "module": "other", "to_kind": "user", "to_ref": "处置员甲"}), "due_at"),
        (json!({"what": "x", "module": "other", "to_kind": "team", "to_ref": "999999", "due_in_minutes": 5}), "to_ref"),
        (
            json!({"what": "x", "module": "other", "to_kind": "group", "to_ref": "无此组", "due_in_minutes": 5}),
            "to_ref",
        ),
        (json!({"what": "", "module": "other", "to_kind": "user", "to_ref": "处置员甲", "due_in_minutes": 5}), "what"),
        (
            json!({"what": "x", "module": "other", "to_kind": "user", "to_ref": "处置员甲", "due_at": "2020-01-01T00:00:00Z"}),
            "due_at",
        ),
    ] {
        let (status, p) = call(&server, &command, Method::POST, &orders, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {p}");
        assert_eq!(p["field"], field, "{body}: {p}");
    }
    let (status, _) = call(
        &server,
        &worker,
        Method::POST,
        &orders,
        Some(json!({"what": "x", "module": "other", "to_kind": "user", "to_ref": "处置员甲", "due_in_minutes": 5})),
    )
    .await;
    assert_eq!(status, 403, "a viewer does not issue orders");
    assert_eq!(counts(&server.pool).await, before);

    // The addressee acknowledges, then reports it done with a note and where.
    let (status, ack) =
        call(&server, &worker, Method::POST, &format!("/api/orders/{to_worker}/acknowledge"), Some(json!({}))).await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!((ack["status"].as_str(), ack["acknowledged_by"].as_str()), (Some("acknowledged"), Some("处置员甲")));
    let (status, _) =
        call(&server, &worker, Method::POST, &format!("/api/orders/{to_worker}/acknowledge"), Some(json!({}))).await;
    assert_eq!(status, 409, "acknowledged once");
    let (status, done) = call(
        &server,
        &worker,
        Method::POST,
        &format!("/api/orders/{to_worker}/done"),
        Some(json!({"note": "排口已关闭", "point": [107.08, 29.86]})),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        (done["status"].as_str(), done["note"].as_str(), done["lon"].as_f64()),
        (Some("done"), Some("排口已关闭"), Some(107.08))
    );
    let (status, _) =
        call(&server, &worker, Method::POST, &format!("/api/orders/{to_worker}/refuse"), Some(json!({"reason": "x"})))
            .await;
    assert_eq!(status, 409, "a done order is not refused");
    // A photo of the work done: by the addressee (a viewer), not by a stranger, not on a
    // refused order; the order counts it.
    let dir = std::env::temp_dir().join(format!("onemap-order-photo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let png = std::fs::read(common::photos::photo(&dir, "done.png", "PNG", false)).unwrap();
    let send = |token: &str, order: i64| {
        let form = reqwest::multipart::Form::new()
            .text("record", "order")
            .text("record_id", order.to_string())
            .part("file", reqwest::multipart::Part::bytes(png.clone()).file_name("done.png"));
        let request = reqwest::Client::new().post(server.at("/api/attachments")).bearer_auth(token).multipart(form);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(send(&stranger, to_worker).await, 403);
    assert_eq!(send(&worker, to_worker).await, 201);
    let (_, order) = call(&server, &worker, Method::GET, "/api/orders?mine=true", None).await;
    assert_eq!(order["orders"][0]["photos"], 1, "{order}");
    let (_, listed) =
        call(&server, &worker, Method::GET, &format!("/api/attachments?record=order&record_id={to_worker}"), None)
            .await;
    assert_eq!(listed["attachments"][0]["record"], "order", "{listed}");
    // A group member refuses with the reason; a refused order is not completed.
    let (status, refused) = call(
        &server,
        &monitor,
        Method::POST,
        &format!("/api/orders/{to_group}/refuse"),
        Some(json!({"reason": "监测车故障"})),
    )
    .await;
    assert_eq!(status, 200, "{refused}");
    let (status, _) =
        call(&server, &command, Method::POST, &format!("/api/orders/{to_group}/done"), Some(json!({}))).await;
    assert_eq!(status, 409);
    assert_eq!(send(&monitor, to_group).await, 409, "no photo of a refused order");
    // The district's user answers the district's order; the command may answer any.
    let (status, _) =
        call(&server, &changshou, Method::POST, &format!("/api/orders/{to_district}/acknowledge"), Some(json!({})))
            .await;
    assert_eq!(status, 200);

    // Late: not acknowledged within 15 minutes, not done by its due time — as SQL says.
    let late = issue(json!({"what": "上报续报", "module": "reporting", "to_kind": "user", "to_ref": "处置员甲", "due_in_minutes": 10})).await;
    sqlx::query("UPDATE response_order SET issued_at = now() - interval '20 minutes', due_at = now() - interval '1 minute' WHERE id = $1")
        .bind(late)
        .execute(&server.pool)
        .await
        .unwrap();
    let (_, all) = call(&server, &command, Method::GET, &orders, None).await;
    for o in all["orders"].as_array().unwrap() {
        let (ack_overdue, overdue): (bool, bool) = sqlx::query_as(
            "SELECT status = 'issued' AND issued_at < now() - interval '15 minutes', \
                    status IN ('issued', 'acknowledged') AND due_at < now() FROM response_order WHERE id = $1",
        )
        .bind(o["id"].as_i64().unwrap())
        .fetch_one(&server.pool)
        .await
        .unwrap();
        assert_eq!((o["ack_overdue"].as_bool(), o["overdue"].as_bool()), (Some(ack_overdue), Some(overdue)), "{o}");
    }
    assert!(
        all["orders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == late && o["ack_overdue"] == true && o["overdue"] == true)
    );
    // The desk is told of each lateness once, however often the watcher looks.
    onemap::feed::deadlines::notice(&server.pool).await.unwrap();
    onemap::feed::deadlines::notice(&server.pool).await.unwrap();
    let told: Vec<(i64, String)> = sqlx::query_as(
        "SELECT (data->>'order_id')::bigint, data->>'what' FROM event_log WHERE kind = 'order_due' ORDER BY 2",
    )
    .fetch_all(&server.pool)
    .await
    .unwrap();
    assert_eq!(told, vec![(late, "ack_overdue".to_string()), (late, "overdue".to_string())]);
}

#[tokio::test]
async fn the_desk_declares_the_response_activates_the_plan_and_sees_the_checklist() {
    let server = TestServer::with_demo().await.unwrap();
    let command = server.token("commander", Role::Dispatcher, None).await.unwrap();
    let incident = chlorine(&server, &command).await;
    let shot = format!("{}/target/desk-response.png", env!("CARGO_MANIFEST_DIR"));
    // An item in one unit, of which the depots outside 长寿 hold more than 2.
    let item: String = sqlx::query_scalar(
        "SELECT s.item FROM stock_item s JOIN depot d ON d.id = s.depot_id GROUP BY s.item \
         HAVING count(DISTINCT s.unit) = 1 AND sum(s.quantity - s.reserved) FILTER (WHERE NOT ST_Covers( \
           (SELECT geom FROM district WHERE code = '500115'), d.geom)) > 2 ORDER BY s.item LIMIT 1",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    // A water station whose NH3-N exceeds its target class twice: an alarm for the desk to confirm.
    let station = json!({"name": "确认测试站", "properties": {"target_class": "Ⅲ"},
        "Locations": [{"name": "l", "location": {"type": "Point", "coordinates": [107.0, 29.8]}}],
        "Datastreams": [{"name": "氨氮", "observationType": "OM_Measurement", "unitOfMeasurement": {"name": "mg/L", "symbol": "mg/L"},
            "Sensor": {"name": "s", "encodingType": "text/plain", "metadata": "m"},
            "ObservedProperty": {"name": "氨氮", "definition": "w21003"},
            "Observations": [{"phenomenonTime": (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339(), "result": 1.8},
                             {"phenomenonTime": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(), "result": 2.0}]}]});
    let (status, answer) = call(&server, &server.admin_token, Method::POST, "/sta/v1.1/Things", Some(station)).await;
    assert_eq!(status, 201, "{answer}");
    let result =
        common::browser::run("command.mjs", &[server.url.clone(), incident.to_string(), shot, item.clone()]).await;
    assert_eq!(result["errors"], json!([]), "{result}");
    let (status, by): (String, Option<String>) =
        sqlx::query_as("SELECT status, acknowledged_by FROM alarm").fetch_one(&server.pool).await.unwrap();
    assert_eq!((status.as_str(), by.as_deref()), ("acknowledged", Some("commander")), "{result}");
    assert!(result["level"].as_str().unwrap().contains("Ⅲ级"), "{result}");
    // The checklist is the response's orders, by module, as the API answers them.
    let (_, response) =
        call(&server, &command, Method::GET, &format!("/api/incidents/{incident}/response"), None).await;
    let orders: Vec<&Value> = response["orders"].as_array().unwrap().iter().filter(|o| o["kind"] == "order").collect();
    assert_eq!(result["orders"].as_array().unwrap().len(), orders.len(), "{result}");
    assert!(orders.len() >= 3);
    for o in &orders {
        let what = o["what"].as_str().unwrap();
        assert!(
            result["orders"].as_array().unwrap().iter().any(|t| t.as_str().unwrap().contains(what)),
            "{what} in {result}"
        );
    }
    assert_eq!(result["modules"], json!(["截控", "报告", "疏散"]), "{result}");
    assert_eq!(result["acknowledged"], 1);
    assert_eq!(orders.iter().filter(|o| o["status"] == "acknowledged").count(), 1);
    // The similar cases, as the case library answers them.
    let (_, cases) = call(
        &server,
        &command,
        Method::GET,
        &format!("/api/cases?substance=液氯&medium=air&exclude={incident}&limit=5"),
        None,
    )
    .await;
    let ids: Vec<String> = cases["cases"].as_array().unwrap().iter().map(|c| c["id"].to_string()).collect();
    assert!(!ids.is_empty(), "the demo's reviewed past incidents include air ones: {cases}");
    assert_eq!(result["cases"], json!(ids), "{result}");
    // The notices drafted down the river, as the API has them: one sent, the others drafts.
    let (_, after) = call(&server, &command, Method::GET, &format!("/api/incidents/{incident}/orders"), None).await;
    let notices: Vec<&Value> = after["orders"].as_array().unwrap().iter().filter(|o| o["kind"] == "notice").collect();
    assert_eq!(result["drafts"].as_u64().unwrap() as usize, notices.len(), "{result}");
    assert_eq!(result["notices"].as_array().unwrap().len(), notices.len(), "{result}");
    assert_eq!(notices.iter().filter(|o| o["status"] == "issued").count(), 1, "{after}");
    // Ended from the desk: the review's figures, as the API computes them.
    let (_, review) = call(&server, &command, Method::GET, &format!("/api/incidents/{incident}/review"), None).await;
    assert_eq!(review["over"], true, "{review}");
    let rows = result["figures"].as_array().unwrap();
    let done =
        format!("{}/{}", review["figures"]["orders_done"], review["figures"]["orders"].as_array().unwrap().len());
    assert!(
        rows.iter().any(|r| r.as_str().unwrap().starts_with("指令完成") && r.as_str().unwrap().contains(&done)),
        "{result}"
    );
    // The support request filed and approved in part from the desk, dispatched from elsewhere.
    let (status, approved, dispatches): (String, Value, i64) = sqlx::query_as(
        "SELECT status, approved, cardinality(dispatch_ids)::bigint FROM support_request WHERE incident_id = $1",
    )
    .bind(incident)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), approved, dispatches), ("partly_approved", json!([2.0]), 1), "{result}");
    assert!(result["support"].as_str().unwrap().contains(&item), "{result}");
    // The drill scheduled and started from the desk: its incident is a drill.
    let (drill_status, drill_incident): (String, bool) = sqlx::query_as(
        "SELECT d.status, i.drill FROM drill d JOIN incident i ON i.id = d.incident_id ORDER BY d.id DESC LIMIT 1",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!((drill_status.as_str(), drill_incident), ("running", true), "{result}");
    let first = review["figures"]["first_order_min"].as_f64().unwrap();
    assert!(rows.iter().any(|r| r.as_str().unwrap() == format!("首条指令{first} 分钟")), "{result} vs {first}");
}
