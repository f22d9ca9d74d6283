//! The `onemap` command line: its arguments ([`args`], clap), and one module a group of
//! commands; `main.rs` only parses and calls [`run`].

pub mod accounts;
pub mod args;
pub mod database;
pub mod exchange;
pub mod serve;

use std::fs::File;
use std::io::{BufWriter, Write};

use anyhow::{Context, Result};

use crate::auth::{Actor, audit};
use crate::exchange::{demo, export, import, osm};
use crate::layers;
use args::{Cli, Command};

/// Runs the command `cli` names.
pub async fn run(cli: Cli) -> Result<()> {
    let args = cli.database;
    match cli.command {
        Command::Serve(serve_args) => serve::serve(&args, serve_args).await,
        Command::Import { layer, file, format } => {
            let layer = layers::find(&layer)?;
            database::with_database(&args, async |db| {
                let summary = import::import_file(&db.pool, &Actor::command_line(), layer, &file, format).await?;
                println!("{summary}");
                Ok(())
            })
            .await
        }
        Command::ImportOsm { file, bbox, replace_roads } => {
            database::with_database(&args, async |db| {
                println!("{}", osm::import(&db.pool, &Actor::command_line(), &file, bbox, replace_roads).await?);
                Ok(())
            })
            .await
        }
        Command::Export { layer, format, output } => {
            let layer = layers::find(&layer)?;
            database::with_database(&args, async |db| {
                let mut out: Box<dyn Write> = match &output {
                    Some(path) => Box::new(BufWriter::new(
                        File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
                    )),
                    None => Box::new(BufWriter::new(std::io::stdout().lock())),
                };
                let n = export::export(&db.pool, layer, format, &mut out).await?;
                eprintln!("exported {n} {} features", layer.name);
                Ok(())
            })
            .await
        }
        Command::ExportTiles { output, minzoom, maxzoom, bbox, layers, risk_model } => {
            exchange::export_tiles(&args, &output, minzoom, maxzoom, bbox, layers, risk_model.as_deref()).await
        }
        Command::LoadDemo { data, replace } => {
            database::with_database(&args, async |db| {
                match demo::load(&db.pool, &data, replace).await? {
                    None => println!("demo data already loaded (use --replace to load it again)"),
                    Some(counts) => {
                        let parts: Vec<String> = counts.iter().map(|(l, n)| format!("{n} {l}")).collect();
                        println!("loaded the Chongqing demo data: {}", parts.join(", "));
                    }
                }
                Ok(())
            })
            .await
        }
        Command::User { action } => {
            database::with_database(&args, async |db| accounts::user_command(&db.pool, action).await).await
        }
        Command::Token { action } => {
            database::with_database(&args, async |db| accounts::token_command(&db.pool, action).await).await
        }
        Command::Audit { what: Some(what), .. } => accounts::audit_action(&args, what).await,
        Command::Audit { what: None, table, id, actor, since, until, limit, full } => {
            let query = audit::AuditQuery { table, id, actor, since, until, before_id: None, limit };
            database::with_database(&args, async |db| {
                let records = audit::read(&db.pool, &Actor::command_line(), &query).await?;
                accounts::print_audit(&records, full);
                Ok(())
            })
            .await
        }
        Command::Db { action } => database::db_command(&args, action).await,
    }
}
