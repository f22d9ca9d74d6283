//! Risk for planners: enterprise grading after HJ 941-2018, regional and road risk indexes,
//! and tracing spills along rivers.

pub mod coverage;
pub mod grade_check;
pub mod grading;
pub mod interception;
pub mod map;
pub mod model;
pub mod read;
pub mod regions;
pub mod trace;
pub mod traced;
