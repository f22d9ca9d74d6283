//! The domain layers: their catalogue, validation, queries and storage.

pub mod condition;
pub mod cql;
pub mod crs;
pub mod datetime;
pub mod query;
pub mod spec;
pub mod stock;
pub mod store;
pub mod validate;
pub mod validity;
pub mod write;

pub use spec::{Layer, layer};
pub use validate::{Invalid, Record};

/// A geometry from GeoJSON text, as PostGIS's `ST_AsGeoJSON` writes it.
pub fn geometry_from_geojson(text: &str) -> anyhow::Result<geo::Geometry<f64>> {
    let parsed: geojson::Geometry = text.parse()?;
    Ok(geo::Geometry::<f64>::try_from(&parsed.value)?)
}

/// What can go wrong with a layer operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No layer of that name.
    #[error("unknown layer `{0}`; the layers are: {layers}", layers = spec::layer_names())]
    UnknownLayer(String),
    /// Bad input: nothing was written.
    #[error("{0}")]
    Invalid(Invalid),
    /// Bad query parameters.
    #[error("{0}")]
    BadQuery(Invalid),
    /// The write would break a uniqueness rule.
    #[error("{0}")]
    Conflict(Invalid),
    /// No such feature.
    #[error("no {layer} with id {id}")]
    NotFound {
        /// Layer name.
        layer: &'static str,
        /// Requested id.
        id: i64,
    },
    /// The request cannot be done in the present state (an incident closed, stock short);
    /// `details` says what stands in the way.
    #[error("{detail}")]
    Refused {
        /// Short, fixed summary.
        title: &'static str,
        /// What exactly stands in the way.
        detail: String,
        /// Figures of the refusal, such as the free stock now.
        details: serde_json::Map<String, serde_json::Value>,
    },
    /// The acting user may not do this here (outside their district).
    #[error("{0}")]
    Forbidden(String),
    /// Something failed that is neither the input's nor the database's fault.
    #[error("{0}")]
    Failed(String),
    /// The database failed (not the input's fault).
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// The server is saturated with computations: try again soon.
    #[error("{0}")]
    Busy(String),
}

impl Error {
    /// Bad input at `field`.
    pub fn invalid(field: &str, detail: impl Into<String>) -> Self {
        Self::Invalid(Invalid::field(field, detail))
    }

    /// A refusal with no figures.
    pub fn refused(title: &'static str, detail: impl Into<String>) -> Self {
        Self::Refused { title, detail: detail.into(), details: Default::default() }
    }

    /// The same refusal with one more figure.
    pub fn with(mut self, key: &str, value: serde_json::Value) -> Self {
        if let Self::Refused { details, .. } = &mut self {
            details.insert(key.to_string(), value);
        }
        self
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        store::database_error(err)
    }
}

impl From<crate::work::Refused> for Error {
    fn from(err: crate::work::Refused) -> Self {
        match err {
            crate::work::Refused::Busy => Self::Busy(err.to_string()),
            crate::work::Refused::Failed => Self::Failed(err.to_string()),
        }
    }
}

impl From<Invalid> for Error {
    fn from(err: Invalid) -> Self {
        Self::Invalid(err)
    }
}

/// The layer called `name`, or `Error::UnknownLayer`.
pub fn find(name: &str) -> Result<&'static Layer, Error> {
    layer(name).ok_or_else(|| Error::UnknownLayer(name.to_string()))
}
