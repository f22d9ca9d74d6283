//! `$filter` of SensorThings API 1.1 (the OData subset its section 9.3.3.5 lists): comparison,
//! logical and arithmetic operators, brackets, the string, date, math and spatial functions,
//! and literals (text in quotes, numbers, `true`/`false`/`null`, ISO 8601 times unquoted,
//! `geography'POINT(…)'`). Parsed into a tree here; turned into SQL in [`super::sql`]. Bounded
//! before work: length, nesting and the number of nodes.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::Invalid;

/// Longest `$filter` read, in characters.
pub const MAX_CHARS: usize = 20_000;
/// Deepest nesting (brackets, `not`, calls).
pub const MAX_DEPTH: usize = 64;
/// Most nodes in one filter.
const MAX_NODES: usize = 2_000;

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
    /// `and`
    And,
    /// `or`
    Or,
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `mul`
    Mul,
    /// `div`
    Div,
    /// `mod`
    Mod,
}

impl Op {
    fn named(word: &str) -> Option<Op> {
        Some(match word {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            "and" => Op::And,
            "or" => Op::Or,
            "add" => Op::Add,
            "sub" => Op::Sub,
            "mul" => Op::Mul,
            "div" => Op::Div,
            "mod" => Op::Mod,
            _ => return None,
        })
    }

    /// Whether it compares two values.
    pub fn compares(self) -> bool {
        matches!(self, Op::Eq | Op::Ne | Op::Gt | Op::Ge | Op::Lt | Op::Le)
    }
}

/// A filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A property, possibly through navigation properties (`Datastream/Thing/name`) or into a
    /// JSON property (`properties/owner`).
    Path(Vec<String>),
    /// Text in quotes.
    Text(String),
    /// A number.
    Number(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An ISO 8601 time (a date alone is its midnight UTC).
    Time(DateTime<Utc>),
    /// A geometry literal, as WKT.
    Geometry(String),
    /// `not x`.
    Not(Box<Expr>),
    /// `-x`.
    Negate(Box<Expr>),
    /// `x op y`.
    Binary(Op, Box<Expr>, Box<Expr>),
    /// A function call.
    Call(String, Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Comma,
    Minus,
    Word(String),
    Text(String),
    Number(f64),
    Time(DateTime<Utc>),
    Geometry(String),
}

fn bad(detail: impl Into<String>) -> Invalid {
    Invalid::field("$filter", detail)
}

/// Reads an ISO 8601 time or date (`2026-12-07T08:00:00Z`, `2026-12-07T08:00:00+08:00`, `2026-12-07`).
pub fn time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.to_utc());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

