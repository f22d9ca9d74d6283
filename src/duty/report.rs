//! What a report says, by stage, after 《突发环境事件信息报告办法》 art. 10: the initial
//! report (初报) the first facts — what, the pollutants, the victims, the sensitive receptors
//! threatened, the measures, who reports; a follow-up (续报) the progress; the final report
//! (处理结果报告) the measures and their result, the damage, what remains. When, where, the
//! kind and the cause are the incident's own fields.

use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::layers::spec::{SEVERITIES, is_cas_number};
use crate::layers::words::{self, CASUALTY};

/// The victims a report counts, as the API names them.
const CASUALTIES: [&str; 4] = words::codes(&CASUALTY);

/// Longest free text of a field.
const MAX_TEXT: usize = 8000;
/// Most entries of a list field.
const MAX_ITEMS: usize = 500;

/// The stage of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// 初报.
    Initial,
    /// 续报.
    FollowUp,
    /// 终报 (处理结果报告).
    Final,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 3] = [Stage::Initial, Stage::FollowUp, Stage::Final];

    /// The name in the API and the database.
    pub fn name(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::FollowUp => "follow_up",
            Self::Final => "final",
        }
    }

    /// The Chinese name.
    pub fn title(self) -> &'static str {
        words::label(&words::REPORT_STAGE, self.name()).unwrap_or("报告")
    }

    /// The stage called `name`.
    pub fn parse(name: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| Error::invalid("stage", format!("`{name}` is not a stage; use initial, follow_up or final")))
    }

    /// The fields of a report of this stage.
    pub fn fields(self) -> &'static [ReportPart] {
        match self {
            Self::Initial => INITIAL,
            Self::FollowUp => FOLLOW_UP,
            Self::Final => FINAL,
        }
    }
}

crate::spoken_as_code!(Stage, name, parse);

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Free text.
    Text,
    /// Pollutants: `[{"name", "cas"?, "amount"?}]` (a plain string is a name).
    Pollutants,
    /// Victims: `{"deaths", "injuries", "missing", "evacuated"}`, counts.
    Casualties,
    /// Receptors threatened: `[{"name", "id"?, "kind"?, "via"?, "distance_m"?, "hours"?}]`.
    Threatened,
    /// Resources deployed: `[{"dispatch_id"?, "what", "from"?, "status"?, …}]`.
    Resources,
    /// A severity that replaces the incident's.
    Severity,
}

/// One field of a report.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReportPart {
    /// Property name.
    pub name: &'static str,
    /// The heading in the printed report.
    pub title: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Must be given before the report is submitted.
    pub required: bool,
}

const fn part(name: &'static str, title: &'static str, kind: Kind, required: bool) -> ReportPart {
    ReportPart { name, title, kind, required }
}

const INITIAL: &[ReportPart] = &[
    part("summary", "事件概况（起因、性质、基本过程）", Kind::Text, true),
    part("pollutants", "主要污染物及数量", Kind::Pollutants, false),
    part("casualties", "人员受害情况", Kind::Casualties, true),
    part("threatened", "受威胁的环境敏感点", Kind::Threatened, false),
    part("measures", "已采取和拟采取的措施", Kind::Text, true),
    part("reporting_unit", "报告单位", Kind::Text, true),
    part("contact", "联系人及电话", Kind::Text, true),
];
const FOLLOW_UP: &[ReportPart] = &[
    part("progress", "处置进展", Kind::Text, true),
    part("monitoring", "监测结果", Kind::Text, false),
    part("measures", "采取的措施", Kind::Text, false),
    part("resources", "投入的力量和物资", Kind::Resources, false),
    part("severity", "事件级别变化", Kind::Severity, false),
];
const FINAL: &[ReportPart] = &[
    part("measures", "处置措施及过程", Kind::Text, true),
    part("result", "处置结果", Kind::Text, true),
    part("damage", "危害、损失及社会影响", Kind::Text, true),
    part("remaining", "遗留问题", Kind::Text, false),
];

impl Kind {
    /// What a field of this kind holds, as JSON Schema.
    fn schema(self) -> Value {
        let objects = |required: &[&str]| json!({"type": "array", "items": {"type": "object", "required": required}});
        match self {
            Kind::Text => json!({"type": "string", "maxLength": MAX_TEXT}),
            Kind::Pollutants => json!({"type": "array", "maxItems": MAX_ITEMS, "items": {"oneOf": [
                {"type": "string"}, {"type": "object", "required": ["name"]}]}}),
            Kind::Casualties => {
                let counts: Map<String, Value> =
                    CASUALTIES.iter().map(|c| (c.to_string(), json!({"type": "integer", "minimum": 0}))).collect();
                json!({"type": "object", "properties": counts, "additionalProperties": false})
            }
            Kind::Threatened => objects(&["name"]),
            Kind::Resources => objects(&["what"]),
            Kind::Severity => json!({"type": "string", "enum": SEVERITIES}),
        }
    }
}

