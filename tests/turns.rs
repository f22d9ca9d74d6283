//! Turn restrictions on real OpenStreetMap networks (Helsinki, Monaco): `import-osm` keeps
//! them, and travel times equal pgRouting's turn-restricted search (`pgr_trsp`) on the same rows
//! and restrictions, with no returned path making a forbidden turn.

mod common;

use std::collections::BTreeMap;

use common::testing::database;
use onemap::auth::Actor;
use onemap::routing::RoadGraph;
use onemap::routing::search::nearest;
use onemap::routing::turning::turns_of;

/// pgRouting's restrictions, from the `turn_restriction` rows (not from onemap's graph): a
/// `no_*` forbids its from → to, an `only_*` every other way on from the via vertex.
const RESTRICTIONS_SQL: &str = "\
    WITH t AS (SELECT r.id, r.kind, r.from_route_id AS f, r.to_route_id AS o, \
                 CASE WHEN r.via = 'start' THEN e.source ELSE e.target END AS v \
               FROM turn_restriction r JOIN pgr_edges e ON e.id = r.from_route_id) \
    SELECT t.id * 1000 AS id, 1e7::float8 AS cost, ARRAY[t.f, t.o]::bigint[] AS path FROM t WHERE t.kind LIKE 'no_%' \
    UNION ALL \
    SELECT t.id * 1000 + row_number() OVER (PARTITION BY t.id ORDER BY x.id), 1e7, ARRAY[t.f, x.id]::bigint[] \
    FROM t JOIN pgr_edges x ON x.id <> t.o AND (x.source = t.v OR (x.target = t.v AND x.reverse_cost > 0)) \
    WHERE t.kind LIKE 'only_%'";

/// Travel costs from `starts` to `target` by `sql` (rows of start, cost; a null cost: unreachable).
async fn costs(pool: &sqlx::PgPool, sql: &'static str, starts: &[i64], target: i64) -> BTreeMap<i64, f64> {
    sqlx::query_as::<_, (i64, Option<f64>)>(sql)
        .bind(starts)
        .bind(target)
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|(s, cost)| cost.map(|c| (s, c)))
        .collect()
}

