//! China's working days: Monday to Friday, less the statutory holidays, plus the weekend days
//! worked in their place (调休) — from the committed table `data/calendar/china.csv` (made by
//! `scripts/calendar`, its source named there). The legal clocks count on it ("within 20 working
//! days of signing"). A date outside the table's years is an error, never a guess: next year's
//! holidays are only known once the State Council announces them.

use std::collections::BTreeMap;
use std::sync::{LazyLock, OnceLock};

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// The committed table.
const CHINA: &str = include_str!("../../data/calendar/china.csv");

/// A date the calendar does not cover.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{date} is outside the working-day calendar ({first} to {last}); its holidays are not in the table yet")]
pub struct Beyond {
    /// The date asked about.
    pub date: NaiveDate,
    /// The first day covered.
    pub first: NaiveDate,
    /// The last day covered.
    pub last: NaiveDate,
}

/// What a listed day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    /// A statutory holiday (a day off, whatever the weekday).
    Holiday,
    /// A weekend day worked in place of a holiday.
    Workday,
}

/// A working-day calendar: the days it covers and its exceptions to Monday–Friday.
#[derive(Debug)]
pub struct Calendar {
    first: NaiveDate,
    last: NaiveDate,
    listed: BTreeMap<NaiveDate, (Listed, String)>,
}

/// The committed table, read once.
static COMMITTED: LazyLock<Calendar> =
    LazyLock::new(|| Calendar::parse(CHINA).expect("data/calendar/china.csv is a valid calendar"));

/// The committed table carried on by the years an operator added (`onemap serve --calendar-next`).
static EXTENDED: OnceLock<Calendar> = OnceLock::new();

/// China's calendar: the committed table, carried on by [`extend_china`] where it was called.
pub fn china() -> &'static Calendar {
    EXTENDED.get().unwrap_or(&COMMITTED)
}

/// Carries China's calendar on with the years after the committed table (a table of the same
/// form, starting the day after it ends) — so a bureau can add next year's notice the day the
/// State Council publishes it, without waiting for a release. Once per process.
pub fn extend_china(next: &str) -> Result<(), String> {
    let next = Calendar::parse(next)?;
    let carried = COMMITTED.then(next)?;
    EXTENDED.set(carried).map_err(|_| "the calendar was carried on already".to_string())
}

