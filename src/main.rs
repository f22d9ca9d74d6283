//! The `onemap` command line: serve, import, export, load-demo, db.

#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use clap::Parser;
use onemap::api::{self, AppState, ServerConfig};
use onemap::auth::{Actor, accounts, audit, security};
use onemap::config::{AuditAction, Cli, Command, DatabaseArgs, DbAction, ServeArgs, TokenAction, UserAction};
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
                let summary = import::import_file(&db.pool, &Actor::command_line(), layer, &file, format).await?;
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
                println!("{}", osm::import(&db.pool, &Actor::command_line(), &file, bbox, replace_roads).await?);
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
        Command::ExportTiles { output, minzoom, maxzoom, bbox, layers, risk_model } => {
            export_tiles(&args, &output, minzoom, maxzoom, bbox, layers, risk_model.as_deref()).await
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
        Command::User { action } => with_database(&args, async |db| user_command(&db.pool, action).await).await,
        Command::Token { action } => with_database(&args, async |db| token_command(&db.pool, action).await).await,
        Command::Audit { what: Some(what), .. } => audit_action(&args, what).await,
        Command::Audit { what: None, table, id, actor, since, until, limit, full } => {
            let time = |t: Option<String>| -> Result<_> {
                t.map(|t| {
                    chrono::DateTime::parse_from_rfc3339(&t)
                        .map(|t| t.to_utc())
                        .with_context(|| format!("`{t}` is not an RFC 3339 time"))
                })
                .transpose()
            };
            let query = audit::AuditQuery {
                table,
                id,
                actor,
                since: time(since)?,
                until: time(until)?,
                before_id: None,
                limit,
            };
            with_database(&args, async |db| {
                let records = audit::read(&db.pool, &Actor::command_line(), &query).await?;
                print_audit(&records, full);
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
    let result = match onemap::write_reference_tables(&database.pool).await {
        Ok(()) => body(&database).await,
        Err(err) => Err(err),
    };
    let stop = database.started_cluster;
    database.close(stop).await?;
    result
}

/// The risk model in `path`, or the built-in one.
fn risk_model(path: Option<&Path>) -> Result<onemap::risk::model::Model> {
    match path {
        Some(path) => onemap::risk::model::Model::parse(
            &std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
        )
        .with_context(|| format!("{}", path.display())),
        None => Ok(onemap::risk::model::Model::builtin()),
    }
}

/// `onemap export-tiles`: checks everything it can before the database, shows progress, and
/// on Ctrl-C removes the unfinished archive.
async fn export_tiles(
    args: &DatabaseArgs,
    output: &Path,
    minzoom: u8,
    maxzoom: u8,
    bbox: Option<String>,
    names: Option<Vec<String>>,
    model: Option<&Path>,
) -> Result<()> {
    use onemap::exchange::package;
    use onemap::tiles::package::Extent;
    let kind = package::Kind::of(output)?;
    let bbox = bbox
        .map(|b| onemap::layers::query::numbers("bbox", &b).map_err(|e| anyhow::anyhow!("--bbox: {}", e.detail)))
        .transpose()?
        .map(|n| {
            <[f64; 4]>::try_from(n)
                .map_err(|n| anyhow::anyhow!("--bbox: {} numbers; give west,south,east,north", n.len()))
        })
        .transpose()?;
    if let Some(b) = bbox {
        Extent::new(minzoom, maxzoom, b)?.count()?;
    }
    let model = risk_model(model)?;
    with_database(args, async |db| {
        let layers = package::layers(&db.pool, model, names.as_deref()).await?;
        let bbox = bbox.or_else(|| package::data_bbox(&layers)).context("the layers are empty: give --bbox")?;
        let extent = Extent::new(minzoom, maxzoom, bbox)?;
        let total = extent.count()?;
        let bar = indicatif::ProgressBar::new(total).with_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} tiles, {elapsed} ({eta} left)")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let (out, shown) = (output.to_path_buf(), bar.clone());
        let work = async move {
            match kind {
                package::Kind::PmTiles => {
                    tokio::task::spawn_blocking(move || {
                        package::write(&out, &layers, &extent, |n| shown.set_position(n))
                    })
                    .await?
                }
                package::Kind::MbTiles => {
                    package::write_mbtiles(&out, &layers, &extent, |n| shown.set_position(n)).await
                }
            }
        };
        let written = tokio::select! {
            done = work => done?,
            _ = tokio::signal::ctrl_c() => {
                let _ = std::fs::remove_file(onemap::tiles::package::partial_path(output));
                anyhow::bail!("interrupted: no package written");
            }
        };
        bar.finish_and_clear();
        println!(
            "wrote {}: {} tiles with data of {} over z{minzoom}–z{maxzoom}, {:.1} MB",
            output.display(),
            written.stored,
            written.tiles,
            written.bytes as f64 / 1e6,
        );
        if kind == package::Kind::PmTiles {
            println!("and {}: open it in a browser and choose the package", package::field_page_path(output).display());
        }
        Ok(())
    })
    .await
}

/// `serve --offline FILE.pmtiles`: the package alone, read-only, no database.
async fn serve_offline(path: &Path, listen: std::net::SocketAddr) -> Result<()> {
    let package = api::offline::Package::open(path).await?;
    let app = api::offline::router(package).layer(tower_http::compression::CompressionLayer::new());
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!("onemap serving the offline package {} on http://{}", path.display(), listener.local_addr()?);
    api::serve(listener, app, shutdown_signal()).await?;
    Ok(())
}

async fn serve(args: &DatabaseArgs, serve: ServeArgs) -> Result<()> {
    if let Some(path) = &serve.offline {
        return serve_offline(path, serve.listen).await;
    }
    // A bad model is refused before anything starts.
    let risk_model = risk_model(serve.risk_model.as_deref())?;
    let report_deadlines = match &serve.report_deadlines {
        Some(path) => onemap::duty::deadlines::Deadlines::parse(
            &std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
        )
        .with_context(|| format!("{}", path.display()))?,
        None => onemap::duty::deadlines::Deadlines::builtin(),
    };
    let database = Database::open(args.database_url.as_deref(), &args.data_dir, serve.max_connections).await?;
    onemap::write_reference_tables(&database.pool).await?;
    let config = ServerConfig {
        report_deadlines,
        deadline_check: std::time::Duration::from_secs(serve.deadline_check_s),
        max_body_bytes: serve.max_body_mb * 1024 * 1024,
        tile_cache_entries: serve.tile_cache_entries,
        risk_model,
        public_read: serve.public_read,
        request_timeout: std::time::Duration::from_secs(serve.request_timeout_s),
        session_idle_minutes: serve.session_idle_minutes,
        streams: api::events::StreamLimits {
            per_user: serve.max_streams_per_user as usize,
            per_address: serve.max_streams_per_address as usize,
            total: serve.max_streams as usize,
        },
    };
    let state = AppState::start(database.pool.clone(), &config).await?;
    let app = api::app(state.clone(), &config);
    let listener = tokio::net::TcpListener::bind(serve.listen)
        .await
        .with_context(|| format!("cannot listen on {}", serve.listen))?;
    tracing::info!("onemap serving http://{}", listener.local_addr()?);
    let closing = state.clone();
    api::serve(listener, app, async move {
        shutdown_signal().await;
        closing.close_streams();
    })
    .await?;
    tracing::info!("shutting down");
    state.stop();
    database.close(!serve.keep_db_running).await
}

/// The password of a new account or a new password: one line from standard input, or a new
/// random one (returned to be printed).
fn password(from_stdin: bool) -> Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        return Ok((password, false));
    }
    Ok((onemap::auth::secret::new_password()?, true))
}

