//! The `onemap` command line: serve, import, export, load-demo, db.

use std::fs::File;
use std::io::{BufWriter, Write};

use anyhow::{Context, Result};
use clap::Parser;
use onemap::api::{self, AppState, ServerConfig};
use onemap::config::{Cli, Command, DatabaseArgs, DbAction, ServeArgs};
use onemap::db::{self, Database, LocalCluster};
use onemap::exchange::{demo, export, import, osm};
use onemap::layers;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("onemap=info,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Err(err) = run(cli).await {
        eprintln!("onemap: {err:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    let args = cli.database;
    match cli.command {
        Command::Serve(serve_args) => serve(&args, serve_args).await,
        Command::Import { layer, file, format } => {
            let layer = layers::find(&layer)?;
            with_database(&args, async |db| {
                let summary = import::import_file(&db.pool, layer, &file, format).await?;
                println!("{summary}");
                Ok(())
            })
            .await
        }
        Command::ImportOsm { file, bbox, replace_roads } => {
            let bbox = bbox
                .map(|b| onemap::layers::query::parse_bbox(&b).map_err(|e| anyhow::anyhow!("--bbox: {}", e.detail)))
                .transpose()?;
            with_database(&args, async |db| {
                println!("{}", osm::import(&db.pool, &file, bbox, replace_roads).await?);
                Ok(())
            })
            .await
        }
        Command::Export { layer, format, output } => {
            let layer = layers::find(&layer)?;
            with_database(&args, async |db| {
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
        Command::LoadDemo { data, replace } => {
            with_database(&args, async |db| {
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
        Command::Db { action } => db_command(&args, action).await,
    }
}

/// Opens the database for one command; stops the embedded cluster after if this started it.
async fn with_database(args: &DatabaseArgs, body: impl AsyncFnOnce(&Database) -> Result<()>) -> Result<()> {
    let database = Database::open(args.database_url.as_deref(), &args.data_dir, 4).await?;
    let result = body(&database).await;
    let stop = database.started_cluster;
    database.close(stop).await?;
    result
}

async fn serve(args: &DatabaseArgs, serve: ServeArgs) -> Result<()> {
    // A bad model is refused before anything starts.
    let risk_model = match &serve.risk_model {
        Some(path) => onemap::risk::model::Model::parse(
            &std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
        )
        .with_context(|| format!("{}", path.display()))?,
        None => onemap::risk::model::Model::builtin(),
    };
    let database = Database::open(args.database_url.as_deref(), &args.data_dir, serve.max_connections).await?;
    let config = ServerConfig {
        max_body_bytes: serve.max_body_mb * 1024 * 1024,
        tile_cache_entries: serve.tile_cache_entries,
        risk_model,
    };
    let state = AppState::start(database.pool.clone(), &config).await?;
    let app = api::app(state.clone(), &config);
    let listener = tokio::net::TcpListener::bind(serve.listen)
        .await
        .with_context(|| format!("cannot listen on {}", serve.listen))?;
    tracing::info!("onemap serving http://{}", listener.local_addr()?);
    api::serve(listener, app, shutdown_signal()).await?;
    tracing::info!("shutting down");
    state.stop();
    database.close(!serve.keep_db_running).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn db_command(args: &DatabaseArgs, action: DbAction) -> Result<()> {
    if args.database_url.is_some() {
        anyhow::bail!("DATABASE_URL is set: onemap manages no cluster of its own");
    }
    let cluster = LocalCluster::new(&args.data_dir)?;
    match action {
        DbAction::Start => {
            let database = Database::open(None, &args.data_dir, 2).await?;
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