async fn check(file: &str) -> (usize, usize) {
    let pool = database().await.unwrap();
    let path = format!("{}/data/osm/{file}", env!("CARGO_MANIFEST_DIR"));
    let summary =
        onemap::exchange::osm::import(&pool, &Actor::command_line(), std::path::Path::new(&path), None, false)
            .await
            .unwrap();
    assert!(summary.turns.kept >= 30, "{summary}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM turn_restriction").fetch_one(&pool).await.unwrap();
    assert_eq!(stored as usize, summary.turns.kept);
    common::pgr_edges(&pool).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE TABLE pgr_restrictions AS {RESTRICTIONS_SQL}")))
        .execute(&pool)
        .await
        .unwrap();
    // Turning round is allowed at a dead end only, in onemap as in driving; pgr_trsp never turns
    // back along the edge it came by, so it gets a loop of no length at every dead end.
    sqlx::query(
        "CREATE TABLE pgr_edges_turning AS SELECT id, source, target, cost, reverse_cost FROM pgr_edges UNION ALL \
         SELECT 100000000 + v, v, v, 0, -1 FROM (SELECT v FROM (SELECT id, source AS v FROM pgr_edges UNION SELECT id, target FROM pgr_edges) e \
           GROUP BY v HAVING count(DISTINCT id) = 1) dead",
    )
    .execute(&pool)
    .await
    .unwrap();
    let graph = RoadGraph::load(&pool).await.unwrap();
    assert!(!graph.turns.is_empty());
    // Vertices at the restrictions' via nodes and around them, and some elsewhere.
    let vertices: Vec<(i64, f64, f64)> = sqlx::query_as(
        "WITH v AS (SELECT source AS id, sx AS x, sy AS y FROM pgr_edges UNION SELECT target, tx, ty FROM pgr_edges), \
              near AS (SELECT DISTINCT v.* FROM v JOIN turn_restriction r ON true JOIN route g ON g.id = r.from_route_id \
                       WHERE ST_DWithin(ST_SetSRID(ST_MakePoint(v.x, v.y), 4326)::geography, \
                             CASE WHEN r.via = 'start' THEN ST_StartPoint(g.geom) ELSE ST_EndPoint(g.geom) END::geography, 300)) \
         SELECT * FROM (SELECT * FROM near ORDER BY (id * 2654435761) % 1000003 LIMIT 50) n \
         UNION SELECT * FROM (SELECT * FROM v ORDER BY id DESC LIMIT 20) picked ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(vertices.len() > 50, "{}", vertices.len());
    let snap = |x: f64, y: f64| {
        let node = graph.node_at(geo::Coord { x, y }).expect("a vertex is a node");
        graph.snap(graph.graph[node], 1.0, &|_| true).unwrap()
    };
    let mut compared = 0;
    let mut changed = 0;
    for (t, &(target, tx, ty)) in vertices.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
        let origins: Vec<&(i64, f64, f64)> = vertices.iter().filter(|o| o.0 != target).collect();
        let starts: Vec<i64> = origins.iter().map(|o| o.0).collect();
        // One to one: pgr_trsp's many-to-one answer of pgRouting 3.4 loses most of some paths.
        let restricted = costs(
            &pool,
            "SELECT s, (SELECT sum(cost) FROM pgr_trsp('SELECT id, source, target, cost, reverse_cost FROM pgr_edges_turning', \
               'SELECT id, cost, path FROM pgr_restrictions', s, $2::bigint, true)) FROM unnest($1::bigint[]) s",
            &starts,
            target,
        )
        .await;
        let free = costs(
            &pool,
            "SELECT start_vid, agg_cost FROM pgr_dijkstraCost('SELECT id, source, target, cost, reverse_cost FROM pgr_edges', \
               $1::bigint[], $2::bigint, true)",
            &starts,
            target,
        )
        .await;
        let candidates: Vec<_> = origins.iter().map(|o| snap(o.1, o.2)).collect();
        let found = nearest(&graph, &snap(tx, ty), &candidates, candidates.len(), f64::INFINITY, &|_| true);
        let ours: BTreeMap<i64, f64> = found.iter().map(|r| (origins[r.candidate].0, r.seconds)).collect();
        for r in &found {
            let forbidden: Vec<_> = turns_of(&graph, &r.path).into_iter().filter(|t| graph.turns.contains(t)).collect();
            assert!(
                forbidden.is_empty(),
                "{file}: the path from {} to {target} turns where it may not: {forbidden:?}",
                origins[r.candidate].0
            );
        }
        for (vid, theirs) in &restricted {
            // A cost of the size of the penalty: pgRouting found no way without a forbidden turn.
            if *theirs >= 1e7 {
                assert!(!ours.contains_key(vid), "{file}: {vid} → {target}: onemap found a way pgRouting did not");
                continue;
            }
            let mine = ours.get(vid).unwrap_or_else(|| panic!("{file}: {vid} → {target} not reached ({t})"));
            assert!(
                (mine - theirs).abs() <= 1e-6 * theirs.max(1.0),
                "{file}: {vid} → {target}: onemap {mine:.3} s, pgr_trsp {theirs:.3} s"
            );
            compared += 1;
            if free.get(vid).is_some_and(|f| (f - theirs).abs() > 1e-6 * theirs.max(1.0)) {
                changed += 1;
            }
        }
        for vid in ours.keys() {
            assert!(restricted.contains_key(vid), "{file}: onemap reached {vid} → {target}, pgr_trsp did not");
        }
    }
    println!(
        "{file}: {compared} travel times equal to pgr_trsp; {changed} of them longer than without the restrictions"
    );
    (compared, changed)
}

