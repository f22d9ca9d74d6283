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

/// `path` of `server` printed to PDF by headless Chromium (tests/browser/print.mjs); the file.
/// (The server answers on this test's runtime: the printing is awaited, not blocked on.)
async fn print_card(server: &TestServer, path: &str, name: &str) -> PathBuf {
    let out = scratch(&format!("card-{name}.pdf"));
    let root = env!("CARGO_MANIFEST_DIR");
    let status = tokio::process::Command::new("node")
        .args([
            &format!("{root}/tests/browser/print.mjs"),
            &server.at(path),
            &server.admin_token,
            out.to_str().unwrap(),
        ])
        .status()
        .await
        .expect("node (scripts/setup installs the browser test's packages)");
    assert!(status.success(), "printing {path}");
    out
}

/// The text poppler's pdftotext reads of `pdf`.
fn pdftotext(pdf: &PathBuf) -> String {
    let out = Command::new("pdftotext").arg(pdf).arg("-").output().expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
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
    let mut huge = good.clone();
    huge.resize(onemap::plans::documents::MAX_BYTES + 1, b' ');
    let (status, body) = upload(&token, id, v, "plan", ("huge.pdf", "application/pdf", huge)).await;
    assert_eq!(status, 413, "{body}");
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
    let rivers = std::sync::Arc::new(onemap::routing::rivers::load_rivers(&server.pool).await.unwrap());
    assert_eq!(onemap::plans::notices::notice(&server.pool, rivers.clone()).await.unwrap(), 1);
    assert_eq!(onemap::plans::notices::notice(&server.pool, rivers.clone()).await.unwrap(), 0);
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

/// A plan of `district` put in force with `scenarios` on its version, by the administrator.
async fn in_force_with(who: &Who<'_>, district: &str, source: i64, scenarios: &[Value]) -> (i64, i64) {
    in_force_with_also(who, district, source, scenarios, &[]).await
}

/// As [`in_force_with`], with documents of `also` kinds filed beside the five.
async fn in_force_with_also(
    who: &Who<'_>,
    district: &str,
    source: i64,
    scenarios: &[Value],
    also: &[&str],
) -> (i64, i64) {
    let plan = json!({"kind": "enterprise", "name": "情景预案", "level": "comprehensive", "district": district,
                      "risk_level": "重大", "risk_source_ids": [source]});
    let (status, plan) = who.post("/api/plans", plan).await;
    assert_eq!(status, 201, "{plan}");
    let id = plan["id"].as_i64().unwrap();
    let (_, plan) = who.post(&format!("/api/plans/{id}/versions"), json!({})).await;
    let v = version_id(&plan, 1);
    for s in scenarios {
        let (status, body) = who.post(&format!("/api/plans/{id}/versions/{v}/scenarios"), s.clone()).await;
        assert_eq!(status, 201, "{body}");
    }
    let base = format!("/api/plans/{id}/versions/{v}");
    who.post(&format!("{base}/review"), json!({"reviewed_on": "2026-11-02", "reviewers": ["x"]})).await;
    let (status, body) = who.post(&format!("{base}/sign"), json!({"signed_on": "2026-11-03"})).await;
    assert_eq!(status, 200, "{body}");
    file_documents(who, id, v).await;
    for kind in also {
        let (status, body) = upload(who, id, v, kind, (&format!("{kind}.pdf"), "application/pdf", pdf("", &[]))).await;
        assert_eq!(status, 201, "{kind}: {body}");
    }
    let (_, plan) =
        who.post(&format!("/api/plans/{id}/filings"), json!({"version_id": v, "submitted_on": "2026-11-04"})).await;
    let filing = plan["filings"][0]["id"].as_i64().unwrap();
    let (status, body) =
        who.post(&format!("/api/plans/{id}/filings/{filing}/accept"), json!({"decided_on": "2026-11-05"})).await;
    assert_eq!(status, 200, "{body}");
    (id, v)
}

/// Whether two answers are the same, numbers to a part in 10¹² (the river graph is rebuilt as the
/// map changes; a point snapped on the rebuilt graph may differ in its last bit).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn scenario_ids(plan: &Value) -> Vec<i64> {
    plan["versions"][0]["scenarios"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect()
}

fn flag_reasons(plan: &Value) -> Vec<String> {
    plan["flags"].as_array().unwrap().iter().map(|f| f["reason"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn scenarios_are_computed_by_the_models_and_the_plan_is_checked_against_the_map() {
    let server = TestServer::with_demo().await.unwrap();
    let admin = Who::new(&server, server.admin_token.clone());
    // A source holding chlorine near a river, a depot of its district with stock to count on,
    // and a district with an available hazmat team.
    let (source, district, district_name): (i64, String, String) = sqlx::query_as(
        "SELECT s.id, d.code, d.name FROM risk_source s JOIN risk_substance x ON x.risk_source_id = s.id \
           JOIN district d ON s.district IN (d.name, d.code) \
         WHERE x.cas = '7782-50-5' AND EXISTS (SELECT 1 FROM risk_substance y WHERE y.risk_source_id = s.id \
                                                 AND coalesce(y.cas, '') <> '7782-50-5') \
           AND EXISTS (SELECT 1 FROM route r WHERE r.kind = 'river' \
                         AND ST_DWithin(r.geom::geography, ST_PointOnSurface(s.geom)::geography, 1500)) \
           AND EXISTS (SELECT 1 FROM depot p JOIN stock_item i ON i.depot_id = p.id \
                        WHERE p.district = d.name AND i.quantity - i.reserved >= 5) \
         ORDER BY s.id LIMIT 1",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let (depot, item, unit): (i64, String, String) = sqlx::query_as(
        "SELECT d.id, i.item, i.unit FROM depot d JOIN stock_item i ON i.depot_id = d.id \
         WHERE d.district = $1 AND i.quantity - i.reserved >= 5 AND (i.expiry_date IS NULL OR i.expiry_date > '2030-01-01') \
         ORDER BY d.id, i.id LIMIT 1",
    )
    .bind(&district_name)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let (team_district, team_district_name): (String, String) = sqlx::query_as(
        "SELECT d.code, d.name FROM team t JOIN district d ON t.district IN (d.name, d.code) \
         WHERE 'hazmat' = ANY(t.specialties) AND t.status = 'available' ORDER BY t.id LIMIT 1",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let air = json!({"title": "液氯钢瓶泄漏", "risk_source_id": source, "unit": "液氯库", "substance": "液氯", "medium": "air",
                     "rate_kg_s": 0.5, "minutes": 30, "weather": {"wind_ms": 3.0, "wind_from_deg": 90.0, "stability": "D"},
                     "measures": [{"step": "关闭泄漏钢瓶阀门，启动碱液喷淋", "by": "企业现场处置组", "within_min": 5},
                                  {"step": "下风向 1 公里人员疏散", "by": "长寿区应急管理局", "within_min": 30}],
                     "resources": [{"kind": "stock", "item": item, "quantity": 5.0, "unit": unit, "depot_id": depot, "basis": "agreement"},
                                   {"kind": "team", "specialty": "hazmat", "count": 1, "district": team_district, "basis": "agreement"}]});
    let water = json!({"title": "消防废水经雨水排口入江", "risk_source_id": source, "substance": "7782-50-5", "medium": "water",
                       "amount_t": 20, "minutes": 60, "hours": 12});

    // Bad scenarios first: refused, nothing written.
    let (_, plan) = admin.post("/api/plans", json!({"kind": "enterprise", "name": "x", "level": "comprehensive",
                                                     "district": district, "risk_level": "重大", "risk_source_ids": [source]})).await;
    let probe = plan["id"].as_i64().unwrap();
    let (_, plan) = admin.post(&format!("/api/plans/{probe}/versions"), json!({})).await;
    let pv = version_id(&plan, 1);
    let other: i64 = sqlx::query_scalar("SELECT id FROM risk_source WHERE id <> $1 ORDER BY id LIMIT 1")
        .bind(source)
        .fetch_one(&server.pool)
        .await
        .unwrap();
    let with = |k: &str, v: Value| {
        let mut b = air.clone();
        b[k] = v;
        b
    };
    let before = counts(&server.pool).await;
    for (body, field) in [
        (with("rate_kg_s", json!(-1.0)), "rate_kg_s"),
        (with("amount_t", json!(5.0)), "rate_kg_s"),
        (with("minutes", json!(0)), "minutes"),
        (with("substance", json!("汞")), "substance"),
        (with("medium", json!("fire")), "medium"),
        (with("weather", Value::Null), "weather"),
        (with("risk_source_id", json!(other)), "risk_source_id"),
        (with("measures", json!([{"step": "", "by": "x", "within_min": 1}])), "measures.step"),
        (with("measures", json!([{"step": "关阀\u{1b}[31m", "by": "x", "within_min": 1}])), "measures.step"),
        (with("measures", json!([{"step": "关阀", "by": "x", "within_min": 1e9}])), "measures.within_min"),
        (with("title", json!("x".repeat(201))), "title"),
        (
            with("resources", json!([{"kind": "team", "specialty": "magic", "count": 1, "basis": "own"}])),
            "resources.specialty",
        ),
        (
            with(
                "resources",
                json!([{"kind": "stock", "item": "x", "quantity": 1, "unit": "t", "depot_id": 999999999, "basis": "own"}]),
            ),
            "resources",
        ),
    ] {
        let (status, problem) = admin.post(&format!("/api/plans/{probe}/versions/{pv}/scenarios"), body.clone()).await;
        assert_eq!((status, problem["field"].as_str()), (422, Some(field)), "{body}: {problem}");
    }
    // A substance the source holds without toxic end-points: no plume for it.
    let held: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT name, cas FROM risk_substance WHERE risk_source_id = $1 ORDER BY name")
            .bind(source)
            .fetch_all(&server.pool)
            .await
            .unwrap();
    let inert = held.iter().find(|(n, c)| onemap::air::endpoints::find(c.as_deref().unwrap_or(n)).is_none());
    let (inert, _) = inert.expect("the source holds a substance without end-points");
    let path = format!("/api/plans/{probe}/versions/{pv}/scenarios");
    let (status, problem) = admin.post(&path, with("substance", json!(inert))).await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("no toxic end-points"), "{problem}");
    let scenarios: i64 =
        sqlx::query_scalar("SELECT count(*) FROM plan_scenario").fetch_one(&server.pool).await.unwrap();
    assert_eq!((counts(&server.pool).await, scenarios), (before, 0));

    let (id, _) = in_force_with(&admin, &district, source, &[air.clone(), water]).await;
    let (_, plan) = admin.get(&format!("/api/plans/{id}")).await;
    assert_eq!(plan["standing"], "in_force", "{plan}");
    assert_eq!(plan["flags"], json!([]), "{plan}");
    let [air_id, water_id] = scenario_ids(&plan)[..] else { panic!("{plan}") };

    // The air scenario's zones are the plume's for the same input, stated and worst case.
    let (status, threat) = admin.get(&format!("/api/plans/{id}/scenarios/{air_id}/threat")).await;
    assert_eq!(status, 200, "{threat}");
    let at = threat["at"].clone();
    for (key, wind, class) in [("stated", 3.0, "D"), ("worst_case", 1.5, "F")] {
        let (status, plume) = admin
            .post(
                "/api/air/plume",
                json!({"point": at, "release_g_s": 500.0, "wind_from_deg": 90.0, "wind_ms": wind,
                                            "stability": class, "substance": "7782-50-5", "minutes": 30}),
            )
            .await;
        assert_eq!(status, 200, "{plume}");
        assert_eq!(threat[key], plume, "{key}");
    }
    assert!(
        threat["worst_case"]["features"][0]["properties"]["max_distance_m"].as_f64().unwrap()
            > threat["stated"]["features"][0]["properties"]["max_distance_m"].as_f64().unwrap()
    );
    // The water scenario's reach is the downstream trace's for the same point and hours.
    let (status, threat) = admin.get(&format!("/api/plans/{id}/scenarios/{water_id}/threat")).await;
    assert_eq!(status, 200, "{threat}");
    let [lon, lat] = [threat["at"][0].as_f64().unwrap(), threat["at"][1].as_f64().unwrap()];
    let (status, trace) = admin.get(&format!("/api/rivers/downstream?lon={lon}&lat={lat}&hours=12")).await;
    assert_eq!(status, 200, "{trace}");
    assert!(same(&threat["trace"], &trace), "{}\n{trace}", threat["trace"]);
    assert!(!trace["features"].as_array().unwrap().is_empty());
    // The cards: one printed page a scenario, read back by poppler.
    let pdf = print_card(&server, &format!("/api/plans/{id}/card.html"), "all").await;
    assert_eq!(pdfinfo_pages(&std::fs::read(&pdf).unwrap()), 2);
    let text = pdftotext(&pdf);
    for expected in [
        "液氯钢瓶泄漏",
        "消防废水经雨水排口入江",
        "关闭泄漏钢瓶阀门",
        "企业现场处置组",
        "接警后 5 分钟内",
        "今日可用",
        item.as_str(),
        "备案编号",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    let one = print_card(&server, &format!("/api/plans/{id}/card.html?scenario=1"), "one").await;
    assert_eq!(pdfinfo_pages(&std::fs::read(&one).unwrap()), 1);
    let (status, _) = admin.get(&format!("/api/plans/{id}/card.html?scenario=9")).await;
    assert_eq!(status, 404);

    // Each live check raises its flag, and clears it when the map holds again.
    let flags = async |what: &str| -> Vec<String> {
        let (status, plan) = admin.get(&format!("/api/plans/{id}")).await;
        assert_eq!(status, 200, "{what}: {plan}");
        flag_reasons(&plan)
    };
    let exec = async |sql: &str| {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .bind(depot)
            .bind(&item)
            .bind(source)
            .execute(&server.pool)
            .await
            .unwrap();
    };
    exec("UPDATE stock_item SET reserved = quantity WHERE depot_id = $1 AND item = $2 AND $3 > 0").await;
    assert_eq!(flags("stock reserved").await, ["resources"]);
    let (_, due) = admin.get(&format!("/api/plans/due?district={district}")).await;
    assert!(due["entries"].as_array().unwrap().iter().any(|e| e["why"] == "revision" && e["plan_id"] == id), "{due}");
    exec("UPDATE stock_item SET reserved = 0 WHERE depot_id = $1 AND item = $2 AND $3 > 0").await;
    assert_eq!(flags("stock back").await, Vec::<String>::new());
    // Expiring before the next review (three years after 5 November 2026).
    exec("UPDATE stock_item SET expiry_date = '2029-01-01' WHERE depot_id = $1 AND item = $2 AND $3 > 0").await;
    assert_eq!(flags("stock expiring").await, ["resources"]);
    exec("UPDATE stock_item SET expiry_date = '2035-01-01' WHERE depot_id = $1 AND item = $2 AND $3 > 0").await;
    assert_eq!(flags("stock renewed").await, Vec::<String>::new());
    let teams = async |status: &str| {
        sqlx::query("UPDATE team SET status = $1 WHERE district = $2 AND 'hazmat' = ANY(specialties)")
            .bind(status)
            .bind(&team_district_name)
            .execute(&server.pool)
            .await
            .unwrap();
    };
    teams("off_duty").await;
    assert_eq!(flags("team off duty").await, ["resources"]);
    teams("available").await;
    assert_eq!(flags("team back").await, Vec::<String>::new());
    // A school opened 300 m downwind (the wind from the east: to the west).
    let [x, y] = [at[0].as_f64().unwrap() - 0.003, at[1].as_f64().unwrap()];
    let (status, school) = admin
        .post(
            "/api/layers/receptor",
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
              "properties": {"kind": "school", "name": "新建示例小学", "district": "长寿区"}}),
        )
        .await;
    assert_eq!(status, 201, "{school}");
    assert_eq!(flags("new school").await, ["risk"]);
    let (status, _) = admin.call(Method::DELETE, &format!("/api/layers/receptor/{}", school["id"]), None).await;
    assert_eq!(status, 204);
    assert_eq!(flags("school gone").await, Vec::<String>::new());
    // The source's substances change.
    exec(
        "INSERT INTO risk_substance (risk_source_id, name, cas, quantity_t, threshold_t, medium) \
          SELECT $3, '液氨', '7664-41-7', 10, 5, 'air' WHERE $1 > 0 AND $2 <> ''",
    )
    .await;
    assert_eq!(flags("ammonia added").await, ["risk"]);
    exec("DELETE FROM risk_substance WHERE risk_source_id = $3 AND name = '液氨' AND $1 > 0 AND $2 <> ''").await;
    assert_eq!(flags("ammonia gone").await, Vec::<String>::new());
    // A drill finds something: a flag until a newer version is in force.
    let (status, body) = admin
        .post(
            &format!("/api/plans/{id}/findings"),
            json!({"kind": "drill", "found_on": "2026-11-20", "finding": "喷淋泵启动超过 10 分钟"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(flags("drill").await, ["drill"]);
    let (_, plan) = admin.get(&format!("/api/plans/{id}")).await;
    assert_eq!(plan["standing"], "revise");
    // The desk is told of it once.
    let rivers = std::sync::Arc::new(onemap::routing::rivers::load_rivers(&server.pool).await.unwrap());
    onemap::plans::notices::notice(&server.pool, rivers.clone()).await.unwrap();
    onemap::plans::notices::notice(&server.pool, rivers).await.unwrap();
    let told: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM event_log WHERE kind = 'plan_flag' AND (data->>'plan_id')::bigint = $1",
    )
    .bind(id)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(told, 1);
    // A signed version's scenarios are what was signed.
    let (status, body) = admin.post(&format!("/api/plans/{id}/versions/{}/scenarios", plan["in_force"]), air).await;
    assert_eq!(status, 409, "{body}");
}

#[tokio::test]
async fn the_demo_plans_cover_the_five_kinds_and_two_are_out_of_date() {
    let server = TestServer::with_demo().await.unwrap();
    let rivers = std::sync::Arc::new(onemap::routing::rivers::load_rivers(&server.pool).await.unwrap());
    let loaded = onemap::exchange::demo_plans::load(&server.pool, rivers, &common::testing::demo_dir()).await.unwrap();
    assert_eq!(loaded, 10);
    let admin = Who::new(&server, server.admin_token.clone());
    let (_, list) = admin.get("/api/plans").await;
    let plans = list["plans"].as_array().unwrap();
    let mut kinds: Vec<&str> = plans.iter().map(|p| p["kind"].as_str().unwrap()).collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds, ["department", "enterprise", "government", "park", "water_source"]);
    let mut stale = Vec::new();
    let mut with_scenarios = 0;
    for p in plans {
        let (_, plan) = admin.get(&format!("/api/plans/{}", p["id"])).await;
        with_scenarios += usize::from(plan["versions"][0]["scenarios"].as_array().is_some_and(|s| !s.is_empty()));
        let standing = plan["standing"].as_str().unwrap().to_string();
        if standing != "in_force" && standing != "due" {
            stale.push((plan["name"].as_str().unwrap().to_string(), standing, plan["flags"].clone()));
        }
    }
    assert!(with_scenarios >= 3, "{with_scenarios}");
    stale.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(stale.len(), 2, "{stale:?}");
    assert!(stale[0].0.starts_with("万州经开区示例企业D") && stale[0].1 == "overdue", "{stale:?}");
    assert!(stale[1].0.starts_with("两江新区鱼复示例企业B") && stale[1].1 == "revise", "{stale:?}");
    assert_eq!(stale[1].2[0]["reason"], "resources", "{stale:?}");

    // The year's register of filed enterprises: every enterprise filing accepted that year.
    for year in [2023, 2026] {
        let numbers: Vec<String> = sqlx::query_scalar(
            "SELECT f.filing_number FROM plan_filing f JOIN plan p ON p.id = f.plan_id WHERE p.kind = 'enterprise' \
               AND f.status = 'accepted' AND f.filing_number IS NOT NULL AND extract(year FROM f.decided_on) = $1",
        )
        .bind(f64::from(year))
        .fetch_all(&server.pool)
        .await
        .unwrap();
        assert!(!numbers.is_empty());
        let page = admin.fetch(&format!("/api/plans/register.html?year={year}")).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains(&format!("共 {} 家", numbers.len())), "{html}");
        assert!(numbers.iter().all(|n| html.contains(n.as_str())), "{numbers:?} in {html}");
    }
    for bad in ["year=1999", "year=x", "district=5001", "colour=red"] {
        let (status, _) = admin.get(&format!("/api/plans/register.html?{bad}")).await;
        assert_eq!(status, 400, "{bad}");
    }
}

#[tokio::test]
async fn a_planner_opens_a_plan_from_a_risk_sources_popup_sees_its_flag_and_prints_its_cards() {
    let server = TestServer::with_demo().await.unwrap();
    let rivers = std::sync::Arc::new(onemap::routing::rivers::load_rivers(&server.pool).await.unwrap());
    onemap::exchange::demo_plans::load(&server.pool, rivers.clone(), &common::testing::demo_dir()).await.unwrap();
    // As `onemap load-demo` does: the live checks' first round, for the map.
    onemap::plans::notices::notice(&server.pool, rivers).await.unwrap();
    server.token("planner", Role::Planner, None).await.unwrap();
    let (source, lon, lat): (i64, f64, f64) = sqlx::query_as(
        "SELECT id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM risk_source \
         WHERE name = '两江新区鱼复示例企业B'",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let (shot, pdf) = (format!("{root}/target/plans-popup.png"), scratch("popup-cards.pdf"));
    let args =
        [server.url.clone(), lon.to_string(), lat.to_string(), source.to_string(), shot, pdf.display().to_string()];
    let result = common::browser::run("plans.mjs", &args).await;
    assert_eq!(result["errors"], json!([]), "{result}");
    let plans = result["plans"].as_array().unwrap();
    assert!(plans.iter().any(|p| p.as_str().unwrap().contains("需修订")), "{result}");
    let flags = result["flags"].as_array().unwrap();
    assert!(flags.iter().any(|f| f.as_str().unwrap().contains("活性炭")), "{result}");
    let text = pdftotext(&pdf);
    assert!(text.contains("液氯槽车卸车泄漏") && text.contains("停止卸车"), "{text}");
    // The desk: the overdue review and the plan to revise, each once.
    let desk: Vec<&str> = result["desk"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    assert!(desk.iter().any(|d| d.contains("万州经开区示例企业D") && d.contains("已逾期")), "{desk:?}");
    assert!(desk.iter().any(|d| d.contains("两江新区鱼复示例企业B") && d.contains("需修订")), "{desk:?}");
}

/// The plan standing of each risk source in a tile, as GDAL's MVT driver reads it.
async fn standings_in_tile(who: &Who<'_>, lon: f64, lat: f64) -> std::collections::BTreeMap<i64, String> {
    let z = 12;
    let (x, y) = common::tile_of(lon, lat, z);
    let answer = who.fetch(&format!("/tiles/onemap/{z}/{x}/{y}.mvt")).await;
    assert_eq!(answer.status(), 200);
    let bytes = answer.bytes().await.unwrap();
    let dir = scratch(&format!("tile-{z}-{x}-{y}"));
    let path = dir.join(format!("{z}/{x}"));
    std::fs::create_dir_all(&path).unwrap();
    let file = path.join(format!("{y}.mvt"));
    std::fs::write(&file, &bytes).unwrap();
    let out = tokio::process::Command::new("ogr2ogr")
        .args(["-f", "GeoJSON", "/vsistdout/"])
        .arg(&file)
        .arg("risk_source")
        .output()
        .await
        .expect("ogr2ogr (gdal-bin)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read: Value = serde_json::from_slice(&out.stdout).unwrap();
    read["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (p["mvt_id"].as_i64().unwrap(), p["plan_standing"].as_str().unwrap_or("(missing)").to_string())
        })
        .collect()
}

#[tokio::test]
async fn risk_sources_are_coloured_on_the_map_by_where_their_plans_stand() {
    let server = TestServer::with_demo().await.unwrap();
    let rivers = std::sync::Arc::new(onemap::routing::rivers::load_rivers(&server.pool).await.unwrap());
    onemap::exchange::demo_plans::load(&server.pool, rivers.clone(), &common::testing::demo_dir()).await.unwrap();
    // The watcher's round: the clock and the live checks.
    onemap::plans::notices::notice(&server.pool, rivers).await.unwrap();
    let admin = Who::new(&server, server.admin_token.clone());

    // Worked out here from each plan as GET /api/plans/{id} answers it: a source stands as the
    // worst of its plans.
    let rank =
        |s: &str| ["none", "in_force", "revise", "due", "due_soon", "overdue"].iter().position(|r| *r == s).unwrap();
    let mut expected: std::collections::BTreeMap<i64, String> = Default::default();
    let (_, list) = admin.get("/api/plans").await;
    for p in list["plans"].as_array().unwrap() {
        let (_, plan) = admin.get(&format!("/api/plans/{}", p["id"])).await;
        let standing = plan["standing"].as_str().unwrap();
        for s in plan["sources"].as_array().unwrap() {
            let worst = expected.entry(s["id"].as_i64().unwrap()).or_insert_with(|| "none".into());
            if rank(standing) > rank(worst) {
                *worst = standing.to_string();
            }
        }
    }
    assert!(expected.values().any(|s| s == "overdue") && expected.values().any(|s| s == "revise"), "{expected:?}");
    let (_, page) = admin.get("/api/layers/risk_source?limit=1000").await;
    let features = page["features"].as_array().unwrap();
    assert!(features.len() > expected.len());
    for f in features {
        let id = f["id"].as_i64().unwrap();
        let want = expected.get(&id).map_or("none", String::as_str);
        assert_eq!(f["properties"]["plan_standing"], want, "risk source {id} {}", f["properties"]["name"]);
    }

    // The screens say it in words (预案有效 …): the field is coded by the plans' standing words.
    let (_, words) = admin.get("/api/words").await;
    assert_eq!(words["fields"]["risk_source"]["plan_standing"], "plan_standing", "{}", words["fields"]["risk_source"]);

    // On the tiles, as an independent reader reads them.
    let (d, lon, lat): (i64, f64, f64) = sqlx::query_as(
        "SELECT id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM risk_source \
         WHERE name = '万州经开区示例企业D'",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let tile = standings_in_tile(&admin, lon, lat).await;
    assert_eq!(tile.get(&d).map(String::as_str), Some("overdue"), "{tile:?}");
    for (id, standing) in &tile {
        assert_eq!(standing, expected.get(id).map_or("none", String::as_str), "risk source {id} in the tile");
    }

    // A drill's finding on a plan in force: its sources stand `revise` at once, on the map too.
    let (plan, source) = list["plans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "enterprise")
        .find_map(|p| {
            let s = p["sources"][0]["id"].as_i64()?;
            (expected.get(&s).map(String::as_str) == Some("in_force") && p["sources"].as_array()?.len() == 1)
                .then(|| (p["id"].as_i64().unwrap(), s))
        })
        .expect("an enterprise plan in force over one source");
    let (status, body) = admin
        .post(
            &format!("/api/plans/{plan}/findings"),
            json!({"kind": "drill", "found_on": "2026-12-01", "finding": "疏散路线不清"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, after) = admin.get(&format!("/api/layers/risk_source/{source}")).await;
    assert_eq!(after["properties"]["plan_standing"], "revise");
    let (slon, slat): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM risk_source WHERE id = $1",
    )
    .bind(source)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    common::eventually("the tile follows the finding", async || {
        standings_in_tile(&admin, slon, slat).await.get(&source).map(String::as_str) == Some("revise")
    })
    .await;
}

/// Runs `ogrinfo` with `token` (GDAL's OGC API – Features client).
async fn ogrinfo(args: &[&str], token: &str) -> String {
    let out = tokio::process::Command::new("ogrinfo")
        .args(args)
        .env("GDAL_HTTP_HEADERS", format!("Authorization: Bearer {token}"))
        .output()
        .await
        .expect("ogrinfo (gdal-bin)");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "ogrinfo {args:?}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

#[tokio::test]
async fn plans_are_an_ogc_collection_of_their_public_fields_read_only() {
    let server = TestServer::with_demo().await.unwrap();
    let rivers = std::sync::Arc::new(onemap::routing::rivers::load_rivers(&server.pool).await.unwrap());
    onemap::exchange::demo_plans::load(&server.pool, rivers, &common::testing::demo_dir()).await.unwrap();
    let (a, _) = two_sources(&server).await;
    let admin = Who::new(&server, server.admin_token.clone());
    // A plan whose public summary is filed: the collection links it.
    let (id, _) = in_force_with_also(&admin, "500115", a, &[], &["summary"]).await;
    let (_, plan) = admin.get(&format!("/api/plans/{id}")).await;
    let summary =
        plan["versions"][0]["documents"].as_array().unwrap().iter().find(|d| d["kind"] == "summary").unwrap().clone();

    // Every plan, as the public view of the plans API says it (an enterprise sees others' plans so).
    let viewer = enterprise(&server, "旁观企业", &[CODE_B]).await;
    let (_, list) = viewer.get("/api/plans").await;
    let public: Vec<&Value> =
        list["plans"].as_array().unwrap().iter().filter(|p| p.get("versions").is_none()).collect();
    assert!(public.len() >= 10, "{list}");
    // Read as a viewer of the bureau (an enterprise does not read the registry's collections).
    let token = server.token("gdal-plans", Role::Viewer, None).await.unwrap();
    let reader = Who::new(&server, token.clone());
    let (status, page) = reader.get("/ogc/collections/plans/items?limit=1000").await;
    assert_eq!(status, 200, "{page}");
    let features = page["features"].as_array().unwrap();
    assert_eq!(features.len(), public.len());
    for (f, p) in features.iter().zip(&public) {
        assert_eq!(f["id"], p["id"]);
        let props = &f["properties"];
        for key in
            ["name", "kind", "level", "district", "districts", "risk_level", "sources", "filing_number", "in_force_on"]
        {
            assert_eq!(props[key], p[key], "plan {} {key}", p["id"]);
        }
        let hrefs: Vec<&Value> = p["documents"].as_array().unwrap().iter().map(|d| &d["href"]).collect();
        assert_eq!(props["summaries"].as_array().unwrap().iter().collect::<Vec<_>>(), hrefs, "plan {}", p["id"]);
        for private in ["author", "confidential", "department", "receptor_id", "park", "parent_id", "created_at"] {
            assert!(props.get(private).is_none(), "{private} is not public: {props}");
        }
        assert_eq!(f["geometry"]["type"], "MultiPoint", "{f}");
    }
    let ours = features.iter().find(|f| f["id"] == id).unwrap();
    assert_eq!(ours["properties"]["summaries"], json!([summary["href"]]));
    // At its risk source.
    let (x, y): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM risk_source WHERE id = $1",
    )
    .bind(a)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let at = &ours["geometry"]["coordinates"][0];
    assert!((at[0].as_f64().unwrap() - x).abs() < 1e-6 && (at[1].as_f64().unwrap() - y).abs() < 1e-6, "{at}");

    // GDAL reads it, counts it and filters it on the server.
    let source = format!("OAPIF:{}/ogc", server.url);
    let all: i64 = sqlx::query_scalar("SELECT count(*) FROM plan").fetch_one(&server.pool).await.unwrap();
    let summary = ogrinfo(&["-ro", "-so", &source, "plans"], &token).await;
    assert!(summary.contains(&format!("Feature Count: {all}\n")), "{summary}");
    let enterprises: i64 = sqlx::query_scalar("SELECT count(*) FROM plan WHERE kind = 'enterprise'")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    let read = ogrinfo(&["-ro", "-q", &source, "plans", "-where", "kind = 'enterprise'"], &token).await;
    assert_eq!(read.lines().filter(|l| l.starts_with("OGRFeature(plans):")).count() as i64, enterprises, "{read}");
    // A bbox around 万州 finds 万州's enterprise plan.
    let (_, wanzhou) = reader.get("/ogc/collections/plans/items?bbox=108.2,30.6,108.6,31.0").await;
    let names: Vec<&str> =
        wanzhou["features"].as_array().unwrap().iter().map(|f| f["properties"]["name"].as_str().unwrap()).collect();
    assert!(names.iter().any(|n| n.starts_with("万州经开区示例企业D")), "{names:?}");

    // Read only: every write is refused and nothing is written.
    let before = counts(&server.pool).await;
    let feature = json!({"type": "Feature", "geometry": {"type": "MultiPoint", "coordinates": [[106.5, 29.5]]},
                         "properties": {"name": "伪造预案", "kind": "enterprise", "level": "comprehensive", "district": "500115"}});
    let (status, problem) = admin.post("/ogc/collections/plans/items", feature.clone()).await;
    assert_eq!(status, 405, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("/api/plans"), "{problem}");
    let (status, _) = admin.call(Method::PUT, &format!("/ogc/collections/plans/items/{id}"), Some(feature)).await;
    assert_eq!(status, 405);
    let (status, _) =
        admin.patch(&format!("/ogc/collections/plans/items/{id}"), json!({"properties": {"name": "x"}})).await;
    assert_eq!(status, 405);
    let (status, _) = admin.call(Method::DELETE, &format!("/ogc/collections/plans/items/{id}"), None).await;
    assert_eq!(status, 405);
    assert_eq!(counts(&server.pool).await, before);
    // Not a registry layer.
    let (status, _) = admin.get("/api/layers/plans").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn enterprises_record_and_close_their_own_hazard_self_checks() {
    let server = TestServer::with_demo().await.unwrap();
    let (a, b) = two_sources(&server).await;
    let ent = enterprise(&server, "企业甲自查", &[CODE_A]).await;
    let admin = Who::new(&server, server.admin_token.clone());
    let today = onemap::plans::today();
    let ago = |days: u64| (today - chrono::Days::new(days)).to_string();

    let (status, own) = ent
        .post(
            "/api/self-checks",
            json!({"risk_source_id": a, "inspected_on": ago(10), "finding": "围堰排水阀常开", "severity": "一般隐患", "due_date": ago(3)}),
        )
        .await;
    assert_eq!(status, 201, "{own}");
    assert_eq!(
        (own["kind"].as_str(), own["overdue"].as_bool(), own["rectified"].as_bool()),
        (Some("self"), Some(true), Some(false))
    );
    let id = own["id"].as_i64().unwrap();
    // It is an inspection of the registry, audited with the enterprise as its author.
    let (_, row) = admin.get(&format!("/api/layers/inspection/{id}")).await;
    assert_eq!(row["properties"]["kind"], "self");
    let actor: String =
        sqlx::query_scalar("SELECT actor FROM audit_log WHERE table_name = 'inspection' AND row_id = $1")
            .bind(id)
            .fetch_one(&server.pool)
            .await
            .unwrap();
    assert_eq!(actor, "企业甲自查");
    // The bureau's own inspections of both sources.
    let bureau = |source: i64| {
        json!({"type": "Feature", "geometry": null, "properties": {"risk_source_id": source, "inspected_on": ago(5),
               "finding": "部门排查发现", "severity": "重大隐患"}})
    };
    let (status, theirs_a) = admin.post("/api/layers/inspection", bureau(a)).await;
    assert_eq!(status, 201, "{theirs_a}");
    let (_, theirs_b) = admin.post("/api/layers/inspection", bureau(b)).await;
    assert_eq!(theirs_a["properties"]["kind"], "bureau");

    // The enterprise reads the inspections of its own source only; the bureau reads all, as SQL says.
    let (status, mine) = ent.get("/api/self-checks").await;
    assert_eq!(status, 200, "{mine}");
    let ids: Vec<i64> = mine["inspections"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    let expected: Vec<i64> = sqlx::query_scalar(
        "SELECT i.id FROM inspection i JOIN risk_source s ON s.id = i.risk_source_id WHERE s.credit_code = $1 \
         ORDER BY i.inspected_on DESC, i.id DESC",
    )
    .bind(CODE_A)
    .fetch_all(&server.pool)
    .await
    .unwrap();
    assert_eq!(ids, expected);
    assert!(ids.contains(&theirs_a["id"].as_i64().unwrap()) && !ids.contains(&theirs_b["id"].as_i64().unwrap()));
    let (_, all) = admin.get(&format!("/api/self-checks?risk_source_id={b}")).await;
    assert_eq!(all["inspections"][0]["id"], theirs_b["id"]);

    // Refused, nothing written: another's source, the bureau's finding closed by the enterprise,
    // bad fields, a viewer writing, closing twice.
    let before = counts(&server.pool).await;
    let check = |over: Value| {
        let mut body = json!({"risk_source_id": a, "inspected_on": ago(1), "finding": "x", "severity": "一般隐患"});
        body.as_object_mut().unwrap().extend(over.as_object().unwrap().clone());
        body
    };
    let (status, p) = ent.post("/api/self-checks", check(json!({"risk_source_id": b}))).await;
    assert_eq!(status, 403, "{p}");
    for (over, field) in [
        (json!({"severity": "小隐患"}), "severity"),
        (json!({"finding": "  "}), "finding"),
        (json!({"inspected_on": (today + chrono::Days::new(1)).to_string()}), "inspected_on"),
        (json!({"inspected_on": "2026-13-01"}), "inspected_on"),
        (json!({"due_date": ago(2)}), "due_date"),
        (json!({"risk_source_id": 999999}), "risk_source_id"),
        (json!({"colour": "red"}), "colour"),
    ] {
        let (status, p) = ent.post("/api/self-checks", check(over.clone())).await;
        assert_eq!(status, 422, "{over}: {p}");
        assert!(p["field"] == field || p["detail"].as_str().unwrap_or_default().contains(field), "{over}: {p}");
    }
    let viewer = bureau_user(&server, "只读", Role::Viewer, None).await;
    let (status, _) = viewer.post("/api/self-checks", check(json!({}))).await;
    assert_eq!(status, 403);
    let (status, p) =
        ent.post(&format!("/api/self-checks/{}/rectified", theirs_a["id"]), json!({"rectified_on": ago(1)})).await;
    assert_eq!(status, 403, "{p}");
    let (status, _) = ent.post(&format!("/api/self-checks/{id}/rectified"), json!({"rectified_on": ago(11)})).await;
    assert_eq!(status, 422, "before the check");
    assert_eq!(counts(&server.pool).await, before);

    let (status, closed) = ent.post(&format!("/api/self-checks/{id}/rectified"), json!({"rectified_on": ago(1)})).await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!((closed["rectified"].as_bool(), closed["overdue"].as_bool()), (Some(true), Some(false)));
    assert_eq!(closed["rectified_on"], ago(1));
    let (status, _) = ent.post(&format!("/api/self-checks/{id}/rectified"), json!({"rectified_on": ago(0)})).await;
    assert_eq!(status, 409);
}
