//! Geometries from well-known binary, as PostGIS's `ST_AsBinary` writes them: read a million
//! roads without printing and parsing their coordinates as text.

use anyhow::{Context, Result, bail};
use geo::{Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

/// Nesting of geometry collections read at most (PostGIS writes what it stores; this only
/// stops a malicious blob from recursing without end).
const MAX_DEPTH: usize = 8;

/// A two-dimensional geometry from WKB (either byte order).
pub fn geometry_from_wkb(bytes: &[u8]) -> Result<Geometry<f64>> {
    let mut reader = Reader { bytes, at: 0, little: true };
    let geometry = reader.geometry(0)?;
    if reader.at != bytes.len() {
        bail!("{} bytes after the geometry", bytes.len() - reader.at);
    }
    Ok(geometry)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    little: bool,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let end = self.at + N;
        let slice = self.bytes.get(self.at..end).context("WKB ends early")?;
        self.at = end;
        Ok(slice.try_into().expect("N bytes"))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take::<4>()?;
        Ok(if self.little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }

    fn f64(&mut self) -> Result<f64> {
        let b = self.take::<8>()?;
        Ok(if self.little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) })
    }

    /// A count, checked against the bytes left (each item takes at least `min_bytes`), so a
    /// forged count cannot reserve memory the blob does not hold.
    fn count(&mut self, min_bytes: usize) -> Result<usize> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_bytes) > self.bytes.len() - self.at {
            bail!("WKB count {n} exceeds its bytes");
        }
        Ok(n)
    }

    fn coord(&mut self) -> Result<Coord<f64>> {
        Ok(Coord { x: self.f64()?, y: self.f64()? })
    }

    fn line(&mut self) -> Result<LineString<f64>> {
        let n = self.count(16)?;
        (0..n).map(|_| self.coord()).collect::<Result<Vec<_>>>().map(LineString)
    }

    fn polygon(&mut self) -> Result<Polygon<f64>> {
        let rings = self.count(4)?;
        let mut lines = (0..rings).map(|_| self.line()).collect::<Result<Vec<_>>>()?.into_iter();
        let exterior = lines.next().unwrap_or_else(|| LineString(Vec::new()));
        Ok(Polygon::new(exterior, lines.collect()))
    }

    /// The parts of a multi-geometry, each a whole WKB geometry of kind `part`.
    fn parts<T>(&mut self, depth: usize, part: fn(Geometry<f64>) -> Option<T>) -> Result<Vec<T>> {
        let n = self.count(5)?;
        (0..n).map(|_| part(self.geometry(depth + 1)?).context("a multi-geometry holds another kind")).collect()
    }

    fn geometry(&mut self, depth: usize) -> Result<Geometry<f64>> {
        if depth > MAX_DEPTH {
            bail!("WKB nested deeper than {MAX_DEPTH}");
        }
        self.little = match self.take::<1>()?[0] {
            0 => false,
            1 => true,
            b => bail!("WKB byte order {b}"),
        };
        let kind = self.u32()?;
        Ok(match kind {
            1 => Geometry::Point(Point(self.coord()?)),
            2 => Geometry::LineString(self.line()?),
            3 => Geometry::Polygon(self.polygon()?),
            4 => Geometry::MultiPoint(MultiPoint(self.parts(depth, |g| Point::try_from(g).ok())?)),
            5 => Geometry::MultiLineString(MultiLineString(self.parts(depth, |g| LineString::try_from(g).ok())?)),
            6 => Geometry::MultiPolygon(MultiPolygon(self.parts(depth, |g| Polygon::try_from(g).ok())?)),
            7 => Geometry::GeometryCollection(GeometryCollection(self.parts(depth, Some)?)),
            _ => bail!("WKB geometry type {kind} (only two-dimensional geometries are read)"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn reads_both_byte_orders() {
        // ST_AsBinary('POINT(1 2)'::geometry, 'NDR') and 'XDR'.
        let little = hex("0101000000000000000000F03F0000000000000040");
        let big = hex("00000000013FF00000000000004000000000000000");
        for bytes in [little, big] {
            assert_eq!(geometry_from_wkb(&bytes).unwrap(), Geometry::Point(Point::new(1.0, 2.0)));
        }
    }

    #[test]
    fn refuses_what_is_not_whole_or_not_plain() {
        let point = hex("0101000000000000000000F03F0000000000000040");
        assert!(geometry_from_wkb(&point[..point.len() - 1]).is_err());
        let mut longer = point.clone();
        longer.push(0);
        assert!(geometry_from_wkb(&longer).is_err());
        // A point with Z (ISO type 1001).
        assert!(geometry_from_wkb(&hex("01E9030000000000000000F03F00000000000000400000000000000840")).is_err());
        // A line claiming four billion points in a few bytes.
        assert!(geometry_from_wkb(&hex("0102000000FFFFFFFF00")).is_err());
    }
}
