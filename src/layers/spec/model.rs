//! The meta-model of the catalogue: what a layer is (its geometry rule, its fields and their
//! types, derived properties, zoom rules) and what follows from it (JSON Schema, SQL of
//! derived properties).

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
    /// Points (a read-only collection's places: a plan's risk sources).
    MultiPoint,
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
            Self::MultiPoint => "MultiPoint",
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
    /// The SQL of tile field `name` over the row `t`: its column, or the property derived when
    /// read (a risk source's plan standing).
    pub fn tile_field_sql(&self, name: &str) -> String {
        match self.read_only().find(|f| f.name == name) {
            Some(field) => self.property_sql(field),
            None => format!("t.{name}"),
        }
    }

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
