//! A plume request as a caller asks it (the point, the release, the wind and the sky, the
//! thresholds or a substance), checked into a [`Request`]: the API's `POST /api/air/plume`, a
//! warning's area and a plan's air scenario all ask in these words.

use serde::Deserialize;

use super::endpoints;
use super::plume::{Release, Stability, Terrain};
use super::stability::{Insolation, Sky, pasquill};
use super::threat::{Request, Substance};
use crate::error::Error;

/// Largest release rate accepted, g/s (10 t/s: a vessel emptying at once).
pub const MAX_RATE_G_S: f64 = 1.0e7;
/// Highest effective release height, m.
const MAX_HEIGHT_M: f64 = 500.0;
/// Strongest wind, m/s (the plume model means little beyond).
pub const MAX_WIND_MS: f64 = 50.0;
/// Longest release, minutes.
pub const MAX_MINUTES: f64 = 1440.0;
/// Most thresholds in one request.
const MAX_THRESHOLDS: usize = 5;

/// A plume request as asked.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlumeRequest)]
pub struct Asked {
    /// Where it leaks: [longitude, latitude].
    pub point: [f64; 2],
    /// The release rate, g/s.
    pub release_g_s: f64,
    /// The effective release height, m.
    #[serde(default)]
    pub height_m: f64,
    /// Where the wind comes from, degrees clockwise from north.
    pub wind_from_deg: f64,
    /// The wind speed, m/s.
    pub wind_ms: f64,
    /// The stability class A–F, or the sky it is had from (day, insolation, cloud_octas, overcast).
    pub stability: Option<String>,
    /// By day (true) or night.
    pub day: Option<bool>,
    /// By day: strong, moderate or slight sunshine.
    pub insolation: Option<String>,
    /// By night: low cloud, eighths.
    pub cloud_octas: Option<u8>,
    /// Overcast (day or night).
    #[serde(default)]
    pub overcast: bool,
    /// rural (default) or urban.
    pub terrain: Option<String>,
    /// The thresholds, mg/m³ (or a substance's end-points).
    pub thresholds_mg_m3: Option<Vec<f64>>,
    /// A substance whose end-points are the thresholds.
    pub substance: Option<String>,
    /// How long it leaks, minutes (default 60).
    pub minutes: Option<f64>,
}

impl Asked {
    /// The stability class given, or Pasquill's from the sky: (class, how it was had).
    fn stability(&self) -> Result<(Stability, &'static str), Error> {
        if let Some(letter) = &self.stability {
            let class = Stability::parse(letter).ok_or_else(|| {
                Error::invalid("stability", format!("`{letter}` is not a stability class; use A, B, C, D, E or F"))
            })?;
            return Ok((class, "given"));
        }
        let sky = if self.overcast {
            Sky::Overcast
        } else {
            match self.day {
                Some(true) => Sky::Day(match self.insolation.as_deref() {
                    Some("strong") => Insolation::Strong,
                    Some("moderate") => Insolation::Moderate,
                    Some("slight") => Insolation::Slight,
                    Some(other) => {
                        return Err(Error::invalid(
                            "insolation",
                            format!("`{other}` is not strong, moderate or slight"),
                        ));
                    }
                    None => {
                        return Err(Error::invalid(
                            "insolation",
                            "by day, give the sunshine: strong, moderate or slight",
                        ));
                    }
                }),
                Some(false) => match self.cloud_octas {
                    Some(octas) if octas <= 8 => Sky::Night { cloud_octas: octas },
                    Some(octas) => return Err(Error::invalid("cloud_octas", format!("{octas} eighths: at most 8"))),
                    None => {
                        return Err(Error::invalid(
                            "cloud_octas",
                            "by night, give the low cloud cover in eighths (0–8)",
                        ));
                    }
                },
                None => {
                    return Err(Error::invalid(
                        "stability",
                        "give a stability class (A–F), or day (true or false) with insolation or cloud_octas, or overcast",
                    ));
                }
            }
        };
        Ok((pasquill(self.wind_ms, sky), "pasquill"))
    }

    /// The request, checked field by field.
    pub fn request(&self) -> Result<Request, Error> {
        let at = crate::routing::request::parse_point(self.point)?;
        let rate = Error::within("release_g_s", self.release_g_s, 0.0, MAX_RATE_G_S, true)?;
        let height = Error::within("height_m", self.height_m, 0.0, MAX_HEIGHT_M, false)?;
        let wind = Error::within("wind_ms", self.wind_ms, 0.0, MAX_WIND_MS, true)?;
        let wind_from = Error::within("wind_from_deg", self.wind_from_deg, 0.0, 360.0, false)?;
        let minutes = Error::within("minutes", self.minutes.unwrap_or(60.0), 0.0, MAX_MINUTES, true)?;
        let terrain = match self.terrain.as_deref() {
            None | Some("rural") => Terrain::Rural,
            Some("urban") => Terrain::Urban,
            Some(other) => return Err(Error::invalid("terrain", format!("`{other}` is not rural or urban"))),
        };
        let (class, class_from) = self.stability()?;
        let (thresholds, substance) = match (&self.thresholds_mg_m3, &self.substance) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid("substance", "give thresholds_mg_m3 or a substance, not both"));
            }
            (Some(t), None) => {
                if t.is_empty() || t.len() > MAX_THRESHOLDS {
                    return Err(Error::invalid("thresholds_mg_m3", format!("give 1 to {MAX_THRESHOLDS} thresholds")));
                }
                for (i, v) in t.iter().enumerate() {
                    if !(v.is_finite() && *v > 0.0) {
                        return Err(Error::invalid(
                            "thresholds_mg_m3",
                            format!("threshold {i} ({v}) must be more than 0 mg/m³"),
                        ));
                    }
                }
                (t.clone(), None)
            }
            (None, Some(name)) => {
                let known = endpoints::find(name).ok_or_else(|| {
                    let names: Vec<&str> = endpoints::ENDPOINTS.iter().map(|e| e.name).collect();
                    Error::invalid("substance", format!("no end-points for `{name}`; known: {}", names.join(", ")))
                })?;
                let [one, two] = known.mg_m3();
                let substance =
                    Substance { name: known.name, cas: known.cas, endpoints_mg_m3: [one, two], source: known.source() };
                (vec![one, two], Some(substance))
            }
            (None, None) => return Err(Error::invalid("thresholds_mg_m3", "give thresholds_mg_m3 or a substance")),
        };
        Ok(Request {
            at,
            release: Release { rate_g_s: rate, height_m: height, wind_ms: wind, stability: class, terrain },
            wind_from_deg: wind_from,
            minutes,
            thresholds,
            stability_from: class_from,
            substance,
        })
    }
}
