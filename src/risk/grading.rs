//! 企业突发环境事件风险分级 after HJ 941-2018 (企业突发环境事件风险分级方法), separately for
//! air (大气) and water (水):
//!
//! - Q: Σ stored quantity / threshold quantity of the risk substances of that medium
//!   (HJ 941-2018 §4 and Appendix A); Q < 1 → Q0, 1 ≤ Q < 10 → Q1, 10 ≤ Q < 100 → Q2, Q ≥ 100 → Q3.
//!   Q0 is 一般 whatever M and E are, written `一般-大气(Q0)`.
//! - M: the process and risk-control score, 0–100 (the standard's scoring tables); M < 25 → M1,
//!   25 ≤ M < 45 → M2, 45 ≤ M < 60 → M3, M ≥ 60 → M4.
//! - E: the sensitivity of the environment around, E1 (most sensitive) – E3, given.
//! - The grade of a medium from (E, Q, M) by the standard's grading matrix ([`MATRIX`]); the
//!   enterprise's grade is the higher of the two, with the level string
//!   `较大[较大-大气(Q1-M2-E1)+一般-水(Q0)]`.
//!
//! The matrix is encoded once, here; the database's grading trigger reads the same cells from
//! the `hj941_matrix` table, which [`sync_matrix`] fills from [`MATRIX`].

use sqlx::PgPool;

/// Grades, lowest first.
pub const GRADES: [&str; 3] = ["一般", "较大", "重大"];

/// Q bands above Q0: Q1, Q2, Q3 start at these ratios.
pub const Q_BREAKS: [f64; 3] = [1.0, 10.0, 100.0];

/// M bands: M2, M3, M4 start at these scores.
pub const M_BREAKS: [f64; 3] = [25.0, 45.0, 60.0];

/// The grading matrix: `MATRIX[e][q][m]` for E1–E3, Q1–Q3, M1–M4, as an index into [`GRADES`].
/// HJ 941-2018 gives it once per sensitivity type (its tables of 企业突发大气/水环境事件风险分级,
/// the same cells for air and water). The cells are as this project read the standard; they
/// could not be checked against its text offline (see the README).
pub const MATRIX: [[[u8; 4]; 3]; 3] = [
    // E1
    [[1, 1, 2, 2], [1, 2, 2, 2], [2, 2, 2, 2]],
    // E2
    [[0, 1, 1, 2], [1, 1, 2, 2], [1, 2, 2, 2]],
    // E3
    [[0, 0, 1, 1], [0, 1, 1, 2], [1, 1, 2, 2]],
];

/// A medium graded: its Q and the bands used.
#[derive(Debug, Clone, PartialEq)]
pub struct Medium {
    /// Σ quantity / threshold.
    pub q: f64,
    /// 0 for Q0 … 3 for Q3.
    pub q_band: usize,
    /// M1–M4 as 1–4, when given.
    pub m: Option<usize>,
    /// E1–E3 as 1–3, when given.
    pub e: Option<usize>,
    /// Index into [`GRADES`]; None when Q ≥ 1 but M or E is missing.
    pub grade: Option<usize>,
}

impl Medium {
    /// Grades a medium from its Q and, when Q ≥ 1, its M and E levels (1-based).
    pub fn new(q: f64, m: Option<usize>, e: Option<usize>) -> Self {
        let q_band = q_band(q);
        let grade = match (q_band, m, e) {
            (0, _, _) => Some(0),
            (q, Some(m @ 1..=4), Some(e @ 1..=3)) => Some(MATRIX[e - 1][q - 1][m - 1] as usize),
            _ => None,
        };
        Self { q, q_band, m, e, grade }
    }

    /// `较大-大气(Q1-M2-E1)`, `一般-水(Q0)`, or None when ungraded.
    pub fn label(&self, medium: &str) -> Option<String> {
        let grade = GRADES[self.grade?];
        Some(match (self.q_band, self.m, self.e) {
            (0, _, _) => format!("{grade}-{medium}(Q0)"),
            (q, Some(m), Some(e)) => format!("{grade}-{medium}(Q{q}-M{m}-E{e})"),
            _ => return None,
        })
    }
}

/// The Q band (0 for Q0 … 3) of a ratio.
pub fn q_band(q: f64) -> usize {
    Q_BREAKS.iter().filter(|b| q >= **b).count()
}

/// The M level (1 … 4) of a process-and-control score.
pub fn m_level(score: f64) -> usize {
    1 + M_BREAKS.iter().filter(|b| score >= **b).count()
}

/// An enterprise graded for air and water.
#[derive(Debug, Clone, PartialEq)]
pub struct Grading {
    /// 大气.
    pub air: Medium,
    /// 水.
    pub water: Medium,
}

impl Grading {
    /// The higher grade of the two media (None while either cannot be graded).
    pub fn grade(&self) -> Option<&'static str> {
        Some(GRADES[self.air.grade?.max(self.water.grade?)])
    }

    /// The standard's level string, e.g. `较大[较大-大气(Q1-M2-E1)+一般-水(Q0)]`.
    pub fn level(&self) -> Option<String> {
        Some(format!("{}[{}+{}]", self.grade()?, self.air.label("大气")?, self.water.label("水")?))
    }
}

