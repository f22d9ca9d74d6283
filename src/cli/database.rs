//! The database for one command, and `onemap db`: the embedded cluster started, stopped, asked.

use anyhow::Result;

use super::args::{DatabaseArgs, DbAction};
use crate::db::{self, Database, LocalCluster};

/// Opens the database for one command; stops the embedded cluster after if this started it.
pub async fn with_database(args: &DatabaseArgs, body: impl AsyncFnOnce(&Database) -> Result<()>) -> Result<()> {
    let database = Database::open(args.database_url.as_deref(), &args.data_dir, 4).await?;
    let result = match crate::write_reference_tables(&database.pool).await {
        Ok(()) => body(&database).await,
        Err(err) => Err(err),
    };
    let stop = database.started_cluster;
    database.close(stop).await?;
    result
}

pub async fn db_command(args: &DatabaseArgs, action: DbAction) -> Result<()> {
    if args.database_url.is_some() {
        anyhow::bail!("DATABASE_URL is set: onemap manages no cluster of its own");
    }
    let cluster = LocalCluster::new(&args.data_dir)?;
    match action {
        DbAction::Start => {
            let database = Database::open(None, &args.data_dir, 2).await?;
            crate::write_reference_tables(&database.pool).await?;
            database.close(false).await?;
            println!("running: {}", cluster.url(db::DATABASE));
        }
        DbAction::Stop => {
            cluster.stop()?;
            println!("stopped");
        }
        DbAction::Status => println!("{}", if cluster.is_running() { "running" } else { "stopped" }),
        DbAction::Url => println!("{}", cluster.url(db::DATABASE)),
    }
    Ok(())
}
