//! Test support: a throwaway embedded cluster shared by all test processes, a fresh database
//! per test cloned from a template that already has PostGIS and the migrations, and a real
//! HTTP server on 127.0.0.1.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result};
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};

use onemap::api::{self, AppState, ServerConfig};
use onemap::auth::{Actor, Role, accounts};
use onemap::db::{self, LocalCluster};

/// The test cluster's data directory: `ONEMAP_TEST_DATA_DIR`, else one under the temp dir
/// (reachable by the `postgres` user even when the checkout is under a private home).
pub fn cluster_dir() -> PathBuf {
    match std::env::var_os("ONEMAP_TEST_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("onemap-test-pg-{}", nix::unistd::geteuid())),
    }
}

/// The shared test cluster, started if needed.
pub async fn cluster() -> Result<LocalCluster> {
    let cluster = LocalCluster::new(&cluster_dir())?.fast_unsafe();
    let blocking = cluster.clone();
    tokio::task::spawn_blocking(move || blocking.ensure_running()).await??;
    Ok(cluster)
}

/// Name of the template database for the current migrations.
fn template_name() -> String {
    let checksums: Vec<u8> = db::MIGRATOR.iter().flat_map(|m| m.checksum.iter().copied()).collect();
    let hash = onemap::hash::fnv1a(&checksums);
    format!("onemap_tpl_{hash:016x}")
}

/// Drops the databases of test processes that have ended (each test runs in a process of its
/// own, whose id is in its database's name), and templates of other migrations nobody uses: a
/// kept cluster would otherwise grow by every test of every run. A database another process is
/// dropping at the same moment, or one still in use, is left alone.
async fn drop_stale(admin: &mut PgConnection, template: &str) -> Result<()> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'onemap\\_test\\_%' \
            OR (datname LIKE 'onemap\\_tpl\\_%' AND datname <> $1)",
    )
    .bind(template)
    .fetch_all(&mut *admin)
    .await?;
    for name in names {
        let ended = match name.strip_prefix("onemap_test_").map(|rest| rest.split('_').next().unwrap_or_default()) {
            Some(pid) => pid.parse::<u32>().is_ok_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()),
            None => true,
        };
        if ended && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            let _ = sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).execute(&mut *admin).await;
        }
    }
    Ok(())
}

/// A new, empty database with PostGIS and the schema, and a pool to it.
pub async fn database() -> Result<PgPool> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let cluster = cluster().await?;
    let template = template_name();
    let mut admin = PgConnection::connect_with(&cluster.connect_options("postgres")).await?;
    sqlx::query("SELECT pg_advisory_lock(777)").execute(&mut admin).await?;
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&template)
        .fetch_optional(&mut admin)
        .await?;
    if exists.is_none() {
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {template}"))).execute(&mut admin).await?;
        let pool = PgPoolOptions::new().max_connections(1).connect_with(cluster.connect_options(&template)).await?;
        let prepared = match db::prepare(&pool).await {
            Ok(()) => onemap::write_reference_tables(&pool).await,
            Err(err) => Err(err),
        };
        pool.close().await;
        if let Err(err) = prepared {
            // A half-prepared template must not be used by the next test.
            sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE {template}"))).execute(&mut admin).await?;
            return Err(err.context("cannot prepare the template database"));
        }
    }
    sqlx::query("SELECT pg_advisory_unlock(777)").execute(&mut admin).await?;
    drop_stale(&mut admin, &template).await?;

    // The process id alone repeats across runs on a kept cluster: a random part too.
    let mut salt = [0u8; 4];
    getrandom::fill(&mut salt)?;
    let name = format!(
        "onemap_test_{}_{}_{:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        u32::from_le_bytes(salt)
    );
    let create = format!("CREATE DATABASE {name} TEMPLATE {template}");
    let mut attempt = 0;
    // Another process may be cloning the template at this instant (55006): try again shortly.
    while let Err(err) = sqlx::raw_sql(AssertSqlSafe(&*create)).execute(&mut admin).await {
        attempt += 1;
        if attempt > 50 {
            return Err(err).context("cannot create a test database");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    admin.close().await?;
    let pool = PgPoolOptions::new().max_connections(8).connect_with(cluster.connect_options(&name)).await?;
    Ok(pool)
}

/// A running onemap HTTP server on an ephemeral port of 127.0.0.1, with an administrator whose
/// token the test helpers send by default (see [`default_token`]); [`TestServer::token`] makes
/// users of other roles.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The database it serves.
    pub pool: PgPool,
    /// The administrator's token.
    pub admin_token: String,
}

/// Tokens the helpers send by default, by server URL.
static DEFAULT_TOKENS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

/// The token the test helpers send with a request to `url` (that of its server's administrator).
pub fn default_token(url: &str) -> Option<String> {
    let tokens = DEFAULT_TOKENS.lock().unwrap_or_else(|e| e.into_inner());
    tokens.iter().find(|(base, _)| url.starts_with(base.as_str())).map(|(_, t)| t.clone())
}

impl TestServer {
    /// Starts a server over a fresh database.
    pub async fn start() -> Result<Self> {
        Self::with_config(ServerConfig::default()).await
    }

    /// Starts a server over a fresh database holding the Chongqing demo data.
    pub async fn with_demo() -> Result<Self> {
        let pool = database().await?;
        onemap::exchange::demo::load(&pool, &demo_dir(), false).await?;
        Self::over(pool, ServerConfig::default()).await
    }

    /// Starts a server over a fresh database with `config`.
    pub async fn with_config(config: ServerConfig) -> Result<Self> {
        Self::over(database().await?, config).await
    }

    async fn over(pool: PgPool, config: ServerConfig) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = AppState::start(pool.clone(), &config).await?;
        let app = api::app(state, &config);
        tokio::spawn(api::serve(listener, app, std::future::pending()));
        let admin_token = new_token(&pool, "test-admin", Role::Admin, None).await?;
        DEFAULT_TOKENS.lock().unwrap_or_else(|e| e.into_inner()).push((format!("{url}/"), admin_token.clone()));
        Ok(Self { url, pool, admin_token })
    }

    /// A token of a new user `name` with `role` (bound to `district` if given).
    pub async fn token(&self, name: &str, role: Role, district: Option<&str>) -> Result<String> {
        new_token(&self.pool, name, role, district).await
    }

    /// The full URL of `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

/// Adds user `name` (password `name` + "-Password1") and returns a new token of theirs.
pub async fn new_token(pool: &PgPool, name: &str, role: Role, district: Option<&str>) -> Result<String> {
    let me = Actor::command_line();
    accounts::add_user(pool, &me, name, role, district, &format!("{name}-Password1"), None).await?;
    Ok(accounts::create_token(pool, &me, name, None, Some("test")).await?.1)
}

/// The demo data directory of this checkout.
pub fn demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/chongqing")
}

/// A libpq URL of the database behind `pool`, for running the `onemap` binary against it.
pub async fn url_of(pool: &PgPool) -> Result<String> {
    let name: String = sqlx::query_scalar("SELECT current_database()::text").fetch_one(pool).await?;
    Ok(cluster().await?.url(&name))
}
