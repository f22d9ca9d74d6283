//! The `onemap` command line: its arguments ([`args`], clap), and one module a group of
//! commands; `main.rs` only parses and calls [`run`].

pub mod accounts;
pub mod args;
pub mod database;
pub mod exchange;
pub mod serve;

use anyhow::Result;

use args::{Cli, Command};

/// Runs the command `cli` names.
pub async fn run(cli: Cli) -> Result<()> {
    let args = cli.database;
    match cli.command {
        Command::Serve(serve_args) => serve::serve(&args, serve_args).await,
        Command::Import { layer, file, format } => exchange::import(&args, &layer, &file, format).await,
        Command::ImportOsm { file, bbox, replace_roads } => {
            exchange::import_osm(&args, &file, bbox, replace_roads).await
        }
        Command::Export { layer, format, output } => exchange::export(&args, &layer, format, output.as_deref()).await,
        Command::ExportTiles { output, minzoom, maxzoom, bbox, layers, risk_model } => {
            exchange::export_tiles(&args, &output, minzoom, maxzoom, bbox, layers, risk_model.as_deref()).await
        }
        Command::LoadDemo { data, replace } => exchange::load_demo(&args, &data, replace).await,
        Command::User { action } => {
            database::with_database(&args, async |db| accounts::user_command(&db.pool, action).await).await
        }
        Command::Token { action } => {
            database::with_database(&args, async |db| accounts::token_command(&db.pool, action).await).await
        }
        Command::Audit { what: Some(what), .. } => accounts::audit_action(&args, what).await,
        Command::Audit { what: None, table, id, actor, since, until, limit, full } => {
            let query = crate::auth::audit::AuditQuery { table, id, actor, since, until, before_id: None, limit };
            accounts::audit_list(&args, query, full).await
        }
        Command::Db { action } => database::db_command(&args, action).await,
    }
}