impl Calendar {
    /// Reads a table: `#` comment lines (one says `first..last`), a header, then
    /// `date,kind,name` rows with kind `holiday` or `workday`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut range = None;
        let mut listed = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            if let Some(comment) = line.strip_prefix('#') {
                let found = comment.split_whitespace().find_map(|w| {
                    let (a, b) = w.trim_end_matches(',').split_once("..")?;
                    Some((
                        NaiveDate::parse_from_str(a, "%Y-%m-%d").ok()?,
                        NaiveDate::parse_from_str(b, "%Y-%m-%d").ok()?,
                    ))
                });
                range = range.or(found);
                continue;
            }
            if line.is_empty() || line.starts_with("date,") {
                continue;
            }
            let mut parts = line.splitn(3, ',');
            let (Some(date), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("line {}: `{line}` is not date,kind,name", n + 1));
            };
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|e| format!("line {}: {e}", n + 1))?;
            let kind = match kind {
                "holiday" => Listed::Holiday,
                "workday" => Listed::Workday,
                other => return Err(format!("line {}: `{other}` is not holiday or workday", n + 1)),
            };
            listed.insert(date, (kind, name.to_string()));
        }
        let (first, last) = range.ok_or("no `first..last` line says which days the table covers")?;
        if let Some(outside) = listed.keys().find(|d| **d < first || **d > last) {
            return Err(format!("{outside} lies outside the table's {first}..{last}"));
        }
        Ok(Self { first, last, listed })
    }

    /// This calendar carried on by `next`, which must start the day after this one ends.
    pub fn then(&self, next: Calendar) -> Result<Calendar, String> {
        if self.last.succ_opt() != Some(next.first) {
            return Err(format!(
                "the added table covers {}..{}; it must start on {}, the day after the calendar ends",
                next.first,
                next.last,
                self.last + Days::new(1)
            ));
        }
        let mut listed = self.listed.clone();
        listed.extend(next.listed);
        Ok(Calendar { first: self.first, last: next.last, listed })
    }

    /// The first and last day covered.
    pub fn covers(&self) -> (NaiveDate, NaiveDate) {
        (self.first, self.last)
    }

    fn check(&self, date: NaiveDate) -> Result<(), Beyond> {
        if date < self.first || date > self.last {
            return Err(Beyond { date, first: self.first, last: self.last });
        }
        Ok(())
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, Beyond> {
        self.check(date)?;
        Ok(match self.listed.get(&date) {
            Some((Listed::Holiday, _)) => false,
            Some((Listed::Workday, _)) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        })
    }

    /// The holiday (or the holiday a worked weekend day stands in for) of `date`, if listed.
    pub fn listed(&self, date: NaiveDate) -> Option<(Listed, &str)> {
        self.listed.get(&date).map(|(kind, name)| (*kind, name.as_str()))
    }

    /// The `n`-th working day after `date` (the day itself not counted): "within 20 working days
    /// of signing" ends on `add_working_days(signed, 20)`.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, Beyond> {
        self.check(date)?;
        let (mut day, mut left) = (date, n);
        while left > 0 {
            day = day.checked_add_days(Days::new(1)).ok_or(Beyond { date: day, first: self.first, last: self.last })?;
            if self.is_working_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// The working days after `from` up to and including `to` (0 when `to` is not after `from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> Result<u32, Beyond> {
        self.check(from)?;
        self.check(to)?;
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = day + Days::new(1);
            if self.is_working_day(day)? {
                count += 1;
            }
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_table_must_say_what_it_covers_and_keep_inside_it() {
        assert!(Calendar::parse("date,kind,name\n2026-01-01,holiday,元旦\n").is_err());
        assert!(Calendar::parse("# 2026-01-01..2026-12-31\n2027-01-01,holiday,元旦\n").is_err());
        assert!(Calendar::parse("# 2026-01-01..2026-12-31\n2026-01-01,rest,元旦\n").is_err());
        let c =
            Calendar::parse("# 2026-01-01..2026-12-31\n2026-01-01,holiday,元旦\n2026-01-04,workday,元旦\n").unwrap();
        assert_eq!(c.is_working_day(d(2026, 1, 1)), Ok(false));
        assert_eq!(c.is_working_day(d(2026, 1, 4)), Ok(true), "a worked Sunday");
        assert_eq!(c.is_working_day(d(2026, 1, 3)), Ok(false), "a Saturday");
        assert_eq!(c.is_working_day(d(2026, 1, 5)), Ok(true), "a Monday");
        assert!(c.is_working_day(d(2027, 1, 4)).is_err());
        // Thu 1 Jan off, Fri 2 on, Sat 3 off, Sun 4 worked, Mon 5 on.
        assert_eq!(
            c.add_working_days(d(2025, 12, 31), 1),
            Err(Beyond { date: d(2025, 12, 31), first: d(2026, 1, 1), last: d(2026, 12, 31) })
        );
        assert_eq!(c.add_working_days(d(2026, 1, 1), 2), Ok(d(2026, 1, 4)));
        assert_eq!(c.add_working_days(d(2026, 1, 1), 0), Ok(d(2026, 1, 1)));
        assert_eq!(c.working_days_between(d(2026, 1, 1), d(2026, 1, 5)), Ok(3));
        assert!(c.add_working_days(d(2026, 12, 30), 5).is_err(), "runs past the table");

        let next = || Calendar::parse("# 2027-01-01..2027-12-31\n2027-01-01,holiday,元旦\n").unwrap();
        let carried = c.then(next()).unwrap();
        assert_eq!(carried.covers(), (d(2026, 1, 1), d(2027, 12, 31)));
        // Wed 30 Dec, Thu 31 Dec, (Fri 1 Jan off), Mon 4 Jan, Tue 5 Jan.
        assert_eq!(carried.add_working_days(d(2026, 12, 30), 3), Ok(d(2027, 1, 5)));
        assert_eq!(carried.is_working_day(d(2026, 1, 4)), Ok(true), "the first table's days stay");
        let gap = Calendar::parse("# 2027-01-02..2027-12-31\n").unwrap();
        assert!(c.then(gap).is_err(), "a table that leaves a day out");
        assert!(carried.then(next()).is_err(), "a table that repeats a year");
    }
}
