//! 溯源: where a river station's exceedance came from. The river is followed upstream from the
//! station to the next water station on it; if that one is clean, the pollution entered
//! between them, and the risk sources along that stretch are listed (nearest in time first),
//! those holding a substance that can raise the item first. If it exceeds too, the search goes
//! on above it (the answer says so).

use std::sync::Arc;

use geo::Coord;
use serde::Serialize;
use sqlx::PgPool;

use super::Refused;
use crate::error::Error;
use crate::risk::trace::{Way, along_reaches, near_reaches, trace as follow};
use crate::routing::RoadGraph;
use crate::sensing::alarms::breaks;
use crate::standards::water;

/// How far up the river the search goes, hours of flow.
pub const HOURS: f64 = 48.0;
/// How far from the river a station may stand, metres.
const SNAP_M: f64 = 2_000.0;
/// How near the river a station or a risk source counts as on it, metres.
const NEAR_M: f64 = 1_000.0;

/// Substances that can raise an item of GB 3838 in a river: by CAS number, or by a word of
/// their Chinese name (a list to read, not a chemistry: a match says "look here first").
const MATCHES: &[(&[&str], &[&str], &[&str])] = &[
    // Ammonia and ammonium salts, urea.
    (
        &["NH3-N", "TN", "DO"],
        &["7664-41-7", "1336-21-6", "12125-02-9", "7783-20-2", "6484-52-2", "57-13-6"],
        &["氨", "铵", "尿素"],
    ),
    (&["TN"], &["7697-37-2", "7631-99-4"], &["硝"]),
    (&["TP"], &["7664-38-2", "7723-14-0", "1314-56-3", "7601-54-9", "7722-88-5"], &["磷"]),
    // Organic matter: solvents, fuels, monomers (they demand oxygen).
    (
        &["COD", "CODMn", "BOD5", "DO"],
        &[
            "67-56-1",
            "64-17-5",
            "71-43-2",
            "108-88-3",
            "1330-20-7",
            "67-64-1",
            "50-00-0",
            "108-95-2",
            "107-21-1",
            "107-13-1",
            "68334-30-5",
            "8008-20-6",
            "86290-81-5",
            "8002-05-9",
        ],
        &["油", "醇", "苯", "酮", "醛", "酚", "酯", "腈"],
    ),
    (
        &["pH"],
        &["7664-93-9", "7647-01-0", "7697-37-2", "1310-73-2", "1310-58-3", "7664-38-2", "7664-41-7"],
        &["酸", "碱", "氢氧化"],
    ),
    (&["CN"], &["143-33-9", "151-50-8", "74-90-8"], &["氰"]),
    (&["oil"], &["68334-30-5", "8008-20-6", "86290-81-5", "8002-05-9"], &["油"]),
    (&["phenol"], &["108-95-2"], &["酚"]),
    (&["S2-"], &["7783-06-4", "1313-82-2"], &["硫化"]),
    (&["F"], &["7664-39-3", "7681-49-4"], &["氟"]),
    (&["Hg"], &[], &["汞"]),
    (&["Cd"], &[], &["镉"]),
    (&["Pb"], &[], &["铅"]),
    (&["As"], &[], &["砷"]),
    (&["Cr6"], &[], &["铬"]),
    (&["Cu"], &[], &["铜"]),
    (&["Zn"], &[], &["锌"]),
];

/// Whether a substance (its name and CAS number) can raise `item`.
pub fn matches(item: &str, name: &str, cas: Option<&str>) -> bool {
    MATCHES
        .iter()
        .filter(|(items, ..)| items.contains(&item))
        .any(|(_, numbers, words)| cas.is_some_and(|c| numbers.contains(&c)) || words.iter().any(|w| name.contains(w)))
}

/// A substance a source holds.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = TracedSubstance)]
pub struct Substance {
    /// Its name.
    pub name: String,
    /// Its CAS number.
    pub cas: Option<String>,
    /// How much is held, t.
    pub quantity_t: f64,
    /// Whether it can raise the item.
    pub matches: bool,
}

