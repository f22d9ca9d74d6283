//! CQL2 filters (OGC API – Features Part 3), text or JSON, parsed by the `cql2` crate and
//! translated to SQL over the layer's catalogue: names come only from the catalogue and every
//! literal is a bound parameter, so no text of the filter reaches the SQL.

use cql2::Expr;

use super::condition::Condition;
use super::spec::{Field, FieldType, Layer};
use crate::error::Invalid;
use crate::geodesy::crs::Crs;

/// Longest filter read, in characters.
pub const MAX_CHARS: usize = 20_000;
/// Deepest nesting of a filter (a deeper one is not a query a person writes).
pub const MAX_DEPTH: usize = 64;
/// The stack of the parser's thread: eight times what the deepest accepted filter takes.
const PARSE_STACK: usize = 16 << 20;
/// Most nodes (operators, properties, literals) in one filter.
const MAX_NODES: usize = 2_000;
/// Most characters of the WKT of one geometry literal (about 10,000 positions).
const MAX_GEOMETRY_CHARS: usize = 400_000;

/// How a filter is written (`filter-lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// `cql2-text`.
    Text,
    /// `cql2-json`.
    Json,
}

impl Lang {
    /// Reads a `filter-lang` value.
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            // `cql-text` is the draft's name, which GDAL 3.6 (Debian 12) sends.
            "cql2-text" | "cql-text" => Some(Lang::Text),
            "cql2-json" => Some(Lang::Json),
            _ => None,
        }
    }
}

fn bad(detail: impl Into<String>) -> Invalid {
    Invalid::field("filter", detail)
}

/// Parses `text` in `lang`; the error says where the text goes wrong.
pub fn parse(text: &str, lang: Lang) -> Result<Expr, Invalid> {
    if text.chars().count() > MAX_CHARS {
        return Err(bad(format!("is longer than {MAX_CHARS} characters")));
    }
    // The parsers recurse once per bracket and once per prefix operator (`NOT`, `-`): refuse
    // absurd depth before they see it, or a few thousand `NOT`s overflow the thread's stack.
    let depth = match lang {
        Lang::Text => text_depth(text),
        Lang::Json => bracket_depth(text),
    };
    if depth > MAX_DEPTH {
        return Err(bad(format!("nests deeper than {MAX_DEPTH} levels (brackets and runs of NOT or -)")));
    }
    // Even within the limit the parser needs more stack than a worker has (about 32 KiB a
    // bracket unoptimised): it runs on a thread of its own, whose panic is a refusal too.
    let parsed = std::thread::scope(|scope| {
        let parser = std::thread::Builder::new().name("cql2-parse".into()).stack_size(PARSE_STACK);
        parser
            .spawn_scoped(scope, || match lang {
                Lang::Text => cql2::parse_text(text).map_err(|e| bad(format!("is not valid cql2-text: {e}"))),
                Lang::Json => cql2::parse_json(text).map_err(|e| bad(format!("is not valid cql2-json: {e}"))),
            })
            .ok()
            .and_then(|handle| handle.join().ok())
    });
    parsed.unwrap_or_else(|| Err(bad("could not be parsed")))
}

/// The deepest bracket nesting of a cql2-json text (strings included: over-counting is safe).
fn bracket_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        deepest = deepest.max(depth);
    }
    deepest
}

/// An upper bound of the parser's recursion on a cql2-text filter: each bracket adds a level,
/// and so does each prefix operator (`NOT`, `-`, `+`) before an operand. Quoted strings and
/// identifiers are skipped.
fn text_depth(text: &str) -> usize {
    let mut outer: Vec<usize> = Vec::new();
    let (mut level, mut run, mut deepest) = (0usize, 0usize, 0usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                // A quote is doubled inside: the two halves read as two strings, which is as good.
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
                run = 0;
            }
            '(' | '[' => {
                outer.push(level);
                level += run + 1;
                run = 0;
            }
            ')' | ']' => {
                level = outer.pop().unwrap_or(0);
                run = 0;
            }
            '-' | '+' => run += 1,
            c if c.is_alphanumeric() || c == '_' => {
                let mut word = String::from(c);
                while let Some(&d) = chars.peek() {
                    if !(d.is_alphanumeric() || matches!(d, '_' | '.' | ':')) {
                        break;
                    }
                    word.push(d);
                    chars.next();
                }
                run = if word.eq_ignore_ascii_case("not") { run + 1 } else { 0 };
            }
            _ => {}
        }
        deepest = deepest.max(level + run);
    }
    deepest
}

