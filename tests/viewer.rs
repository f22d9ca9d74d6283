//! The viewer in a real headless Chromium (Debian's), driven by `tests/browser/viewer.mjs`
//! (playwright-core) against a real onemap with the demo data, signed in as a viewer and then
//! as a dispatcher.

mod common;

use common::testing::TestServer;
use onemap::auth::Role;

#[tokio::test]
async fn the_viewer_shows_every_layer_pops_up_searches_and_updates_live() {
    let server = TestServer::with_demo().await.unwrap();
    // Signed in through the page's form (password: name + "-Password1").
    server.token("viewer", Role::Viewer, None).await.unwrap();
    server.token("dispatcher", Role::Dispatcher, None).await.unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let screenshot = format!("{root}/target/viewer.png");
    let output = tokio::process::Command::new("node")
        .arg(format!("{root}/tests/browser/viewer.mjs"))
        .arg(&server.url)
        .arg(&screenshot)
        .arg(&server.admin_token)
        .output()
        .await
        .expect("node (scripts/setup installs the browser test's packages)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    let result: serde_json::Value = serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap();
    println!("{result}");
    assert!(result["live_ms"].as_u64().is_some());
    assert!(std::fs::metadata(&screenshot).unwrap().len() > 10_000, "a real screenshot");
}
