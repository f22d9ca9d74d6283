//! Time as onemap keeps and reads it: China Standard Time, dates, and OGC API `datetime` (an
//! instant or an interval `a/b`, `../b`, `a/..`, bounds inclusive; a bare date is a whole day
//! in China Standard Time, the time the data is kept in), and China's working days
//! ([`workdays`]). Imports nothing of the domain.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};

use crate::error::Invalid;

pub mod workdays;

/// China Standard Time (UTC+8, no daylight saving), in which the desk reads and files times.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

/// One end of a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// An instant.
    Instant(DateTime<FixedOffset>),
    /// A whole day in China Standard Time.
    Day(NaiveDate),
}

/// A period asked for: either end may be open.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    /// The first bound (None: open).
    pub start: Option<Bound>,
    /// The last bound (None: open).
    pub end: Option<Bound>,
}

fn bad(detail: impl Into<String>) -> Invalid {
    Invalid::field("datetime", detail)
}

fn bound(text: &str) -> Result<Option<Bound>, Invalid> {
    let text = text.trim();
    if text.is_empty() || text == ".." {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(Bound::Instant(t)));
    }
    let day = self::day(text).ok_or_else(|| {
        bad(format!(
            "`{text}` is neither an RFC 3339 time (2026-11-23T08:30:00+08:00) nor a date (2026-11-23, years 0001–9999)"
        ))
    })?;
    Ok(Some(Bound::Day(day)))
}

/// A date `YYYY-MM-DD` with a year from 1 to 9999, as RFC 3339 writes them (chrono reads any
/// year, up to its own edge where a day's midnight in another zone cannot be told; PostgreSQL
/// refuses negative years in this form).
pub fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().filter(|d| (1..=9999).contains(&d.year()))
}

impl Bound {
    /// The first instant it covers.
    pub fn first(self) -> DateTime<FixedOffset> {
        match self {
            Bound::Instant(t) => t,
            Bound::Day(d) => day_start(d),
        }
    }

    /// The day (in China Standard Time) it falls on.
    pub fn day(self) -> NaiveDate {
        match self {
            Bound::Instant(t) => t.with_timezone(&cst()).date_naive(),
            Bound::Day(d) => d,
        }
    }
}

/// Midnight of `d` in China Standard Time (a fixed offset: it always exists within the years read).
pub fn day_start(d: NaiveDate) -> DateTime<FixedOffset> {
    let midnight = d.and_time(chrono::NaiveTime::MIN);
    midnight.and_local_timezone(cst()).earliest().unwrap_or_else(|| midnight.and_utc().fixed_offset())
}

/// Parses a `datetime` value.
pub fn parse(text: &str) -> Result<Period, Invalid> {
    let period = match text.split_once('/') {
        Some((a, b)) => Period { start: bound(a)?, end: bound(b)? },
        None => {
            let at = bound(text)?.ok_or_else(|| bad("an instant is needed, or an interval a/b"))?;
            Period { start: Some(at), end: Some(at) }
        }
    };
    if let (Some(s), Some(e)) = (period.start, period.end)
        && s.first() > e.first()
    {
        return Err(bad("the interval ends before it starts"));
    }
    Ok(period)
}

/// A span of minutes as every screen says it: 分钟 under two hours, 小时 under two days, else
/// 天 (the viewer's `span` in `viewer/words.js` says it the same way; a test holds them together).
pub fn span(minutes: i64) -> String {
    let m = minutes.unsigned_abs();
    if m < 120 {
        format!("{m} 分钟")
    } else if m < 48 * 60 {
        format!("{} 小时", (m as f64 / 60.0).round())
    } else {
        format!("{} 天", (m as f64 / 1440.0).round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_instants_and_intervals() {
        assert!(parse("2026-11-23T08:30:00+08:00").is_ok());
        assert!(parse("2026-11-23").is_ok());
        assert!(parse("../2026-11-23").is_ok());
        assert!(parse("2026-01-01/..").is_ok());
        assert!(parse("2026-01-01/").is_ok());
        assert!(parse("2026-02-01/2026-01-01").is_err());
        assert!(parse("yesterday").is_err());
        assert!(parse("..").is_err());
        for edge in
            ["-262144-01-01", "+262143-12-31", "0000-01-01", "10000-01-01", "-262144-01-01/..", "../+262143-12-31"]
        {
            assert!(parse(edge).is_err(), "{edge}");
        }
        assert!(parse("0001-01-01/9999-12-31").is_ok());
    }

    #[test]
    fn spans_say_minutes_hours_or_days() {
        assert_eq!(span(25), "25 分钟");
        assert_eq!(span(-119), "119 分钟");
        assert_eq!(span(180), "3 小时");
        assert_eq!(span(23305), "16 天");
    }
}
