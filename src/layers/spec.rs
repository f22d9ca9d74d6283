//! The catalogue of layers: for each table, its geometry rule and its fields, declared once
//! and used by validation, SQL, filters, import and export alike. Codes and their labels come
//! from [`super::words`].

use super::words::{self, codes};

/// What geometry a layer accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryRule {
    /// No geometry (`"geometry": null`): experts, inspections, stock items.
    None,
    /// A Point.
    Point,
    /// A LineString.
    LineString,
    /// A Polygon or MultiPolygon, stored as MultiPolygon.
    MultiPolygon,
    /// A Point, Polygon or MultiPolygon.
    PointOrPolygon,
}

impl GeometryRule {
    /// Human name of what is accepted, for error messages and the layer list.
    pub fn describe(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Point => "Point",
            Self::LineString => "LineString",
            Self::MultiPolygon => "Polygon or MultiPolygon",
            Self::PointOrPolygon => "Point, Polygon or MultiPolygon",
        }
    }
}

/// The type of a field and the values it admits.
#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    /// Free text up to `max` characters.
    Text { max: usize },
    /// Text matching a syntax check (credit code, CAS number, admin code).
    Coded { check: fn(&str) -> bool, what: &'static str },
    /// One of a fixed set of values.
    Enum(&'static [&'static str]),
    /// A finite number in `[min, max]`; `min_exclusive` makes the lower bound strict.
    Number { min: f64, max: f64, min_exclusive: bool },
    /// An integer in `[min, max]`.
    Integer { min: i64, max: i64 },
    /// true or false.
    Bool,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// An instant with its offset, RFC 3339 (`2026-11-23T08:30:00+08:00`).
    Timestamp,
    /// A non-empty list of values from a fixed set.
    EnumList(&'static [&'static str]),
    /// The id of a row of another table.
    Reference { table: &'static str },
    /// Rows of a child table, given as an array of objects.
    Rows(&'static ChildRows),
}

/// A child table written with its parent (a risk source's substances).
#[derive(Debug)]
pub struct ChildRows {
    /// Child table.
    pub table: &'static str,
    /// Column that refers to the parent id.
    pub parent_column: &'static str,
    /// Fields of one row.
    pub fields: &'static [Field],
}

/// One attribute of a layer, stored in a column of the same name.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Property and column name.
    pub name: &'static str,
    /// Type and admissible values.
    pub ty: FieldType,
    /// Must be given (non-null) in every write.
    pub required: bool,
}

/// A default value of a field.
#[derive(Debug, Clone, Copy)]
pub enum FieldDefault {
    /// A string.
    Text(&'static str),
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
}

impl FieldDefault {
    /// As a JSON value.
    pub fn to_json(self) -> serde_json::Value {
        match self {
            Self::Text(s) => s.into(),
            Self::Bool(b) => b.into(),
            Self::Number(n) => n.into(),
        }
    }
}

/// A check across the fields of a record: Err((field, why)).
pub type RecordCheck = fn(&serde_json::Map<String, serde_json::Value>) -> Result<(), (String, String)>;

/// A layer of the registry.
#[derive(Debug)]
pub struct Layer {
    /// Name in URLs and the CLI, and the table name.
    pub name: &'static str,
    /// Chinese title for the viewer and the layer list.
    pub title: &'static str,
    /// Geometry rule.
    pub geometry: GeometryRule,
    /// Writable attributes.
    pub fields: &'static [Field],
    /// Read-only columns computed by the database, returned but never written.
    pub computed: &'static [Field],
    /// Read-only properties computed when read (they change with the clock).
    pub derived: Option<Derived>,
    /// Read-only properties that older files carry for a writable field: `(old, field)`. A
    /// record with the old one and without the field gives the field that value.
    pub legacy: &'static [(&'static str, &'static str)],
    /// Values given to absent optional fields, as the database defaults do.
    pub defaults: &'static [(&'static str, FieldDefault)],
    /// A check across fields of a whole record, after each field is valid.
    pub check: Option<RecordCheck>,
    /// The attributes carried into map tiles (what the style and the popups need).
    pub tile_fields: &'static [&'static str],
    /// The lowest zoom at which a feature is put in tiles, by the value of one field.
    pub zoom_rule: Option<ZoomRule>,
    /// The field that says when a feature happened (OGC API's `datetime`), if one does.
    pub time: Option<&'static str>,
}

