//! Quality control of observations before anyone trusts them, after the tests of IOOS QARTOD
//! (Manual for Real-Time Quality Control): gross range (outside what the instrument can
//! measure: fail; outside what the water or air plausibly holds: suspect), spike (a value
//! apart from both its neighbours), rate of change, flat line (a stuck sensor), and missing
//! values. Each observation gets the worst of its tests' flags. Pure functions over a series;
//! the thresholds per item are defaults a Datastream's `properties.qc` may replace.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// A test's verdict, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Flag {
    /// Passed every test.
    Pass,
    /// Doubtful: not used for alarms.
    Suspect,
    /// Wrong: not used for alarms, and an instrument fault.
    Fail,
    /// No usable value.
    Missing,
}

impl Flag {
    /// Its name in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Pass => "pass",
            Flag::Suspect => "suspect",
            Flag::Fail => "fail",
            Flag::Missing => "missing",
        }
    }
}

/// The thresholds of one quantity.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// What the instrument can measure: outside it fails.
    pub fail: (f64, f64),
    /// What the medium plausibly holds: outside it is suspect.
    pub suspect: (f64, f64),
    /// A spike (distance from its neighbours' mean beyond their own half-difference): suspect
    /// above this, fail above twice it. None: not tested.
    pub spike: Option<f64>,
    /// Change per hour beyond which a value is suspect. None: not tested.
    pub rate: Option<f64>,
    /// Values within this of each other count as the same for the flat-line test.
    pub flat_eps: f64,
    /// The same value this many times in a row (this one included) is suspect …
    pub flat_suspect: usize,
    /// … and this many times fails.
    pub flat_fail: usize,
}

const fn limits(fail: (f64, f64), suspect: (f64, f64), spike: Option<f64>, rate: Option<f64>, eps: f64) -> Limits {
    Limits { fail, suspect, spike, rate, flat_eps: eps, flat_suspect: 6, flat_fail: 12 }
}

/// The default thresholds of an item of the standards (its code: `COD`, `PM2.5`), for hourly
/// data: instrument ranges as online analysers state them, plausible ranges for Chongqing's
/// surface waters and air, spikes and rates a few times the usual hour-to-hour variation.
pub fn defaults(item: &str) -> Option<Limits> {
    Some(match item {
        "pH" => limits((0.0, 14.0), (5.0, 10.0), Some(1.0), Some(1.0), 0.001),
        "DO" => limits((0.0, 25.0), (2.0, 15.0), Some(3.0), Some(3.0), 0.001),
        "COD" => limits((0.0, 2000.0), (0.0, 200.0), Some(30.0), Some(40.0), 0.001),
        "CODMn" | "BOD5" => limits((0.0, 500.0), (0.0, 60.0), Some(10.0), Some(15.0), 0.001),
        "NH3-N" => limits((0.0, 200.0), (0.0, 30.0), Some(3.0), Some(4.0), 0.0001),
        "TP" => limits((0.0, 50.0), (0.0, 5.0), Some(0.5), Some(0.5), 0.0001),
        "TN" => limits((0.0, 200.0), (0.0, 30.0), Some(3.0), Some(4.0), 0.0001),
        "PM2.5" => limits((0.0, 1000.0), (0.0, 500.0), Some(150.0), Some(200.0), 0.01),
        "PM10" => limits((0.0, 2000.0), (0.0, 600.0), Some(200.0), Some(250.0), 0.01),
        "SO2" => limits((0.0, 5000.0), (0.0, 800.0), Some(200.0), Some(250.0), 0.01),
        "NO2" => limits((0.0, 3000.0), (0.0, 500.0), Some(150.0), Some(200.0), 0.01),
        "CO" => limits((0.0, 150.0), (0.0, 30.0), Some(5.0), Some(6.0), 0.0001),
        "O3" => limits((0.0, 2000.0), (0.0, 500.0), Some(150.0), Some(200.0), 0.01),
        _ => return None,
    })
}

/// One value of a series (None: the observation has no number).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Its phenomenon time.
    pub time: DateTime<Utc>,
    /// Its value.
    pub value: Option<f64>,
}

