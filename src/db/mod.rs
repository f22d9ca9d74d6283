//! The database: a pool to PostGIS, either the embedded cluster or `DATABASE_URL`,
//! with PostGIS checked and the migrations applied.

pub mod cluster;

use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use sqlx::AssertSqlSafe;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

pub use cluster::LocalCluster;

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Name of the application database inside the embedded cluster.
pub const DATABASE: &str = "onemap";

/// A connected database, and the local cluster behind it when onemap runs its own.
pub struct Database {
    /// The connection pool.
    pub pool: PgPool,
    /// The embedded cluster, if used.
    pub cluster: Option<LocalCluster>,
    /// True when this process started the embedded cluster (and so should stop it).
    pub started_cluster: bool,
}

impl Database {
    /// Connects to `database_url` if given, else starts (or reuses) the cluster in `data_dir`.
    pub async fn open(database_url: Option<&str>, data_dir: &Path, max_connections: u32) -> Result<Self> {
        match database_url {
            Some(url) => {
                let options = PgConnectOptions::from_str(url).context("DATABASE_URL is not a valid PostgreSQL URL")?;
                let pool = connect(options, max_connections).await?;
                prepare(&pool).await?;
                Ok(Self { pool, cluster: None, started_cluster: false })
            }
            None => Self::open_local(LocalCluster::new(data_dir)?, max_connections).await,
        }
    }

    /// Starts (or reuses) `cluster` and connects to its application database. When this call
    /// started the cluster and then fails (PostGIS missing, say), it stops the cluster again.
    pub async fn open_local(cluster: LocalCluster, max_connections: u32) -> Result<Self> {
        let blocking = cluster.clone();
        let started_cluster = tokio::task::spawn_blocking(move || blocking.ensure_running()).await??;
        let opened = async {
            ensure_database(&cluster, DATABASE).await?;
            let pool = connect(cluster.connect_options(DATABASE), max_connections).await?;
            prepare(&pool).await?;
            Ok::<_, anyhow::Error>(pool)
        }
        .await;
        match opened {
            Ok(pool) => Ok(Self { pool, cluster: Some(cluster), started_cluster }),
            Err(err) => {
                if started_cluster {
                    let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
                }
                Err(err)
            }
        }
    }

    /// Closes the pool and stops the embedded cluster when `stop` and one is used.
    pub async fn close(self, stop: bool) -> Result<()> {
        self.pool.close().await;
        if let (true, Some(cluster)) = (stop, self.cluster) {
            tokio::task::spawn_blocking(move || cluster.stop()).await??;
        }
        Ok(())
    }
}

async fn connect(options: PgConnectOptions, max_connections: u32) -> Result<PgPool> {
    let options = options.application_name("onemap").log_statements(tracing::log::LevelFilter::Trace);
    PgPoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await
        .context("cannot connect to PostgreSQL")
}

/// Checks PostGIS and applies the migrations.
pub async fn prepare(pool: &PgPool) -> Result<()> {
    require_extension(pool, "postgis").await?;
    MIGRATOR.run(pool).await.context("cannot apply the database migrations")?;
    Ok(())
}

/// Fails with the package to install when the server lacks `extension`.
pub async fn require_extension(pool: &PgPool, extension: &str) -> Result<()> {
    let available: Option<String> =
        sqlx::query_scalar("SELECT name::text FROM pg_available_extensions WHERE name = $1")
            .bind(extension)
            .fetch_optional(pool)
            .await
            .context("cannot query pg_available_extensions")?;
    if available.is_none() {
        let major: String = sqlx::query_scalar("SELECT current_setting('server_version_num')::int / 10000 || ''")
            .fetch_one(pool)
            .await?;
        let package = match extension {
            "postgis" => format!("postgresql-{major}-postgis-3"),
            "pgrouting" => format!("postgresql-{major}-pgrouting"),
            other => {
                format!("the package that provides the `{other}` extension for PostgreSQL {major}")
            }
        };
        bail!(
            "the PostgreSQL server has no `{extension}` extension: install {package} (for example `apt-get install {package}`; scripts/setup does)"
        );
    }
    Ok(())
}

/// Creates `name` in the embedded cluster if it does not exist.
pub async fn ensure_database(cluster: &LocalCluster, name: &str) -> Result<()> {
    let mut conn = PgConnection::connect_with(&cluster.connect_options("postgres"))
        .await
        .context("cannot connect to the local PostgreSQL cluster")?;
    let exists: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1").bind(name).fetch_optional(&mut conn).await?;
    if exists.is_none() {
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        if let Err(err) = sqlx::raw_sql(AssertSqlSafe(&*sql)).execute(&mut conn).await {
            // Another process may have created it at the same moment.
            let code = err.as_database_error().and_then(|e| e.code()).unwrap_or_default();
            if code != "42P04" {
                return Err(err).context("cannot create the database");
            }
        }
    }
    conn.close().await?;
    Ok(())
}
