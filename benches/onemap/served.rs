//! The release `onemap serve` in a process of its own, as an operator starts it: for the
//! figures that a server in the benchmark's own process would blur (its start, its memory, its
//! threads beside the clients').

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use onemap::db::LocalCluster;

/// A running `onemap serve`, killed when dropped.
pub struct Served {
    child: Child,
    /// Seconds from its start until `/health` answered.
    pub ready_s: f64,
    /// Told when its log says the landmarks are ready.
    pub landmarks: std::sync::mpsc::Receiver<()>,
    /// `http://127.0.0.1:port`.
    pub base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts it on `database` with anonymous reads and `more` arguments, and waits until it answers.
    pub async fn start(cluster: &LocalCluster, database: &str, more: &[&str]) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_onemap"))
            .args(["serve", "--public-read", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--database-url")
            .arg(cluster.url(database))
            .args(more)
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
                let base = format!("http://127.0.0.1:{port}");
                return Ok(Self { ready_s: started.elapsed().as_secs_f64(), child, landmarks, base });
            }
            if started.elapsed() > Duration::from_secs(300) || child.try_wait()?.is_some() {
                bail!("onemap serve on {database} did not answer");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Resident memory now, MB.
    pub fn resident_mb(&self) -> Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("VmRSS")?;
        Ok(kb / 1000.0)
    }
}
