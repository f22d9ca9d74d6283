//! The duty desk's front: calls received and screened into incidents on the report clock, the
//! short clock of sensitive and grave events (phone report in 30 minutes, written in 60), the
//! roster and the shift log — each against SQL or times worked out here, with the refusals.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::testing::TestServer;
use common::{call_as, counts};
use onemap::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(server: &TestServer, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let (status, _, value) = call_as(Some(token), method, &server.at(path), body).await;
    (status.as_u16(), value)
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}"))).unwrap().to_utc()
}

fn ago(minutes: i64) -> String {
    (Utc::now() - Duration::minutes(minutes)).to_rfc3339()
}

/// An incident as the registry answers it.
async fn incident(server: &TestServer, token: &str, id: i64) -> Value {
    let (status, f) = call(server, token, Method::GET, &format!("/api/layers/incident/{id}"), None).await;
    assert_eq!(status, 200, "{f}");
    f["properties"].clone()
}

#[tokio::test]
async fn calls_become_incidents_discovered_when_the_first_call_came_in() {
    let server = TestServer::with_demo().await.unwrap();
    let duty = server.token("值班员甲", Role::Dispatcher, None).await.unwrap();
    // Words naming a place: the longest name of the registry in them, and its district by PostGIS.
    let (status, first) = call(
        &server,
        &duty,
        Method::POST,
        "/api/intake",
        Some(json!({
        "channel": "hotline_12369", "received_at": ago(20), "caller": "王先生", "caller_contact": "13800000000",
        "place": "合川区嘉陵江合川大桥下游河面", "what": "河面有大片油污，有刺鼻气味"})),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    let (name, district): (String, Option<String>) = sqlx::query_as(
        "SELECT n.name, (SELECT d.code FROM district d WHERE ST_Covers(d.geom, ST_PointOnSurface(n.geom)) LIMIT 1) \
         FROM (SELECT name, geom FROM receptor UNION ALL SELECT name, geom FROM district UNION ALL SELECT name, geom FROM risk_source) n \
         WHERE strpos('合川区嘉陵江合川大桥下游河面', n.name) > 0 AND char_length(n.name) >= 2 \
         ORDER BY char_length(n.name) DESC, n.name LIMIT 1",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(first["matched"], name.as_str(), "{first}");
    assert_eq!(first["district"], json!(district), "{first}");
    assert_eq!((first["status"].as_str(), first["taken_by"].as_str()), (Some("open"), Some("值班员甲")));
    let id = first["id"].as_i64().unwrap();
    let received = time(&first["received_at"]);

    // Screened into a new incident: discovered when the call came in, the initial report due 4 h later.
    let (status, screened) = call(
        &server,
        &duty,
        Method::POST,
        &format!("/api/intake/{id}/screen"),
        Some(json!({
        "incident": {"name": "合川嘉陵江油污", "kind": "water", "severity": "一般", "pollutant": "柴油"}})),
    )
    .await;
    assert_eq!(status, 200, "{screened}");
    assert_eq!(screened["status"], "incident");
    let inc = screened["incident_id"].as_i64().unwrap();
    let props = incident(&server, &duty, inc).await;
    assert_eq!(time(&props["discovered_at"]), received);
    assert_eq!(time(&props["initial_report_due_at"]), received + Duration::minutes(240));
    assert_eq!(props["phone_report_due_at"], Value::Null, "一般 and not sensitive: no short clock");

    // An earlier call gathered into it: the incident is discovered at its earliest call.
    let (_, earlier) = call(&server, &duty, Method::POST, "/api/intake", Some(json!({
        "channel": "emergency_services", "received_at": ago(45), "point": [106.28, 29.98], "what": "交警报告槽车侧翻"}))).await;
    let earlier_at = time(&earlier["received_at"]);
    let (status, _) = call(
        &server,
        &duty,
        Method::POST,
        &format!("/api/intake/{}/screen", earlier["id"]),
        Some(json!({"incident_id": inc})),
    )
    .await;
    assert_eq!(status, 200);
    let props = incident(&server, &duty, inc).await;
    assert_eq!(time(&props["discovered_at"]), earlier_at);
    assert_eq!(time(&props["initial_report_due_at"]), earlier_at + Duration::minutes(240));
    let gathered: i64 = sqlx::query_scalar("SELECT count(*) FROM intake WHERE incident_id = $1")
        .bind(inc)
        .fetch_one(&server.pool)
        .await
        .unwrap();
    assert_eq!(gathered, 2);

    // Dismissed with its reason; a call is screened once.
    let (_, third) = call(
        &server,
        &duty,
        Method::POST,
        "/api/intake",
        Some(json!({
        "channel": "media", "what": "网传合川河水变红"})),
    )
    .await;
    let third_id = third["id"].as_i64().unwrap();
    assert_eq!(third["district"], Value::Null, "no place given, none matched");
    let (status, dismissed) = call(
        &server,
        &duty,
        Method::POST,
        &format!("/api/intake/{third_id}/screen"),
        Some(json!({"dismiss": "核实为藻类，非污染"})),
    )
    .await;
    assert_eq!(status, 200, "{dismissed}");
    assert_eq!(dismissed["status"], "dismissed");
    let before = counts(&server.pool).await;
    let (status, p) = call(
        &server,
        &duty,
        Method::POST,
        &format!("/api/intake/{third_id}/screen"),
        Some(json!({"dismiss": "again"})),
    )
    .await;
    assert_eq!(status, 409, "{p}");
    assert_eq!(counts(&server.pool).await, before);
    // A call without a place cannot open an incident.
    let (_, placeless) =
        call(&server, &duty, Method::POST, "/api/intake", Some(json!({"channel": "other", "what": "不明气味"}))).await;
    let before = counts(&server.pool).await;
    for (body, field) in [
        (json!({"incident": {"name": "x", "kind": "air", "severity": "一般"}}), "incident"),
        (json!({"dismiss": "  "}), "dismiss"),
        (json!({}), "screen"),
        (json!({"dismiss": "x", "incident_id": inc}), "screen"),
        (json!({"incident_id": 999999}), "incident_id"),
    ] {
        let (status, p) =
            call(&server, &duty, Method::POST, &format!("/api/intake/{}/screen", placeless["id"]), Some(body.clone()))
                .await;
        assert_eq!(status, 422, "{body}: {p}");
        assert_eq!(p["field"], field, "{body}: {p}");
    }
    assert_eq!(counts(&server.pool).await, before);
    // The feed heard of every call and screening.
    let told: i64 = sqlx::query_scalar("SELECT count(*) FROM event_log WHERE kind = 'intake'")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    assert_eq!(told, 4 + 3, "four calls, three screenings");
}

#[tokio::test]
async fn sensitive_and_grave_events_run_on_the_short_clock() {
    let server = TestServer::with_demo().await.unwrap();
    let duty = server.token("值班员乙", Role::Dispatcher, None).await.unwrap();
    let open = |received: String, severity: &str, sensitive: bool| {
        let server = &server;
        let duty = &duty;
        let severity = severity.to_string();
        async move {
            let (status, call_) = call(
                server,
                duty,
                Method::POST,
                "/api/intake",
                Some(json!({
                "channel": "park_alarm", "received_at": received, "point": [106.9, 29.8], "what": "园区报警"})),
            )
            .await;
            assert_eq!(status, 201, "{call_}");
            let (status, s) = call(
                server,
                duty,
                Method::POST,
                &format!("/api/intake/{}/screen", call_["id"]),
                Some(json!({
                "incident": {"name": format!("短时钟 {severity} {sensitive}"), "kind": "air", "severity": severity,
                             "sensitive": sensitive}})),
            )
            .await;
            assert_eq!(status, 200, "{s}");
            (s["incident_id"].as_i64().unwrap(), time(&call_["received_at"]))
        }
    };
    // Sensitive 一般: phone in 30 min, written in 60 (sooner than 4 h).
    let (a, at) = open(ago(40), "一般", true).await;
    let props = incident(&server, &duty, a).await;
    assert_eq!(time(&props["phone_report_due_at"]), at + Duration::minutes(30));
    assert_eq!(time(&props["initial_report_due_at"]), at + Duration::minutes(60));
    assert_eq!(
        (props["phone_report_overdue"].as_bool(), props["initial_report_overdue"].as_bool()),
        (Some(true), Some(false))
    );
    // 重大, not marked sensitive: the rule names the severity; written in 60 (sooner than 2 h).
    let (b, bt) = open(ago(5), "重大", false).await;
    let props = incident(&server, &duty, b).await;
    assert_eq!(time(&props["phone_report_due_at"]), bt + Duration::minutes(30));
    assert_eq!(time(&props["initial_report_due_at"]), bt + Duration::minutes(60));
    assert_eq!(props["phone_report_overdue"], false);
    // 较大, not sensitive: the national rule alone.
    let (c, ct) = open(ago(5), "较大", false).await;
    let props = incident(&server, &duty, c).await;
    assert_eq!(props["phone_report_due_at"], Value::Null);
    assert_eq!(time(&props["initial_report_due_at"]), ct + Duration::minutes(240));

    // The desk is told of the late phone report, once.
    onemap::feed::deadlines::notice(&server.pool).await.unwrap();
    onemap::feed::deadlines::notice(&server.pool).await.unwrap();
    let told: Vec<i64> = sqlx::query_scalar(
        "SELECT (data->>'incident_id')::bigint FROM event_log WHERE kind = 'report_due' AND data->>'what' = 'phone_overdue'",
    )
    .fetch_all(&server.pool)
    .await
    .unwrap();
    assert_eq!(told, vec![a]);

    // The phone report stops the clock; one before the discovery is refused.
    let before = counts(&server.pool).await;
    let path = format!("/api/incidents/{a}/phone-reports");
    for (body, field) in [
        (json!({"called": "市局总值班室", "called_at": ago(60), "said": "x"}), "called_at"),
        (json!({"called": "", "said": "x"}), "called"),
        (
            json!({"called": "市局", "said": "x", "called_at": (Utc::now() + Duration::hours(1)).to_rfc3339()}),
            "called_at",
        ),
    ] {
        let (status, p) = call(&server, &duty, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {p}");
        assert_eq!(p["field"], field);
    }
    let viewer = server.token("只看", Role::Viewer, None).await.unwrap();
    let (status, _) = call(&server, &viewer, Method::POST, &path, Some(json!({"called": "市局", "said": "x"}))).await;
    assert_eq!(status, 403);
    assert_eq!(counts(&server.pool).await, before);
    let (status, phoned) = call(
        &server,
        &duty,
        Method::POST,
        &path,
        Some(json!({
        "called": "市局总值班室 张科长", "called_at": ago(2), "said": "园区氯气泄漏，已疏散下风向"})),
    )
    .await;
    assert_eq!(status, 201, "{phoned}");
    let props = incident(&server, &duty, a).await;
    assert_eq!(time(&props["phone_reported_at"]), time(&phoned["called_at"]));
    assert_eq!(props["phone_report_overdue"], false);
    let (_, list) = call(&server, &viewer, Method::GET, &path, None).await;
    assert_eq!(list["phone_reports"][0]["called"], "市局总值班室 张科长");
}

#[tokio::test]
async fn the_roster_says_who_is_on_duty_and_the_handover_keeps_what_is_open() {
    let server = TestServer::with_demo().await.unwrap();
    let head = server.token("值班主任", Role::Planner, None).await.unwrap();
    let duty = server.token("值班员丙", Role::Dispatcher, None).await.unwrap();
    let hours = |h: i64| (Utc::now() + Duration::hours(h)).to_rfc3339();
    let (status, added) = call(&server, &head, Method::POST, "/api/duty/roster", Some(json!({"shifts": [
        {"starts_at": hours(-3), "ends_at": hours(5), "person": "李四", "post": "officer", "phone": "023-1"},
        {"starts_at": hours(-3), "ends_at": hours(21), "person": "张三", "post": "leader", "phone": "023-2"},
        {"starts_at": hours(-30), "ends_at": hours(-6), "person": "王五", "post": "officer"},
        {"starts_at": hours(-3), "ends_at": hours(5), "person": "区值班员", "post": "officer", "district": "500117"},
    ]}))).await;
    assert_eq!(status, 201, "{added}");
    let (_, now) = call(&server, &duty, Method::GET, "/api/duty/now", None).await;
    let people: Vec<&str> = now["shifts"].as_array().unwrap().iter().map(|s| s["person"].as_str().unwrap()).collect();
    assert_eq!(people, ["张三", "李四"], "the city's, leaders first: {now}");
    let district_duty = server.token("合川值班", Role::Dispatcher, Some("500117")).await.unwrap();
    let (_, theirs) = call(&server, &district_duty, Method::GET, "/api/duty/now", None).await;
    assert_eq!(theirs["shifts"][0]["person"], "区值班员");
    assert_eq!(theirs["shifts"].as_array().unwrap().len(), 1);

    // The handover lists what the officer says is open and the calls not yet screened.
    let (_, waiting) = call(
        &server,
        &duty,
        Method::POST,
        "/api/intake",
        Some(json!({"channel": "hotline_12345", "what": "小区有异味"})),
    )
    .await;
    let (status, handover) = call(
        &server,
        &duty,
        Method::POST,
        "/api/duty/log",
        Some(json!({
        "kind": "handover", "text": "夜班平稳", "open_items": ["合川油污事件续报待报"]})),
    )
    .await;
    assert_eq!(status, 201, "{handover}");
    let items: Vec<&str> = handover["open_items"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect();
    assert_eq!(items[0], "合川油污事件续报待报");
    assert!(items[1].contains(&format!("#{}", waiting["id"])), "{items:?}");
    let (_, now) = call(&server, &duty, Method::GET, "/api/duty/now", None).await;
    assert_eq!(now["handover"]["id"], handover["id"]);
    assert_eq!(now["open_calls"], 1);

    // Refused, nothing written.
    let before = counts(&server.pool).await;
    for (shift, field) in [
        (json!({"starts_at": hours(1), "ends_at": hours(0), "person": "x", "post": "officer"}), "ends_at"),
        (json!({"starts_at": hours(0), "ends_at": hours(49), "person": "x", "post": "officer"}), "ends_at"),
        (json!({"starts_at": hours(0), "ends_at": hours(1), "person": "x", "post": "boss"}), "post"),
        (json!({"starts_at": hours(0), "ends_at": hours(1), "person": " ", "post": "officer"}), "person"),
        (json!({"starts_at": "tomorrow", "ends_at": hours(1), "person": "x", "post": "officer"}), "starts_at"),
        (
            json!({"starts_at": hours(0), "ends_at": hours(1), "person": "x", "post": "officer", "district": "999999"}),
            "district",
        ),
    ] {
        let good = json!({"starts_at": hours(0), "ends_at": hours(1), "person": "好", "post": "officer"});
        let (status, p) =
            call(&server, &head, Method::POST, "/api/duty/roster", Some(json!({"shifts": [good, shift.clone()]})))
                .await;
        assert_eq!(status, 422, "{shift}: {p}");
        assert_eq!(p["field"], field, "{shift}: {p}");
    }
    let (status, _) = call(&server, &duty, Method::POST, "/api/duty/roster", Some(json!({"shifts": []}))).await;
    assert_eq!(status, 403, "a duty officer does not make the roster");
    let district_head = server.token("合川主任", Role::Planner, Some("500117")).await.unwrap();
    let (status, p) = call(
        &server,
        &district_head,
        Method::POST,
        "/api/duty/roster",
        Some(json!({"shifts": [
        {"starts_at": hours(0), "ends_at": hours(1), "person": "x", "post": "officer"}]})),
    )
    .await;
    assert_eq!(status, 403, "a district's head writes the district's roster only: {p}");
    for (body, field) in
        [(json!({"kind": "gossip", "text": "x"}), "kind"), (json!({"kind": "note", "text": ""}), "text")]
    {
        let (status, p) = call(&server, &duty, Method::POST, "/api/duty/log", Some(body)).await;
        assert_eq!((status, p["field"].as_str()), (422, Some(field)));
    }
    assert_eq!(counts(&server.pool).await, before);
}

#[tokio::test]
async fn bad_calls_are_refused_and_district_users_keep_to_their_district() {
    let server = TestServer::with_demo().await.unwrap();
    let duty = server.token("值班员丁", Role::Dispatcher, None).await.unwrap();
    let before = counts(&server.pool).await;
    let future = (Utc::now() + Duration::hours(1)).to_rfc3339();
    for (body, field) in [
        (json!({"channel": "pigeon", "what": "x"}), "channel"),
        (json!({"channel": "other", "what": "  "}), "what"),
        (json!({"channel": "other", "what": "x", "received_at": future}), "received_at"),
        (json!({"channel": "other", "what": "x", "received_at": ago(60 * 24 * 40)}), "received_at"),
        (json!({"channel": "other", "what": "x", "received_at": "昨天"}), "received_at"),
        (json!({"channel": "other", "what": "x", "point": [200.0, 29.0]}), "point"),
        (json!({"channel": "other", "what": "x", "caller": "x".repeat(201)}), "caller"),
        (json!({"channel": "other", "what": "x", "colour": "red"}), "colour"),
        (json!({"channel": "other", "what": "响铃\u{0007}"}), "what"),
        (json!({"channel": "other", "what": "x".repeat(4001)}), "what"),
    ] {
        let (status, p) = call(&server, &duty, Method::POST, "/api/intake", Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {p}");
        let said = format!("{} {}", p["field"].as_str().unwrap_or_default(), p["detail"]);
        assert!(said.contains(field), "{body}: {p}");
    }
    let viewer = server.token("看客", Role::Viewer, None).await.unwrap();
    let (status, _) =
        call(&server, &viewer, Method::POST, "/api/intake", Some(json!({"channel": "other", "what": "x"}))).await;
    assert_eq!(status, 403);
    let (status, _) = call(&server, &viewer, Method::GET, "/api/intake", None).await;
    assert_eq!(status, 403, "callers' names and numbers are for the duty desk");
    // A 合川 duty officer records 合川's calls, not 万州's, and sees only 合川's.
    let hechuan = server.token("合川值班员", Role::Dispatcher, Some("500117")).await.unwrap();
    let (status, p) = call(
        &server,
        &hechuan,
        Method::POST,
        "/api/intake",
        Some(json!({
        "channel": "other", "what": "万州来电", "point": [108.40, 30.80]})),
    )
    .await;
    assert_eq!(status, 403, "{p}");
    assert_eq!(counts(&server.pool).await, before);
    let (status, ours) = call(
        &server,
        &hechuan,
        Method::POST,
        "/api/intake",
        Some(json!({
        "channel": "other", "what": "合川来电", "point": [106.28, 29.98]})),
    )
    .await;
    assert_eq!(status, 201, "{ours}");
    call(
        &server,
        &duty,
        Method::POST,
        "/api/intake",
        Some(json!({"channel": "other", "what": "万州来电", "point": [108.40, 30.80]})),
    )
    .await;
    let (_, seen) = call(&server, &hechuan, Method::GET, "/api/intake", None).await;
    let whats: Vec<&str> = seen["intakes"].as_array().unwrap().iter().map(|i| i["what"].as_str().unwrap()).collect();
    assert_eq!(whats, ["合川来电"]);
    let (_, all) = call(&server, &duty, Method::GET, "/api/intake?open=true", None).await;
    assert_eq!(all["intakes"].as_array().unwrap().len(), 2);
}
