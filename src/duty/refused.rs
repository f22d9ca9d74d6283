//! Why the duty desk refuses a step in the present state: a report of its incident, a call.

use serde_json::{Map, Value, json};

use super::report::Stage;

/// A refusal of a report: nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The rule's order (initial, follow-ups, final) does not allow it now.
    #[error("{detail}")]
    OutOfOrder {
        /// The report's stage.
        stage: Stage,
        /// What comes first, or what has ended.
        detail: String,
    },
    /// The incident already has its report of this stage.
    #[error("incident {incident} already has its {} report ({id}, {state} by {author})", stage.name())]
    Exists {
        /// The incident.
        incident: i64,
        /// The stage.
        stage: Stage,
        /// The report there is.
        id: i64,
        /// `submitted` or `a draft`.
        state: &'static str,
        /// Who wrote it.
        author: String,
    },
    /// A submitted report is never changed.
    #[error("report {id} was submitted and is never changed; a correction is a new follow-up")]
    Submitted {
        /// The report.
        id: i64,
    },
    /// A call is screened once.
    #[error("call {intake} was screened already ({status})")]
    Screened {
        /// The call.
        intake: i64,
        /// What it became.
        status: String,
    },
}

impl crate::error::Refusal for Refused {
    fn title(&self) -> &'static str {
        match self {
            Self::OutOfOrder { .. } => "report out of order",
            Self::Exists { .. } => "report exists",
            Self::Submitted { .. } => "report submitted",
            Self::Screened { .. } => "call screened",
        }
    }

    fn details(&self) -> Map<String, Value> {
        let figures = match self {
            Self::OutOfOrder { stage, .. } => json!({"stage": stage.name()}),
            Self::Exists { id, .. } => json!({"report_id": id}),
            Self::Submitted { .. } => json!({}),
            Self::Screened { status, .. } => json!({"status": status}),
        };
        figures.as_object().cloned().unwrap_or_default()
    }
}
