//! Typed requests at the edge: path parameters (with [`Id`] for a row id) and JSON bodies into
//! their types, every refusal the project's problem naming the parameter or field at fault,
//! unknown body fields refused (the types say `deny_unknown_fields`).

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
}
