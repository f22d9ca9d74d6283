//! A `$filter` or `$orderby` expression turned into SQL over the entity sets' tables: names
//! only from the catalogue ([`super::model`]), every literal a bound parameter, each
//! expression typed so that a comparison of unlike things is refused with its reason rather
//! than left to the database.

use super::filter::{Expr, Op};
use super::model::{Kind, Link, Set};
use crate::error::Invalid;
use crate::layers::condition::Condition;

/// Most positions in one geometry literal.
pub const MAX_GEOMETRY_POSITIONS: usize = 10_000;

/// What an expression is.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// A number.
    Number,
    /// Text.
    Text,
    /// True or false.
    Bool,
    /// An instant.
    Time,
    /// A geometry.
    Geometry,
    /// A JSON value (a member of `properties`).
    Json,
    /// `null`.
    Null,
    /// A result: SQL of its number, and of its other value (JSON).
    Result(String),
}

/// SQL and what it is.
#[derive(Debug, Clone)]
pub struct Typed {
    /// The SQL text.
    pub sql: String,
    /// Its type.
    pub ty: Ty,
}

fn typed(sql: String, ty: Ty) -> Typed {
    Typed { sql, ty }
}

fn bad(field: &str, detail: impl Into<String>) -> Invalid {
    Invalid::field(field, detail)
}

/// An instant as the API writes it (UTC, milliseconds, `Z`).
pub fn time_text(sql: &str) -> String {
    format!("to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
}

/// Compiles expressions of one query: its parameters and its table aliases.
pub struct Compiler<'a> {
    /// The WHERE clause under construction, which holds the parameters.
    pub cond: &'a mut Condition,
    /// Aliases used so far.
    pub aliases: &'a mut usize,
    /// The query option being compiled (`$filter`, `$orderby`), for messages.
    pub field: &'static str,
}