/// Properties computed at each read by an SQL function of the row `t` that returns them as one
/// JSON object (an incident's deadline flags).
#[derive(Debug)]
pub struct Derived {
    /// The SQL expression, over the row `t`.
    pub sql: &'static str,
    /// The properties it returns, for filters and documentation.
    pub fields: &'static [Field],
}

impl Derived {
    /// The SQL expression of one property, typed as its field.
    pub fn property_sql(&self, field: &Field) -> String {
        let cast = match field.ty {
            FieldType::Bool => "boolean",
            FieldType::Number { .. } => "float8",
            FieldType::Integer { .. } => "bigint",
            _ => "text",
        };
        format!("({}->>'{}')::{cast}", self.sql, field.name)
    }
}

/// Minimum zoom by the value of a field (minor roads only at closer zooms); other values: 0.
#[derive(Debug, Clone, Copy)]
pub struct ZoomRule {
    /// The field whose value decides.
    pub field: &'static str,
    /// (value, lowest zoom).
    pub levels: &'static [(&'static str, u8)],
}

impl ZoomRule {
    /// The lowest zoom for a feature whose field has `value`.
    pub fn min_zoom(&self, value: Option<&str>) -> u8 {
        value.and_then(|v| self.levels.iter().find(|(name, _)| *name == v)).map_or(0, |(_, z)| *z)
    }

    /// The same rule as an SQL expression over row `t`, for references such as PostGIS tiles.
    pub fn sql(&self) -> String {
        let cases: Vec<String> = self.levels.iter().map(|(v, z)| format!("WHEN '{v}' THEN {z}")).collect();
        format!("(CASE t.{} {} ELSE 0 END)", self.field, cases.join(" "))
    }
}

impl Field {
    /// The field as JSON Schema (for OpenAPI and OGC queryables).
    pub fn json_schema(&self) -> serde_json::Value {
        use FieldType as T;
        use serde_json::json;
        let mut schema = match self.ty {
            T::Text { max } => json!({"type": "string", "maxLength": max}),
            T::Coded { what, .. } => json!({"type": "string", "description": what}),
            T::Enum(values) => json!({"type": "string", "enum": values}),
            T::Number { min, max, .. } => json!({"type": "number", "minimum": min, "maximum": max}),
            T::Integer { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
            T::Reference { table } => json!({"type": "integer", "description": format!("the id of a {table}")}),
            T::Bool => json!({"type": "boolean"}),
            T::Date => json!({"type": "string", "format": "date"}),
            T::Timestamp => json!({"type": "string", "format": "date-time"}),
            T::EnumList(values) => json!({"type": "array", "items": {"type": "string", "enum": values}}),
            T::Rows(rows) => {
                let field = |f: &Field| if f.required { f.json_schema() } else { nullable(f.json_schema()) };
                json!({"type": "array", "items": {"type": "object", "properties": rows.fields.iter().map(|f| (f.name.to_string(), field(f))).collect::<serde_json::Map<_, _>>()}})
            }
        };
        schema["title"] = self.name.into();
        schema
    }
}

/// `schema` that also admits null (an optional field is answered as null when it holds nothing).
pub fn nullable(mut schema: serde_json::Value) -> serde_json::Value {
    if let Some(kind) = schema.get("type").cloned() {
        schema["type"] = serde_json::json!([kind, "null"]);
    }
    if let Some(values) = schema.get_mut("enum").and_then(serde_json::Value::as_array_mut) {
        values.push(serde_json::Value::Null);
    }
    schema
}

impl Layer {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Properties returned but never written: computed columns and derived properties.
    pub fn read_only(&self) -> impl Iterator<Item = &Field> + Clone {
        self.computed.iter().chain(self.derived.iter().flat_map(|d| d.fields))
    }

    /// The SQL expression of property `field` of row `t`.
    pub fn property_sql(&self, field: &Field) -> String {
        match &self.derived {
            Some(d) if d.fields.iter().any(|f| f.name == field.name) => d.property_sql(field),
            _ => format!("t.{}", field.name),
        }
    }

    /// Fields stored as columns of this table (not child rows).
    pub fn columns(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| !matches!(f.ty, FieldType::Rows(_)))
    }

    /// Fields stored as rows of a child table.
    pub fn child_rows(&self) -> impl Iterator<Item = (&Field, &'static ChildRows)> {
        self.fields.iter().filter_map(|f| match f.ty {
            FieldType::Rows(rows) => Some((f, rows)),
            _ => None,
        })
    }

