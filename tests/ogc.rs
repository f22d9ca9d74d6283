//! OGC API – Features at `/ogc`: the conformance answers, paging to the end, CQL2 filters against
//! the same filters written in SQL by hand, datetime, CRS outputs and inputs, Part 4 writes
//! with their audit records and refusals, and GDAL's OAPIF and MVT drivers as real clients.

mod common;

use common::testing::TestServer;
use common::{call_as, counts, feature, get, point};
use onemap::auth::Role;
use onemap::layers::spec::{LAYERS, READ_ONLY};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::process::Command;

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const EPSG4490: &str = "http://www.opengis.net/def/crs/EPSG/0/4490";
const EPSG3857: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn ids(body: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> =
        body["features"].as_array().expect("features").iter().map(|f| f["id"].as_i64().unwrap()).collect();
    ids.sort();
    ids
}

async fn sql_ids(pool: &PgPool, layer: &str, condition: &str) -> Vec<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT id FROM {layer} WHERE {condition} ORDER BY id")))
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{layer}: {condition}: {e}"))
}

/// GET with the admin token; status, content type, headers and JSON.
async fn fetch(url: &str) -> (u16, String, reqwest::header::HeaderMap, Value) {
    let response = common::raw_get(url).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = response.text().await.unwrap();
    (status, content_type, headers, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn rel<'a>(body: &'a Value, rel: &str) -> Option<&'a Value> {
    body["links"].as_array()?.iter().find(|l| l["rel"] == rel)
}

#[tokio::test]
async fn landing_conformance_and_collections_answer_as_part_1_says() {
    let server = TestServer::with_demo().await.unwrap();
    let (status, ty, _, landing) = fetch(&server.at("/ogc")).await;
    assert_eq!((status, ty.as_str()), (200, "application/json"));
    for (r, t) in [
        ("service-desc", "application/vnd.oai.openapi+json;version=3.0"),
        ("conformance", "application/json"),
        ("data", "application/json"),
    ] {
        let link = rel(&landing, r).unwrap_or_else(|| panic!("no {r} link: {landing}"));
        assert_eq!(link["type"], t);
        assert!(link["href"].as_str().unwrap().starts_with(&server.url), "absolute: {link}");
    }
    let (status, ty, _, api) = fetch(rel(&landing, "service-desc").unwrap()["href"].as_str().unwrap()).await;
    assert_eq!((status, ty.as_str()), (200, "application/vnd.oai.openapi+json;version=3.0"));
    assert!(api["openapi"].as_str().unwrap().starts_with("3.0"), "{}", api["openapi"]);
    assert!(api["paths"]["/collections/{collectionId}/items"]["get"].is_object());
    for layer in LAYERS.iter().chain(READ_ONLY) {
        assert!(api["paths"][format!("/collections/{}/items", layer.name)]["get"].is_object(), "{}", layer.name);
    }

    let (_, _, _, conformance) = fetch(&server.at("/ogc/conformance")).await;
    let classes: Vec<&str> =
        conformance["conformsTo"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    for class in [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    ] {
        assert!(classes.contains(&class), "{class} missing");
    }

    let (status, ty, _, collections) = fetch(&server.at("/ogc/collections")).await;
    assert_eq!((status, ty.as_str()), (200, "application/json"));
    let listed = collections["collections"].as_array().unwrap();
    assert_eq!(listed.len(), LAYERS.len() + READ_ONLY.len());
    for (layer, c) in LAYERS.iter().chain(READ_ONLY).zip(listed) {
        assert_eq!(c["id"], layer.name);
        assert!(!layer.name.contains('.'));
        assert_eq!(c["itemType"], "feature");
        assert_eq!(c["storageCrs"], CRS84);
        assert_eq!(c["crs"], json!([CRS84, EPSG4490, EPSG3857]));
        let items = rel(c, "items").unwrap();
        assert_eq!(items["type"], "application/geo+json");
        if layer.is_spatial() {
            let expected: Option<Vec<f64>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT CASE WHEN e IS NOT NULL THEN ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)] END \
                 FROM (SELECT ST_Extent(geom) e FROM {}) s",
                layer.name
            )))
            .fetch_one(&server.pool)
            .await
            .unwrap();
            if let Some(expected) = expected {
                assert_eq!(c["extent"]["spatial"]["bbox"][0], json!(expected), "{}", layer.name);
            }
        }
        let (status, _, _, one) = fetch(&server.at(&format!("/ogc/collections/{}", layer.name))).await;
        assert_eq!(status, 200);
        assert_eq!(&one, c);
    }
    // The incidents' time extent is their first and last occurrence.
    let incident = listed.iter().find(|c| c["id"] == "incident").unwrap();
    let (first, last): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT min(occurred_at), max(occurred_at) FROM incident")
            .fetch_one(&server.pool)
            .await
            .unwrap();
    let interval = &incident["extent"]["temporal"]["interval"][0];
    let parse = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!((parse(&interval[0]), parse(&interval[1])), (first.into(), last.into()));

    let (status, ty, _, queryables) = fetch(&server.at("/ogc/collections/team/queryables")).await;
    assert_eq!((status, ty.as_str()), (200, "application/schema+json"));
    assert_eq!(queryables["properties"]["headcount"]["type"], "integer");
    assert_eq!(queryables["properties"]["geometry"]["format"], "geometry-point");
    assert_eq!(queryables["properties"]["specialties"]["type"], "array");
    let (status, _, _, problem) = fetch(&server.at("/ogc/collections/nope")).await;
    assert_eq!(status, 404, "{problem}");
}