/// A report's body as JSON Schema: `stage`, `submit`, and the fields of every stage (a report
/// takes those of its own stage only).
pub fn body_schema() -> Value {
    let mut properties = Map::new();
    properties.insert("stage".into(), json!({"type": "string", "enum": Stage::ALL.map(Stage::name)}));
    properties.insert("submit".into(), json!({"type": "boolean", "description": "submit it once written"}));
    for stage in Stage::ALL {
        for part in stage.fields() {
            let mut schema = part.kind.schema();
            schema["description"] = part.title.into();
            properties.entry(part.name).or_insert(schema);
        }
    }
    json!({"type": "object", "properties": properties})
}

/// Checks and normalises the content fields of a report of `stage` (everything in `body` but
/// the request's own keys, which the caller has taken out). Unknown fields are refused.
pub fn check(stage: Stage, body: &Map<String, Value>) -> Result<Map<String, Value>, Error> {
    let mut out = Map::new();
    for (name, value) in body {
        let Some(part) = stage.fields().iter().find(|p| p.name == name) else {
            let known: Vec<&str> = stage.fields().iter().map(|p| p.name).collect();
            return Err(Error::invalid(
                name,
                format!("is not a field of a {} report; its fields are: {}", stage.name(), known.join(", ")),
            ));
        };
        if value.is_null() {
            continue;
        }
        let value = check_value(part.kind, value).map_err(|why| Error::invalid(name, why))?;
        out.insert(name.clone(), value);
    }
    Ok(out)
}

/// The fields still missing before a report of `stage` with `content` may be submitted.
pub fn missing(stage: Stage, content: &Map<String, Value>) -> Vec<&'static str> {
    let empty = |v: &Value| v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty());
    stage.fields().iter().filter(|p| p.required && content.get(p.name).is_none_or(empty)).map(|p| p.name).collect()
}

fn text(value: &Value, max: usize) -> Result<String, String> {
    let s = value.as_str().ok_or("must be a string")?;
    if s.chars().count() > max {
        return Err(format!("is longer than {max} characters"));
    }
    // Short strings (names, kinds, codes) are one line; long ones (accounts of events) may break.
    if let Some(found) = crate::text::forbidden_control(s, max > 200) {
        return Err(crate::text::describe_control(found));
    }
    Ok(s.to_string())
}

fn list(value: &Value) -> Result<&Vec<Value>, String> {
    let items = value.as_array().ok_or("must be an array")?;
    if items.len() > MAX_ITEMS {
        return Err(format!("has {} entries; at most {MAX_ITEMS}", items.len()));
    }
    Ok(items)
}

fn count(value: &Value, name: &str) -> Result<Value, String> {
    match value.as_i64() {
        Some(n) if (0..=10_000_000).contains(&n) => Ok(n.into()),
        _ => Err(format!("{name} must be a whole number of people, 0 or more")),
    }
}

/// Checks one object's keys: `allowed` only, `name` (or `what`) required and text.
fn entry(item: &Value, allowed: &[&str], label: &str, i: usize) -> Result<Map<String, Value>, String> {
    let object = item.as_object().ok_or(format!("entry {i} must be an object"))?;
    if let Some(key) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!("entry {i}: `{key}` is not known; use {}", allowed.join(", ")));
    }
    match object.get(label) {
        Some(v) if v.as_str().is_some_and(|s| !s.trim().is_empty()) => {
            text(v, 500).map_err(|e| format!("entry {i}: {label} {e}"))?;
        }
        _ => return Err(format!("entry {i} needs `{label}`")),
    }
    // Every other member is a short text, a number or nothing: no objects, no control characters.
    for (key, value) in object {
        match value {
            Value::String(_) => text(value, 500).map(drop).map_err(|e| format!("entry {i}: {key} {e}"))?,
            Value::Number(_) | Value::Null => {}
            _ => return Err(format!("entry {i}: {key} must be a string or a number")),
        }
    }
    Ok(object.clone())
}

