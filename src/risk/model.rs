//! The parameters of the regional and road risk indexes, from `config/risk-model.json` (built in;
//! `onemap serve --risk-model FILE` replaces it).

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// The built-in parameters.
pub const DEFAULT: &str = include_str!("../../config/risk-model.json");

/// Class names from high to low, with the lowest implied below the last break.
pub const CLASSES: [&str; 4] = crate::layers::words::codes(&crate::layers::words::RISK_CLASS);

/// Parameters of the road index.
#[derive(Debug, Clone, Deserialize)]
pub struct RoadModel {
    /// Distance bands from the road, metres, ascending.
    pub bands_m: Vec<f64>,
    /// Weight factor of a receptor in each band.
    pub band_factors: Vec<f64>,
    /// Risk sources within this distance are served by the road.
    pub source_reach_m: f64,
    /// Lower bounds of 高, 较高, 一般.
    pub breaks: BTreeMap<String, f64>,
}

/// Parameters of the regional index.
#[derive(Debug, Clone, Deserialize)]
pub struct Model {
    /// What the file says about itself.
    #[serde(default)]
    pub about: String,
    /// Weight of a risk source's grade (`ungraded` for none).
    pub grade_weights: BTreeMap<String, f64>,
    /// Weight of a receptor kind.
    pub kind_weights: BTreeMap<String, f64>,
    /// Distance-decay length, metres.
    pub decay_m: f64,
    /// Receptors farther than this from a source do not count, metres.
    pub reach_m: f64,
    /// Lower bounds of 高, 较高, 一般.
    pub breaks: BTreeMap<String, f64>,
    /// The road index.
    pub road: RoadModel,
}

impl Model {
    /// Reads and checks parameters.
    pub fn parse(text: &str) -> Result<Self> {
        let model: Model =
            serde_json::from_str(text).context("the risk model is not valid JSON of the expected shape")?;
        for (name, breaks) in [("breaks", &model.breaks), ("road.breaks", &model.road.breaks)] {
            let values: Vec<f64> = CLASSES[..3]
                .iter()
                .map(|c| breaks.get(*c).copied().with_context(|| format!("{name} needs `{c}`")))
                .collect::<Result<_>>()?;
            if !values.windows(2).all(|w| w[0] > w[1]) || values[2] <= 0.0 {
                bail!("{name} must fall from 高 to 一般 and stay above 0");
            }
        }
        if !(model.decay_m > 0.0 && model.reach_m > 0.0 && model.road.source_reach_m > 0.0) {
            bail!("decay_m, reach_m and road.source_reach_m must be more than 0");
        }
        let road = &model.road;
        if road.bands_m.is_empty()
            || road.bands_m.len() != road.band_factors.len()
            || !road.bands_m.windows(2).all(|w| w[0] < w[1])
        {
            bail!("road.bands_m must ascend and have one factor each");
        }
        Ok(model)
    }

    /// The built-in parameters.
    pub fn builtin() -> Self {
        Self::parse(DEFAULT).expect("the built-in risk model is valid")
    }

    /// The class of a regional index (0 for none: 低).
    pub fn class(&self, index: f64) -> &'static str {
        class_of(&self.breaks, index)
    }

    /// The class of a road index.
    pub fn road_class(&self, index: f64) -> &'static str {
        class_of(&self.road.breaks, index)
    }

    /// Weight of a grade (None: ungraded).
    pub fn grade_weight(&self, grade: Option<&str>) -> f64 {
        self.grade_weights.get(grade.unwrap_or("ungraded")).copied().unwrap_or(1.0)
    }

    /// Weight of a receptor kind.
    pub fn kind_weight(&self, kind: &str) -> f64 {
        self.kind_weights.get(kind).or_else(|| self.kind_weights.get("other")).copied().unwrap_or(1.0)
    }
}

fn class_of(breaks: &BTreeMap<String, f64>, index: f64) -> &'static str {
    CLASSES[..3].iter().find(|c| breaks.get(**c).is_some_and(|b| index >= *b)).copied().unwrap_or(CLASSES[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_model_reads_and_classes_fall_at_the_breaks() {
        let m = Model::builtin();
        assert_eq!(
            [150.0, 100.0, 99.9, 30.0, 10.0, 9.9, 0.0].map(|i| m.class(i)),
            ["高", "高", "较高", "较高", "一般", "低", "低"]
        );
        assert_eq!(m.kind_weight("water_intake"), 10.0);
        assert_eq!(m.kind_weight("unknown kind"), 1.0);
    }

    #[test]
    fn a_bad_model_is_refused_with_the_reason() {
        let bad = DEFAULT.replace("\"较高\": 30", "\"较高\": 300");
        assert!(Model::parse(&bad).unwrap_err().to_string().contains("must fall"));
        let bad = DEFAULT.replace("\"decay_m\": 2000", "\"decay_m\": 0");
        assert!(Model::parse(&bad).is_err());
    }
}
