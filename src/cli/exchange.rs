//! `onemap export-tiles`: offline packages of the map, with progress and a clean Ctrl-C.

use std::path::Path;

use anyhow::{Context, Result};

use super::args::DatabaseArgs;
use super::database::with_database;

/// The risk model in `path`, or the built-in one.
pub fn risk_model(path: Option<&Path>) -> Result<crate::risk::model::Model> {
    match path {
        Some(path) => crate::risk::model::Model::parse(
            &std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
        )
        .with_context(|| format!("{}", path.display())),
        None => Ok(crate::risk::model::Model::builtin()),
    }
}

/// `onemap export-tiles`: checks everything it can before the database, shows progress, and
/// on Ctrl-C removes the unfinished archive.
pub async fn export_tiles(
    args: &DatabaseArgs,
    output: &Path,
    minzoom: u8,
    maxzoom: u8,
    bbox: Option<[f64; 4]>,
    names: Option<Vec<String>>,
    model: Option<&Path>,
) -> Result<()> {
    use crate::exchange::package;
    use crate::tiles::package::Extent;
    let kind = package::Kind::of(output)?;
    if let Some(b) = bbox {
        Extent::new(minzoom, maxzoom, b)?.count()?;
    }
    let model = risk_model(model)?;
    with_database(args, async |db| {
        let layers = package::layers(&db.pool, model, names.as_deref()).await?;
        let bbox = bbox.or_else(|| package::data_bbox(&layers)).context("the layers are empty: give --bbox")?;
        let extent = Extent::new(minzoom, maxzoom, bbox)?;
        let total = extent.count()?;
        let bar = indicatif::ProgressBar::new(total).with_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} tiles, {elapsed} ({eta} left)")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let (out, shown) = (output.to_path_buf(), bar.clone());
        let work = async move {
            match kind {
                package::Kind::PmTiles => {
                    tokio::task::spawn_blocking(move || {
                        package::write(&out, &layers, &extent, |n| shown.set_position(n))
                    })
                    .await?
                }
                package::Kind::MbTiles => {
                    package::write_mbtiles(&out, &layers, &extent, |n| shown.set_position(n)).await
                }
            }
        };
        let written = tokio::select! {
            done = work => done?,
            _ = tokio::signal::ctrl_c() => {
                let _ = std::fs::remove_file(crate::tiles::package::partial_path(output));
                anyhow::bail!("interrupted: no package written");
            }
        };
        bar.finish_and_clear();
        println!(
            "wrote {}: {} tiles with data of {} over z{minzoom}–z{maxzoom}, {:.1} MB",
            output.display(),
            written.stored,
            written.tiles,
            written.bytes as f64 / 1e6,
        );
        if kind == package::Kind::PmTiles {
            println!("and {}: open it in a browser and choose the package", package::field_page_path(output).display());
        }
        Ok(())
    })
    .await
}