async fn user_command(pool: &sqlx::PgPool, action: UserAction) -> Result<()> {
    let me = Actor::command_line();
    match action {
        UserAction::Add { name, role, district, password_stdin, days } => {
            let role = role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let (password, made) = password(password_stdin)?;
            let id = accounts::add_user(pool, &me, &name, role, district.as_deref(), &password, days).await?;
            println!(
                "added user {name} (id {id}), role {role}{}",
                district.map(|d| format!(", district {d}")).unwrap_or_default()
            );
            if made {
                println!("password (shown once): {password}");
            }
        }
        UserAction::List => {
            println!("{:<6} {:<24} {:<11} {:<9} {:<9} password expires", "id", "name", "role", "district", "status");
            for u in accounts::list_users(pool).await? {
                println!(
                    "{:<6} {:<24} {:<11} {:<9} {:<9} {}",
                    u.id,
                    u.name,
                    u.role,
                    u.district.as_deref().unwrap_or("-"),
                    if u.disabled { "disabled" } else { "active" },
                    u.password_expires_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "never".into())
                );
            }
        }
        UserAction::Totp { name } => {
            let uri = onemap::auth::totp::enrol(pool, &me, &name).await?;
            println!("{}", onemap::auth::totp::qr(&uri));
            println!("scan the code with an authenticator app, or enter this (shown once):");
            println!("{uri}");
        }
        UserAction::Disable { name } => {
            accounts::disable_user(pool, &me, &name).await?;
            println!("disabled {name}: their sessions and tokens no longer work");
        }
        UserAction::Passwd { name, password_stdin, days } => {
            let (password, made) = password(password_stdin)?;
            accounts::set_password(pool, &me, &name, &password, days).await?;
            println!("new password set for {name}; their sessions have ended");
            if made {
                println!("password (shown once): {password}");
            }
        }
    }
    Ok(())
}