#[tokio::test]
async fn items_page_to_the_end_with_next_and_prev() {
    let server = TestServer::with_demo().await.unwrap();
    let expected = sql_ids(&server.pool, "receptor", "kind = 'school' OR kind = 'hospital'").await;
    assert!(expected.len() > 20);
    let mut url = server.at("/ogc/collections/receptor/items?limit=7&filter=kind%20IN%20('school','hospital')");
    let (mut seen, mut pages) = (Vec::new(), 0);
    loop {
        let (status, ty, headers, page) = fetch(&url).await;
        assert_eq!((status, ty.as_str()), (200, "application/geo+json"), "{page}");
        assert_eq!(headers["content-crs"], format!("<{CRS84}>").as_str());
        assert_eq!(page["type"], "FeatureCollection");
        assert_eq!(page["numberMatched"], expected.len());
        assert_eq!(page["numberReturned"], page["features"].as_array().unwrap().len());
        assert!(chrono::DateTime::parse_from_rfc3339(page["timeStamp"].as_str().unwrap()).is_ok());
        assert_eq!(rel(&page, "prev").is_some(), pages > 0, "prev only after the first page");
        seen.extend(page["features"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()));
        pages += 1;
        match rel(&page, "next") {
            Some(next) => url = next["href"].as_str().unwrap().to_string(),
            None => break,
        }
    }
    assert_eq!(seen, expected, "every feature once, in id order");
    assert_eq!(pages, expected.len().div_ceil(7));

    // One feature, with its links; crs on it too.
    let id = expected[0];
    let (status, ty, _, one) = fetch(&server.at(&format!("/ogc/collections/receptor/items/{id}"))).await;
    assert_eq!((status, ty.as_str()), (200, "application/geo+json"));
    assert_eq!(one["id"], id);
    assert!(rel(&one, "self").unwrap()["href"].as_str().unwrap().ends_with(&format!("/items/{id}")));
    let (status, _, _, _) = fetch(&server.at("/ogc/collections/receptor/items/999999")).await;
    assert_eq!(status, 404);
}