/// A value's flag and the tests that gave it (empty when it passed).
pub type Verdict = (Flag, Vec<&'static str>);

/// The flag of every point of `series` (in time order) under `limits`. The spike test needs
/// both neighbours: the last point is not tested for it until the next arrives.
pub fn flags(series: &[Point], limits: &Limits) -> Vec<Verdict> {
    let mut out = Vec::with_capacity(series.len());
    for (i, p) in series.iter().enumerate() {
        let Some(v) = p.value.filter(|v| v.is_finite()) else {
            out.push((Flag::Missing, vec!["missing"]));
            continue;
        };
        let mut flag = Flag::Pass;
        let mut tests = Vec::new();
        let mut fired = |f: Flag, test: &'static str| {
            flag = flag.max(f);
            tests.push(test);
        };
        if v < limits.fail.0 || v > limits.fail.1 {
            fired(Flag::Fail, "gross_range");
        } else if v < limits.suspect.0 || v > limits.suspect.1 {
            fired(Flag::Suspect, "gross_range");
        }
        // The neighbours the spike and rate tests compare with: the nearest values the
        // instrument could have measured (a failed one says nothing of the water).
        let usable = |q: &&Point| q.value.is_some_and(|x| x.is_finite() && x >= limits.fail.0 && x <= limits.fail.1);
        let before = series[..i].iter().rev().find(usable).map(|q| (q.time, q.value.unwrap_or_default()));
        let after = series[i + 1..].iter().find(usable).and_then(|q| q.value);
        if let (Some(threshold), Some((_, b)), Some(a)) = (limits.spike, before, after) {
            let spike = (v - (a + b) / 2.0).abs() - ((a - b) / 2.0).abs();
            if spike > 2.0 * threshold {
                fired(Flag::Fail, "spike");
            } else if spike > threshold {
                fired(Flag::Suspect, "spike");
            }
        }
        if let (Some(rate), Some((t, b))) = (limits.rate, before) {
            let hours = (p.time - t).num_seconds() as f64 / 3600.0;
            if hours > 0.0 && (v - b).abs() / hours.max(1.0) > rate {
                fired(Flag::Suspect, "rate_of_change");
            }
        }
        let same =
            series[..=i].iter().rev().take_while(|q| q.value.is_some_and(|x| (x - v).abs() <= limits.flat_eps)).count();
        if same >= limits.flat_fail {
            fired(Flag::Fail, "flat_line");
        } else if same >= limits.flat_suspect {
            fired(Flag::Suspect, "flat_line");
        }
        out.push((flag, tests));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn series(values: &[Option<f64>]) -> Vec<Point> {
        let t0 = DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z").unwrap().to_utc();
        values.iter().enumerate().map(|(h, v)| Point { time: t0 + Duration::hours(h as i64), value: *v }).collect()
    }

    fn fired(values: &[Option<f64>], limits: &Limits) -> Vec<(usize, Flag, Vec<&'static str>)> {
        flags(&series(values), limits)
            .into_iter()
            .enumerate()
            .filter(|(_, (f, _))| *f != Flag::Pass)
            .map(|(i, (f, t))| (i, f, t))
            .collect()
    }

    /// COD's limits without the tests not under test.
    fn only(spike: Option<f64>, rate: Option<f64>) -> Limits {
        Limits { spike, rate, flat_suspect: 100, flat_fail: 100, ..defaults("COD").unwrap() }
    }

    #[test]
    fn gross_range_fails_outside_the_instrument_and_doubts_outside_the_plausible() {
        let l = only(None, None);
        let v = [Some(10.0), Some(250.0), Some(-1.0), Some(2000.0), Some(2000.1), Some(200.0)];
        assert_eq!(
            fired(&v, &l),
            [
                (1, Flag::Suspect, vec!["gross_range"]),
                (2, Flag::Fail, vec!["gross_range"]),
                (3, Flag::Suspect, vec!["gross_range"]),
                (4, Flag::Fail, vec!["gross_range"])
            ]
        );
    }

    #[test]
    fn a_spike_is_flagged_where_it_stands_once_its_next_value_is_in() {
        let l = only(Some(30.0), None);
        // 12 → 50 → 13: 37.5 from the neighbours' mean less their half-difference 0.5 = 37 > 30.
        assert_eq!(fired(&[Some(12.0), Some(50.0), Some(13.0)], &l), [(1, Flag::Suspect, vec!["spike"])]);
        // 12 → 80 → 13: 67.5 − 0.5 = 67 > 60: fail.
        assert_eq!(fired(&[Some(12.0), Some(80.0), Some(13.0)], &l), [(1, Flag::Fail, vec!["spike"])]);
        // A step up that stays is no spike; the last value waits for its next.
        assert!(fired(&[Some(12.0), Some(50.0), Some(52.0)], &l).is_empty());
        assert!(fired(&[Some(12.0), Some(13.0), Some(90.0)], &l).is_empty());
        // 12 → 42 → 13: 29.5 − 0.5 = 29: within.
        assert!(fired(&[Some(12.0), Some(42.0), Some(13.0)], &l).is_empty());
    }

    #[test]
    fn rate_of_change_doubts_a_jump_per_hour() {
        let l = only(None, Some(40.0));
        assert_eq!(
            fired(&[Some(10.0), Some(50.0), Some(91.0), Some(60.0)], &l),
            [(2, Flag::Suspect, vec!["rate_of_change"])]
        );
    }

    #[test]
    fn a_flat_line_is_suspect_then_failed() {
        let l = defaults("DO").unwrap();
        let mut v = vec![Some(7.1), Some(7.4)];
        v.extend(std::iter::repeat_n(Some(7.83), 13));
        let got = fired(&v, &l);
        // The sixth equal value (index 7) is suspect, the twelfth (index 13) fails.
        assert_eq!(got.first().map(|g| (g.0, g.1)), Some((7, Flag::Suspect)));
        assert_eq!(got.iter().find(|g| g.1 == Flag::Fail).map(|g| g.0), Some(13));
        assert_eq!(got.len(), 8);
        assert!(got.iter().all(|g| g.2 == ["flat_line"]));
    }

    #[test]
    fn missing_and_failed_values_are_passed_over_by_their_neighbours_tests() {
        let l = only(Some(30.0), Some(40.0));
        // 90 after a gap: 78 above 12 over two hours is 39 an hour, within 40.
        assert_eq!(fired(&[Some(12.0), None, Some(90.0)], &l), [(1, Flag::Missing, vec!["missing"])]);
        // A value beyond the instrument fails alone: the next is compared with the one before it.
        assert_eq!(
            fired(&[Some(12.0), Some(2500.0), Some(14.0), Some(13.0)], &l),
            [(1, Flag::Fail, vec!["gross_range", "spike", "rate_of_change"])]
        );
    }

    #[test]
    fn every_item_of_the_standards_a_station_reports_has_limits() {
        for code in ["pH", "DO", "COD", "NH3-N", "TP", "PM2.5", "PM10", "SO2", "NO2", "CO", "O3"] {
            let l = defaults(code).unwrap();
            assert!(l.fail.0 <= l.suspect.0 && l.suspect.1 <= l.fail.1, "{code}");
        }
    }
}