async fn token_command(pool: &sqlx::PgPool, action: TokenAction) -> Result<()> {
    let me = Actor::command_line();
    match action {
        TokenAction::Create { name, days, label } => {
            let (id, token) = accounts::create_token(pool, &me, &name, days, label.as_deref()).await?;
            println!(
                "token {id} for {name}{}; it is shown once, keep it now:",
                days.map(|d| format!(", valid {d} days")).unwrap_or_default()
            );
            println!("{token}");
        }
        TokenAction::List => {
            println!("{:<6} {:<24} {:<26} {:<26} label", "id", "user", "expires", "revoked");
            let time = |t: Option<chrono::DateTime<chrono::Utc>>, none: &str| {
                t.map(|t| t.to_rfc3339()).unwrap_or_else(|| none.into())
            };
            for t in accounts::list_tokens(pool).await? {
                println!(
                    "{:<6} {:<24} {:<26} {:<26} {}",
                    t.id,
                    t.user_name,
                    time(t.expires_at, "never"),
                    time(t.revoked_at, "-"),
                    t.label.unwrap_or_default()
                );
            }
        }
        TokenAction::Revoke { id } => {
            accounts::revoke_token(pool, &me, id).await?;
            println!("revoked token {id}");
        }
    }
    Ok(())
}

/// `onemap audit security` and `onemap audit prune`.
async fn audit_action(args: &DatabaseArgs, what: AuditAction) -> Result<()> {
    match what {
        AuditAction::Security { kind, user, since, limit } => {
            let since = since
                .map(|t| chrono::DateTime::parse_from_rfc3339(&t).map(|t| t.to_utc()))
                .transpose()
                .context("--since is not an RFC 3339 time")?;
            let query = security::SecurityQuery { kind, user, since, before_id: None, limit };
            with_database(args, async |db| {
                let records = security::read(&db.pool, &query).await?;
                println!("{:<8} {:<32} {:<15} {:<20} {:<20} {:<16} detail", "id", "at", "kind", "actor", "user", "from");
                for r in &records {
                    let text = |k: &str| r[k].as_str().unwrap_or("").to_string();
                    println!(
                        "{:<8} {:<32} {:<15} {:<20} {:<20} {:<16} {}",
                        r["id"],
                        text("at"),
                        text("kind"),
                        text("actor"),
                        text("user"),
                        text("address"),
                        r["detail"]
                    );
                }
                Ok(())
            })
            .await
        }
        AuditAction::Prune { older_than_days } => {
            with_database(args, async |db| {
                let (audit, security) =
                    security::prune(&db.pool, &Actor::command_line().name, older_than_days).await?;
                println!("pruned records older than {older_than_days} days: {audit} of the audit trail, {security} of the security log");
                Ok(())
            })
            .await
        }
    }
}

fn print_audit(records: &[serde_json::Value], full: bool) {
    println!("{:<8} {:<32} {:<20} {:<7} {:<16} row", "id", "at", "actor", "op", "table");
    for r in records {
        let text = |k: &str| r[k].as_str().unwrap_or("").to_string();
        println!(
            "{:<8} {:<32} {:<20} {:<7} {:<16} {}",
            r["id"],
            text("at"),
            text("actor"),
            text("op"),
            text("table"),
            r["row_id"]
        );
        if full {
            println!("         before: {}", r["before"]);
            println!("         after:  {}", r["after"]);
        }
    }
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
            onemap::write_reference_tables(&database.pool).await?;
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
