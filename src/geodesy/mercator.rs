//! Web Mercator (EPSG:3857): the projection of map tiles, used only inside the tile pipeline.

use geo::{Coord, Geometry, MapCoords};

/// Earth radius of the spherical Web Mercator, metres.
pub const RADIUS: f64 = 6_378_137.0;
/// Half the width of the world in Web Mercator metres.
pub const HALF_WORLD: f64 = std::f64::consts::PI * RADIUS;
/// Latitude where Web Mercator is cut off, degrees.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// Longitude/latitude in degrees to Web Mercator metres.
pub fn project(c: Coord<f64>) -> Coord<f64> {
    let lat = c.y.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
    Coord { x: RADIUS * c.x.to_radians(), y: RADIUS * (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln() }
}

/// Web Mercator metres to longitude/latitude in degrees.
pub fn unproject(c: Coord<f64>) -> Coord<f64> {
    Coord {
        x: (c.x / RADIUS).to_degrees(),
        y: (2.0 * (c.y / RADIUS).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
    }
}

/// A WGS 84 geometry in Web Mercator.
pub fn project_geometry(g: &Geometry<f64>) -> Geometry<f64> {
    g.map_coords(project)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_values() {
        let c = project(Coord { x: 180.0, y: 0.0 });
        assert!((c.x - HALF_WORLD).abs() < 1e-6 && c.y.abs() < 1e-6);
        let top = project(Coord { x: 0.0, y: MAX_LATITUDE });
        assert!((top.y - HALF_WORLD).abs() < 1e-3, "{top:?}");
        let chongqing = Coord { x: 106.55, y: 29.56 };
        let back = unproject(project(chongqing));
        assert!((back.x - chongqing.x).abs() < 1e-9 && (back.y - chongqing.y).abs() < 1e-9);
    }
}
