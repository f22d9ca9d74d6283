//! Lean at scale: the release `onemap serve` on the generated network of a million road
//! segments, as an operator starts it: seconds from its start until it answers (the database
//! already running), and its resident memory when it answers and once the road graph's
//! landmarks are computed, beside the same server on an empty database (what the road graph
//! and the map snapshot add).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use onemap::db::{self, LocalCluster};

/// The figure to stay within (issue 25): road graph and map snapshot together.
const BUDGET_MB: f64 = 500.0;
/// The figure to stay within: ready after the database answers.
const READY_S: f64 = 3.0;

/// A running `onemap serve`, killed when dropped.
struct Served {
    child: Child,
    ready_s: f64,
    landmarks: std::sync::mpsc::Receiver<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    async fn start(cluster: &LocalCluster, database: &str) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_onemap"))
            .args(["serve", "--public-read", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--database-url")
            .arg(cluster.url(database))
            .env("RUST_LOG", "onemap=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start onemap serve")?;
        // The log (on standard error) says when the landmarks are ready.
        let (tell, landmarks) = std::sync::mpsc::channel();
        let log = child.stderr.take().context("its log")?;
        std::thread::spawn(move || {
            for line in BufReader::new(log).lines().map_while(Result::ok) {
                if line.contains("landmarks ready") {
                    let _ = tell.send(());
                }
            }
        });
        let health = format!("http://127.0.0.1:{port}/health");
        loop {
            if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
                return Ok(Self { ready_s: started.elapsed().as_secs_f64(), child, landmarks });
            }
            if started.elapsed() > Duration::from_secs(300) || child.try_wait()?.is_some() {
                bail!("onemap serve on {database} did not answer");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Resident memory now, MB.
    fn resident_mb(&self) -> Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("VmRSS")?;
        Ok(kb / 1000.0)
    }
}

/// Prints the figures for the generated province of side `side`.
pub async fn run(cluster: &LocalCluster, side: usize) -> Result<()> {
    let database = &super::routing::province_name(side);
    let segments: i64 = sqlx::query_scalar("SELECT count(*) FROM route")
        .fetch_one(&super::routing::province(cluster, side).await?)
        .await?;
    db::ensure_database(cluster, "bench_empty").await?;
    let empty = Served::start(cluster, "bench_empty").await?;
    let (base, empty_s) = (empty.resident_mb()?, empty.ready_s);
    drop(empty);
    let full = Served::start(cluster, database).await?;
    let at_ready = full.resident_mb()?;
    let waited = Instant::now();
    full.landmarks.recv_timeout(Duration::from_secs(120)).context("the landmarks were not ready in 2 minutes")?;
    let with_landmarks = full.resident_mb()?;
    println!(
        "lean at scale: onemap serve on {segments} road segments ready {:.1} s after start (target ≤ {READY_S} s; an empty \
         database: {:.2} s); resident {at_ready:.0} MB when ready, {with_landmarks:.0} MB with the landmarks ({:.1} s later), \
         against {base:.0} MB on an empty database: the road graph and the map snapshot take {:.0} MB (target ≤ {BUDGET_MB} MB)",
        full.ready_s,
        empty_s,
        waited.elapsed().as_secs_f64(),
        with_landmarks - base,
    );
    Ok(())
}