/// Adds the filter `expr` on `layer` to `condition`; geometry literals are in `crs`.
pub fn restrict(layer: &'static Layer, expr: &Expr, crs: Crs, condition: &mut Condition) -> Result<(), Invalid> {
    let mut t = Translator { layer, crs, condition, nodes: 0 };
    let sql = t.predicate(expr, 0)?;
    condition.and(format!("({sql})"));
    Ok(())
}

/// The value types of CQL2 onemap compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Text,
    Number,
    Bool,
    Date,
    Timestamp,
    TextList,
}

impl Ty {
    fn of(field: &Field) -> Option<Ty> {
        use FieldType as F;
        Some(match field.ty {
            F::Text { .. } | F::Coded { .. } | F::Enum(_) => Ty::Text,
            F::Number { .. } | F::Integer { .. } | F::Reference { .. } => Ty::Number,
            F::Bool => Ty::Bool,
            F::Date => Ty::Date,
            F::Timestamp => Ty::Timestamp,
            F::EnumList(_) => Ty::TextList,
            F::Rows(_) => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Ty::Text => "a string",
            Ty::Number => "a number",
            Ty::Bool => "a boolean",
            Ty::Date => "a date (DATE('2026-11-23'))",
            Ty::Timestamp => "a timestamp (TIMESTAMP('2026-11-23T08:30:00Z'))",
            Ty::TextList => "a list",
        }
    }

    fn cast(self) -> &'static str {
        match self {
            Ty::Text => "text",
            Ty::Number => "float8",
            Ty::Bool => "boolean",
            Ty::Date => "date",
            Ty::Timestamp => "timestamptz",
            Ty::TextList => unreachable!("lists are bound element by element"),
        }
    }
}

/// A scalar operand before it is rendered.
enum Scalar<'e> {
    /// A property: its SQL, type and field (None for `id`).
    Column(String, Ty, Option<&'static Field>, &'e str),
    /// A literal with its own type and text to bind.
    Value(Ty, String),
    /// `CASEI(…)`: compared lower-cased.
    Casei(Box<Scalar<'e>>),
}

impl Scalar<'_> {
    fn ty(&self) -> Ty {
        match self {
            Scalar::Column(_, ty, ..) | Scalar::Value(ty, _) => *ty,
            Scalar::Casei(_) => Ty::Text,
        }
    }

    fn is_column(&self) -> bool {
        match self {
            Scalar::Column(..) => true,
            Scalar::Value(..) => false,
            Scalar::Casei(inner) => inner.is_column(),
        }
    }
}

struct Translator<'a> {
    layer: &'static Layer,
    crs: Crs,
    condition: &'a mut Condition,
    nodes: usize,
}

