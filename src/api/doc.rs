//! What each route takes and gives, written beside it in the router; the OpenAPI document
//! ([`super::openapi`]) is made from these.

use serde_json::{Value, json};
use utoipa::ToSchema;

/// What one route takes and gives.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    /// One line: what it does.
    pub summary: &'static str,
    /// Query parameters: name, JSON Schema, description.
    pub query: Vec<(&'static str, Value, &'static str)>,
    /// The request body: content type and JSON Schema.
    pub body: Option<(&'static str, Value)>,
    /// The answer on success: status, content type, JSON Schema, description.
    pub answer: Option<(u16, &'static str, Value, &'static str)>,
    /// Schemas the others refer to (`#/components/schemas/…`), from `utoipa`.
    pub schemas: Vec<(String, Value)>,
    /// Other answers of this route: status and description (an empty tile, a sign-in refused).
    pub also: Vec<(u16, &'static str)>,
}

/// A reference to component schema `name`.
pub fn schema(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// A document whose shape a standard defines (OGC API, TileJSON, a MapLibre style, OpenAPI):
/// its schema is the standard's, named and linked rather than copied.
pub fn standard(name: &str, url: &str) -> Value {
    json!({"type": "object", "description": format!("as {name} defines it"), "externalDocs": {"url": url}})
}

impl Doc {
    /// A route that does `summary`.
    pub fn new(summary: &'static str) -> Self {
        Self { summary, ..Self::default() }
    }

    /// A text query parameter.
    pub fn query(self, name: &'static str, description: &'static str) -> Self {
        self.query_as(name, json!({"type": "string"}), description)
    }

    /// A query parameter of `schema`.
    pub fn query_as(mut self, name: &'static str, schema: Value, description: &'static str) -> Self {
        self.query.push((name, schema, description));
        self
    }

    /// Adds `T`'s schema (and those it refers to) to the components; a reference to it.
    fn component<T: ToSchema>(&mut self) -> Value {
        let name = T::name().to_string();
        let mut schemas = Vec::new();
        T::schemas(&mut schemas);
        self.schemas.push((name.clone(), to_json(T::schema())));
        self.schemas.extend(schemas.into_iter().map(|(n, s)| (n, to_json(s))));
        schema(&name)
    }

    /// A JSON body of type `T` (its schema from its definition).
    pub fn body_of<T: ToSchema>(mut self) -> Self {
        let reference = self.component::<T>();
        self.body = Some(("application/json", reference));
        self
    }

    /// A JSON answer of type `T` with `status` (its schema from its definition).
    pub fn answer_of<T: ToSchema>(mut self, status: u16, description: &'static str) -> Self {
        let reference = self.component::<T>();
        self.answer(status, reference, description)
    }

    /// A GeoJSON answer of type `T` with `status` (`application/geo+json`, its schema from its
    /// definition).
    pub fn geojson_of<T: ToSchema>(mut self, status: u16, description: &'static str) -> Self {
        let reference = self.component::<T>();
        self.answer_as(status, "application/geo+json", reference, description)
    }

    /// A body of `content_type` and `schema`.
    pub fn body(mut self, content_type: &'static str, schema: Value) -> Self {
        self.body = Some((content_type, schema));
        self
    }

    /// A JSON answer with `status`.
    pub fn answer(self, status: u16, schema: Value, description: &'static str) -> Self {
        self.answer_as(status, "application/json", schema, description)
    }

    /// A 204 answer: done, nothing to say.
    pub fn nothing(self, description: &'static str) -> Self {
        self.answer(204, Value::Null, description)
    }

    /// An answer of `content_type` with `status`.
    pub fn answer_as(
        mut self,
        status: u16,
        content_type: &'static str,
        schema: Value,
        description: &'static str,
    ) -> Self {
        self.answer = Some((status, content_type, schema, description));
        self
    }

    /// Another answer this route may give (a problem, or no content for 204).
    pub fn also(mut self, status: u16, description: &'static str) -> Self {
        self.also.push((status, description));
        self
    }
}

pub fn to_json<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
