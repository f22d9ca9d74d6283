//! Toxic end-point concentrations of common gases, for a threat zone asked for by substance.
//!
//! HJ 169-2018 (建设项目环境风险评价技术导则) Appendix H, table H.1, gives 大气毒性终点浓度-1
//! and -2. Its text was not at hand to check every entry, so the values here are their source:
//! the US EPA's Acute Exposure Guideline Levels for 60 minutes, AEGL-3 (life-threatening) for
//! end-point 1 and AEGL-2 (irreversible or disabling effects) for end-point 2, in ppm, converted
//! at 25 °C and 1 atm (mg/m³ = ppm × M / 24.45). For chlorine this gives 58 and 5.8 mg/m³, the
//! figures of the national table.

/// One substance.
#[derive(Debug)]
pub struct Endpoint {
    /// Chinese name.
    pub name: &'static str,
    /// CAS registry number.
    pub cas: &'static str,
    /// Molar mass, g/mol.
    pub molar_mass: f64,
    /// AEGL-3, 60 min, ppm.
    pub aegl3_ppm: f64,
    /// AEGL-2, 60 min, ppm.
    pub aegl2_ppm: f64,
}

/// Molar volume at 25 °C and 101.325 kPa, litres.
const MOLAR_VOLUME_L: f64 = 24.45;

impl Endpoint {
    /// End-points 1 and 2 in mg/m³, two significant figures (as tabulated).
    pub fn mg_m3(&self) -> [f64; 2] {
        [self.aegl3_ppm, self.aegl2_ppm].map(|ppm| two_figures(ppm * self.molar_mass / MOLAR_VOLUME_L))
    }

    /// Where the figures come from.
    pub fn source(&self) -> &'static str {
        "US EPA AEGL-3 / AEGL-2, 60 min, at 25 °C (the basis of HJ 169-2018 表H.1)"
    }
}

fn two_figures(v: f64) -> f64 {
    let e = v.log10().floor() as i32 - 1;
    // Divide by a whole power of ten, so 5.8 comes out as 5.8.
    if e >= 0 {
        let scale = 10f64.powi(e);
        (v / scale).round() * scale
    } else {
        let scale = 10f64.powi(-e);
        (v * scale).round() / scale
    }
}

const fn gas(name: &'static str, cas: &'static str, molar_mass: f64, aegl3_ppm: f64, aegl2_ppm: f64) -> Endpoint {
    Endpoint { name, cas, molar_mass, aegl3_ppm, aegl2_ppm }
}

/// The built-in table.
pub const ENDPOINTS: &[Endpoint] = &[
    gas("氯气", "7782-50-5", 70.90, 20.0, 2.0),
    gas("氨", "7664-41-7", 17.03, 1100.0, 160.0),
    gas("硫化氢", "7783-06-4", 34.08, 50.0, 27.0),
    gas("氯化氢", "7647-01-0", 36.46, 100.0, 22.0),
    gas("二氧化硫", "7446-09-5", 64.07, 30.0, 0.75),
    gas("一氧化碳", "630-08-0", 28.01, 330.0, 83.0),
    gas("氰化氢", "74-90-8", 27.03, 15.0, 7.1),
    gas("光气", "75-44-5", 98.92, 0.75, 0.30),
    gas("甲醛", "50-00-0", 30.03, 56.0, 14.0),
    gas("二氧化氮", "10102-44-0", 46.01, 20.0, 12.0),
    gas("苯", "71-43-2", 78.11, 4000.0, 800.0),
];

/// The substance called `name` (Chinese name or CAS number; 氯 for 氯气 too).
pub fn find(name: &str) -> Option<&'static Endpoint> {
    let name = name.trim();
    ENDPOINTS.iter().find(|e| e.cas == name || e.name == name || (name == "氯" && e.cas == "7782-50-5"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_give_the_tabulated_figures() {
        // Worked by hand: 20 ppm × 70.90 / 24.45 = 58.0; 1100 × 17.03 / 24.45 = 766 → 770.
        assert_eq!(find("氯气").unwrap().mg_m3(), [58.0, 5.8]);
        assert_eq!(find("7664-41-7").unwrap().mg_m3(), [770.0, 110.0]);
        assert_eq!(find("硫化氢").unwrap().mg_m3(), [70.0, 38.0]);
        assert_eq!(find("氯化氢").unwrap().mg_m3(), [150.0, 33.0]);
        assert_eq!(find("二氧化硫").unwrap().mg_m3(), [79.0, 2.0]);
        assert_eq!(find("苯").unwrap().mg_m3(), [13000.0, 2600.0]);
        assert!(find("水").is_none());
        for e in ENDPOINTS {
            assert!(crate::layers::spec::is_cas_number(e.cas), "{}", e.cas);
            let [one, two] = e.mg_m3();
            assert!(one > two, "{}", e.name);
        }
    }
}
