//! Reading entities: one SQL statement per request builds each entity as JSON, expansions as
//! correlated subqueries inside it; the links (`@iot.selfLink`, `…@iot.navigationLink`) are
//! added afterwards from the catalogue.

use serde_json::{Map, Value};
use sqlx::PgPool;

use super::model::{Kind, Link, Nav, Set};
use super::options::{Expand, Options};
use super::path::Resource;
use super::sql::{Compiler, time_text};
use crate::error::{Error, Invalid};
use crate::layers::condition::Condition;

/// A page of a collection.
#[derive(Debug)]
pub struct Page {
    /// The entities.
    pub value: Vec<Value>,
    /// How many match, when `$count=true`.
    pub count: Option<i64>,
    /// Whether more follow this page.
    pub more: bool,
}

struct Builder<'a> {
    compiler: Compiler<'a>,
}

/// The SQL of a property's value, as the API shows it.
fn value_sql(set: Set, alias: &str, name: &str) -> String {
    let prop = set.prop(name).expect("a property of the catalogue");
    let column = format!("{alias}.{}", prop.column);
    match prop.kind {
        Kind::Text | Kind::Json => column,
        Kind::Unkept => "NULL::json".into(),
        Kind::Geometry => format!("ST_AsGeoJSON({column})::json"),
        Kind::Time => time_text(&column),
        Kind::TimeOrInterval { end } => format!(
            "CASE WHEN {alias}.{end} IS NULL THEN {} ELSE {} || '/' || {} END",
            time_text(&column),
            time_text(&column),
            time_text(&format!("{alias}.{end}"))
        ),
        Kind::Interval { end } => format!(
            "CASE WHEN {column} IS NOT NULL THEN {} || '/' || {} END",
            time_text(&column),
            time_text(&format!("{alias}.{end}"))
        ),
        Kind::Result { other } => format!("coalesce(to_json({column}), {alias}.{other}::json)"),
        Kind::Span { first, last } => format!(
            "(SELECT {} || '/' || {} FROM sta_latest l WHERE l.datastream_id = {alias}.id)",
            time_text(&format!("l.{first}")),
            time_text(&format!("l.{last}"))
        ),
    }
}

fn unknown(set: Set, field: &str, name: &str) -> Invalid {
    Invalid::field(field, format!("{} has no `{name}`; it has {}", set.name(), set.known()))
}

impl Builder<'_> {
    /// `json_build_object(…)` of a row of `set` as `alias`, with its expansions.
    fn object(&mut self, set: Set, alias: &str, options: &Options) -> Result<String, Invalid> {
        let mut members: Vec<String> = Vec::new();
        let wanted = |name: &str| options.select.as_ref().is_none_or(|s| s.iter().any(|x| x == name));
        if let Some(select) = &options.select {
            for name in select {
                let known = name == "id" || name == "@iot.id" || set.prop(name).is_some() || set.nav(name).is_some();
                if !known {
                    return Err(unknown(set, "$select", name));
                }
            }
        }
        // The id is always read (links need it); it is dropped later when not selected.
        members.push(format!("'@iot.id', {alias}.id"));
        for prop in set.props() {
            if wanted(prop.name) {
                members.push(format!("'{}', {}", prop.name, value_sql(set, alias, prop.name)));
            }
        }
        for expand in &options.expand {
            let nav = set.nav(&expand.nav).ok_or_else(|| unknown(set, "$expand", &expand.nav))?;
            members.push(format!("'{}', {}", nav.name, self.expansion(alias, nav, &expand.options)?));
        }
        Ok(format!("json_build_object({})", members.join(", ")))
    }

    /// WHERE conditions and ORDER BY of a level.
    fn level(&mut self, set: Set, alias: &str, options: &Options) -> Result<(Option<String>, String), Invalid> {
        let filter = match &options.filter {
            Some(f) => Some(self.compiler.condition(set, alias, f)?),
            None => None,
        };
        let mut order = Vec::new();
        let field = std::mem::replace(&mut self.compiler.field, "$orderby");
        for (e, desc) in &options.orderby {
            let t = self.compiler.expr(set, alias, e)?;
            if t.ty == super::sql::Ty::Geometry || t.ty == super::sql::Ty::Bool {
                return Err(Invalid::field("$orderby", "orders by a number, text, time or JSON member"));
            }
            order.push(format!("{} {}", t.sql, if *desc { "DESC NULLS LAST" } else { "ASC NULLS FIRST" }));
        }
        self.compiler.field = field;
        order.push(format!("{alias}.id"));
        Ok((filter, order.join(", ")))
    }

    fn expansion(&mut self, parent: &str, nav: &Nav, options: &Options) -> Result<String, Invalid> {
        let a = self.compiler.alias();
        let table = nav.target.table();
        let object = self.object(nav.target, &a, options)?;
        let (filter, order) = self.level(nav.target, &a, options)?;
        let filter = filter.map(|f| format!(" AND {f}")).unwrap_or_default();
        let link = match nav.link {
            Link::ToOne(column) => {
                return Ok(format!("(SELECT {object} FROM {table} {a} WHERE {a}.id = {parent}.{column}{filter})"));
            }
            Link::ToMany(column) => format!("{a}.{column} = {parent}.id"),
            Link::Through(join, this, that) => {
                format!("{a}.id IN (SELECT j.{that} FROM {join} j WHERE j.{this} = {parent}.id)")
            }
        };
        Ok(format!(
            "(SELECT coalesce(json_agg(x.o ORDER BY x.n), '[]'::json) FROM (SELECT {object} AS o, \
             row_number() OVER (ORDER BY {order}) AS n FROM {table} {a} WHERE {link}{filter} \
             ORDER BY {order} LIMIT {} OFFSET {}) x)",
            options.top(),
            options.skip
        ))
    }
}

