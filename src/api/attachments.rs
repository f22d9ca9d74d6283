//! Photos: `POST /api/attachments` (multipart: `record`, `record_id`, `file`, and optionally
//! `metadata=keep|strip`, `caption`, `lon`, `lat`), `GET /api/attachments?record&record_id`
//! or `?incident_id`, `GET /api/attachments/{id}` (the file) and `DELETE` (by its uploader).

use axum::extract::State;
use axum::extract::multipart::{Field, Multipart, MultipartRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::acting::Acting;
use super::doc::Doc;
use super::extract::{Id, PathOf, Query};
use super::permission::Need;
use super::problem::Problem;
use super::routes::Routes;
use crate::attachments::{self, Attachment, MAX_BYTES, Record, Upload};
use crate::auth::Action;

/// Routes of the photos.
pub fn router() -> Routes {
    let form = json!({
        "type": "object",
        "required": ["record", "record_id", "file"],
        "properties": {
            "record": {"type": "string", "enum": Record::NAMES},
            "record_id": {"type": "integer"},
            "file": {"type": "string", "contentMediaType": "image/jpeg", "description": "a JPEG or PNG, at most 10 MiB"},
            "metadata": {"type": "string", "enum": ["strip", "keep"], "description": "the camera's EXIF with its GPS position (default: strip)"},
            "caption": {"type": "string", "maxLength": 500},
            "lon": {"type": "number"},
            "lat": {"type": "number"},
        },
    });
    Routes::new()
        .post("/api/attachments", Need::Attach, upload)
        .doc(
            Doc::new("attach a photo to an incident, a report, an inspection or an order (acknowledged or done)")
                .body("multipart/form-data", form)
                .answer_of::<Attachment>(201, "stored"),
        )
        .get("/api/attachments", Action::Read, list)
        .doc(
            Doc::new("the photos of a record, or of an incident and its reports")
                .query_as("record", json!({"type": "string", "enum": Record::NAMES}), "the kind of record")
                .query_as("record_id", json!({"type": "integer"}), "its id")
                .query_as("incident_id", json!({"type": "integer"}), "an incident: its photos and its reports'")
                .answer_of::<Attachments>(200, "the photos, oldest first"),
        )
        .get("/api/attachments/{id}", Action::Read, file)
        .doc(Doc::new("the photo itself").answer_as(200, "image/jpeg", json!({"type": "string"}), "the file"))
        .delete("/api/attachments/{id}", Need::Attach, remove)
        .doc(Doc::new("remove a photo (its uploader, or an administrator)").nothing("removed"))
}

fn bad(field: &str, detail: impl Into<String>) -> Problem {
    Problem::bad_request(field, detail.into())
}

/// A text part of a form, at most 2,000 bytes, trimmed.
pub(super) async fn text_part(field: Field<'_>, name: &str) -> Result<String, Problem> {
    let value = field.text().await.map_err(|e| bad(name, format!("unreadable: {e}")))?;
    if value.len() > 2000 {
        return Err(bad(name, "too long"));
    }
    Ok(value.trim().to_string())
}

fn number(name: &str, value: &str) -> Result<f64, Problem> {
    value.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| bad(name, format!("`{value}` is not a number")))
}

