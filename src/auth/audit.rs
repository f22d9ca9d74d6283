//! Reading the audit trail (written by the database's triggers, see the identity migration):
//! newest first, filtered by table, row, actor and time, paged by id.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;

use super::{Action, Actor};
use crate::error::Error;

/// Largest page.
pub const MAX_LIMIT: i64 = 1000;

/// What to read.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    /// Only this table.
    pub table: Option<String>,
    /// Only this row (of `table`).
    pub id: Option<i64>,
    /// Only changes by this actor (user name, `cli:<login>` or database role).
    pub actor: Option<String>,
    /// Changes at or after.
    pub since: Option<DateTime<Utc>>,
    /// Changes before.
    pub until: Option<DateTime<Utc>>,
    /// Records with ids below this (the next page).
    pub before_id: Option<i64>,
    /// Page size.
    pub limit: i64,
}

/// The tables the trail covers: those with the audit triggers, as the database has them (so
/// a new audited table needs no second list here).
pub async fn audited(pool: &PgPool) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT c.relname::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'onemap_audit' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
}

/// One change of one row: who, when, in which transaction, and the row before and after.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RowChange {
    /// The record's id (pages go by it).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who, by name.
    pub actor: String,
    /// Who, by user id (none: the command line or a token without a user).
    pub actor_user_id: Option<i64>,
    /// The database role that wrote.
    pub db_role: String,
    /// The database transaction: changes made together share it.
    #[sqlx(rename = "xact")]
    pub transaction: i64,
    /// The table.
    #[sqlx(rename = "table_name")]
    pub table: String,
    /// The row's id.
    pub row_id: i64,
    /// insert, update or delete.
    pub op: String,
    /// The row before (none for an insert).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// The row after (none for a delete).
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
}

/// A page of records, newest first. `reader` sees only their district's rows when bound to one,
/// and the users' and tokens' records only when they manage users.
pub async fn read(pool: &PgPool, reader: &Actor, q: &AuditQuery) -> Result<Vec<RowChange>, Error> {
    if let Some(t) = &q.table {
        let tables = audited(pool).await?;
        if !tables.contains(t) {
            return Err(Error::BadQuery(crate::error::Invalid::field(
                "table",
                format!("`{t}` is not an audited table; use one of {}", tables.join(", ")),
            )));
        }
    }
    if q.id.is_some() && q.table.is_none() {
        return Err(Error::BadQuery(crate::error::Invalid::field("id", "give `table` with `id`")));
    }
    Ok(sqlx::query_as(
        "SELECT a.id, a.at, a.actor, a.actor_user_id, a.db_role, a.xact, a.table_name, a.row_id, a.op, a.before, a.after \
         FROM audit_log a \
         WHERE ($1::text IS NULL OR a.table_name = $1) AND ($2::bigint IS NULL OR a.row_id = $2) \
           AND ($3::text IS NULL OR a.actor = $3) AND ($4::timestamptz IS NULL OR a.at >= $4) \
           AND ($5::timestamptz IS NULL OR a.at < $5) AND ($6::bigint IS NULL OR a.id < $6) \
           AND ($7::text IS NULL OR onemap_in_district(a.table_name, a.before, $7) \
                OR onemap_in_district(a.table_name, a.after, $7)) \
           AND ($9 OR a.table_name NOT IN ('app_user', 'api_token')) \
         ORDER BY a.id DESC LIMIT $8",
    )
    .bind(&q.table)
    .bind(q.id)
    .bind(&q.actor)
    .bind(q.since)
    .bind(q.until)
    .bind(q.before_id)
    .bind(&reader.district)
    .bind(q.limit.clamp(1, MAX_LIMIT))
    .bind(reader.role.is_some_and(|r| r.may(Action::ManageUsers)))
    .fetch_all(pool)
    .await?)
}
