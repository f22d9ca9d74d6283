//! The standards' calculators: `GET /api/standards` (the items of GB 3838-2002 Table 1 and the
//! measures of HJ 633-2012 Table 1, with names, units and limits), `POST
//! /api/standards/water-class` and `POST /api/standards/aqi`.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::doc::Doc;
use super::extract::Body;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::error::Error;
use crate::standards::{Refused, aqi, water};

/// Most values in one request.
const MAX_VALUES: usize = 50;

/// The standards' items, as the calculators take them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = StandardTables)]
struct Standards {
    /// GB 3838-2002 Table 1, the basic items (water temperature aside).
    water: Vec<water::Item>,
    /// HJ 633-2012 Table 1.
    air: Vec<aqi::Measure>,
    /// The IAQI of the breakpoints.
    iaqi: [f64; 8],
    /// Where the tables come from.
    sources: [&'static str; 2],
}

/// A water's values.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct WaterValues {
    /// river, or lake (lakes and reservoirs).
    waterbody: String,
    /// Values by item code (`GET /api/standards`), in its unit (pH without one).
    values: BTreeMap<String, f64>,
    /// The target class (水质目标): Ⅰ … Ⅴ.
    target: Option<String>,
}

/// Concentrations.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AirValues {
    /// By measure (SO2_24h …), in µg/m³, CO in mg/m³.
    values: BTreeMap<String, f64>,
}

/// Routes of the calculators.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/standards", Action::Read, standards)
        .doc(
            Doc::new("the items of GB 3838-2002 Table 1 and the measures of HJ 633-2012 Table 1, with their limits")
                .answer_of::<Standards>(200, "the tables"),
        )
        .post("/api/standards/water-class", Action::Read, water_class)
        .doc(
            Doc::new(
                "the class of surface water by GB 3838-2002: each item's and the water's (its worst), against a target",
            )
            .body_of::<WaterValues>()
            .answer_of::<water::WaterClass>(200, "the classes"),
        )
        .post("/api/standards/aqi", Action::Read, air_index)
        .doc(
            Doc::new("the AQI by HJ 633-2012: each IAQI, the AQI, its category and the primary pollutants")
                .body_of::<AirValues>()
                .answer_of::<aqi::Index>(200, "the index"),
        )
}

async fn standards() -> Response {
    axum::Json(Standards {
        water: water::ITEMS.to_vec(),
        air: aqi::MEASURES.to_vec(),
        iaqi: aqi::IAQI,
        sources: [
            "GB 3838-2002 地表水环境质量标准，表 1 基本项目标准限值",
            "HJ 633-2012 环境空气质量指数（AQI）技术规定（试行），表 1、表 2",
        ],
    })
    .into_response()
}

fn refused(r: Refused) -> Problem {
    let field = if r.item == "values" { r.item } else { format!("values.{}", r.item) };
    Error::invalid(&field, r.detail).into()
}

fn counted(values: &BTreeMap<String, f64>) -> Result<Vec<(String, f64)>, Problem> {
    if values.len() > MAX_VALUES {
        return Err(Error::invalid("values", format!("at most {MAX_VALUES}")).into());
    }
    Ok(values.iter().map(|(k, v)| (k.clone(), *v)).collect())
}

async fn water_class(Body(body): Body<WaterValues>) -> Result<Response, Problem> {
    let waterbody = match body.waterbody.as_str() {
        "river" => water::Waterbody::River,
        "lake" => water::Waterbody::Lake,
        other => return Err(Error::invalid("waterbody", format!("`{other}` is not river or lake")).into()),
    };
    let target = match body.target.as_deref() {
        None => None,
        Some(t) => {
            Some(water::class_index(t).ok_or_else(|| Error::invalid("target", format!("`{t}` is not a class Ⅰ–Ⅴ")))?)
        }
    };
    let values = counted(&body.values)?;
    Ok(axum::Json(water::classify(waterbody, &values, target).map_err(refused)?).into_response())
}

async fn air_index(Body(body): Body<AirValues>) -> Result<Response, Problem> {
    let values = counted(&body.values)?;
    Ok(axum::Json(aqi::index(&values).map_err(refused)?).into_response())
}
