//! When reports are due: minutes after discovery (initial) or closing (final), by severity,
//! from `config/report-deadlines.json` or a stricter local file — with the short clock of
//! sensitive events and the time an order may wait for its acknowledgement. The database computes each
//! incident's deadlines from the `report_deadline` table, which [`Deadlines::write`] fills.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use sqlx::PgPool;

use crate::auth::Actor;
use crate::layers::spec::SEVERITIES;

/// The built-in deadlines (the national rule).
pub const DEFAULT: &str = include_str!("../../config/report-deadlines.json");

/// Longest deadline accepted, minutes (30 days).
const MAX_MINUTES: i32 = 30 * 24 * 60;

/// One deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    /// Minutes after discovery (initial) or closing (final).
    pub minutes: i32,
    /// Minutes before the deadline at which it is "due soon".
    pub warn_minutes: i32,
}

/// The deadlines of both stages, for every severity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    #[serde(default, rename = "about")]
    _about: Option<String>,
    /// The initial report, after discovery.
    pub initial: BTreeMap<String, Deadline>,
    /// The final report, after closing.
    #[serde(rename = "final")]
    pub final_report: BTreeMap<String, Deadline>,
    /// The short clock of sensitive and grave events (none: no short clock).
    #[serde(default)]
    pub urgent: Option<Urgent>,
    /// How long a response's order may wait for its acknowledgement.
    #[serde(default)]
    pub orders: OrderRule,
}

/// The orders' clock: minutes an order may wait for its acknowledgement (default 15).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRule {
    #[serde(default, rename = "about")]
    _about: Option<String>,
    /// Minutes from issue to acknowledgement.
    pub ack_minutes: i32,
}

impl Default for OrderRule {
    fn default() -> Self {
        Self { _about: None, ack_minutes: 15 }
    }
}

/// The short clock (巴南: 30分钟电话报、1小时书面报): for events marked sensitive (if `sensitive`)
/// and those of `severities`, a phone report within `phone_minutes` of discovery and the written
/// report within `written_minutes` (where sooner than its deadline by severity).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Urgent {
    #[serde(default, rename = "about")]
    _about: Option<String>,
    /// Whether events marked sensitive are on it.
    pub sensitive: bool,
    /// The severities on it.
    pub severities: Vec<String>,
    /// Minutes from discovery to the phone report.
    pub phone_minutes: i32,
    /// Minutes from discovery to the written report.
    pub written_minutes: i32,
    /// Minutes before the phone report's deadline at which it is "due soon".
    pub warn_minutes: i32,
}

impl Urgent {
    fn check(&self) -> Result<()> {
        for severity in &self.severities {
            if !SEVERITIES.contains(&severity.as_str()) {
                bail!("urgent.severities: `{severity}` is not a severity; use {}", SEVERITIES.join(", "));
            }
        }
        for (name, minutes) in [("phone_minutes", self.phone_minutes), ("written_minutes", self.written_minutes)] {
            if !(1..=MAX_MINUTES).contains(&minutes) {
                bail!("urgent.{name}: {minutes} is not in 1..={MAX_MINUTES}");
            }
        }
        if !(0..self.phone_minutes).contains(&self.warn_minutes) {
            bail!("urgent.warn_minutes: {} must be at least 0 and less than phone_minutes", self.warn_minutes);
        }
        Ok(())
    }
}

impl Deadlines {
    /// Parses and checks a deadline file: every severity given once, minutes in range.
    pub fn parse(text: &str) -> Result<Self> {
        let deadlines: Self = serde_json::from_str(text).context("not a deadline file")?;
        for (stage, by_severity) in [("initial", &deadlines.initial), ("final", &deadlines.final_report)] {
            for severity in by_severity.keys() {
                if !SEVERITIES.contains(&severity.as_str()) {
                    bail!("{stage}: `{severity}` is not a severity; use {}", SEVERITIES.join(", "));
                }
            }
            for severity in SEVERITIES {
                let Some(d) = by_severity.get(*severity) else { bail!("{stage}: no deadline for {severity}") };
                if !(1..=MAX_MINUTES).contains(&d.minutes) {
                    bail!("{stage}.{severity}.minutes: {} is not in 1..={MAX_MINUTES}", d.minutes);
                }
                if !(0..d.minutes).contains(&d.warn_minutes) {
                    bail!(
                        "{stage}.{severity}.warn_minutes: {} must be at least 0 and less than minutes",
                        d.warn_minutes
                    );
                }
            }
        }
        if let Some(urgent) = &deadlines.urgent {
            urgent.check()?;
        }
        if !(1..=MAX_MINUTES).contains(&deadlines.orders.ack_minutes) {
            bail!("orders.ack_minutes: {} is not in 1..={MAX_MINUTES}", deadlines.orders.ack_minutes);
        }
        Ok(deadlines)
    }

    /// The national rule's deadlines.
    pub fn builtin() -> Self {
        Self::parse(DEFAULT).expect("the built-in deadlines are valid")
    }

