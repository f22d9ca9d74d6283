//! Photos attached to a record — an incident, one of its reports, a hazard inspection, an order —
//! taken
//! in the field and uploaded from the phone. Checked for what they are (not what they claim),
//! limited in size and number, stored in PostgreSQL in the transaction that checks the record
//! and the uploader's district, with the camera's metadata stripped unless kept by choice.

pub mod image;

use sqlx::PgPool;

use crate::auth::begin_as;
use crate::auth::{Action, Actor, jurisdiction};
use crate::error::Error;

/// Largest photo accepted, in bytes.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Most photos one record may have.
pub const MAX_PER_RECORD: i64 = 20;

/// The kinds of record a photo may belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// An incident (突发环境事件).
    Incident,
    /// One of an incident's reports (初报/续报/终报).
    Report,
    /// A hazard inspection (隐患排查).
    Inspection,
    /// An order (指令) done in the field: its addressee or the command attaches the photos
    /// (`response::orders::photo`), not by role.
    Order,
}

impl Record {
    /// The names accepted for `record`.
    pub const NAMES: [&'static str; 4] = ["incident", "report", "inspection", "order"];

    /// The record kind called `name`.
    pub fn parse(name: &str) -> Result<Self, Error> {
        match name {
            "incident" => Ok(Self::Incident),
            "report" | "incident_report" => Ok(Self::Report),
            "inspection" => Ok(Self::Inspection),
            "order" | "response_order" => Ok(Self::Order),
            other => Err(Error::invalid(
                "record",
                format!("`{other}` is not a record that takes photos; one of {}", Self::NAMES.join(", ")),
            )),
        }
    }

    /// Its table.
    pub fn table(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Report => "incident_report",
            Self::Inspection => "inspection",
            Self::Order => "response_order",
        }
    }

    /// What the uploader must be allowed to do to the record itself (an order's photos are
    /// its addressee's, whatever their role).
    pub fn action(self) -> Option<Action> {
        match self {
            Self::Incident | Self::Report => Some(Action::HandleIncidents),
            Self::Inspection => Some(Action::EditRegistry),
            Self::Order => None,
        }
    }
}

/// A photo as uploaded.
#[derive(Debug, Clone)]
pub struct Upload {
    /// What it belongs to.
    pub record: Record,
    /// The record's id.
    pub record_id: i64,
    /// The name on the phone.
    pub file_name: String,
    /// The media type the client declared.
    pub declared_type: Option<String>,
    /// Keep the camera's metadata (EXIF, with the GPS position) instead of stripping it.
    pub keep_metadata: bool,
    /// What it shows.
    pub caption: Option<String>,
    /// Where it was taken (longitude, latitude), as the phone said.
    pub position: Option<(f64, f64)>,
    /// The file.
    pub bytes: Vec<u8>,
}

/// Why a photo is refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The record has as many photos as one record takes.
    #[error("{table} {record_id} has {count} photos already, the most one record takes")]
    TooMany {
        /// The record's table.
        table: &'static str,
        /// The record.
        record_id: i64,
        /// Its photos.
        count: i64,
    },
}

impl crate::error::Refusal for Refused {
    fn title(&self) -> &'static str {
        "too many photos"
    }
}

/// A photo as the API describes it (the file itself is at `href`).
#[derive(Debug, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attachment {
    /// The attachment's id.
    pub id: i64,
    /// incident, report, inspection or order.
    pub record: String,
    /// The record's id.
    pub record_id: i64,
    /// The incident it belongs to (itself or its report's).
    pub incident_id: Option<i64>,
    /// The file's name as uploaded.
    pub file_name: String,
    /// image/jpeg or image/png.
    pub content_type: String,
    /// Its size.
    pub size_bytes: i32,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Pixels across.
    pub width: i32,
    /// Pixels down.
    pub height: i32,
    /// Whether the camera's metadata was `stripped` or `kept`.
    pub metadata: String,
    /// What it shows.
    pub caption: Option<String>,
    /// Where it was taken (longitude, latitude), as the phone said.
    pub position: Option<Vec<f64>>,
    /// Who uploaded it.
    pub author: String,
    /// When.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The file.
    pub href: String,
}

