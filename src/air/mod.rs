//! Where a toxic gas goes: the Gaussian plume of a continuous release, Pasquill's stability
//! classes, toxic end-points, and the threat zones drawn on the map with who lives in them.

pub mod asked;
pub mod endpoints;
pub mod plume;
pub mod stability;
pub mod threat;
