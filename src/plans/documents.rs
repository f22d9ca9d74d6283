//! The documents of a plan version: PDFs checked for what they are ([`super::pdf`]), kept in
//! PostgreSQL beside the plan (one backup holds both), the summary (简本) public and every other
//! document readable only by the bureau and the plan's own enterprise.

use sqlx::PgPool;

use super::codes::DocumentKind;
use super::hold::{held, hold_plan};
use super::record::PlanDocument;
use super::refused::Refused;
use super::scope::{self, Sight};
use crate::auth::{Actor, begin_as};
use crate::error::Error;

/// Largest document accepted, in bytes (under the server's request limit).
pub const MAX_BYTES: usize = 18 * 1024 * 1024;
/// Most documents one version may have.
pub const MAX_PER_VERSION: i64 = 30;

/// A document as uploaded.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The plan.
    pub plan: i64,
    /// Its version.
    pub version: i64,
    /// What the document is.
    pub kind: DocumentKind,
    /// The name on the uploader's disk.
    pub file_name: String,
    /// The file.
    pub bytes: Vec<u8>,
}

/// Checks the upload and stores it with the version, while the version takes documents.
pub async fn save(pool: &PgPool, actor: &Actor, upload: Upload) -> Result<PlanDocument, Error> {
    let name = upload.file_name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(Error::invalid("file", "the file name must be 1–200 characters without control characters"));
    }
    if upload.bytes.len() > MAX_BYTES {
        return Err(Error::invalid(
            "file",
            format!("the file has {} bytes; a document may have at most {MAX_BYTES}", upload.bytes.len()),
        ));
    }
    let bytes = upload.bytes;
    let checked = crate::work::run("pdf check", {
        let bytes = bytes.clone();
        move || super::pdf::check(&bytes)
    })
    .await?
    .map_err(|unfit| Error::invalid("file", unfit.to_string()))?;
    let sha256 = {
        use sha2::Digest;
        crate::hash::hex(&sha2::Sha256::digest(&bytes))
    };
    let mut tx = begin_as(pool, actor).await?;
    hold_plan(&mut tx, actor, upload.plan).await?;
    let (status, number) = held(&mut tx, upload.plan, upload.version).await?;
    if !status.takes_documents() {
        return Err(Refused::VersionState {
            plan: upload.plan,
            number,
            status,
            step: "a document",
            needed: "drafting, reviewed or signed (not while filed, not once in force)",
        }
        .into());
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM plan_document WHERE version_id = $1")
        .bind(upload.version)
        .fetch_one(&mut *tx)
        .await?;
    if count >= MAX_PER_VERSION {
        return Err(Refused::TooManyDocuments { version: upload.version, count }.into());
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO plan_document (version_id, kind, public, file_name, content_type, size_bytes, sha256, pages, author) \
         VALUES ($1, $2, $3, $4, 'application/pdf', $5, $6, $7, $8) RETURNING id",
    )
    .bind(upload.version)
    .bind(upload.kind.code())
    .bind(upload.kind == DocumentKind::Summary)
    .bind(&name)
    .bind(bytes.len() as i32)
    .bind(&sha256)
    .bind(checked.pages as i32)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO plan_document_bytes (document_id, bytes) VALUES ($1, $2)")
        .bind(id)
        .bind(&bytes)
        .execute(&mut *tx)
        .await?;
    let document = describe(&mut tx, id).await?;
    tx.commit().await?;
    Ok(document)
}

async fn describe(conn: &mut sqlx::PgConnection, id: i64) -> Result<PlanDocument, Error> {
    let mut d: PlanDocument = sqlx::query_as(
        "SELECT id, version_id, kind, public, file_name, size_bytes, sha256, pages, author, created_at \
         FROM plan_document WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound { layer: "plan_document", id })?;
    d.href = format!("/api/plan-documents/{id}");
    Ok(d)
}

/// The plan a document belongs to, and whether it is public.
async fn owner(conn: &mut sqlx::PgConnection, id: i64) -> Result<(i64, bool), Error> {
    sqlx::query_as(
        "SELECT v.plan_id, d.public FROM plan_document d JOIN plan_version v ON v.id = d.version_id WHERE d.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound { layer: "plan_document", id })
}

/// The file of document `id` (its name and bytes), if the actor may read it.
pub async fn content(pool: &PgPool, actor: &Actor, id: i64) -> Result<(String, Vec<u8>), Error> {
    let mut conn = pool.acquire().await?;
    let (plan, public) = owner(&mut conn, id).await?;
    if !public && scope::sight(&mut conn, actor, plan).await? == Sight::Public {
        return Err(Error::Forbidden(format!(
            "document {id} of plan {plan} is not public; only the bureau and the plan's own enterprise read it"
        )));
    }
    Ok(sqlx::query_as(
        "SELECT d.file_name, b.bytes FROM plan_document d JOIN plan_document_bytes b ON b.document_id = d.id \
         WHERE d.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?)
}

/// Removes document `id` while its version takes documents.
pub async fn remove(pool: &PgPool, actor: &Actor, id: i64) -> Result<(), Error> {
    let mut tx = begin_as(pool, actor).await?;
    let (plan, _) = owner(&mut tx, id).await?;
    hold_plan(&mut tx, actor, plan).await?;
    let version: i64 =
        sqlx::query_scalar("SELECT version_id FROM plan_document WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
    let (status, number) = held(&mut tx, plan, version).await?;
    if !status.takes_documents() {
        return Err(Refused::VersionState {
            plan,
            number,
            status,
            step: "removing a document",
            needed: "drafting, reviewed or signed",
        }
        .into());
    }
    sqlx::query("DELETE FROM plan_document WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
