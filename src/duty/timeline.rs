//! An incident's timeline: when it happened and was found, who entered it, every change of
//! severity and status, every report submitted, every dispatch sent and moved on, the
//! deadlines the desk was warned of, the warnings issued, updated and cancelled, and the
//! photos from the scene — in
//! order, with who. Changes come from the audit trail, so a change by plain SQL is here too.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::PgPool;

use crate::error::Error;
use crate::layers::spec::INCIDENT_LAYER;
use crate::layers::store;
use crate::layers::words;

const TIMELINE_SQL: &str = "\
WITH i AS (SELECT * FROM incident WHERE id = $1),
     a AS (SELECT * FROM audit_log WHERE table_name = 'incident' AND row_id = $1),
     d AS (SELECT x.id, coalesce(p.name, t.name) AS what FROM dispatch x
             LEFT JOIN depot p ON p.id = x.depot_id LEFT JOIN team t ON t.id = x.team_id WHERE x.incident_id = $1),
     da AS (SELECT l.*, d.what FROM audit_log l JOIN d ON d.id = l.row_id WHERE l.table_name = 'dispatch')
SELECT at, kind, actor, detail FROM (
    SELECT occurred_at AS at, 0 AS ord, 'occurred' AS kind, NULL::text AS actor, '{}'::jsonb AS detail FROM i
    UNION ALL SELECT discovered_at, 1, 'discovered', NULL, '{}' FROM i
    UNION ALL SELECT at, 2, 'created', actor, jsonb_build_object('severity', after->>'severity') FROM a WHERE op = 'insert'
    UNION ALL SELECT created_at, 2, 'created', NULL, jsonb_build_object('severity', severity) FROM i
        WHERE NOT EXISTS (SELECT 1 FROM a WHERE op = 'insert')
    UNION ALL SELECT at, 3, 'severity', actor, jsonb_build_object('from', before->>'severity', 'to', after->>'severity')
        FROM a WHERE op = 'update' AND before->>'severity' IS DISTINCT FROM after->>'severity'
    UNION ALL SELECT at, 3, 'status', actor, jsonb_build_object('from', before->>'status', 'to', after->>'status')
        FROM a WHERE op = 'update' AND before->>'status' IS DISTINCT FROM after->>'status'
    UNION ALL SELECT r.submitted_at, 4, 'report', r.author,
            jsonb_build_object('report_id', r.id, 'stage', r.stage, 'number', r.number)
        FROM incident_report r WHERE r.incident_id = $1 AND r.submitted_at IS NOT NULL
    UNION ALL SELECT at, 5, 'dispatch', actor,
            jsonb_build_object('dispatch_id', row_id, 'status', after->>'status', 'what', what, 'eta', after->>'eta')
        FROM da WHERE op = 'insert'
    UNION ALL SELECT at, 6, 'dispatch_status', actor,
            jsonb_build_object('dispatch_id', row_id, 'from', before->>'status', 'to', after->>'status', 'what', what)
        FROM da WHERE op = 'update' AND before->>'status' IS DISTINCT FROM after->>'status'
    UNION ALL SELECT noticed_at, 7, 'deadline', 'onemap:deadlines', jsonb_build_object('what', what, 'due_at', due_at)
        FROM deadline_notice WHERE incident_id = $1
    UNION ALL SELECT at, 8, 'warning', actor, jsonb_build_object('warning_id', row_id, 'status', after->>'status',
            'level', after->>'level', 'headline', after->>'headline', 'version', (after->>'version')::int)
        FROM audit_log WHERE table_name = 'warning' AND after->>'incident_id' = $1::text
         AND after->>'status' IN ('issued', 'cancelled')
         AND (op = 'insert' OR before->>'status' IS DISTINCT FROM after->>'status')
    UNION ALL SELECT created_at, 9, 'photo', author, jsonb_build_object('attachment_id', id, 'file_name', file_name,
            'record', record_table, 'record_id', record_id, 'caption', caption, 'href', '/api/attachments/' || id)
        FROM attachment WHERE incident_id = $1
) t ORDER BY at, ord";

/// The Chinese words of an entry, for the viewer and the printed report.
pub fn describe(kind: &str, detail: &Map<String, Value>) -> String {
    let s = |k: &str| detail.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let number = |k: &str| detail.get(k).cloned().unwrap_or(Value::Null);
    match kind {
        "occurred" => "事件发生".into(),
        "discovered" => "发现（接报）".into(),
        "created" => format!("录入系统，级别{}", s("severity")),
        "severity" => format!("级别由{}调整为{}", s("from"), s("to")),
        "status" if s("to") == "closed" => "处置结束，事件关闭".into(),
        "status" => format!("状态由{}改为{}", s("from"), s("to")),
        "report" => match s("stage").as_str() {
            "initial" => "报送初报".into(),
            "follow_up" => format!("报送第{}次续报", number("number")),
            _ => "报送终报（处理结果报告）".into(),
        },
        "dispatch" => format!("调派{}", s("what")),
        "dispatch_status" => format!("{}：{}", s("what"), dispatch_status(&s("to"))),
        "deadline" => match s("what").as_str() {
            "initial_due_soon" => "初报即将到期".into(),
            "initial_overdue" => "初报已超时".into(),
            "final_due_soon" => "终报即将到期".into(),
            _ => "终报已超时".into(),
        },
        "warning" if s("status") == "cancelled" => format!("解除{}色预警：{}", s("level"), s("headline")),
        "warning" if number("version").as_i64().unwrap_or(1) > 1 => {
            format!("更新{}色预警（第{}版）：{}", s("level"), number("version"), s("headline"))
        }
        "warning" => format!("发布{}色预警：{}", s("level"), s("headline")),
        "photo" if s("caption").is_empty() => format!("上传现场照片 {}", s("file_name")),
        "photo" => format!("上传现场照片：{}", s("caption")),
        other => other.to_string(),
    }
}

/// A dispatch status in Chinese.
pub fn dispatch_status(status: &str) -> &'static str {
    words::label(&words::DISPATCH_STATUS, status).unwrap_or("状态变更")
}

/// One entry of a timeline: when, what kind of event, who, in words, and the event's details
/// (the report, dispatch, warning or photo it concerns).
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// occurred, discovered, created, severity, status, report, dispatch, dispatch_status,
    /// deadline, warning or photo.
    pub kind: String,
    /// Who (none for what nobody did, such as the event itself).
    pub actor: Option<String>,
    /// In words, as the desk and the printed report say it.
    #[sqlx(skip)]
    pub text: String,
    /// The details of the event, by name.
    #[serde(flatten)]
    #[sqlx(json)]
    #[schema(value_type = Object)]
    pub detail: Map<String, Value>,
}

/// An incident's timeline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Timeline {
    /// The incident.
    pub incident_id: i64,
    /// Oldest first.
    pub timeline: Vec<TimelineEntry>,
}

/// The timeline of `incident`, oldest first.
pub async fn of_incident(pool: &PgPool, incident: i64) -> Result<Timeline, Error> {
    store::exists(&mut *pool.acquire().await?, &INCIDENT_LAYER, incident).await?;
    let mut timeline: Vec<TimelineEntry> = sqlx::query_as(TIMELINE_SQL).bind(incident).fetch_all(pool).await?;
    for entry in &mut timeline {
        entry.text = describe(&entry.kind, &entry.detail);
    }
    Ok(Timeline { incident_id: incident, timeline })
}
