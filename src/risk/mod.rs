//! Risk for planners: enterprise grading after HJ 941-2018, and tracing spills along rivers.

pub mod grading;
pub mod trace;
