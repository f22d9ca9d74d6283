//! The domain's words are defined once (architecture principle 9): `/api/words` serves the
//! catalogue's vocabularies, no screen keeps a dictionary of its own, and the viewer says a span
//! of time exactly as the server does.

mod common;

use std::path::Path;
use std::process::Command;

use common::testing::TestServer;
use onemap::layers::spec::{FieldType, LAYERS};
use onemap::layers::words::{self, VOCABULARIES};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn the_words_are_served_to_anyone_as_the_catalogue_defines_them() {
    let server = TestServer::start().await.unwrap();
    let (status, _, body) = common::call_as(None, reqwest::Method::GET, &server.at("/api/words"), None).await;
    assert_eq!(status, StatusCode::OK);
    for v in VOCABULARIES {
        let served = &body["vocabularies"][v.name];
        assert_eq!(served["title"], v.title);
        let words = served["words"].as_array().unwrap();
        assert_eq!(words.len(), v.words.len(), "{}", v.name);
        for (w, s) in v.words.iter().zip(words) {
            assert_eq!((s["code"].as_str(), s["label"].as_str()), (Some(w.code), Some(w.label)));
            assert_eq!(s["colour"].as_str(), w.colour);
        }
    }
    // Each coded field names its vocabulary, whose codes are exactly the field's values.
    for layer in LAYERS {
        for field in layer.fields {
            if let FieldType::Enum(values) | FieldType::EnumList(values) = field.ty {
                let Some(name) = body["fields"][layer.name][field.name].as_str() else { continue };
                let codes: Vec<&str> = words::vocabulary(name).unwrap().words.iter().map(|w| w.code).collect();
                assert_eq!(codes, values, "{}.{}", layer.name, field.name);
            }
        }
    }
    assert_eq!(body["fields"]["receptor"]["kind"], "receptor_kind");
    // The layer list says the same.
    let (_, _, layers) = common::call(reqwest::Method::GET, &server.at("/api/layers"), None).await;
    let receptor = layers["layers"].as_array().unwrap().iter().find(|l| l["name"] == "receptor").unwrap();
    let kind = receptor["fields"].as_array().unwrap().iter().find(|f| f["name"] == "kind").unwrap();
    assert_eq!(kind["vocabulary"], "receptor_kind");
}

