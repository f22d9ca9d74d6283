//! The command-hall viewer: one page and its assets, all compiled into the binary.

const INDEX: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");
const API_JS: &str = include_str!("api.js");
const DUTY_JS: &str = include_str!("duty.js");
const STATS_JS: &str = include_str!("stats.js");
const PLUME_JS: &str = include_str!("plume.js");
const WARNINGS_JS: &str = include_str!("warnings.js");
const INTERCEPT_JS: &str = include_str!("intercept.js");
const WORKSPACES_JS: &str = include_str!("workspaces.js");
const SESSION_JS: &str = include_str!("session.js");
const SEARCH_JS: &str = include_str!("search.js");
const LIVE_JS: &str = include_str!("live.js");
const NEAREST_JS: &str = include_str!("nearest.js");
const PLAN_JS: &str = include_str!("plan.js");
const EMERGENCY_PLANS_JS: &str = include_str!("emergency-plans.js");
const ON_DUTY_JS: &str = include_str!("on-duty.js");
const COMMAND_JS: &str = include_str!("command.js");
const REVIEW_JS: &str = include_str!("review.js");
const SUPPORT_JS: &str = include_str!("support.js");
const DRILLS_JS: &str = include_str!("drills.js");
const STANDARDS_JS: &str = include_str!("standards.js");
const STATIONS_JS: &str = include_str!("stations.js");
const ALARMS_JS: &str = include_str!("alarms.js");
const EMERGENCY_MONITORING_JS: &str = include_str!("emergency-monitoring.js");
const RISK_JS: &str = include_str!("risk.js");
const COVERAGE_JS: &str = include_str!("coverage.js");
const PHONE_JS: &str = include_str!("phone.js");
const OUTBOX_JS: &str = include_str!("outbox.js");
const DRAW_JS: &str = include_str!("draw.js");
const WORDS_JS: &str = include_str!("words.js");
const STATE_JS: &str = include_str!("state.js");
const SERVICE_WORKER: &str = include_str!("sw.js");
const WALL: &str = include_str!("wall.html");
const WALL_JS: &str = include_str!("wall.js");
const WALL_CSS: &str = include_str!("wall.css");
const ECHARTS: &str = include_str!("vendor/echarts.esm.min.mjs");
const MAPLIBRE: &str = include_str!("vendor/maplibre-gl.mjs");
const MAPLIBRE_WORKER: &str = include_str!("vendor/maplibre-gl-worker.mjs");
const MAPLIBRE_CSS: &str = include_str!("vendor/maplibre-gl.css");
const OFFLINE_HTML: &str = include_str!("offline.html");
const OFFLINE_JS: &str = include_str!("offline.js");
const SWAGGER_UI: &str = include_str!("vendor/swagger-ui-bundle.js");
const SWAGGER_UI_CSS: &str = include_str!("vendor/swagger-ui.css");
const API_DOCS_JS: &str = include_str!("api-docs.js");

