//! The OpenAPI 3.1 document: every route of the router is in it with what it needs, nothing
//! else is, an independent validator accepts it, and the API browser shows every operation.

mod common;

use common::call_as;
use common::testing::TestServer;
use onemap::api::permission::Need;
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn the_document_covers_every_route_is_valid_and_browsable() {
    let server = TestServer::start().await.unwrap();
    let (status, content_type, doc) = call_as(None, Method::GET, &server.at("/api/openapi.json"), None).await;
    assert_eq!((status.as_u16(), content_type.as_str()), (200, "application/json"));
    assert_eq!(doc["openapi"], "3.1.0");

    let routes = onemap::api::routes();
    let rules = routes.rules();
    let mut missing = Vec::new();
    for rule in rules {
        let method = rule.method.as_str().to_lowercase();
        // A wildcard (`{*path}`) is one parameter in the document (`{path}`).
        let path = rule.path.replace("{*", "{");
        let operation = &doc["paths"][&path][&method];
        if !operation.is_object() {
            missing.push(format!("{} {} is not in the document", rule.method, rule.path));
            continue;
        }
        if operation["summary"].as_str().unwrap_or("").is_empty() {
            missing.push(format!("{} {} has no summary (add .doc(...) beside the route)", rule.method, rule.path));
        }
        let responses = operation["responses"].as_object().unwrap();
        if !responses.keys().any(|k| k.starts_with('2')) {
            missing.push(format!("{} {} says nothing of its answer", rule.method, rule.path));
        }
        let declared: Vec<&str> = operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for segment in path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) {
            assert!(declared.contains(&segment), "{} {}: path parameter {segment}", rule.method, rule.path);
        }
        match rule.need {
            Need::Nothing => assert_eq!(operation["security"], serde_json::json!([]), "{} {}", rule.method, rule.path),
            _ => {
                assert!(responses.contains_key("401") && responses.contains_key("403"), "{} {}", rule.method, rule.path)
            }
        }
    }
    assert!(missing.is_empty(), "{} routes undocumented:\n{}", missing.len(), missing.join("\n"));
    // Nothing in the document that the router does not serve.
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations += 1;
            assert!(
                rules
                    .iter()
                    .any(|r| r.path.replace("{*", "{") == *path && r.method.as_str().eq_ignore_ascii_case(method)),
                "{method} {path} is documented but not routed"
            );
        }
    }
    assert_eq!(operations, rules.len());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());

    // An independent validator, and the browser page.
    let root = env!("CARGO_MANIFEST_DIR");
    let file = std::env::temp_dir().join(format!("onemap-openapi-{}.json", std::process::id()));
    std::fs::write(&file, doc.to_string()).unwrap();
    let output = tokio::process::Command::new("node")
        .arg(format!("{root}/tests/browser/openapi.mjs"))
        .arg(&server.url)
        .arg(&file)
        .output()
        .await
        .expect("node (scripts/setup installs the browser test's packages)");
    std::fs::remove_file(&file).ok();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    let result: Value = serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap();
    println!("{result}");
    assert_eq!(result["valid"], true, "{}", result["errors"]);
    assert_eq!(result["operations"], operations, "every operation in the API browser");
    assert_eq!(result["outside"], serde_json::json!([]), "nothing fetched from outside");
    assert_eq!(result["page_errors"], serde_json::json!([]));
}
