//! The command line's arguments and settings from the environment, read by clap into their
//! types (roles, times, boxes): a value that does not read is refused before anything starts.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

use crate::auth::Role;
use crate::exchange::Format;
use crate::layers::query;

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
        #[arg(long, value_parser = bbox)]
        bbox: Option<[f64; 4]>,
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
    /// Write the one map and the risk layers as an offline package (PMTiles v3), each tile as
    /// the server serves it.
    ExportTiles {
        /// The package to write (FILE.pmtiles).
        #[arg(long, short)]
        output: PathBuf,
        /// Lowest zoom.
        #[arg(long, default_value_t = 0)]
        minzoom: u8,
        /// Highest zoom (each zoom about quadruples the tiles).
        #[arg(long, default_value_t = 12)]
        maxzoom: u8,
        /// Only tiles over west,south,east,north in degrees (default: where the data is).
        #[arg(long, value_parser = four_numbers)]
        bbox: Option<[f64; 4]>,
        /// Only these layers, comma-separated (default: every layer of the one map and the risk map).
        #[arg(long, value_delimiter = ',')]
        layers: Option<Vec<String>>,
        /// Parameters of the risk indexes (as for serve).
        #[arg(long, env = "ONEMAP_RISK_MODEL")]
        risk_model: Option<PathBuf>,
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
    /// Manage user accounts.
    User {
        /// What to do.
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage API tokens.
    Token {
        /// What to do.
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Print the audit trail, newest first (or the security log, or prune both).
    #[command(args_conflicts_with_subcommands = true)]
    Audit {
        /// The security log, or pruning.
        #[command(subcommand)]
        what: Option<AuditAction>,
        /// Only this table.
        #[arg(long)]
        table: Option<String>,
        /// Only this row (with --table).
        #[arg(long)]
        id: Option<i64>,
        /// Only changes by this actor.
        #[arg(long)]
        actor: Option<String>,
        /// Changes at or after this time (RFC 3339).
        #[arg(long, value_parser = rfc3339)]
        since: Option<DateTime<Utc>>,
        /// Changes before this time (RFC 3339).
        #[arg(long, value_parser = rfc3339)]
        until: Option<DateTime<Utc>>,
        /// How many records.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Print each record's before and after.
        #[arg(long)]
        full: bool,
    },
    /// Manage the embedded PostgreSQL cluster.
    Db {
        /// start, stop, status or url.
        #[arg(value_enum)]
        action: DbAction,
    },
}

/// Actions on accounts.
#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a user. Without --password-stdin a password is made and printed once.
    Add {
        /// Sign-in name (1–64 characters, no spaces).
        name: String,
        /// viewer, dispatcher, planner, admin or enterprise.
        #[arg(long)]
        role: Role,
        /// Bind the user to a district (区县 code, e.g. 500112): they act for it only.
        #[arg(long, conflicts_with = "credit_code")]
        district: Option<String>,
        /// An enterprise user's unified social credit code (repeat for several): it files the
        /// plans of the risk sources that carry them.
        #[arg(long)]
        credit_code: Vec<String>,
        /// Read the password (one line, at least 10 characters) from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// The password stops working after this many days.
        #[arg(long)]
        days: Option<i64>,
    },
    /// List the users.
    List,
    /// Enrol (or renew) a user's second factor: prints the otpauth:// URI and its QR code once,
    /// for an authenticator app. Administrators sign in with it; others may.
    Totp {
        /// Sign-in name.
        name: String,
    },
    /// Switch a user off: sessions and tokens stop working at once.
    Disable {
        /// Sign-in name.
        name: String,
    },
    /// Set a new password (ends the user's sessions). Without --password-stdin one is made and printed.
    Passwd {
        /// Sign-in name.
        name: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// The password stops working after this many days.
        #[arg(long)]
        days: Option<i64>,
    },
}

/// Actions on API tokens.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token for a user; the token is the last line of the output, shown once.
    Create {
        /// Sign-in name of the owner.
        name: String,
        /// The token stops working after this many days.
        #[arg(long)]
        days: Option<i64>,
        /// What the token is for.
        #[arg(long)]
        label: Option<String>,
    },
    /// List the tokens (never the tokens themselves).
    List,
    /// Revoke a token: it stops working on the next request.
    Revoke {
        /// Token id (from `token create` or `token list`).
        id: i64,
    },
}

