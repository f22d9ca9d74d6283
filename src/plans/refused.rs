//! Why a step of a plan's life is refused in the present state.

use super::codes::{FilingStatus, VersionStatus};

/// A refusal of a plan's step: nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The step needs the version in another state.
    #[error("version {number} of plan {plan} is {status}; {step} needs it {needed}")]
    VersionState {
        /// The plan.
        plan: i64,
        /// The version's number.
        number: i32,
        /// Its status.
        status: VersionStatus,
        /// The step asked for.
        step: &'static str,
        /// The status (or statuses) it needs, in words.
        needed: &'static str,
    },
    /// A plan has one version being prepared at a time.
    #[error("plan {plan} has version {number} {status} still; finish or withdraw it before a new one")]
    OpenVersion {
        /// The plan.
        plan: i64,
        /// The open version's number.
        number: i32,
        /// Its status.
        status: VersionStatus,
    },
    /// The filing was decided already.
    #[error("filing {id} is {status} already; a filing is decided once")]
    Decided {
        /// The filing.
        id: i64,
        /// What it became.
        status: FilingStatus,
    },
    /// A filing cannot be accepted while documents are missing.
    #[error("filing {id} lacks {}; return it listing what is missing", missing.join("、"))]
    DocumentsMissing {
        /// The filing.
        id: i64,
        /// The documents missing, in Chinese.
        missing: Vec<&'static str>,
    },
    /// The filing number is taken.
    #[error("filing number {number} is given already (filing {other})")]
    NumberTaken {
        /// The number.
        number: String,
        /// The filing that has it.
        other: i64,
    },
    /// The district's serial numbers for the year are used up.
    #[error("the serial numbers of {prefix} are used up (999)")]
    SerialsUsedUp {
        /// `district-year`.
        prefix: String,
    },
    /// A version's documents are as many as one takes.
    #[error("version {version} has {count} documents already, the most one version takes")]
    TooManyDocuments {
        /// The version.
        version: i64,
        /// Its documents.
        count: i64,
    },
    /// A parent would make the plan set a loop.
    #[error("plan {parent} sits under plan {plan} already; a plan set is a tree")]
    Loop {
        /// The plan.
        plan: i64,
        /// The parent asked for.
        parent: i64,
    },
    /// A hazard is put right once.
    #[error("inspection {inspection} was put right already")]
    Rectified {
        /// The inspection.
        inspection: i64,
    },
}

impl crate::error::Refusal for Refused {
    fn title(&self) -> &'static str {
        match self {
            Self::VersionState { .. } => "plan version not in that state",
            Self::OpenVersion { .. } => "plan version open",
            Self::Decided { .. } => "filing decided",
            Self::DocumentsMissing { .. } => "documents missing",
            Self::NumberTaken { .. } => "filing number taken",
            Self::SerialsUsedUp { .. } => "serial numbers used up",
            Self::TooManyDocuments { .. } => "too many documents",
            Self::Loop { .. } => "plan set loop",
            Self::Rectified { .. } => "put right already",
        }
    }

    fn details(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut map = serde_json::Map::new();
        if let Self::DocumentsMissing { missing, .. } = self {
            map.insert("missing".into(), missing.clone().into());
        }
        map
    }
}