/// The SQL and parameters of a request's rows: `SELECT <object> … LIMIT`, and the count.
fn statements(resource: &Resource, options: &Options, limit: usize) -> Result<(String, String, Condition), Invalid> {
    let set = resource.set();
    let mut cond = Condition::default();
    let mut aliases = 0;
    let ids = resource.ids(&mut cond);
    cond.and(format!("t.id IN ({ids})"));
    let mut builder = Builder { compiler: Compiler { cond: &mut cond, aliases: &mut aliases, field: "$filter" } };
    let object = builder.object(set, "t", options)?;
    let (filter, order) = builder.level(set, "t", options)?;
    if let Some(f) = filter {
        cond.and(f);
    }
    let table = set.table();
    let rows =
        format!("SELECT {object} FROM {table} t {} ORDER BY {order} LIMIT {limit} OFFSET {}", cond.sql(), options.skip);
    let count = format!("SELECT count(*) FROM {table} t {}", cond.sql());
    Ok((rows, count, cond))
}

fn query<'q>(
    sql: &'q str,
    cond: &'q Condition,
) -> sqlx::query::QueryScalar<'q, sqlx::Postgres, Value, sqlx::postgres::PgArguments> {
    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
    for p in cond.params() {
        q = q.bind(p);
    }
    q
}

/// A collection: a page of the entities the path and the options select.
pub async fn page(pool: &PgPool, resource: &Resource, options: &Options) -> Result<Page, Error> {
    let top = options.top();
    let (rows, count, cond) = statements(resource, options, top + 1).map_err(Error::BadQuery)?;
    let mut value: Vec<Value> = query(&rows, &cond).fetch_all(pool).await?;
    let more = value.len() > top;
    value.truncate(top);
    let count = if options.count {
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count.as_str()));
        for p in cond.params() {
            q = q.bind(p);
        }
        Some(q.fetch_one(pool).await?)
    } else {
        None
    };
    Ok(Page { value, count, more })
}

/// One entity (None: there is none).
pub async fn one(pool: &PgPool, resource: &Resource, options: &Options) -> Result<Option<Value>, Error> {
    let single = Options { top: Some(1), skip: 0, count: false, orderby: Vec::new(), ..options.clone() };
    let (rows, _, cond) = statements(resource, &single, 1).map_err(Error::BadQuery)?;
    Ok(query(&rows, &cond).fetch_optional(pool).await?)
}

/// Whether entity `id` of `set` exists.
pub async fn found(conn: &mut sqlx::PgConnection, set: Set, id: i64) -> Result<bool, Error> {
    let sql = format!("SELECT EXISTS (SELECT 1 FROM {} WHERE id = $1)", set.table());
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(conn).await?)
}

/// Entity `id` of `set` as the API shows it (links added from `base` when given); None when
/// there is none.
pub async fn entity(pool: &PgPool, set: Set, id: i64, base: Option<&str>) -> Result<Option<Value>, Error> {
    let resource = Resource { steps: vec![super::path::Step { set, via: None, id: Some(id) }], property: None };
    let mut found = one(pool, &resource, &Options::default()).await?;
    if let (Some(e), Some(base)) = (found.as_mut(), base) {
        decorate(e, set, &Options::default(), base);
    }
    Ok(found)
}

/// Whether every entity a path names on its way exists (`Things(9)/Datastreams` of no Thing 9 is 404).
pub async fn path_exists(pool: &PgPool, resource: &Resource) -> Result<bool, Error> {
    for n in 1..resource.steps.len() {
        if resource.steps[n - 1].id.is_none() {
            continue;
        }
        let prefix = Resource { steps: resource.steps[..n].to_vec(), property: None };
        let mut cond = Condition::default();
        let ids = prefix.ids(&mut cond);
        let mut q = sqlx::query_scalar::<_, bool>(sqlx::AssertSqlSafe(format!("SELECT EXISTS ({ids})")));
        for p in cond.params() {
            q = q.bind(p);
        }
        if !q.fetch_one(pool).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Adds the links to entities of `set` read with `options`, and drops the ids not selected.
pub fn decorate(value: &mut Value, set: Set, options: &Options, base: &str) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| decorate(v, set, options, base)),
        Value::Object(object) => decorate_one(object, set, options, base),
        _ => {}
    }
}

fn decorate_one(object: &mut Map<String, Value>, set: Set, options: &Options, base: &str) {
    let Some(id) = object.get("@iot.id").and_then(Value::as_i64) else { return };
    let wanted = |name: &str| options.select.as_ref().is_none_or(|s| s.iter().any(|x| x == name));
    let me = format!("{base}/{}({id})", set.name());
    for nav in set.navs() {
        match options.expand.iter().find(|e: &&Expand| e.nav == nav.name) {
            Some(e) => {
                if let Some(v) = object.get_mut(nav.name) {
                    decorate(v, nav.target, &e.options, base);
                }
            }
            None if wanted(nav.name) => {
                object.insert(format!("{}@iot.navigationLink", nav.name), Value::String(format!("{me}/{}", nav.name)));
            }
            None => {}
        }
    }
    if wanted("id") || wanted("@iot.id") {
        object.insert("@iot.selfLink".into(), Value::String(me));
    } else {
        object.remove("@iot.id");
    }
}
