//! Geodesy shared by every area: Web Mercator, the coordinate reference systems features
//! are read and written in, and a packed index of boxes laid out along a Hilbert curve. Imports nothing of the domain.

pub mod boxes;
pub mod crs;
pub mod hilbert;
pub mod mercator;