impl Translator<'_> {
    fn count(&mut self, depth: usize) -> Result<(), Invalid> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(bad(format!("has more than {MAX_NODES} terms")));
        }
        if depth > MAX_DEPTH {
            return Err(bad(format!("nests deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn predicate(&mut self, e: &Expr, depth: usize) -> Result<String, Invalid> {
        self.count(depth)?;
        let (op, args) = match e {
            Expr::Bool(b) => return Ok(b.to_string()),
            Expr::Property { property } => {
                return match self.column(property)? {
                    Scalar::Column(sql, Ty::Bool, ..) => Ok(sql),
                    _ => Err(bad(format!("`{property}` is not a boolean and cannot stand alone as a condition"))),
                };
            }
            Expr::Operation { op, args } => (op.as_str(), args),
            other => return Err(bad(format!("`{}` is not a condition", describe(other)))),
        };
        match op {
            "and" | "or" => {
                let parts: Vec<String> = args.iter().map(|a| self.predicate(a, depth + 1)).collect::<Result<_, _>>()?;
                Ok(format!("({})", parts.join(if op == "and" { " AND " } else { " OR " })))
            }
            "not" => {
                let [a] = arity::<1>(op, args)?;
                Ok(format!("(NOT {})", self.predicate(a, depth + 1)?))
            }
            "=" | "<>" | "<" | "<=" | ">" | ">=" => {
                let [a, b] = arity::<2>(op, args)?;
                let (a, b) = (self.scalar(a, depth + 1)?, self.scalar(b, depth + 1)?);
                let ty = if a.is_column() || !b.is_column() { a.ty() } else { b.ty() };
                if ty == Ty::TextList {
                    return Err(bad("a list is compared with A_EQUALS, A_CONTAINS, A_CONTAINEDBY or A_OVERLAPS"));
                }
                if matches!(op, "<" | "<=" | ">" | ">=") && ty == Ty::Bool {
                    return Err(bad(format!("`{op}` does not order booleans")));
                }
                let exact = matches!(op, "=" | "<>");
                let (a, b) = (self.render(&a, ty, Some(&b), exact)?, self.render(&b, ty, Some(&a), exact)?);
                Ok(format!("({a} {op} {b})"))
            }
            "like" => {
                let [a, b] = arity::<2>(op, args)?;
                let (a, b) = (self.scalar(a, depth + 1)?, self.scalar(b, depth + 1)?);
                let (a, b) = (self.render(&a, Ty::Text, Some(&b), false)?, self.render(&b, Ty::Text, Some(&a), false)?);
                Ok(format!("({a} LIKE {b})"))
            }
            "between" => {
                let [x, low, high] = arity::<3>(op, args)?;
                let x = self.scalar(x, depth + 1)?;
                let ty = x.ty();
                if !matches!(ty, Ty::Number | Ty::Date | Ty::Timestamp | Ty::Text) {
                    return Err(bad(format!("BETWEEN needs a number, a date or a time, not {}", ty.name())));
                }
                let (low, high) = (self.scalar(low, depth + 1)?, self.scalar(high, depth + 1)?);
                let x_sql = self.render(&x, ty, None, false)?;
                let (low, high) = (self.render(&low, ty, Some(&x), false)?, self.render(&high, ty, Some(&x), false)?);
                Ok(format!("({x_sql} BETWEEN {low} AND {high})"))
            }
            "in" => {
                let [x, list] = arity::<2>(op, args)?;
                let x = self.scalar(x, depth + 1)?;
                let Expr::Array(items) = list else {
                    return Err(bad("IN needs a list: name IN ('a', 'b')"));
                };
                if items.is_empty() {
                    return Err(bad("IN needs at least one value"));
                }
                let ty = x.ty();
                let x_sql = self.render(&x, ty, None, false)?;
                let mut values = Vec::new();
                for item in items {
                    let item = self.scalar(item, depth + 1)?;
                    values.push(self.render(&item, ty, Some(&x), true)?);
                }
                Ok(format!("({x_sql} IN ({}))", values.join(", ")))
            }
            "isNull" => {
                let [a] = arity::<1>(op, args)?;
                let sql = match a {
                    Expr::Property { property } if self.is_geometry(property) => "t.geom".to_string(),
                    other => {
                        let s = self.scalar(other, depth + 1)?;
                        match s {
                            Scalar::Column(sql, ..) => sql,
                            _ => self.render(&s, s.ty(), None, false)?,
                        }
                    }
                };
                Ok(format!("({sql} IS NULL)"))
            }
            "s_intersects" | "s_equals" | "s_disjoint" | "s_touches" | "s_within" | "s_overlaps" | "s_crosses"
            | "s_contains" => {
                let [a, b] = arity::<2>(op, args)?;
                let function = format!("ST_{}", &op[2..]);
                Ok(format!("{function}({}, {})", self.geometry(a, depth + 1)?, self.geometry(b, depth + 1)?))
            }
            "a_equals" | "a_contains" | "a_containedBy" | "a_overlaps" => {
                let [a, b] = arity::<2>(op, args)?;
                let sql_op = match op {
                    "a_equals" => "=",
                    "a_contains" => "@>",
                    "a_containedBy" => "<@",
                    _ => "&&",
                };
                // Lists are compared as sets of values, so their order does not count.
                let (a, b) = (self.list(a, b, depth + 1)?, self.list(b, a, depth + 1)?);
                if sql_op == "=" {
                    return Ok(format!("({a} @> {b} AND {a} <@ {b})"));
                }
                Ok(format!("({a} {sql_op} {b})"))
            }
            t if t.starts_with("t_") => Err(bad(format!(
                "`{t}`: temporal operators are not supported; compare times with <, >, BETWEEN or use datetime"
            ))),
            other => Err(bad(format!(
                "`{other}` is not supported; use comparisons, AND, OR, NOT, LIKE, IN, BETWEEN, IS NULL, CASEI, S_* and A_* functions"
            ))),
        }
    }

    fn is_geometry(&self, name: &str) -> bool {
        self.layer.is_spatial() && name == "geometry"
    }

    /// A property by name: `id`, a field, or a read-only property.
    fn column<'e>(&self, name: &'e str) -> Result<Scalar<'e>, Invalid> {
        if name == "id" {
            return Ok(Scalar::Column("t.id".into(), Ty::Number, None, name));
        }
        let field = self
            .layer
            .fields
            .iter()
            .chain(self.layer.read_only())
            .find(|f| f.name == name && Ty::of(f).is_some())
            .ok_or_else(|| {
                bad(format!(
                    "unknown property `{name}`; the queryables of {} are: {}",
                    self.layer.name,
                    queryable_names(self.layer).join(", ")
                ))
            })?;
        let ty = Ty::of(field).expect("checked above");
        Ok(Scalar::Column(self.layer.property_sql(field), ty, Some(field), name))
    }

    fn scalar<'e>(&mut self, e: &'e Expr, depth: usize) -> Result<Scalar<'e>, Invalid> {
        self.count(depth)?;
        Ok(match e {
            Expr::Property { property } if self.is_geometry(property) => {
                return Err(bad("`geometry` is compared with the S_* functions, such as S_INTERSECTS"));
            }
            Expr::Property { property } => self.column(property)?,
            Expr::Literal(s) => Scalar::Value(Ty::Text, s.clone()),
            Expr::Float(f) if f.is_finite() => Scalar::Value(Ty::Number, f.to_string()),
            Expr::Bool(b) => Scalar::Value(Ty::Bool, b.to_string()),
            Expr::Date { date } => match date.as_ref() {
                Expr::Literal(s) if crate::time::day(s).is_some() => Scalar::Value(Ty::Date, s.clone()),
                other => return Err(bad(format!("DATE(`{}`) is not a date like 2026-11-23", describe(other)))),
            },
            Expr::Timestamp { timestamp } => match timestamp.as_ref() {
                Expr::Literal(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {
                    Scalar::Value(Ty::Timestamp, s.clone())
                }
                other => {
                    return Err(bad(format!(
                        "TIMESTAMP(`{}`) is not an RFC 3339 time like 2026-11-23T08:30:00Z",
                        describe(other)
                    )));
                }
            },
            Expr::Operation { op, args } if op.eq_ignore_ascii_case("casei") => {
                let [inner] = arity::<1>("casei", args)?;
                Scalar::Casei(Box::new(self.scalar(inner, depth + 1)?))
            }
            Expr::Null => return Err(bad("compare with NULL by `IS NULL`")),
            other => return Err(bad(format!("`{}` is not a value onemap compares", describe(other)))),
        })
    }

    /// The SQL of `s` as type `ty`, compared with `other`; a literal compared for equality
    /// (`exact`) with an enum property must be one of its values (so a typo is an error, not
    /// an empty answer).
    fn render(&mut self, s: &Scalar<'_>, ty: Ty, other: Option<&Scalar<'_>>, exact: bool) -> Result<String, Invalid> {
        match s {
            Scalar::Column(sql, own, _, name) => {
                if *own != ty {
                    return Err(bad(format!("`{name}` is {}, compared here with {}", own.name(), ty.name())));
                }
                Ok(if ty == Ty::Text { format!("{sql}::text") } else { sql.clone() })
            }
            Scalar::Value(own, text) => {
                let column = match other {
                    Some(Scalar::Column(_, _, field, name)) => Some((*field, *name)),
                    _ => None,
                };
                if *own != ty {
                    return Err(bad(match column {
                        Some((_, name)) => format!("`{name}` is {}, not {} like `{text}`", ty.name(), own.name()),
                        None => format!("`{text}` is {}, where {} is needed", own.name(), ty.name()),
                    }));
                }
                if let Some((Some(field), name)) = column
                    && exact
                    && let FieldType::Enum(values) = field.ty
                    && !values.contains(&text.as_str())
                {
                    return Err(bad(format!("`{text}` is not a value of `{name}`: {}", values.join(", "))));
                }
                Ok(format!("{}::{}", self.condition.bind(text), ty.cast()))
            }
            Scalar::Casei(inner) => {
                if ty != Ty::Text {
                    return Err(bad(format!("CASEI gives a string, compared here with {}", ty.name())));
                }
                Ok(format!("lower({})", self.render(inner, Ty::Text, None, false)?))
            }
        }
    }

    /// A geometry operand: the layer's geometry, a geometry literal or a BBOX, as stored.
    fn geometry(&mut self, e: &Expr, depth: usize) -> Result<String, Invalid> {
        self.count(depth)?;
        match e {
            Expr::Property { property } if self.is_geometry(property) => Ok("t.geom".into()),
            Expr::Property { property } => {
                Err(bad(format!("`{property}` is not a geometry; the geometry of {} is `geometry`", self.layer.name)))
            }
            Expr::Geometry(g) => {
                let wkt = g.to_wkt().map_err(|e| bad(format!("a geometry that cannot be read: {e}")))?;
                if wkt.len() > MAX_GEOMETRY_CHARS {
                    return Err(bad(format!("a geometry longer than {MAX_GEOMETRY_CHARS} characters of WKT")));
                }
                let p = self.condition.bind(wkt);
                Ok(self.crs.to_storage_sql(|srid| format!("ST_GeomFromText({p}::text, {srid})")))
            }
            Expr::BBox { bbox } => {
                let numbers: Vec<f64> = bbox
                    .iter()
                    .map(|b| match b.as_ref() {
                        Expr::Float(f) if f.is_finite() => Ok(*f),
                        other => Err(bad(format!("BBOX takes numbers, not `{}`", describe(other)))),
                    })
                    .collect::<Result<_, _>>()?;
                let [a, b, c, d] = match numbers[..] {
                    [a, b, c, d] | [a, b, _, c, d, _] => [a, b, c, d],
                    _ => return Err(bad(format!("BBOX takes 4 or 6 numbers, not {}", numbers.len()))),
                };
                if a > c || b > d {
                    return Err(bad("BBOX's lower corner is above or right of its upper corner"));
                }
                let ps: Vec<String> = [a, b, c, d].iter().map(|v| self.condition.bind(v)).collect();
                Ok(self.crs.to_storage_sql(|srid| {
                    format!(
                        "ST_MakeEnvelope({}::float8, {}::float8, {}::float8, {}::float8, {srid})",
                        ps[0], ps[1], ps[2], ps[3]
                    )
                }))
            }
            other => Err(bad(format!("`{}` is not a geometry", describe(other)))),
        }
    }

    /// A list operand of an A_* function: a list property or a list of values.
    fn list(&mut self, e: &Expr, other: &Expr, depth: usize) -> Result<String, Invalid> {
        self.count(depth)?;
        match e {
            Expr::Property { property } => match self.column(property)? {
                Scalar::Column(sql, Ty::TextList, ..) => Ok(sql),
                _ => Err(bad(format!("`{property}` is not a list"))),
            },
            Expr::Array(items) => {
                let allowed = match other {
                    Expr::Property { property } => self.layer.field(property).and_then(|f| match f.ty {
                        FieldType::EnumList(values) => Some(values),
                        _ => None,
                    }),
                    _ => None,
                };
                let mut values = Vec::new();
                for item in items {
                    let Expr::Literal(text) = item.as_ref() else {
                        return Err(bad(format!("the lists compared hold strings, not `{}`", describe(item))));
                    };
                    if let Some(allowed) = allowed
                        && !allowed.contains(&text.as_str())
                    {
                        return Err(bad(format!("`{text}` is not one of {}", allowed.join(", "))));
                    }
                    values.push(format!("{}::text", self.condition.bind(text)));
                }
                Ok(format!("ARRAY[{}]::text[]", values.join(", ")))
            }
            other => Err(bad(format!("`{}` is not a list", describe(other)))),
        }
    }
}

