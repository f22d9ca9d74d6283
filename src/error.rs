//! The errors of onemap's domain: bad input (with the field at fault), conflicts, refusals and
//! failures, which the HTTP edge turns into problems. Each area says why it refuses in an enum
//! of its own (`dispatch::Refused`, `warning::Refused` …) that implements [`Refusal`] and joins
//! [`Error`] by `From`; this module imports nothing of the domain.

use crate::work;

/// Why a feature was refused: which feature (index in the request), which field, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// Index of the feature in a FeatureCollection or file (0-based).
    pub feature: Option<usize>,
    /// The property (or `geometry`) at fault.
    pub field: Option<String>,
    /// What is wrong, in a sentence.
    pub detail: String,
}

impl Invalid {
    /// An error about `field`.
    pub fn field(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { feature: None, field: Some(field.into()), detail: detail.into() }
    }

    /// An error about the request as a whole.
    pub fn request(detail: impl Into<String>) -> Self {
        Self { feature: None, field: None, detail: detail.into() }
    }

    /// The same error, located at feature `index`.
    pub fn at(mut self, index: usize) -> Self {
        self.feature.get_or_insert(index);
        self
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(i) = self.feature {
            write!(f, "feature {i}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.detail)
    }
}

/// Why an area refuses a request in the present state (an incident closed, stock short, a
/// warning already issued): an enum of the area's own, joined into [`Error`] by `From`.
pub trait Refusal: std::error::Error + Send + Sync + 'static {
    /// Short, fixed summary (the problem's title).
    fn title(&self) -> &'static str;

    /// Figures of the refusal, such as the free stock now (the problem's extension members).
    fn details(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::Map::new()
    }
}

impl<R: Refusal> From<R> for Error {
    fn from(refusal: R) -> Self {
        Self::Refused(Box::new(refusal))
    }
}

/// What can go wrong in onemap's domain: the HTTP edge turns each kind into its problem.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No layer of that name.
    #[error("unknown layer `{name}`; the layers are: {known}")]
    UnknownLayer {
        /// The name asked for.
        name: String,
        /// The layers there are, for the message.
        known: String,
    },
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
    /// The request cannot be done in the present state: an area's [`Refusal`] says why.
    #[error("{0}")]
    Refused(Box<dyn Refusal>),
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

    /// `value` of request member `field` when finite and in (low, high] (`low_open`) or [low, high].
    pub fn within(field: &str, value: f64, low: f64, high: f64, low_open: bool) -> Result<f64, Self> {
        let ok = value.is_finite() && value <= high && if low_open { value > low } else { value >= low };
        if ok {
            Ok(value)
        } else {
            let bound = if low_open { format!("more than {low}") } else { format!("at least {low}") };
            Err(Self::invalid(field, format!("{value} must be {bound} and at most {high}")))
        }
    }

    /// A request's text `field`, trimmed ([`crate::text::field`]): at most `max` characters, no
    /// control characters (line breaks and tabs in `long` text).
    pub fn text(field: &str, value: Option<String>, max: usize, long: bool) -> Result<Option<String>, Self> {
        crate::text::field(value, max, long).map_err(|detail| Self::invalid(field, detail))
    }

    /// A time a request gives (RFC 3339), in UTC.
    pub fn instant(field: &str, text: &str) -> Result<chrono::DateTime<chrono::Utc>, Self> {
        chrono::DateTime::parse_from_rfc3339(text.trim()).map(|t| t.to_utc()).map_err(|_| {
            Self::invalid(field, format!("`{text}` is not an RFC 3339 time like 2026-12-07T09:30:00+08:00"))
        })
    }