/// A risk source on the stretch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = TracedSource)]
pub struct Source {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its grade.
    pub grade: Option<String>,
    /// Hours of flow from it to the station.
    pub hours: f64,
    /// Metres from the river.
    pub distance_m: f64,
    /// What it holds.
    pub substances: Vec<Substance>,
    /// Whether it holds something that can raise the item.
    pub matches: bool,
}

/// The next water station up the river.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = UpstreamStation)]
pub struct Upstream {
    /// Its Thing's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Hours of flow from it to the exceeding station.
    pub hours: f64,
    /// Its latest checked value of the item, if it measures it.
    pub value: Option<f64>,
    /// Whether that value is within the limit (None: it does not measure the item).
    pub clean: Option<bool>,
}

/// Where an exceedance came from.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SourceTrace)]
pub struct Traced {
    /// The alarm.
    pub alarm: i64,
    /// The exceeding station.
    pub station: String,
    /// The item.
    pub item: String,
    /// The next station upstream, if one is within the hours searched.
    pub upstream: Option<Upstream>,
    /// Hours of flow searched above the station (to the station upstream, or all of them).
    pub searched_hours: f64,
    /// The risk sources on that stretch: those that match first, then by hours.
    pub sources: Vec<Source>,
    /// What to make of it, in a sentence.
    pub finding: String,
}