fn check_value(kind: Kind, value: &Value) -> Result<Value, String> {
    match kind {
        Kind::Text => text(value, MAX_TEXT).map(Value::String),
        Kind::Severity => {
            let s = value.as_str().ok_or("must be a string")?;
            if SEVERITIES.contains(&s) {
                Ok(s.into())
            } else {
                Err(format!("`{s}` is not a severity; use {}", SEVERITIES.join(", ")))
            }
        }
        Kind::Casualties => {
            let object = value.as_object().ok_or_else(|| format!("must be an object {{{}}}", CASUALTIES.join(", ")))?;
            let mut out = Map::new();
            for key in CASUALTIES {
                out.insert(key.into(), count(object.get(key).unwrap_or(&Value::from(0)), key)?);
            }
            if let Some(key) = object.keys().find(|k| !out.contains_key(k.as_str())) {
                return Err(format!("`{key}` is not known; use {}", CASUALTIES.join(", ")));
            }
            Ok(out.into())
        }
        Kind::Pollutants => {
            let mut out = Vec::new();
            for (i, item) in list(value)?.iter().enumerate() {
                let item = match item {
                    Value::String(name) => serde_json::json!({ "name": name }),
                    other => other.clone(),
                };
                let object = entry(&item, &["name", "cas", "amount"], "name", i)?;
                if let Some(cas) = object.get("cas").filter(|v| !v.is_null()) {
                    let cas = cas.as_str().ok_or(format!("entry {i}: cas must be a string"))?;
                    if !is_cas_number(cas) {
                        return Err(format!("entry {i}: `{cas}` is not a CAS number with a valid check digit"));
                    }
                }
                if let Some(amount) = object.get("amount").filter(|v| !v.is_null()) {
                    text(amount, 200).map_err(|e| format!("entry {i}: amount {e}"))?;
                }
                out.push(Value::Object(object));
            }
            Ok(out.into())
        }
        Kind::Threatened => {
            let allowed = ["name", "id", "kind", "via", "distance_m", "hours", "minutes", "note"];
            list(value)?
                .iter()
                .enumerate()
                .map(|(i, item)| entry(item, &allowed, "name", i).map(Value::Object))
                .collect()
        }
        Kind::Resources => {
            let allowed = ["what", "dispatch_id", "from", "status", "eta", "arrived_at", "items", "note"];
            list(value)?
                .iter()
                .enumerate()
                .map(|(i, item)| entry(item, &allowed, "what", i).map(Value::Object))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn fields_are_named_as_agreed() {
        let names = |s: Stage| s.fields().iter().map(|p| p.name).collect::<Vec<_>>();
        assert_eq!(
            names(Stage::Initial),
            ["summary", "pollutants", "casualties", "threatened", "measures", "reporting_unit", "contact"]
        );
        assert_eq!(names(Stage::FollowUp), ["progress", "monitoring", "measures", "resources", "severity"]);
        assert_eq!(names(Stage::Final), ["measures", "result", "damage", "remaining"]);
    }

    #[test]
    fn content_is_checked_and_normalised() {
        let c = check(
            Stage::Initial,
            &object(json!({"pollutants": ["柴油", {"name": "氯气", "cas": "7782-50-5"}],
                                                   "casualties": {"injuries": 2}})),
        )
        .unwrap();
        assert_eq!(c["pollutants"][0], json!({"name": "柴油"}));
        assert_eq!(c["casualties"], json!({"deaths": 0, "injuries": 2, "missing": 0, "evacuated": 0}));
        let bad = [
            json!({"progress": "x"}),
            json!({"pollutants": [{"name": "氯气", "cas": "7782-50-6"}]}),
            json!({"casualties": {"deaths": -1}}),
            json!({"casualties": {"dead": 1}}),
            json!({"summary": 5}),
            json!({"threatened": [{"id": 3}]}),
        ];
        for body in bad {
            assert!(check(Stage::Initial, &object(body.clone())).is_err(), "{body}");
        }
        assert!(check(Stage::FollowUp, &object(json!({"severity": "严重"}))).is_err());
        assert!(check(Stage::Final, &object(json!({"summary": "x"}))).is_err());
    }

    #[test]
    fn missing_fields_before_submitting() {
        let c = check(Stage::Final, &object(json!({"measures": "围堵", "result": " "}))).unwrap();
        assert_eq!(missing(Stage::Final, &c), ["result", "damage"]);
        assert_eq!(missing(Stage::FollowUp, &Map::new()), ["progress"]);
    }
}
