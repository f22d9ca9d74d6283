//! Depot stock: per depot, changed safely, and found across all depots.

mod common;

use std::collections::BTreeMap;

use common::testing::{TestServer, demo_dir};
use common::{call, counts, expect_problem, get, post, sample};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_depot_lists_adds_changes_and_removes_its_stock() {
    let server = TestServer::start().await.unwrap();
    let (_, a) = post(&server.at("/api/layers/depot"), sample("depot", 0, 0)).await;
    let (_, b) = post(&server.at("/api/layers/depot"), sample("depot", 0, 0)).await;
    let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let stock = server.at(&format!("/api/depots/{a}/stock"));

    // One item as a plain object, then several as a list.
    let (status, one) =
        post(&stock, json!({"category": "treatment", "item": "活性炭", "unit": "t", "quantity": 20, "reserved": 5}))
            .await;
    assert_eq!(status, 201, "{one}");
    assert_eq!(one["properties"]["depot_id"], a);
    let (status, many) = post(
        &stock,
        json!([{"category": "containment", "item": "围油栏", "unit": "m", "quantity": 800},
               {"category": "protection", "item": "防化服", "unit": "套", "quantity": 30, "storage_mode": "代储"}]),
    )
    .await;
    assert_eq!(status, 201, "{many}");
    assert_eq!(many["features"].as_array().unwrap().len(), 2);

    let (status, list) = get(&stock).await;
    assert_eq!(status, 200);
    let items: BTreeMap<String, (f64, f64)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (i["item"].as_str().unwrap().to_string(), (i["quantity"].as_f64().unwrap(), i["free"].as_f64().unwrap()))
        })
        .collect();
    assert_eq!(items["活性炭"], (20.0, 15.0));
    assert_eq!(items["围油栏"], (800.0, 800.0));
    assert_eq!(items.len(), 3);

    let id = one["id"].as_i64().unwrap();
    let (status, _, patched) = call(Method::PATCH, &format!("{stock}/{id}"), Some(json!({"quantity": 12}))).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["properties"]["quantity"], 12.0);
    assert_eq!(patched["properties"]["reserved"], 5.0);

    // Through another depot's path, the item does not exist.
    expect_problem(
        Method::PATCH,
        &server.at(&format!("/api/depots/{b}/stock/{id}")),
        Some(json!({"quantity": 1})),
        404,
    )
    .await;
    expect_problem(Method::DELETE, &server.at(&format!("/api/depots/{b}/stock/{id}")), None, 404).await;
    // The path's depot wins over nothing, but a different depot in the body is an error.
    let before = counts(&server.pool).await;
    let p = expect_problem(
        Method::POST,
        &stock,
        Some(json!({"depot_id": b, "category": "treatment", "item": "石灰", "unit": "t", "quantity": 1})),
        422,
    )
    .await;
    assert_eq!(p["field"], "depot_id");
    // A list with one bad item adds none.
    let p = expect_problem(
        Method::POST,
        &stock,
        Some(json!([{"category": "treatment", "item": "石灰", "unit": "t", "quantity": 1},
                    {"category": "treatment", "item": "石灰", "unit": "t", "quantity": -1}])),
        422,
    )
    .await;
    assert_eq!(p["feature"], 1);
    assert_eq!(counts(&server.pool).await, before);

    let (status, _, _) = call(Method::DELETE, &format!("{stock}/{id}"), None).await;
    assert_eq!(status, 204);
    let (_, list) = get(&stock).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    expect_problem(Method::GET, &server.at("/api/depots/999999/stock"), None, 404).await;
    expect_problem(Method::POST, &server.at("/api/depots/999999/stock"), Some(json!({"item": "x"})), 404).await;
}

#[tokio::test]
async fn an_item_is_found_across_all_depots() {
    let server = TestServer::start().await.unwrap();
    onemap::exchange::demo::load(&server.pool, &demo_dir(), false).await.unwrap();
    sqlx::query("UPDATE stock_item SET reserved = quantity / 2 WHERE id % 3 = 0").execute(&server.pool).await.unwrap();

    let (status, found) = get(&server.at("/api/stock?item=%E6%B4%BB%E6%80%A7%E7%82%AD")).await;
    assert_eq!(status, 200);
    let got: BTreeMap<i64, (f64, String)> = found["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (f["id"].as_i64().unwrap(), (p["free"].as_f64().unwrap(), p["depot"].as_str().unwrap().to_string()))
        })
        .collect();
    let expected: BTreeMap<i64, (f64, String)> = sqlx::query_as::<_, (i64, f64, String)>(
        "SELECT s.id, s.quantity - s.reserved, d.name FROM stock_item s JOIN depot d ON d.id = s.depot_id WHERE s.item = '活性炭'",
    )
    .fetch_all(&server.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(id, free, depot)| (id, (free, depot)))
    .collect();
    assert!(expected.len() > 5);
    assert_eq!(got, expected);
    // Most free first, each at its depot's location.
    let frees: Vec<f64> =
        found["features"].as_array().unwrap().iter().map(|f| f["properties"]["free"].as_f64().unwrap()).collect();
    assert!(frees.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(found["features"][0]["geometry"]["type"], "Point");

    let (_, big) = get(&server.at("/api/stock?item=%E6%B4%BB%E6%80%A7%E7%82%AD&min_free=50")).await;
    let expected_big = expected.values().filter(|(free, _)| *free >= 50.0).count();
    assert_eq!(big["features"].as_array().unwrap().len(), expected_big);
    let (_, category) = get(&server.at("/api/stock?category=monitoring")).await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM stock_item WHERE category = 'monitoring'")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    assert_eq!(category["features"].as_array().unwrap().len() as i64, n);
    let (_, none) = get(&server.at("/api/stock?item=%E4%B8%8D%E5%AD%98%E5%9C%A8")).await;
    assert_eq!(none["features"].as_array().unwrap().len(), 0);
}
