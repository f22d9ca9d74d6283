//! The layers themselves: each table's geometry rule, fields and record checks, declared once.
//! Codes and their labels come from [`crate::layers::words`].

use super::model::*;
use crate::codes::{is_admin_code, is_cas_number, is_credit_code};
use crate::layers::words::{self, codes};

/// Air and water risk grades of HJ 941-2018, and incident severities share these words.
pub const GRADES: &[&str] = &codes(&words::GRADE);
/// Receptor kinds.
pub const RECEPTOR_KINDS: &[&str] = &codes(&words::RECEPTOR_KIND);
/// Road classes, from OpenStreetMap's highway tags.
pub const ROAD_CLASSES: &[&str] = &codes(&words::ROAD_CLASS);
/// Specialties of teams and experts.
pub const SPECIALTIES: &[&str] = &codes(&words::SPECIALTY);
/// Categories of emergency supplies.
pub const STOCK_CATEGORIES: &[&str] = &codes(&words::STOCK_CATEGORY);

const NAME: Field = Field { name: "name", ty: FieldType::Text { max: 200 }, required: true };
const DISTRICT: Field = Field { name: "district", ty: FieldType::Text { max: 100 }, required: false };
const CONTACT: Field = Field { name: "contact", ty: FieldType::Text { max: 200 }, required: false };

