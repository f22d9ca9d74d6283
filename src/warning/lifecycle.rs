//! A warning's life: a draft (changed freely by whoever may handle incidents), issued (by a
//! dispatcher whose district covers the area), updated (a new issued version that refers to
//! the one before, which becomes `updated`), cancelled; expired once past `expires`. Every step
//! is one transaction; the recipients are computed from the area when the draft is written.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use super::LEVELS;
use super::record::{Recipient, Warning, show};
use super::refused::Refused;
use super::status::Status;
use crate::auth::begin_as;
use crate::auth::{Actor, jurisdiction};
use crate::error::Error;
use crate::layers::spec::INCIDENT_LAYER;
use crate::layers::store;

/// Longest warning, days.
const MAX_DAYS: i64 = 30;
/// Most vertices of a drawn area.
pub const MAX_VERTICES: usize = 10_000;

/// The fields a draft carries, checked. `area` is GeoJSON text (a Polygon or MultiPolygon).
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// water or air.
    pub kind: Option<String>,
    /// 蓝, 黄, 橙, 红.
    pub level: Option<String>,
    /// One line.
    pub headline: Option<String>,
    /// What happens.
    pub description: Option<String>,
    /// What to do.
    pub instruction: Option<String>,
    /// Where, in words.
    pub area_desc: Option<String>,
    /// From when.
    pub onset: Option<DateTime<Utc>>,
    /// Until when.
    pub expires: Option<DateTime<Utc>>,
    /// The incident it is for.
    pub incident_id: Option<i64>,
    /// The area, GeoJSON geometry text.
    pub area: Option<String>,
}

/// A warning's fields as asked, by CAP's names. Where it is comes as `area` (a GeoJSON Polygon
/// or MultiPolygon) or `from` (a trace or a plume), which the HTTP edge makes an area.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarningFields {
    /// water or air.
    pub kind: Option<String>,
    /// 蓝, 黄, 橙 or 红.
    pub level: Option<String>,
    /// One line (160 characters at most).
    pub headline: Option<String>,
    /// What happens.
    pub description: Option<String>,
    /// What to do.
    pub instruction: Option<String>,
    /// Where, in words.
    pub area_desc: Option<String>,
    /// From when, RFC 3339 (now when not given).
    pub onset: Option<String>,
    /// Until when, RFC 3339 (at most 30 days after onset).
    pub expires: Option<String>,
    /// The incident it is for.
    pub incident_id: Option<i64>,
    /// The area: a GeoJSON Polygon or MultiPolygon.
    #[schema(value_type = Option<Object>)]
    pub area: Option<Value>,
    /// Or the area made from `{"trace": {lon, lat, hours, buffer_m}}` or `{"plume": {…}}`.
    #[schema(value_type = Option<Object>)]
    pub from: Option<Value>,
}

fn time(name: &str, value: Option<String>) -> Result<Option<DateTime<Utc>>, Error> {
    match Error::text(name, value, 64, false)? {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(&s)
            .map(|t| Some(t.to_utc()))
            .map_err(|_| Error::invalid(name, format!("`{s}` is not an RFC 3339 time like 2026-12-01T18:00:00+08:00"))),
    }
}

impl Draft {
    /// The fields `asked`, checked one by one, with `area` (GeoJSON text made by the caller from
    /// `asked.area` or `asked.from`).
    pub fn read(asked: WarningFields, area: Option<String>) -> Result<Self, Error> {
        let kind = Error::text("kind", asked.kind, 10, false)?;
        if let Some(k) = &kind
            && k != "water"
            && k != "air"
        {
            return Err(Error::invalid("kind", format!("`{k}` is not water or air")));
        }
        let level = Error::text("level", asked.level, 4, false)?;
        if let Some(l) = &level
            && !LEVELS.contains(&l.as_str())
        {
            return Err(Error::invalid("level", format!("`{l}` is not a level; use {}", LEVELS.join(", "))));
        }
        if asked.incident_id.is_some_and(|n| n <= 0) {
            return Err(Error::invalid("incident_id", "must be an incident's id"));
        }
        Ok(Self {
            kind,
            level,
            headline: Error::text("headline", asked.headline, 160, false)?,
            description: Error::text("description", asked.description, 8000, true)?,
            instruction: Error::text("instruction", asked.instruction, 8000, true)?,
            area_desc: Error::text("area_desc", asked.area_desc, 500, false)?,
            onset: time("onset", asked.onset)?,
            expires: time("expires", asked.expires)?,
            incident_id: asked.incident_id,
            area,
        })
    }

