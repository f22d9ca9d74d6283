//! Emergency plans (应急预案): the plan a bureau, a department, a water source, a park or an
//! enterprise keeps; its versions from drafting to in force; its filings with the county-level
//! bureau under 《企业事业单位突发环境事件应急预案备案管理办法（试行）》(环发〔2015〕4号) on
//! China's working days; its documents (checked PDFs); and the legal clock that says what is due.

pub mod available;
pub mod card;
pub mod checks;
pub mod clock;
pub mod codes;
pub mod documents;
pub mod due;
pub mod filing;
pub mod findings;
pub mod flag;
pub mod hold;
pub mod notices;
pub mod number;
pub mod pdf;
pub mod record;
pub mod refused;
pub mod register;
pub mod scenario;
pub mod scope;
pub mod self_checks;
pub mod standing;
pub mod threat;
pub mod version;
pub mod write;

pub use codes::{DocumentKind, FilingKind, FilingStatus, Kind, Level, VersionStatus};
pub use refused::Refused;

/// Today in China Standard Time: the day the legal clock reads.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&crate::time::cst()).date_naive()
}