/// (layer, CQL2 text, the same condition in SQL).
const CASES: &[(&str, &str, &str)] = &[
    ("team", "headcount > 20", "headcount > 20"),
    ("team", "headcount >= 10 AND status = 'available'", "headcount >= 10 AND status = 'available'"),
    ("team", "NOT (status = 'available') OR headcount < 15", "NOT (status = 'available') OR headcount < 15"),
    ("risk_source", "grade IN ('一般', '较大')", "grade IN ('一般', '较大')"),
    ("risk_source", "q_air BETWEEN 1 AND 3", "q_air BETWEEN 1 AND 3"),
    ("risk_source", "q_air < q_water", "q_air < q_water"),
    ("receptor", "name LIKE '%学校%'", "name LIKE '%学校%'"),
    ("receptor", "population IS NULL", "population IS NULL"),
    (
        "receptor",
        "NOT population IS NULL AND kind <> 'residential'",
        "population IS NOT NULL AND kind <> 'residential'",
    ),
    ("team", "CASEI(name) LIKE CASEI('%救援队（渝%')", "lower(name) LIKE lower('%救援队（渝%')"),
    (
        "receptor",
        "S_INTERSECTS(geometry, POLYGON((106.4 29.4, 106.7 29.4, 106.7 29.7, 106.4 29.7, 106.4 29.4)))",
        "ST_Intersects(geom, ST_GeomFromText('POLYGON((106.4 29.4, 106.7 29.4, 106.7 29.7, 106.4 29.7, 106.4 29.4))', 4326))",
    ),
    (
        "route",
        "S_INTERSECTS(geometry, BBOX(106.5, 29.5, 106.6, 29.6)) AND kind = 'road'",
        "ST_Intersects(geom, ST_MakeEnvelope(106.5, 29.5, 106.6, 29.6, 4326)) AND kind = 'road'",
    ),
    (
        "district",
        "S_CONTAINS(geometry, POINT(106.55 29.56))",
        "ST_Contains(geom, ST_SetSRID(ST_MakePoint(106.55, 29.56), 4326))",
    ),
    ("team", "A_CONTAINS(specialties, ('hazmat', 'water'))", "specialties @> ARRAY['hazmat', 'water']"),
    ("team", "A_OVERLAPS(specialties, ('medical', 'fire'))", "specialties && ARRAY['medical', 'fire']"),
    (
        "incident",
        "occurred_at > TIMESTAMP('2024-01-01T00:00:00Z') AND severity <> '一般'",
        "occurred_at > '2024-01-01T00:00:00Z' AND severity <> '一般'",
    ),
    (
        "inspection",
        "inspected_on >= DATE('2026-06-01') AND NOT rectified",
        "inspected_on >= '2026-06-01' AND NOT rectified",
    ),
    (
        "incident",
        "initial_report_overdue = true",
        "(incident_deadline_flags(incident)->>'initial_report_overdue')::boolean",
    ),
];

#[tokio::test]
async fn cql2_filters_select_what_the_same_sql_selects() {
    let server = TestServer::with_demo().await.unwrap();
    for (layer, cql, sql) in CASES {
        let expected = sql_ids(&server.pool, layer, sql).await;
        let total = sql_ids(&server.pool, layer, "true").await.len();
        assert!(
            !expected.is_empty() && expected.len() < total,
            "{layer}: `{sql}` must discriminate ({} of {total})",
            expected.len()
        );
        let url = server.at(&format!("/ogc/collections/{layer}/items?limit=10000&filter={}", enc(cql)));
        let (status, body) = get(&url).await;
        assert_eq!(status, 200, "{cql}: {body}");
        assert_eq!(ids(&body), expected, "{layer}: {cql}");
        assert_eq!(body["numberMatched"], expected.len());
    }

    // cql2-json, and geometry literals given in CGCS2000's axis order.
    let json_filter = json!({"op": "and", "args": [
        {"op": ">", "args": [{"property": "headcount"}, 20]},
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [106.0, 29.0, 107.0, 30.0]}]},
    ]});
    let expected = sql_ids(
        &server.pool,
        "team",
        "headcount > 20 AND ST_Intersects(geom, ST_MakeEnvelope(106, 29, 107, 30, 4326))",
    )
    .await;
    assert!(!expected.is_empty());
    let url = server
        .at(&format!("/ogc/collections/team/items?filter-lang=cql2-json&filter={}", enc(&json_filter.to_string())));
    assert_eq!(ids(&get(&url).await.1), expected);
    let flipped = "S_INTERSECTS(geometry, POLYGON((29.4 106.4, 29.4 106.7, 29.7 106.7, 29.7 106.4, 29.4 106.4)))";
    let url = server.at(&format!(
        "/ogc/collections/receptor/items?limit=10000&filter-crs={}&filter={}",
        enc(EPSG4490),
        enc(flipped)
    ));
    let expected = sql_ids(&server.pool, "receptor", CASES[10].2).await;
    assert_eq!(ids(&get(&url).await.1), expected);
    // A queryable as a parameter of its own.
    let expected = sql_ids(&server.pool, "team", "status = 'off_duty'").await;
    assert_eq!(ids(&get(&server.at("/ogc/collections/team/items?status=off_duty")).await.1), expected);
}

