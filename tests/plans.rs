//! Emergency plans: the lifecycle from draft to filing in force, the legal clock on China's
//! working days, filing numbers, documents (PDFs made and broken by qpdf, counted by poppler's
//! pdfinfo — tools independent of onemap's PDF reader), enterprises filing their own, the
//! bureau's due list against SQL written here, and every refusal leaving nothing written.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::testing::TestServer;
use common::{call_as, counts};
use onemap::auth::{Actor, Role, accounts};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// Two valid unified social credit codes (GB 32100-2015 check characters).
const CODE_A: &str = "91350100M000100Y43";
const CODE_B: &str = "91440300708461136T";

/// A one-page PDF written by hand, `catalog` added to its catalog, then rewritten by qpdf (so
/// that its cross-references are qpdf's, not ours) with `qpdf_args` (encryption, object streams).
fn pdf(catalog: &str, qpdf_args: &[&str]) -> Vec<u8> {
    let content = b"BT /F1 24 Tf 72 720 Td (Emergency plan) Tj ET";
    let objects = [
        format!("<< /Type /Catalog /Pages 2 0 R {catalog} >>"),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .into(),
        String::new(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        if o.is_empty() {
            out.extend(format!("{} 0 obj\n<< /Length {} >>\nstream\n", i + 1, content.len()).bytes());
            out.extend(content);
            out.extend(b"\nendstream\nendobj\n");
        } else {
            out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).bytes());
        }
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").bytes());
    }
    out.extend(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).bytes());
    qpdf(&out, qpdf_args)
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/plans-test");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{}-{name}", std::process::id()))
}

/// `input` rewritten by qpdf with `args` (`--empty` makes a PDF without pages).
fn qpdf(input: &[u8], args: &[&str]) -> Vec<u8> {
    let (source, target) =
        (scratch(&format!("in-{}.pdf", args.join("_"))), scratch(&format!("out-{}.pdf", args.join("_"))));
    std::fs::write(&source, input).unwrap();
    let mut command = Command::new("qpdf");
    if args == ["--empty"] {
        command.arg("--empty");
    } else {
        command.args(args).arg(&source);
    }
    let status = command.arg(&target).status().expect("qpdf (installed by scripts/setup)");
    assert!(status.success() || status.code() == Some(3), "qpdf {args:?} failed");
    std::fs::read(&target).unwrap()
}

/// The page count poppler's pdfinfo reads.
fn pdfinfo_pages(bytes: &[u8]) -> i64 {
    let file = scratch("info.pdf");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("pdfinfo").arg(&file).output().expect("pdfinfo (poppler-utils)");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap()
}

/// A caller of the test server: its credential (none: anonymous).
struct Who<'a> {
    server: &'a TestServer,
    token: Option<String>,
}

impl<'a> Who<'a> {
    fn new(server: &'a TestServer, token: String) -> Self {
        Self { server, token: Some(token) }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let (status, _, value) = call_as(self.token.as_deref(), method, &self.server.at(path), body).await;
        (status.as_u16(), value)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    /// The raw answer to a GET of `path`.
    async fn fetch(&self, path: &str) -> reqwest::Response {
        let request = reqwest::Client::new().get(self.server.at(path));
        let request = match &self.token {
            Some(t) => request.bearer_auth(t),
            None => request,
        };
        request.send().await.unwrap()
    }
}

async fn upload(who: &Who<'_>, plan: i64, version: i64, kind: &str, file: (&str, &str, Vec<u8>)) -> (u16, Value) {
    let (name, media, bytes) = file;
    let form = Form::new()
        .text("kind", kind.to_string())
        .part("file", Part::bytes(bytes).file_name(name.to_string()).mime_str(media).unwrap());
    let response = reqwest::Client::new()
        .post(who.server.at(&format!("/api/plans/{plan}/versions/{version}/documents")))
        .bearer_auth(who.token.as_deref().unwrap_or_default())
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// An enterprise user acting for `codes`.
async fn enterprise<'a>(server: &'a TestServer, name: &str, codes: &[&str]) -> Who<'a> {
    let me = Actor::command_line();
    let codes: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    accounts::add_enterprise(&server.pool, &me, name, &codes, &format!("{name}-Password1"), None).await.unwrap();
    Who::new(server, accounts::create_token(&server.pool, &me, name, None, Some("test")).await.unwrap().1)
}