    /// Writes these deadlines for the database's triggers; when they changed, the deadlines
    /// of every incident still waiting for a report are computed again (in the same transaction).
    pub async fn write(&self, pool: &PgPool) -> sqlx::Result<()> {
        let (mut stages, mut severities, mut minutes, mut warn) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (stage, by_severity) in [("initial", &self.initial), ("final", &self.final_report)] {
            for (severity, d) in by_severity {
                stages.push(stage);
                severities.push(severity.as_str());
                minutes.push(d.minutes);
                warn.push(d.warn_minutes);
            }
        }
        let mut tx = crate::auth::begin_as(pool, &Actor::system("report-deadlines")).await?;
        let changed = sqlx::query(
            "INSERT INTO report_deadline (stage, severity, minutes, warn_minutes) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[]) \
             ON CONFLICT (stage, severity) DO UPDATE SET minutes = EXCLUDED.minutes, warn_minutes = EXCLUDED.warn_minutes \
             WHERE (report_deadline.minutes, report_deadline.warn_minutes) <> (EXCLUDED.minutes, EXCLUDED.warn_minutes)",
        )
        .bind(&stages)
        .bind(&severities)
        .bind(&minutes)
        .bind(&warn)
        .execute(&mut *tx)
        .await?;
        let urgent = match &self.urgent {
            Some(u) => sqlx::query(
                "INSERT INTO urgent_report_rule (id, sensitive, severities, phone_minutes, written_minutes, warn_minutes) \
                 VALUES (1, $1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET sensitive = EXCLUDED.sensitive, \
                   severities = EXCLUDED.severities, phone_minutes = EXCLUDED.phone_minutes, \
                   written_minutes = EXCLUDED.written_minutes, warn_minutes = EXCLUDED.warn_minutes \
                 WHERE (urgent_report_rule.sensitive, urgent_report_rule.severities, urgent_report_rule.phone_minutes, \
                        urgent_report_rule.written_minutes, urgent_report_rule.warn_minutes) \
                   IS DISTINCT FROM (EXCLUDED.sensitive, EXCLUDED.severities, EXCLUDED.phone_minutes, \
                        EXCLUDED.written_minutes, EXCLUDED.warn_minutes)",
            )
            .bind(u.sensitive)
            .bind(&u.severities)
            .bind(u.phone_minutes)
            .bind(u.written_minutes)
            .bind(u.warn_minutes),
            None => sqlx::query("DELETE FROM urgent_report_rule"),
        }
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE order_rule SET ack_minutes = $1 WHERE id = 1 AND ack_minutes <> $1")
            .bind(self.orders.ack_minutes)
            .execute(&mut *tx)
            .await?;
        if changed.rows_affected() + urgent.rows_affected() > 0 {
            sqlx::query(
                "UPDATE incident SET updated_at = updated_at \
                 WHERE initial_reported_at IS NULL OR final_reported_at IS NULL OR phone_reported_at IS NULL",
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_is_the_rule() {
        let d = Deadlines::builtin();
        assert_eq!(d.initial["一般"].minutes, 240);
        assert_eq!(d.initial["较大"].minutes, 240);
        assert_eq!(d.initial["重大"].minutes, 120);
        assert_eq!(d.initial["特别重大"].minutes, 120);
        let urgent = d.urgent.unwrap();
        assert_eq!((urgent.phone_minutes, urgent.written_minutes, urgent.sensitive), (30, 60, true));
    }

    #[test]
    fn bad_files_are_refused() {
        let good: serde_json::Value = serde_json::from_str(DEFAULT).unwrap();
        let mut missing = good.clone();
        missing["initial"].as_object_mut().unwrap().remove("重大");
        assert!(Deadlines::parse(&missing.to_string()).unwrap_err().to_string().contains("no deadline for 重大"));
        let mut unknown = good.clone();
        unknown["initial"]["严重"] = serde_json::json!({"minutes": 10, "warn_minutes": 1});
        assert!(Deadlines::parse(&unknown.to_string()).unwrap_err().to_string().contains("not a severity"));
        let mut warn = good.clone();
        warn["final"]["一般"]["warn_minutes"] = 5000.into();
        assert!(Deadlines::parse(&warn.to_string()).unwrap_err().to_string().contains("warn_minutes"));
        let mut zero = good.clone();
        zero["initial"]["一般"]["minutes"] = 0.into();
        assert!(Deadlines::parse(&zero.to_string()).is_err());
        let mut urgent = good.clone();
        urgent["urgent"]["severities"] = serde_json::json!(["严重"]);
        assert!(Deadlines::parse(&urgent.to_string()).unwrap_err().to_string().contains("not a severity"));
        let mut warn = good.clone();
        warn["urgent"]["warn_minutes"] = 30.into();
        assert!(Deadlines::parse(&warn.to_string()).unwrap_err().to_string().contains("warn_minutes"));
        let mut ack = good.clone();
        ack["orders"]["ack_minutes"] = 0.into();
        assert!(Deadlines::parse(&ack.to_string()).unwrap_err().to_string().contains("ack_minutes"));
        let mut none = good;
        none.as_object_mut().unwrap().remove("urgent");
        assert_eq!(Deadlines::parse(&none.to_string()).unwrap().urgent, None, "no short clock");
    }
}
