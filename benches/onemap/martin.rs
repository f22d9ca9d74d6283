//! `--with-martin`: Martin, MapLibre's PostGIS tile server (installed from crates.io into
//! `target/martin`, once), on the same rows with the same minimum zooms: a function source
//! running the reference query, measured with its tile cache off and on.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sqlx::{AssertSqlSafe, PgPool};

const VERSION: &str = "1.14.0";

/// The martin binary, installed from crates.io (`cargo install`) the first time.
pub fn binary() -> Result<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/martin");
    let bin = root.join("bin/martin");
    if bin.exists() {
        return Ok(bin);
    }
    println!("installing Martin {VERSION} from crates.io into {} (once; it takes a while)", root.display());
    let status = Command::new(env!("CARGO"))
        .args(["install", &format!("martin@{VERSION}"), "--locked", "--no-default-features", "--features", "postgres"])
        .arg("--root")
        .arg(&root)
        .env("CARGO_TARGET_DIR", root.join("build"))
        .status()?;
    if !status.success() || !bin.exists() {
        bail!("cargo install martin failed");
    }
    Ok(bin)
}

/// Makes `bench_route_mvt(z, x, y)`: the reference tile query as a function Martin can serve.
pub async fn create_function(pool: &PgPool, query: &str) -> Result<()> {
    // The reference binds $1, $2, $3; in a function they are its arguments.
    let body = query.replace("$1", "z").replace("$2", "x").replace("$3", "y");
    sqlx::query(AssertSqlSafe(format!(
        "CREATE OR REPLACE FUNCTION bench_route_mvt(z integer, x integer, y integer) RETURNS bytea \
         LANGUAGE sql STABLE PARALLEL SAFE AS $body$ {body} $body$"
    )))
    .execute(pool)
    .await?;
    Ok(())
}

/// A running martin; stopped when dropped.
pub struct Martin {
    child: Child,
    /// Tile URL template (`…/{z}/{x}/{y}`).
    pub template: String,
}

impl Drop for Martin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Martin {
    /// Starts martin over `connection` (a libpq key-value string) with a tile cache of
    /// `cache_mb` MB (0: none), serving only the function.
    pub async fn start(connection: &str, cache_mb: u64) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/martin");
        std::fs::create_dir_all(&dir)?;
        let config = dir.join(format!("bench-{port}.yaml"));
        std::fs::write(
            &config,
            format!(
                "listen_addresses: 127.0.0.1:{port}\ncache_size_mb: {cache_mb}\nworker_processes: 2\n\
                 postgres:\n  connection_string: '{connection}'\n  pool_size: 40\n  auto_publish: false\n  \
                 functions:\n    bench_route:\n      schema: public\n      function: bench_route_mvt\n      minzoom: 0\n      maxzoom: 22\n"
            ),
        )?;
        let child = Command::new(binary()?)
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start martin")?;
        let martin = Self { child, template: format!("http://127.0.0.1:{port}/bench_route/{{z}}/{{x}}/{{y}}") };
        for _ in 0..300 {
            if reqwest::get(format!("http://127.0.0.1:{port}/health")).await.is_ok_and(|r| r.status().is_success()) {
                return Ok(martin);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("martin did not start (config {})", config.display())
    }
}