fn tokens(text: &str) -> Result<Vec<Token>, Invalid> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let quoted = |start: usize| -> Result<(String, usize), Invalid> {
        // `start` is the opening quote; a quote inside is written twice.
        let mut s = String::new();
        let mut j = start + 1;
        loop {
            match chars.get(j) {
                None => return Err(bad(format!("the text starting at character {start} has no closing quote"))),
                Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                    s.push('\'');
                    j += 2;
                }
                Some('\'') => return Ok((s, j + 1)),
                Some(c) => {
                    s.push(*c);
                    j += 1;
                }
            }
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '\'' => {
                let (s, next) = quoted(i)?;
                out.push(Token::Text(s));
                i = next;
            }
            '-' if !chars.get(i + 1).is_some_and(char::is_ascii_digit) => {
                out.push(Token::Minus);
                i += 1;
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                let is_time = chars.len() >= i + 10
                    && chars[i..i + 4].iter().all(char::is_ascii_digit)
                    && chars[i + 4] == '-'
                    && chars[i + 7] == '-';
                if is_time {
                    while i < chars.len() && (chars[i].is_ascii_alphanumeric() || ":.-+".contains(chars[i])) {
                        i += 1;
                    }
                    let word: String = chars[start..i].iter().collect();
                    let t = time(&word).ok_or_else(|| bad(format!("`{word}` is not an ISO 8601 time")))?;
                    out.push(Token::Time(t));
                } else {
                    i += 1;
                    while i < chars.len()
                        && (chars[i].is_ascii_digit()
                            || chars[i] == '.'
                            || chars[i] == 'e'
                            || chars[i] == 'E'
                            || ((chars[i] == '-' || chars[i] == '+') && matches!(chars[i - 1], 'e' | 'E')))
                    {
                        i += 1;
                    }
                    let word: String = chars[start..i].iter().collect();
                    let n: f64 = word
                        .parse()
                        .ok()
                        .filter(|n: &f64| n.is_finite())
                        .ok_or_else(|| bad(format!("`{word}` at character {start} is not a number")))?;
                    out.push(Token::Number(n));
                }
            }
            c if c.is_alphabetic() || c == '_' || c == '@' || c == '$' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || "_@$./".contains(chars[i])) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if (word == "geography" || word == "geometry") && chars.get(i) == Some(&'\'') {
                    let (wkt, next) = quoted(i)?;
                    out.push(Token::Geometry(wkt));
                    i = next;
                } else {
                    out.push(Token::Word(word));
                }
            }
            other => return Err(bad(format!("`{other}` at character {i} is not part of a filter"))),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
    nodes: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn peek_op(&self) -> Option<Op> {
        match self.peek() {
            Some(Token::Word(w)) => Op::named(w),
            _ => None,
        }
    }

    fn node(&mut self, e: Expr) -> Result<Expr, Invalid> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(bad(format!("has more than {MAX_NODES} terms")));
        }
        Ok(e)
    }

    fn deeper(&mut self) -> Result<(), Invalid> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(bad(format!("nests deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn binary(&mut self, ops: &[Op], next: fn(&mut Parser) -> Result<Expr, Invalid>) -> Result<Expr, Invalid> {
        let mut left = next(self)?;
        while let Some(op) = self.peek_op().filter(|op| ops.contains(op)) {
            self.at += 1;
            let right = next(self)?;
            left = self.node(Expr::Binary(op, Box::new(left), Box::new(right)))?;
        }
        Ok(left)
    }

    fn or(&mut self) -> Result<Expr, Invalid> {
        self.binary(&[Op::Or], Parser::and)
    }

    fn and(&mut self) -> Result<Expr, Invalid> {
        self.binary(&[Op::And], Parser::not)
    }

    fn not(&mut self) -> Result<Expr, Invalid> {
        if matches!(self.peek(), Some(Token::Word(w)) if w == "not") {
            self.at += 1;
            self.deeper()?;
            let inner = self.not()?;
            self.depth -= 1;
            return self.node(Expr::Not(Box::new(inner)));
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Expr, Invalid> {
        let left = self.add()?;
        match self.peek_op().filter(|op| op.compares()) {
            Some(op) => {
                self.at += 1;
                let right = self.add()?;
                if self.peek_op().is_some_and(Op::compares) {
                    return Err(bad("comparisons do not chain: join them with and"));
                }
                self.node(Expr::Binary(op, Box::new(left), Box::new(right)))
            }
            None => Ok(left),
        }
    }

    fn add(&mut self) -> Result<Expr, Invalid> {
        self.binary(&[Op::Add, Op::Sub], Parser::mul)
    }

    fn mul(&mut self) -> Result<Expr, Invalid> {
        self.binary(&[Op::Mul, Op::Div, Op::Mod], Parser::unary)
    }

    fn unary(&mut self) -> Result<Expr, Invalid> {
        if self.peek() == Some(&Token::Minus) {
            self.at += 1;
            self.deeper()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return self.node(Expr::Negate(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, Invalid> {
        let token = self.next().ok_or_else(|| bad("ends where a value was expected"))?;
        let e = match token {
            Token::Open => {
                self.deeper()?;
                let inner = self.or()?;
                self.depth -= 1;
                if self.next() != Some(Token::Close) {
                    return Err(bad("a bracket is not closed"));
                }
                inner
            }
            Token::Text(s) => Expr::Text(s),
            Token::Number(n) => Expr::Number(n),
            Token::Time(t) => Expr::Time(t),
            Token::Geometry(g) => Expr::Geometry(g),
            Token::Word(w) if self.peek() == Some(&Token::Open) => {
                self.at += 1;
                self.deeper()?;
                let mut args = Vec::new();
                if self.peek() == Some(&Token::Close) {
                    self.at += 1;
                } else {
                    loop {
                        args.push(self.or()?);
                        match self.next() {
                            Some(Token::Comma) => {}
                            Some(Token::Close) => break,
                            _ => return Err(bad(format!("the arguments of {w}( are not closed"))),
                        }
                    }
                }
                self.depth -= 1;
                Expr::Call(w.to_lowercase(), args)
            }
            Token::Word(w) => match w.as_str() {
                "true" => Expr::Bool(true),
                "false" => Expr::Bool(false),
                "null" => Expr::Null,
                _ if Op::named(&w).is_some() || w == "not" => {
                    return Err(bad(format!("`{w}` stands where a value was expected")));
                }
                _ => {
                    let segments: Vec<String> = w.split('/').map(str::to_string).collect();
                    if segments.iter().any(String::is_empty) {
                        return Err(bad(format!("`{w}` is not a property path")));
                    }
                    Expr::Path(segments)
                }
            },
            Token::Close | Token::Comma | Token::Minus => {
                return Err(bad(format!("a value was expected at term {}", self.at)));
            }
        };
        self.node(e)
    }
}

/// Parses a `$filter`; the error says where it goes wrong.
pub fn parse(text: &str) -> Result<Expr, Invalid> {
    if text.chars().count() > MAX_CHARS {
        return Err(bad(format!("is longer than {MAX_CHARS} characters")));
    }
    let tokens = tokens(text)?;
    if tokens.is_empty() {
        return Err(bad("is empty"));
    }
    let mut parser = Parser { tokens, at: 0, depth: 0, nodes: 0 };
    let e = parser.or()?;
    if parser.at < parser.tokens.len() {
        return Err(bad(format!("has more after term {}: an operator (eq, and, add …) was expected", parser.at)));
    }
    Ok(e)
}

/// Parses one expression of `$orderby` or a function's argument (no trailing text).
pub fn expression(text: &str, field: &str) -> Result<Expr, Invalid> {
    parse(text).map_err(|e| Invalid::field(field, e.detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Box<Expr> {
        Box::new(Expr::Path(p.split('/').map(str::to_string).collect()))
    }

    #[test]
    fn precedence_is_or_and_not_compare_add_mul() {
        let e = parse("result add 2 mul 3 gt 5 and not name eq 'a''b' or id eq 1").unwrap();
        let expected = Expr::Binary(
            Op::Or,
            Box::new(Expr::Binary(
                Op::And,
                Box::new(Expr::Binary(
                    Op::Gt,
                    Box::new(Expr::Binary(
                        Op::Add,
                        path("result"),
                        Box::new(Expr::Binary(Op::Mul, Box::new(Expr::Number(2.0)), Box::new(Expr::Number(3.0)))),
                    )),
                    Box::new(Expr::Number(5.0)),
                )),
                Box::new(Expr::Not(Box::new(Expr::Binary(Op::Eq, path("name"), Box::new(Expr::Text("a'b".into())))))),
            )),
            Box::new(Expr::Binary(Op::Eq, path("id"), Box::new(Expr::Number(1.0)))),
        );
        assert_eq!(e, expected);
    }

    #[test]
    fn literals_times_geometries_and_calls() {
        let e = parse("st_within(Thing/Locations/location, geography'POLYGON((0 0,1 0,1 1,0 0))')").unwrap();
        assert_eq!(
            e,
            Expr::Call(
                "st_within".into(),
                vec![*path("Thing/Locations/location"), Expr::Geometry("POLYGON((0 0,1 0,1 1,0 0))".into())]
            )
        );
        let e = parse("phenomenonTime ge 2026-12-07T08:00:00+08:00 and result lt -1.5e2").unwrap();
        let Expr::Binary(Op::And, l, r) = e else { panic!() };
        assert_eq!(
            *l,
            Expr::Binary(Op::Ge, path("phenomenonTime"), Box::new(Expr::Time(time("2026-12-07T00:00:00Z").unwrap())))
        );
        assert_eq!(*r, Expr::Binary(Op::Lt, path("result"), Box::new(Expr::Number(-150.0))));
        assert_eq!(parse("-(result)").unwrap(), Expr::Negate(path("result")));
        assert_eq!(parse("now()").unwrap(), Expr::Call("now".into(), vec![]));
    }

    #[test]
    fn malformed_filters_are_refused_with_the_reason() {
        for (text, says) in [
            ("name eq 'open", "closing quote"),
            ("name eq", "ends where a value"),
            ("(name eq 'a'", "not closed"),
            ("name eq 'a' 'b'", "has more after"),
            ("a eq b eq c", "do not chain"),
            ("name # 1", "not part of a filter"),
            ("2026-13-45T00:00:00Z eq phenomenonTime", "not an ISO 8601"),
            ("eq 1", "stands where a value"),
            ("a//b eq 1", "not a property path"),
            ("", "is empty"),
            ("1e999 eq result", "not a number"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.detail.contains(says), "{text}: {}", err.detail);
        }
        let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().detail.contains("deeper"));
        let nots = format!("{}true", "not ".repeat(100));
        assert!(parse(&nots).unwrap_err().detail.contains("deeper"));
        let wide = vec!["id eq 1"; 1500].join(" or ");
        assert!(parse(&wide).unwrap_err().detail.contains("terms"));
        assert!(parse(&"x".repeat(MAX_CHARS + 1)).unwrap_err().detail.contains("longer"));
    }
}
