//! The duty desk (应急值守, 信息报送): an incident's reports in three stages on time, its
//! timeline, the statistics of the year's incidents, and the overview the wall shows.

pub mod deadlines;
pub mod overview;
pub mod print;
pub mod refused;
pub mod report;
pub mod reports;
pub mod stats;
pub mod timeline;
