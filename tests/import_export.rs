//! `onemap import`, `export` and `load-demo` as a user runs them: the binary against PostGIS.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::testing::{database, demo_dir, url_of};
use onemap::layers::spec::LAYERS;
use sqlx::PgPool;

fn onemap(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onemap")).args(args).env("DATABASE_URL", url).output().unwrap()
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "onemap failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn failed(output: Output) -> String {
    assert!(!output.status.success(), "onemap should have failed: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8(output.stderr).unwrap()
}

/// Every row of `table` without its timestamps, geometry as exact EWKB, in id order. The times
/// an incident's reports came in belong to the reports, which a layer export does not carry.
async fn rows(pool: &PgPool, table: &str) -> Vec<String> {
    let geometry = if LAYERS.iter().any(|l| l.name == table && l.is_spatial()) {
        "|| jsonb_build_object('geom', encode(ST_AsEWKB(t.geom), 'hex'))"
    } else {
        ""
    };
    let sql = format!(
        "SELECT ((to_jsonb(t) - 'created_at' - 'updated_at' - 'initial_reported_at' - 'final_reported_at') {geometry})::text FROM {table} t ORDER BY id"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await.unwrap()
}

fn scratch() -> tempdir::Dir {
    tempdir::Dir::new()
}

mod tempdir {
    /// A directory removed when dropped.
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Self {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "onemap-io-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[tokio::test]
async fn export_then_import_gives_the_same_rows_in_both_formats() {
    let source = database().await.unwrap();
    let source_url = url_of(&source).await.unwrap();
    let out = ok(onemap(&source_url, &["load-demo", "--data", demo_dir().to_str().unwrap()]));
    assert!(out.contains("38 district"), "{out}");
    let again = ok(onemap(&source_url, &["load-demo", "--data", demo_dir().to_str().unwrap()]));
    assert!(again.contains("already loaded"), "{again}");
    common::add_turn_restrictions(&source, 2).await;

    let dir = scratch();
    for format in ["geojson", "csv"] {
        let target = database().await.unwrap();
        let target_url = url_of(&target).await.unwrap();
        for layer in LAYERS {
            let file = dir.0.join(format!("{}.{format}", layer.name));
            ok(onemap(&source_url, &["export", layer.name, "--format", format, "--output", file.to_str().unwrap()]));
            let summary = ok(onemap(&target_url, &["import", layer.name, file.to_str().unwrap()]));
            assert!(summary.starts_with("imported"), "{summary}");
        }
        for table in LAYERS.iter().map(|l| l.name).chain(["risk_substance"]) {
            let (a, b) = (rows(&source, table).await, rows(&target, table).await);
            assert!(!a.is_empty(), "{table}");
            assert_eq!(a, b, "{table} differs after a {format} round trip");
        }
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test]
async fn csv_with_lon_lat_wkt_or_gbk_is_imported() {
    let pool = database().await.unwrap();
    let url = url_of(&pool).await.unwrap();
    let dir = scratch();

    let csv = "name,tier,district,lon,lat\n沙坪坝区应急库,district,沙坪坝区,106.456,29.541\n\"逗号,引号\"\"库\",city,,106.5,29.6\n";
    let summary = ok(onemap(&url, &["import", "depot", &write(&dir.0, "depots.csv", csv.as_bytes())]));
    assert!(summary.contains("imported 2 depot records") && summary.contains("UTF-8"), "{summary}");

    let (gbk, _, _) = encoding_rs::GBK.encode("name,tier,wkt\n渝北区应急库,city,POINT(106.63 29.72)\n");
    let summary = ok(onemap(&url, &["import", "depot", &write(&dir.0, "gbk.csv", &gbk)]));
    assert!(summary.contains("GBK"), "{summary}");

    let teams = "name,specialties,headcount,lon,lat\n危化队,hazmat;water,25,106.5,29.5\n";
    ok(onemap(&url, &["import", "team", &write(&dir.0, "teams.csv", teams.as_bytes())]));
    let roads = "kind,name,speed_kmh,oneway,wkt\nroad,测试路,60,是,\"LINESTRING(106.5 29.5, 106.6 29.6)\"\n";
    ok(onemap(&url, &["import", "route", &write(&dir.0, "roads.csv", roads.as_bytes())]));

    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM depot ORDER BY id").fetch_all(&pool).await.unwrap();
    assert_eq!(names, ["沙坪坝区应急库", "逗号,引号\"库", "渝北区应急库"]);
    let specialties: Vec<String> =
        sqlx::query_scalar("SELECT unnest(specialties) FROM team").fetch_all(&pool).await.unwrap();
    assert_eq!(specialties, ["hazmat", "water"]);
    let oneway: bool = sqlx::query_scalar("SELECT oneway FROM route").fetch_one(&pool).await.unwrap();
    assert!(oneway);
}

#[tokio::test]
async fn a_bad_file_imports_nothing_and_says_where() {
    let pool = database().await.unwrap();
    let url = url_of(&pool).await.unwrap();
    let dir = scratch();
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("depot", write(&dir.0, "a.csv", "name,tier,lon,lat\n甲,city,106,29\n乙,county,106,29\n".as_bytes()), "feature 1", "tier"),
        ("depot", write(&dir.0, "b.csv", "name,tier,lon,lat\n甲,city,106,29\n乙,city,106,\n".as_bytes()), "feature 1", "geometry"),
        ("depot", write(&dir.0, "c.csv", "name,tier,lon,lat\n甲,city,306,29\n".as_bytes()), "feature 0", "longitude"),
        ("depot", write(&dir.0, "d.csv", "name,tier,wkt\n甲,city,SRID=3857;POINT(1 2)\n".as_bytes()), "feature 0", "SRID=4326"),
        ("depot", write(&dir.0, "e.csv", "name,tier\n甲,city\n".as_bytes()), "", "lon and lat"),
        ("depot", write(&dir.0, "f.csv", &[0xff, 0xfe, 0x41, 0x00, 0x81]), "", "neither UTF-8 nor GBK"),
        ("depot", write(&dir.0, "g.geojson", b"{\"type\": \"FeatureCollection\", \"features\": [}"), "", "not valid JSON"),
        (
            "depot",
            write(
                &dir.0,
                "h.geojson",
                br#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"features":[]}"#,
            ),
            "",
            "EPSG:3857",
        ),
        ("team", write(&dir.0, "i.csv", "name,specialties,headcount,lon,lat\n队,hazmat;cooking,3,106,29\n".as_bytes()), "feature 0", "cooking"),
        ("depot", write(&dir.0, "depot.txt", b"name\n"), "", "--format"),
        (
            "stock_item",
            write(&dir.0, "j.csv", "depot_id,category,item,unit,quantity\n424242,treatment,活性炭,t,5\n".as_bytes()),
            "feature 0",
            "depot_id",
        ),
    ];
    for (layer, file, location, reason) in cases {
        let err = failed(onemap(&url, &["import", layer, &file]));
        assert!(err.contains(location) && err.contains(reason), "{file}: {err}");
        assert!(err.contains("nothing imported") || location.is_empty(), "{file}: {err}");
    }
    let err = failed(onemap(&url, &["import", "pipelines", "x.csv"]));
    assert!(err.contains("unknown layer"), "{err}");
    assert!(common::counts(&pool).await.iter().all(|(_, n)| *n == 0));
}
