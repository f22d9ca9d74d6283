//! Text policy, for every free-text field and every document written: control characters are
//! refused at the edge (line breaks and tabs only in long text), and whatever reached the
//! database some other way is cleaned before it goes into XML, whose 1.0 grammar forbids them.

use std::borrow::Cow;

/// The first control character of `text` that a field may not hold, with its position in
/// characters: any in a one-line field (`long` false), any but line breaks and tabs in long text.
pub fn forbidden_control(text: &str, long: bool) -> Option<(usize, char)> {
    text.chars().enumerate().find(|(_, c)| {
        let allowed = long && matches!(c, '\n' | '\r' | '\t');
        !allowed && (c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}'))
    })
}

/// What a refusal says of a control character: its position and code point.
pub fn describe_control((at, c): (usize, char)) -> String {
    format!("holds a control character (U+{:04X}) at character {at}; only printable text is accepted", c as u32)
}

/// A request's text field, trimmed; refused (with why) when longer than `max` characters or holding
/// a control character (line breaks and tabs allowed in `long` text).
pub fn field(value: Option<String>, max: usize, long: bool) -> Result<Option<String>, String> {
    let Some(s) = value else { return Ok(None) };
    if s.chars().count() > max {
        return Err(format!("is longer than {max} characters"));
    }
    match forbidden_control(&s, long) {
        Some(found) => Err(describe_control(found)),
        None => Ok(Some(s.trim().to_string())),
    }
}

/// `text` with the characters XML 1.0 cannot carry left out (controls but tab, line feed and
/// carriage return; U+FFFE, U+FFFF).
pub fn xml_safe(text: &str) -> Cow<'_, str> {
    let bad = |c: char| (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}');
    if text.chars().any(bad) { Cow::Owned(text.chars().filter(|c| !bad(*c)).collect()) } else { Cow::Borrowed(text) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_found_where_a_field_may_not_hold_them() {
        assert_eq!(forbidden_control("氯气泄漏", false), None);
        assert_eq!(forbidden_control("a\tb", false), Some((1, '\t')));
        assert_eq!(forbidden_control("第一行\n第二行\t完", true), None);
        assert_eq!(forbidden_control("a\u{0}b", true), Some((1, '\u{0}')));
        assert_eq!(forbidden_control("ab\u{1b}[31m", true), Some((2, '\u{1b}')));
        assert_eq!(forbidden_control("x\u{85}", true), Some((1, '\u{85}')));
        assert_eq!(forbidden_control("x\u{2028}", true), Some((1, '\u{2028}')));
    }

    #[test]
    fn xml_safe_text_keeps_what_xml_can_carry() {
        assert_eq!(xml_safe("a\u{1}b\u{8}c\n\td"), "abc\n\td");
        assert!(matches!(xml_safe("平常的文字"), Cow::Borrowed(_)));
    }
}
