//! Travel times on the road graph against pgRouting's `pgr_dijkstraCost` over the same `route`
//! rows (see `common::compare_with_pgrouting`): equal within 0.1 %.

mod common;

use common::testing::{database, demo_dir};
use onemap::exchange::synthetic::{self, Grid};

/// The demo's roads: OpenStreetMap's real major roads of Chongqing (simplified) and the access
/// roads to the places off them.
#[tokio::test]
async fn travel_times_on_the_real_chongqing_roads_equal_pgrouting() {
    let pool = database().await.unwrap();
    onemap::exchange::demo::load(&pool, &demo_dir(), false).await.unwrap();
    let roads: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM route WHERE kind = 'road' AND name = '主要公路（OpenStreetMap，简化）'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(roads > 5000, "{roads}");
    let (compared, worst) = common::compare_with_pgrouting(&pool, 12, 40).await;
    assert!(compared > 300, "{compared}");
    println!(
        "compared {compared} pairs on Chongqing's roads with pgr_dijkstraCost; largest relative difference {worst:.2e}"
    );
}

/// A generated town: one-way streets and a class hierarchy, which the real major roads lack.
#[tokio::test]
async fn travel_times_on_one_way_streets_equal_pgrouting() {
    let pool = database().await.unwrap();
    let town = Grid { side: 30, seed: 99, bbox: [106.30, 29.40, 106.60, 29.65] };
    synthetic::insert(&pool, &synthetic::roads(&town)).await.unwrap();
    let (compared, worst) = common::compare_with_pgrouting(&pool, 12, 40).await;
    assert!(compared > 300, "{compared}");
    println!(
        "compared {compared} pairs in the generated town with pgr_dijkstraCost; largest relative difference {worst:.2e}"
    );
}