#[tokio::test]
async fn bad_parameters_and_filters_are_400_with_the_reason() {
    let server = TestServer::with_demo().await.unwrap();
    let before = counts(&server.pool).await;
    let cases: &[(&str, &str, &str)] = &[
        ("team", "filter=headcount%20%3E", "1:12"),
        ("team", "filter=nme%20%3D%201", "unknown property `nme`"),
        ("team", "filter=headcount%20%3D%20'x'", "`headcount` is a number, not a string"),
        ("receptor", "filter=kind%20%3D%20'school_'", "`school_` is not a value of `kind`"),
        ("team", "filter=specialties%20%3D%20'hazmat'", "A_CONTAINS"),
        ("team", "filter=T_BEFORE(name,%20name)", "temporal operators"),
        ("team", "filter-lang=cql3&filter=true", "filter-lang"),
        ("team", "filter-lang=cql2-json&filter=%7Bop", "cql2-json"),
        ("team", "limit=0", "[1, 10000]"),
        ("team", "limit=10001", "[1, 10000]"),
        ("team", "crs=http://www.opengis.net/def/crs/EPSG/0/9999", "not a system"),
        ("team", "bbox-crs=EPSG:2000&bbox=1,2,3,4", "not a system"),
        ("team", "bbox=106,29,107", "3 numbers"),
        ("team", "bbox=106,29,107,30,1", "5 numbers"),
        ("team", "bbox=107,29,106,30", "west > east"),
        ("team", "bbox=106,29,107,a", "numbers"),
        ("team", "datetime=2024-01-01", "team has no time"),
        ("incident", "datetime=yesterday", "RFC 3339"),
        ("incident", "datetime=2024-02-01/2024-01-01", "ends before it starts"),
        ("team", "colour=red", "unknown query parameter"),
        ("stock_item", "bbox=106,29,107,30", "no geometry"),
        ("team", "f=html", "not a format"),
    ];
    for (layer, query, says) in cases {
        let (status, ty, _, problem) = fetch(&server.at(&format!("/ogc/collections/{layer}/items?{query}"))).await;
        assert_eq!((status, ty.as_str()), (400, "application/problem+json"), "{query}: {problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{query}: `{detail}` should say `{says}`");
        assert!(problem["field"].is_string(), "{query}: {problem}");
    }
    let deep = format!("filter={}headcount%20%3E%201{}", "(".repeat(100), ")".repeat(100));
    let (status, _, _, problem) = fetch(&server.at(&format!("/ogc/collections/team/items?{deep}"))).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(counts(&server.pool).await, before);
}

