//! Stock queries across depots: what a dispatcher asks first ("where is activated carbon?").

use serde_json::Value;
use sqlx::AssertSqlSafe;
use sqlx::PgPool;
use sqlx::types::Json;

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

const STOCK_ROW: &str = "jsonb_build_object('id', s.id, 'depot_id', s.depot_id, 'category', s.category, 'item', s.item, \
    'unit', s.unit, 'quantity', s.quantity, 'reserved', s.reserved, 'free', s.quantity - s.reserved, \
    'expiry_date', s.expiry_date, 'storage_mode', s.storage_mode, 'updated_at', s.updated_at)";

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

/// The stock of depot `depot_id`, by category and item; NotFound when the depot does not exist.
pub async fn of_depot(pool: &PgPool, depot_id: i64) -> Result<Vec<Value>, Error> {
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM depot WHERE id = $1").bind(depot_id).fetch_optional(pool).await?;
    if exists.is_none() {
        return Err(Error::NotFound { layer: "depot", id: depot_id });
    }
    let sql = format!("SELECT {STOCK_ROW} FROM stock_item s WHERE s.depot_id = $1 ORDER BY s.category, s.item, s.id");
    let rows: Vec<Json<Value>> = sqlx::query_scalar(AssertSqlSafe(&*sql)).bind(depot_id).fetch_all(pool).await?;
    Ok(rows.into_iter().map(|j| j.0).collect())
}

/// Stock rows matching `query` in every depot, as GeoJSON Features at the depot, most free first.
pub async fn find(pool: &PgPool, query: &StockQuery) -> Result<Vec<Value>, Error> {
    let sql = format!(
        "SELECT jsonb_build_object('type', 'Feature', 'id', s.id, 'geometry', ST_AsGeoJSON(d.geom, 15)::jsonb, \
           'properties', {STOCK_ROW} || jsonb_build_object('depot', d.name, 'tier', d.tier, 'district', d.district)) \
         FROM stock_item s JOIN depot d ON d.id = s.depot_id \
         WHERE ($1::text IS NULL OR s.item = $1) AND ($2::text IS NULL OR s.category = $2) \
           AND ($3::float8 IS NULL OR s.quantity - s.reserved >= $3) AND ($4::text IS NULL OR d.district = $4) \
         ORDER BY s.quantity - s.reserved DESC, s.id"
    );
    let rows: Vec<Json<Value>> = sqlx::query_scalar(AssertSqlSafe(&*sql))
        .bind(&query.item)
        .bind(&query.category)
        .bind(query.min_free)
        .bind(&query.district)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|j| j.0).collect())
}