/// The viewer's own source files (vendored libraries aside).
fn viewer_sources() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/viewer");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "js" || e == "html") {
            out.push((
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    out
}

#[test]
fn no_screen_keeps_its_own_dictionary() {
    // A code written beside a Chinese label (`water_intake: '取水口'`, `['safety_accident', '安全生产事故']`,
    // `<option value="water">水`) is a second definition of a word.
    let is_cjk = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
    let mut found = Vec::new();
    for (file, text) in viewer_sources() {
        for v in VOCABULARIES.iter().filter(|v| v.name != "field") {
            for w in v.words.iter().filter(|w| w.code.is_ascii()) {
                for pattern in [
                    format!("{}: '", w.code),
                    format!("['{}', '", w.code),
                    format!("'{}': '", w.code),
                    format!("value=\"{}\">", w.code),
                ] {
                    // The desk's "find a depot / a team" choice names a search, not the layer
                    // (nor an order's addressee).
                    if matches!(v.name, "map_layer" | "order_to") && pattern.starts_with("value=") {
                        continue;
                    }
                    for (at, _) in text.match_indices(&pattern) {
                        // A button's value names what it does (保存草稿), not a word's code.
                        if text[..at].ends_with("<button ") {
                            continue;
                        }
                        let rest = &text[at + pattern.len()..];
                        if rest.chars().next().is_some_and(is_cjk) {
                            found.push(format!(
                                "{file}: {}…",
                                &text[at..at + pattern.len() + rest.chars().take(6).map(char::len_utf8).sum::<usize>()]
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "labels defined outside the catalogue:\n{}", found.join("\n"));
}

#[test]
fn the_viewer_says_a_span_as_the_server_does() {
    let words_js = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/viewer/words.js");
    let minutes: Vec<i64> =
        [0, 1, 59, 119, 120, 121, 150, 179, 180, 2879, 2880, 2881, 3599, 3600, 23305, 100_000, -1, -119, -120, -23305]
            .into_iter()
            .chain((0..200).map(|i| i * 37 - 2000))
            .collect();
    let script = format!(
        "import {{ span }} from {:?}; console.log(JSON.stringify({}.map(span)));",
        words_js.to_string_lossy(),
        serde_json::to_string(&minutes).unwrap()
    );
    let out = Command::new("node").args(["--input-type=module", "-e", &script]).output().expect("node runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said: Vec<String> = serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = minutes.iter().map(|m| onemap::time::span(*m)).collect();
    assert_eq!(said, expected);
}

/// The codes the column's own CHECK constraint of `table` (`{table}_{column}_check`) allows
/// for `column` (`column IN ('a', 'b')`, which PostgreSQL keeps as `column = ANY (ARRAY['a'::text,
/// 'b'::text])`); other checks of the table may name a few of them.
async fn allowed(pool: &sqlx::PgPool, table: &str, column: &str) -> Vec<String> {
    let checks: Vec<String> = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c' \
           AND conname = $2",
    )
    .bind(table)
    .bind(format!("{table}_{column}_check"))
    .fetch_all(pool)
    .await
    .unwrap();
    let check = checks
        .iter()
        .find(|c| c.contains(&format!("({column} = ANY (ARRAY[")))
        .unwrap_or_else(|| panic!("no CHECK of {table}.{column} among {checks:?}"));
    let list = check.split("ARRAY[").nth(1).unwrap().split(']').next().unwrap();
    list.split(", ").map(|c| c.trim_start_matches('\'').split('\'').next().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_database_allows_exactly_the_statuses_the_code_knows() {
    let pool = common::testing::database().await.unwrap();
    let codes = |words: &[words::Word]| words.iter().map(|w| w.code.to_string()).collect::<Vec<_>>();
    let warning: Vec<String> = onemap::warning::status::Status::ALL.iter().map(|(_, code)| code.to_string()).collect();
    for (table, column, known) in [
        ("warning", "status", warning),
        ("dispatch", "status", codes(&words::DISPATCH_STATUS)),
        ("team", "status", codes(&words::TEAM_STATUS)),
        ("risk_source", "status", codes(&words::RISK_SOURCE_STATUS)),
        ("incident", "status", codes(&words::INCIDENT_STATUS)),
        ("plan", "kind", codes(&words::PLAN_KIND)),
        ("plan", "level", codes(&words::PLAN_LEVEL)),
        ("plan_version", "status", codes(&words::PLAN_STATUS)),
        ("plan_filing", "kind", codes(&words::FILING_KIND)),
        ("plan_filing", "status", codes(&words::FILING_STATUS)),
        ("plan_document", "kind", codes(&words::PLAN_DOCUMENT)),
        ("intake", "channel", codes(&words::INTAKE_CHANNEL)),
        ("intake", "status", codes(&words::INTAKE_STATUS)),
        ("duty_shift", "post", codes(&words::DUTY_POST)),
        ("inspection", "kind", codes(&words::INSPECTION_KIND)),
        ("response", "level", codes(&words::RESPONSE_LEVEL)),
        ("response_order", "module", codes(&words::ORDER_MODULE)),
        ("response_order", "to_kind", codes(&words::ORDER_TO)),
        ("response_order", "status", codes(&words::ORDER_STATUS)),
        ("station_state", "medium", codes(&words::STATION_MEDIUM)),
        ("alarm", "kind", codes(&words::ALARM_KIND)),
        ("alarm", "status", codes(&words::ALARM_STATUS)),
        ("sta_qc", "flag", codes(&words::QC_FLAG)),
        ("monitoring_plan", "status", codes(&words::MONITORING_PLAN_STATUS)),
    ] {
        assert_eq!(allowed(&pool, table, column).await, known, "{table}.{column}");
    }
}

#[test]
fn every_event_the_database_announces_is_a_word_and_every_word_is_announced() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut text = String::new();
    for dir in ["migrations", "src/feed", "src/plans", "src/duty", "src/response", "src/sensing", "src/monitoring"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                text.push_str(&std::fs::read_to_string(path).unwrap());
            }
        }
    }
    let announced: std::collections::BTreeSet<&str> =
        text.split("onemap_event('").skip(1).map(|rest| rest.split('\'').next().unwrap()).collect();
    let known: std::collections::BTreeSet<&str> = words::EVENT_KIND.iter().map(|w| w.code).collect();
    assert_eq!(
        announced, known,
        "onemap_event kinds in the migrations, src/feed, src/plans, src/duty, src/response and src/sensing against words::EVENT_KIND"
    );
}

#[test]
fn the_standards_classes_and_categories_are_the_words_the_screens_colour() {
    let codes = |ws: &[words::Word]| ws.iter().map(|w| w.code).collect::<Vec<_>>();
    assert_eq!(codes(&words::WATER_CLASS), onemap::standards::water::CLASSES);
    let categories: Vec<(&str, &str)> = onemap::standards::aqi::CATEGORIES.iter().map(|c| (c.2, c.3)).collect();
    let coloured: Vec<(&str, &str)> = words::AQI_CATEGORY.iter().map(|w| (w.code, w.colour.unwrap())).collect();
    assert_eq!(coloured, categories);
    assert!(words::WATER_CLASS.iter().all(|w| w.colour.is_some()));
}