impl Compiler<'_> {
    /// A fresh table alias.
    pub fn alias(&mut self) -> String {
        *self.aliases += 1;
        format!("a{}", self.aliases)
    }

    fn bind(&mut self, value: impl ToString, cast: &str) -> String {
        format!("{}::{cast}", self.cond.bind(value))
    }

    /// A boolean condition over rows of `set` as `alias`.
    pub fn condition(&mut self, set: Set, alias: &str, e: &Expr) -> Result<String, Invalid> {
        let t = self.expr(set, alias, e)?;
        match t.ty {
            Ty::Bool => Ok(t.sql),
            Ty::Json => Ok(format!("({} = 'true'::jsonb)", t.sql)),
            other => Err(bad(self.field, format!("is a {} where a condition (true or false) is needed", name(&other)))),
        }
    }

    /// Any expression over rows of `set` as `alias`.
    pub fn expr(&mut self, set: Set, alias: &str, e: &Expr) -> Result<Typed, Invalid> {
        Ok(match e {
            Expr::Path(path) => self.path(set, alias, path)?,
            Expr::Text(s) => typed(self.bind(s, "text"), Ty::Text),
            Expr::Number(n) => typed(self.bind(n, "float8"), Ty::Number),
            Expr::Bool(b) => typed(self.bind(b, "boolean"), Ty::Bool),
            Expr::Null => typed("NULL".into(), Ty::Null),
            Expr::Time(t) => typed(self.bind(t.to_rfc3339(), "timestamptz"), Ty::Time),
            Expr::Geometry(wkt) => typed(self.geometry(wkt)?, Ty::Geometry),
            Expr::Not(inner) => {
                typed(format!("(NOT coalesce({}, false))", self.condition(set, alias, inner)?), Ty::Bool)
            }
            Expr::Negate(inner) => {
                let x = self.number(set, alias, inner)?;
                typed(format!("(-{x})"), Ty::Number)
            }
            Expr::Binary(op, l, r) if op.compares() => self.compare(set, alias, *op, l, r)?,
            Expr::Binary(op @ (Op::And | Op::Or), l, r) => {
                let (l, r) = (self.condition(set, alias, l)?, self.condition(set, alias, r)?);
                let word = if *op == Op::And { "AND" } else { "OR" };
                typed(format!("({l} {word} {r})"), Ty::Bool)
            }
            Expr::Binary(op, l, r) => {
                let (l, r) = (self.number(set, alias, l)?, self.number(set, alias, r)?);
                let sql = match op {
                    Op::Add => format!("({l} + {r})"),
                    Op::Sub => format!("({l} - {r})"),
                    Op::Mul => format!("({l} * {r})"),
                    // Division by zero is null (no row matches), not a failed query.
                    Op::Div => format!("({l} / nullif({r}, 0))"),
                    _ => format!("mod(({l})::numeric, nullif(({r})::numeric, 0))::float8"),
                };
                typed(sql, Ty::Number)
            }
            Expr::Call(name, args) => self.call(set, alias, name, args)?,
        })
    }

    fn geometry(&mut self, wkt: &str) -> Result<String, Invalid> {
        use std::str::FromStr;
        if wkt.len() > MAX_GEOMETRY_POSITIONS * 40 {
            return Err(bad(self.field, format!("a geometry has more than {MAX_GEOMETRY_POSITIONS} positions")));
        }
        let geometry = wkt::Wkt::<f64>::from_str(wkt)
            .map_err(|e| bad(self.field, format!("`{}` is not WKT: {e}", wkt.chars().take(60).collect::<String>())))?;
        let positions = wkt.matches(',').count() + 1;
        if positions > MAX_GEOMETRY_POSITIONS {
            return Err(bad(self.field, format!("a geometry has more than {MAX_GEOMETRY_POSITIONS} positions")));
        }
        let geometry: geo::Geometry<f64> =
            geometry.try_into().map_err(|_| bad(self.field, "an empty geometry cannot be compared".to_string()))?;
        crate::layers::validate::check_coordinates(&geometry).map_err(|d| bad(self.field, d))?;
        drawable(&geometry).map_err(|d| bad(self.field, d))?;
        Ok(format!("ST_GeomFromText({}, 4326)", self.bind(wkt, "text")))
    }

    fn number(&mut self, set: Set, alias: &str, e: &Expr) -> Result<String, Invalid> {
        let t = self.expr(set, alias, e)?;
        number_of(self.field, t)
    }

    fn text(&mut self, set: Set, alias: &str, e: &Expr) -> Result<String, Invalid> {
        let t = self.expr(set, alias, e)?;
        match t.ty {
            Ty::Text | Ty::Null => Ok(t.sql),
            Ty::Json => Ok(format!("({} #>> '{{}}')", t.sql)),
            Ty::Result(other) => Ok(format!("coalesce(({})::text, {other} #>> '{{}}')", t.sql)),
            other => Err(bad(self.field, format!("a {} stands where text is needed", name(&other)))),
        }
    }

    fn instant(&mut self, set: Set, alias: &str, e: &Expr) -> Result<String, Invalid> {
        let t = self.expr(set, alias, e)?;
        match t.ty {
            Ty::Time | Ty::Null => Ok(t.sql),
            other => Err(bad(self.field, format!("a {} stands where a time is needed", name(&other)))),
        }
    }

    fn shape(&mut self, set: Set, alias: &str, e: &Expr) -> Result<String, Invalid> {
        let t = self.expr(set, alias, e)?;
        match t.ty {
            Ty::Geometry | Ty::Null => Ok(t.sql),
            Ty::Json => Ok(format!("ST_SetSRID(ST_GeomFromGeoJSON({}), 4326)", t.sql)),
            other => Err(bad(self.field, format!("a {} stands where a geometry is needed", name(&other)))),
        }
    }

    /// A property path from rows of `set` as `alias`: through navigation to one entity, then
    /// a property, then (in a JSON property) members.
    fn path(&mut self, set: Set, alias: &str, path: &[String]) -> Result<Typed, Invalid> {
        let first = path[0].as_str();
        if first == "id" || first == "@iot.id" {
            if path.len() > 1 {
                return Err(bad(self.field, "id has no members"));
            }
            return Ok(typed(format!("{alias}.id"), Ty::Number));
        }
        if let Some(nav) = set.nav(first) {
            let Link::ToOne(column) = nav.link else {
                return Err(bad(
                    self.field,
                    format!(
                        "{first} leads to many {}: compare one of its properties with a value \
                         (`{first}/name eq '…'`), which matches when any of them does",
                        nav.target.name()
                    ),
                ));
            };
            if path.len() == 1 {
                return Err(bad(self.field, format!("{first} is an entity: name one of its properties")));
            }
            let inner_alias = self.alias();
            let inner = self.path(nav.target, &inner_alias, &path[1..])?;
            let wrap = |sql: &str| {
                format!(
                    "(SELECT {sql} FROM {} {inner_alias} WHERE {inner_alias}.id = {alias}.{column})",
                    nav.target.table()
                )
            };
            let ty = match inner.ty {
                Ty::Result(other) => Ty::Result(wrap(&other)),
                ty => ty,
            };
            return Ok(typed(wrap(&inner.sql), ty));
        }
        let Some(prop) = set.prop(first) else {
            return Err(bad(self.field, format!("{} has no property `{first}`; it has {}", set.name(), set.known())));
        };
        let column = format!("{alias}.{}", prop.column);
        let t = match prop.kind {
            Kind::Text => typed(column, Ty::Text),
            Kind::Json => {
                let mut sql = column;
                for member in &path[1..] {
                    sql = format!("({sql} -> {})", self.bind(member, "text"));
                }
                return Ok(typed(sql, Ty::Json));
            }
            Kind::Geometry => typed(column, Ty::Geometry),
            Kind::Time | Kind::TimeOrInterval { .. } | Kind::Interval { .. } => typed(column, Ty::Time),
            Kind::Result { other } => typed(column, Ty::Result(format!("{alias}.{other}"))),
            Kind::Unkept => typed("NULL".into(), Ty::Null),
            Kind::Span { first, .. } => {
                typed(format!("(SELECT l.{first} FROM sta_latest l WHERE l.datastream_id = {alias}.id)"), Ty::Time)
            }
        };
        if path.len() > 1 {
            return Err(bad(self.field, format!("{first} has no members")));
        }
        Ok(t)
    }

    /// A comparison or a test whose one path leads through many entities (a Thing's
    /// Datastreams, its Locations) holds when it holds for one of them: `EXISTS` over that set.
    fn through_many(set: Set, operands: &[&Expr]) -> Option<(usize, &'static super::model::Nav)> {
        let mut found = None;
        for (i, e) in operands.iter().enumerate() {
            match e {
                Expr::Path(p) if p.len() > 1 => match set.nav(&p[0]) {
                    Some(nav) if !matches!(nav.link, Link::ToOne(_)) => {
                        if found.is_some() {
                            return None;
                        }
                        found = Some((i, nav));
                    }
                    _ if mentions_path(e) => return None,
                    _ => {}
                },
                e if mentions_path(e) => return None,
                _ => {}
            }
        }
        found
    }

    /// `EXISTS (… one of nav's entities where inner holds)`, inner compiled over them.
    fn exists(
        &mut self,
        alias: &str,
        nav: &super::model::Nav,
        inner: impl FnOnce(&mut Self, &str) -> Result<Typed, Invalid>,
    ) -> Result<Typed, Invalid> {
        let a = self.alias();
        let link = match nav.link {
            Link::ToMany(column) => format!("{a}.{column} = {alias}.id"),
            Link::Through(table, this, that) => {
                format!("{a}.id IN (SELECT j.{that} FROM {table} j WHERE j.{this} = {alias}.id)")
            }
            Link::ToOne(column) => format!("{a}.id = {alias}.{column}"),
        };
        let inner = inner(self, &a)?;
        if inner.ty != Ty::Bool {
            return Err(bad(
                self.field,
                format!("{} leads to many {}: only a condition can be asked of them", nav.name, nav.target.name()),
            ));
        }
        Ok(typed(format!("EXISTS (SELECT 1 FROM {} {a} WHERE {link} AND {})", nav.target.table(), inner.sql), Ty::Bool))
    }

    fn compare(&mut self, set: Set, alias: &str, op: Op, l: &Expr, r: &Expr) -> Result<Typed, Invalid> {
        if let Some((i, nav)) = Self::through_many(set, &[l, r]) {
            let Expr::Path(p) = [l, r][i] else { unreachable!() };
            let rest = Expr::Path(p[1..].to_vec());
            let (l, r) = if i == 0 { (&rest, r) } else { (l, &rest) };
            return self.exists(alias, nav, |c, a| c.compare(nav.target, a, op, l, r));
        }
        let (l, r) = (self.expr(set, alias, l)?, self.expr(set, alias, r)?);
        let sign = match op {
            Op::Eq => "=",
            Op::Ne => "<>",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            _ => "<=",
        };
        let null_test = |x: &Typed| match op {
            Op::Eq => Ok(format!("({} IS NULL)", null_operand(x))),
            Op::Ne => Ok(format!("({} IS NOT NULL)", null_operand(x))),
            _ => Err(bad(self.field, "null is compared only with eq and ne")),
        };
        let sql = match (&l.ty, &r.ty) {
            (Ty::Null, Ty::Null) => return Err(bad(self.field, "compares null with null")),
            (_, Ty::Null) => null_test(&l)?,
            (Ty::Null, _) => null_test(&r)?,
            (Ty::Json, Ty::Json) => format!("({} {sign} {})", l.sql, r.sql),
            (Ty::Json, other) => format!("({} {sign} {})", l.sql, to_json(&r.sql, other, self.field)?),
            (other, Ty::Json) => format!("({} {sign} {})", to_json(&l.sql, other, self.field)?, r.sql),
            (Ty::Result(other), Ty::Text) => format!("(({other} #>> '{{}}') {sign} {})", r.sql),
            (Ty::Text, Ty::Result(other)) => format!("({} {sign} ({other} #>> '{{}}'))", l.sql),
            (Ty::Result(other), Ty::Bool) => format!("({other} {sign} to_jsonb({}))", r.sql),
            (Ty::Result(_), _) | (_, Ty::Result(_)) => {
                format!("({} {sign} {})", number_of(self.field, l.clone())?, number_of(self.field, r.clone())?)
            }
            (Ty::Time, Ty::Text) => format!("({} {sign} {})", l.sql, self.text_time(&r.sql)?),
            (Ty::Text, Ty::Time) => format!("({} {sign} {})", self.text_time(&l.sql)?, r.sql),
            (Ty::Geometry, Ty::Geometry) if matches!(op, Op::Eq | Op::Ne) => {
                let test = format!("ST_Equals({}, {})", l.sql, r.sql);
                if op == Op::Eq { test } else { format!("(NOT {test})") }
            }
            (a, b) if a == b && *a != Ty::Geometry => format!("({} {sign} {})", l.sql, r.sql),
            (a, b) => {
                return Err(bad(self.field, format!("compares a {} with a {}", name(a), name(b))));
            }
        };
        Ok(typed(sql, Ty::Bool))
    }

    /// Text compared with a time: only a literal, checked here, may be.
    fn text_time(&mut self, sql: &str) -> Result<String, Invalid> {
        // The literal was bound as `$n::text`; its value is re-read from the parameters.
        let index: usize = sql
            .strip_prefix('$')
            .and_then(|s| s.strip_suffix("::text"))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(self.field, "a time is compared only with a time or a time in quotes"))?;
        let value = self.cond.params()[index - 1].clone();
        let t =
            super::filter::time(&value).ok_or_else(|| bad(self.field, format!("`{value}` is not an ISO 8601 time")))?;
        Ok(self.bind(t.to_rfc3339(), "timestamptz"))
    }

    fn call(&mut self, set: Set, alias: &str, name: &str, args: &[Expr]) -> Result<Typed, Invalid> {
        let operands: Vec<&Expr> = args.iter().collect();
        if let Some((i, nav)) = Self::through_many(set, &operands) {
            let Expr::Path(p) = args[i].clone() else { unreachable!() };
            let mut inner = args.to_vec();
            inner[i] = Expr::Path(p[1..].to_vec());
            return self.exists(alias, nav, |c, a| c.call(nav.target, a, name, &inner));
        }
        let want = |n: usize| -> Result<(), Invalid> {
            if args.len() == n {
                Ok(())
            } else {
                Err(bad(self.field, format!("{name}() takes {n} argument{}", if n == 1 { "" } else { "s" })))
            }
        };
        let part = |p: &str| format!("extract({p} FROM {{}} AT TIME ZONE 'UTC')::float8");
        Ok(match name {
            "substringof" | "contains" => {
                want(2)?;
                // substringof(needle, haystack); contains(haystack, needle).
                let (needle, hay) = if name == "substringof" { (&args[0], &args[1]) } else { (&args[1], &args[0]) };
                let (n, h) = (self.text(set, alias, needle)?, self.text(set, alias, hay)?);
                typed(format!("(strpos({h}, {n}) > 0)"), Ty::Bool)
            }
            "endswith" | "startswith" => {
                want(2)?;
                let (s, x) = (self.text(set, alias, &args[0])?, self.text(set, alias, &args[1])?);
                let side = if name == "endswith" { "right" } else { "left" };
                typed(format!("({side}({s}, length({x})) = {x} AND length({s}) >= length({x}))"), Ty::Bool)
            }
            "length" => {
                want(1)?;
                typed(format!("length({})::float8", self.text(set, alias, &args[0])?), Ty::Number)
            }
            "indexof" => {
                want(2)?;
                let (s, x) = (self.text(set, alias, &args[0])?, self.text(set, alias, &args[1])?);
                typed(format!("(strpos({s}, {x}) - 1)::float8"), Ty::Number)
            }
            "substring" => {
                if !(2..=3).contains(&args.len()) {
                    return Err(bad(self.field, "substring() takes 2 or 3 arguments"));
                }
                let s = self.text(set, alias, &args[0])?;
                let from = self.number(set, alias, &args[1])?;
                let sql = match args.get(2) {
                    Some(n) => {
                        let n = self.number(set, alias, n)?;
                        format!("substr({s}, ({from})::int + 1, greatest(({n})::int, 0))")
                    }
                    None => format!("substr({s}, ({from})::int + 1)"),
                };
                typed(sql, Ty::Text)
            }
            "tolower" | "toupper" | "trim" => {
                want(1)?;
                let f = match name {
                    "tolower" => "lower",
                    "toupper" => "upper",
                    _ => "btrim",
                };
                typed(format!("{f}({})", self.text(set, alias, &args[0])?), Ty::Text)
            }
            "concat" => {
                want(2)?;
                let (a, b) = (self.text(set, alias, &args[0])?, self.text(set, alias, &args[1])?);
                typed(format!("({a} || {b})"), Ty::Text)
            }
            "year" | "month" | "day" | "hour" | "minute" | "second" => {
                want(1)?;
                let t = self.instant(set, alias, &args[0])?;
                let sql = part(name).replace("{}", &t);
                let sql = if name == "second" { format!("floor({sql})") } else { sql };
                typed(sql, Ty::Number)
            }
            "fractionalseconds" => {
                want(1)?;
                let t = self.instant(set, alias, &args[0])?;
                typed(
                    format!("({} - floor({}))", part("second").replace("{}", &t), part("second").replace("{}", &t)),
                    Ty::Number,
                )
            }
            "date" => {
                want(1)?;
                let t = self.instant(set, alias, &args[0])?;
                typed(format!("(date_trunc('day', {t} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"), Ty::Time)
            }
            "totaloffsetminutes" => {
                want(1)?;
                self.instant(set, alias, &args[0])?;
                // Times are kept and written in UTC.
                typed("0::float8".into(), Ty::Number)
            }
            "now" => {
                want(0)?;
                typed("now()".into(), Ty::Time)
            }
            "round" | "floor" | "ceiling" => {
                want(1)?;
                let f = if name == "ceiling" { "ceil" } else { name };
                typed(format!("{f}({})", self.number(set, alias, &args[0])?), Ty::Number)
            }
            "geo.distance" => {
                want(2)?;
                let (a, b) = (self.shape(set, alias, &args[0])?, self.shape(set, alias, &args[1])?);
                typed(format!("ST_Distance(({a})::geography, ({b})::geography)"), Ty::Number)
            }
            "geo.length" => {
                want(1)?;
                typed(format!("ST_Length(({})::geography)", self.shape(set, alias, &args[0])?), Ty::Number)
            }
            "geo.intersects" | "st_intersects" | "st_equals" | "st_disjoint" | "st_touches" | "st_within"
            | "st_overlaps" | "st_crosses" | "st_contains" => {
                want(2)?;
                let f = match name {
                    "geo.intersects" | "st_intersects" => "ST_Intersects",
                    "st_equals" => "ST_Equals",
                    "st_disjoint" => "ST_Disjoint",
                    "st_touches" => "ST_Touches",
                    "st_within" => "ST_Within",
                    "st_overlaps" => "ST_Overlaps",
                    "st_crosses" => "ST_Crosses",
                    _ => "ST_Contains",
                };
                let (a, b) = (self.shape(set, alias, &args[0])?, self.shape(set, alias, &args[1])?);
                typed(format!("{f}({a}, {b})"), Ty::Bool)
            }
            "st_relate" => {
                want(3)?;
                let (a, b) = (self.shape(set, alias, &args[0])?, self.shape(set, alias, &args[1])?);
                let Expr::Text(pattern) = &args[2] else {
                    return Err(bad(self.field, "st_relate()'s third argument is a DE-9IM pattern in quotes"));
                };
                if pattern.len() != 9 || !pattern.chars().all(|c| "TF*012".contains(c)) {
                    return Err(bad(self.field, format!("`{pattern}` is not a DE-9IM pattern (9 of T F * 0 1 2)")));
                }
                let p = self.bind(pattern, "text");
                typed(format!("ST_Relate({a}, {b}, {p})"), Ty::Bool)
            }
            other => {
                return Err(bad(
                    self.field,
                    format!(
                        "`{other}()` is not a function of SensorThings' $filter (string: substringof endswith \
                         startswith length indexof substring tolower toupper trim concat; time: year month day \
                         hour minute second fractionalseconds date totaloffsetminutes now; maths: round floor \
                         ceiling; space: geo.distance geo.length geo.intersects st_equals st_disjoint st_touches \
                         st_within st_overlaps st_crosses st_intersects st_contains st_relate)"
                    ),
                ));
            }
        })
    }
}

