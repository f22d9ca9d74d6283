//! Monitoring's data model and its open face: OGC SensorThings API 1.1, Part 1 Sensing.
//! Stations (fixed automatic stations and emergency sampling points alike) are Things; what
//! they measure are Datastreams; each measurement an Observation. The entity sets are
//! described once ([`model`]); requests are read into a path ([`path`]) and query options
//! ([`options`], [`filter`]), turned into SQL from the catalogue with every literal bound
//! ([`sql`], [`read`]), and written with deep insert ([`write`]) or in bulk ([`data_array`]).
//! Stations speaking HJ 212-2017 over TCP write into the same model ([`hj212`]).

pub mod alarms;
pub mod data_array;
pub mod filter;
pub mod hj212;
pub mod model;
pub mod options;
pub mod path;
pub mod qc;
pub mod read;
pub mod sql;
pub mod state;
pub mod write;

/// The version of the standard served, as its URL says.
pub const VERSION: &str = "v1.1";

/// The conformance classes the service root lists (OGC 18-088, Part 1 Sensing, and the
/// Data Array extension).
pub const CONFORMANCE: [&str; 5] = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array",
];