    /// A time ahead a request gives as a time (`at`, RFC 3339, field `fields.0`) or as minutes
    /// from now (`fields.1`), one of them: not past (a minute's grace) nor more than `max_hours` ahead.
    pub fn ahead(
        fields: (&str, &str),
        at: Option<String>,
        minutes: Option<f64>,
        max_hours: i64,
    ) -> Result<chrono::DateTime<chrono::Utc>, Self> {
        let now = chrono::Utc::now();
        let t = match (at, minutes) {
            (Some(t), None) => Self::instant(fields.0, &t)?,
            (None, Some(m)) if m.is_finite() && m > 0.0 => now + chrono::Duration::milliseconds((m * 60_000.0) as i64),
            (None, Some(m)) => return Err(Self::invalid(fields.1, format!("{m} is not a positive number"))),
            _ => return Err(Self::invalid(fields.0, format!("give {} or {}, one of them", fields.0, fields.1))),
        };
        if t <= now - chrono::Duration::minutes(1) || t > now + chrono::Duration::hours(max_hours) {
            return Err(Self::invalid(fields.0, format!("{t} is past or more than {max_hours} hours ahead")));
        }
        Ok(t)
    }

    /// Text a request must give (checked as [`Error::text`]), trimmed; blank is refused.
    pub fn said(field: &str, value: String, max: usize, long: bool) -> Result<String, Self> {
        match Self::text(field, Some(value), max, long)? {
            Some(t) if !t.trim().is_empty() => Ok(t.trim().to_string()),
            _ => Err(Self::invalid(field, "is empty")),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        database_error(err)
    }
}

impl From<work::Refused> for Error {
    fn from(err: work::Refused) -> Self {
        match err {
            work::Refused::Busy => Self::Busy(err.to_string()),
            work::Refused::Failed => Self::Failed(err.to_string()),
        }
    }
}

impl From<Invalid> for Error {
    fn from(err: Invalid) -> Self {
        Self::Invalid(err)
    }
}

/// Maps a database refusal to an error that names the field when the constraint tells it.
pub fn database_error(err: sqlx::Error) -> Error {
    let Some(db) = err.as_database_error() else {
        return Error::Database(err);
    };
    let code = db.code().unwrap_or_default().to_string();
    let constraint = db.constraint().map(str::to_string);
    let pg = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>();
    let column = pg.and_then(|e| e.column()).map(str::to_string);
    // onemap's own triggers (PL/pgSQL RAISE) speak onemap's words; PostgreSQL's and PostGIS's
    // own messages (constraint names, "non-closed rings") stay in the log.
    let own = pg.and_then(|e| e.r#where()).is_some_and(|w| w.contains("PL/pgSQL")) && constraint.is_none();
    let table = pg.and_then(|e| e.table());
    let field = column.or_else(|| constraint.as_deref().map(|c| constraint_field(c, table)));
    let message = db.message().to_string();
    let said = |generic: String| if own { message.clone() } else { generic };
    let name = field.clone().unwrap_or_else(|| "a value".into());
    let invalid = |detail: String| Invalid { feature: None, field: field.clone(), detail };
    if !own {
        tracing::info!(code, message, constraint = constraint.as_deref(), "the database refused a write");
    }
    match code.as_str() {
        "23505" => Error::Conflict(invalid(format!("{name}: another row already has this value"))),
        "23503" => Error::Invalid(invalid(said(format!("{name} refers to a row that does not exist")))),
        "23502" => Error::Invalid(invalid(format!("{name} is required"))),
        "23514" => Error::Invalid(invalid(said(format!("{name} is outside what the registry allows")))),
        c if c.starts_with("22") || c == "XX000" => {
            Error::Invalid(invalid(format!("{name} is malformed or out of range for the registry")))
        }
        _ => Error::Database(err),
    }
}

/// `stock_item_depot_id_fkey` → `depot_id`; `risk_source_credit_code_check` → `credit_code`.
fn constraint_field(constraint: &str, table: Option<&str>) -> String {
    let trimmed = constraint.trim_end_matches("_fkey").trim_end_matches("_check").trim_end_matches("_key");
    table.and_then(|t| trimmed.strip_prefix(t)).and_then(|rest| rest.strip_prefix('_')).unwrap_or(trimmed).to_string()
}
