//! Where a warning is in its life, as the table's CHECK spells it.

use crate::error::Error;

/// Where a warning is in its life: a draft; issued (in force until it expires); replaced by a
/// newer version; or cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Written, not yet issued.
    Draft,
    /// Issued: in force from onset until it expires.
    Issued,
    /// Replaced by a newer version.
    Updated,
    /// Cancelled.
    Cancelled,
}

impl Status {
    /// Every status with its code, as the table's CHECK spells them.
    pub const ALL: [(Status, &'static str); 4] =
        [(Self::Draft, "draft"), (Self::Issued, "issued"), (Self::Updated, "updated"), (Self::Cancelled, "cancelled")];

    /// The code stored in `warning.status`.
    pub fn code(self) -> &'static str {
        Self::ALL.iter().find(|(s, _)| *s == self).map_or("draft", |(_, c)| c)
    }

    /// The status of `code` (a value of `warning.status`).
    pub fn parse(code: &str) -> Result<Self, Error> {
        let known = Self::ALL.iter().find(|(_, c)| *c == code).map(|(s, _)| *s);
        known.ok_or_else(|| Error::Failed(format!("warning.status `{code}` is not one onemap knows")))
    }
}

crate::spoken_as_code!(Status, code, parse);

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}
