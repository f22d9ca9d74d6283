//! The landing page, the conformance declaration and the API definition.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::{CONFORMANCE, JSON, OGC_FEATURES, OPENAPI, answer, base, link};
use crate::api::doc::{Doc, standard};
use crate::api::routes::Routes;
use crate::auth::Action;

/// `/ogc`, `/ogc/conformance` and `/ogc/api`.
pub fn router() -> Routes {
    Routes::new()
        .get("/ogc", Action::Read, landing)
        .doc(Doc::new("OGC API – Features: the landing page").answer(
            200,
            standard("OGC API – Features Part 1 (landing page)", OGC_FEATURES),
            "the landing page",
        ))
        .get("/ogc/conformance", Action::Read, conformance)
        .doc(Doc::new("OGC API – Features: the conformance classes").answer(
            200,
            standard("OGC API – Features Part 1 (conformance)", OGC_FEATURES),
            "the classes",
        ))
        .get("/ogc/api", Action::Read, definition)
        .doc(Doc::new("OGC API – Features: its OpenAPI 3.0 definition").answer_as(
            200,
            OPENAPI,
            standard("OpenAPI 3.0", "https://spec.openapis.org/oas/v3.0.3"),
            "the definition",
        ))
}

async fn landing(headers: HeaderMap) -> Response {
    let base = base(&headers);
    let body = json!({
        "title": "onemap 环境应急一张图",
        "description": "The environmental emergency one map's layers as OGC API – Features collections.",
        "links": [
            link(&base, "self", JSON, "this document"),
            link(format!("{base}/api"), "service-desc", OPENAPI, "the API definition"),
            link(format!("{base}/conformance"), "conformance", JSON, "the conformance classes met"),
            link(format!("{base}/collections"), "data", JSON, "the collections"),
        ],
    });
    answer(StatusCode::OK, JSON, &body)
}

async fn conformance() -> Response {
    answer(StatusCode::OK, JSON, &json!({ "conformsTo": CONFORMANCE }))
}

async fn definition(headers: HeaderMap) -> Response {
    answer(StatusCode::OK, OPENAPI, &super::definition::document(&base(&headers)))
}