const fn text(name: &'static str, max: usize) -> Field {
    Field { name, ty: FieldType::Text { max }, required: false }
}
const fn one_of(name: &'static str, values: &'static [&'static str], required: bool) -> Field {
    Field { name, ty: FieldType::Enum(values), required }
}
const fn admin_code(name: &'static str, required: bool) -> Field {
    Field { name, ty: FieldType::Coded { check: is_admin_code, what: "a 6-digit administrative code" }, required }
}

/// 区县 administrative areas.
pub static DISTRICT_LAYER: Layer = Layer {
    name: "district",
    title: "区县",
    geometry: GeometryRule::MultiPolygon,
    fields: &[admin_code("code", true), NAME, admin_code("parent_code", false)],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[],
    check: None,
    tile_fields: &["code", "name"],
    time: None,
    zoom_rule: None,
};

static SUBSTANCES: ChildRows = ChildRows {
    table: "risk_substance",
    parent_column: "risk_source_id",
    fields: &[
        NAME,
        Field {
            name: "cas",
            ty: FieldType::Coded { check: is_cas_number, what: "a CAS registry number such as 7782-50-5" },
            required: false,
        },
        Field {
            name: "quantity_t",
            ty: FieldType::Number { min: 0.0, max: 1e9, min_exclusive: false },
            required: true,
        },
        Field {
            name: "threshold_t",
            ty: FieldType::Number { min: 0.0, max: 1e9, min_exclusive: true },
            required: true,
        },
        one_of("medium", &codes(&words::MEDIUM), true),
    ],
};

/// 环境风险源: enterprises and units that can cause a pollution incident.
pub static RISK_SOURCE_LAYER: Layer = Layer {
    name: "risk_source",
    title: "环境风险源",
    geometry: GeometryRule::PointOrPolygon,
    fields: &[
        NAME,
        Field {
            name: "credit_code",
            ty: FieldType::Coded { check: is_credit_code, what: "an 18-character unified social credit code" },
            required: false,
        },
        text("industry", 200),
        DISTRICT,
        one_of("m_air", &["M1", "M2", "M3", "M4"], false),
        one_of("e_air", &["E1", "E2", "E3"], false),
        one_of("m_water", &["M1", "M2", "M3", "M4"], false),
        one_of("e_water", &["E1", "E2", "E3"], false),
        one_of("status", &codes(&words::RISK_SOURCE_STATUS), false),
        Field { name: "substances", ty: FieldType::Rows(&SUBSTANCES), required: false },
        // The grade of its filed risk assessment (备案等级) and the filing date.
        one_of("declared_grade", GRADES, false),
        Field { name: "declared_on", ty: FieldType::Date, required: false },
    ],
    // Graded by the database after HJ 941-2018 (see `risk::grading`).
    computed: &[
        one_of("grade", GRADES, false),
        one_of("air_grade", GRADES, false),
        one_of("water_grade", GRADES, false),
        Field {
            name: "q_air",
            ty: FieldType::Number { min: 0.0, max: f64::MAX, min_exclusive: false },
            required: false,
        },
        Field {
            name: "q_water",
            ty: FieldType::Number { min: 0.0, max: f64::MAX, min_exclusive: false },
            required: false,
        },
        text("level", 200),
    ],
    // Legacy registers have one `grade` column: the grade they filed.
    legacy: &[("grade", "declared_grade")],
    // Where its emergency plans stand (see `plans::standing`): the map colours sources by it.
    derived: Some(Derived {
        sql: "risk_source_plan(t)",
        fields: &[one_of("plan_standing", &codes(&words::PLAN_STANDING), false)],
    }),
    defaults: &[("status", FieldDefault::Text("active"))],
    check: None,
    tile_fields: &[
        "name",
        "grade",
        "air_grade",
        "water_grade",
        "level",
        "industry",
        "district",
        "status",
        "plan_standing",
    ],
    time: None,
    zoom_rule: None,
};

/// 隐患排查: hazard inspections of risk sources.
pub static INSPECTION_LAYER: Layer = Layer {
    name: "inspection",
    title: "隐患排查",
    geometry: GeometryRule::None,
    fields: &[
        Field { name: "risk_source_id", ty: FieldType::Reference { table: "risk_source" }, required: true },
        Field { name: "inspected_on", ty: FieldType::Date, required: true },
        Field { name: "finding", ty: FieldType::Text { max: 2000 }, required: true },
        one_of("severity", &codes(&words::HAZARD_SEVERITY), true),
        Field { name: "rectified", ty: FieldType::Bool, required: false },
        Field { name: "due_date", ty: FieldType::Date, required: false },
        // The bureau's inspection, or the enterprise's self-check (see `plans::self_checks`).
        one_of("kind", &codes(&words::INSPECTION_KIND), false),
        Field { name: "rectified_on", ty: FieldType::Date, required: false },
    ],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[("rectified", FieldDefault::Bool(false)), ("kind", FieldDefault::Text("bureau"))],
    check: None,
    tile_fields: &[],
    time: Some("inspected_on"),
    zoom_rule: None,
};

/// 环境敏感目标: what must be protected.
pub static RECEPTOR_LAYER: Layer = Layer {
    name: "receptor",
    title: "环境敏感目标",
    geometry: GeometryRule::PointOrPolygon,
    fields: &[
        one_of("kind", RECEPTOR_KINDS, true),
        NAME,
        DISTRICT,
        Field { name: "population", ty: FieldType::Integer { min: 0, max: 100_000_000 }, required: false },
        text("protection_level", 100),
    ],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[],
    check: None,
    tile_fields: &["kind", "name", "district", "population", "protection_level"],
    time: None,
    zoom_rule: None,
};

/// Roads and rivers.
pub static ROUTE_LAYER: Layer = Layer {
    name: "route",
    title: "运输路线与河流",
    geometry: GeometryRule::LineString,
    fields: &[
        one_of("kind", &codes(&words::ROUTE_KIND), true),
        text("name", 200),
        one_of("road_class", ROAD_CLASSES, false),
        Field {
            name: "speed_kmh",
            ty: FieldType::Number { min: 0.0, max: 200.0, min_exclusive: true },
            required: false,
        },
        Field { name: "oneway", ty: FieldType::Bool, required: false },
        Field { name: "hazmat_allowed", ty: FieldType::Bool, required: false },
        Field {
            name: "flow_speed_ms",
            ty: FieldType::Number { min: 0.0, max: 10.0, min_exclusive: true },
            required: false,
        },
    ],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[("oneway", FieldDefault::Bool(false)), ("hazmat_allowed", FieldDefault::Bool(true))],
    check: Some(check_route),
    tile_fields: &["kind", "name", "road_class", "speed_kmh", "oneway", "hazmat_allowed", "flow_speed_ms"],
    time: None,
    zoom_rule: Some(ZoomRule {
        field: "road_class",
        levels: &[
            ("primary", 8),
            ("secondary", 9),
            ("tertiary", 10),
            ("unclassified", 11),
            ("residential", 12),
            ("service", 13),
        ],
    }),
};

/// 应急物资储备库.
pub static DEPOT_LAYER: Layer = Layer {
    name: "depot",
    title: "应急物资储备库",
    geometry: GeometryRule::Point,
    fields: &[NAME, one_of("tier", &codes(&words::DEPOT_TIER), true), text("operator", 200), CONTACT, DISTRICT],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[],
    check: None,
    tile_fields: &["name", "tier", "district", "operator"],
    time: None,
    zoom_rule: None,
};

/// Stock held in a depot.
pub static STOCK_ITEM_LAYER: Layer = Layer {
    name: "stock_item",
    title: "应急物资",
    geometry: GeometryRule::None,
    fields: &[
        Field { name: "depot_id", ty: FieldType::Reference { table: "depot" }, required: true },
        one_of("category", STOCK_CATEGORIES, true),
        Field { name: "item", ty: FieldType::Text { max: 200 }, required: true },
        Field { name: "unit", ty: FieldType::Text { max: 20 }, required: true },
        Field { name: "quantity", ty: FieldType::Number { min: 0.0, max: 1e12, min_exclusive: false }, required: true },
        Field {
            name: "reserved",
            ty: FieldType::Number { min: 0.0, max: 1e12, min_exclusive: false },
            required: false,
        },
        Field { name: "expiry_date", ty: FieldType::Date, required: false },
        one_of("storage_mode", &codes(&words::STORAGE_MODE), false),
    ],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[("reserved", FieldDefault::Number(0.0)), ("storage_mode", FieldDefault::Text("自储"))],
    check: Some(check_stock),
    tile_fields: &[],
    time: None,
    zoom_rule: None,
};

/// 救援队伍.
pub static TEAM_LAYER: Layer = Layer {
    name: "team",
    title: "救援队伍",
    geometry: GeometryRule::Point,
    fields: &[
        NAME,
        Field { name: "specialties", ty: FieldType::EnumList(SPECIALTIES), required: true },
        Field { name: "headcount", ty: FieldType::Integer { min: 1, max: 100_000 }, required: true },
        text("equipment", 2000),
        one_of("status", &codes(&words::TEAM_STATUS), false),
        CONTACT,
        DISTRICT,
    ],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[("status", FieldDefault::Text("available"))],
    check: None,
    tile_fields: &["name", "status", "specialties", "headcount", "district"],
    time: None,
    zoom_rule: None,
};

/// 专家.
pub static EXPERT_LAYER: Layer = Layer {
    name: "expert",
    title: "应急专家",
    geometry: GeometryRule::None,
    fields: &[
        NAME,
        Field { name: "specialties", ty: FieldType::EnumList(SPECIALTIES), required: true },
        text("organisation", 200),
        CONTACT,
        DISTRICT,
    ],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[],
    check: None,
    tile_fields: &[],
    time: None,
    zoom_rule: None,
};

/// The kinds of OpenStreetMap turn restrictions.
pub const TURN_KINDS: &[&str] = &codes(&words::TURN_KIND);

fn check_turn(record: &serde_json::Map<String, serde_json::Value>) -> Result<(), (String, String)> {
    let kind = record.get("kind").and_then(|v| v.as_str()).unwrap_or_default();
    if record.get("from_route_id") == record.get("to_route_id") && !kind.ends_with("u_turn") {
        return Err((
            "to_route_id".into(),
            format!("a {kind} turns from one road into another; only a u-turn may return"),
        ));
    }
    Ok(())
}

/// Turn restrictions at the node where two roads meet (from OpenStreetMap, or edited).
pub static TURN_RESTRICTION_LAYER: Layer = Layer {
    name: "turn_restriction",
    title: "转向限制",
    geometry: GeometryRule::None,
    fields: &[
        one_of("kind", TURN_KINDS, true),
        Field { name: "from_route_id", ty: FieldType::Reference { table: "route" }, required: true },
        Field { name: "to_route_id", ty: FieldType::Reference { table: "route" }, required: true },
        one_of("via", &codes(&words::TURN_VIA), false),
        Field { name: "osm_id", ty: FieldType::Integer { min: 1, max: i64::MAX }, required: false },
    ],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[],
    check: Some(check_turn),
    tile_fields: &[],
    time: None,
    zoom_rule: None,
};

/// Severities of 突发环境事件 (国家突发环境事件应急预案), lowest first.
pub const SEVERITIES: &[&str] = &codes(&words::SEVERITY);

/// 突发环境事件: where and what; dispatches are sent to it.
pub static INCIDENT_LAYER: Layer = Layer {
    name: "incident",
    title: "突发环境事件",
    geometry: GeometryRule::Point,
    fields: &[
        NAME,
        one_of("kind", &codes(&words::INCIDENT_KIND), true),
        text("pollutant", 200),
        one_of("cause", CAUSES, false),
        text("cause_detail", 2000),
        one_of("severity", SEVERITIES, true),
        one_of("status", &codes(&words::INCIDENT_STATUS), false),
        Field { name: "occurred_at", ty: FieldType::Timestamp, required: false },
        Field { name: "discovered_at", ty: FieldType::Timestamp, required: false },
        // When it was dealt with; given for a past incident, else stamped on closing.
        Field { name: "closed_at", ty: FieldType::Timestamp, required: false },
        DISTRICT,
        // 敏感事件: the phone and written reports on the short clock (`urgent_report_rule`).
        Field { name: "sensitive", ty: FieldType::Bool, required: false },
    ],
    // Written by the database: deadlines from `report_deadline` (and the short clock), the times
    // the reports came in.
    computed: &[
        Field { name: "initial_report_due_at", ty: FieldType::Timestamp, required: false },
        Field { name: "initial_reported_at", ty: FieldType::Timestamp, required: false },
        Field { name: "final_report_due_at", ty: FieldType::Timestamp, required: false },
        Field { name: "final_reported_at", ty: FieldType::Timestamp, required: false },
        Field { name: "phone_report_due_at", ty: FieldType::Timestamp, required: false },
        Field { name: "phone_reported_at", ty: FieldType::Timestamp, required: false },
        // 演练: an exercise (started from a scheduled drill), marked everywhere and left out of
        // the statistics; never changed once written.
        Field { name: "drill", ty: FieldType::Bool, required: false },
    ],
    legacy: &[],
    derived: Some(Derived {
        sql: "incident_deadline_flags(t)",
        fields: &[
            Field { name: "initial_report_overdue", ty: FieldType::Bool, required: false },
            Field { name: "initial_report_due_soon", ty: FieldType::Bool, required: false },
            Field { name: "final_report_overdue", ty: FieldType::Bool, required: false },
            Field { name: "phone_report_overdue", ty: FieldType::Bool, required: false },
            Field { name: "phone_report_due_soon", ty: FieldType::Bool, required: false },
        ],
    }),
    defaults: &[("status", FieldDefault::Text("open")), ("sensitive", FieldDefault::Bool(false))],
    check: Some(check_incident),
    tile_fields: &["name", "kind", "severity", "status", "pollutant", "drill"],
    time: Some("occurred_at"),
    zoom_rule: None,
};

/// Causes of incidents, as the national statistics count them (安全生产事故, 交通事故,
/// 违法排污, 自然灾害, 其他).
pub const CAUSES: &[&str] = &codes(&words::INCIDENT_CAUSE);

/// Kinds of interception sites: 闸, 坝, 桥, 涵, 布控点.
pub const INTERCEPT_KINDS: &[&str] = &codes(&words::INTERCEPT_KIND);

/// Where a river spill can be stopped.
pub static INTERCEPT_SITE_LAYER: Layer = Layer {
    name: "intercept_site",
    title: "拦截点位",
    geometry: GeometryRule::Point,
    fields: &[
        NAME,
        one_of("kind", INTERCEPT_KINDS, true),
        text("river", 100),
        text("owner", 200),
        text("contact", 200),
        text("notes", 2000),
        DISTRICT,
        // What a river plan (一河一策一图) records of the site: its emergency space and actions.
        Field {
            name: "volume_m3",
            ty: FieldType::Number { min: 0.0, max: 1e9, min_exclusive: false },
            required: false,
        },
        Field { name: "actions", ty: FieldType::EnumList(&codes(&words::INTERCEPT_ACTION)), required: false },
    ],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[],
    check: None,
    tile_fields: &["name", "kind", "river", "volume_m3"],
    time: None,
    zoom_rule: None,
};

/// The plans' public face (the view `plans`): an OGC API collection read only — plans are
/// written at `/api/plans`, where their steps are checked.
pub static PLANS_COLLECTION: Layer = Layer {
    name: "plans",
    title: "环境应急预案（公开信息）",
    geometry: GeometryRule::MultiPoint,
    fields: &[
        NAME,
        one_of("kind", &codes(&words::PLAN_KIND), true),
        one_of("level", &codes(&words::PLAN_LEVEL), true),
        admin_code("district", true),
        one_of("risk_level", GRADES, false),
        text("filing_number", 40),
        Field { name: "in_force_on", ty: FieldType::Date, required: false },
    ],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[],
    check: None,
    tile_fields: &[],
    time: Some("in_force_on"),
    zoom_rule: None,
};

/// The monitoring stations and what they say now (the view `stations`): read only here —
/// stations are written through SensorThings (`/sta/v1.1`), their state follows their data.
pub static STATIONS_COLLECTION: Layer = Layer {
    name: "stations",
    title: "监测站（水质类别、空气质量指数）",
    geometry: GeometryRule::Point,
    fields: &[
        NAME,
        text("description", 2000),
        one_of("medium", &codes(&words::STATION_MEDIUM), false),
        one_of("class", &crate::standards::water::CLASSES, false),
        one_of("target", &WATER_TARGETS, false),
        Field { name: "meets_target", ty: FieldType::Bool, required: false },
        Field { name: "aqi", ty: FieldType::Number { min: 0.0, max: 1000.0, min_exclusive: false }, required: false },
        text("category", 20),
        text("colour", 7),
        Field { name: "latest_time", ty: FieldType::Timestamp, required: false },
        text("mn", 24),
        admin_code("district", false),
        Field { name: "alarms", ty: FieldType::Integer { min: 0, max: 10_000 }, required: false },
    ],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[],
    check: None,
    tile_fields: &[],
    time: Some("latest_time"),
    zoom_rule: None,
};

/// The target classes of a section (水质目标): Ⅰ–Ⅴ.
const WATER_TARGETS: [&str; 5] = ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ"];

/// Collections read only, beside the registry's layers.
pub static READ_ONLY: &[&Layer] = &[&PLANS_COLLECTION, &STATIONS_COLLECTION];

/// Every layer, in drawing and loading order (referenced tables first).
pub static LAYERS: &[&Layer] = &[
    &DISTRICT_LAYER,
    &ROUTE_LAYER,
    &RISK_SOURCE_LAYER,
    &INSPECTION_LAYER,
    &RECEPTOR_LAYER,
    &INTERCEPT_SITE_LAYER,
    &DEPOT_LAYER,
    &STOCK_ITEM_LAYER,
    &TEAM_LAYER,
    &EXPERT_LAYER,
    &INCIDENT_LAYER,
    &TURN_RESTRICTION_LAYER,
];

/// The layer called `name`.
pub fn layer(name: &str) -> Option<&'static Layer> {
    LAYERS.iter().copied().find(|l| l.name == name)
}

