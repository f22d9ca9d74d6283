//! Running the HTTP edge until the process is told to stop: over the database (`onemap serve`),
//! or over an offline package alone (`serve --offline`). The command line only builds the
//! configuration and calls one of these.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, Result};
use sqlx::PgPool;

use super::{AppState, ServerConfig, app, offline, serve};

/// Serves the application on `listen` until SIGINT or SIGTERM, then closes the event streams,
/// finishes the requests in flight and stops the background work.
pub async fn run(pool: PgPool, config: &ServerConfig, listen: SocketAddr) -> Result<()> {
    let state = AppState::start(pool, config).await?;
    let listener = bind(listen).await?;
    tracing::info!("onemap serving http://{}", listener.local_addr()?);
    let closing = state.clone();
    serve(listener, app(state.clone(), config), async move {
        shutdown_signal().await;
        closing.close_streams();
    })
    .await?;
    tracing::info!("shutting down");
    state.stop();
    Ok(())
}

/// Serves the offline package at `path` on `listen`, read-only, no database, until stopped.
pub async fn run_offline(path: &Path, listen: SocketAddr) -> Result<()> {
    let package = offline::Package::open(path).await?;
    let app = offline::router(package).layer(tower_http::compression::CompressionLayer::new());
    let listener = bind(listen).await?;
    tracing::info!("onemap serving the offline package {} on http://{}", path.display(), listener.local_addr()?);
    serve(listener, app, shutdown_signal()).await?;
    Ok(())
}

async fn bind(listen: SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))
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
