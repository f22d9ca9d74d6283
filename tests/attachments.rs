//! Photos from the field: real JPEG and PNG files made by GDAL, GPS written into them by
//! exiftool, uploaded as multipart forms, read back by both tools; every refusal stores
//! nothing; an `Idempotency-Key` makes a resent write happen once.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::photos::photo;
use common::testing::TestServer;
use common::{call, post};
use onemap::auth::Role;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// What exiftool reads from `bytes`.
fn exif(dir: &Path, bytes: &[u8]) -> Value {
    let path = dir.join(format!("read-{}", rand_name()));
    std::fs::write(&path, bytes).unwrap();
    let o = Command::new("exiftool")
        .args(["-j", "-n", "-GPSLatitude", "-GPSLongitude", "-Make", "-Orientation", "-ImageWidth", "-ImageHeight"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice::<Value>(&o.stdout).unwrap()[0].clone()
}

/// GDAL's checksums of the pixels of `bytes` (one per band): unchanged by stripping metadata.
fn checksums(dir: &Path, bytes: &[u8], ext: &str) -> Vec<String> {
    let path = dir.join(format!("sum-{}.{ext}", rand_name()));
    std::fs::write(&path, bytes).unwrap();
    let o = Command::new("gdalinfo").arg("-checksum").arg(&path).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.contains("Checksum="))
        .map(|l| l.trim().to_string())
        .collect()
}

fn rand_name() -> String {
    format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos())
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("onemap-photos-{}", rand_name()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sends a multipart form; status and JSON.
async fn upload(
    server: &TestServer,
    token: Option<&str>,
    fields: &[(&str, &str)],
    file: Option<File<'_>>,
    key: Option<&str>,
) -> (u16, Value) {
    let mut form = Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((name, media, bytes)) = file {
        form = form.part("file", Part::bytes(bytes).file_name(name.to_string()).mime_str(media).unwrap());
    }
    let mut request = reqwest::Client::new().post(server.at("/api/attachments")).multipart(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn download(server: &TestServer, href: &str) -> (String, Vec<u8>) {
    let response = common::raw_get(server.at(href)).await;
    assert_eq!(response.status(), 200);
    let media = response.headers()["content-type"].to_str().unwrap().to_string();
    (media, response.bytes().await.unwrap().to_vec())
}

async fn new_incident(server: &TestServer, lon: f64, lat: f64) -> i64 {
    let (status, body) = post(
        &server.at("/api/layers/incident"),
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
               "properties": {"name": "现场照片测试", "kind": "water", "severity": "一般", "cause": "traffic_accident"}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

async fn stored(server: &TestServer) -> (i64, i64) {
    sqlx::query_as("SELECT (SELECT count(*) FROM attachment), (SELECT count(*) FROM attachment_bytes)")
        .fetch_one(&server.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn photos_are_stored_with_their_record_and_lose_their_gps_unless_kept() {
    let server = TestServer::start().await.unwrap();
    let dir = temp_dir();
    let jpeg_path = photo(&dir, "scene.jpg", "JPEG", true);
    let jpeg = std::fs::read(&jpeg_path).unwrap();
    let before = exif(&dir, &jpeg);
    assert_eq!(before["GPSLatitude"], 29.56, "the test photo has its GPS: {before}");
    let incident = new_incident(&server, 106.58, 29.58).await;
    let admin = server.admin_token.clone();

    // Stripped (the default): no GPS, no camera, the same pixels.
    let id_text = incident.to_string();
    let (status, a) = upload(
        &server,
        Some(&admin),
        &[
            ("record", "incident"),
            ("record_id", &id_text),
            ("caption", "槽车泄漏点"),
            ("lon", "106.58"),
            ("lat", "29.58"),
        ],
        Some(("scene.jpg", "image/jpeg", jpeg.clone())),
        None,
    )
    .await;
    assert_eq!(status, 201, "{a}");
    assert_eq!(
        (a["width"].as_i64(), a["height"].as_i64(), a["metadata"].as_str()),
        (Some(64), Some(48), Some("stripped"))
    );
    assert_eq!(a["position"], json!([106.58, 29.58]));
    let (media, bytes) = download(&server, a["href"].as_str().unwrap()).await;
    assert_eq!(media, "image/jpeg");
    assert_eq!(a["size_bytes"].as_u64(), Some(bytes.len() as u64));
    assert!(bytes.len() < jpeg.len());
    let after = exif(&dir, &bytes);
    assert!(after.get("GPSLatitude").is_none() && after.get("Make").is_none(), "metadata left: {after}");
    // Its orientation stays (a portrait photo must not turn on its side).
    assert_eq!((before["Orientation"].as_i64(), after["Orientation"].as_i64()), (Some(6), Some(6)), "{after}");
    assert_eq!(after["ImageWidth"], 64);
    assert_eq!(checksums(&dir, &bytes, "jpg"), checksums(&dir, &jpeg, "jpg"), "the pixels changed");
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(a["sha256"], digest);

    // Kept by choice: the very file, GPS and all.
    let (status, k) = upload(
        &server,
        Some(&admin),
        &[("record", "incident"), ("record_id", &id_text), ("metadata", "keep")],
        Some(("scene.jpg", "image/jpeg", jpeg.clone())),
        None,
    )
    .await;
    assert_eq!(status, 201, "{k}");
    let (_, kept) = download(&server, k["href"].as_str().unwrap()).await;
    assert_eq!(kept, jpeg);
    assert_eq!(exif(&dir, &kept)["GPSLongitude"], 106.55);

    // A PNG on an inspection, by a planner (inspections are the registry's).
    let (status, source) = post(&server.at("/api/layers/risk_source"), common::sample("risk_source", 0, 0)).await;
    assert_eq!(status, 201, "{source}");
    let (status, inspection) = post(&server.at("/api/layers/inspection"), json!({"type": "Feature", "geometry": null, "properties": {
        "risk_source_id": source["id"], "inspected_on": "2026-11-30", "finding": "围堰破损", "severity": "一般隐患", "due_date": "2026-12-15"}})).await;
    assert_eq!(status, 201, "{inspection}");
    let planner = server.token("photo-planner", Role::Planner, None).await.unwrap();
    let png = std::fs::read(photo(&dir, "dike.png", "PNG", false)).unwrap();
    let inspection_id = inspection["id"].to_string();
    let (status, p) = upload(
        &server,
        Some(&planner),
        &[("record", "inspection"), ("record_id", &inspection_id)],
        Some(("dike.png", "image/png", png.clone())),
        None,
    )
    .await;
    assert_eq!(status, 201, "{p}");
    assert_eq!(p["author"], "photo-planner");
    let (media, bytes) = download(&server, p["href"].as_str().unwrap()).await;
    assert_eq!(media, "image/png");
    assert_eq!(checksums(&dir, &bytes, "png"), checksums(&dir, &png, "png"));

    // A report's photo counts as the incident's.
    let (status, report) =
        post(&server.at(&format!("/api/incidents/{incident}/reports")), json!({"stage": "initial", "summary": "现场"}))
            .await;
    assert_eq!(status, 201, "{report}");
    let report_id = report["id"].to_string();
    let (status, r) = upload(
        &server,
        Some(&admin),
        &[("record", "report"), ("record_id", &report_id)],
        Some(("r.jpg", "image/jpeg", jpeg.clone())),
        None,
    )
    .await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["incident_id"], incident);

    let (status, list) = common::get(&server.at(&format!("/api/attachments?incident_id={incident}"))).await;
    assert_eq!(status, 200);
    let ids: Vec<&Value> = list["attachments"].as_array().unwrap().iter().map(|x| &x["id"]).collect();
    assert_eq!(ids, [&a["id"], &k["id"], &r["id"]]);
    let (_, list) =
        common::get(&server.at(&format!("/api/attachments?record=inspection&record_id={inspection_id}"))).await;
    assert_eq!(list["attachments"].as_array().unwrap().len(), 1);

    // In the printed report: the scene's photos, and the report's in its own section.
    let page = common::raw_get(server.at(&format!("/api/incidents/{incident}/report.html?drafts=true")))
        .await
        .text()
        .await
        .unwrap();
    let img = |a: &Value| format!("<img src=\"{}\"", a["href"].as_str().unwrap());
    let (report_at, scene_at) = (page.find("初报").unwrap(), page.find("现场照片</h2>").expect("a photo section"));
    for (photo, after) in [(&a, scene_at), (&k, scene_at), (&r, report_at)] {
        let at = page.find(&img(photo)).unwrap_or_else(|| panic!("{} not printed", photo["href"]));
        assert!(at > after, "{} printed in the wrong place", photo["href"]);
    }
    assert!(page.find(&img(&r)).unwrap() < scene_at, "the report's photo is under the report");

    // In the timeline, with who; in the audit trail, without the bytes.
    let (_, timeline) = common::get(&server.at(&format!("/api/incidents/{incident}/timeline"))).await;
    let photos: Vec<&Value> =
        timeline["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "photo").collect();
    assert_eq!(photos.len(), 3, "{timeline}");
    assert_eq!(photos[0]["actor"], "test-admin");
    let audited: (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE after ? 'bytes') FROM audit_log WHERE table_name = 'attachment' AND op = 'insert'",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(audited, (4, 0));
    // A record's photos go with it.
    let (status, _, _) =
        call(Method::DELETE, &server.at(&format!("/api/layers/inspection/{inspection_id}")), None).await;
    assert_eq!(status, 204);
    assert_eq!(stored(&server).await, (3, 3));
    std::fs::remove_dir_all(dir).ok();
}

/// What is tried, by whom, the form's fields, the file, the status expected and what it says.
type Case<'a> = (&'a str, Option<&'a str>, Vec<(&'a str, &'a str)>, Option<File<'a>>, u16, &'a str);
/// A file part: name, media type, bytes.
type File<'a> = (&'a str, &'a str, Vec<u8>);

#[tokio::test]
async fn refused_photos_store_nothing() {
    let server = TestServer::with_demo().await.unwrap();
    let dir = temp_dir();
    let jpeg = std::fs::read(photo(&dir, "a.jpg", "JPEG", false)).unwrap();
    let (district, other): (String, String) = sqlx::query_as(
        "SELECT (SELECT code FROM district WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(106.58, 29.58), 4326))), \
                (SELECT code FROM district WHERE NOT ST_Contains(geom, ST_SetSRID(ST_MakePoint(106.58, 29.58), 4326)) ORDER BY code LIMIT 1)",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let incident = new_incident(&server, 106.58, 29.58).await.to_string();
    let before = stored(&server).await;
    let admin = server.admin_token.clone();
    let viewer = server.token("photo-viewer", Role::Viewer, None).await.unwrap();
    let planner = server.token("photo-planner", Role::Planner, None).await.unwrap();
    let elsewhere = server.token("photo-elsewhere", Role::Dispatcher, Some(&other)).await.unwrap();
    let here = server.token("photo-here", Role::Dispatcher, Some(&district)).await.unwrap();
    let inspection: i64 =
        sqlx::query_scalar("SELECT id FROM inspection ORDER BY id LIMIT 1").fetch_one(&server.pool).await.unwrap();
    let inspection = inspection.to_string();
    let on_incident = [("record", "incident"), ("record_id", incident.as_str())];
    let mut cut = jpeg.clone();
    cut.truncate(jpeg.len() / 2);
    let mut big = jpeg.clone();
    big.resize(10 * 1024 * 1024 + 1, 0);

    let cases: Vec<Case> = vec![
        (
            "text as a JPEG",
            Some(&admin),
            on_incident.to_vec(),
            Some(("x.jpg", "image/jpeg", b"not a photo at all".to_vec())),
            422,
            "neither a JPEG nor a PNG",
        ),
        ("a cut JPEG", Some(&admin), on_incident.to_vec(), Some(("x.jpg", "image/jpeg", cut)), 422, "cut short"),
        (
            "a JPEG sent as PNG",
            Some(&admin),
            on_incident.to_vec(),
            Some(("x.png", "image/png", jpeg.clone())),
            422,
            "sent as `image/png` but is a image/jpeg",
        ),
        (
            "a GIF type",
            Some(&admin),
            on_incident.to_vec(),
            Some(("x.gif", "image/gif", jpeg.clone())),
            422,
            "sent as `image/gif`",
        ),
        (
            "over 10 MiB",
            Some(&admin),
            on_incident.to_vec(),
            Some(("x.jpg", "image/jpeg", big)),
            413,
            "at most 10485760 bytes",
        ),
        ("an empty file", Some(&admin), on_incident.to_vec(), Some(("x.jpg", "image/jpeg", Vec::new())), 422, "empty"),
        ("no file", Some(&admin), on_incident.to_vec(), None, 400, "missing: the photo"),
        ("anonymous", None, on_incident.to_vec(), Some(("x.jpg", "image/jpeg", jpeg.clone())), 401, "sign"),
        (
            "a viewer",
            Some(&viewer),
            on_incident.to_vec(),
            Some(("x.jpg", "image/jpeg", jpeg.clone())),
            403,
            "photo-viewer may not",
        ),
        (
            "a planner on an incident",
            Some(&planner),
            on_incident.to_vec(),
            Some(("x.jpg", "image/jpeg", jpeg.clone())),
            403,
            "photo-planner may not",
        ),
        (
            "a dispatcher on an inspection",
            Some(&here),
            vec![("record", "inspection"), ("record_id", inspection.as_str())],
            Some(("x.jpg", "image/jpeg", jpeg.clone())),
            403,
            "may not",
        ),
        (
            "another district's incident",
            Some(&elsewhere),
            on_incident.to_vec(),
            Some(("x.jpg", "image/jpeg", jpeg.clone())),
            403,
            "outside district",
        ),
        (
            "no such incident",
            Some(&admin),
            vec![("record", "incident"), ("record_id", "999999")],
            Some(("x.jpg", "image/jpeg", jpeg.clone())),
            422,
            "no incident with id 999999",
        ),
        (
            "an unknown record",
            Some(&admin),
            vec![("record", "depot"), ("record_id", "1")],
            Some(("x.jpg", "image/jpeg", jpeg.clone())),
            422,
            "not a record that takes photos",
        ),
        (
            "an unknown field",
            Some(&admin),
            vec![("record", "incident"), ("record_id", incident.as_str()), ("gps", "yes")],
            Some(("x.jpg", "image/jpeg", jpeg.clone())),
            400,
            "`gps` is not a field",
        ),
        (
            "a bad metadata choice",
            Some(&admin),
            vec![("record", "incident"), ("record_id", incident.as_str()), ("metadata", "maybe")],
            Some(("x.jpg", "image/jpeg", jpeg.clone())),
            400,
            "keep or strip",
        ),
        (
            "half a position",
            Some(&admin),
            vec![("record", "incident"), ("record_id", incident.as_str()), ("lon", "106.5")],
            Some(("x.jpg", "image/jpeg", jpeg.clone())),
            400,
            "both lon and lat",
        ),
        (
            "a position off the earth",
            Some(&admin),
            vec![("record", "incident"), ("record_id", incident.as_str()), ("lon", "206.5"), ("lat", "29")],
            Some(("x.jpg", "image/jpeg", jpeg.clone())),
            422,
            "not a longitude",
        ),
    ];
    for (what, token, fields, file, status, says) in cases {
        let (got, body) = upload(&server, token, &fields, file, None).await;
        assert_eq!(got, status, "{what}: {body}");
        assert!(body["detail"].as_str().unwrap_or("").contains(says), "{what}: {body}");
        assert_eq!(stored(&server).await, before, "{what} stored something");
    }
    // Not a form at all.
    let (status, _, body) =
        call(Method::POST, &server.at("/api/attachments"), Some(json!({"record": "incident"}))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("multipart/form-data"), "{body}");
    // The dispatcher of the incident's own district may.
    let (status, body) =
        upload(&server, Some(&here), &on_incident, Some(("x.jpg", "image/jpeg", jpeg.clone())), None).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(stored(&server).await, (before.0 + 1, before.1 + 1));
    // Removed by its uploader only (or an administrator), bytes and all.
    let one = server.at(body["href"].as_str().unwrap());
    let other_here = server.token("photo-here-2", Role::Dispatcher, Some(&district)).await.unwrap();
    for (token, status) in
        [(None, 401), (Some(viewer.as_str()), 403), (Some(other_here.as_str()), 403), (Some(elsewhere.as_str()), 403)]
    {
        let (got, _, p) = common::call_as(token, Method::DELETE, &one, None).await;
        assert_eq!(got, status, "{p}");
        assert_eq!(stored(&server).await, (before.0 + 1, before.1 + 1));
    }
    let (got, _, p) = common::call_as(Some(&here), Method::DELETE, &one, None).await;
    assert_eq!(got, 204, "{p}");
    assert_eq!(stored(&server).await, before);
    let (got, _, _) = common::call_as(Some(&here), Method::DELETE, &one, None).await;
    assert_eq!(got, 404);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_write_resent_with_its_idempotency_key_is_done_once() {
    let server = TestServer::start().await.unwrap();
    let client = reqwest::Client::new();
    let feature = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.5, 29.5]},
        "properties": {"name": "离线上报", "kind": "air", "severity": "一般", "cause": "other"}});
    let send = |key: &str, body: &Value| {
        client
            .post(server.at("/api/layers/incident"))
            .bearer_auth(&server.admin_token)
            .header("idempotency-key", key)
            .json(body)
            .send()
    };
    let incidents = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM incident").fetch_one(&server.pool).await.unwrap()
    };
    let first = send("phone-1", &feature).await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();
    for _ in 0..3 {
        let again = send("phone-1", &feature).await.unwrap();
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(again.headers()["location"], location);
        assert_eq!(again.json::<Value>().await.unwrap(), first);
    }
    assert_eq!(incidents().await, 1);
    // The same key for another request is a mistake, said so, and does nothing.
    let mut other = feature.clone();
    other["properties"]["name"] = json!("另一事件");
    let reused = send("phone-1", &other).await.unwrap();
    assert_eq!(reused.status(), 422);
    assert!(reused.text().await.unwrap().contains("used for another request"));
    assert_eq!(incidents().await, 1);
    // A new key is a new write; a refusal a repeat may overcome (no credential) frees its key.
    assert_eq!(send("phone-2", &feature).await.unwrap().status(), 201);
    let anonymous = client
        .post(server.at("/api/layers/incident"))
        .header("idempotency-key", "phone-3")
        .json(&feature)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(send("phone-3", &feature).await.unwrap().status(), 201);
    assert_eq!(incidents().await, 3);
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM idempotent_request WHERE actor = 'anonymous'")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    assert_eq!(kept, 0, "an anonymous caller's key is not kept");
    // An invalid feature's 422 is kept: the repeat is refused the same way, nothing written.
    let mut bad = feature.clone();
    bad["properties"]["severity"] = json!("很大");
    let refused = send("phone-4", &bad).await.unwrap();
    assert_eq!(refused.status(), 422);
    let again = send("phone-4", &bad).await.unwrap();
    assert_eq!((again.status().as_u16(), again.headers()["idempotent-replayed"].to_str().unwrap()), (422, "true"));
    assert_eq!(incidents().await, 3);
    // Keys are per user: another user's same key is their own.
    let dispatcher = server.token("phone-user", Role::Dispatcher, None).await.unwrap();
    let theirs = client
        .post(server.at("/api/layers/incident"))
        .bearer_auth(&dispatcher)
        .header("idempotency-key", "phone-1")
        .json(&feature)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 201);
    assert!(theirs.headers().get("idempotent-replayed").is_none());
    // A photo resent: stored once.
    let dir = temp_dir();
    let jpeg = std::fs::read(photo(&dir, "q.jpg", "JPEG", false)).unwrap();
    let id = first["id"].to_string();
    let fields = [("record", "incident"), ("record_id", id.as_str())];
    let (s1, b1) = upload(
        &server,
        Some(&server.admin_token),
        &fields,
        Some(("q.jpg", "image/jpeg", jpeg.clone())),
        Some("photo-1"),
    )
    .await;
    let (s2, b2) = upload(
        &server,
        Some(&server.admin_token),
        &fields,
        Some(("q.jpg", "image/jpeg", jpeg.clone())),
        Some("photo-1"),
    )
    .await;
    assert_eq!((s1, s2), (201, 201), "{b1} {b2}");
    assert_eq!(b1, b2);
    assert_eq!(stored(&server).await, (1, 1));
    let bad_key = client
        .post(server.at("/api/layers/incident"))
        .bearer_auth(&server.admin_token)
        .header("idempotency-key", "")
        .json(&feature)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_key.status(), 400);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_keyed_write_over_the_body_limit_is_refused_and_keeps_no_key() {
    let config = onemap::api::ServerConfig { max_body_bytes: 4096, ..Default::default() };
    let server = TestServer::with_config(config).await.unwrap();
    let feature = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.5, 29.5]},
        "properties": {"name": "大".repeat(2000), "kind": "air", "severity": "一般", "cause": "other"}});
    let response = reqwest::Client::new()
        .post(server.at("/api/layers/incident"))
        .bearer_auth(&server.admin_token)
        .header("idempotency-key", "too-big")
        .json(&feature)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert!(response.text().await.unwrap().contains("--max-body-mb"));
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM idempotent_request").fetch_one(&server.pool).await.unwrap();
    let incidents: i64 = sqlx::query_scalar("SELECT count(*) FROM incident").fetch_one(&server.pool).await.unwrap();
    assert_eq!((kept, incidents), (0, 0));
}