/// A risk substance as held: quantity and threshold in tonnes, medium air/water/both.
#[derive(Debug, Clone)]
pub struct Substance {
    /// Stored quantity, t.
    pub quantity_t: f64,
    /// Threshold quantity (临界量), t.
    pub threshold_t: f64,
    /// `air`, `water` or `both`.
    pub medium: String,
}

/// Grades an enterprise from its substances and its M and E levels per medium (1-based).
pub fn grade(
    substances: &[Substance],
    m_air: Option<usize>,
    e_air: Option<usize>,
    m_water: Option<usize>,
    e_water: Option<usize>,
) -> Grading {
    let q = |medium: &str| -> f64 {
        substances
            .iter()
            .filter(|s| s.medium == medium || s.medium == "both")
            .map(|s| s.quantity_t / s.threshold_t)
            .sum()
    };
    Grading { air: Medium::new(q("air"), m_air, e_air), water: Medium::new(q("water"), m_water, e_water) }
}

/// Writes [`MATRIX`] into `hj941_matrix`, which the database's grading trigger reads.
pub async fn sync_matrix(pool: &PgPool) -> sqlx::Result<()> {
    let mut e = Vec::new();
    let mut q = Vec::new();
    let mut m = Vec::new();
    let mut g = Vec::new();
    for (ei, by_q) in MATRIX.iter().enumerate() {
        for (qi, by_m) in by_q.iter().enumerate() {
            for (mi, grade) in by_m.iter().enumerate() {
                e.push(format!("E{}", ei + 1));
                q.push(format!("Q{}", qi + 1));
                m.push(format!("M{}", mi + 1));
                g.push(GRADES[*grade as usize]);
            }
        }
    }
    let mut tx = pool.begin().await?;
    let changed = sqlx::query(
        "INSERT INTO hj941_matrix (e, q, m, grade) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) \
         ON CONFLICT (e, q, m) DO UPDATE SET grade = EXCLUDED.grade WHERE hj941_matrix.grade <> EXCLUDED.grade",
    )
    .bind(&e)
    .bind(&q)
    .bind(&m)
    .bind(&g)
    .execute(&mut *tx)
    .await?;
    // A changed matrix regrades every risk source.
    if changed.rows_affected() > 0 {
        sqlx::query("UPDATE risk_source SET updated_at = updated_at").execute(&mut *tx).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_of_the_matrix() {
        // (E, Q, M) → grade, written out cell by cell from the standard's matrix.
        let expected = [
            ("E1", ["较大 较大 重大 重大", "较大 重大 重大 重大", "重大 重大 重大 重大"]),
            ("E2", ["一般 较大 较大 重大", "较大 较大 重大 重大", "较大 重大 重大 重大"]),
            ("E3", ["一般 一般 较大 较大", "一般 较大 较大 重大", "较大 较大 重大 重大"]),
        ];
        for (e, (_, rows)) in expected.iter().enumerate() {
            for (q, row) in rows.iter().enumerate() {
                for (m, want) in row.split(' ').enumerate() {
                    let medium = Medium::new([1.0, 10.0, 100.0][q], Some(m + 1), Some(e + 1));
                    assert_eq!(GRADES[medium.grade.unwrap()], want, "E{} Q{} M{}", e + 1, q + 1, m + 1);
                }
            }
        }
    }

    #[test]
    fn the_grade_never_falls_as_q_m_or_sensitivity_rises() {
        for e in 0..3 {
            for q in 0..3 {
                for m in 0..4 {
                    let g = MATRIX[e][q][m];
                    assert!(q == 2 || MATRIX[e][q + 1][m] >= g);
                    assert!(m == 3 || MATRIX[e][q][m + 1] >= g);
                    assert!(e == 0 || MATRIX[e - 1][q][m] >= g);
                }
            }
        }
    }

    #[test]
    fn bands_at_their_edges() {
        assert_eq!([0.0, 0.999, 1.0, 9.99, 10.0, 99.9, 100.0, 1e6].map(q_band), [0, 0, 1, 1, 2, 2, 3, 3]);
        assert_eq!([0.0, 24.9, 25.0, 44.9, 45.0, 59.9, 60.0, 100.0].map(m_level), [1, 1, 2, 2, 3, 3, 4, 4]);
    }

    #[test]
    fn the_level_string_of_the_standard() {
        let s = |q: f64, medium: &str| Substance { quantity_t: q, threshold_t: 1.0, medium: medium.into() };
        let g = grade(&[s(3.0, "air"), s(0.5, "water")], Some(2), Some(1), Some(4), Some(1));
        assert_eq!(g.level().unwrap(), "较大[较大-大气(Q1-M2-E1)+一般-水(Q0)]");
        // `both` counts for each medium; the higher grade wins.
        let g = grade(&[s(60.0, "both"), s(50.0, "water")], Some(1), Some(3), Some(3), Some(2));
        assert_eq!(g.level().unwrap(), "重大[一般-大气(Q2-M1-E3)+重大-水(Q3-M3-E2)]");
        // Q ≥ 1 without M or E cannot be graded.
        let g = grade(&[s(5.0, "air")], None, Some(1), None, None);
        assert_eq!((g.air.grade, g.water.grade, g.grade(), g.level()), (None, Some(0), None, None));
    }
}
