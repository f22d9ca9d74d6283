//! What can be sent: the depots with free stock of what is asked and the available teams of the
//! specialties asked (gathered from the database), and the demands they may meet.

use std::collections::{BTreeSet, HashMap};

use geo::Coord;
use sqlx::PgPool;

use crate::error::Error;

/// Quantities are allocated in thousandths of their unit.
pub const SCALE: f64 = 1000.0;

/// What a demand asks for, checked.
#[derive(Debug, Clone)]
pub enum Need {
    /// A quantity of one item (or of any item of a category) in one unit.
    Stock { item: Option<String>, category: Option<String>, unit: String, quantity: f64 },
    /// A number of available teams with a specialty.
    Teams { specialty: String, count: i64 },
}

/// Which depot or team.
#[derive(Debug, Clone, Copy)]
pub enum Who {
    /// A depot, by id.
    Depot(i64),
    /// A team, by id.
    Team(i64),
}

/// A depot or a team that may be sent.
#[derive(Debug)]
pub struct Source {
    pub who: Who,
    pub name: String,
    pub at: Coord<f64>,
}

/// What a source offers towards the demands.
#[derive(Debug)]
pub enum Holds {
    /// Free stock of one item in one unit.
    Goods { item: String, category: String, unit: String, free: f64 },
    /// A team (itself, once) with its specialties.
    Team { specialties: Vec<String> },
}

/// One thing a source offers: free stock of one item in one unit at a depot, or a team.
#[derive(Debug)]
pub struct Stock {
    /// Index into the sources.
    pub source: usize,
    pub holds: Holds,
}

/// depot id, name, lon, lat, item, category, unit, free.
type StockRow = (i64, String, f64, f64, String, String, String, f64);

/// The depots with free stock of what is asked for, and the available teams of the specialties;
/// none within district `outside` (by its code) when given — support sent from other districts.
pub async fn gather(
    pool: &PgPool,
    items: &BTreeSet<String>,
    categories: &BTreeSet<String>,
    specialties: &BTreeSet<String>,
    outside: Option<&str>,
) -> Result<(Vec<Source>, Vec<Stock>), Error> {
    let items: Vec<&String> = items.iter().collect();
    let categories: Vec<&String> = categories.iter().collect();
    let specialties: Vec<&String> = specialties.iter().collect();
    let rows: Vec<StockRow> = sqlx::query_as(
        "SELECT d.id, d.name, ST_X(d.geom), ST_Y(d.geom), s.item, min(s.category), s.unit, sum(s.quantity - s.reserved) \
         FROM depot d JOIN stock_item s ON s.depot_id = d.id \
         WHERE (s.item = ANY($1) OR s.category = ANY($2)) \
           AND NOT EXISTS (SELECT 1 FROM district x WHERE x.code = $3 AND ST_Covers(x.geom, d.geom)) \
         GROUP BY d.id, s.item, s.unit HAVING sum(s.quantity - s.reserved) > 0 ORDER BY d.id, s.item, s.unit",
    )
    .bind(&items)
    .bind(&categories)
    .bind(outside)
    .fetch_all(pool)
    .await?;
    let wanted: Vec<&str> = specialties.iter().map(|s| s.as_str()).collect();
    let mut teams = crate::layers::teams::available(pool, Some(&wanted)).await?;
    if let Some(code) = outside {
        let within: Vec<i64> =
            sqlx::query_scalar("SELECT t.id FROM team t JOIN district x ON x.code = $1 AND ST_Covers(x.geom, t.geom)")
                .bind(code)
                .fetch_all(pool)
                .await?;
        teams.retain(|t| !within.contains(&t.id));
    }
    let mut sources: Vec<Source> = Vec::new();
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut stock = Vec::new();
    for (depot, name, x, y, item, category, unit, free) in rows {
        let source = *index.entry(depot).or_insert_with(|| {
            sources.push(Source { who: Who::Depot(depot), name, at: Coord { x, y } });
            sources.len() - 1
        });
        stock.push(Stock { source, holds: Holds::Goods { item, category, unit, free } });
    }
    for team in teams {
        sources.push(Source { who: Who::Team(team.id), name: team.name, at: Coord { x: team.lon, y: team.lat } });
        stock.push(Stock { source: sources.len() - 1, holds: Holds::Team { specialties: team.specialties } });
    }
    Ok((sources, stock))
}

/// Whether `stock` can meet `need`.
pub fn meets(stock: &Stock, need: &Need) -> bool {
    match (need, &stock.holds) {
        (Need::Stock { item, category, unit, .. }, Holds::Goods { item: i, category: c, unit: u, .. }) => {
            u == unit && item.as_ref().is_none_or(|want| want == i) && category.as_ref().is_none_or(|want| want == c)
        }
        (Need::Teams { specialty, .. }, Holds::Team { specialties }) => specialties.contains(specialty),
        _ => false,
    }
}
