//! The resource path of a request (`Things(1)/Datastreams`, `Datastreams(4)/Thing/name/$value`):
//! the entity set it ends in, the entities it passes through, and the SQL that keeps the rows
//! it names.

use super::model::{Link, Set};
use crate::error::Invalid;
use crate::layers::condition::Condition;

/// One step of a path: a set reached by name or by navigation, with an id or not.
#[derive(Debug, Clone)]
pub struct Step {
    /// The set of this step.
    pub set: Set,
    /// The navigation from the previous step (None for the first).
    pub via: Option<Link>,
    /// The id given (`Things(1)`).
    pub id: Option<i64>,
}

/// A parsed resource path.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The steps, the first an entity set by name.
    pub steps: Vec<Step>,
    /// A property asked for alone (`…/name`), and whether as its raw value (`/$value`).
    pub property: Option<(&'static str, bool)>,
}

impl Resource {
    /// The set the path ends in.
    pub fn set(&self) -> Set {
        self.steps.last().expect("a path has a step").set
    }

    /// Whether it names one entity (an id at the end, or a navigation to one).
    pub fn single(&self) -> bool {
        let last = self.steps.last().expect("a path has a step");
        last.id.is_some() || matches!(last.via, Some(Link::ToOne(_)))
    }

    /// The id of the entity it names directly (`Things(1)`), if it is one.
    pub fn id(&self) -> Option<i64> {
        match self.steps.as_slice() {
            [only] => only.id,
            _ => None,
        }
    }

    /// The step before the last: the parent of a collection reached by navigation.
    pub fn parent(&self) -> Option<&Step> {
        self.steps.len().checked_sub(2).map(|i| &self.steps[i])
    }

    /// SQL selecting the ids of the last step's rows, binding ids into `cond`.
    pub fn ids(&self, cond: &mut Condition) -> String {
        ids(&self.steps, cond)
    }
}

fn ids(steps: &[Step], cond: &mut Condition) -> String {
    let (last, before) = steps.split_last().expect("a path has a step");
    let mut sql = match (before, last.via) {
        ([], _) | (_, None) => format!("SELECT id FROM {}", last.set.table()),
        (parent, Some(Link::ToMany(column))) => {
            format!("SELECT id FROM {} WHERE {column} IN ({})", last.set.table(), ids(parent, cond))
        }
        (parent, Some(Link::ToOne(column))) => {
            let p = parent.last().expect("a parent").set.table();
            format!("SELECT {column} FROM {p} WHERE id IN ({})", ids(parent, cond))
        }
        (parent, Some(Link::Through(table, this, that))) => {
            format!("SELECT {that} FROM {table} WHERE {this} IN ({})", ids(parent, cond))
        }
    };
    if let Some(id) = last.id {
        sql = format!("SELECT v.id FROM ({sql}) v(id) WHERE v.id = {}::bigint", cond.bind(id));
    }
    sql
}

fn bad(detail: impl Into<String>) -> Invalid {
    Invalid::field("path", detail)
}

/// `Things(12)` → (`Things`, 12); `Things` → (`Things`, None).
fn segment(text: &str) -> Result<(&str, Option<i64>), Invalid> {
    match text.find('(') {
        None => Ok((text, None)),
        Some(i) if text.ends_with(')') => {
            let inner = &text[i + 1..text.len() - 1];
            let id = inner.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
                bad(format!("`{inner}` is not an id: ids here are whole numbers, as in {}(1)", &text[..i]))
            })?;
            Ok((&text[..i], Some(id)))
        }
        Some(_) => Err(bad(format!("`{text}` opens a bracket it does not close"))),
    }
}

/// Reads a path after the service root (no leading slash).
pub fn parse(path: &str) -> Result<Resource, Invalid> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.len() > 8 {
        return Err(bad("is longer than 8 steps"));
    }
    let (first, rest) = parts.split_first().ok_or_else(|| bad("names no entity set"))?;
    let (name, id) = segment(first)?;
    let set = Set::named(name).ok_or_else(|| {
        bad(format!("`{name}` is not an entity set; the sets are {}", super::model::SETS.map(Set::name).join(", ")))
    })?;
    let mut steps = vec![Step { set, via: None, id }];
    let mut property = None;
    for (i, part) in rest.iter().enumerate() {
        let current = steps.last().expect("a step").clone();
        if property.is_some() {
            if *part == "$value" && i == rest.len() - 1 {
                property = property.map(|(p, _)| (p, true));
                continue;
            }
            return Err(bad(format!("`{part}` follows a property: only /$value may")));
        }
        if current.id.is_none() && !matches!(current.via, Some(Link::ToOne(_))) {
            return Err(bad(format!(
                "`{part}` follows a collection: name one entity first, as {}(1)",
                current.set.name()
            )));
        }
        let (name, id) = segment(part)?;
        if let Some(nav) = current.set.nav(name) {
            if id.is_some() && matches!(nav.link, Link::ToOne(_)) {
                return Err(bad(format!("{name} is one entity: it takes no id")));
            }
            steps.push(Step { set: nav.target, via: Some(nav.link), id });
        } else if let Some(prop) = current.set.prop(name).filter(|_| id.is_none()) {
            property = Some((prop.name, false));
        } else if name == "id" && id.is_none() {
            property = Some(("id", false));
        } else {
            return Err(bad(format!("{} has no `{name}`; it has {}", current.set.name(), current.set.known())));
        }
    }
    Ok(Resource { steps, property })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_sets_entities_and_properties() {
        let r = parse("Things(3)/Datastreams").unwrap();
        assert_eq!(r.set(), Set::Datastreams);
        assert!(!r.single());
        let mut cond = Condition::default();
        assert_eq!(
            r.ids(&mut cond),
            "SELECT id FROM sta_datastream WHERE thing_id IN (SELECT v.id FROM (SELECT id FROM sta_thing) v(id) WHERE v.id = $1::bigint)"
        );
        let r = parse("Datastreams(4)/Thing/name/$value").unwrap();
        assert!(r.single());
        assert_eq!(r.property, Some(("name", true)));
        for (path, says) in [
            ("Things/Datastreams", "follows a collection"),
            ("Things(x)", "not an id"),
            ("Things(0)", "not an id"),
            ("Nothing", "not an entity set"),
            ("Things(1)/Sensor", "has no `Sensor`"),
            ("Datastreams(1)/Thing(2)", "takes no id"),
            ("Things(1)/name/x", "follows a property"),
            ("", "names no entity set"),
        ] {
            let err = parse(path).unwrap_err();
            assert!(err.detail.contains(says), "{path}: {err}");
        }
    }
}
