//! The catalogue of layers: for each table, its geometry rule and its fields, declared once
//! and used by validation, SQL, filters, import and export alike — the meta-model (`model`),
//! the layers (`catalogue`) and the identifiers with check digits (`codes`).

mod catalogue;
mod model;

pub use crate::codes::*;
pub use catalogue::*;
pub use model::*;
