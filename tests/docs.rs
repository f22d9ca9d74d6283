//! The README is a front door and the manual a book: the README stays short and starts with the
//! two commands, every chapter is in the book's summary, and no link in either is broken (a
//! file that is not there, or a `#heading` the file does not have).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn chapters() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(root().join("docs/src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    all.sort();
    all
}

/// The link targets of a Markdown text (code blocks and code spans are not links).
fn links(text: &str) -> Vec<String> {
    Parser::new(text)
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => Some(dest_url.to_string()),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown text's headings, as GitHub and mdBook make them: lower case,
/// spaces to hyphens, punctuation dropped (letters of any script kept).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut heading: Option<String> = None;
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let h = heading.take().unwrap_or_default();
                let slug: String = h
                    .trim()
                    .to_lowercase()
                    .chars()
                    .filter_map(|c| match c {
                        ' ' => Some('-'),
                        '-' | '_' => Some(c),
                        c if c.is_alphanumeric() => Some(c),
                        _ => None,
                    })
                    .collect();
                found.insert(slug);
            }
            _ => {}
        }
    }
    found
}

/// The broken links of the Markdown file `file`.
fn broken(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let dir = file.parent().unwrap();
    let mut wrong = Vec::new();
    for link in links(&text) {
        if link.starts_with("http://") || link.starts_with("https://") || link.starts_with("mailto:") {
            continue;
        }
        let (path, anchor) = link.split_once('#').map_or((link.as_str(), None), |(p, a)| (p, Some(a)));
        let target = if path.is_empty() { file.to_path_buf() } else { dir.join(path) };
        if !target.exists() {
            wrong.push(format!("{}: {link}: no such file", file.display()));
            continue;
        }
        if let Some(anchor) = anchor {
            let heads = anchors(&std::fs::read_to_string(&target).unwrap());
            if !heads.contains(anchor) {
                wrong.push(format!("{}: {link}: no such heading (has {heads:?})", file.display()));
            }
        }
    }
    wrong
}

#[test]
fn the_readme_is_a_front_door() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines < 200, "README.md has {lines} lines: move the detail into a chapter of docs/src");
    // The two commands come first: the first code block holds them.
    let first = readme.split("```").nth(1).expect("a code block");
    assert!(first.contains("scripts/demo") && first.contains("scripts/test"), "the first block: {first}");
    // The first heading after the title is not before the commands.
    let commands = readme.find("scripts/demo").unwrap();
    assert!(readme.find("\n## ").is_none_or(|h| h > commands), "the two commands open the README");
}

#[test]
fn every_chapter_is_in_the_summary_and_every_entry_is_a_chapter() {
    let summary = std::fs::read_to_string(root().join("docs/src/SUMMARY.md")).unwrap();
    let listed: BTreeSet<String> = links(&summary).into_iter().collect();
    let files: BTreeSet<String> = chapters()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|name| name != "SUMMARY.md")
        .collect();
    let missing: Vec<_> = files.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&files).collect();
    assert!(missing.is_empty(), "chapters not in docs/src/SUMMARY.md: {missing:?}");
    assert!(extra.is_empty(), "SUMMARY.md lists files that are not there: {extra:?}");
}

#[test]
fn no_link_is_broken() {
    let mut wrong = broken(&root().join("README.md"));
    for chapter in chapters() {
        wrong.extend(broken(&chapter));
    }
    assert!(wrong.is_empty(), "broken links:\n{}", wrong.join("\n"));
}

#[test]
fn the_link_check_finds_what_is_broken() {
    // The checker itself: a made-up file with one good and two broken links.
    let dir = std::env::temp_dir().join(format!("onemap-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("b.md"), "# Nearest supplies (最近物资)\n\ntext\n").unwrap();
    let a = dir.join("a.md");
    std::fs::write(
        &a,
        "# A\n\n[good](b.md#nearest-supplies-最近物资) [no file](c.md) [no heading](b.md#teams) \
         `[in code](d.md)`\n\n```\n[in a block](e.md)\n```\n",
    )
    .unwrap();
    let wrong = broken(&a);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(wrong.len(), 2, "{wrong:?}");
    assert!(wrong[0].contains("c.md: no such file") && wrong[1].contains("b.md#teams: no such heading"), "{wrong:?}");
}
