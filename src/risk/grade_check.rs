//! The desk review of filed grades (备案等级复核): every risk source in operation whose declared
//! grade is lower than the one HJ 941-2018 gives it, or that has declared none, with the reason
//! (its Q, M and E per medium).

use sqlx::PgPool;

use crate::error::Error;
use crate::layers::spec::GRADES;

/// The rank of a grade (一般 0, 较大 1, 重大 2).
fn rank(grade: &str) -> Option<usize> {
    GRADES.iter().position(|g| *g == grade)
}

/// Q band of a ratio, as HJ 941 names it.
fn band(q: f64) -> &'static str {
    match q {
        q if q >= 100.0 => "Q3",
        q if q >= 10.0 => "Q2",
        q if q >= 1.0 => "Q1",
        _ => "Q0",
    }
}

/// A risk source as the review reads it.
#[derive(sqlx::FromRow)]
struct Source {
    id: i64,
    name: String,
    district: Option<String>,
    declared_grade: Option<String>,
    declared_on: Option<String>,
    grade: Option<String>,
    level: Option<String>,
    q_air: f64,
    q_water: f64,
    m_air: Option<String>,
    e_air: Option<String>,
    m_water: Option<String>,
    e_water: Option<String>,
    air_grade: Option<String>,
    water_grade: Option<String>,
}

/// Why the computed grade is what it is, in words: one clause per medium.
fn reason(s: &Source) -> String {
    let medium = |name: &str, q: f64, m: &Option<String>, e: &Option<String>, grade: &Option<String>| {
        let (m, e) = (m.as_deref().unwrap_or("M?"), e.as_deref().unwrap_or("E?"));
        match grade {
            Some(g) if q < 1.0 => format!("{name} Q={q:.2} ({}) → {g}", band(q)),
            Some(g) => format!("{name} Q={q:.2} ({}), {m}, {e} → {g}", band(q)),
            None => format!("{name} Q={q:.2} ({}) with {m}, {e}: cannot be graded until M and E are given", band(q)),
        }
    };
    format!(
        "{}; {}",
        medium("大气", s.q_air, &s.m_air, &s.e_air, &s.air_grade),
        medium("水", s.q_water, &s.m_water, &s.e_water, &s.water_grade)
    )
}

/// A risk source to review: what was declared, what onemap computes from its Q, M and E, and why.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Finding {
    /// The risk source's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its district.
    pub district: Option<String>,
    /// `no declared grade` or `declared lower than computed`.
    pub finding: &'static str,
    /// The grade the enterprise declared.
    pub declared_grade: Option<String>,
    /// When it was declared.
    pub declared_on: Option<String>,
    /// The grade onemap computes.
    pub computed_grade: Option<String>,
    /// The standard's level string, e.g. `较大[较大-大气(Q1-M2-E1)+一般-水(Q0)]`.
    pub level: Option<String>,
    /// Q of the air.
    pub q_air: f64,
    /// Q of the water.
    pub q_water: f64,
    /// M of the air.
    pub m_air: Option<String>,
    /// E of the air.
    pub e_air: Option<String>,
    /// M of the water.
    pub m_water: Option<String>,
    /// E of the water.
    pub e_water: Option<String>,
    /// Why, in words.
    pub reason: String,
}

/// The sources to review, largest shortfall first; only those of `district` (name) if given.
pub async fn review(pool: &PgPool, district: Option<&str>) -> Result<Vec<Finding>, Error> {
    let sources: Vec<Source> = sqlx::query_as(
        "SELECT id, name, district, declared_grade, declared_on::text, grade, level, q_air, q_water, \
           m_air, e_air, m_water, e_water, air_grade, water_grade \
         FROM risk_source WHERE status <> 'closed' AND ($1::text IS NULL OR district = $1) ORDER BY id",
    )
    .bind(district)
    .fetch_all(pool)
    .await?;
    let mut out: Vec<(usize, Finding)> = Vec::new();
    for s in &sources {
        let (finding, gap) = match (s.declared_grade.as_deref().and_then(rank), s.grade.as_deref().and_then(rank)) {
            (None, computed) => ("no declared grade", computed.map_or(0, |c| c + 1)),
            (Some(d), Some(c)) if d < c => ("declared lower than computed", c - d),
            _ => continue,
        };
        out.push((
            gap,
            Finding {
                id: s.id,
                name: s.name.clone(),
                district: s.district.clone(),
                finding,
                declared_grade: s.declared_grade.clone(),
                declared_on: s.declared_on.clone(),
                computed_grade: s.grade.clone(),
                level: s.level.clone(),
                q_air: s.q_air,
                q_water: s.q_water,
                m_air: s.m_air.clone(),
                e_air: s.e_air.clone(),
                m_water: s.m_water.clone(),
                e_water: s.e_water.clone(),
                reason: reason(s),
            },
        ));
    }
    // Stable: equal shortfalls stay in id order.
    out.sort_by_key(|o| std::cmp::Reverse(o.0));
    Ok(out.into_iter().map(|(_, v)| v).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_names_q_m_and_e_of_each_medium() {
        let mut s = Source {
            id: 1,
            name: "x".into(),
            district: None,
            declared_grade: None,
            declared_on: None,
            grade: Some("较大".into()),
            level: None,
            q_air: 12.5,
            q_water: 0.2,
            m_air: Some("M2".into()),
            e_air: Some("E1".into()),
            m_water: None,
            e_water: None,
            air_grade: Some("较大".into()),
            water_grade: Some("一般".into()),
        };
        assert_eq!(reason(&s), "大气 Q=12.50 (Q2), M2, E1 → 较大; 水 Q=0.20 (Q0) → 一般");
        s.air_grade = None;
        assert!(reason(&s).contains("大气 Q=12.50 (Q2) with M2, E1: cannot be graded"));
        assert_eq!((band(0.99), band(1.0), band(10.0), band(100.0)), ("Q0", "Q1", "Q2", "Q3"));
    }
}