#[tokio::test]
async fn crs_outputs_and_bbox_crs_agree_with_postgis() {
    let server = TestServer::with_demo().await.unwrap();
    let id: i64 = sqlx::query_scalar("SELECT min(id) FROM team").fetch_one(&server.pool).await.unwrap();
    let (lon, lat, x, y): (f64, f64, f64, f64) = sqlx::query_as(
        "SELECT ST_X(geom), ST_Y(geom), ST_X(ST_Transform(geom, 3857)), ST_Y(ST_Transform(geom, 3857)) FROM team WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    for (crs, expected) in [(CRS84, [lon, lat]), (EPSG4490, [lat, lon]), (EPSG3857, [x, y])] {
        let (status, _, headers, one) =
            fetch(&server.at(&format!("/ogc/collections/team/items/{id}?crs={}", enc(crs)))).await;
        assert_eq!(status, 200, "{one}");
        assert_eq!(headers["content-crs"], format!("<{crs}>").as_str());
        let c = &one["geometry"]["coordinates"];
        for (got, want) in [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()].iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{crs}: {c} vs {expected:?}");
        }
        let (_, _, _, page) =
            fetch(&server.at(&format!("/ogc/collections/team/items?crs={}&filter=id%3D{id}", enc(crs)))).await;
        assert_eq!(page["features"][0]["geometry"], one["geometry"], "{crs}");
    }

    // The same box in three systems selects the same receptors.
    let (w, s, e, n) = (106.4, 29.4, 106.7, 29.7);
    let expected =
        sql_ids(&server.pool, "receptor", &format!("ST_Intersects(geom, ST_MakeEnvelope({w}, {s}, {e}, {n}, 4326))"))
            .await;
    assert!(expected.len() > 10);
    let (mw, ms, me, mn): (f64, f64, f64, f64) = sqlx::query_as(
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM ST_Transform(ST_MakeEnvelope($1, $2, $3, $4, 4326), 3857) b",
    )
    .bind(w)
    .bind(s)
    .bind(e)
    .bind(n)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    for (crs, bbox) in [
        (CRS84, format!("{w},{s},{e},{n}")),
        (EPSG4490, format!("{s},{w},{n},{e}")),
        (EPSG3857, format!("{mw},{ms},{me},{mn}")),
    ] {
        let url = server.at(&format!("/ogc/collections/receptor/items?limit=10000&bbox-crs={}&bbox={bbox}", enc(crs)));
        let (status, body) = get(&url).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(ids(&body), expected, "{crs}");
    }
}

