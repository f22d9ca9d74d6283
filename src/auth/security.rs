//! The security log (安全审计, GB/T 22239-2019 §8.1.4.3): sign-ins and their failures, lock-outs,
//! refused requests, credential, role and account changes (the last three written by the
//! database's triggers, whatever path made them), kept beside the data audit trail, append-only
//! for onemap's own role, pruned past the retention only by `onemap audit prune`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;

use crate::error::Error;

/// The shortest retention: records younger than this are never deleted (the database's
/// trigger holds the same line).
pub const RETENTION_DAYS: i64 = 180;
/// Largest page read.
pub const MAX_LIMIT: i64 = 1000;
/// The kinds of records.
pub const KINDS: &[&str] =
    &["sign_in", "sign_in_failed", "locked_out", "refused", "credential", "role", "account", "prune"];

/// Writes one record; a failure is logged, not raised (the request it reports goes on).
pub async fn record(
    pool: &PgPool,
    kind: &str,
    actor: &str,
    user: Option<&str>,
    address: Option<String>,
    detail: Value,
) {
    let written =
        sqlx::query("INSERT INTO security_log (kind, actor, user_name, address, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(kind)
            .bind(actor)
            .bind(user)
            .bind(address)
            .bind(sqlx::types::Json(detail))
            .execute(pool)
            .await;
    if let Err(err) = written {
        tracing::error!(error = %err, kind, "cannot write the security log");
    }
}

/// What to read.
#[derive(Debug, Default, Clone)]
pub struct SecurityQuery {
    /// Only this kind.
    pub kind: Option<String>,
    /// Only records concerning this user (or made by them).
    pub user: Option<String>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Records with ids below this (the next page).
    pub before_id: Option<i64>,
    /// Page size.
    pub limit: i64,
}

/// One record of the security log.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SecurityRecord {
    /// The record's id (pages go by it).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// One of [`KINDS`].
    pub kind: String,
    /// Who acted.
    pub actor: String,
    /// The user concerned.
    #[sqlx(rename = "user_name")]
    pub user: Option<String>,
    /// From which address.
    pub address: Option<String>,
    /// What exactly.
    #[schema(value_type = Object)]
    pub detail: Value,
}

/// A page of records, newest first.
pub async fn read(pool: &PgPool, q: &SecurityQuery) -> Result<Vec<SecurityRecord>, Error> {
    if let Some(kind) = &q.kind
        && !KINDS.contains(&kind.as_str())
    {
        return Err(Error::BadQuery(crate::error::Invalid::field(
            "kind",
            format!("`{kind}` is not a kind; use one of {}", KINDS.join(", ")),
        )));
    }
    if !(1..=MAX_LIMIT).contains(&q.limit) {
        return Err(Error::BadQuery(crate::error::Invalid::field("limit", format!("must be in [1, {MAX_LIMIT}]"))));
    }
    Ok(sqlx::query_as(
        "SELECT id, at, kind, actor, user_name, address, detail FROM security_log \
         WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR user_name = $2 OR actor = $2) \
           AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::bigint IS NULL OR id < $4) \
         ORDER BY id DESC LIMIT $5",
    )
    .bind(&q.kind)
    .bind(&q.user)
    .bind(q.since)
    .bind(q.before_id)
    .bind(q.limit)
    .fetch_all(pool)
    .await?)
}

/// Deletes the audit trail's and the security log's records older than `days` (at least
/// [`RETENTION_DAYS`]), as `actor`, and logs that it did; returns how many of each went.
pub async fn prune(pool: &PgPool, actor: &str, days: i64) -> Result<(u64, u64), Error> {
    if days < RETENTION_DAYS {
        return Err(Error::invalid("days", format!("records are kept at least {RETENTION_DAYS} days")));
    }
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('onemap.pruning', 'on', true), set_config('onemap.actor', $1, true)")
        .bind(actor)
        .execute(&mut *tx)
        .await?;
    let cut = |table: &str| format!("DELETE FROM {table} WHERE at < now() - make_interval(days => $1)");
    let audit = sqlx::query(sqlx::AssertSqlSafe(cut("audit_log"))).bind(days as i32).execute(&mut *tx).await?;
    let security = sqlx::query(sqlx::AssertSqlSafe(cut("security_log"))).bind(days as i32).execute(&mut *tx).await?;
    let (audit, security) = (audit.rows_affected(), security.rows_affected());
    sqlx::query("INSERT INTO security_log (kind, actor, address, detail) VALUES ('prune', $1, 'local', $2)")
        .bind(actor)
        .bind(sqlx::types::Json(
            serde_json::json!({"older_than_days": days, "audit_log": audit, "security_log": security}),
        ))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((audit, security))
}

/// Which refusals are written: at most [`PER_ADDRESS`] a minute from one address and
/// [`IN_ALL`] a minute in all, so that a flood of refused requests cannot fill the disk (the
/// rest are counted in the next record written from that address).
#[derive(Debug, Default)]
pub struct RefusalSampler {
    minutes: Mutex<HashMap<String, (Instant, u32, u32)>>,
}

const PER_ADDRESS: u32 = 10;
const IN_ALL: u32 = 120;

impl RefusalSampler {
    /// Whether a refusal from `address` is written now, and how many from there were left out
    /// since the last one written.
    pub fn admit(&self, address: &str) -> Option<u32> {
        let mut minutes = self.minutes.lock().unwrap_or_else(|e| e.into_inner());
        if minutes.len() > 10_000 {
            minutes.retain(|_, (start, ..)| start.elapsed() < Duration::from_secs(60));
        }
        let mut take = |key: &str, limit: u32| {
            let entry = minutes.entry(key.to_string()).or_insert((Instant::now(), 0, 0));
            if entry.0.elapsed() >= Duration::from_secs(60) {
                *entry = (Instant::now(), 0, entry.2);
            }
            if entry.1 >= limit {
                entry.2 += 1;
                return None;
            }
            entry.1 += 1;
            Some(std::mem::take(&mut entry.2))
        };
        take("*", IN_ALL)?;
        take(address, PER_ADDRESS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_refusals_is_sampled() {
        let s = RefusalSampler::default();
        let written = (0..50).filter(|_| s.admit("10.0.0.1").is_some()).count();
        assert_eq!(written, PER_ADDRESS as usize);
        assert!(s.admit("10.0.0.2").is_some(), "another address still gets through");
    }
}
