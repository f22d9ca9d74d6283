//! `onemap serve`: the service over the database, or `--offline` over a package alone.

use std::path::Path;

use anyhow::{Context, Result};

use super::args::{DatabaseArgs, ServeArgs};
use super::exchange::risk_model;
use crate::api::{self, AppState, ServerConfig};
use crate::db::Database;

/// `serve --offline FILE.pmtiles`: the package alone, read-only, no database.
async fn serve_offline(path: &Path, listen: std::net::SocketAddr) -> Result<()> {
    let package = api::offline::Package::open(path).await?;
    let app = api::offline::router(package).layer(tower_http::compression::CompressionLayer::new());
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!("onemap serving the offline package {} on http://{}", path.display(), listener.local_addr()?);
    api::serve(listener, app, shutdown_signal()).await?;
    Ok(())
}

pub async fn serve(args: &DatabaseArgs, serve: ServeArgs) -> Result<()> {
    if let Some(path) = &serve.offline {
        return serve_offline(path, serve.listen).await;
    }
    // A bad model is refused before anything starts.
    let risk_model = risk_model(serve.risk_model.as_deref())?;
    let report_deadlines = match &serve.report_deadlines {
        Some(path) => crate::duty::deadlines::Deadlines::parse(
            &std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
        )
        .with_context(|| format!("{}", path.display()))?,
        None => crate::duty::deadlines::Deadlines::builtin(),
    };
    let database = Database::open(args.database_url.as_deref(), &args.data_dir, serve.max_connections).await?;
    crate::write_reference_tables(&database.pool).await?;
    let config = ServerConfig {
        report_deadlines,
        deadline_check: std::time::Duration::from_secs(serve.deadline_check_s),
        max_body_bytes: serve.max_body_mb * 1024 * 1024,
        tile_cache_mb: serve.tile_cache_mb,
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
