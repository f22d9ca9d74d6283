//! The pollutant codes of HJ 212-2017 Appendix B (Table B.1, water; Table B.2, air) that
//! surface-water and ambient-air stations send, with the unit they are sent in and the item of
//! the standard that classes them (GB 3838-2002 item codes as `GET /api/standards` lists them;
//! HJ 633-2012 pollutants). A code not here is not read (and counted).

/// A pollutant of the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pollutant {
    /// Its HJ 212 code (`w01018`).
    pub code: &'static str,
    /// Its Chinese name.
    pub name: &'static str,
    /// The unit of its values.
    pub unit: &'static str,
    /// The item of GB 3838 (water) or the pollutant of HJ 633 (air) it is classed by.
    pub item: Option<&'static str>,
}

const fn p(code: &'static str, name: &'static str, unit: &'static str, item: Option<&'static str>) -> Pollutant {
    Pollutant { code, name, unit, item }
}

/// The table.
pub const POLLUTANTS: [Pollutant; 21] = [
    // Table B.1, water.
    p("w01001", "pH值", "无量纲", Some("pH")),
    p("w01003", "浊度", "NTU", None),
    p("w01009", "溶解氧", "mg/L", Some("DO")),
    p("w01010", "水温", "℃", None),
    p("w01014", "电导率", "μS/cm", None),
    p("w01017", "五日生化需氧量", "mg/L", Some("BOD5")),
    p("w01018", "化学需氧量", "mg/L", Some("COD")),
    p("w01019", "高锰酸盐指数", "mg/L", Some("CODMn")),
    p("w21001", "总氮", "mg/L", Some("TN")),
    p("w21003", "氨氮", "mg/L", Some("NH3-N")),
    p("w21011", "总磷", "mg/L", Some("TP")),
    // Table B.2, air (ambient concentrations as HJ 633 takes them: µg/m³, CO mg/m³).
    p("a21026", "二氧化硫", "μg/m³", Some("SO2")),
    p("a21004", "二氧化氮", "μg/m³", Some("NO2")),
    p("a21005", "一氧化碳", "mg/m³", Some("CO")),
    p("a05024", "臭氧", "μg/m³", Some("O3")),
    p("a34002", "PM10", "μg/m³", Some("PM10")),
    p("a34004", "PM2.5", "μg/m³", Some("PM2.5")),
    p("a01001", "温度", "℃", None),
    p("a01002", "湿度", "%", None),
    p("a01007", "风速", "m/s", None),
    p("a01008", "风向", "°", None),
];

/// The pollutant of `code`.
pub fn pollutant(code: &str) -> Option<&'static Pollutant> {
    POLLUTANTS.iter().find(|p| p.code == code)
}

/// What a data command carries: (CN, the field suffix of its value, its name, its period in
/// minutes — 0 for an instant).
pub const COMMANDS: [(&str, &str, &str, i64); 4] = [
    ("2011", "Rtd", "实时", 0),
    ("2051", "Avg", "分钟均值", 1),
    ("2061", "Avg", "小时均值", 60),
    ("2031", "Avg", "日均值", 1440),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_items_are_the_standards() {
        let mut codes: Vec<&str> = POLLUTANTS.iter().map(|p| p.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), POLLUTANTS.len());
        for p in &POLLUTANTS {
            if let Some(item) = p.item {
                let water = crate::standards::water::ITEMS.iter().any(|i| i.code == item);
                let air = crate::standards::aqi::MEASURES.iter().any(|m| m.key.starts_with(&format!("{item}_")));
                assert!(water || air, "{}: {item} is not an item of GB 3838 nor a pollutant of HJ 633", p.code);
            }
        }
    }
}
