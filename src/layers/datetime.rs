//! OGC API `datetime` as a condition on a layer's field (the period itself is read by
//! [`crate::time::parse`]).

use chrono::Days;

use super::condition::Condition;
use super::spec::{Field, FieldType};
use crate::time::{Bound, Period, day_start};

/// Adds to `condition` that `field` (column SQL `column`) falls in `period`.
pub fn restrict(period: &Period, field: &Field, column: &str, condition: &mut Condition) {
    let date = matches!(field.ty, FieldType::Date);
    if let Some(start) = period.start {
        let clause = if date {
            format!("{column} >= {}::date", condition.bind(start.day()))
        } else {
            format!("{column} >= {}::timestamptz", condition.bind(start.first().to_rfc3339()))
        };
        condition.and(clause);
    }
    if let Some(end) = period.end {
        let clause = match (date, end) {
            (true, _) => format!("{column} <= {}::date", condition.bind(end.day())),
            (false, Bound::Instant(t)) => format!("{column} <= {}::timestamptz", condition.bind(t.to_rfc3339())),
            (false, Bound::Day(d)) => {
                let next = day_start(d.checked_add_days(Days::new(1)).unwrap_or(d));
                format!("{column} < {}::timestamptz", condition.bind(next.to_rfc3339()))
            }
        };
        condition.and(clause);
    }
    condition.and(format!("{column} IS NOT NULL"));
}
