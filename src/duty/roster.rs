//! Who is on duty (值班表): shifts of the city's duty office or a district's, each a person on a
//! post (带班领导, 值班员) with a phone; who is on duty now; and the shift log — notes, and the
//! handover with what is left open (the calls not yet screened are added to it by onemap).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::intake::past_time;
use crate::auth::{Actor, begin_as, jurisdiction};
use crate::error::Error;
use crate::layers::words;

/// Longest shift, hours.
pub const MAX_SHIFT_HOURS: i64 = 48;
/// Most shifts one request writes, and one answer lists.
pub const MAX_SHIFTS: usize = 200;
/// Most open items a handover lists.
pub const MAX_OPEN_ITEMS: usize = 50;

/// A shift as a request gives it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftBody {
    /// When it starts (RFC 3339).
    pub starts_at: String,
    /// When it ends (after it starts, at most 48 hours later).
    pub ends_at: String,
    /// Who.
    pub person: String,
    /// leader (带班领导) or officer (值班员).
    pub post: String,
    /// Their phone on duty.
    pub phone: Option<String>,
    /// The district's duty office (区县 code; none: the city's).
    pub district: Option<String>,
}

/// A shift.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Shift {
    /// Its id.
    pub id: i64,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// Who.
    pub person: String,
    /// leader or officer.
    pub post: String,
    /// Their phone on duty.
    pub phone: Option<String>,
    /// The district's duty office (none: the city's).
    pub district: Option<String>,
}

/// A log entry as a request gives it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogBody {
    /// note, or handover (to the next shift).
    pub kind: String,
    /// What (at most 4,000 characters).
    pub text: String,
    /// What is left open (at most 50 items of 500 characters).
    #[serde(default)]
    pub open_items: Vec<String>,
}

/// An entry of the shift log.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LogEntry {
    /// Its id.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// note or handover.
    pub kind: String,
    /// What.
    pub text: String,
    /// What is left open.
    pub open_items: Vec<String>,
    /// Who wrote it.
    pub author: String,
    /// The district's duty office (none: the city's).
    pub district: Option<String>,
}

/// Who is on duty now, and the last handover.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OnDuty {
    /// The shifts running now, leaders first.
    pub shifts: Vec<Shift>,
    /// The last handover.
    pub handover: Option<LogEntry>,
    /// Calls not yet screened.
    pub open_calls: i64,
}

fn checked(body: ShiftBody) -> Result<ShiftBody, Error> {
    let (starts, ends) = (Error::instant("starts_at", &body.starts_at)?, Error::instant("ends_at", &body.ends_at)?);
    if ends <= starts {
        return Err(Error::invalid("ends_at", "is not after starts_at"));
    }
    if ends - starts > chrono::Duration::hours(MAX_SHIFT_HOURS) {
        return Err(Error::invalid("ends_at", format!("a shift lasts at most {MAX_SHIFT_HOURS} hours")));
    }
    if !words::codes(&words::DUTY_POST).contains(&body.post.as_str()) {
        return Err(Error::invalid("post", format!("`{}` is not leader or officer", body.post)));
    }
    Error::said("person", body.person.clone(), 100, false)?;
    Error::text("phone", body.phone.clone(), 100, false)?;
    if let Some(d) = &body.district
        && !crate::codes::is_admin_code(d)
    {
        return Err(Error::invalid("district", format!("`{d}` is not a six-digit 区县 code")));
    }
    Ok(body)
}

/// Adds shifts to the roster, all or none.
pub async fn add_shifts(pool: &sqlx::PgPool, actor: &Actor, shifts: Vec<ShiftBody>) -> Result<Vec<Shift>, Error> {
    if shifts.is_empty() || shifts.len() > MAX_SHIFTS {
        return Err(Error::invalid("shifts", format!("give 1 to {MAX_SHIFTS} shifts")));
    }
    let shifts: Vec<ShiftBody> = shifts.into_iter().map(checked).collect::<Result<_, _>>()?;
    let mut tx = begin_as(pool, actor).await?;
    let mut ids = Vec::with_capacity(shifts.len());
    for s in &shifts {
        if let Some(d) = &s.district {
            let known: Option<i64> =
                sqlx::query_scalar("SELECT id FROM district WHERE code = $1").bind(d).fetch_optional(&mut *tx).await?;
            if known.is_none() {
                return Err(Error::invalid("district", format!("`{d}` is not the code of a district in the registry")));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO duty_shift (starts_at, ends_at, person, post, phone, district) VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id",
        )
        .bind(Error::instant("starts_at", &s.starts_at)?)
        .bind(Error::instant("ends_at", &s.ends_at)?)
        .bind(s.person.trim())
        .bind(&s.post)
        .bind(&s.phone)
        .bind(&s.district)
        .fetch_one(&mut *tx)
        .await?;
        ids.push(id);
    }
    jurisdiction::check(&mut tx, actor, "duty_shift", &ids).await?;
    let stored = sqlx::query_as(
        "SELECT id, starts_at, ends_at, person, post, phone, district FROM duty_shift WHERE id = ANY($1) ORDER BY starts_at, id",
    )
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(stored)
}

/// The shifts meeting `from`..`to` (of the actor's district, or the city's), in order.
pub async fn shifts(
    pool: &sqlx::PgPool,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Shift>, Error> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, starts_at, ends_at, person, post, phone, district FROM duty_shift \
         WHERE starts_at < $2 AND ends_at > $1 AND district IS NOT DISTINCT FROM $3 \
         ORDER BY starts_at, post, id LIMIT {MAX_SHIFTS}"
    )))
    .bind(from)
    .bind(to)
    .bind(&actor.district)
    .fetch_all(pool)
    .await?)
}

