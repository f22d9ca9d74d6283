//! Geodesy shared by every area: Web Mercator and the coordinate reference systems features
//! are read and written in. Imports nothing of the domain.

pub mod crs;
pub mod mercator;
