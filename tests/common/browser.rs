//! Runs a browser test script (`tests/browser/*.mjs`, Node and Debian's Chromium) and reads the
//! one JSON line it prints last; fails with what it said otherwise. Async: the test server
//! answers on the same runtime.

use serde_json::Value;

/// Runs `tests/browser/{script}` with `args`; its result.
pub async fn run(script: &str, args: &[String]) -> Value {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = tokio::process::Command::new("node")
        .arg(format!("{root}/tests/browser/{script}"))
        .args(args)
        .output()
        .await
        .expect("node (scripts/setup installs the browser test's packages)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.trim().lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}
