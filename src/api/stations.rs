//! Monitoring stations beyond SensorThings: `PUT /api/stations/{id}/hj212` registers Thing
//! `id` as an HJ 212-2017 station (its MN and password).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::acting::Acting;
use super::doc::Doc;
use super::extract::{Body, Id, PathOf};
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::sensing::hj212::station::{self, Registration};

/// Routes of the stations.
pub fn router() -> Routes {
    Routes::new().put("/api/stations/{id}/hj212", Action::EditRegistry, register).doc(
        Doc::new("register a SensorThings Thing as an HJ 212-2017 station: its MN and access password")
            .body_of::<Registration>()
            .nothing("registered"),
    )
}

async fn register(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<Registration>,
) -> Result<Response, Problem> {
    if !station::register(&state.pool, &actor, id, &body).await? {
        return Err(Problem::new(StatusCode::NOT_FOUND, "not found", format!("there is no Thing {id}")));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
