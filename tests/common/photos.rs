//! Real photos for the tests: written by GDAL, with a GPS position written by exiftool.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A 64×48 photo written by GDAL in `format` (JPEG or PNG), with a GPS position if `gps`.
pub fn photo(dir: &Path, name: &str, format: &str, gps: bool) -> PathBuf {
    let tif = dir.join(format!("{name}.tif"));
    let out = dir.join(name);
    let run = |cmd: &mut Command| {
        let o = cmd.output().expect("run");
        assert!(o.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    run(Command::new("gdal_create")
        .args(["-of", "GTiff", "-outsize", "64", "48", "-bands", "3"])
        .args(["-burn", "200", "-burn", "80", "-burn", "40"])
        .arg(&tif));
    run(Command::new("gdal_translate").args(["-q", "-of", format]).arg(&tif).arg(&out));
    if gps {
        run(Command::new("exiftool")
            .args([
                "-q",
                "-overwrite_original",
                "-GPSLatitude=29.56",
                "-GPSLatitudeRef=N",
                "-GPSLongitude=106.55",
                "-GPSLongitudeRef=E",
                "-Make=onemap-test",
                "-Orientation#=6",
            ])
            .arg(&out));
    }
    out
}
