//! Why planning or dispatching is refused in the present state.

use serde_json::{Map, Value, json};

/// A refusal of dispatch: nothing was reserved or changed.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The incident is closed.
    #[error("incident {incident} is {status}; nothing can be planned or dispatched for it")]
    IncidentClosed {
        /// The incident.
        incident: i64,
        /// Its status.
        status: String,
    },
    /// Stock is short or teams are not available: all or nothing.
    #[error(
        "{} item(s) short of free stock and {} team(s) not available; nothing was reserved",
        short.len(),
        unavailable.len()
    )]
    CannotDispatch {
        /// Each item short: depot, item, unit, requested, free now.
        short: Vec<Value>,
        /// Each team not available, with its status.
        unavailable: Vec<Value>,
    },
    /// The status cannot go from `from` to `to`.
    #[error("dispatch {id} is {from}; it cannot become {to}")]
    StatusChange {
        /// The dispatch.
        id: i64,
        /// Its status now.
        from: String,
        /// The status asked for.
        to: &'static str,
    },
}

impl crate::error::Refusal for Refused {
    fn title(&self) -> &'static str {
        match self {
            Self::IncidentClosed { .. } => "incident closed",
            Self::CannotDispatch { .. } => "cannot dispatch",
            Self::StatusChange { .. } => "status change not allowed",
        }
    }

    fn details(&self) -> Map<String, Value> {
        let figures = match self {
            Self::IncidentClosed { .. } => json!({}),
            Self::CannotDispatch { short, unavailable } => json!({"short": short, "unavailable": unavailable}),
            Self::StatusChange { from, .. } => json!({"current": from}),
        };
        figures.as_object().cloned().unwrap_or_default()
    }
}
