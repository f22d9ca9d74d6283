//! `GET /api/stats/incidents?by=year|month|cause|district|severity|kind[&from&to&district]`, and
//! `GET /api/overview[?items=…]`, the figures of the wall.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::doc::Doc;
use super::extract::Query;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::duty::overview::Overview;
use crate::duty::stats::{self, By, Stats, bound};
use serde_json::json;

/// Route of the statistics.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/overview", Action::Read, overview)
        .doc(
            Doc::new("the wall's figures: risk sources by grade, receptors by kind, open incidents, warnings in force, key stock, teams, latest events")
                .query("items", "the stock items to list, comma-separated (default: the key items of a spill)")
                .answer_of::<Overview>(200, "the overview"),
        )
        .get("/api/stats/incidents", Action::Read, incidents).doc(
        Doc::new("incident counts and response times by a dimension")
            .query_as(
                "by",
                json!({"type": "string", "enum": ["year", "month", "cause", "district", "severity", "kind"]}),
                "the grouping",
            )
            .query_as("from", json!({"type": "string", "format": "date"}), "first day")
            .query_as("to", json!({"type": "string", "format": "date"}), "last day")
            .query("district", "one district")
            .answer_of::<Stats>(200, "groups with counts, minutes to report, arrive and close, late reports; the total"),
    )
}

/// The query string of the overview.
#[derive(Debug, Deserialize)]
struct OverviewParams {
    /// Comma-separated items whose stock to count.
    items: Option<String>,
}

async fn overview(State(state): State<AppState>, Query(params): Query<OverviewParams>) -> Result<Response, Problem> {
    let items = params.items.map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    Ok(axum::Json(crate::duty::overview::overview(&state.pool, items).await?).into_response())
}

/// The query string of the incident statistics.
#[derive(Debug, Deserialize)]
struct IncidentsParams {
    by: Option<String>,
    from: Option<String>,
    to: Option<String>,
    district: Option<String>,
}

async fn incidents(State(state): State<AppState>, Query(params): Query<IncidentsParams>) -> Result<Response, Problem> {
    let by = By::parse(params.by.as_deref().unwrap_or("year"))?;
    let from = params.from.map(|v| bound("from", &v, false)).transpose()?;
    let to = params.to.map(|v| bound("to", &v, true)).transpose()?;
    let query = stats::Query { by, from, to, district: params.district };
    Ok(axum::Json(stats::incidents(&state.pool, &query).await?).into_response())
}