    /// Fills what is not given from `old`.
    fn over(self, old: Draft) -> Draft {
        Draft {
            kind: self.kind.or(old.kind),
            level: self.level.or(old.level),
            headline: self.headline.or(old.headline),
            description: self.description.or(old.description),
            instruction: self.instruction.or(old.instruction),
            area_desc: self.area_desc.or(old.area_desc),
            onset: self.onset.or(old.onset),
            expires: self.expires.or(old.expires),
            incident_id: self.incident_id.or(old.incident_id),
            area: self.area.or(old.area),
        }
    }

    /// The whole warning is there and makes sense.
    fn check(&self) -> Result<(), Error> {
        for (name, missing) in [
            ("kind", self.kind.is_none()),
            ("level", self.level.is_none()),
            ("headline", self.headline.as_deref().is_none_or(str::is_empty)),
            ("area", self.area.is_none()),
        ] {
            if missing {
                return Err(Error::invalid(name, "is required"));
            }
        }
        let onset = self.onset.unwrap_or_else(Utc::now);
        let expires = self.expires.ok_or_else(|| Error::invalid("expires", "is required"))?;
        if expires <= onset {
            return Err(Error::invalid("expires", format!("{expires} is not after onset {onset}")));
        }
        if expires - onset > chrono::Duration::days(MAX_DAYS) {
            return Err(Error::invalid("expires", format!("a warning lasts at most {MAX_DAYS} days")));
        }
        Ok(())
    }
}

/// Writes the recipients of warning `id` from its area: every receptor intersecting it, then
/// the duty unit of every district it touches.
async fn recipients_from_area(tx: &mut PgConnection, id: i64) -> Result<(), Error> {
    sqlx::query("DELETE FROM warning_recipient WHERE warning_id = $1").bind(id).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO warning_recipient (warning_id, receptor_id, district, name) \
         SELECT w.id, r.id, r.district, r.name FROM warning w JOIN receptor r ON ST_Intersects(r.geom, w.geom) \
          WHERE w.id = $1 ORDER BY r.id",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO warning_recipient (warning_id, district, name) \
         SELECT w.id, d.name, d.name || '生态环境局应急值班室' FROM warning w JOIN district d ON ST_Intersects(d.geom, w.geom) \
          WHERE w.id = $1 ORDER BY d.code",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Binds the draft's ten fields, in the order the statements above number them.
fn bind<'q, O>(
    d: &'q Draft,
    q: sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
) -> sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    q.bind(d.incident_id)
        .bind(&d.kind)
        .bind(&d.level)
        .bind(&d.headline)
        .bind(&d.description)
        .bind(&d.instruction)
        .bind(&d.area_desc)
        .bind(d.onset)
        .bind(d.expires)
        .bind(&d.area)
}

fn author(actor: &Actor) -> (String, Option<i64>) {
    (actor.name.clone(), actor.user_id)
}