/// A new user `name` of the bureau with `role`, bound to `district` if given.
async fn bureau_user<'a>(server: &'a TestServer, name: &str, role: Role, district: Option<&str>) -> Who<'a> {
    Who::new(server, server.token(name, role, district).await.unwrap())
}

/// Two risk sources of 长寿区 (500115): the first carries CODE_A, the second CODE_B.
async fn two_sources(server: &TestServer) -> (i64, i64) {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM risk_source WHERE district = '长寿区' ORDER BY id LIMIT 2")
        .fetch_all(&server.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE risk_source SET credit_code = CASE WHEN id = $1 THEN $3 ELSE $4 END WHERE id IN ($1, $2)")
        .bind(ids[0])
        .bind(ids[1])
        .bind(CODE_A)
        .bind(CODE_B)
        .execute(&server.pool)
        .await
        .unwrap();
    (ids[0], ids[1])
}

/// The five documents of a filing, as the plan's own enterprise uploads them.
async fn file_documents(who: &Who<'_>, plan: i64, version: i64) {
    for kind in ["filing_form", "plan", "explanation", "risk_assessment", "resource_survey", "review_opinions"] {
        let (status, body) =
            upload(who, plan, version, kind, (&format!("{kind}.pdf"), "application/pdf", pdf("", &[]))).await;
        assert_eq!(status, 201, "{kind}: {body}");
    }
}

fn version_id(plan: &Value, number: i64) -> i64 {
    plan["versions"].as_array().unwrap().iter().find(|v| v["number"] == number).unwrap()["id"].as_i64().unwrap()
}

fn clock<'a>(plan: &'a Value, which: &str) -> &'a Value {
    plan["clock"].as_array().unwrap().iter().find(|d| d["clock"] == which).unwrap_or(&Value::Null)
}

