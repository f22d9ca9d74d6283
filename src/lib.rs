//! onemap: the environmental emergency "one map" (环境应急一张图) of a city or province.
//!
//! PostGIS is the system of record; this crate validates, stores and serves the registry of
//! risk sources, receptors, routes, depots with their stock, teams and experts.

pub mod air;
pub mod api;
pub mod attachments;
pub mod auth;
pub mod config;
pub mod db;
pub mod dispatch;
pub mod duty;
pub mod exchange;
pub mod feed;
pub mod hash;
pub mod layers;
pub mod random;
pub mod risk;
pub mod routing;
pub mod snapshot;
pub mod testing;
pub mod text;
pub mod tiles;
pub mod viewer;
pub mod warning;
pub mod work;
