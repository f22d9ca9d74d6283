//! Filing numbers (备案编号) as 环发〔2015〕4号 writes them: `县级区划代码-年份-流水号-风险级别`, the
//! level L, M or H for 一般, 较大, 重大, and a trailing T for a plan across districts — e.g.
//! `500112-2026-026-H`, `500112-2026-027-MT`.

use std::fmt;

use crate::error::Error;

/// A filing number, read into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingNumber {
    /// The county-level division's code (县级行政区划代码).
    pub district: String,
    /// The year of filing.
    pub year: i32,
    /// The serial number within the district and year, 1–999.
    pub serial: u16,
    /// The risk level: 一般, 较大 or 重大.
    pub level: &'static str,
    /// Whether the plan covers more than one district (跨区域, T).
    pub across: bool,
}

/// The letter of a risk level.
pub fn letter(level: &str) -> Option<char> {
    match level {
        "一般" => Some('L'),
        "较大" => Some('M'),
        "重大" => Some('H'),
        _ => None,
    }
}

fn level_of(letter: char) -> Option<&'static str> {
    match letter {
        'L' => Some("一般"),
        'M' => Some("较大"),
        'H' => Some("重大"),
        _ => None,
    }
}

impl FilingNumber {
    /// Reads `text`, saying which part is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split('-').collect();
        let [district, year, serial, level] = parts[..] else {
            return Err(format!("`{text}` is not district-year-serial-level (e.g. 500112-2026-026-H)"));
        };
        if district.len() != 6 || !district.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{district}` is not a six-digit county-level division code"));
        }
        let year: i32 = (year.len() == 4)
            .then(|| year.parse().ok())
            .flatten()
            .filter(|y| (2000..=2999).contains(y))
            .ok_or_else(|| format!("`{year}` is not a four-digit year"))?;
        let serial: u16 = (serial.len() == 3 && serial.bytes().all(|b| b.is_ascii_digit()))
            .then(|| serial.parse().ok())
            .flatten()
            .filter(|s| *s > 0)
            .ok_or_else(|| format!("`{serial}` is not a three-digit serial number from 001"))?;
        let (letter, across) = match level.as_bytes() {
            [l] => (*l as char, false),
            [l, b'T'] => (*l as char, true),
            _ => return Err(format!("`{level}` is not a risk level L, M or H, with T for a plan across districts")),
        };
        let level = level_of(letter)
            .ok_or_else(|| format!("`{letter}` is not a risk level: L (一般), M (较大) or H (重大)"))?;
        Ok(Self { district: district.to_string(), year, serial, level, across })
    }

    /// Checks that this number fits the plan it is given to: filed with `district` in `year`,
    /// of risk `level`, across districts or not.
    pub fn check(&self, district: &str, year: i32, level: &str, across: bool) -> Result<(), Error> {
        let bad = |detail: String| Error::invalid("filing_number", detail);
        if self.district != district {
            return Err(bad(format!("{self} is of district {}; the plan is filed with {district}", self.district)));
        }
        if self.year != year {
            return Err(bad(format!("{self} is of {}; the filing is accepted in {year}", self.year)));
        }
        if self.level != level {
            return Err(bad(format!("{self} says {}; the plan's risk level is {level}", self.level)));
        }
        if self.across != across {
            return Err(bad(if across {
                format!("{self} lacks the T of a plan across districts; the plan covers more than one")
            } else {
                format!("{self} ends in T, but the plan covers one district only")
            }));
        }
        Ok(())
    }
}

impl fmt::Display for FilingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = letter(self.level).unwrap_or('L');
        write!(f, "{}-{}-{:03}-{letter}{}", self.district, self.year, self.serial, if self.across { "T" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_and_write_back() {
        for text in ["500112-2026-026-H", "500112-2026-027-MT", "500101-2015-001-L"] {
            assert_eq!(FilingNumber::parse(text).unwrap().to_string(), text);
        }
        let n = FilingNumber::parse("500112-2026-027-MT").unwrap();
        assert_eq!((n.district.as_str(), n.year, n.serial, n.level, n.across), ("500112", 2026, 27, "较大", true));
    }

    #[test]
    fn bad_numbers_say_which_part() {
        for (text, part) in [
            ("500112-2026-026", "district-year"),
            ("50011-2026-026-H", "six-digit"),
            ("500112-26-026-H", "four-digit"),
            ("500112-2026-26-H", "three-digit"),
            ("500112-2026-000-H", "three-digit"),
            ("500112-2026-026-X", "not a risk level"),
            ("500112-2026-026-HX", "not a risk level"),
            ("500112-2026-026-h", "not a risk level"),
            ("500112-2026-026-H-1", "district-year"),
        ] {
            let err = FilingNumber::parse(text).unwrap_err();
            assert!(err.contains(part), "{text}: {err}");
        }
    }

    #[test]
    fn a_number_must_fit_its_plan() {
        let n = FilingNumber::parse("500112-2026-026-H").unwrap();
        assert!(n.check("500112", 2026, "重大", false).is_ok());
        assert!(n.check("500113", 2026, "重大", false).is_err());
        assert!(n.check("500112", 2025, "重大", false).is_err());
        assert!(n.check("500112", 2026, "较大", false).is_err());
        assert!(n.check("500112", 2026, "重大", true).is_err());
    }
}
