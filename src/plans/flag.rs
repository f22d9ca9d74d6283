//! A revision flag: why a plan in force no longer holds against the map ([`super::checks`]).

use serde::Serialize;

/// Why a plan should be revised, found live.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Flag {
    /// The trigger of article 12: risk, resources or drill.
    pub reason: &'static str,
    /// What exactly, as a key that stays the same while the cause does (the feed tells it once).
    pub key: String,
    /// The scenario it concerns, if one.
    pub scenario_id: Option<i64>,
    /// What is wrong, in words.
    pub detail: String,
}
