//! Travel times on the road graph against pgRouting's `pgr_dijkstraCost` over the same `route`
//! rows (see `common::compare_with_pgrouting`): equal within 0.1 %.

mod common;

use common::testing::{database, demo_dir};
use onemap::exchange::synthetic::{self, Grid};

#[tokio::test]
async fn travel_times_equal_pgrouting_within_a_tenth_of_a_percent() {
    let pool = database().await.unwrap();
    onemap::exchange::demo::load(&pool, &demo_dir(), false).await.unwrap();
    // A synthetic town beside the demo roads: one-way streets and a class hierarchy.
    let town = Grid { side: 30, seed: 99, bbox: [106.30, 29.40, 106.60, 29.65] };
    synthetic::insert(&pool, &synthetic::roads(&town)).await.unwrap();
    let (compared, worst) = common::compare_with_pgrouting(&pool, 12, 40).await;
    assert!(compared > 300, "{compared}");
    println!(
        "compared {compared} origin–destination pairs with pgr_dijkstraCost; largest relative difference {worst:.2e}"
    );
}
