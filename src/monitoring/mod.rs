//! Monitoring in command: the alarms that stations raise (listed, acknowledged by whom, made
//! into an intake with one click) and where a river's pollution came from (溯源: the risk
//! sources between an exceeding station and the clean one upstream, with the substances that
//! match), and emergency monitoring of an incident (应急监测: where and when to sample, what
//! the model expects there, the readings against it). The data model and the raising of alarms
//! are [`crate::sensing`]'s.

pub mod alarms;
pub mod dispersion;
pub mod plan;
pub mod sources;

/// Why an alarm's step is refused in its present state.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The alarm is not in a state the step needs.
    #[error("alarm {alarm} is {status}; {step} needs it {needed}")]
    AlarmState {
        /// The alarm.
        alarm: i64,
        /// Its status.
        status: String,
        /// The step.
        step: &'static str,
        /// What it needs.
        needed: &'static str,
    },
    /// The alarm has been made into an intake already.
    #[error("alarm {alarm} is intake {intake} already")]
    Taken {
        /// The alarm.
        alarm: i64,
        /// Its intake.
        intake: i64,
    },
    /// Source tracing is for a water station's exceedance.
    #[error("alarm {alarm} is {what}: its source is traced along the rivers for a water station's exceedance only")]
    NotTraceable {
        /// The alarm.
        alarm: i64,
        /// What it is.
        what: String,
    },
    /// The incident is closed.
    #[error("incident {incident} is closed: its monitoring is over")]
    Closed {
        /// The incident.
        incident: i64,
    },
    /// The plan was issued: it is not proposed or edited again.
    #[error("the monitoring plan of incident {incident} is issued; its points are sampled as ordered")]
    PlanIssued {
        /// The incident.
        incident: i64,
    },
    /// No plan yet.
    #[error("incident {incident} has no monitoring plan; propose one first (POST …/monitoring-plan)")]
    NoPlan {
        /// The incident.
        incident: i64,
    },
    /// The station or the incident is not on a river.
    #[error("{what} {name} is {nearest}: no river to follow")]
    OffRiver {
        /// station or incident.
        what: &'static str,
        /// Its name.
        name: String,
        /// How far the nearest river is, said.
        nearest: String,
    },
}

impl crate::error::Refusal for Refused {
    fn title(&self) -> &'static str {
        match self {
            Refused::AlarmState { .. } => "not in this state",
            Refused::Taken { .. } => "already an intake",
            Refused::NotTraceable { .. } => "not traceable",
            Refused::OffRiver { .. } => "not on a river",
            Refused::Closed { .. } => "incident closed",
            Refused::PlanIssued { .. } => "plan issued",
            Refused::NoPlan { .. } => "no plan",
        }
    }
}
