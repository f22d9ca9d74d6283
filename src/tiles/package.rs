//! Offline packages: the one map's tiles (and the risk layers') over a box and zooms as one
//! PMTiles v3 archive or MBTiles file, each tile the same bytes the server serves. The archive is written under
//! a temporary name and renamed only when complete, so an interrupted export leaves nothing that
//! looks like a finished file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use pmtiles::{PmTilesWriter, TileCoord, TileType};

use super::{MAX_ZOOM, TileId, encode};
use crate::snapshot::LayerSnapshot;

/// Most tiles one package may hold (z16 over the whole of Chongqing is about 600,000).
pub const MAX_TILES: u64 = 2_000_000;

/// What to package.
#[derive(Debug, Clone)]
pub struct Extent {
    /// Lowest zoom.
    pub min_zoom: u8,
    /// Highest zoom.
    pub max_zoom: u8,
    /// [west, south, east, north] in degrees.
    pub bbox: [f64; 4],
}

impl Extent {
    /// Checks the zooms and the box.
    pub fn new(min_zoom: u8, max_zoom: u8, bbox: [f64; 4]) -> Result<Self> {
        if min_zoom > max_zoom {
            bail!("--minzoom {min_zoom} is above --maxzoom {max_zoom}");
        }
        if max_zoom > MAX_ZOOM {
            bail!("--maxzoom {max_zoom} is above {MAX_ZOOM}");
        }
        let [w, s, e, n] = bbox;
        if !(-180.0..=180.0).contains(&w)
            || !(-180.0..=180.0).contains(&e)
            || !(-90.0..=90.0).contains(&s)
            || !(-90.0..=90.0).contains(&n)
        {
            bail!("the box {w},{s},{e},{n} is outside the world (longitude −180–180, latitude −90–90)");
        }
        if w >= e || s >= n {
            bail!("the box {w},{s},{e},{n} is empty: west must be below east and south below north");
        }
        Ok(Self { min_zoom, max_zoom, bbox })
    }

    /// The tile ranges covering the box at each zoom: (zoom, north-west tile, south-east tile).
    fn ranges(&self) -> Result<Vec<(u8, TileId, TileId)>> {
        let [w, s, e, n] = self.bbox;
        (self.min_zoom..=self.max_zoom)
            .map(|z| {
                let low = TileId::containing(w, n, z).map_err(anyhow::Error::msg)?;
                let high = TileId::containing(e, s, z).map_err(anyhow::Error::msg)?;
                Ok((z, low, high))
            })
            .collect()
    }

    /// How many tiles cover the box, refused above [`MAX_TILES`] (counted, not listed).
    pub fn count(&self) -> Result<u64> {
        let count: u64 = self
            .ranges()?
            .iter()
            .map(|(_, low, high)| u64::from(high.x - low.x + 1) * u64::from(high.y - low.y + 1))
            .sum();
        if count > MAX_TILES {
            bail!("{count} tiles: more than {MAX_TILES}; lower --maxzoom or give a smaller --bbox");
        }
        Ok(count)
    }

    /// The tiles covering the box at each zoom, in the archive's (Hilbert) order.
    pub fn tiles(&self) -> Result<Vec<TileId>> {
        let mut tiles = Vec::with_capacity(self.count()? as usize);
        for (z, low, high) in self.ranges()? {
            for x in low.x..=high.x {
                for y in low.y..=high.y {
                    tiles.push(TileId { z, x, y });
                }
            }
        }
        tiles.sort_by_key(|t| archive_id(*t));
        Ok(tiles)
    }

    /// The package's centre and the zoom to open it at.
    fn center(&self) -> (f64, f64, u8) {
        let [w, s, e, n] = self.bbox;
        ((w + e) / 2.0, (s + n) / 2.0, self.min_zoom.max(self.max_zoom.min(8)))
    }
}

/// A tile's id in a PMTiles archive (its place on the Hilbert curve of its zoom).
fn archive_id(t: TileId) -> u64 {
    TileCoord::new(t.z, t.x, t.y).map(|c| pmtiles::TileId::from(c).value()).unwrap_or(u64::MAX)
}

/// A tile of `layers` as the server answers it: each layer encoded on its own, concatenated
/// (protobuf reads the concatenation as one tile with every layer).
pub fn tile(layers: &[Arc<LayerSnapshot>], id: TileId) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    for layer in layers {
        bytes.extend(encode::encode(&[&**layer], id)?);
    }
    Ok(bytes)
}

/// What a package holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Tiles looked at.
    pub tiles: u64,
    /// Tiles with something in them (the empty ones are not stored).
    pub stored: u64,
    /// Size of the archive, bytes.
    pub bytes: u64,
}

/// Writes the tiles of `layers` over `extent` to `path` (PMTiles v3, tiles gzip-compressed,
/// `metadata` as its JSON), calling `progress` after each tile. Nothing is left at `path`
/// unless every tile was written.
pub fn write_pmtiles(
    path: &Path,
    layers: &[Arc<LayerSnapshot>],
    extent: &Extent,
    metadata: &serde_json::Value,
    progress: impl Fn(u64),
) -> Result<Written> {
    let tiles = extent.tiles()?;
    let partial = partial_path(path);
    let result = (|| -> Result<Written> {
        let file = File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
        let [w, s, e, n] = extent.bbox;
        let (lon, lat, zoom) = extent.center();
        let mut writer = PmTilesWriter::new(TileType::Mvt)
            .min_zoom(extent.min_zoom)
            .max_zoom(extent.max_zoom)
            .bounds(w, s, e, n)
            .center(lon, lat)
            .center_zoom(zoom)
            .metadata(metadata.to_string())
            .create(file)?;
        let mut stored = 0;
        for (done, id) in tiles.iter().enumerate() {
            let bytes = tile(layers, *id)?;
            if !bytes.is_empty() {
                writer.add_tile(TileCoord::new(id.z, id.x, id.y)?, &bytes)?;
                stored += 1;
            }
            progress(done as u64 + 1);
        }
        writer.finalize()?;
        let bytes = std::fs::metadata(&partial)?.len();
        Ok(Written { tiles: tiles.len() as u64, stored, bytes })
    })();
    finish(&partial, path, result)
}

