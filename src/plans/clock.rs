//! The legal clock of a plan (环发〔2015〕4号): filed within 20 working days of signing (and of a
//! major revision), checked by the bureau within 5 working days of submission, reviewed at least
//! every three years — counted on China's working days ([`crate::time::workdays`]). A due date
//! beyond the calendar's table is said to be unknown, with the reason, never guessed.

use chrono::{Months, NaiveDate};
use serde::Serialize;

use crate::time::workdays::{Beyond, Calendar};

/// Working days after signing (or a major revision) within which a plan is filed.
pub const FILING_WORKING_DAYS: u32 = 20;
/// Working days after submission within which the bureau accepts or returns a filing.
pub const ACCEPTANCE_WORKING_DAYS: u32 = 5;
/// Years after the last review or filing by which a plan is reviewed again.
pub const REVIEW_YEARS: u32 = 3;
/// Working days before a filing's due date from which it is due soon.
pub const FILING_WARN_WORKING_DAYS: u32 = 5;
/// Working days before an acceptance's due date from which it is due soon.
pub const ACCEPTANCE_WARN_WORKING_DAYS: u32 = 1;
/// Days before a review's due date from which it is due soon.
pub const REVIEW_WARN_DAYS: i64 = 90;

/// Which clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// Filing after signing (or after a major revision: a change filing).
    Filing,
    /// The bureau's check of a submitted filing.
    Acceptance,
    /// The periodic review of a plan in force.
    Review,
}

impl Clock {
    /// Its name, as the API writes it.
    pub fn code(self) -> &'static str {
        match self {
            Self::Filing => "filing",
            Self::Acceptance => "acceptance",
            Self::Review => "review",
        }
    }
}

/// Where a deadline stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Not done, not yet near.
    Due,
    /// Not done, near.
    DueSoon,
    /// Not done, past.
    Overdue,
    /// Done in time.
    Met,
    /// Done after the due date.
    Late,
    /// The due date lies beyond the working-day calendar.
    Unknown,
}

impl Standing {
    /// Its name, as the API writes it.
    pub fn code(self) -> &'static str {
        match self {
            Self::Due => "due",
            Self::DueSoon => "due_soon",
            Self::Overdue => "overdue",
            Self::Met => "met",
            Self::Late => "late",
            Self::Unknown => "unknown",
        }
    }

    /// Whether the deadline needs someone's attention (near or past, not done).
    pub fn is_flag(self) -> bool {
        matches!(self, Self::DueSoon | Self::Overdue)
    }
}

/// One deadline of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Due {
    /// Which clock.
    pub clock: Clock,
    /// The day the clock started (signing, submission, the last review or filing).
    pub from: NaiveDate,
    /// The last day allowed (none when beyond the calendar).
    pub on: Option<NaiveDate>,
    /// When it was done, if it was.
    pub done_on: Option<NaiveDate>,
    /// Where it stands today.
    pub standing: Standing,
    /// Why the due date is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn unknown(clock: Clock, from: NaiveDate, done_on: Option<NaiveDate>, beyond: Beyond) -> Due {
    Due { clock, from, on: None, done_on, standing: Standing::Unknown, note: Some(beyond.to_string()) }
}

/// Stands a working-day deadline `on` today: done (in time or late), or near within `warn`
/// working days, or past.
fn stand(
    calendar: &Calendar,
    on: NaiveDate,
    done_on: Option<NaiveDate>,
    today: NaiveDate,
    warn: u32,
) -> Result<Standing, Beyond> {
    Ok(match done_on {
        Some(done) if done <= on => Standing::Met,
        Some(_) => Standing::Late,
        None if today > on => Standing::Overdue,
        None if calendar.working_days_between(today, on)? <= warn => Standing::DueSoon,
        None => Standing::Due,
    })
}

