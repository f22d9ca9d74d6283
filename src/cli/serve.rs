//! `onemap serve`: the service over the database, or `--offline` over a package alone.

use anyhow::{Context, Result};

use super::args::{DatabaseArgs, ServeArgs};
use super::exchange::risk_model;
use crate::api::{self, ServerConfig, StreamLimits};
use crate::db::Database;

pub async fn serve(args: &DatabaseArgs, serve: ServeArgs) -> Result<()> {
    if let Some(path) = &serve.offline {
        return api::run_offline(path, serve.listen).await;
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
    let plan_scope = match &serve.plan_filing_scope {
        Some(path) => crate::plans::due::Scope::parse(
            &std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
        )
        .with_context(|| format!("{}", path.display()))?,
        None => crate::plans::due::Scope::builtin(),
    };
    if let Some(path) = &serve.calendar_next {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        crate::time::workdays::extend_china(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    let database = Database::open(args.database_url.as_deref(), &args.data_dir, serve.max_connections).await?;
    crate::write_reference_tables(&database.pool).await?;
    let config = ServerConfig {
        report_deadlines,
        plan_scope,
        deadline_check: std::time::Duration::from_secs(serve.deadline_check_s),
        silent_after: std::time::Duration::from_secs_f64(serve.silent_hours * 3600.0),
        max_body_bytes: serve.max_body_mb * 1024 * 1024,
        tile_cache_mb: serve.tile_cache_mb,
        risk_model,
        public_read: serve.public_read,
        request_timeout: std::time::Duration::from_secs(serve.request_timeout_s),
        session_idle_minutes: serve.session_idle_minutes,
        streams: StreamLimits {
            per_user: serve.max_streams_per_user as usize,
            per_address: serve.max_streams_per_address as usize,
            total: serve.max_streams as usize,
        },
    };
    if let Some(address) = serve.hj212 {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen for HJ 212 on {address}"))?;
        tracing::info!(%address, "accepting HJ 212-2017 packets");
        tokio::spawn(crate::sensing::hj212::listen(database.pool.clone(), listener));
    }
    api::run(database.pool.clone(), &config, serve.listen).await?;
    database.close(!serve.keep_db_running).await
}
