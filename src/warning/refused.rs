//! Why a step of a warning's life is refused in the present state.

use super::status::Status;

/// A refusal of a warning's step: nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// An issued warning is changed by an update, not an edit.
    #[error("warning {id} is {status}; an issued warning is changed by POST /api/warnings/{id}/update")]
    NotEditable {
        /// The warning.
        id: i64,
        /// Its status.
        status: Status,
    },
    /// Only a draft is issued.
    #[error("warning {id} is {status}; only a draft is issued")]
    NotADraft {
        /// The warning.
        id: i64,
        /// Its status.
        status: Status,
    },
    /// The draft expires before now.
    #[error("warning {id} expires before now; change expires first")]
    Expired {
        /// The warning.
        id: i64,
    },
    /// Only a warning in force is updated.
    #[error("warning {id} is {state}; only a warning in force is updated")]
    NotInForce {
        /// The warning.
        id: i64,
        /// Its state (a status, or expired).
        state: &'static str,
    },
    /// Only an issued warning is cancelled.
    #[error("warning {id} is {status}; only an issued warning is cancelled")]
    NotIssued {
        /// The warning.
        id: i64,
        /// Its status.
        status: Status,
    },
    /// Nobody is told of a draft.
    #[error("warning {id} is a draft; nobody is told of a draft")]
    Draft {
        /// The warning.
        id: i64,
    },
}

impl crate::error::Refusal for Refused {
    fn title(&self) -> &'static str {
        match self {
            Self::NotEditable { .. } => "warning issued",
            Self::NotADraft { .. } => "warning not a draft",
            Self::Expired { .. } => "warning expired",
            Self::NotInForce { .. } => "warning not in force",
            Self::NotIssued { .. } | Self::Draft { .. } => "warning not issued",
        }
    }
}