fn working_day_clock(
    calendar: &Calendar,
    clock: Clock,
    from: NaiveDate,
    days: u32,
    warn: u32,
    done_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Due {
    let on = match calendar.add_working_days(from, days) {
        Ok(on) => on,
        Err(beyond) => return unknown(clock, from, done_on, beyond),
    };
    match stand(calendar, on, done_on, today, warn) {
        Ok(standing) => Due { clock, from, on: Some(on), done_on, standing, note: None },
        Err(beyond) => unknown(clock, from, done_on, beyond),
    }
}

/// The filing of a version signed on `signed_on`, submitted on `submitted_on` if it was.
pub fn filing(calendar: &Calendar, signed_on: NaiveDate, submitted_on: Option<NaiveDate>, today: NaiveDate) -> Due {
    let (days, warn) = (FILING_WORKING_DAYS, FILING_WARN_WORKING_DAYS);
    working_day_clock(calendar, Clock::Filing, signed_on, days, warn, submitted_on, today)
}

/// The bureau's check of a filing submitted on `submitted_on`, decided on `decided_on` if it was.
pub fn acceptance(
    calendar: &Calendar,
    submitted_on: NaiveDate,
    decided_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Due {
    let (days, warn) = (ACCEPTANCE_WORKING_DAYS, ACCEPTANCE_WARN_WORKING_DAYS);
    working_day_clock(calendar, Clock::Acceptance, submitted_on, days, warn, decided_on, today)
}

/// The review of a plan last reviewed or filed on `last` (calendar years: a review may fall
/// on any day), done on `reviewed_on` if a newer review was recorded.
pub fn review(last: NaiveDate, reviewed_on: Option<NaiveDate>, today: NaiveDate) -> Due {
    let on = last.checked_add_months(Months::new(12 * REVIEW_YEARS)).unwrap_or(NaiveDate::MAX);
    let standing = match reviewed_on {
        Some(done) if done <= on => Standing::Met,
        Some(_) => Standing::Late,
        None if today > on => Standing::Overdue,
        None if (on - today).num_days() <= REVIEW_WARN_DAYS => Standing::DueSoon,
        None => Standing::Due,
    };
    Due { clock: Clock::Review, from: last, on: Some(on), done_on: reviewed_on, standing, note: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::workdays::china;

    fn d(text: &str) -> NaiveDate {
        crate::time::day(text).unwrap()
    }

    #[test]
    fn the_national_day_week_does_not_count() {
        // Signed on Monday 28 September 2026: 29–30 September, 8–10 October (Saturday the 10th
        // worked) and 12–30 October are the twenty working days; 1–7 October are the holiday.
        let due = filing(china(), d("2026-09-28"), None, d("2026-10-23"));
        assert_eq!(due.on, Some(d("2026-10-30")));
        assert_eq!(due.standing, Standing::DueSoon);
        assert_eq!(filing(china(), d("2026-09-28"), None, d("2026-10-22")).standing, Standing::Due);
        assert_eq!(filing(china(), d("2026-09-28"), None, d("2026-11-02")).standing, Standing::Overdue);
        assert_eq!(filing(china(), d("2026-09-28"), Some(d("2026-10-30")), d("2026-12-01")).standing, Standing::Met);
        assert_eq!(filing(china(), d("2026-09-28"), Some(d("2026-11-02")), d("2026-12-01")).standing, Standing::Late);
    }

    #[test]
    fn acceptance_counts_working_days_across_a_weekend() {
        // Submitted Friday 13 February 2026, before the Spring Festival: Saturday the 14th is
        // worked, 15–23 February are off, 24–27 February make five.
        let due = acceptance(china(), d("2026-02-13"), None, d("2026-02-13"));
        assert_eq!(due.on, Some(d("2026-02-27")));
    }

    #[test]
    fn beyond_the_table_is_unknown_not_guessed() {
        let due = filing(china(), d("2026-12-20"), None, d("2026-12-21"));
        assert_eq!((due.on, due.standing), (None, Standing::Unknown));
        assert!(due.note.unwrap().contains("outside the working-day calendar"));
    }

    #[test]
    fn reviews_come_three_years_on() {
        let due = review(d("2023-06-15"), None, d("2026-04-01"));
        assert_eq!((due.on, due.standing), (Some(d("2026-06-15")), Standing::DueSoon));
        assert_eq!(review(d("2023-06-15"), None, d("2026-06-16")).standing, Standing::Overdue);
        assert_eq!(review(d("2024-02-29"), None, d("2025-01-01")).on, Some(d("2027-02-28")));
    }
}