/// The file part (its name, declared type and bytes), read chunk by chunk so that one over
/// `max` bytes stops at the limit; `what` the file is, for the refusal.
pub(super) async fn file_part(
    mut field: Field<'_>,
    max: usize,
    what: &str,
) -> Result<(String, Option<String>, Vec<u8>), Problem> {
    let name = field.file_name().unwrap_or(what).to_string();
    let declared = field.content_type().map(str::to_string);
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| bad("file", format!("unreadable: {e}")))? {
        if bytes.len() + chunk.len() > max {
            return Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "file too large",
                format!("a {what} may have at most {max} bytes; nothing was stored"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((name, declared, bytes))
}

async fn upload(
    State(state): State<AppState>,
    Acting(actor): Acting,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, Problem> {
    let mut form = form.map_err(|e| {
        Problem::new(StatusCode::BAD_REQUEST, "not a form", format!("send multipart/form-data: {}", e.body_text()))
    })?;
    let (mut record, mut record_id, mut file, mut keep, mut caption, mut lon, mut lat) =
        (None, None, None, false, None, None, None);
    while let Some(field) = form.next_field().await.map_err(|e| bad("form", format!("unreadable form: {e}")))? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" if file.is_some() => return Err(bad("file", "one photo per request")),
            "file" => file = Some(file_part(field, MAX_BYTES, "photo").await?),
            "record" => record = Some(Record::parse(&text_part(field, "record").await?)?),
            "record_id" => record_id = Some(Id::parse("record_id", &text_part(field, "record_id").await?)?),
            "metadata" => {
                keep = match text_part(field, "metadata").await?.as_str() {
                    "keep" => true,
                    "strip" | "" => false,
                    other => return Err(bad("metadata", format!("`{other}`: keep or strip"))),
                }
            }
            "caption" => caption = Some(text_part(field, "caption").await?).filter(|c| !c.is_empty()),
            "lon" => lon = Some(number("lon", &text_part(field, "lon").await?)?),
            "lat" => lat = Some(number("lat", &text_part(field, "lat").await?)?),
            other => {
                return Err(bad(
                    other,
                    format!("`{other}` is not a field; use record, record_id, file, metadata, caption, lon, lat"),
                ));
            }
        }
    }
    let record = record.ok_or_else(|| bad("record", format!("missing: one of {}", Record::NAMES.join(", "))))?;
    let record_id = record_id.ok_or_else(|| bad("record_id", "missing"))?;
    let (file_name, declared_type, bytes) = file.ok_or_else(|| bad("file", "missing: the photo"))?;
    let position = match (lon, lat) {
        (Some(lon), Some(lat)) => Some((lon, lat)),
        (None, None) => None,
        _ => return Err(bad("lon", "give both lon and lat, or neither")),
    };
    let upload = Upload { record, record_id, file_name, declared_type, keep_metadata: keep, caption, position, bytes };
    let stored = match upload.record {
        Record::Order => crate::response::orders::photo(&state.pool, &actor, upload).await?,
        _ => attachments::save(&state.pool, &actor, upload).await?,
    };
    let location = format!("/api/attachments/{}", stored.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(stored)).into_response())
}

/// The query string of the attachments' list: a record, or an incident.
#[derive(Debug, Deserialize)]
struct ListParams {
    record: Option<String>,
    record_id: Option<Id>,
    incident_id: Option<Id>,
}

/// The photos of a record.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Attachments {
    /// Oldest first.
    attachments: Vec<Attachment>,
}

async fn list(State(state): State<AppState>, Query(params): Query<ListParams>) -> Result<Response, Problem> {
    let (record, id) = match (params.record, params.record_id, params.incident_id) {
        (Some(record), Some(id), None) => (Some(Record::parse(&record)?), id.0),
        (None, None, Some(id)) => (None, id.0),
        _ => return Err(bad("record", "give record and record_id, or incident_id")),
    };
    let attachments = attachments::list(&state.pool, record, id).await?;
    Ok(axum::Json(Attachments { attachments }).into_response())
}

async fn remove(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
) -> Result<StatusCode, Problem> {
    attachments::remove(&state.pool, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn file(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    let (content_type, name, bytes) = attachments::content(&state.pool, id).await?;
    Ok(send_file(&content_type, &name, bytes))
}

/// A stored file as an answer: its type, its name (RFC 8187-encoded), never sniffed, cached for
/// good (a stored file's id names these bytes for ever).
pub(super) fn send_file(content_type: &str, name: &str, bytes: Vec<u8>) -> Response {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let disposition = HeaderValue::from_str(&format!("inline; filename*=UTF-8''{encoded}"))
        .unwrap_or(HeaderValue::from_static("inline"));
    let content_type =
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable")),
        ],
        bytes,
    )
        .into_response()
}