fn arity<'e, const N: usize>(op: &str, args: &'e [Box<Expr>]) -> Result<[&'e Expr; N], Invalid> {
    let refs: Vec<&Expr> = args.iter().map(|a| a.as_ref()).collect();
    refs.try_into().map_err(|_| bad(format!("`{op}` takes {N} argument(s), not {}", args.len())))
}

/// A short rendering of an expression for an error message.
fn describe(e: &Expr) -> String {
    let text = e.to_text().unwrap_or_else(|_| format!("{e:?}"));
    if text.chars().count() > 80 { format!("{}…", text.chars().take(80).collect::<String>()) } else { text }
}

/// The names a filter on `layer` may use, `geometry` first for a spatial layer.
pub fn queryable_names(layer: &Layer) -> Vec<&'static str> {
    let geometry = layer.is_spatial().then_some("geometry");
    geometry.into_iter().chain(["id"]).chain(queryables(layer).map(|f| f.name)).collect()
}

/// The fields a filter on `layer` may name (besides `id` and `geometry`).
pub fn queryables(layer: &Layer) -> impl Iterator<Item = &Field> {
    layer.fields.iter().chain(layer.read_only()).filter(|f| Ty::of(f).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses from a thread with the stack of a tokio worker (2 MiB), as a request would.
    fn parse_on_worker_stack(text: String, lang: Lang) -> bool {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || parse(&text, lang).is_ok())
            .unwrap()
            .join()
            .expect("the parser must not overflow a worker's stack")
    }

    #[test]
    fn prefix_operator_runs_count_as_depth() {
        assert_eq!(text_depth("a = 1"), 0);
        assert_eq!(text_depth("NOT a = -1"), 1);
        assert_eq!(text_depth("NOT (NOT (a = 1))"), 4);
        assert_eq!(text_depth("name = 'NOT NOT NOT -- ((('"), 0);
        assert_eq!(text_depth("\"not a name\" = 1 AND x NOT LIKE 'a%'"), 1);
        assert_eq!(text_depth(&"NOT ".repeat(3000)), 3000);
        assert_eq!(text_depth(&format!("x = {}1", "-".repeat(5000))), 5000);
    }

    #[test]
    fn hostile_filters_are_refused_before_parsing() {
        for hostile in [
            format!("{}a = 1", "NOT ".repeat(4000)),
            format!("a = {}1", "- ".repeat(6000)),
            format!("a = {}1", "-".repeat(19_000)),
            format!("{}a = 1{}", "NOT (".repeat(60), ")".repeat(60)),
            format!("{}1{}", "(".repeat(3000), ")".repeat(3000)),
        ] {
            let err = parse(&hostile, Lang::Text).unwrap_err();
            assert!(err.to_string().contains("nests deeper"), "{err}");
        }
        let json = format!("{}true{}", "{\"op\":\"not\",\"args\":[".repeat(200), "]}".repeat(200));
        assert!(parse(&json, Lang::Json).unwrap_err().to_string().contains("nests deeper"));
    }

    #[test]
    fn the_deepest_accepted_filters_parse_on_a_worker_stack() {
        let half = MAX_DEPTH / 2;
        let cases = [
            (format!("{}a = 1", "NOT ".repeat(MAX_DEPTH)), Lang::Text),
            (format!("a = {}1", "-".repeat(MAX_DEPTH)), Lang::Text),
            (format!("{}a = 1{}", "NOT (".repeat(half), ")".repeat(half)), Lang::Text),
            (format!("{}a = 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH)), Lang::Text),
            (format!("{}true{}", "{\"op\":\"not\",\"args\":[".repeat(half), "]}".repeat(half)), Lang::Json),
        ];
        for (text, lang) in cases {
            assert!(parse_on_worker_stack(text.clone(), lang), "{text:.80}");
        }
    }
}
