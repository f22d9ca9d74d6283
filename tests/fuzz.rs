//! An independent fuzzer against the API (issue 20): Schemathesis reads `/api/openapi.json` and
//! sends every operation a bounded number of generated requests as an administrator, checking
//! that none answers 5xx, every status is one the document lists, and every answer matches its
//! documented schema. The summary is printed.

mod common;

use std::process::Command;

use common::testing::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let server = TestServer::with_demo().await.unwrap();
    let url = server.at("/api/openapi.json");
    let token = server.admin_token.clone();
    let run = tokio::task::spawn_blocking(move || {
        Command::new("schemathesis")
            .args(["run", &url, "--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "not_a_server_error,status_code_conformance,response_schema_conformance"])
            .args(["--max-examples", "4", "--seed", "20", "--workers", "1", "--no-shrink"])
            .args(["--phases", "examples,coverage,fuzzing", "--request-timeout", "30"])
            .env("NO_COLOR", "1")
            .output()
            .expect("schemathesis (PyPI; scripts/setup installs it)")
    })
    .await
    .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    let summary = out.rsplit_once("SUMMARY").map_or(out.as_ref(), |(_, s)| s);
    println!("schemathesis:{summary}");
    assert!(run.status.success(), "{out}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(summary.contains("Tested:"), "{out}");
}