/// Names of all layers, for error messages.
pub fn layer_names() -> String {
    LAYERS.iter().map(|l| l.name).collect::<Vec<_>>().join(", ")
}

fn check_route(props: &serde_json::Map<String, serde_json::Value>) -> Result<(), (String, String)> {
    let has = |name: &str| props.get(name).is_some_and(|v| !v.is_null());
    match props.get("kind").and_then(|v| v.as_str()) {
        Some("road") if !has("speed_kmh") => Err(("speed_kmh".into(), "a road needs speed_kmh".into())),
        Some("road") if has("flow_speed_ms") => Err(("flow_speed_ms".into(), "a road has no flow_speed_ms".into())),
        Some("river") if !has("flow_speed_ms") => {
            Err(("flow_speed_ms".into(), "a river needs flow_speed_ms (m/s), drawn in flow direction".into()))
        }
        Some("river") if has("road_class") => Err(("road_class".into(), "a river has no road_class".into())),
        _ => Ok(()),
    }
}

/// An incident is discovered when or after it happens, and neither lies in the future (the
/// database checks the same for writes that do not come through here).
fn check_incident(props: &serde_json::Map<String, serde_json::Value>) -> Result<(), (String, String)> {
    let time = |name: &str| {
        props.get(name).and_then(|v| v.as_str()).and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    };
    let soon = chrono::Utc::now() + chrono::Duration::minutes(5);
    for name in ["occurred_at", "discovered_at", "closed_at"] {
        if let Some(t) = time(name)
            && t > soon
        {
            return Err((name.into(), format!("{t} is in the future")));
        }
    }
    if let (Some(occurred), Some(discovered)) = (time("occurred_at"), time("discovered_at"))
        && discovered < occurred
    {
        return Err(("discovered_at".into(), format!("{discovered} is before occurred_at {occurred}")));
    }
    if let (Some(occurred), Some(closed)) = (time("occurred_at"), time("closed_at"))
        && closed < occurred
    {
        return Err(("closed_at".into(), format!("{closed} is before occurred_at {occurred}")));
    }
    Ok(())
}

fn check_stock(props: &serde_json::Map<String, serde_json::Value>) -> Result<(), (String, String)> {
    let quantity = props.get("quantity").and_then(|v| v.as_f64()).unwrap_or(0.0);
    let reserved = props.get("reserved").and_then(|v| v.as_f64()).unwrap_or(0.0);
    if reserved > quantity {
        return Err(("reserved".into(), format!("reserved ({reserved}) is more than quantity ({quantity})")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_is_listed_once() {
        let mut names: Vec<_> = LAYERS.iter().map(|l| l.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), LAYERS.len());
    }
}
