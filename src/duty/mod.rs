//! The duty desk (应急值守, 信息报送): calls received and screened, who is on duty and the shift
//! log, an incident's reports in three stages on time (and the phone report on the short clock),
//! its timeline, the statistics of the year's incidents, and the overview the wall shows.

pub mod deadlines;
pub mod intake;
pub mod overview;
pub mod phone;
pub mod print;
pub mod refused;
pub mod report;
pub mod reports;
pub mod roster;
pub mod stats;
pub mod timeline;
