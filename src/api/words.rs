//! `/api/words`: the domain's vocabularies (codes, labels, colours) and which field speaks
//! which, so that every screen says a code the same way.

use std::collections::BTreeMap;

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::doc::Doc;
use super::permission::Need;
use super::routes::Routes;
use crate::duty::report::{ReportPart, Stage};
use crate::layers::spec::{FieldType, LAYERS};
use crate::layers::words::{self, VOCABULARIES, Vocabulary};

/// The words of the domain.
#[derive(Debug, Serialize, ToSchema)]
pub struct Words {
    /// Every vocabulary, by name.
    pub vocabularies: BTreeMap<&'static str, &'static Vocabulary>,
    /// For each layer, the vocabulary of each coded field (`receptor` → `kind` → `receptor_kind`).
    pub fields: BTreeMap<&'static str, BTreeMap<&'static str, &'static str>>,
    /// The fields of each stage's report, with the headings of the rule, in order.
    pub reports: BTreeMap<&'static str, Vec<&'static ReportPart>>,
}

/// Routes of the words.
pub fn router() -> Routes {
    Routes::new().get("/api/words", Need::Nothing, || async { Json(words()) }).doc(
        Doc::new("the domain's vocabularies: codes with their Chinese labels and colours")
            .answer_of::<Words>(200, "the words"),
    )
}

/// The words, from the catalogue.
pub fn words() -> Words {
    let vocabularies = VOCABULARIES.iter().map(|v| (v.name, v)).collect();
    let fields = LAYERS
        .iter()
        .map(|layer| {
            let coded = layer
                .fields
                .iter()
                .chain(layer.read_only())
                .filter_map(|f| match f.ty {
                    FieldType::Enum(values) | FieldType::EnumList(values) => {
                        Some((f.name, words::of_values(values)?.name))
                    }
                    FieldType::Bool => Some((f.name, "yes_no")),
                    _ => None,
                })
                .collect();
            (layer.name, coded)
        })
        .collect();
    let reports = Stage::ALL.into_iter().map(|s| (s.name(), s.fields().iter().collect())).collect();
    Words { vocabularies, fields, reports }
}
