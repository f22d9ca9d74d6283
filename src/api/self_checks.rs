//! Hazard self-checks (企业隐患自查): `/api/self-checks` (an enterprise's own, and the bureau's
//! inspections of its sources) and `…/{id}/rectified`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::acting::Acting;
use super::doc::Doc;
use super::extract::{Body, Id, PathOf, Query};
use super::permission::Need;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::plans::self_checks::{self, Inspection, RectifiedBody, SelfCheckBody};

/// The inspections a caller may read.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Inspections {
    /// Newest first.
    inspections: Vec<Inspection>,
}

/// Routes of the self-checks.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/self-checks", Need::Plans, list)
        .doc(
            Doc::new("inspections of risk sources, the bureau's and the enterprises' own (an enterprise: of its own sources)")
                .query_as("risk_source_id", json!({"type": "integer"}), "of this risk source")
                .answer_of::<Inspections>(200, "newest first"),
        )
        .post("/api/self-checks", Action::FilePlans, create)
        .doc(
            Doc::new("record a hazard self-check of an enterprise's own risk source")
                .body_of::<SelfCheckBody>()
                .answer_of::<Inspection>(201, "recorded"),
        )
        .post("/api/self-checks/{id}/rectified", Action::FilePlans, rectified)
        .doc(
            Doc::new("record that a hazard was put right (an enterprise: its own self-checks)")
                .body_of::<RectifiedBody>()
                .answer_of::<Inspection>(200, "closed"),
        )
}

/// The query of the list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    risk_source_id: Option<Id>,
}

async fn list(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Query(params): Query<ListParams>,
) -> Result<Response, Problem> {
    let inspections = self_checks::list(&state.pool, &actor, params.risk_source_id.map(|i| i.0)).await?;
    Ok(axum::Json(Inspections { inspections }).into_response())
}

async fn create(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Body(body): Body<SelfCheckBody>,
) -> Result<Response, Problem> {
    let stored = self_checks::record(&state.pool, &actor, body).await?;
    let location = format!("/api/layers/inspection/{}", stored.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(stored)).into_response())
}

async fn rectified(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<RectifiedBody>,
) -> Result<Response, Problem> {
    Ok(axum::Json(self_checks::rectified(&state.pool, &actor, id, body).await?).into_response())
}