/// Writes a new draft.
pub async fn create(pool: &PgPool, actor: &Actor, draft: Draft) -> Result<Warning, Error> {
    draft.check()?;
    let mut tx = begin_as(pool, actor).await?;
    check_area(&mut tx, &draft).await?;
    if let Some(incident) = draft.incident_id {
        store::exists(&mut tx, &INCIDENT_LAYER, incident).await.map_err(|e| match e {
            Error::NotFound { .. } => Error::invalid("incident_id", format!("no incident {incident}")),
            other => other,
        })?;
    }
    let (name, user) = author(actor);
    let id: i64 = bind(
        &draft,
        sqlx::query_scalar(
            "WITH n AS (SELECT nextval(pg_get_serial_sequence('warning', 'id')) AS id) \
         INSERT INTO warning (id, identifier, first_id, incident_id, kind, level, headline, description, instruction, \
           area_desc, onset, expires, geom, author, author_id) \
         SELECT n.id, 'onemap-warning-' || n.id, n.id, $1, $2, $3, $4, $5, $6, coalesce($7, '预警区域'), \
           coalesce($8, now()), $9, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($10), 4326)), $11, $12 FROM n RETURNING id",
        ),
    )
    .bind(name)
    .bind(user)
    .fetch_one(&mut *tx)
    .await?;
    recipients_from_area(&mut tx, id).await?;
    let out = show(&mut tx, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Refuses a change of draft `id` by anyone but its author or a city-wide dispatcher.
async fn check_author(tx: &mut PgConnection, actor: &Actor, id: i64) -> Result<(), Error> {
    if actor.district.is_none() {
        return Ok(());
    }
    let author: Option<(Option<i64>, String)> =
        sqlx::query_as("SELECT author_id, author FROM warning WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
    match author {
        Some((Some(by), _)) if Some(by) == actor.user_id => Ok(()),
        Some((_, name)) => Err(Error::Forbidden(format!(
            "draft {id} is {name}'s; a draft is changed by its author or a city-wide dispatcher; nothing was written"
        ))),
        None => Err(Error::NotFound { layer: "warning", id }),
    }
}

/// Refuses a draft whose area is not a valid polygon (decided by PostGIS, in the transaction).
async fn check_area(tx: &mut PgConnection, draft: &Draft) -> Result<(), Error> {
    let Some(area) = &draft.area else { return Ok(()) };
    let geometry = crate::layers::geometry_from_geojson(area).map_err(|e| Error::invalid("area", e.to_string()))?;
    match crate::layers::validity::first_invalid(&mut *tx, &[Some(&geometry)]).await? {
        Some((_, detail)) => Err(Error::invalid("area", detail)),
        None => Ok(()),
    }
}

/// A warning as held for a change: its fields as a draft, its status, and whether it has expired.
struct Held {
    draft: Draft,
    status: Status,
    expired: bool,
}

/// A row of `warning` as [`held`] reads it.
#[derive(sqlx::FromRow)]
struct Row {
    incident_id: Option<i64>,
    kind: String,
    level: String,
    headline: String,
    description: Option<String>,
    instruction: Option<String>,
    area_desc: String,
    onset: DateTime<Utc>,
    expires: DateTime<Utc>,
    area: String,
    expired: bool,
    status: String,
}

/// The warning `id`, locked for the change.
async fn held(tx: &mut PgConnection, id: i64) -> Result<Held, Error> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT incident_id, kind, level, headline, description, instruction, area_desc, onset, expires, \
           ST_AsGeoJSON(geom, 9) AS area, expires <= now() AS expired, status FROM warning WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let r = row.ok_or(Error::NotFound { layer: "warning", id })?;
    let draft = Draft {
        kind: Some(r.kind),
        level: Some(r.level),
        headline: Some(r.headline),
        description: r.description,
        instruction: r.instruction,
        area_desc: Some(r.area_desc),
        onset: Some(r.onset),
        expires: Some(r.expires),
        incident_id: r.incident_id,
        area: Some(r.area),
    };
    Ok(Held { draft, status: Status::parse(&r.status)?, expired: r.expired })
}

/// Changes a draft.
pub async fn edit(pool: &PgPool, actor: &Actor, id: i64, changes: Draft) -> Result<Warning, Error> {
    let mut tx = begin_as(pool, actor).await?;
    let Held { draft: old, status, .. } = held(&mut tx, id).await?;
    if status != Status::Draft {
        return Err(Refused::NotEditable { id, status }.into());
    }
    check_author(&mut tx, actor, id).await?;
    let draft = changes.over(old);
    draft.check()?;
    check_area(&mut tx, &draft).await?;
    let _: i64 = bind(&draft, sqlx::query_scalar(
        "UPDATE warning SET incident_id = $2, kind = $3, level = $4, headline = $5, description = $6, instruction = $7, \
           area_desc = $8, onset = $9, expires = $10, geom = ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($11), 4326)) \
         WHERE id = $1 RETURNING id",
    )
    .bind(id))
    .fetch_one(&mut *tx)
    .await?;
    // The draft as it became: an edit must not move it out of the district.
    jurisdiction::check(&mut tx, actor, "warning", &[id]).await?;
    recipients_from_area(&mut tx, id).await?;
    let out = show(&mut tx, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Issues the draft `id`: from now on it is in force until it expires or is cancelled.
pub async fn issue(pool: &PgPool, actor: &Actor, id: i64) -> Result<Warning, Error> {
    let mut tx = begin_as(pool, actor).await?;
    let Held { status, expired, .. } = held(&mut tx, id).await?;
    if status != Status::Draft {
        return Err(Refused::NotADraft { id, status }.into());
    }
    if expired {
        return Err(Refused::Expired { id }.into());
    }
    jurisdiction::check(&mut tx, actor, "warning", &[id]).await?;
    sqlx::query("UPDATE warning SET status = 'issued', issued_at = now(), issued_by = $2 WHERE id = $1")
        .bind(id)
        .bind(&actor.name)
        .execute(&mut *tx)
        .await?;
    let out = show(&mut tx, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Updates the issued warning `id` with `changes`: a new issued version referring to it.
pub async fn update(pool: &PgPool, actor: &Actor, id: i64, changes: Draft) -> Result<Warning, Error> {
    let mut tx = begin_as(pool, actor).await?;
    let Held { draft: old, status, expired } = held(&mut tx, id).await?;
    if status != Status::Issued || expired {
        let state = if expired { "expired" } else { status.code() };
        return Err(Refused::NotInForce { id, state }.into());
    }
    jurisdiction::check(&mut tx, actor, "warning", &[id]).await?;
    let draft = changes.over(old);
    draft.check()?;
    check_area(&mut tx, &draft).await?;
    let (name, user) = author(actor);
    let new_id: i64 = bind(
        &draft,
        sqlx::query_scalar(
            "WITH n AS (SELECT nextval(pg_get_serial_sequence('warning', 'id')) AS id), \
              o AS (SELECT first_id, version FROM warning WHERE id = $1) \
         INSERT INTO warning (id, identifier, first_id, previous_id, version, incident_id, kind, level, headline, \
           description, instruction, area_desc, onset, expires, geom, author, author_id, status, issued_at, issued_by) \
         SELECT n.id, 'onemap-warning-' || n.id, o.first_id, $1, o.version + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
           ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($11), 4326)), $12, $13, 'issued', now(), $12 FROM n, o RETURNING id",
        )
        .bind(id),
    )
    .bind(name)
    .bind(user)
    .fetch_one(&mut *tx)
    .await?;
    // The new version as well as the old one: an update must not move the area out.
    jurisdiction::check(&mut tx, actor, "warning", &[new_id]).await?;
    sqlx::query("UPDATE warning SET status = 'updated', ended_at = now() WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    recipients_from_area(&mut tx, new_id).await?;
    // Who was told of the last version was told of this one's warning: keep their ticks.
    sqlx::query(
        "UPDATE warning_recipient n SET notified_at = o.notified_at, notified_by = o.notified_by \
         FROM warning_recipient o WHERE o.warning_id = $1 AND n.warning_id = $2 AND o.name = n.name \
           AND o.receptor_id IS NOT DISTINCT FROM n.receptor_id",
    )
    .bind(id)
    .bind(new_id)
    .execute(&mut *tx)
    .await?;
    let out = show(&mut tx, new_id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Cancels the issued warning `id`.
pub async fn cancel(pool: &PgPool, actor: &Actor, id: i64) -> Result<Warning, Error> {
    let mut tx = begin_as(pool, actor).await?;
    let Held { status, .. } = held(&mut tx, id).await?;
    if status != Status::Issued {
        return Err(Refused::NotIssued { id, status }.into());
    }
    jurisdiction::check(&mut tx, actor, "warning", &[id]).await?;
    sqlx::query("UPDATE warning SET status = 'cancelled', ended_at = now() WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let out = show(&mut tx, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Ticks recipient `recipient` of warning `id` as told (or not).
pub async fn notified(pool: &PgPool, actor: &Actor, id: i64, recipient: i64, told: bool) -> Result<Recipient, Error> {
    let mut tx = begin_as(pool, actor).await?;
    let Held { status, .. } = held(&mut tx, id).await?;
    if status == Status::Draft {
        return Err(Refused::Draft { id }.into());
    }
    jurisdiction::check(&mut tx, actor, "warning", &[id]).await?;
    let row: Option<Recipient> = sqlx::query_as(
        "WITH r AS (UPDATE warning_recipient SET notified_at = CASE WHEN $3 THEN coalesce(notified_at, now()) END, \
           notified_by = CASE WHEN $3 THEN coalesce(notified_by, $4) END \
         WHERE id = $2 AND warning_id = $1 RETURNING *) \
         SELECT r.id, r.name, r.receptor_id, p.kind, r.district, r.contact, r.notified_at, r.notified_by \
         FROM r LEFT JOIN receptor p ON p.id = r.receptor_id",
    )
    .bind(id)
    .bind(recipient)
    .bind(told)
    .bind(&actor.name)
    .fetch_optional(&mut *tx)
    .await?;
    let out = row.ok_or(Error::NotFound { layer: "warning_recipient", id: recipient })?;
    tx.commit().await?;
    Ok(out)
}
