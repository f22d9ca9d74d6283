//! The query options of a request (`$filter`, `$expand`, `$select`, `$orderby`, `$top`,
//! `$skip`, `$count`), read and bounded before any work: expansions nest at most
//! [`MAX_EXPAND_DEPTH`] deep and [`MAX_EXPANDS`] in all, pages hold at most [`MAX_TOP`].

use super::filter::{self, Expr};
use crate::error::Invalid;

/// Entities a page holds when `$top` is not given.
pub const DEFAULT_TOP: usize = 100;
/// Most entities a page (or an expanded collection) holds.
pub const MAX_TOP: usize = 10_000;
/// Furthest `$skip` (deeper pages: narrow the filter instead).
pub const MAX_SKIP: usize = 10_000_000;
/// Deepest nesting of `$expand`.
pub const MAX_EXPAND_DEPTH: usize = 4;
/// Most expansions in one request.
pub const MAX_EXPANDS: usize = 20;
/// Most expressions of one `$orderby`.
pub const MAX_ORDER: usize = 10;

/// The options of one level (the request, or one expansion).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `$filter`.
    pub filter: Option<Expr>,
    /// `$select`: the names asked for (None: all).
    pub select: Option<Vec<String>>,
    /// `$orderby`: expressions, each descending or not.
    pub orderby: Vec<(Expr, bool)>,
    /// `$top`.
    pub top: Option<usize>,
    /// `$skip`.
    pub skip: usize,
    /// `$count`.
    pub count: bool,
    /// `$expand`.
    pub expand: Vec<Expand>,
}

/// One expansion: a navigation property and its own options.
#[derive(Debug, Clone)]
pub struct Expand {
    /// The navigation property.
    pub nav: String,
    /// Its options.
    pub options: Options,
}

impl Options {
    /// The page size.
    pub fn top(&self) -> usize {
        self.top.unwrap_or(DEFAULT_TOP)
    }
}

/// Splits `text` at `sep` outside brackets and quotes.
fn split(text: &str, sep: char) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth < 0 {
                    return Err("has a closing bracket without an opening one".into());
                }
            }
            c if c == sep && !quoted && depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if depth != 0 || quoted {
        return Err("has a bracket or a quote that is not closed".into());
    }
    parts.push(current);
    Ok(parts.into_iter().map(|p| p.trim().to_string()).collect())
}

/// Reads the options of a query string's pairs (names with their `$`).
pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Options, Invalid> {
    let mut expands = 0;
    let mut options = Options::default();
    for (name, value) in pairs {
        set(&mut options, name, value, 0, &mut expands)?;
    }
    Ok(options)
}

fn set(options: &mut Options, name: &str, value: &str, depth: usize, expands: &mut usize) -> Result<(), Invalid> {
    let field = |detail: String| Invalid::field(name.to_string(), detail);
    let number = |max: usize| -> Result<usize, Invalid> {
        value
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| field(format!("`{value}` is not a whole number from 0 to {max}")))
    };
    match name {
        "$filter" => options.filter = Some(filter::parse(value)?),
        "$top" => options.top = Some(number(MAX_TOP)?),
        "$skip" => options.skip = number(MAX_SKIP)?,
        "$count" => {
            options.count = match value.trim() {
                "true" => true,
                "false" => false,
                other => return Err(field(format!("`{other}` is neither true nor false"))),
            }
        }
        "$select" => {
            let names: Vec<String> = split(value, ',').map_err(field)?;
            if names.iter().any(String::is_empty) {
                return Err(field("names a property between commas: one is empty".into()));
            }
            options.select = Some(names);
        }
        "$orderby" => {
            let parts = split(value, ',').map_err(field)?;
            if parts.len() > MAX_ORDER {
                return Err(field(format!("orders by at most {MAX_ORDER} expressions")));
            }
            for part in parts {
                let lower = part.to_lowercase();
                let (text, desc) = if let Some(p) = lower.strip_suffix(" desc") {
                    (&part[..p.len()], true)
                } else if let Some(p) = lower.strip_suffix(" asc") {
                    (&part[..p.len()], false)
                } else {
                    (part.as_str(), false)
                };
                options.orderby.push((filter::expression(text, "$orderby")?, desc));
            }
        }
        "$expand" => {
            for part in split(value, ',').map_err(field)? {
                expand(options, &part, depth, expands)?;
            }
        }
        "$resultFormat" if value == "default" => {}
        other if other.starts_with('$') => {
            return Err(field(format!(
                "`{other}` is not a query option here ($filter, $expand, $select, $orderby, $top, $skip, $count)"
            )));
        }
        // Other parameters (a cache buster) are not the service's concern.
        _ => {}
    }
    Ok(())
}

