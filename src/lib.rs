//! onemap: the environmental emergency "one map" (环境应急一张图) of a city or province.
//!
//! PostGIS is the system of record; this crate validates, stores and serves the registry of
//! risk sources, receptors, routes, depots with their stock, teams and experts.

#![forbid(unsafe_code)]

pub mod air;
pub mod api;
pub mod attachments;
pub mod auth;
pub mod cli;
pub mod codes;
pub mod db;
pub mod dispatch;
pub mod duty;
pub mod error;
pub mod exchange;
pub mod feed;
pub mod geodesy;
pub mod hash;
pub mod layers;
pub mod monitoring;
pub mod plans;
pub mod random;
pub mod response;
pub mod risk;
pub mod routing;
pub mod sensing;
pub mod snapshot;
pub mod standards;
pub mod text;
pub mod tiles;
pub mod time;
pub mod viewer;
pub mod warning;
pub mod work;

/// Writes the reference tables the database's triggers read, from the code that defines them
/// (the HJ 941-2018 grading matrix); called after every [`db::Database::open`] or
/// [`db::prepare`], since the database sits below the areas that define them.
pub async fn write_reference_tables(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    use anyhow::Context;
    risk::grading::sync_matrix(pool).await.context("cannot write the HJ 941-2018 grading matrix")
}