/// Refuses what PostGIS cannot build: lines of one position, rings of fewer than four or open.
fn drawable(geometry: &geo::Geometry<f64>) -> Result<(), String> {
    use geo::Geometry as G;
    let ring = |r: &geo::LineString<f64>| {
        if r.0.len() < 4 || r.0.first() != r.0.last() {
            Err(format!(
                "a polygon's ring has {} positions or is open: it needs four or more, the last the first",
                r.0.len()
            ))
        } else {
            Ok(())
        }
    };
    let polygon = |p: &geo::Polygon<f64>| std::iter::once(p.exterior()).chain(p.interiors()).try_for_each(ring);
    match geometry {
        G::LineString(l) if l.0.len() < 2 => Err("a line needs two positions or more".into()),
        G::MultiLineString(m) if m.0.iter().any(|l| l.0.len() < 2) => Err("a line needs two positions or more".into()),
        G::Polygon(p) => polygon(p),
        G::MultiPolygon(m) => m.0.iter().try_for_each(polygon),
        G::GeometryCollection(c) => c.0.iter().try_for_each(drawable),
        _ => Ok(()),
    }
}

fn mentions_path(e: &Expr) -> bool {
    match e {
        Expr::Path(_) => true,
        Expr::Not(x) | Expr::Negate(x) => mentions_path(x),
        Expr::Binary(_, l, r) => mentions_path(l) || mentions_path(r),
        Expr::Call(_, args) => args.iter().any(mentions_path),
        _ => false,
    }
}