/// The security log and the trails' retention.
#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Print the security log, newest first.
    Security {
        /// Only this kind (sign_in, sign_in_failed, locked_out, refused, credential, role, account, prune).
        #[arg(long)]
        kind: Option<String>,
        /// Only records of or by this user.
        #[arg(long)]
        user: Option<String>,
        /// Records at or after this time (RFC 3339).
        #[arg(long, value_parser = rfc3339)]
        since: Option<DateTime<Utc>>,
        /// How many records.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Delete the audit trail's and the security log's records older than the retention.
    Prune {
        /// Age in days of the oldest records kept (at least 180).
        #[arg(long, default_value_t = 180)]
        older_than_days: i64,
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
    /// Memory for encoded tiles, in MB (0 turns the tile cache off).
    #[arg(long, env = "ONEMAP_TILE_CACHE_MB", default_value_t = 256)]
    pub tile_cache_mb: u64,
    /// Database connections in the pool.
    #[arg(long, default_value_t = 16)]
    pub max_connections: u32,
    /// Parameters of the risk indexes (JSON like config/risk-model.json; default: that file, built in).
    #[arg(long, env = "ONEMAP_RISK_MODEL")]
    pub risk_model: Option<PathBuf>,
    /// Deadlines of incident reports by severity (JSON like config/report-deadlines.json;
    /// default: the national rule, built in).
    #[arg(long, env = "ONEMAP_REPORT_DEADLINES")]
    pub report_deadlines: Option<PathBuf>,
    /// Who must file an emergency plan: grades and industries (JSON like
    /// config/plan-filing-scope.json; default: that file, built in).
    #[arg(long, env = "ONEMAP_PLAN_FILING_SCOPE")]
    pub plan_filing_scope: Option<PathBuf>,
    /// The working-day calendar's next years, as the State Council announces them (a table like
    /// data/calendar/china.csv starting the day after it ends); the plans' legal clocks count on it.
    #[arg(long, env = "ONEMAP_CALENDAR_NEXT")]
    pub calendar_next: Option<PathBuf>,
    /// How often to look for report deadlines coming near or passed, in seconds.
    #[arg(long, env = "ONEMAP_DEADLINE_CHECK_S", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub deadline_check_s: u64,
    /// Hours a monitoring station may send nothing before it raises a silence alarm.
    #[arg(long, env = "ONEMAP_SILENT_HOURS", default_value_t = 3.0, value_parser = hours_value)]
    pub silent_hours: f64,
    /// Longest time a request may take before its answer starts, in seconds (a stream then goes on).
    #[arg(long, env = "ONEMAP_REQUEST_TIMEOUT_S", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_s: u64,
    /// Minutes a browser's session lasts without use (it ends after 12 hours in any case).
    #[arg(long, env = "ONEMAP_SESSION_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub session_idle_minutes: u32,
    /// Event streams (`/api/events`) one signed-in user may hold open.
    #[arg(long, env = "ONEMAP_MAX_STREAMS_PER_USER", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_streams_per_user: u64,
    /// Event streams one address may hold open.
    #[arg(long, env = "ONEMAP_MAX_STREAMS_PER_ADDRESS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_streams_per_address: u64,
    /// Event streams open in all.
    #[arg(long, env = "ONEMAP_MAX_STREAMS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_streams: u64,
    /// Let anonymous clients read the map, the tiles and the registry (a wall screen on a closed
    /// network); writes still need a credential.
    #[arg(long, env = "ONEMAP_PUBLIC_READ")]
    pub public_read: bool,
    /// Also accept HJ 212-2017 packets from monitoring stations on this TCP address (e.g.
    /// 0.0.0.0:9212); stations are registered with PUT /api/stations/{id}/hj212.
    #[arg(long, env = "ONEMAP_HJ212", value_name = "ADDR:PORT")]
    pub hj212: Option<SocketAddr>,
    /// Serve this offline package (FILE.pmtiles from export-tiles) read-only, with no database.
    #[arg(long, value_name = "FILE.pmtiles")]
    pub offline: Option<PathBuf>,
    /// Leave the embedded cluster running when onemap exits.
    #[arg(long)]
    pub keep_db_running: bool,
}

/// Hours, more than 0 and at most a week.
fn hours_value(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(h) if h > 0.0 && h <= 168.0 => Ok(h),
        _ => Err(format!("`{text}` is not a number of hours from more than 0 to 168")),
    }
}

/// An RFC 3339 time (`2026-12-06T03:00:00+08:00`).
fn rfc3339(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text).map(|t| t.to_utc()).map_err(|_| format!("`{text}` is not an RFC 3339 time"))
}

/// A box `west,south,east,north` in degrees, within the world, low corner first.
fn bbox(text: &str) -> Result<[f64; 4], String> {
    query::parse_bbox(text).map_err(|e| e.detail)
}

/// Four numbers `west,south,east,north` (the tile extent checks them against the world).
fn four_numbers(text: &str) -> Result<[f64; 4], String> {
    let numbers = query::numbers("bbox", text).map_err(|e| e.detail)?;
    <[f64; 4]>::try_from(numbers).map_err(|n| format!("{} numbers; give west,south,east,north", n.len()))
}