/// Traces the source of exceedance alarm `alarm`.
pub async fn trace(pool: &PgPool, rivers: Arc<RoadGraph>, alarm: i64) -> Result<Traced, Error> {
    let a = super::alarms::one(&mut *pool.acquire().await?, alarm).await?;
    let item = a.item.clone().filter(|i| a.kind == "exceedance" && water::item(i).is_some()).ok_or_else(|| {
        Refused::NotTraceable { alarm, what: format!("{} {}", a.kind, a.item.as_deref().unwrap_or("")) }
    })?;
    let [x, y] = a.point.ok_or(Error::NotFound { layer: "station location", id: a.thing_id })?;
    let Some(start) = rivers.snap(Coord { x, y }, SNAP_M, &|_| true) else {
        let nearest = rivers.snap(Coord { x, y }, f64::INFINITY, &|_| true).map(|s| s.distance_m);
        return Err(Refused::OffRiver {
            what: "station",
            name: a.station,
            nearest: nearest.map_or("far from any river".into(), |m| format!("{m:.0} m from the nearest river")),
        }
        .into());
    };
    let reaches = {
        let rivers = rivers.clone();
        crate::work::run("source trace", move || follow(&rivers, &start, HOURS, Way::Upstream)).await?
    };
    let stations = along_reaches(pool, &reaches, "stations", "medium", NEAR_M).await?;
    let up = stations.into_iter().find(|s| s.id != a.thing_id && s.about.as_deref() == Some("water") && s.hours > 0.0);
    let upstream = match up {
        Some(s) => {
            let value = latest(pool, s.id, &item).await?;
            let (target, lake): (Option<String>, bool) = sqlx::query_as(
                "SELECT properties->>'target_class', coalesce(properties->>'waterbody' = 'lake', false) FROM sta_thing WHERE id = $1",
            )
            .bind(s.id)
            .fetch_one(pool)
            .await?;
            let target = target.as_deref().and_then(water::class_index).or(water::class_index("Ⅲ"));
            let clean = value.and_then(|v| breaks(&item, v, target, lake)).map(|(broken, _)| !broken);
            Some(Upstream { id: s.id, name: s.name, hours: (s.hours * 100.0).round() / 100.0, value, clean })
        }
        None => None,
    };
    let searched_hours = upstream.as_ref().map_or(HOURS, |u| u.hours);
    let met: Vec<_> = near_reaches(pool, &reaches, Way::Upstream, NEAR_M)
        .await?
        .into_iter()
        .filter(|m| m.hours <= searched_hours)
        .collect();
    let ids: Vec<i64> = met.iter().map(|m| m.id).collect();
    let held: Vec<(i64, String, Option<String>, f64)> = sqlx::query_as(
        "SELECT risk_source_id, name, cas, quantity_t FROM risk_substance WHERE risk_source_id = ANY($1) ORDER BY id",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let mut sources: Vec<Source> = met
        .into_iter()
        .map(|m| {
            let substances: Vec<Substance> = held
                .iter()
                .filter(|h| h.0 == m.id)
                .map(|(_, name, cas, q)| Substance {
                    matches: matches(&item, name, cas.as_deref()),
                    name: name.clone(),
                    cas: cas.clone(),
                    quantity_t: *q,
                })
                .collect();
            let grade = match &m.about {
                crate::risk::trace::About::Grade(g) | crate::risk::trace::About::Kind(g) => g.clone(),
            };
            Source {
                id: m.id,
                name: m.name,
                grade,
                hours: m.hours,
                distance_m: m.distance_m,
                matches: substances.iter().any(|s| s.matches),
                substances,
            }
        })
        .collect();
    sources.sort_by(|a, b| b.matches.cmp(&a.matches).then(a.hours.total_cmp(&b.hours)));
    let matching = sources.iter().filter(|s| s.matches).count();
    let finding = match &upstream {
        Some(u) if u.clean == Some(false) => format!(
            "上游{}同样超标：污染来自其上游，以下为两站之间的风险源（{} 家，{} 家存有相关物质）",
            u.name,
            sources.len(),
            matching
        ),
        Some(u) => format!(
            "上游{}{}：污染在两站之间（约 {:.1} 小时水程）进入，风险源 {} 家，{} 家存有可致{}超标的物质",
            u.name,
            if u.clean == Some(true) { "未超标" } else { "未监测该项目" },
            u.hours,
            sources.len(),
            matching,
            item
        ),
        None => format!(
            "上游 {HOURS:.0} 小时水程内无水质站；沿途风险源 {} 家，{} 家存有可致{}超标的物质",
            sources.len(),
            matching,
            item
        ),
    };
    Ok(Traced { alarm, station: a.station, item, upstream, searched_hours, sources, finding })
}

/// The latest checked value of `item` at station `thing`.
async fn latest(pool: &PgPool, thing: i64, item: &str) -> Result<Option<f64>, Error> {
    let rows: Vec<(String, Option<f64>)> = sqlx::query_as(
        "SELECT p.definition, (SELECT o.result FROM sta_observation o LEFT JOIN sta_qc q ON q.observation_id = o.id \
                                WHERE o.datastream_id = d.id AND coalesce(q.flag, 'pass') = 'pass' AND o.result IS NOT NULL \
                                ORDER BY o.phenomenon_time DESC LIMIT 1) \
           FROM sta_datastream d JOIN sta_observed_property p ON p.id = d.observed_property_id WHERE d.thing_id = $1",
    )
    .bind(thing)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .find(|(definition, _)| crate::sensing::state::item(definition).is_some_and(|(c, _)| c == item))
        .and_then(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn substances_match_the_items_they_can_raise() {
        assert!(matches("NH3-N", "液氨", Some("7664-41-7")));
        assert!(matches("NH3-N", "硫酸铵", None));
        assert!(!matches("NH3-N", "硫酸", Some("7664-93-9")));
        assert!(matches("pH", "硫酸", Some("7664-93-9")));
        assert!(matches("COD", "甲苯", Some("108-88-3")));
        assert!(matches("COD", "柴油", None));
        assert!(!matches("COD", "液氯", Some("7782-50-5")));
        assert!(matches("CN", "氰化钠", Some("143-33-9")));
        assert!(!matches("TP", "甲醇", Some("67-56-1")));
    }
}
