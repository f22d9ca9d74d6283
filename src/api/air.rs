//! `POST /api/air/plume`: the threat zones of a continuous toxic gas release.

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::body::JsonBody;
use super::doc::Doc;
use super::problem::Problem;
use super::routes::Routes;
use crate::air::asked::Asked;
use crate::air::threat::{Zones, zones};
use crate::auth::Action;

/// Route of the plume.
pub fn router() -> Routes {
    Routes::new().post("/api/air/plume", Action::Read, plume).doc(
        Doc::new("the threat zones of a toxic gas release (Gaussian plume), with the receptors and people inside")
            .body_of::<Asked>()
            .geojson_of::<Zones>(200, "the zones, widest (lowest threshold) first"),
    )
}

async fn plume(State(state): State<AppState>, JsonBody(body): JsonBody) -> Result<Response, Problem> {
    Ok(axum::Json(threat_zones(&state, body).await?).into_response())
}

/// The threat zones of the plume request `body` (checked here), with how they were had.
pub async fn threat_zones(state: &AppState, body: serde_json::Value) -> Result<Zones, Problem> {
    let asked: Asked = super::extract::read(body)?;
    Ok(zones(&state.pool, &asked.request()?).await?)
}