fn null_operand(x: &Typed) -> String {
    match &x.ty {
        Ty::Result(other) => format!("coalesce(to_jsonb({}), {other})", x.sql),
        // A JSON null member is null too.
        Ty::Json => format!("nullif({}, 'null'::jsonb)", x.sql),
        _ => x.sql.clone(),
    }
}

fn number_of(field: &str, t: Typed) -> Result<String, Invalid> {
    match t.ty {
        Ty::Number | Ty::Null | Ty::Result(_) => Ok(t.sql),
        Ty::Json => Ok(format!("(CASE WHEN jsonb_typeof({0}) = 'number' THEN ({0})::float8 END)", t.sql)),
        other => Err(bad(field, format!("a {} stands where a number is needed", name(&other)))),
    }
}

fn to_json(sql: &str, ty: &Ty, field: &str) -> Result<String, Invalid> {
    match ty {
        Ty::Number | Ty::Text | Ty::Bool => Ok(format!("to_jsonb({sql})")),
        Ty::Time => Ok(format!("to_jsonb({})", time_text(sql))),
        other => Err(bad(field, format!("a {} cannot be compared with a JSON member", name(other)))),
    }
}

fn name(ty: &Ty) -> &'static str {
    match ty {
        Ty::Number => "number",
        Ty::Text => "text",
        Ty::Bool => "condition",
        Ty::Time => "time",
        Ty::Geometry => "geometry",
        Ty::Json => "JSON member",
        Ty::Null => "null",
        Ty::Result(_) => "result",
    }
}
