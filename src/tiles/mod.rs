//! Vector tiles made in process from the snapshot: tile maths, clipping, MVT encoding, a cache
//! that follows the layers' generations, TileJSON and the map style.

pub mod cache;
pub mod clip;
pub mod encode;
pub mod metadata;
pub mod package;

use crate::geodesy::mercator::{self, HALF_WORLD};

/// Tile extent in tile units (as PostGIS `ST_AsMVT` defaults to).
pub const EXTENT: u32 = 4096;
/// Buffer around the tile in tile units, so lines and labels join across tile edges.
pub const BUFFER: u32 = 64;
/// Deepest zoom served.
pub const MAX_ZOOM: u8 = 22;

/// A tile address in the XYZ scheme (y down from the north).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    /// Zoom.
    pub z: u8,
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
}

impl TileId {
    /// A tile id, or why it does not exist.
    pub fn new(z: u32, x: u32, y: u32) -> Result<Self, String> {
        if z > u32::from(MAX_ZOOM) {
            return Err(format!("zoom {z} is outside 0–{MAX_ZOOM}"));
        }
        let n = 1u64 << z;
        if u64::from(x) >= n || u64::from(y) >= n {
            return Err(format!("tile {x}/{y} does not exist at zoom {z} (0–{})", n - 1));
        }
        Ok(Self { z: z as u8, x, y })
    }

    /// The tile at zoom `z` that holds the point lon/lat (degrees; latitude clamped to Web Mercator).
    pub fn containing(lon: f64, lat: f64, z: u8) -> Result<Self, String> {
        if z > MAX_ZOOM || !lon.is_finite() || !lat.is_finite() {
            return Err(format!("no tile at zoom {z} for {lon}, {lat}"));
        }
        let n = (1u64 << z) as f64;
        let c = mercator::project(geo::Coord { x: lon.clamp(-180.0, 180.0), y: lat });
        let x = ((c.x + HALF_WORLD) / (2.0 * HALF_WORLD) * n).floor().clamp(0.0, n - 1.0);
        let y = ((HALF_WORLD - c.y) / (2.0 * HALF_WORLD) * n).floor().clamp(0.0, n - 1.0);
        Self::new(u32::from(z), x as u32, y as u32)
    }

    /// Width of the tile in Web Mercator metres.
    pub fn size(&self) -> f64 {
        2.0 * HALF_WORLD / (1u64 << self.z) as f64
    }

    /// [west, south, east, north] in Web Mercator metres.
    pub fn bounds(&self) -> [f64; 4] {
        let size = self.size();
        let west = -HALF_WORLD + f64::from(self.x) * size;
        let north = HALF_WORLD - f64::from(self.y) * size;
        [west, north - size, west + size, north]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_ids_and_bounds() {
        assert_eq!(TileId::containing(106.55, 29.56, 12).unwrap(), TileId::new(12, 3260, 1695).unwrap());
        assert!(TileId::new(23, 0, 0).is_err());
        assert!(TileId::new(2, 4, 0).is_err());
        let world = TileId::new(0, 0, 0).unwrap().bounds();
        assert_eq!(world, [-HALF_WORLD, -HALF_WORLD, HALF_WORLD, HALF_WORLD]);
        let t = TileId::new(1, 1, 0).unwrap().bounds();
        assert_eq!(t, [0.0, 0.0, HALF_WORLD, HALF_WORLD]);
    }
}