#[tokio::test]
async fn datetime_selects_what_the_same_sql_selects() {
    let server = TestServer::with_demo().await.unwrap();
    let cases = [
        (
            "2024-01-01/2024-12-31",
            "occurred_at >= '2024-01-01T00:00:00+08:00' AND occurred_at < '2025-01-01T00:00:00+08:00'",
        ),
        ("../2023-06-30", "occurred_at < '2023-07-01T00:00:00+08:00'"),
        ("2025-03-01T00:00:00Z/..", "occurred_at >= '2025-03-01T00:00:00Z'"),
    ];
    for (datetime, sql) in cases {
        let expected = sql_ids(&server.pool, "incident", sql).await;
        assert!(!expected.is_empty(), "{sql}");
        let (status, body) =
            get(&server.at(&format!("/ogc/collections/incident/items?limit=10000&datetime={}", enc(datetime)))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(ids(&body), expected, "{datetime}");
    }
    let (id, at): (i64, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT id, occurred_at FROM incident ORDER BY id LIMIT 1")
            .fetch_one(&server.pool)
            .await
            .unwrap();
    let instant = at.to_rfc3339();
    let (_, body) = get(&server.at(&format!("/ogc/collections/incident/items?datetime={}", enc(&instant)))).await;
    assert_eq!(ids(&body), sql_ids(&server.pool, "incident", &format!("occurred_at = '{instant}'")).await);
    assert!(ids(&body).contains(&id));
    // Inspections: dates.
    let expected = sql_ids(&server.pool, "inspection", "inspected_on BETWEEN '2025-01-01' AND '2025-06-30'").await;
    let (_, body) =
        get(&server.at("/ogc/collections/inspection/items?limit=10000&datetime=2025-01-01/2025-06-30")).await;
    assert_eq!(ids(&body), expected);
}

async fn audit_since(pool: &PgPool, after: i64) -> Vec<(String, i64, String, String)> {
    sqlx::query_as("SELECT table_name, row_id, op, actor FROM audit_log WHERE id > $1 ORDER BY id")
        .bind(after)
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn last_audit(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM audit_log").fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn part_4_creates_replaces_updates_and_deletes_with_audit_and_roles() {
    let server = TestServer::start().await.unwrap();
    let pool = &server.pool;
    let planner = server.token("ogc-planner", Role::Planner, None).await.unwrap();
    let viewer = server.token("ogc-viewer", Role::Viewer, None).await.unwrap();
    let dispatcher = server.token("ogc-dispatcher", Role::Dispatcher, None).await.unwrap();
    let items = server.at("/ogc/collections/team/items");
    let team = |name: &str, lon: f64, lat: f64| {
        feature(
            point(lon, lat),
            json!({"name": name, "specialties": ["hazmat"], "headcount": 12, "district": "渝中区"}),
        )
    };

    // Refused: nothing written, no audit.
    let (before, mark) = (counts(pool).await, last_audit(pool).await);
    for (token, status) in [(None, 401), (Some(viewer.as_str()), 403), (Some(dispatcher.as_str()), 403)] {
        let (got, _, body) = call_as(token, Method::POST, &items, Some(team("拒绝队", 106.55, 29.56))).await;
        assert_eq!(got.as_u16(), status, "{body}");
    }
    let (got, _, body) = call_as(
        Some(&planner),
        Method::POST,
        &items,
        Some(json!({"type": "Feature", "geometry": point(106.5, 29.5), "properties": {"headcount": 3}})),
    )
    .await;
    assert_eq!(got.as_u16(), 422, "no name: {body}");
    let response = reqwest::Client::new()
        .post(&items)
        .bearer_auth(&planner)
        .header("content-crs", "<http://www.opengis.net/def/crs/EPSG/0/9999>")
        .json(&team("怪坐标队", 106.55, 29.56))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(counts(pool).await, before);
    assert!(audit_since(pool, mark).await.is_empty());

    // Create, given in CGCS2000 (latitude first): 201, Location, stored as longitude, latitude.
    let response = reqwest::Client::new()
        .post(&items)
        .bearer_auth(&planner)
        .header("content-type", "application/geo+json")
        .header("content-crs", format!("<{EPSG4490}>"))
        .json(&team("标准接口队", 29.56, 106.55))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(location, format!("{items}/{id}"));
    assert_eq!(created["geometry"]["coordinates"], json!([106.55, 29.56]));
    let (status, fetched) = get(&location).await;
    assert_eq!(status, 200);
    assert_eq!(fetched["properties"]["name"], "标准接口队");
    let records = audit_since(pool, mark).await;
    assert_eq!(records, vec![("team".into(), id, "insert".into(), "ogc-planner".into())]);

    // Replace, then a merge patch, then delete: one record each, as the planner.
    let mark = last_audit(pool).await;
    let (status, _, replaced) =
        call_as(Some(&planner), Method::PUT, &location, Some(team("标准接口二队", 106.56, 29.57))).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["properties"]["name"], "标准接口二队");
    let (status, _, patched) =
        call_as(Some(&planner), Method::PATCH, &location, Some(json!({"properties": {"headcount": 33}}))).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["properties"]["headcount"], 33);
    assert_eq!(patched["properties"]["name"], "标准接口二队");
    let (status, _, body) = call_as(Some(&viewer), Method::DELETE, &location, None).await;
    assert_eq!(status, 403, "{body}");
    let (status, _, _) = call_as(Some(&planner), Method::DELETE, &location, None).await;
    assert_eq!(status, 204);
    assert_eq!(get(&location).await.0, 404);
    let ops: Vec<(String, i64, String, String)> = audit_since(pool, mark).await;
    let expected: Vec<(String, i64, String, String)> = ["update", "update", "delete"]
        .iter()
        .map(|op| ("team".to_string(), id, op.to_string(), "ogc-planner".to_string()))
        .collect();
    assert_eq!(ops, expected);

    // A dispatcher may write incidents, as through /api/layers.
    let incident = feature(point(106.55, 29.56), json!({"name": "接口事件", "kind": "water", "severity": "一般"}));
    let (status, _, body) =
        call_as(Some(&dispatcher), Method::POST, &server.at("/ogc/collections/incident/items"), Some(incident)).await;
    assert_eq!(status, 201, "{body}");
}

/// Runs `ogrinfo` as the user of `token` (async: the server answers on this test's runtime).
async fn gdal(args: &[&str], token: &str) -> (String, String) {
    let out = Command::new("ogrinfo")
        .args(args)
        .env("GDAL_HTTP_HEADERS", format!("Authorization: Bearer {token}"))
        .env("CPL_DEBUG", "ON")
        .output()
        .await
        .expect("ogrinfo (gdal-bin) is installed by scripts/setup");
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string());
    assert!(out.status.success(), "ogrinfo {args:?}: {stdout}\n{stderr}");
    (stdout, stderr)
}