/// Who is on duty now at the actor's office, the last handover there, and the calls waiting.
pub async fn now(pool: &sqlx::PgPool, actor: &Actor) -> Result<OnDuty, Error> {
    let now = Utc::now();
    let mut shifts = shifts(pool, actor, now, now + chrono::Duration::milliseconds(1)).await?;
    shifts.sort_by_key(|s| (s.post != "leader", s.starts_at, s.id));
    let handover: Option<LogEntry> = sqlx::query_as(
        "SELECT id, at, kind, text, open_items, author, district FROM duty_log \
         WHERE kind = 'handover' AND district IS NOT DISTINCT FROM $1 ORDER BY at DESC, id DESC LIMIT 1",
    )
    .bind(&actor.district)
    .fetch_optional(pool)
    .await?;
    let open_calls: i64 =
        sqlx::query_scalar("SELECT count(*) FROM intake WHERE status = 'open' AND ($1::text IS NULL OR district = $1)")
            .bind(&actor.district)
            .fetch_one(pool)
            .await?;
    Ok(OnDuty { shifts, handover, open_calls })
}

/// Writes a log entry at the actor's office; a handover lists the calls not yet screened too.
pub async fn log(pool: &sqlx::PgPool, actor: &Actor, body: LogBody) -> Result<LogEntry, Error> {
    if !matches!(body.kind.as_str(), "note" | "handover") {
        return Err(Error::invalid("kind", format!("`{}` is not note or handover", body.kind)));
    }
    let text = Error::said("text", body.text, 4000, true)?;
    if body.open_items.len() > MAX_OPEN_ITEMS {
        return Err(Error::invalid("open_items", format!("lists {}; at most {MAX_OPEN_ITEMS}", body.open_items.len())));
    }
    let mut items = Vec::new();
    for item in body.open_items {
        if let Some(i) = Error::text("open_items", Some(item), 500, false)?.filter(|i| !i.trim().is_empty()) {
            items.push(i);
        }
    }
    let mut tx = begin_as(pool, actor).await?;
    if body.kind == "handover" {
        let calls: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, left(what, 60) FROM intake WHERE status = 'open' AND ($1::text IS NULL OR district = $1) \
             ORDER BY received_at LIMIT 20",
        )
        .bind(&actor.district)
        .fetch_all(&mut *tx)
        .await?;
        let room = MAX_OPEN_ITEMS.saturating_sub(items.len());
        items.extend(calls.into_iter().take(room).map(|(id, what)| format!("待研判接警 #{id}：{what}")));
    }
    let entry: LogEntry = sqlx::query_as(
        "INSERT INTO duty_log (kind, text, open_items, author, district) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, at, kind, text, open_items, author, district",
    )
    .bind(&body.kind)
    .bind(&text)
    .bind(&items)
    .bind(&actor.name)
    .bind(&actor.district)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("SELECT onemap_event('duty_log', $1)")
        .bind(sqlx::types::Json(serde_json::json!({"id": entry.id, "kind": entry.kind, "author": entry.author,
            "district": entry.district})))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(entry)
}

/// The log since `since` at the actor's office, newest first.
pub async fn entries(pool: &sqlx::PgPool, actor: &Actor, since: Option<&str>) -> Result<Vec<LogEntry>, Error> {
    let since = match since {
        Some(t) => past_time("since", t)?,
        None => Utc::now() - chrono::Duration::days(7),
    };
    Ok(sqlx::query_as(
        "SELECT id, at, kind, text, open_items, author, district FROM duty_log \
         WHERE at >= $1 AND district IS NOT DISTINCT FROM $2 ORDER BY at DESC, id DESC LIMIT 500",
    )
    .bind(since)
    .bind(&actor.district)
    .fetch_all(pool)
    .await?)
}
