//! Response command (应急响应): an incident's response — its level, command post and groups, the
//! plans activated and its end — and the orders (指令) that come back: issued, acknowledged, done
//! or refused, by the addressee or the command, every step in the feed.

pub mod cases;
pub mod command;
pub mod crossings;
pub mod drills;
pub mod hold;
pub mod orders;
pub mod review;
pub mod suggest;
pub mod support;

/// Why a step of a response or an order is refused in the present state.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The incident has no response yet.
    #[error("incident {incident} has no response; declare its level first")]
    NoResponse {
        /// The incident.
        incident: i64,
    },
    /// The response has ended.
    #[error("the response to incident {incident} ended at {at}; nothing changes after the end")]
    Ended {
        /// The incident.
        incident: i64,
        /// When.
        at: chrono::DateTime<chrono::Utc>,
    },
    /// The order is not in a state that allows the step.
    #[error("order {order} is {status}; {step} needs it {needed}")]
    OrderState {
        /// The order.
        order: i64,
        /// Its status.
        status: String,
        /// The step.
        step: &'static str,
        /// The statuses the step needs.
        needed: &'static str,
    },
    /// The support request is decided already.
    #[error("support request {request} is {status} already; it is decided once")]
    Decided {
        /// The request.
        request: i64,
        /// Its status.
        status: String,
    },
    /// The review waits for the response's end or the incident's closing.
    #[error(
        "incident {incident} is still being responded to; its review follows the end of the response or the closing"
    )]
    NotOver {
        /// The incident.
        incident: i64,
    },
    /// The corrective action is done already.
    #[error("corrective action {action} is done already")]
    ActionDone {
        /// The action.
        action: i64,
    },
    /// The drill is not in a state that allows the step.
    #[error("drill {drill} is {status}; {step} needs it {needed}")]
    DrillState {
        /// The drill.
        drill: i64,
        /// Its status.
        status: String,
        /// The step.
        step: &'static str,
        /// The status the step needs.
        needed: String,
    },
    /// The plan is activated already.
    #[error("plan {plan} is activated already in this response")]
    Activated {
        /// The plan.
        plan: i64,
    },
}

impl crate::error::Refusal for Refused {
    fn title(&self) -> &'static str {
        match self {
            Self::NoResponse { .. } => "no response",
            Self::Ended { .. } => "response ended",
            Self::OrderState { .. } => "order not in that state",
            Self::Activated { .. } => "plan activated",
            Self::Decided { .. } => "request decided",
            Self::NotOver { .. } => "response not over",
            Self::ActionDone { .. } => "action done",
            Self::DrillState { .. } => "drill not in that state",
        }
    }
}
