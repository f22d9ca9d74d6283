//! Settings from flags and the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::exchange::Format;

/// onemap: the environmental emergency one map.
#[derive(Debug, Parser)]
#[command(name = "onemap", version, about)]
pub struct Cli {
    /// Where the database is.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Which PostgreSQL to use.
#[derive(Debug, Args, Clone)]
pub struct DatabaseArgs {
    /// Use this PostgreSQL server instead of the embedded cluster.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Data directory of the embedded cluster (used when DATABASE_URL is not set).
    #[arg(long, env = "ONEMAP_DATA_DIR", default_value = "data/pg", global = true)]
    pub data_dir: PathBuf,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (and start the embedded database if needed).
    Serve(ServeArgs),
    /// Import a GeoJSON or CSV file into a layer, all or nothing.
    Import {
        /// Layer name (district, risk_source, receptor, route, depot, team, expert, inspection, stock_item).
        layer: String,
        /// The file.
        file: PathBuf,
        /// Format, if the file name does not tell.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Import the drivable roads of an OpenStreetMap extract (.osm.pbf) as routes of kind road.
    ImportOsm {
        /// The .osm.pbf file.
        file: PathBuf,
        /// Only roads wholly inside west,south,east,north (degrees).
        #[arg(long)]
        bbox: Option<String>,
        /// Remove every existing road first.
        #[arg(long)]
        replace_roads: bool,
    },
    /// Export a layer as GeoJSON or CSV.
    Export {
        /// Layer name.
        layer: String,
        /// Format.
        #[arg(long, value_enum, default_value = "geojson")]
        format: Format,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Load the Chongqing demo data (skipped when data is already loaded).
    LoadDemo {
        /// Directory of the demo data.
        #[arg(long, default_value = "data/chongqing")]
        data: PathBuf,
        /// Empty every layer first and load again.
        #[arg(long)]
        replace: bool,
    },
    /// Manage the embedded PostgreSQL cluster.
    Db {
        /// start, stop, status or url.
        #[arg(value_enum)]
        action: DbAction,
    },
}

/// Actions on the embedded cluster.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DbAction {
    /// Start it (creating it on first use), apply migrations.
    Start,
    /// Stop it.
    Stop,
    /// Say whether it runs.
    Status,
    /// Print a libpq URL for psql.
    Url,
}

/// Settings of `onemap serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ONEMAP_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Largest request body, in MB.
    #[arg(long, env = "ONEMAP_MAX_BODY_MB", default_value_t = 20)]
    pub max_body_mb: usize,
    /// Tiles kept in memory (0 turns the tile cache off).
    #[arg(long, env = "ONEMAP_TILE_CACHE", default_value_t = 20_000)]
    pub tile_cache_entries: usize,
    /// Database connections in the pool.
    #[arg(long, default_value_t = 16)]
    pub max_connections: u32,
    /// Parameters of the risk indexes (JSON like config/risk-model.json; default: that file, built in).
    #[arg(long, env = "ONEMAP_RISK_MODEL")]
    pub risk_model: Option<PathBuf>,
    /// Leave the embedded cluster running when onemap exits.
    #[arg(long)]
    pub keep_db_running: bool,
}