/// One member of `$expand`: `Nav`, `Nav/Nav2` or `Nav($option=…;…)`.
fn expand(options: &mut Options, part: &str, depth: usize, expands: &mut usize) -> Result<(), Invalid> {
    let field = |detail: String| Invalid::field("$expand", detail);
    if depth >= MAX_EXPAND_DEPTH {
        return Err(field(format!("nests deeper than {MAX_EXPAND_DEPTH} levels")));
    }
    *expands += 1;
    if *expands > MAX_EXPANDS {
        return Err(field(format!("expands more than {MAX_EXPANDS} navigation properties")));
    }
    let (head, inner) = match part.find('(') {
        Some(i) if part.ends_with(')') => (&part[..i], Some(&part[i + 1..part.len() - 1])),
        Some(_) => return Err(field(format!("`{part}`: its options end with `)`"))),
        None => (part, None),
    };
    let (nav, rest) = match head.split_once('/') {
        Some((nav, rest)) => (nav, Some(rest)),
        None => (head, None),
    };
    if nav.is_empty() || !nav.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(field(format!("`{head}` is not a navigation property")));
    }
    let mut own = options.expand.iter().position(|e| e.nav == nav).map(|i| options.expand.remove(i));
    let mut child = own.take().map(|e| e.options).unwrap_or_default();
    match rest {
        // `Datastreams/Observations($top=1)`: the options belong to the last one.
        Some(rest) => {
            let tail = match inner {
                Some(inner) => format!("{rest}({inner})"),
                None => rest.to_string(),
            };
            expand(&mut child, &tail, depth + 1, expands)?;
        }
        None => {
            if let Some(inner) = inner {
                for option in split(inner, ';').map_err(field)? {
                    let (name, value) =
                        option.split_once('=').ok_or_else(|| field(format!("`{option}` is not `$option=value`")))?;
                    set(&mut child, name.trim(), value, depth + 1, expands)?;
                }
            }
        }
    }
    options.expand.push(Expand { nav: nav.to_string(), options: child });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansions_nest_with_their_options() {
        let o = parse([
            ("$expand", "Datastreams($filter=name eq 'a;b';$top=2;$expand=Observations($orderby=phenomenonTime desc)),Locations"),
            ("$top", "5"),
            ("$count", "true"),
        ])
        .unwrap();
        assert_eq!(o.top(), 5);
        assert!(o.count);
        assert_eq!(o.expand.len(), 2);
        let ds = &o.expand[0];
        assert_eq!(ds.nav, "Datastreams");
        assert_eq!(ds.options.top, Some(2));
        assert!(ds.options.filter.is_some());
        assert_eq!(ds.options.expand[0].nav, "Observations");
        assert!(ds.options.expand[0].options.orderby[0].1);
        let o = parse([("$expand", "Datastreams/Observations($top=1),Datastreams/Sensor")]).unwrap();
        assert_eq!(o.expand.len(), 1);
        let names: Vec<&str> = o.expand[0].options.expand.iter().map(|e| e.nav.as_str()).collect();
        assert_eq!(names, ["Observations", "Sensor"]);
        assert_eq!(o.expand[0].options.expand[0].options.top, Some(1));
    }

    #[test]
    fn bad_options_are_refused_with_their_name() {
        for (name, value, says) in [
            ("$top", "-1", "whole number"),
            ("$top", "100000", "whole number"),
            ("$count", "yes", "neither"),
            ("$select", "name,,id", "empty"),
            ("$expand", "Datastreams($top=1", "not closed"),
            ("$expand", "Datastreams($top)", "$option=value"),
            ("$expand", "A/B/C/D/E", "deeper"),
            ("$format", "json", "not a query option"),
            ("$orderby", "name sideways", "has more after"),
            ("$orderby", "id,id,id,id,id,id,id,id,id,id,id", "at most 10"),
        ] {
            let err = parse([(name, value)]).unwrap_err();
            assert!(err.detail.contains(says), "{name}={value}: {err}");
        }
        let many = vec!["Things"; 30].join(",");
        assert!(parse([("$expand", many.as_str())]).unwrap_err().detail.contains("more than"));
    }
}