    /// True when features of this layer have a geometry.
    pub fn is_spatial(&self) -> bool {
        self.geometry != GeometryRule::None
    }
}

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

/// 区县 administrative areas.
pub static DISTRICT_LAYER: Layer = Layer {
    name: "district",
    title: "区县",
    geometry: GeometryRule::MultiPolygon,
    fields: &[
        Field {
            name: "code",
            ty: FieldType::Coded { check: is_admin_code, what: "a 6-digit administrative code" },
            required: true,
        },
        NAME,
        Field {
            name: "parent_code",
            ty: FieldType::Coded { check: is_admin_code, what: "a 6-digit administrative code" },
            required: false,
        },
    ],
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
    derived: None,
    defaults: &[("status", FieldDefault::Text("active"))],
    check: None,
    tile_fields: &["name", "grade", "air_grade", "water_grade", "level", "industry", "district", "status"],
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
    ],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[("rectified", FieldDefault::Bool(false))],
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
    ],
    // Written by the database: deadlines from `report_deadline`, the times the reports came in.
    computed: &[
        Field { name: "initial_report_due_at", ty: FieldType::Timestamp, required: false },
        Field { name: "initial_reported_at", ty: FieldType::Timestamp, required: false },
        Field { name: "final_report_due_at", ty: FieldType::Timestamp, required: false },
        Field { name: "final_reported_at", ty: FieldType::Timestamp, required: false },
    ],
    legacy: &[],
    derived: Some(Derived {
        sql: "incident_deadline_flags(t)",
        fields: &[
            Field { name: "initial_report_overdue", ty: FieldType::Bool, required: false },
            Field { name: "initial_report_due_soon", ty: FieldType::Bool, required: false },
            Field { name: "final_report_overdue", ty: FieldType::Bool, required: false },
        ],
    }),
    defaults: &[("status", FieldDefault::Text("open"))],
    check: Some(check_incident),
    tile_fields: &["name", "kind", "severity", "status", "pollutant"],
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
    ],
    computed: &[],
    legacy: &[],
    derived: None,
    defaults: &[],
    check: None,
    tile_fields: &["name", "kind", "river"],
    time: None,
    zoom_rule: None,
};

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

/// A 6-digit administrative division code (GB/T 2260), e.g. 500112.
pub fn is_admin_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A CAS registry number with a valid check digit, e.g. 7782-50-5 (chlorine).
pub fn is_cas_number(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [a, b, check] = parts[..] else {
        return false;
    };
    let digits_ok =
        |p: &str, min: usize, max: usize| (min..=max).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit());
    if !digits_ok(a, 2, 7) || !digits_ok(b, 2, 2) || !digits_ok(check, 1, 1) {
        return false;
    }
    let body: Vec<u32> = a.bytes().chain(b.bytes()).map(|c| u32::from(c - b'0')).collect();
    let sum: u32 = body.iter().rev().enumerate().map(|(i, d)| (i as u32 + 1) * d).sum();
    sum % 10 == u32::from(check.as_bytes()[0] - b'0')
}

/// An 18-character unified social credit code (GB 32100-2015) with a valid check character.
pub fn is_credit_code(s: &str) -> bool {
    const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    if s.chars().count() != 18 {
        return false;
    }
    let values: Option<Vec<u32>> = s.chars().map(|c| CHARSET.find(c).map(|i| i as u32)).collect();
    let Some(values) = values else { return false };
    let sum: u32 = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    values[17] == check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cas_numbers() {
        assert!(is_cas_number("7782-50-5")); // chlorine
        assert!(is_cas_number("7664-41-7")); // ammonia
        assert!(is_cas_number("71-43-2")); // benzene
        assert!(!is_cas_number("7782-50-4"));
        assert!(!is_cas_number("7782505"));
        assert!(!is_cas_number("x782-50-5"));
    }

    #[test]
    fn credit_codes() {
        // The example code printed in GB 32100-2015, and a published company code.
        assert!(is_credit_code("91350100M000100Y43"));
        assert!(is_credit_code("91440300708461136T"));
        assert!(!is_credit_code("91350100M000100Y44"));
        assert!(!is_credit_code("91350100M000100Y4"));
        assert!(!is_credit_code("91350100M0001I0Y43"));
    }

    #[test]
    fn every_layer_is_listed_once() {
        let mut names: Vec<_> = LAYERS.iter().map(|l| l.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), LAYERS.len());
    }
}