#[tokio::test]
async fn an_enterprise_plan_goes_from_draft_to_in_force_on_the_legal_clock() {
    let server = TestServer::with_demo().await.unwrap();
    let (a, _) = two_sources(&server).await;
    let firm = enterprise(&server, "firm-a", &[CODE_A]).await;
    let bureau = bureau_user(&server, "cs-planner", Role::Planner, Some("500115")).await;

    let (status, plan) = firm
        .post(
            "/api/plans",
            json!({
        "kind": "enterprise", "name": "长寿经开区示例企业A突发环境事件应急预案", "level": "comprehensive",
        "district": "500115", "risk_level": "重大", "risk_source_ids": [a]}),
        )
        .await;
    assert_eq!(status, 201, "{plan}");
    let id = plan["id"].as_i64().unwrap();
    assert_eq!(plan["standing"], "none");
    let (status, plan) = firm.post(&format!("/api/plans/{id}/versions"), json!({"summary": "首版"})).await;
    assert_eq!(status, 201, "{plan}");
    let v1 = version_id(&plan, 1);
    let base = format!("/api/plans/{id}/versions/{v1}");

    // Not before its review and signing: a filing of a draft is refused, nothing written.
    let before = counts(&server.pool).await;
    let (status, body) = firm.post(&format!("/api/plans/{id}/filings"), json!({"version_id": v1})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("needs it signed"), "{body}");
    let (status, body) = firm.post(&format!("{base}/sign"), json!({"signed_on": "2026-09-28"})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(counts(&server.pool).await, before);

    let (status, plan) = firm.post(&format!("{base}/review"), json!({
        "reviewed_on": "2026-09-15", "reviewers": ["张工（专家）", "李工（专家）", "周边社区代表"], "opinions": "同意通过，按意见修改"})).await;
    assert_eq!(status, 200, "{plan}");
    // Signed before the review: refused.
    let (status, body) = firm.post(&format!("{base}/sign"), json!({"signed_on": "2026-09-10"})).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("signed_on")), "{body}");
    let (status, plan) = firm.post(&format!("{base}/sign"), json!({"signed_on": "2026-09-28"})).await;
    assert_eq!(status, 200, "{plan}");
    // 20 working days from Monday 28 September 2026 across the National Day week: 30 October.
    assert_eq!(clock(&plan, "filing")["on"], "2026-10-30", "{plan}");
    assert_eq!(clock(&plan, "filing")["standing"], "overdue");

    // Submitted the day before signing: refused.
    let (status, body) =
        firm.post(&format!("/api/plans/{id}/filings"), json!({"version_id": v1, "submitted_on": "2026-09-27"})).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("submitted_on")), "{body}");
    // Submitted without its documents, on Friday 23 October; returned listing them all at once.
    let (status, plan) =
        firm.post(&format!("/api/plans/{id}/filings"), json!({"version_id": v1, "submitted_on": "2026-10-23"})).await;
    assert_eq!(status, 201, "{plan}");
    assert_eq!(clock(&plan, "filing")["standing"], "met");
    // The bureau's 5 working days: 26–30 October.
    assert_eq!(clock(&plan, "acceptance")["on"], "2026-10-30");
    let filing = plan["filings"][0]["id"].as_i64().unwrap();
    let (status, body) = bureau.post(&format!("/api/plans/{id}/filings/{filing}/accept"), json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["missing"].as_array().unwrap().len(), 6, "{body}");
    let (status, plan) = bureau
        .post(
            &format!("/api/plans/{id}/filings/{filing}/return"),
            json!({"missing": ["应急物资清单未列存放位置"], "decided_on": "2026-10-27"}),
        )
        .await;
    assert_eq!(status, 200, "{plan}");
    let missing = plan["filings"][0]["missing"].as_array().unwrap();
    assert_eq!(missing.len(), 7, "{plan}");
    assert!(missing.iter().any(|m| m == "缺少环境风险评估报告"));
    assert_eq!(plan["versions"][0]["status"], "signed");
    let (status, body) =
        bureau.post(&format!("/api/plans/{id}/filings/{filing}/return"), json!({"missing": ["再退一次"]})).await;
    assert_eq!(status, 409, "a filing is decided once: {body}");

    // Completed and submitted again; accepted with the next number of the district's year.
    file_documents(&firm, id, v1).await;
    let (status, plan) =
        firm.post(&format!("/api/plans/{id}/filings"), json!({"version_id": v1, "submitted_on": "2026-11-02"})).await;
    assert_eq!(status, 201, "{plan}");
    assert_eq!(clock(&plan, "filing")["standing"], "late", "submitted complete after 30 October");
    let filing = plan["filings"][0]["id"].as_i64().unwrap();
    let (status, body) = firm.post(&format!("/api/plans/{id}/filings/{filing}/accept"), json!({})).await;
    assert_eq!(status, 403, "an enterprise does not accept its own filing: {body}");
    let (status, plan) =
        bureau.post(&format!("/api/plans/{id}/filings/{filing}/accept"), json!({"decided_on": "2026-11-04"})).await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["filing_number"], "500115-2026-001-H");
    assert_eq!(plan["in_force"], v1);
    assert_eq!(plan["standing"], "in_force");
    assert_eq!(plan["filings"][0]["acceptance"]["standing"], "met");
    // Reviewed again three years after the later of its review (15 September) and its filing
    // (4 November 2026).
    assert_eq!(clock(&plan, "review")["on"], "2029-11-04");
    let (status, body) = bureau.post(&format!("/api/plans/{id}/filings/{filing}/accept"), json!({})).await;
    assert_eq!(status, 409, "accepting twice: {body}");

    // A major revision: drafted with its reasons, filed again as a change, supersedes the first.
    let (status, body) = firm.post(&format!("/api/plans/{id}/versions"), json!({})).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("revision_reasons")), "{body}");
    let (status, plan) = firm
        .post(
            &format!("/api/plans/{id}/versions"),
            json!({"revision_reasons": ["resources", "drill"], "summary": "新增围油栏储备"}),
        )
        .await;
    assert_eq!(status, 201, "{plan}");
    let v2 = version_id(&plan, 2);
    let base2 = format!("/api/plans/{id}/versions/{v2}");
    firm.post(&format!("{base2}/review"), json!({"reviewed_on": "2026-11-16", "reviewers": ["王工"]})).await;
    let (status, plan) = firm.post(&format!("{base2}/sign"), json!({"signed_on": "2026-11-18"})).await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(clock(&plan, "filing")["on"], "2026-12-16");
    file_documents(&firm, id, v2).await;
    let (status, plan) =
        firm.post(&format!("/api/plans/{id}/filings"), json!({"version_id": v2, "kind": "initial"})).await;
    assert_eq!((status, plan["field"].as_str()), (422, Some("kind")), "a revision is a change filing: {plan}");
    let (status, plan) = firm
        .post(
            &format!("/api/plans/{id}/filings"),
            json!({"version_id": v2, "kind": "change", "submitted_on": "2026-11-20"}),
        )
        .await;
    assert_eq!(status, 201, "{plan}");
    let filing = plan["filings"][0]["id"].as_i64().unwrap();
    for (number, wrong) in [
        ("500112-2026-002-H", "district"),
        ("500115-2025-002-H", "2025"),
        ("500115-2026-002-M", "risk level"),
        ("500115-2026-002-HT", "one district"),
        ("500115-2026-02-H", "three-digit"),
    ] {
        let (status, body) = bureau
            .post(
                &format!("/api/plans/{id}/filings/{filing}/accept"),
                json!({"filing_number": number, "decided_on": "2026-11-24"}),
            )
            .await;
        assert_eq!(status, 422, "{number}: {body}");
        assert!(body["detail"].as_str().unwrap().contains(wrong), "{number}: {body}");
    }
    let (status, body) = bureau
        .post(
            &format!("/api/plans/{id}/filings/{filing}/accept"),
            json!({"filing_number": "500115-2026-001-H", "decided_on": "2026-11-24"}),
        )
        .await;
    assert_eq!(status, 409, "a number is given once: {body}");
    let (status, plan) = bureau
        .post(
            &format!("/api/plans/{id}/filings/{filing}/accept"),
            json!({"filing_number": "500115-2026-026-H", "decided_on": "2026-11-24"}),
        )
        .await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["filing_number"], "500115-2026-026-H");
    assert_eq!(plan["in_force"], v2);
    let statuses: Vec<&str> =
        plan["versions"].as_array().unwrap().iter().map(|v| v["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["in_force", "superseded"]);

    // Every step is in the audit trail, by the user who took it.
    let actors: Vec<(String, String)> =
        sqlx::query_as("SELECT DISTINCT table_name, actor FROM audit_log WHERE table_name LIKE 'plan%' ORDER BY 1, 2")
            .fetch_all(&server.pool)
            .await
            .unwrap();
    for expected in
        [("plan", "firm-a"), ("plan_filing", "cs-planner"), ("plan_document", "firm-a"), ("plan_version", "cs-planner")]
    {
        assert!(actors.iter().any(|(t, a)| (t.as_str(), a.as_str()) == expected), "{expected:?} in {actors:?}");
    }
    // And in the feed.
    let ops: Vec<String> = sqlx::query_scalar("SELECT data->>'op' FROM event_log WHERE kind = 'plan' ORDER BY id")
        .fetch_all(&server.pool)
        .await
        .unwrap();
    assert!(ops.contains(&"filing_accepted".to_string()) && ops.contains(&"filing_returned".to_string()), "{ops:?}");
}

#[tokio::test]
async fn enterprises_see_and_write_their_own_only() {
    let server = TestServer::with_demo().await.unwrap();
    let (a, b) = two_sources(&server).await;
    let firm_a = enterprise(&server, "firm-a", &[CODE_A]).await;
    let firm_b = enterprise(&server, "firm-b", &[CODE_B]).await;
    let plan_of = |source: i64| {
        json!({"kind": "enterprise", "name": format!("企业预案 {source}"), "level": "comprehensive",
                                       "district": "500115", "risk_level": "较大", "risk_source_ids": [source]})
    };

    let before = counts(&server.pool).await;
    let (status, body) = firm_a.post("/api/plans", plan_of(b)).await;
    assert_eq!(status, 403, "A files for B: {body}");
    let (status, body) = firm_a
        .post(
            "/api/plans",
            json!({
        "kind": "government", "name": "长寿区突发环境事件应急预案", "level": "comprehensive", "district": "500115"}),
        )
        .await;
    assert_eq!(status, 403, "an enterprise files enterprise plans: {body}");
    assert_eq!(counts(&server.pool).await, before);

    let (_, plan_b) = firm_b.post("/api/plans", plan_of(b)).await;
    let id_b = plan_b["id"].as_i64().unwrap();
    let (_, plan_b) = firm_b.post(&format!("/api/plans/{id_b}/versions"), json!({})).await;
    let v_b = version_id(&plan_b, 1);
    let (status, _) = upload(&firm_b, id_b, v_b, "summary", ("简本.pdf", "application/pdf", pdf("", &[]))).await;
    assert_eq!(status, 201);
    let (status, private) = upload(&firm_b, id_b, v_b, "plan", ("预案.pdf", "application/pdf", pdf("", &[]))).await;
    assert_eq!(status, 201);

    // A sees B's plan through its public fields only: no versions, no review, no contacts.
    let (status, seen) = firm_a.get(&format!("/api/plans/{id_b}")).await;
    assert_eq!(status, 200);
    assert!(seen.get("versions").is_none() && seen.get("author").is_none() && seen.get("clock").is_none(), "{seen}");
    assert_eq!(seen["name"], plan_b["name"]);
    let (status, list) = firm_a.get("/api/plans").await;
    assert_eq!(status, 200);
    assert!(list["plans"].as_array().unwrap().iter().all(|p| p.get("versions").is_none()), "{list}");
    for path in [
        format!("/api/plans/{id_b}/versions"),
        format!("/api/plans/{id_b}/filings"),
        private["href"].as_str().unwrap().to_string(),
    ] {
        let (status, body) = firm_a.get(&path).await;
        assert_eq!(status, 403, "{path}: {body}");
    }
    let before = counts(&server.pool).await;
    let (status, _) = firm_a.patch(&format!("/api/plans/{id_b}"), json!({"name": "夺取"})).await;
    assert_eq!(status, 403);
    let (status, _) = firm_a
        .post(
            &format!("/api/plans/{id_b}/versions/{v_b}/review"),
            json!({"reviewed_on": "2026-10-01", "reviewers": ["x"]}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = upload(&firm_a, id_b, v_b, "other", ("x.pdf", "application/pdf", pdf("", &[]))).await;
    assert_eq!(status, 403);
    // A's own plan cannot be widened to B's source.
    let (_, plan_a) = firm_a.post("/api/plans", plan_of(a)).await;
    let id_a = plan_a["id"].as_i64().unwrap();
    let after_create = counts(&server.pool).await;
    let (status, _) = firm_a.patch(&format!("/api/plans/{id_a}"), json!({"risk_source_ids": [a, b]})).await;
    assert_eq!(status, 403);
    assert_eq!(counts(&server.pool).await, after_create);
    assert_ne!(before, after_create);
    // The bureau's map and registry stay closed to an enterprise; the summary is open.
    for path in ["/api/plans/due", "/api/layers/risk_source", "/api/audit"] {
        let (status, _) = firm_a.get(path).await;
        assert_eq!(status, 403, "{path}");
    }
    let public = &seen["documents"];
    assert_eq!(public.as_array().map(Vec::len), Some(0), "no version in force yet: nothing published");
    let summary_href = plan_b_summary(&server, id_b).await;
    let response = firm_a.fetch(&summary_href).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
}

async fn plan_b_summary(server: &TestServer, plan: i64) -> String {
    let id: i64 = sqlx::query_scalar(
        "SELECT d.id FROM plan_document d JOIN plan_version v ON v.id = d.version_id WHERE v.plan_id = $1 AND d.public",
    )
    .bind(plan)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    format!("/api/plan-documents/{id}")
}

#[tokio::test]
async fn documents_are_pdfs_without_scripts_or_passwords() {
    let server = TestServer::with_demo().await.unwrap();
    let token = Who::new(&server, server.admin_token.clone());
    let (_, plan) = token
        .post(
            "/api/plans",
            json!({
        "kind": "government", "name": "重庆市突发环境事件应急预案", "level": "comprehensive",
        "district": "500112", "districts": ["500112", "500115"]}),
        )
        .await;
    let id = plan["id"].as_i64().unwrap();
    let (_, plan) = token.post(&format!("/api/plans/{id}/versions"), json!({})).await;
    let v = version_id(&plan, 1);

    let good = pdf("", &[]);
    let (status, stored) = upload(&token, id, v, "plan", ("预案.pdf", "application/pdf", good.clone())).await;
    assert_eq!(status, 201, "{stored}");
    assert_eq!(stored["pages"].as_i64(), Some(pdfinfo_pages(&good)));
    let back = token.fetch(stored["href"].as_str().unwrap()).await;
    assert_eq!(back.bytes().await.unwrap().as_ref(), good.as_slice(), "stored as uploaded");

    let before = counts(&server.pool).await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    for (what, file, expected) in [
        ("a PNG", ("p.pdf", "application/pdf", png), "not a readable PDF"),
        ("text", ("t.pdf", "application/pdf", b"%PDF-1.7\nhello".to_vec()), "not a readable PDF"),
        (
            "a password",
            ("e.pdf", "application/pdf", pdf("", &["--encrypt", "user", "owner", "256", "--"])),
            "encrypted",
        ),
        (
            "restrictions",
            ("r.pdf", "application/pdf", pdf("", &["--encrypt", "", "owner", "256", "--print=none", "--"])),
            "encrypted",
        ),
        (
            "JavaScript",
            ("j.pdf", "application/pdf", pdf("/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>", &[])),
            "JavaScript",
        ),
        (
            "hidden JavaScript",
            (
                "h.pdf",
                "application/pdf",
                pdf(
                    "/Names << /JavaScript << /Names [(a) << /S /JavaScript /JS (1) >>] >> >>",
                    &["--object-streams=generate"],
                ),
            ),
            "JavaScript",
        ),
        (
            "a launch action",
            ("l.pdf", "application/pdf", pdf("/OpenAction << /S /Launch /F (calc.exe) >>", &[])),
            "launch",
        ),
        ("no pages", ("n.pdf", "application/pdf", qpdf(b"", &["--empty"])), "no page"),
    ] {
        let (status, body) = upload(&token, id, v, "other", file).await;
        assert_eq!(status, 422, "{what}: {body}");
        assert!(body["detail"].as_str().unwrap().contains(expected), "{what}: {body}");
    }
    let (status, body) = upload(&token, id, v, "poster", ("x.pdf", "application/pdf", good.clone())).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("kind")), "{body}");
    assert_eq!(counts(&server.pool).await, before, "nothing stored");

    // A viewer reads, does not write; nobody anonymous reads.
    let viewer = bureau_user(&server, "v", Role::Viewer, None).await;
    let (status, _) = upload(&viewer, id, v, "other", ("x.pdf", "application/pdf", good)).await;
    assert_eq!(status, 403);
    let (status, _) = viewer.get(&format!("/api/plans/{id}/versions")).await;
    assert_eq!(status, 200);
    let (status, _) = Who { server: &server, token: None }.get("/api/plans").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn bad_plans_are_refused_and_nothing_is_written() {
    let server = TestServer::with_demo().await.unwrap();
    let token = Who::new(&server, server.admin_token.clone());
    let (source,): (i64,) =
        sqlx::query_as("SELECT id FROM risk_source ORDER BY id LIMIT 1").fetch_one(&server.pool).await.unwrap();
    let (school,): (i64,) =
        sqlx::query_as("SELECT id FROM receptor WHERE kind = 'school' LIMIT 1").fetch_one(&server.pool).await.unwrap();
    let good = json!({"kind": "enterprise", "name": "预案", "level": "comprehensive", "district": "500115",
                      "risk_level": "一般", "risk_source_ids": [source]});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let before = counts(&server.pool).await;
    for (body, field) in [
        (with("kind", json!("factory")), "kind"),
        (with("level", json!("grand")), "level"),
        (with("district", json!("5001")), "district"),
        (with("district", json!("999999")), "district"),
        (with("districts", json!(["500101"])), "districts"),
        (with("risk_level", json!("特大")), "risk_level"),
        (with("risk_level", Value::Null), "risk_level"),
        (with("risk_source_ids", json!([])), "risk_source_ids"),
        (with("risk_source_ids", json!([999_999_999])), "risk_source_ids"),
        (with("department", json!("生态环境局")), "department"),
        (with("name", json!("")), "name"),
        (with("name", json!("a\u{1b}[31m")), "name"),
        (with("parent_id", json!(999_999_999)), "parent_id"),
        (
            json!({"kind": "water_source", "name": "水源地预案", "level": "special", "district": "500115", "receptor_id": school}),
            "receptor_id",
        ),
        (json!({"kind": "department", "name": "部门预案", "level": "special", "district": "500115"}), "department"),
    ] {
        let (status, problem) = token.post("/api/plans", body.clone()).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    let (status, _) = token.post("/api/plans", with("colour", json!("red"))).await;
    assert_eq!(status, 422, "unknown keys are refused");
    assert_eq!(counts(&server.pool).await, before);

    // A plan set is a tree, downwards.
    let (_, top) = token.post("/api/plans", with("level", json!("special"))).await;
    let top = top["id"].as_i64().unwrap();
    let (status, child) = token
        .post(
            "/api/plans",
            with("level", json!("on_site"))
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("parent_id".into(), json!(top));
                    Value::Object(o)
                })
                .unwrap(),
        )
        .await;
    assert_eq!(status, 201, "{child}");
    let child = child["id"].as_i64().unwrap();
    let (status, body) = token.post("/api/plans", with("parent_id", json!(child))).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("parent_id")), "comprehensive under on-site: {body}");
    let (status, body) =
        token.patch(&format!("/api/plans/{top}"), json!({"parent_id": child, "level": "comprehensive"})).await;
    assert_eq!(status, 409, "a loop: {body}");
    let (status, body) = token.patch(&format!("/api/plans/{top}"), json!({"kind": "park"})).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("kind")), "{body}");

    // Reviews and dates.
    let (_, plan) = token.post(&format!("/api/plans/{top}/versions"), json!({})).await;
    let v = version_id(&plan, 1);
    let path = format!("/api/plans/{top}/versions/{v}/review");
    for (body, field) in [
        (json!({"reviewed_on": "2026-13-01", "reviewers": ["x"]}), "reviewed_on"),
        (json!({"reviewed_on": "2999-01-01", "reviewers": ["x"]}), "reviewed_on"),
        (json!({"reviewed_on": "2026-10-01", "reviewers": []}), "reviewers"),
        (json!({"reviewed_on": "2026-10-01", "reviewers": [""]}), "reviewers"),
    ] {
        let (status, problem) = token.post(&path, body.clone()).await;
        assert_eq!((status, problem["field"].as_str()), (422, Some(field)), "{body}: {problem}");
    }
    let (status, body) = token.post(&format!("/api/plans/{top}/versions"), json!({})).await;
    assert_eq!(status, 409, "one version open at a time: {body}");
    let (status, body) = token
        .post(
            &format!("/api/plans/{top}/versions/999999999/review"),
            json!({"reviewed_on": "2026-10-01", "reviewers": ["x"]}),
        )
        .await;
    assert_eq!(status, 404, "{body}");

    // Roles: a viewer and a dispatcher do not write plans; a district planner not another's.
    let viewer = bureau_user(&server, "v", Role::Viewer, None).await;
    let dispatcher = bureau_user(&server, "d", Role::Dispatcher, None).await;
    let elsewhere = bureau_user(&server, "p-yubei", Role::Planner, Some("500112")).await;
    let before = counts(&server.pool).await;
    for t in [&viewer, &dispatcher] {
        let (status, _) = t.post("/api/plans", good.clone()).await;
        assert_eq!(status, 403);
    }
    let (status, _) = elsewhere.post("/api/plans", good.clone()).await;
    assert_eq!(status, 403, "a plan filed with 长寿区 by a 渝北区 planner");
    let (status, _) = elsewhere.patch(&format!("/api/plans/{top}"), json!({"name": "改"})).await;
    assert_eq!(status, 403);
    let (status, _) = Who { server: &server, token: None }.post("/api/plans", good.clone()).await;
    assert_eq!(status, 401);
    assert_eq!(counts(&server.pool).await, before);
}