/// The columns of [`Attachment`], from `attachment a`.
const ATTACHMENT_COLUMNS: &str = "a.id, CASE a.record_table WHEN 'incident_report' THEN 'report' \
     WHEN 'response_order' THEN 'order' ELSE a.record_table END AS record, a.record_id, a.incident_id, \
     a.file_name, a.content_type, a.size_bytes, a.sha256, a.width, a.height, a.metadata, a.caption, \
     CASE WHEN a.geom IS NULL THEN NULL ELSE ARRAY[ST_X(a.geom), ST_Y(a.geom)] END AS position, \
     a.author, a.created_at, '/api/attachments/' || a.id AS href";

/// A photo checked for what it is, its camera's metadata stripped unless kept: ready to store.
#[derive(Debug)]
pub struct Checked {
    upload: Upload,
    format: image::Format,
    width: u32,
    height: u32,
    stripped: Option<Vec<u8>>,
}

impl Checked {
    /// What it belongs to.
    pub fn record(&self) -> Record {
        self.upload.record
    }

    /// The record's id.
    pub fn record_id(&self) -> i64 {
        self.upload.record_id
    }
}

/// Checks a photo without the database: its size, name, caption, position and what the bytes are.
pub fn check(upload: Upload) -> Result<Checked, Error> {
    checked(&upload)?;
    let image = image::inspect(&upload.bytes).map_err(|detail| Error::invalid("file", detail))?;
    if let Some(declared) = &upload.declared_type
        && image::Format::from_media_type(declared) != Some(image.format)
    {
        return Err(Error::invalid(
            "file",
            format!("the file was sent as `{declared}` but is a {}", image.format.media_type()),
        ));
    }
    let stripped = if upload.keep_metadata {
        None
    } else {
        Some(image::strip_metadata(&upload.bytes).map_err(|detail| Error::invalid("file", detail))?)
    };
    Ok(Checked { format: image.format, width: image.width, height: image.height, stripped, upload })
}

/// Checks the upload, then stores it with its record in one transaction; the description.
pub async fn save(pool: &PgPool, actor: &Actor, upload: Upload) -> Result<Attachment, Error> {
    let Some(action) = upload.record.action() else {
        return Err(Error::invalid("record", "an order's photos are added by its addressee or the command"));
    };
    if !actor.role.is_some_and(|role| role.may(action)) {
        return Err(Error::Forbidden(format!(
            "a photo of {} {} is the work of the roles that may change it; {} may not; nothing was stored",
            upload.record.table().replace('_', " "),
            upload.record_id,
            actor.name
        )));
    }
    let photo = check(upload)?;
    let table = photo.record().table();
    let record_id = photo.record_id();
    let mut tx = begin_as(pool, actor).await?;
    // The record, held for the transaction (it cannot go while its photo arrives).
    let incident: Option<Option<i64>> = sqlx::query_scalar(sqlx::AssertSqlSafe(match photo.record() {
        Record::Incident => "SELECT id FROM incident WHERE id = $1 FOR SHARE",
        Record::Report => "SELECT incident_id FROM incident_report WHERE id = $1 FOR SHARE",
        Record::Inspection => "SELECT NULL::bigint FROM inspection WHERE id = $1 FOR SHARE",
        Record::Order => "SELECT incident_id FROM response_order WHERE id = $1 FOR SHARE",
    }))
    .bind(record_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(incident) = incident else {
        return Err(Error::invalid(
            "record_id",
            format!("there is no {} with id {record_id}", table.replace('_', " ")),
        ));
    };
    jurisdiction::check(&mut tx, actor, table, &[record_id]).await?;
    let description = attach(&mut tx, actor, &photo, incident).await?;
    tx.commit().await?;
    Ok(description)
}

/// Stores a checked photo of a record the caller holds (and has judged the actor may add to),
/// in the caller's transaction, unless the record has as many as it may have.
pub async fn attach(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    photo: &Checked,
    incident: Option<i64>,
) -> Result<Attachment, Error> {
    let upload = &photo.upload;
    let table = upload.record.table();
    let bytes = photo.stripped.as_deref().unwrap_or(&upload.bytes);
    let sha256 = {
        use sha2::Digest;
        crate::hash::hex(&sha2::Sha256::digest(bytes))
    };
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM attachment WHERE record_table = $1 AND record_id = $2")
        .bind(table)
        .bind(upload.record_id)
        .fetch_one(&mut *conn)
        .await?;
    if count >= MAX_PER_RECORD {
        return Err(Refused::TooMany { table, record_id: upload.record_id, count }.into());
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO attachment (record_table, record_id, incident_id, file_name, content_type, size_bytes, \
         sha256, width, height, metadata, caption, geom, author) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                 CASE WHEN $12::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($12, $13), 4326) END, $14) \
         RETURNING id",
    )
    .bind(table)
    .bind(upload.record_id)
    .bind(incident)
    .bind(&upload.file_name)
    .bind(photo.format.media_type())
    .bind(bytes.len() as i32)
    .bind(&sha256)
    .bind(photo.width as i32)
    .bind(photo.height as i32)
    .bind(if upload.keep_metadata { "kept" } else { "stripped" })
    .bind(&upload.caption)
    .bind(upload.position.map(|p| p.0))
    .bind(upload.position.map(|p| p.1))
    .bind(&actor.name)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO attachment_bytes (attachment_id, bytes) VALUES ($1, $2)")
        .bind(id)
        .bind(bytes)
        .execute(&mut *conn)
        .await?;
    describe(conn, id).await
}

