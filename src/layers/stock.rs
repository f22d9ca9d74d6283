//! Stock queries across depots: what a dispatcher asks first ("where is activated carbon?").

use serde::Serialize;
use serde_json::Value;
use sqlx::AssertSqlSafe;
use sqlx::PgPool;

use super::spec::STOCK_CATEGORIES;
use crate::error::Error;

/// Filters for finding stock across all depots.
#[derive(Debug, Default, Clone)]
pub struct StockQuery {
    /// Exact item name, e.g. 活性炭.
    pub item: Option<String>,
    /// Category, e.g. treatment.
    pub category: Option<String>,
    /// Only rows with at least this much free (quantity − reserved).
    pub min_free: Option<f64>,
    /// Only depots of this district.
    pub district: Option<String>,
}

/// One stock row as answered: what a depot holds of one item, and how much of it is free.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StockRow {
    pub id: i64,
    pub depot_id: i64,
    /// One of the stock categories.
    pub category: String,
    pub item: String,
    pub unit: String,
    pub quantity: f64,
    /// Set aside for dispatches planned or on their way.
    pub reserved: f64,
    /// quantity − reserved.
    pub free: f64,
    pub expiry_date: Option<chrono::NaiveDate>,
    /// 自储, 代储 or 协议储备.
    pub storage_mode: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The columns of a [`StockRow`] of `stock_item s`.
const STOCK_COLUMNS: &str = "s.id, s.depot_id, s.category, s.item, s.unit, s.quantity, s.reserved, \
    s.quantity - s.reserved AS free, s.expiry_date, s.storage_mode, s.updated_at";

/// A stock row found across depots: a GeoJSON Feature at its depot.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StockFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The stock row's id.
    id: i64,
    /// The depot's point.
    #[schema(value_type = Object)]
    geometry: Value,
    properties: AtDepot,
}

/// A stock row with the depot that holds it.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AtDepot {
    #[serde(flatten)]
    #[sqlx(flatten)]
    row: StockRow,
    /// The depot's name.
    depot: String,
    /// city, district or enterprise.
    tier: String,
    district: Option<String>,
}

/// The units an item (or a category) of stock has been held in by any depot, checked first: a
/// category not in the catalogue, or an item no depot has ever stocked, is refused, naming
/// `field("category")` or `field("item")` (a request's own path to them).
pub async fn units_of(
    pool: &PgPool,
    item: Option<&str>,
    category: Option<&str>,
    field: impl Fn(&str) -> String,
) -> Result<Vec<String>, Error> {
    if let Some(c) = category
        && !STOCK_CATEGORIES.contains(&c)
    {
        return Err(Error::invalid(
            &field("category"),
            format!("`{c}` is not one of: {}", STOCK_CATEGORIES.join(", ")),
        ));
    }
    let units: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT unit FROM stock_item WHERE ($1::text IS NULL OR item = $1) \
         AND ($2::text IS NULL OR category = $2) ORDER BY unit",
    )
    .bind(item)
    .bind(category)
    .fetch_all(pool)
    .await?;
    if units.is_empty() {
        let (name, what) = item.map_or(("category", category), |i| ("item", Some(i)));
        return Err(Error::invalid(&field(name), format!("no depot has ever stocked `{}`", what.unwrap_or_default())));
    }
    Ok(units)
}

/// A depot with free stock of what is asked.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Holder {
    pub id: i64,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    pub tier: String,
    pub district: Option<String>,
    /// Free quantity (quantity − reserved) of what is asked, summed over the depot's rows.
    pub free: f64,
    /// The unit it is held in (the first, when rows differ).
    pub unit: String,
}

/// The depots holding free stock of `item` and/or `category` (any stock when neither), by id.
pub async fn holders(pool: &PgPool, item: Option<&str>, category: Option<&str>) -> Result<Vec<Holder>, Error> {
    Ok(sqlx::query_as(
        "SELECT d.id, d.name, ST_X(d.geom) AS lon, ST_Y(d.geom) AS lat, d.tier, d.district, \
           sum(s.quantity - s.reserved) AS free, min(s.unit) AS unit \
         FROM depot d JOIN stock_item s ON s.depot_id = d.id \
         WHERE ($1::text IS NULL OR s.item = $1) AND ($2::text IS NULL OR s.category = $2) \
         GROUP BY d.id HAVING sum(s.quantity - s.reserved) > 0 ORDER BY d.id",
    )
    .bind(item)
    .bind(category)
    .fetch_all(pool)
    .await?)
}

/// The stock of depot `depot_id`, by category and item; NotFound when the depot does not exist.
pub async fn of_depot(pool: &PgPool, depot_id: i64) -> Result<Vec<StockRow>, Error> {
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM depot WHERE id = $1").bind(depot_id).fetch_optional(pool).await?;
    if exists.is_none() {
        return Err(Error::NotFound { layer: "depot", id: depot_id });
    }
    let sql =
        format!("SELECT {STOCK_COLUMNS} FROM stock_item s WHERE s.depot_id = $1 ORDER BY s.category, s.item, s.id");
    Ok(sqlx::query_as(AssertSqlSafe(&*sql)).bind(depot_id).fetch_all(pool).await?)
}

/// Stock rows matching `query` in every depot, as GeoJSON Features at the depot, most free first.
pub async fn find(pool: &PgPool, query: &StockQuery) -> Result<Vec<StockFeature>, Error> {
    let sql = format!(
        "SELECT {STOCK_COLUMNS}, d.name AS depot, d.tier, d.district, ST_AsGeoJSON(d.geom, 15) AS geometry \
         FROM stock_item s JOIN depot d ON d.id = s.depot_id \
         WHERE ($1::text IS NULL OR s.item = $1) AND ($2::text IS NULL OR s.category = $2) \
           AND ($3::float8 IS NULL OR s.quantity - s.reserved >= $3) AND ($4::text IS NULL OR d.district = $4) \
         ORDER BY s.quantity - s.reserved DESC, s.id"
    );
    let rows: Vec<(AtDepot, String)> = sqlx::query(AssertSqlSafe(&*sql))
        .bind(&query.item)
        .bind(&query.category)
        .bind(query.min_free)
        .bind(&query.district)
        .try_map(|row: sqlx::postgres::PgRow| {
            use sqlx::{FromRow, Row};
            Ok((AtDepot::from_row(&row)?, row.try_get("geometry")?))
        })
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(properties, geometry)| StockFeature {
            kind: "Feature",
            id: properties.row.id,
            geometry: serde_json::from_str(&geometry).unwrap_or(Value::Null),
            properties,
        })
        .collect())
}
