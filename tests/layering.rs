//! The shape of the crate (`../shared/docs/architecture.md`, principle 10): shared pieces at
//! the bottom, each area importing only from areas below it, and no circle between the files
//! of an area. Reads `src/` as text: a new upward import or circle fails here, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules, lowest first; a module may import only from a lower row.
const LEVELS: &[&[&str]] = &[
    &["codes", "hash", "random", "text", "work"],
    &["error"],
    &["geodesy", "standards", "time"],
    &["viewer"],
    &["db"],
    &["auth"],
    &["layers"],
    &["feed"],
    &["sensing"],
    &["snapshot"],
    &["tiles"],
    &["routing"],
    &["air", "dispatch", "risk"],
    &["warning"],
    &["attachments", "duty", "plans"],
    &["response"],
    &["monitoring"],
    &["exchange"],
    &["api"],
    &["cli"],
];

/// A source file and the module path it defines (`src/api/ogc/items.rs` → api::ogc::items).
struct Source {
    module: Vec<String>,
    text: String,
}

fn sources() -> Vec<Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(&src).unwrap().with_extension("");
            let mut module: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if module.last().is_some_and(|m| m == "mod") {
                module.pop();
            }
            if module == ["lib"] || module == ["main"] {
                return None;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests and comments (doc links name modules too) are not the module's imports.
            let code = text.split("#[cfg(test)]").next().unwrap();
            let text = code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
            Some(Source { module, text })
        })
        .collect()
}

/// The module paths a file names: `crate::a::b`, `super::x`, `self::y`, and grouped
/// `crate::{a, b::c}`, resolved against the file's own module.
fn references(source: &Source) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let text = &source.text;
    for (start, _) in
        text.match_indices("crate::").chain(text.match_indices("super::")).chain(text.match_indices("self::"))
    {
        if start > 0 && text[..start].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &text[start..];
        let mut base: Vec<String> = if rest.starts_with("crate::") {
            Vec::new()
        } else if rest.starts_with("self::") {
            source.module.clone()
        } else {
            source.module[..source.module.len() - 1].to_vec()
        };
        let mut path = &rest[rest.find("::").unwrap() + 2..];
        while let Some(after) = path.strip_prefix("super::") {
            base.pop();
            path = after;
        }
        let mut groups = vec![path.to_string()];
        if let Some(inner) = path.strip_prefix('{') {
            let inner = &inner[..inner.find('}').unwrap_or(inner.len())];
            groups = inner.split(',').map(|p| p.trim().to_string()).collect();
        }
        for group in groups {
            let mut full = base.clone();
            full.extend(
                group
                    .split("::")
                    .map(|seg| seg.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
                    .take_while(|seg| !seg.is_empty() && seg.starts_with(|c: char| c.is_lowercase())),
            );
            if !full.is_empty() {
                found.insert(full);
            }
        }
    }
    found
}

fn level(module: &str) -> Option<usize> {
    LEVELS.iter().position(|row| row.contains(&module))
}

#[test]
fn nothing_imports_upward() {
    let sources = sources();
    let mut wrong = Vec::new();
    for source in &sources {
        let top = &source.module[0];
        let Some(own) = level(top) else {
            wrong.push(format!("src/{top}: not placed in LEVELS (tests/layering.rs): put it where it belongs"));
            continue;
        };
        for reference in references(source) {
            let target = &reference[0];
            if target == top {
                continue;
            }
            match level(target) {
                Some(l) if l < own => {}
                Some(_) => wrong.push(format!(
                    "{} imports {} (upward or sideways)",
                    source.module.join("::"),
                    reference.join("::")
                )),
                None => {} // a crate-root item (lib.rs) or a name that is no module
            }
        }
    }
    assert!(wrong.is_empty(), "the layering is broken:\n{}", wrong.join("\n"));
}

#[test]
fn no_circles_between_files() {
    let sources = sources();
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    // The module file a path lands in: its longest known prefix.
    let file_of = |path: &[String]| (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p));
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for source in &sources {
        for reference in references(source) {
            let Some(target) = file_of(&reference) else { continue };
            // A parent and its children share names by design (`mod.rs` re-exports, `super::Error`).
            if target.starts_with(&source.module) || source.module.starts_with(&target) {
                continue;
            }
            edges.entry(source.module.clone()).or_default().insert(target);
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, bool>,
        stack: &mut Vec<Vec<String>>,
        circles: &mut Vec<String>,
    ) {
        state.insert(node.clone(), false);
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next) {
                None => visit(next, edges, state, stack, circles),
                Some(false) => {
                    let from = stack.iter().position(|n| n == next).unwrap();
                    let names: Vec<String> = stack[from..].iter().chain([next]).map(|n| n.join("::")).collect();
                    circles.push(names.join(" → "));
                }
                Some(true) => {}
            }
        }
        stack.pop();
        state.insert(node.clone(), true);
    }
    let mut state = BTreeMap::new();
    let mut circles = Vec::new();
    for node in edges.keys() {
        if !state.contains_key(node) {
            visit(node, &edges, &mut state, &mut Vec::new(), &mut circles);
        }
    }
    assert!(circles.is_empty(), "modules import each other in a circle:\n{}", circles.join("\n"));
}

#[test]
fn the_check_sees_an_upward_import() {
    // The checker itself: a domain file naming the HTTP edge is caught.
    let source = Source {
        module: vec!["layers".into(), "store".into()],
        text: "use crate::api::problem::Problem;\nuse super::{spec::Layer, validate};".into(),
    };
    let found = references(&source);
    let path = |p: &str| p.split("::").map(str::to_string).collect::<Vec<_>>();
    assert!(found.contains(&path("api::problem")), "{found:?}");
    assert!(found.contains(&path("layers::spec")) && found.contains(&path("layers::validate")), "{found:?}");
    assert!(level("api") > level("layers"));
}
