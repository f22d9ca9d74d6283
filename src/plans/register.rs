//! The year's register of filed enterprises (突发环境事件应急预案备案企业名录), as a bureau
//! publishes it: every enterprise plan whose filing (or change filing) was accepted in the year,
//! by district and filing number — a printable page, every value escaped by maud.

use chrono::NaiveDate;
use maud::{DOCTYPE, PreEscaped, html};
use sqlx::PgPool;

use crate::error::Error;

/// One line of the register.
#[derive(Debug, sqlx::FromRow)]
struct Line {
    district: String,
    district_name: Option<String>,
    enterprises: String,
    credit_codes: Option<String>,
    risk_level: Option<String>,
    filing_number: String,
    kind: String,
    decided_on: NaiveDate,
}

/// The register of `year` (of `district` only, if given), as an HTML page.
pub async fn page(pool: &PgPool, year: i32, district: Option<&str>) -> Result<String, Error> {
    if !(2000..=2999).contains(&year) {
        return Err(Error::BadQuery(crate::error::Invalid::field("year", format!("{year} is not a year of filings"))));
    }
    let lines: Vec<Line> = sqlx::query_as(
        "SELECT p.district, d.name AS district_name, \
                (SELECT string_agg(s.name, '、' ORDER BY s.id) FROM plan_source x JOIN risk_source s ON s.id = x.risk_source_id \
                  WHERE x.plan_id = p.id) AS enterprises, \
                (SELECT string_agg(DISTINCT s.credit_code, '、') FROM plan_source x JOIN risk_source s ON s.id = x.risk_source_id \
                  WHERE x.plan_id = p.id) AS credit_codes, \
                p.risk_level, f.filing_number, f.kind, f.decided_on \
           FROM plan_filing f JOIN plan p ON p.id = f.plan_id LEFT JOIN district d ON d.code = p.district \
          WHERE p.kind = 'enterprise' AND f.status = 'accepted' AND f.filing_number IS NOT NULL \
            AND extract(year FROM f.decided_on) = $1 AND ($2::text IS NULL OR p.district = $2) \
          ORDER BY p.district, f.filing_number",
    )
    .bind(f64::from(year))
    .bind(district)
    .fetch_all(pool)
    .await?;
    let title = format!("{year}年度突发环境事件应急预案备案企业名录");
    let kind = |k: &str| crate::layers::words::label(&crate::layers::words::FILING_KIND, k).unwrap_or("");
    Ok(html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head { meta charset="utf-8"; title { (title) } style { (PreEscaped(STYLE)) } }
            body {
                h1 { (title) }
                p.meta { "共 " (lines.len()) " 家（次）；依据《企业事业单位突发环境事件应急预案备案管理办法（试行）》" }
                table {
                    tr { th { "序号" } th { "区县" } th { "企业名称" } th { "统一社会信用代码" } th { "环境风险等级" }
                         th { "备案编号" } th { "备案类型" } th { "备案日期" } }
                    @for (i, l) in lines.iter().enumerate() {
                        tr {
                            td { (i + 1) }
                            td { (l.district_name.as_deref().unwrap_or(&l.district)) }
                            td { (l.enterprises) }
                            td { (l.credit_codes.as_deref().unwrap_or("—")) }
                            td { (l.risk_level.as_deref().unwrap_or("—")) }
                            td { (l.filing_number) }
                            td { (kind(&l.kind)) }
                            td { (l.decided_on) }
                        }
                    }
                }
            }
        }
    }
    .into_string())
}

const STYLE: &str = "@page { size: A4 landscape; margin: 15mm; }
body { font-family: 'Noto Serif CJK SC', 'Songti SC', 'SimSun', 'WenQuanYi Zen Hei', serif; font-size: 10.5pt; }
h1 { text-align: center; font-size: 16pt; }
p.meta { text-align: center; color: #444; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.75pt solid #000; padding: 3pt 5pt; text-align: left; }
th { background: #f2f2f2; font-weight: normal; }
tr { page-break-inside: avoid; }";
