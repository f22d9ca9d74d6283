//! The `onemap` command line: serve, import, export, load-demo, user, token, audit, db (the
//! commands live in `onemap::cli`).

#![forbid(unsafe_code)]

use clap::Parser;
use onemap::cli::{self, args::Cli};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("onemap=info,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(err) = cli::run(Cli::parse()).await {
        eprintln!("onemap: {err:#}");
        std::process::exit(1);
    }
}