pub const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The page and its files: path, body, content type.
pub const FILES: &[(&str, &str, &str)] = &[
    ("/", INDEX, "text/html; charset=utf-8"),
    ("/viewer/app.js", APP_JS, JS),
    ("/viewer/app.css", APP_CSS, CSS),
    ("/viewer/api.js", API_JS, JS),
    ("/viewer/duty.js", DUTY_JS, JS),
    ("/viewer/stats.js", STATS_JS, JS),
    ("/viewer/plume.js", PLUME_JS, JS),
    ("/viewer/warnings.js", WARNINGS_JS, JS),
    ("/viewer/intercept.js", INTERCEPT_JS, JS),
    ("/viewer/workspaces.js", WORKSPACES_JS, JS),
    ("/viewer/session.js", SESSION_JS, JS),
    ("/viewer/search.js", SEARCH_JS, JS),
    ("/viewer/live.js", LIVE_JS, JS),
    ("/viewer/nearest.js", NEAREST_JS, JS),
    ("/viewer/plan.js", PLAN_JS, JS),
    ("/viewer/emergency-plans.js", EMERGENCY_PLANS_JS, JS),
    ("/viewer/on-duty.js", ON_DUTY_JS, JS),
    ("/viewer/command.js", COMMAND_JS, JS),
    ("/viewer/review.js", REVIEW_JS, JS),
    ("/viewer/support.js", SUPPORT_JS, JS),
    ("/viewer/drills.js", DRILLS_JS, JS),
    ("/viewer/standards.js", STANDARDS_JS, JS),
    ("/viewer/stations.js", STATIONS_JS, JS),
    ("/viewer/alarms.js", ALARMS_JS, JS),
    ("/viewer/emergency-monitoring.js", EMERGENCY_MONITORING_JS, JS),
    ("/viewer/risk.js", RISK_JS, JS),
    ("/viewer/coverage.js", COVERAGE_JS, JS),
    ("/viewer/phone.js", PHONE_JS, JS),
    ("/viewer/outbox.js", OUTBOX_JS, JS),
    ("/viewer/draw.js", DRAW_JS, JS),
    ("/viewer/words.js", WORDS_JS, JS),
    ("/viewer/state.js", STATE_JS, JS),
    ("/wall", WALL, "text/html; charset=utf-8"),
    ("/viewer/wall.js", WALL_JS, JS),
    ("/viewer/wall.css", WALL_CSS, CSS),
    ("/vendor/echarts.esm.min.mjs", ECHARTS, JS),
    ("/vendor/maplibre-gl.mjs", MAPLIBRE, JS),
    ("/vendor/maplibre-gl-worker.mjs", MAPLIBRE_WORKER, JS),
    ("/vendor/maplibre-gl.css", MAPLIBRE_CSS, CSS),
    ("/vendor/swagger-ui-bundle.js", SWAGGER_UI, JS),
    ("/vendor/swagger-ui.css", SWAGGER_UI_CSS, CSS),
    ("/viewer/api-docs.js", API_DOCS_JS, JS),
    ("/viewer/offline.html", OFFLINE_HTML, "text/html; charset=utf-8"),
    ("/viewer/offline.js", OFFLINE_JS, JS),
];

const FIELD_PAGE: &str = include_str!("field.html");
const PMTILES_JS: &str = include_str!("vendor/pmtiles.js");

/// The field page of an offline package called `name`: one HTML file holding MapLibre, the
/// PMTiles reader and `style`, that opens the package chosen from the disk with no server.
pub fn field_page(name: &str, style: &serde_json::Value) -> String {
    use base64::Engine;
    let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    // In a script element only `</` could end it early: JSON may spell `<` as `\u003c`.
    let style = style.to_string().replace('<', "\\u003c");
    let name: String = name.chars().filter(|c| !"<>&\"'".contains(*c)).collect();
    FIELD_PAGE
        .replace("/*MAPLIBRE_CSS*/", MAPLIBRE_CSS)
        .replace("/*NAME*/", &name)
        .replace("/*PMTILES_JS*/", PMTILES_JS)
        .replace("/*STYLE*/", &style)
        .replace("/*MAPLIBRE_B64*/", &b64(MAPLIBRE))
        .replace("/*WORKER_B64*/", &b64(MAPLIBRE_WORKER))
}

/// The body and content type of the viewer's file at `path`.
pub fn file(path: &str) -> Option<(&'static str, &'static str)> {
    FILES.iter().find(|(p, ..)| *p == path).map(|&(_, body, content_type)| (body, content_type))
}

/// The service worker: its template with this build's version (a hash of every file) and the
/// files it keeps for the phone (not the API's documentation nor the offline package's page).
pub fn service_worker() -> &'static str {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(|| {
        let hashes: Vec<u8> =
            FILES.iter().flat_map(|(_, body, _)| crate::hash::fnv1a(body.as_bytes()).to_le_bytes()).collect();
        let shell: Vec<&str> = FILES
            .iter()
            .map(|(path, ..)| *path)
            .filter(|p| !p.contains("swagger") && !p.contains("api-docs") && !p.contains("offline"))
            .collect();
        SERVICE_WORKER
            .replace("/*VERSION*/", &format!("{:016x}", crate::hash::fnv1a(&hashes)))
            .replace("/*SHELL*/[]", &serde_json::to_string(&shell).unwrap_or_else(|_| "[]".into()))
    })
}
