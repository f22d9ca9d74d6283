//! `GET /api/stats/incidents?by=year|month|cause|district|severity|kind[&from&to&district]`.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::layers::{only, query_params};
use super::openapi::{Doc, object};
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::duty::stats::{self, By, Query, bound};
use serde_json::json;

/// Route of the statistics.
pub fn router() -> Routes {
    Routes::new().get("/api/stats/incidents", Action::Read, incidents).doc(
        Doc::new("incident counts and response times by a dimension")
            .query_as(
                "by",
                json!({"type": "string", "enum": ["year", "month", "cause", "district", "severity", "kind"]}),
                "the grouping",
            )
            .query_as("from", json!({"type": "string", "format": "date"}), "first day")
            .query_as("to", json!({"type": "string", "format": "date"}), "last day")
            .query("district", "one district")
            .answer(
                200,
                object("groups with counts, minutes to report / arrive / close, late reports; the total"),
                "the figures",
            ),
    )
}

async fn incidents(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, Problem> {
    let params = query_params(raw)?;
    only(&params, &["by", "from", "to", "district"])?;
    let by = By::parse(params.get("by").map_or("year", String::as_str))?;
    let from = params.get("from").map(|v| bound("from", v, false)).transpose()?;
    let to = params.get("to").map(|v| bound("to", v, true)).transpose()?;
    let query = Query { by, from, to, district: params.get("district").cloned() };
    Ok(axum::Json(stats::incidents(&state.pool, &query).await?).into_response())
}