#[tokio::test]
async fn the_due_list_is_what_sql_says_must_be_filed() {
    let server = TestServer::with_demo().await.unwrap();
    let token = Who::new(&server, server.admin_token.clone());
    let (a, _) = two_sources(&server).await;
    // One source gets a plan in force (filed by the city, on the legal clock).
    let (_, plan) = token
        .post(
            "/api/plans",
            json!({
        "kind": "enterprise", "name": "在册预案", "level": "comprehensive", "district": "500115",
        "risk_level": "重大", "risk_source_ids": [a]}),
        )
        .await;
    let id = plan["id"].as_i64().unwrap();
    let (_, plan) = token.post(&format!("/api/plans/{id}/versions"), json!({})).await;
    let v = version_id(&plan, 1);
    token
        .post(&format!("/api/plans/{id}/versions/{v}/review"), json!({"reviewed_on": "2023-03-01", "reviewers": ["x"]}))
        .await;
    token.post(&format!("/api/plans/{id}/versions/{v}/sign"), json!({"signed_on": "2023-03-06"})).await;
    file_documents(&token, id, v).await;
    let (_, plan) =
        token.post(&format!("/api/plans/{id}/filings"), json!({"version_id": v, "submitted_on": "2023-03-10"})).await;
    let filing = plan["filings"][0]["id"].as_i64().unwrap();
    let (status, plan) =
        token.post(&format!("/api/plans/{id}/filings/{filing}/accept"), json!({"decided_on": "2023-03-14"})).await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["filing_number"], "500115-2023-001-H");
    // Filed on 14 March 2023: reviewed by 14 March 2026 — overdue today.
    assert_eq!(clock(&plan, "review")["on"], "2026-03-14");
    assert_eq!(clock(&plan, "review")["standing"], "overdue");

    // The desk is told once, however often the clock is read.
    assert_eq!(onemap::plans::notices::notice(&server.pool).await.unwrap(), 1);
    assert_eq!(onemap::plans::notices::notice(&server.pool).await.unwrap(), 0);
    let told: Vec<Value> =
        sqlx::query_scalar("SELECT data FROM event_log WHERE kind = 'plan_due'").fetch_all(&server.pool).await.unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!((told[0]["plan_id"].as_i64(), told[0]["what"].as_str()), (Some(id), Some("review_overdue")));

    let (status, list) = token.get("/api/plans/due").await;
    assert_eq!(status, 200, "{list}");
    let listed = |why: &str| -> Vec<i64> {
        let mut ids: Vec<i64> = list["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["why"] == why)
            .map(|e| e["risk_source_id"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    let scope = onemap::plans::due::Scope::builtin();
    let expected: Vec<i64> = sqlx::query_scalar(
        "SELECT s.id FROM risk_source s WHERE s.status <> 'closed' AND (s.grade = ANY($1) OR s.industry = ANY($2)) \
           AND NOT EXISTS (SELECT 1 FROM plan_source ps JOIN plan_version v ON v.plan_id = ps.plan_id \
                            WHERE ps.risk_source_id = s.id AND v.status = 'in_force') ORDER BY s.id",
    )
    .bind(&scope.grades)
    .bind(&scope.industries)
    .fetch_all(&server.pool)
    .await
    .unwrap();
    assert!(!expected.is_empty());
    assert_eq!(listed("no_plan"), expected);
    assert!(!expected.contains(&a));
    assert_eq!(listed("review"), vec![a]);
    // By district: only 长寿区's.
    let (_, cs) = token.get("/api/plans/due?district=500115").await;
    assert!(cs["entries"].as_array().unwrap().iter().all(|e| e["district"] == "500115"), "{cs}");
    // CSV, and GBK for spreadsheets.
    let csv = common::raw_get(server.at("/api/plans/due?format=csv&encoding=gbk")).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=GB18030");
    let bytes = csv.bytes().await.unwrap();
    let (text, _, bad) = encoding_rs::GB18030.decode(&bytes);
    assert!(!bad);
    assert!(text.starts_with("事项,状态,区县代码"), "{text}");
    assert_eq!(text.lines().count(), list["entries"].as_array().unwrap().len() + 1);
    for bad in ["district=5001", "format=xml", "encoding=latin1", "encoding=gbk", "colour=red"] {
        let (status, _) = token.get(&format!("/api/plans/due?{bad}")).await;
        assert_eq!(status, 400, "{bad}");
    }
}

#[tokio::test]
async fn enterprise_users_are_bound_to_valid_credit_codes() {
    let server = TestServer::start().await.unwrap();
    let me = Actor::command_line();
    let pool = &server.pool;
    let password = "firm-Password1";
    assert!(accounts::add_enterprise(pool, &me, "f1", &[], password, None).await.is_err());
    assert!(accounts::add_enterprise(pool, &me, "f2", &["91350100M000100Y44".into()], password, None).await.is_err());
    assert!(accounts::add_user(pool, &me, "f3", onemap::auth::Role::Enterprise, None, password, None).await.is_err());
    assert!(accounts::add_enterprise(pool, &me, "f4", &[CODE_A.into(), CODE_B.into()], password, None).await.is_ok());
    // The database holds the rule too.
    let err = sqlx::query("UPDATE app_user SET credit_codes = '{}' WHERE name = 'f4'").execute(pool).await.unwrap_err();
    assert!(err.to_string().contains("app_user_enterprise_codes"), "{err}");
}
