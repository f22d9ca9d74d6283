//! China's working-day calendar against an independent reference: every day the committed table
//! covers, compared with PyPI `holidays` (its China calendar, sourced from the State Council's
//! notices): a weekday that is not a holiday, or a weekend day another holiday was moved from
//! ("Day off (substituted from …)"), is a working day. Then the legal clock on weeks a person
//! would check by hand.

use chrono::{Days, NaiveDate};
use onemap::time::workdays::china;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn every_day_of_the_table_agrees_with_the_holidays_library() {
    let (first, last) = china().covers();
    let script = format!(
        r#"
import datetime as dt, re, holidays
h = holidays.country_holidays('CN', years=range({y0}, {y1}))
off = set(h.keys())
worked = set()
for day, name in h.items():
    for m in re.finditer(r'substituted from (\d\d)/(\d\d)/(\d{{4}})', name):
        worked.add(dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2))))
d, last = dt.date.fromisoformat('{first}'), dt.date.fromisoformat('{last}')
while d <= last:
    print('1' if (d.weekday() < 5 and d not in off) or d in worked else '0', end='')
    d += dt.timedelta(days=1)
"#,
        y0 = first.format("%Y").to_string().parse::<i32>().unwrap() - 1,
        y1 = last.format("%Y").to_string().parse::<i32>().unwrap() + 2,
    );
    let out = std::process::Command::new("python3").args(["-c", &script]).output().expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let reference = String::from_utf8(out.stdout).unwrap();
    let mut day = first;
    let mut differ = Vec::new();
    for expected in reference.chars() {
        let ours = china().is_working_day(day).unwrap();
        if ours != (expected == '1') {
            differ.push(day);
        }
        day = day + Days::new(1);
    }
    assert_eq!(day, last + Days::new(1), "the reference covers every day of the table");
    assert!(differ.is_empty(), "the table and the holidays library differ on {differ:?}");
}

#[test]
fn the_legal_clock_counts_working_days_through_holiday_weeks() {
    let c = china();
    // National Day 2026: 1–7 October off, Saturday 10 October worked. Signed Monday 28 September,
    // 20 working days: 29, 30 Sep (2); 8, 9, 10 (Sat, worked) Oct (5); 12–16 (10); 19–23 (15);
    // 26–30 (20) → Friday 30 October.
    assert_eq!(c.add_working_days(d(2026, 9, 28), 20), Ok(d(2026, 10, 30)));
    assert_eq!(c.working_days_between(d(2026, 9, 28), d(2026, 10, 30)), Ok(20));
    // Spring Festival 2026: 15–23 February off, Saturday 14 and Saturday 28 February worked.
    assert_eq!(c.is_working_day(d(2026, 2, 14)), Ok(true));
    assert_eq!(c.is_working_day(d(2026, 2, 18)), Ok(false));
    assert_eq!(c.is_working_day(d(2026, 2, 28)), Ok(true));
    // Five working days to accept a filing submitted Friday 13 February 2026: 14 (Sat, worked),
    // 24, 25, 26, 27 → Friday 27 February.
    assert_eq!(c.add_working_days(d(2026, 2, 13), 5), Ok(d(2026, 2, 27)));
    // Across a year end: 2005-12-31 was a working Saturday (the 2006 notice).
    assert_eq!(c.is_working_day(d(2005, 12, 31)), Ok(true));
    // Beyond the table: a clear error, not a guess.
    let err = c.add_working_days(d(2026, 12, 20), 20).unwrap_err();
    assert!(err.to_string().contains("outside the working-day calendar"), "{err}");
    assert!(c.is_working_day(d(2003, 12, 31)).is_err());
}

/// A table for the next years that does not follow on from the committed one stops the service
/// before it opens anything, saying why.
#[test]
fn a_next_years_table_that_leaves_a_gap_stops_the_service() {
    let (_, last) = china().covers();
    let dir = std::env::temp_dir().join(format!("onemap-calendar-next-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gap = last + Days::new(2);
    let path = dir.join("next.csv");
    std::fs::write(&path, format!("# {gap}..{}\ndate,kind,name\n", gap + Days::new(30))).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_onemap"))
        .args(["serve", "--listen", "127.0.0.1:0", "--calendar-next"])
        .arg(&path)
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains(&format!("must start on {}", last + Days::new(1))), "{said}");
    std::fs::remove_dir_all(&dir).unwrap();
}
