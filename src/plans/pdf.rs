//! What a plan document must be: a PDF that parses (by lopdf, not by its name or its declared
//! type), has pages, is not encrypted (the bureau must be able to read and keep it), and carries
//! no JavaScript and no launch action (a filed document is opened on the bureau's machines).

use lopdf::{Document, LoadOptions, Object};

/// Largest stream a document may inflate to while it is read (a decompression bomb stops here).
const MAX_INFLATED: usize = 64 * 1024 * 1024;
/// Deepest nesting of arrays and dictionaries walked.
const MAX_DEPTH: usize = 64;

/// Why a file is not accepted as a plan document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unfit {
    /// Not a PDF, or one that does not parse.
    #[error("not a readable PDF: {0}")]
    NotPdf(String),
    /// Encrypted (a password or permissions): the bureau could not read or keep it freely.
    #[error("the PDF is encrypted; file it without a password or restrictions")]
    Encrypted,
    /// Carries JavaScript or an action that starts a program.
    #[error("the PDF carries {0}; documents with scripts or launch actions are refused")]
    Active(&'static str),
    /// Has no page.
    #[error("the PDF has no page")]
    NoPages,
}

/// A checked PDF: how many pages it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// Its pages.
    pub pages: u32,
}

/// Checks `bytes` as a plan document.
pub fn check(bytes: &[u8]) -> Result<Checked, Unfit> {
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(Unfit::NotPdf("it does not begin with %PDF-".into()));
    }
    let options = LoadOptions { max_decompressed_size: Some(MAX_INFLATED), ..Default::default() };
    let document = match Document::load_mem_with_options(bytes, options) {
        Ok(d) => d,
        Err(e) => {
            // An encrypted file whose password is not empty does not load at all.
            let encrypted = bytes.windows(8).any(|w| w == b"/Encrypt");
            return Err(if encrypted { Unfit::Encrypted } else { Unfit::NotPdf(e.to_string()) });
        }
    };
    if document.trailer.has(b"Encrypt") || document.was_encrypted() {
        return Err(Unfit::Encrypted);
    }
    active(&Object::Dictionary(document.trailer.clone()), 0)?;
    for object in document.objects.values() {
        active(object, 0)?;
    }
    let pages = document.get_pages().len() as u32;
    if pages == 0 {
        return Err(Unfit::NoPages);
    }
    Ok(Checked { pages })
}

/// Refuses an object that is or holds a script or a launch action.
fn active(object: &Object, depth: usize) -> Result<(), Unfit> {
    if depth > MAX_DEPTH {
        return Err(Unfit::NotPdf("its objects nest too deeply".into()));
    }
    let dictionary = match object {
        Object::Dictionary(d) => d,
        Object::Stream(s) => &s.dict,
        Object::Array(items) => return items.iter().try_for_each(|o| active(o, depth + 1)),
        _ => return Ok(()),
    };
    if dictionary.has(b"JS") || dictionary.has(b"JavaScript") {
        return Err(Unfit::Active("JavaScript"));
    }
    match dictionary.get(b"S").ok().and_then(|s| s.as_name().ok()) {
        Some(b"JavaScript") => return Err(Unfit::Active("JavaScript")),
        Some(b"Launch") => return Err(Unfit::Active("a launch action")),
        _ => {}
    }
    dictionary.iter().try_for_each(|(_, value)| active(value, depth + 1))
}

/// A one-page PDF saying `line` (ASCII, in Helvetica): the stand-in for a document the demo's
/// illustrative plans file, made here rather than kept as a binary in the repository.
pub fn placeholder(line: &str) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages = doc.new_object_id();
    let font = doc.add_object(dictionary! {"Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica"});
    let text: String = line.chars().filter(|c| c.is_ascii() && !c.is_ascii_control()).collect();
    let content = Content {
        operations: vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 14.into()]),
            Operation::new("Td", vec![60.into(), 760.into()]),
            Operation::new("Tj", vec![Object::string_literal(text)]),
            Operation::new("ET", vec![]),
        ],
    };
    let contents = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap_or_default()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "Contents" => contents,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! {"Font" => dictionary! {"F1" => font}},
    });
    doc.objects
        .insert(pages, Object::Dictionary(dictionary! {"Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1}));
    let catalog = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages});
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("writing to memory does not fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_placeholder_is_a_pdf_it_accepts() {
        assert_eq!(check(&placeholder("onemap demo: risk assessment")), Ok(Checked { pages: 1 }));
    }

    #[test]
    fn other_files_are_not_pdfs() {
        assert!(matches!(check(b"\x89PNG\r\n\x1a\n"), Err(Unfit::NotPdf(_))));
        assert!(matches!(check(b"%PDF-1.4\nnot really"), Err(Unfit::NotPdf(_))));
        assert!(matches!(check(b""), Err(Unfit::NotPdf(_))));
    }
}