/// Limits that need no database: size, name, caption, position.
fn checked(upload: &Upload) -> Result<(), Error> {
    if upload.bytes.is_empty() {
        return Err(Error::invalid("file", "the file is empty"));
    }
    if upload.bytes.len() > MAX_BYTES {
        return Err(Error::invalid(
            "file",
            format!("the file has {} bytes; a photo may have at most {MAX_BYTES} (10 MiB)", upload.bytes.len()),
        ));
    }
    let name = upload.file_name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(Error::invalid("file", "the file name must be 1–200 characters without control characters"));
    }
    if let Some(caption) = &upload.caption {
        if caption.chars().count() > 500 {
            return Err(Error::invalid("caption", "at most 500 characters"));
        }
        if let Some(found) = crate::text::forbidden_control(caption, true) {
            return Err(Error::invalid("caption", crate::text::describe_control(found)));
        }
    }
    if let Some((lon, lat)) = upload.position
        && (!(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat))
    {
        return Err(Error::invalid("position", format!("({lon}, {lat}) is not a longitude and latitude")));
    }
    Ok(())
}

async fn describe(conn: &mut sqlx::PgConnection, id: i64) -> Result<Attachment, Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ATTACHMENT_COLUMNS} FROM attachment a WHERE a.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound { layer: "attachment", id })
}

/// The description of attachment `id`.
pub async fn show(pool: &PgPool, id: i64) -> Result<Attachment, Error> {
    describe(&mut *pool.acquire().await?, id).await
}

/// The photos of a record (`record` None: of an incident and all its reports), oldest first.
pub async fn list(pool: &PgPool, record: Option<Record>, record_id: i64) -> Result<Vec<Attachment>, Error> {
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM attachment a \
         WHERE ($1::text IS NULL AND a.incident_id = $2) OR (a.record_table = $1 AND a.record_id = $2) ORDER BY a.id"
    )))
    .bind(record.map(Record::table))
    .bind(record_id)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// Removes attachment `id`: its uploader may, or an administrator; a district user only in their
/// district (a photo taken by mistake, of the wrong place or person).
pub async fn remove(pool: &PgPool, actor: &Actor, id: i64) -> Result<(), Error> {
    let mut tx = begin_as(pool, actor).await?;
    let row: Option<(String, i64, String)> =
        sqlx::query_as("SELECT record_table, record_id, author FROM attachment WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((table, record_id, author)) = row else {
        return Err(Error::NotFound { layer: "attachment", id });
    };
    let admin = actor.role == Some(crate::auth::Role::Admin);
    if author != actor.name && !admin {
        return Err(Error::Forbidden(format!(
            "attachment {id} was uploaded by {author}; only they or an administrator may remove it; nothing was removed"
        )));
    }
    jurisdiction::check(&mut tx, actor, &table, &[record_id]).await?;
    sqlx::query("DELETE FROM attachment WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The stored file of attachment `id`: its media type, name and bytes.
pub async fn content(pool: &PgPool, id: i64) -> Result<(String, String, Vec<u8>), Error> {
    sqlx::query_as(
        "SELECT a.content_type, a.file_name, b.bytes FROM attachment a \
         JOIN attachment_bytes b ON b.attachment_id = a.id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound { layer: "attachment", id })
}
