//! `/health`: is the database reachable, and at which migration; when it is not, the map is
//! still served from memory, and the answer says so.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::AppState;
use super::doc::Doc;
use super::permission::Need;
use super::problem::Problem;
use super::routes::Routes;

/// Route of the health check.
pub fn router() -> Routes {
    Routes::new().get("/health", Need::Nothing, health).doc(
        Doc::new(
            "is the service well: the database, its migration, PostGIS; 503 when the map is served from memory alone",
        )
        .answer_of::<Health>(200, "ok (503: degraded, as a problem saying what the map is served from)"),
    )
}

/// The service is well.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Health {
    /// Always `ok`.
    status: &'static str,
    /// Always `reachable`.
    database: &'static str,
    /// The last migration applied.
    migration: i64,
    /// PostGIS's version.
    postgis: String,
    /// onemap's version.
    version: &'static str,
}

async fn health(State(state): State<AppState>) -> Result<Response, Problem> {
    let row: Result<(i64, String), _> =
        sqlx::query_as("SELECT (SELECT max(version) FROM _sqlx_migrations WHERE success), postgis_lib_version()")
            .fetch_one(&state.pool)
            .await;
    match row {
        Ok((migration, postgis)) => {
            let version = env!("CARGO_PKG_VERSION");
            let health = Health { status: "ok", database: "reachable", migration, postgis, version };
            Ok(axum::Json(health).into_response())
        }
        Err(err) => {
            let counts = state.snapshot.counts();
            let features: usize = counts.iter().map(|c| c.1).sum();
            let layers: serde_json::Map<String, serde_json::Value> =
                counts.into_iter().map(|(l, n)| (l.to_string(), n.into())).collect();
            Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database unreachable",
                format!("{err}; serving the map from memory ({features} features), no writes"),
            )
            .with("status", "degraded".into())
            .with("database", "unreachable".into())
            .with("map", json!({"served_from": "memory", "layers": layers})))
        }
    }
}