#[tokio::test]
async fn helsinki_turn_restrictions_route_as_pgr_trsp() {
    let (compared, changed) = check("helsinki.osm.pbf").await;
    assert!(compared > 1000 && changed > 20, "{compared} compared, {changed} changed by restrictions");
}

#[tokio::test]
async fn monaco_turn_restrictions_route_as_pgr_trsp() {
    let (compared, changed) = check("monaco.osm.pbf").await;
    assert!(compared > 1000 && changed > 20, "{compared} compared, {changed} changed by restrictions");
}

#[tokio::test]
async fn a_restriction_added_through_the_api_changes_the_route_at_once() {
    use serde_json::json;
    let server = common::testing::TestServer::start().await.unwrap();
    let road = |a: [f64; 2], b: [f64; 2]| {
        common::feature(json!({"type": "LineString", "coordinates": [a, b]}), json!({"kind": "road", "speed_kmh": 36}))
    };
    // A T: west and east of the junction (east a dead end), and north of it.
    let mut ids = Vec::new();
    for (a, b) in
        [([106.50, 29.50], [106.51, 29.50]), ([106.51, 29.50], [106.51, 29.51]), ([106.51, 29.50], [106.52, 29.50])]
    {
        let (status, made) = common::post(&server.at("/api/layers/route"), road(a, b)).await;
        assert_eq!(status, 201, "{made}");
        ids.push(made["id"].as_i64().unwrap());
    }
    let (status, depot) = common::post(
        &server.at("/api/layers/depot"),
        common::feature(common::point(106.51, 29.51), json!({"name": "北端库", "tier": "district"})),
    )
    .await;
    assert_eq!(status, 201);
    let stock = json!({"category": "treatment", "item": "活性炭", "unit": "t", "quantity": 5});
    common::post(&server.at(&format!("/api/depots/{}/stock", depot["id"])), stock).await;
    // The graph follows the roads in the background: ask until it has them.
    let nearest = || async {
        let ask = json!({"point": [106.50, 29.50], "find": "depot", "item": "活性炭"});
        let (_, body) = common::post(&server.at("/api/nearest"), ask).await;
        body["results"][0]["seconds"].as_f64()
    };
    let mut before = None;
    for _ in 0..100 {
        before = nearest().await;
        if before.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let before = before.expect("the depot is reached");
    // From the north road no right turn into the west road (at the north road's start).
    let turn = common::feature(
        serde_json::Value::Null,
        json!({"kind": "no_right_turn", "from_route_id": ids[1], "to_route_id": ids[0], "via": "start"}),
    );
    let (status, made) = common::post(&server.at("/api/layers/turn_restriction"), turn).await;
    assert_eq!(status, 201, "{made}");
    // Round by the dead end to the east: two more edges of 100 s... once the graph is rebuilt.
    let mut after = before;
    for _ in 0..100 {
        after = nearest().await.unwrap();
        if after > before + 1.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let east = (after - before) / 2.0;
    assert!((east - 96.7).abs() < 5.0, "before {before:.1} s, after {after:.1} s");

    // Bad restrictions are refused and change nothing.
    let url = server.at("/api/layers/turn_restriction");
    for (props, field) in [
        (json!({"kind": "no_left_turn", "from_route_id": ids[0], "to_route_id": ids[0]}), "to_route_id"),
        (json!({"kind": "no_parking", "from_route_id": ids[0], "to_route_id": ids[1]}), "kind"),
        (json!({"kind": "no_left_turn", "from_route_id": ids[0], "to_route_id": 987654}), "to_route_id"),
        (json!({"kind": "no_left_turn", "from_route_id": ids[0], "to_route_id": ids[1], "via": "middle"}), "via"),
    ] {
        let problem = common::expect_problem(
            reqwest::Method::POST,
            &url,
            Some(common::feature(serde_json::Value::Null, props)),
            422,
        )
        .await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM turn_restriction").fetch_one(&server.pool).await.unwrap();
    assert_eq!(count, 1);
}
