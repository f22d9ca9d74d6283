//! Offline packages: `onemap export-tiles` writes a PMTiles archive that an independent reader
//! (Protomaps' `pmtiles`) reads back with every tile equal to the served one; bad requests are
//! refused before anything is written, and an interrupted export leaves no file.

mod common;

use std::path::{Path, PathBuf};

use common::testing::{TestServer, url_of};
use onemap::tiles::package::Extent;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::process::Command;

fn export(database_url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_onemap"));
    command.arg("export-tiles").args(args).env("DATABASE_URL", database_url).env("RUST_LOG", "warn");
    command
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("onemap-package-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `program` with `args` and reads the JSON it prints last.
async fn json_of(program: &str, args: &[&str]) -> Value {
    let output = Command::new(program).args(args).output().await.unwrap_or_else(|e| panic!("{program}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{program} {args:?}: {}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    let result = serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap();
    println!("{result}");
    result
}

fn browser_script(name: &str) -> String {
    format!("{}/tests/browser/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The archive as Protomaps' reader sees it.
async fn read_back(archive: &Path) -> Value {
    json_of("node", &[&browser_script("pmtiles.mjs"), archive.to_str().unwrap()]).await
}

/// An MBTiles file as Python's own SQLite reads it: the tiles (unzipped, rows back from TMS) as
/// SHA-256 by z/x/y, and the zooms and bounds, in the shape `read_back` gives.
async fn read_mbtiles(file: &Path) -> Value {
    const READ: &str = r#"
import gzip, hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
meta = dict(db.execute("SELECT name, value FROM metadata"))
w, s, e, n = map(float, meta["bounds"].split(","))
tiles = {f"{z}/{x}/{(1 << z) - 1 - row}": hashlib.sha256(gzip.decompress(data)).hexdigest()
         for z, x, row, data in db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")}
print(json.dumps({"header": {"minZoom": int(meta["minzoom"]), "maxZoom": int(meta["maxzoom"]), "minLon": w, "minLat": s,
                  "maxLon": e, "maxLat": n}, "metadata": json.loads(meta["json"]), "format": meta["format"], "tiles": tiles}))
"#;
    json_of("python3", &["-c", READ, file.to_str().unwrap()]).await
}

/// The served tile of `sources` at z/x/y, concatenated (empty when none has anything there).
async fn served(server: &TestServer, sources: &[&str], z: u8, x: u32, y: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    for source in sources {
        let response = common::raw_get(server.at(&format!("/tiles/{source}/{z}/{x}/{y}.mvt"))).await;
        assert!(response.status().is_success(), "{source} {z}/{x}/{y}: {}", response.status());
        bytes.extend(response.bytes().await.unwrap());
    }
    bytes
}

/// Every tile over the archive's box and zooms: in the archive exactly when served non-empty,
/// with the same bytes. Returns how many were compared.
async fn compare(server: &TestServer, archive: &Value, sources: &[&str]) -> usize {
    let header = &archive["header"];
    let bbox = ["minLon", "minLat", "maxLon", "maxLat"].map(|k| header[k].as_f64().unwrap());
    let (min, max) = (header["minZoom"].as_u64().unwrap() as u8, header["maxZoom"].as_u64().unwrap() as u8);
    let tiles = archive["tiles"].as_object().unwrap();
    let mut with_data = 0;
    for id in Extent::new(min, max, bbox).unwrap().tiles().unwrap() {
        let bytes = served(server, sources, id.z, id.x, id.y).await;
        let key = format!("{}/{}/{}", id.z, id.x, id.y);
        if bytes.is_empty() {
            assert!(!tiles.contains_key(&key), "{key}: empty when served, in the archive");
        } else {
            let hash: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(tiles.get(&key).and_then(Value::as_str), Some(hash.as_str()), "{key}");
            with_data += 1;
        }
    }
    assert_eq!(tiles.len(), with_data, "nothing in the archive that is not served");
    with_data
}

/// The browser drew the map from the package, fetching nothing from elsewhere.
fn assert_drawn(result: &Value) {
    assert!(result["features"].as_u64().unwrap() > 100, "{result}");
    for layer in ["district", "receptor", "route"] {
        assert!(result["layers"].as_array().unwrap().iter().any(|l| l == layer), "{layer} drawn: {result}");
    }
    assert_eq!(result["fetched"], serde_json::json!([]), "nothing fetched from elsewhere");
    assert_eq!(result["page_errors"], serde_json::json!([]));
}

#[tokio::test]
async fn an_exported_package_holds_the_served_tiles() {
    let server = TestServer::with_demo().await.unwrap();
    let url = url_of(&server.pool).await.unwrap();
    let dir = scratch("round-trip");
    let archive = dir.join("chongqing.pmtiles");
    let out = export(&url, &["-o", archive.to_str().unwrap(), "--maxzoom", "9"]).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    println!("{}", String::from_utf8_lossy(&out.stdout).trim());
    assert!(!onemap::tiles::package::partial_path(&archive).exists());

    let read = read_back(&archive).await;
    assert_eq!(read["header"]["specVersion"], 3);
    assert_eq!(read["header"]["tileType"], 1, "MVT");
    assert_eq!((read["header"]["minZoom"].as_u64(), read["header"]["maxZoom"].as_u64()), (Some(0), Some(9)));
    let ids: Vec<&str> =
        read["metadata"]["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    for layer in [
        "district",
        "district_label",
        "route",
        "receptor",
        "risk_source",
        "depot",
        "team",
        "risk_district",
        "risk_grid",
    ] {
        assert!(ids.contains(&layer), "{layer} in {ids:?}");
    }
    let compared = compare(&server, &read, &["onemap", "risk"]).await;
    assert!(compared > 50, "{compared} tiles compared");

    // Its field page opens it from the disk, with no server, as a person would.
    let page = dir.join("chongqing.html");
    let screenshot = format!("{}/target/viewer-field.png", env!("CARGO_MANIFEST_DIR"));
    let result = json_of(
        "node",
        &[&browser_script("offline.mjs"), page.to_str().unwrap(), &screenshot, archive.to_str().unwrap()],
    )
    .await;
    assert_drawn(&result);

    // The same as MBTiles: read by Python's SQLite and by GDAL.
    let mbtiles = dir.join("chongqing.mbtiles");
    let out = export(&url, &["-o", mbtiles.to_str().unwrap(), "--maxzoom", "9"]).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = read_mbtiles(&mbtiles).await;
    assert_eq!(read["format"], "pbf");
    assert_eq!(compare(&server, &read, &["onemap", "risk"]).await, compared);
    let gdal = Command::new("ogrinfo").args(["-ro", "-so", mbtiles.to_str().unwrap()]).output().await.unwrap();
    let listing = String::from_utf8_lossy(&gdal.stdout);
    assert!(
        listing.contains("MBTiles") && listing.contains(": district") && listing.contains(": risk_grid"),
        "{listing}"
    );

    // Some layers over a box: the same as those layers' served tiles.
    let part = dir.join("yuzhong.pmtiles");
    let args = [
        "-o",
        part.to_str().unwrap(),
        "--minzoom",
        "8",
        "--maxzoom",
        "12",
        "--bbox",
        "106.45,29.5,106.6,29.6",
        "--layers",
        "district,team",
    ];
    let out = export(&url, &args).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = read_back(&part).await;
    assert!(compare(&server, &read, &["district", "team"]).await > 5);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn bad_requests_write_nothing_and_an_interrupted_export_leaves_no_file() {
    let server = TestServer::with_demo().await.unwrap();
    let url = url_of(&server.pool).await.unwrap();
    let dir = scratch("refused");
    let file = dir.join("x.pmtiles");
    let f = file.to_str().unwrap();
    for (args, says) in [
        (vec!["-o", f, "--minzoom", "9", "--maxzoom", "3"], "above --maxzoom"),
        (vec!["-o", f, "--bbox", "100,20,200,30"], "outside the world"),
        (vec!["-o", f, "--bbox", "106,29,107"], "3 numbers"),
        (vec!["-o", f, "--maxzoom", "23"], "above 22"),
        (vec!["-o", f, "--maxzoom", "20"], "more than"),
        (vec!["-o", f, "--layers", "team,nope"], "no layer `nope`"),
        (vec!["-o", dir.join("x.zip").to_str().unwrap()], ".pmtiles or .mbtiles"),
    ] {
        let out = export(&url, &args).output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(says), "{args:?}: `{stderr}` should say `{says}`");
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing written");

    // Ctrl-C in the middle: neither the archive nor its unfinished part is left.
    let mut child = export(&url, &["-o", f, "--maxzoom", "16"]).spawn().unwrap();
    let partial = onemap::tiles::package::partial_path(&file);
    // Loading the map and the risk layers comes first; on a busy machine that takes a while.
    let waiting = std::time::Instant::now();
    while !partial.exists() {
        assert!(child.try_wait().unwrap().is_none(), "the export ended before it wrote anything");
        assert!(waiting.elapsed() < std::time::Duration::from_secs(300), "the export never started writing");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id().unwrap() as i32), nix::sys::signal::Signal::SIGINT)
        .unwrap();
    let status = child.wait().await.unwrap();
    assert!(!status.success());
    assert!(
        !file.exists() && !partial.exists(),
        "an interrupted export left {:?}",
        std::fs::read_dir(&dir).unwrap().collect::<Vec<_>>()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn serve_offline_serves_the_package_read_only_and_its_map_draws() {
    let server = TestServer::with_demo().await.unwrap();
    let url = url_of(&server.pool).await.unwrap();
    let dir = scratch("offline");
    let archive = dir.join("field.pmtiles");
    let out = export(&url, &["-o", archive.to_str().unwrap(), "--maxzoom", "8"]).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // No database is needed: give it one that does not exist.
    let offline =
        common::serve::Process::start("postgres://nobody@127.0.0.1:1/none", &["--offline", archive.to_str().unwrap()])
            .await;
    let (status, health) = common::get(&format!("{}/health", offline.url)).await;
    assert_eq!((status.as_u16(), health["mode"].as_str()), (200, Some("offline")), "{health}");

    // Its tiles are the archive's, which are the served ones.
    let read = read_back(&archive).await;
    let mut compared = 0;
    for (key, hash) in read["tiles"].as_object().unwrap() {
        let bytes =
            reqwest::get(format!("{}/tiles/onemap/{key}.mvt", offline.url)).await.unwrap().bytes().await.unwrap();
        let got: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(Some(got.as_str()), hash.as_str(), "{key}");
        compared += 1;
    }
    assert!(compared > 20, "{compared} tiles");
    let empty = reqwest::get(format!("{}/tiles/onemap/8/0/0.mvt", offline.url)).await.unwrap();
    assert_eq!(empty.status(), 204);
    let (_, style) = common::get(&format!("{}/style.json", offline.url)).await;
    assert_eq!(style["sources"].as_object().unwrap().keys().collect::<Vec<_>>(), vec!["onemap"]);
    // Read-only, and nothing but the map.
    let client = reqwest::Client::new();
    let write = client.post(format!("{}/api/layers/team", offline.url)).body("{}").send().await.unwrap();
    assert_eq!(write.status(), 405);
    assert_eq!(client.get(format!("{}/api/layers/team", offline.url)).send().await.unwrap().status(), 404);

    let screenshot = format!("{}/target/viewer-offline.png", env!("CARGO_MANIFEST_DIR"));
    let result = json_of("node", &[&browser_script("offline.mjs"), &offline.url, &screenshot]).await;
    assert_drawn(&result);
    drop(offline);
    std::fs::remove_dir_all(&dir).ok();
}
