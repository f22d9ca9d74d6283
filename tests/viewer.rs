//! The viewer in a real headless Chromium (Debian's), driven by `tests/browser/viewer.mjs`
//! (playwright-core) against a real onemap with the demo data.

use onemap::testing::{TestServer, demo_dir};

#[tokio::test]
async fn the_viewer_shows_every_layer_pops_up_searches_and_updates_live() {
    let server = TestServer::start().await.unwrap();
    onemap::exchange::demo::load(&server.pool, &demo_dir(), true).await.unwrap();
    // The demo was loaded by plain SQL: wait until the snapshot has every layer.
    for _ in 0..200 {
        let (_, tj): (u16, serde_json::Value) = {
            let r = reqwest::get(server.at("/tiles/district.json")).await.unwrap();
            (r.status().as_u16(), r.json().await.unwrap())
        };
        if tj["bounds"][0].as_f64().unwrap_or(-180.0) > 100.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let screenshot = format!("{root}/target/viewer.png");
    let output = tokio::process::Command::new("node")
        .arg(format!("{root}/tests/browser/viewer.mjs"))
        .arg(&server.url)
        .arg(&screenshot)
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