/// Writes the tiles of `layers` over `extent` to `path` as MBTiles 1.3 (SQLite; tiles
/// gzip-compressed, rows in the TMS scheme the format uses; `metadata` as its `json` and the
/// other keys), calling `progress` after each tile. Nothing is left at `path` unless every tile
/// was written.
pub async fn write_mbtiles(
    path: &Path,
    layers: &[Arc<LayerSnapshot>],
    extent: &Extent,
    metadata: &serde_json::Value,
    progress: impl Fn(u64),
) -> Result<Written> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
    use sqlx::{ConnectOptions, Connection};
    let tiles = extent.tiles()?;
    let partial = partial_path(path);
    let _ = std::fs::remove_file(&partial);
    let result = async {
        let mut db = SqliteConnectOptions::new()
            .filename(&partial)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Off)
            .connect()
            .await
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let mut tx = db.begin().await?;
        sqlx::query("CREATE TABLE metadata (name TEXT PRIMARY KEY, value TEXT)").execute(&mut *tx).await?;
        sqlx::query(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB, \
             PRIMARY KEY (zoom_level, tile_column, tile_row))",
        )
        .execute(&mut *tx)
        .await?;
        let [w, s, e, n] = extent.bbox;
        let (lon, lat, zoom) = extent.center();
        let text = |key: &str| metadata.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let json = serde_json::json!({"vector_layers": metadata.get("vector_layers")});
        for (name, value) in [
            ("name", text("name")),
            ("description", text("description")),
            ("attribution", text("attribution")),
            ("format", "pbf".into()),
            ("type", "overlay".into()),
            ("version", "1".into()),
            ("minzoom", extent.min_zoom.to_string()),
            ("maxzoom", extent.max_zoom.to_string()),
            ("bounds", format!("{w},{s},{e},{n}")),
            ("center", format!("{lon},{lat},{zoom}")),
            ("json", json.to_string()),
        ] {
            sqlx::query("INSERT INTO metadata (name, value) VALUES ($1, $2)")
                .bind(name)
                .bind(value)
                .execute(&mut *tx)
                .await?;
        }
        let mut stored = 0;
        for (done, id) in tiles.iter().enumerate() {
            let bytes = tile(layers, *id)?;
            if !bytes.is_empty() {
                let row = (1i64 << id.z) - 1 - i64::from(id.y);
                sqlx::query("INSERT INTO tiles VALUES ($1, $2, $3, $4)")
                    .bind(i64::from(id.z))
                    .bind(i64::from(id.x))
                    .bind(row)
                    .bind(gzip(&bytes)?)
                    .execute(&mut *tx)
                    .await?;
                stored += 1;
            }
            progress(done as u64 + 1);
        }
        tx.commit().await?;
        db.close().await?;
        let bytes = std::fs::metadata(&partial)?.len();
        anyhow::Ok(Written { tiles: tiles.len() as u64, stored, bytes })
    }
    .await;
    finish(&partial, path, result)
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// Renames the complete `partial` to `path`, or removes it when the writing failed.
fn finish(partial: &Path, path: &Path, result: Result<Written>) -> Result<Written> {
    match result {
        Ok(written) => {
            std::fs::rename(partial, path).with_context(|| format!("cannot move the package to {}", path.display()))?;
            Ok(written)
        }
        Err(err) => {
            let _ = std::fs::remove_file(partial);
            Err(err)
        }
    }
}

/// Where an archive is written until it is complete: beside it, named so no reader takes it
/// for a finished package.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_extents() {
        let chongqing = [105.3, 28.2, 110.2, 32.2];
        assert!(Extent::new(5, 3, chongqing).is_err());
        assert!(Extent::new(0, 23, chongqing).is_err());
        assert!(Extent::new(0, 10, [100.0, 28.0, 190.0, 32.0]).is_err());
        assert!(Extent::new(0, 10, [110.0, 28.0, 105.0, 32.0]).is_err());
        assert!(Extent::new(0, 22, chongqing).unwrap().tiles().is_err(), "too many tiles");
    }

    #[test]
    fn covers_the_box_once_in_hilbert_order() {
        let extent = Extent::new(0, 9, [105.3, 28.2, 110.2, 32.2]).unwrap();
        let tiles = extent.tiles().unwrap();
        let mut ids: Vec<u64> = tiles.iter().map(|t| archive_id(*t)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending, no repeats");
        ids.dedup();
        assert_eq!(ids.len(), tiles.len());
        // Every tile holding a corner of the box is there, at every zoom.
        for z in 0..=9 {
            for (lon, lat) in [(105.3, 28.2), (110.2, 32.2), (105.3, 32.2), (110.2, 28.2)] {
                let t = TileId::containing(lon, lat, z).unwrap();
                assert!(tiles.contains(&t), "{t:?}");
            }
        }
        assert_eq!(tiles.iter().filter(|t| t.z == 0).count(), 1);
    }
}
