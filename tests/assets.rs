//! The viewer's files as a browser gets them: gzip-compressed when it takes gzip (the same bytes
//! once inflated), named by an ETag, and 304 with no body when the browser already holds them;
//! the vendored libraries are the files of the packages `package-lock.json` pins.

mod common;

use std::io::Read;

use common::testing::TestServer;
use reqwest::StatusCode;

#[tokio::test]
async fn files_come_compressed_with_an_etag_and_revalidate_with_304() {
    let server = TestServer::start().await.unwrap();
    let client = reqwest::Client::new();
    let source = |path: &str| std::fs::read(format!("{}/src/viewer/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    for (url, file) in
        [("/vendor/maplibre-gl.mjs", "vendor/maplibre-gl.mjs"), ("/viewer/app.js", "app.js"), ("/", "index.html")]
    {
        let original = source(file);
        // Without gzip: the file itself.
        let plain = client.get(server.at(url)).send().await.unwrap();
        assert_eq!(plain.status(), StatusCode::OK);
        assert!(plain.headers().get("content-encoding").is_none(), "{url}");
        let etag = plain.headers()["etag"].to_str().unwrap().to_string();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        assert_eq!(plain.bytes().await.unwrap().as_ref(), original.as_slice(), "{url}");

        // With gzip: compressed, smaller, the same once inflated, the same ETag.
        let zipped = client.get(server.at(url)).header("accept-encoding", "gzip, deflate").send().await.unwrap();
        assert_eq!(zipped.headers()["content-encoding"], "gzip", "{url}");
        assert_eq!(zipped.headers()["etag"].to_str().unwrap(), etag);
        assert!(zipped.headers()["vary"].to_str().unwrap().to_lowercase().contains("accept-encoding"));
        let bytes = zipped.bytes().await.unwrap();
        assert!(bytes.len() < original.len(), "{url}: {} of {}", bytes.len(), original.len());
        let mut inflated = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_ref()).read_to_end(&mut inflated).unwrap();
        assert_eq!(inflated, original, "{url}");

        // Held by the browser: 304 and no body; another version: the file again.
        let held = client.get(server.at(url)).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(held.status(), StatusCode::NOT_MODIFIED, "{url}");
        assert_eq!(held.headers()["etag"].to_str().unwrap(), etag);
        assert!(held.bytes().await.unwrap().is_empty());
        let other = client.get(server.at(url)).header("if-none-match", "\"0000000000000000\"").send().await.unwrap();
        assert_eq!(other.status(), StatusCode::OK);
        // A client that refuses gzip gets the file itself.
        let refused = client.get(server.at(url)).header("accept-encoding", "gzip;q=0").send().await.unwrap();
        assert!(refused.headers().get("content-encoding").is_none(), "{url}");
    }
}

#[test]
fn the_vendored_libraries_are_the_locked_packages_files() {
    // scripts/vendor's own list of what it copies, read from the script.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(root.join("scripts/vendor")).unwrap();
    let list = script.split("<<'LIST'\n").nth(1).unwrap().split("\nLIST").next().unwrap();
    let lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("package-lock.json")).unwrap()).unwrap();
    let versions = std::fs::read_to_string(root.join("src/viewer/vendor/VERSION")).unwrap();
    let mut files = 0;
    for line in list.lines() {
        let mut words = line.split_whitespace();
        let package = words.next().unwrap();
        let locked = lock["packages"][format!("node_modules/{package}")]["version"].as_str().unwrap();
        assert!(versions.contains(&format!("{package} {locked} from")), "VERSION says another {package} than {locked}");
        for file in words {
            let (from, name) = file.split_once(':').unwrap_or((file, file));
            let name = std::path::Path::new(name).file_name().unwrap();
            let vendored = std::fs::read(root.join("src/viewer/vendor").join(name)).unwrap();
            let installed = std::fs::read(root.join("node_modules").join(package).join(from))
                .unwrap_or_else(|e| panic!("node_modules/{package}/{from} ({e}): run scripts/setup"));
            assert!(
                vendored == installed,
                "src/viewer/vendor/{name:?} is not {package} {locked}'s {from}: run scripts/vendor"
            );
            files += 1;
        }
    }
    assert!(files >= 10, "{files} files listed");
}

#[test]
fn the_pages_share_state_by_handing_it_over_not_through_a_global() {
    // A page's parts share one state.js object, handed to each panel; nothing is published on
    // `window` (the browser tests import state.js to look inside). Only api.js fetches: the
    // outbox replays requests and the service worker caches, both needing the raw answers.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/viewer");
    let published = assigns_to_window();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".js") || name.ends_with(".html")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("window.onemap"), "src/viewer/{name} reaches for window.onemap");
        if let Some(line) = text.lines().find(|l| published(l)) {
            panic!("src/viewer/{name} publishes on window: {line}");
        }
        if name.ends_with(".js") && !["api.js", "outbox.js", "sw.js"].contains(&name.as_str()) {
            assert!(!text.contains("fetch("), "src/viewer/{name} fetches by itself: use api() from api.js");
        }
        files += 1;
    }
    assert!(files >= 20, "{files} files read");
}

/// Whether a line assigns to a property of `window` (`window.x = …`, not `window.x === …`).
fn assigns_to_window() -> impl Fn(&str) -> bool {
    |line: &str| {
        line.match_indices("window.").any(|(at, _)| {
            let rest = &line[at + "window.".len()..];
            let name_end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
            let after = rest[name_end..].trim_start();
            name_end > 0 && after.starts_with('=') && !after.starts_with("==")
        })
    }
}
