//! Routing on the road network: the graph built from `route` rows, snapping points to it, and
//! the bounded one-to-many search that ranks depots and teams by travel time to an incident.

pub mod arrivals;
pub mod bounded;
pub mod coverage;
pub mod graph;
pub mod landmarks;
mod layout;
pub mod live;
pub mod path;
pub mod request;
pub mod rivers;
pub mod route;
pub mod rules;
pub mod search;
pub mod snap;
pub mod turning;
pub mod turns;

pub use graph::RoadGraph;
pub use snap::Snap;
