//! A real `onemap serve` process for the tests that need several servers, or a restart.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The process; dropping it sends SIGTERM and waits (the server finishes and closes its streams).
pub struct Process {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Process {
    /// Starts `onemap serve` on the database at `database_url` with `args`, and waits until
    /// `/health` answers.
    pub async fn start(database_url: &str, args: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_onemap"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let process = Self { child, url: format!("http://127.0.0.1:{port}") };
        for _ in 0..300 {
            if reqwest::get(format!("{}/health", process.url)).await.is_ok_and(|r| r.status().is_success()) {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        drop(process);
        panic!("onemap serve did not start");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.child.wait();
    }
}