#[tokio::test]
async fn gdal_lists_every_collection_reads_a_filtered_layer_and_opens_a_tile() {
    let server = TestServer::with_demo().await.unwrap();
    let token = server.token("gdal-viewer", Role::Viewer, None).await.unwrap();
    let source = format!("OAPIF:{}/ogc", server.url);
    let (listing, _) = gdal(&["-ro", "-q", &source], &token).await;
    for layer in LAYERS.iter().chain(READ_ONLY) {
        assert!(listing.contains(&format!(": {} (", layer.name)), "{} not listed:\n{listing}", layer.name);
        let (summary, _) = gdal(&["-ro", "-so", &source, layer.name], &token).await;
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {}", layer.name)))
            .fetch_one(&server.pool)
            .await
            .unwrap();
        assert!(summary.contains(&format!("Feature Count: {count}\n")), "{}: {count} expected:\n{summary}", layer.name);
    }

    // A filtered read, evaluated by onemap (the filter is in GDAL's request).
    let expected = sql_ids(&server.pool, "receptor", "population > 5000 AND kind = 'residential'").await;
    assert!(expected.len() > 3);
    let (features, debug) =
        gdal(&["-ro", "-q", &source, "receptor", "-where", "population > 5000 AND kind = 'residential'"], &token).await;
    assert!(debug.contains("filter="), "the filter went to the server:\n{debug}");
    let mut got: Vec<i64> = features
        .lines()
        .filter_map(|l| l.strip_prefix("OGRFeature(receptor):"))
        .map(|n| n.trim().parse().unwrap())
        .collect();
    got.sort();
    assert_eq!(got.len(), expected.len(), "{features}");

    // The MVT driver reads a served tile (z/x/y in the path gives it its place).
    let (z, (x, y)) = (10, common::tile_of(106.55, 29.56, 10));
    let bytes = common::raw_get(server.at(&format!("/tiles/onemap/{z}/{x}/{y}.mvt"))).await.bytes().await.unwrap();
    assert!(!bytes.is_empty());
    let dir = std::env::temp_dir().join(format!("onemap-mvt-{}", std::process::id()));
    let path = dir.join(format!("{z}/{x}/{y}.pbf"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let (layers, _) = gdal(&["-ro", "-so", path.to_str().unwrap()], &token).await;
    std::fs::remove_dir_all(&dir).ok();
    for layer in ["district", "receptor", "route"] {
        assert!(
            layers.contains(&format!(": {layer} ")) || layers.contains(&format!(": {layer}\n")),
            "{layer} in the tile:\n{layers}"
        );
    }
}
