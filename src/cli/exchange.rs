//! `onemap import`, `import-osm`, `export`, `load-demo` and `export-tiles`: data in and out,
//! and offline packages of the map, with progress and a clean Ctrl-C.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};

use super::args::DatabaseArgs;
use super::database::with_database;
use crate::auth::Actor;
use crate::exchange::{Format, demo, export as exporting, import as importing, osm};
use crate::layers;

/// `onemap import`: one file into one layer, in one transaction.
pub async fn import(args: &DatabaseArgs, layer: &str, file: &Path, format: Option<Format>) -> Result<()> {
    let layer = layers::find(layer)?;
    with_database(args, async |db| {
        let summary = importing::import_file(&db.pool, &Actor::command_line(), layer, file, format).await?;
        println!("{summary}");
        Ok(())
    })
    .await
}

/// `onemap import-osm`: the drivable roads of an OpenStreetMap extract.
pub async fn import_osm(args: &DatabaseArgs, file: &Path, bbox: Option<[f64; 4]>, replace_roads: bool) -> Result<()> {
    with_database(args, async |db| {
        println!("{}", osm::import(&db.pool, &Actor::command_line(), file, bbox, replace_roads).await?);
        Ok(())
    })
    .await
}

/// `onemap export`: a layer to a file or standard output.
pub async fn export(args: &DatabaseArgs, layer: &str, format: Format, output: Option<&Path>) -> Result<()> {
    let layer = layers::find(layer)?;
    with_database(args, async |db| {
        let mut out: Box<dyn Write> = match output {
            Some(path) => Box::new(BufWriter::new(
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            )),
            None => Box::new(BufWriter::new(std::io::stdout().lock())),
        };
        let n = exporting::export(&db.pool, layer, format, &mut out).await?;
        eprintln!("exported {n} {} features", layer.name);
        Ok(())
    })
    .await
}

/// `onemap load-demo`: the Chongqing demo data, into an empty database (or `--replace`).
pub async fn load_demo(args: &DatabaseArgs, data: &Path, replace: bool) -> Result<()> {
    with_database(args, async |db| {
        match demo::load(&db.pool, data, replace).await? {
            None => println!("demo data already loaded (use --replace to load it again)"),
            Some(counts) => {
                let parts: Vec<String> = counts.iter().map(|(l, n)| format!("{n} {l}")).collect();
                println!("loaded the Chongqing demo data: {}", parts.join(", "));
                let rivers = std::sync::Arc::new(crate::routing::rivers::load_rivers(&db.pool).await?);
                let plans = crate::exchange::demo_plans::load(&db.pool, rivers.clone(), data).await?;
                // The live checks' first round, so that the map shows the plan to revise at once.
                crate::plans::notices::notice(&db.pool, rivers).await?;
                println!("and {plans} illustrative emergency plans, filed on their clocks and checked against the map");
                let (stations, observations) =
                    crate::exchange::demo_stations::load(&db.pool, chrono::Utc::now()).await?;
                println!(
                    "and {stations} illustrative monitoring stations with {observations} generated hourly readings"
                );
            }
        }
        Ok(())
    })
    .await
}

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
