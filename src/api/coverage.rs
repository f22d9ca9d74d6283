//! `GET /api/coverage?item=围油栏&minutes=30,60,90`: the service areas of the depots holding an
//! item, and the receptors and major risk sources outside all of them.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::doc::Doc;
use super::extract::Query;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::risk::coverage::{Asked, Coverage, coverage};

const MAX_MINUTES: f64 = 720.0;
const MAX_BANDS: usize = 6;

/// Route of the coverage.
pub fn router() -> Routes {
    Routes::new().get("/api/coverage", Action::Read, handle).doc(
        Doc::new("service areas of the depots holding an item, and what lies outside them")
            .query("item", "the item")
            .query("category", "or a category")
            .query("minutes", "comma-separated travel times, e.g. 30,60,90")
            .query_as("buffer_m", json!({"type": "number"}), "road buffer")
            .query_as("hazmat", json!({"type": "boolean"}), "hazmat roads only")
            .answer_of::<Coverage>(200, "areas and what is outside"),
    )
}

fn parse_minutes(raw: &str) -> Result<Vec<f64>, Problem> {
    let bad = |why: String| Problem::bad_request("minutes", why);
    let values: Vec<f64> = raw
        .split(',')
        .map(|m| m.trim().parse::<f64>().map_err(|_| bad(format!("`{m}` is not a number of minutes"))))
        .collect::<Result<_, _>>()?;
    if values.is_empty() || values.len() > MAX_BANDS {
        return Err(bad(format!("give 1–{MAX_BANDS} times")));
    }
    if let Some(m) = values.iter().find(|m| !(m.is_finite() && **m > 0.0 && **m <= MAX_MINUTES)) {
        return Err(bad(format!("{m} must be more than 0 and at most {MAX_MINUTES}")));
    }
    if !values.windows(2).all(|w| w[0] < w[1]) {
        return Err(bad("times must ascend".into()));
    }
    Ok(values)
}

/// The query string of `/api/coverage`.
#[derive(Debug, Deserialize)]
struct Params {
    item: Option<String>,
    category: Option<String>,
    minutes: Option<String>,
    buffer_m: Option<f64>,
    hazmat: Option<bool>,
}

async fn handle(State(state): State<AppState>, Query(params): Query<Params>) -> Result<Response, Problem> {
    if params.item.is_some() == params.category.is_some() {
        return Err(Problem::bad_request("item", "give exactly one of item or category"));
    }
    let minutes = parse_minutes(params.minutes.as_deref().unwrap_or("30,60,90"))?;
    let buffer_m = params.buffer_m.unwrap_or(500.0);
    if !(50.0..=5000.0).contains(&buffer_m) {
        return Err(Problem::bad_request("buffer_m", format!("`{buffer_m}` must be 50–5000 metres")));
    }
    let asked = Asked {
        item: params.item,
        category: params.category,
        minutes,
        buffer_m,
        hazmat: params.hazmat.unwrap_or(false),
    };
    let answer = coverage(&state.pool, state.roads.load_full(), asked).await?;
    Ok(axum::Json(answer).into_response())
}
