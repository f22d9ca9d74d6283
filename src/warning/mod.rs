//! Warnings (预警信息): an area, a level and what to do, told to the receptors in the area and
//! the duty units of its districts, and published as OASIS CAP 1.2 and an Atom feed.

pub mod cap;
pub mod lifecycle;
pub mod record;
pub mod refused;
pub mod status;

/// Warning levels, lowest first (蓝 blue … 红 red).
pub const LEVELS: &[&str] = &crate::layers::words::codes(&crate::layers::words::WARNING_LEVEL);

/// CAP's urgency, severity and certainty for a level.
pub fn cap_terms(level: &str) -> (&'static str, &'static str, &'static str) {
    match level {
        "红" => ("Immediate", "Extreme", "Observed"),
        "橙" => ("Immediate", "Severe", "Likely"),
        "黄" => ("Expected", "Moderate", "Likely"),
        _ => ("Future", "Minor", "Possible"),
    }
}
