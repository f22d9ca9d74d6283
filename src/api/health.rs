//! `/health`: is the database reachable, and at which migration.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::permission::Need;
use super::problem::Problem;
use super::routes::Routes;

/// Route of the health check.
pub fn router() -> Routes {
    Routes::new().get("/health", Need::Nothing, health)
}

async fn health(State(state): State<AppState>) -> Result<Response, Problem> {
    let row: Result<(i64, String), _> =
        sqlx::query_as("SELECT (SELECT max(version) FROM _sqlx_migrations WHERE success), postgis_lib_version()")
            .fetch_one(&state.pool)
            .await;
    match row {
        Ok((migration, postgis)) => {
            let body = json!({"status": "ok", "database": "reachable", "migration": migration, "postgis": postgis,
                              "version": env!("CARGO_PKG_VERSION")});
            Ok(axum::Json(body).into_response())
        }
        Err(err) => Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE, "database unreachable", err.to_string())),
    }
}
