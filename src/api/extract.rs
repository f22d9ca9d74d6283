//! Typed requests at the edge: path parameters (with [`Id`] for a row id), query strings and
//! JSON bodies into their types, every refusal the project's problem naming the parameter or
//! field at fault; unknown query parameters always refused, unknown body fields where the types
//! say `deny_unknown_fields`.

use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::body::JsonBody;
use super::problem::Problem;

/// The id of a row, from the path: a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id(pub i64);

impl Id {
    /// `raw` as a row id, or a 400 naming `field` (a query parameter, a form field).
    pub fn parse(field: &str, raw: &str) -> Result<i64, Problem> {
        match raw.parse::<i64>() {
            Ok(id) if id > 0 => Ok(id),
            _ => Err(Problem::bad_request(field, not_an_id(raw))),
        }
    }
}

fn not_an_id(raw: &str) -> String {
    format!("`{raw}` is not an id (a positive integer)")
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Id;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an id (a positive integer)")
            }
            fn visit_str<E: serde::de::Error>(self, raw: &str) -> Result<Id, E> {
                match raw.parse::<i64>() {
                    Ok(id) if id > 0 => Ok(Id(id)),
                    _ => Err(E::custom(not_an_id(raw))),
                }
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// Path parameters as `T` (a tuple in the route's order, or one value); a parameter that does
/// not read is a 400 naming it.
#[derive(Debug)]
pub struct PathOf<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathOf<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(match e.into_kind() {
                ErrorKind::DeserializeError { key, message, .. } => Problem::bad_request(&key, message),
                ErrorKind::ParseErrorAtKey { key, value, expected_type } => {
                    Problem::bad_request(&key, format!("`{value}` is not {expected_type}"))
                }
                ErrorKind::InvalidUtf8InPathParam { key } => Problem::bad_request(&key, "is not UTF-8"),
                other => Problem::bad_request("path", other.to_string()),
            }),
            Err(other) => Err(Problem::bad_request("path", other.body_text())),
        }
    }
}

/// A JSON body read into `T`: a body that is not `T` (a wrong type, a member missing, an unknown
/// one where `T` denies them) is a 422 saying why; size, emptiness and syntax are [`JsonBody`]'s.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let JsonBody(value) = JsonBody::from_request(req, state).await?;
        read(value).map(Self)
    }
}

/// `value` read into `T`, or a 422 (field `body`) with serde's reason.
pub fn read<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Problem> {
    serde_json::from_value(value).map_err(|e| Problem::from(crate::error::Error::invalid("body", e.to_string())))
}

/// A query string read into `T`, a struct of the route's parameters (numbers, booleans, ids and
/// enums parsed from their text): a parameter `T` does not have, a repeated one, or a value
/// that does not read is a 400 naming the parameter.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        read_query(parts.uri.query().unwrap_or_default()).map(Self)
    }
}

/// The query string `raw` read into `T`, refused as [`Query`] says.
pub fn read_query<T: DeserializeOwned>(raw: &str) -> Result<T, Problem> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes()).into_owned().collect();
    let known = parameters::<T>();
    for (i, (key, _)) in pairs.iter().enumerate() {
        if !known.contains(&key.as_str()) {
            return Err(Problem::bad_request(key, format!("`{key}` is not a parameter; use {}", known.join(", "))));
        }
        if pairs[..i].iter().any(|(k, _)| k == key) {
            return Err(Problem::bad_request(key, format!("`{key}` is given more than once")));
        }
    }
    let parsed = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
    serde_path_to_error::deserialize(parsed).map_err(|e| {
        let key = e.path().to_string();
        let detail = match pairs.iter().find(|(k, _)| *k == key) {
            Some((_, value)) => format!("`{value}` does not read: {}", e.inner()),
            None => e.inner().to_string(),
        };
        // A parameter missing has no path: serde names it in the message.
        Problem::bad_request(if key == "." { "query" } else { &key }, detail)
    })
}

/// The parameters a struct `T` reads: the field names serde's derive hands its deserializer.
fn parameters<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Names;
    #[derive(Debug)]
    struct Found(&'static [&'static str]);
    impl std::fmt::Display for Found {
        fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("the names of a struct's fields")
        }
    }
    impl std::error::Error for Found {}
    impl serde::de::Error for Found {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Found(&[])
        }
    }
    impl<'de> Deserializer<'de> for Names {
        type Error = Found;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Found> {
            Err(Found(&[]))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Found> {
            Err(Found(fields))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    match T::deserialize(Names) {
        Err(Found(fields)) => fields,
        Ok(_) => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_integers() {
        let id = |s: &str| serde_json::from_value::<Id>(serde_json::Value::String(s.into())).map(|i| i.0);
        assert_eq!(id("7").unwrap(), 7);
        for bad in ["0", "-3", "abc", "1.5", "", "99999999999999999999"] {
            assert!(id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_unknown_field_is_refused_and_named() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Two {
            a: i64,
        }
        let problem = read::<Two>(serde_json::json!({"a": 1, "b": 2})).unwrap_err();
        assert_eq!(problem.field.as_deref(), Some("body"));
        assert!(problem.detail.contains("`b`"), "{}", problem.detail);
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Coverage {
        item: Option<String>,
        minutes: Option<String>,
        buffer_m: Option<f64>,
        hazmat: Option<bool>,
        record_id: Option<Id>,
    }

    #[test]
    fn a_query_string_reads_into_its_struct_and_refuses_what_it_does_not_know() {
        let ok: Coverage = read_query("item=%E5%9B%B4%E6%B2%B9%E6%A0%8F&buffer_m=250&hazmat=true&record_id=4").unwrap();
        assert_eq!(ok.item.as_deref(), Some("围油栏"));
        assert_eq!(
            (ok.buffer_m, ok.hazmat, ok.record_id.map(|i| i.0), ok.minutes),
            (Some(250.0), Some(true), Some(4), None)
        );
        let empty: Coverage = read_query("").unwrap();
        assert_eq!(empty.item, None);
        for (raw, field, says) in [
            ("item=a&depot=3", "depot", "is not a parameter; use item, minutes, buffer_m, hazmat, record_id"),
            ("item=a&item=b", "item", "more than once"),
            ("buffer_m=wide", "buffer_m", "`wide` does not read"),
            ("hazmat=yes", "hazmat", "`yes` does not read"),
            ("record_id=-2", "record_id", "not an id"),
        ] {
            let problem = read_query::<Coverage>(raw).unwrap_err();
            assert_eq!((problem.status.as_u16(), problem.field.as_deref()), (400, Some(field)), "{raw}");
            assert!(problem.detail.contains(says), "{raw}: {}", problem.detail);
        }
    }
}
