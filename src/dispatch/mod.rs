//! Incidents and dispatch: what to send where (allocation), and committing it safely.

pub mod allocate;
pub mod commit;
pub mod plan;
pub mod proposal;
pub mod record;
pub mod refused;
pub mod sources;
pub mod status;
