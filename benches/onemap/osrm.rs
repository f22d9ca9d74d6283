//! `--with-osrm`: OSRM on the same networks as onemap: contraction hierarchies with its
//! `car.lua` on the generated and OpenStreetMap networks, and MLD with a profile of onemap's own
//! speeds on the real country networks (`country.rs`). The binaries come from PyPI's
//! `osrm-bindings` wheel (unzipped into `target/osrm`; no Python runs them).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use geo::Coord;
use sqlx::PgPool;

const WHEEL: &str = "osrm-bindings==26.10.0";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/osrm")
}

fn run(command: &mut Command) -> Result<()> {
    let output = command.output().with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!("{command:?} failed: {}", String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or(""));
    }
    Ok(())
}

/// Where the OSRM binaries are, fetched from PyPI (once) if they are not there yet.
pub fn binaries() -> Result<PathBuf> {
    let bin = root().join("wheel/osrm/bin");
    if bin.join("osrm-routed").exists() {
        return Ok(bin);
    }
    let download = root().join("download");
    std::fs::create_dir_all(&download)?;
    run(Command::new("python3")
        .args(["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"])
        .args(["--python-version", "3.12", "--platform", "manylinux_2_28_x86_64", WHEEL, "-d"])
        .arg(&download))?;
    let wheel = std::fs::read_dir(&download)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .context("pip downloaded no wheel")?;
    // A wheel is a zip archive; Python's own unzip takes it apart.
    run(Command::new("python3").args(["-m", "zipfile", "-e"]).arg(&wheel).arg(root().join("wheel")))?;
    for entry in std::fs::read_dir(&bin)? {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(entry?.path(), std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(bin)
}

/// The step times written to `timing` by an earlier preparation of the same `pbf` (none when
/// the file is older than the network, or not of `N` numbers).
fn earlier_times<const N: usize>(timing: &Path, pbf: &Path) -> Result<Option<[f64; N]>> {
    let Ok(text) = std::fs::read_to_string(timing) else { return Ok(None) };
    if std::fs::metadata(timing)?.modified()? < std::fs::metadata(pbf)?.modified()? {
        return Ok(None);
    }
    let times: Vec<f64> = text.split_whitespace().filter_map(|t| t.parse().ok()).collect();
    Ok(times.try_into().ok())
}

/// Longest a contraction may run before the benchmark gives up on it (a lattice-like
/// generated network contracts badly: there is little hierarchy to find).
pub const CONTRACT_LIMIT: Duration = Duration::from_secs(10 * 60);

/// A network prepared for OSRM: its `.osrm` base and how long extraction and contraction took.
pub struct Prepared {
    /// The `.osrm` base name.
    pub base: PathBuf,
    /// Seconds of `osrm-extract`.
    pub extract_s: f64,
    /// Seconds of `osrm-contract`.
    pub contract_s: f64,
}

/// Extracts and contracts `pbf` (in `target/osrm/NAME/`) with the car profile; a network
/// prepared before (from the same file) is reused with the times it took then.
pub fn prepare(name: &str, pbf: &Path) -> Result<Prepared> {
    let bin = binaries()?;
    let dir = root().join(name);
    let base = dir.join(format!("{name}.osrm"));
    let timing = dir.join("preparation-seconds");
    if let Some([extract_s, contract_s]) = earlier_times(&timing, pbf)? {
        return Ok(Prepared { base, extract_s, contract_s });
    }
    std::fs::create_dir_all(&dir)?;
    let input = dir.join(format!("{name}.osm.pbf"));
    std::fs::copy(pbf, &input)?;
    let profile = root().join("wheel/osrm/share/profiles/car.lua");
    let t = Instant::now();
    run(Command::new(bin.join("osrm-extract")).arg("-p").arg(&profile).arg(&input).current_dir(&dir))?;
    let extract_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut contract = Command::new(bin.join("osrm-contract"))
        .arg(&base)
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    loop {
        if let Some(status) = contract.try_wait()? {
            if !status.success() {
                bail!("osrm-contract failed");
            }
            break;
        }
        if t.elapsed() > CONTRACT_LIMIT {
            let _ = contract.kill();
            let _ = contract.wait();
            bail!(
                "osrm-contract (CH) had not finished after {:.0} min (extraction took {extract_s:.0} s)",
                CONTRACT_LIMIT.as_secs_f64() / 60.0
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let contract_s = t.elapsed().as_secs_f64();
    std::fs::write(&timing, format!("{extract_s} {contract_s}"))?;
    Ok(Prepared { base, extract_s, contract_s })
}

/// OSRM's profile for onemap's own roads: each way at its `maxspeed` both ways (onemap's speed),
/// no turn, signal or u-turn costs, so OSRM's travel times are onemap's (but for OSRM's
/// haversine lengths and its rounding to tenths of a second per segment).
const SAME_SPEEDS: &str = r#"api_version = 4
function setup()
  return {
    properties = {
      weight_name = 'duration',
      max_speed_for_map_matching = 200 / 3.6,
      process_call_tagless_node = false,
      u_turn_penalty = 0,
      traffic_signal_penalty = 0,
      use_turn_restrictions = false,
      continue_straight_at_waypoint = false
    },
    default_speed = 50
  }
end
function process_node(profile, node, result) end
function process_way(profile, way, result)
  local speed = tonumber(way:get_value_by_key("maxspeed"))
  if speed == nil or speed <= 0 then return end
  result.forward_mode = mode.driving
  result.backward_mode = mode.driving
  if way:get_value_by_key("oneway") == "yes" then result.backward_mode = mode.inaccessible end
  result.forward_speed = speed
  result.backward_speed = speed
end
function process_turn(profile, turn)
  turn.duration = 0
  turn.weight = 0
end
return { setup = setup, process_way = process_way, process_node = process_node, process_turn = process_turn }
"#;

/// A network prepared for OSRM's multi-level Dijkstra, and how long each step took.
pub struct PreparedMld {
    /// The `.osrm` base name.
    pub base: PathBuf,
    /// Seconds of `osrm-extract`.
    pub extract_s: f64,
    /// Seconds of `osrm-partition`.
    pub partition_s: f64,
    /// Seconds of `osrm-customize` (what a change of weights costs).
    pub customize_s: f64,
}

/// Extracts (with the same-speeds profile), partitions and customizes `pbf` in
/// `target/osrm/NAME/`; a network prepared before from the same file is reused with its times.
pub fn prepare_mld(name: &str, pbf: &Path) -> Result<PreparedMld> {
    let bin = binaries()?;
    let dir = root().join(name);
    let base = dir.join(format!("{name}.osrm"));
    let timing = dir.join("mld-seconds");
    if let Some([extract_s, partition_s, customize_s]) = earlier_times(&timing, pbf)? {
        return Ok(PreparedMld { base, extract_s, partition_s, customize_s });
    }
    std::fs::create_dir_all(&dir)?;
    let input = dir.join(format!("{name}.osm.pbf"));
    std::fs::copy(pbf, &input)?;
    let profile = dir.join("same-speeds.lua");
    std::fs::write(&profile, SAME_SPEEDS)?;
    let step = |command: &mut Command| -> Result<f64> {
        let t = Instant::now();
        run(command.current_dir(&dir))?;
        Ok(t.elapsed().as_secs_f64())
    };
    let extract_s = step(Command::new(bin.join("osrm-extract")).arg("-p").arg(&profile).arg(&input))?;
    let partition_s = step(Command::new(bin.join("osrm-partition")).arg(&base))?;
    let customize_s = step(Command::new(bin.join("osrm-customize")).arg(&base))?;
    std::fs::write(&timing, format!("{extract_s} {partition_s} {customize_s}"))?;
    Ok(PreparedMld { base, extract_s, partition_s, customize_s })
}

/// `osrm-routed` over a prepared network; stopped when dropped.
pub struct Routed {
    child: Child,
    url: String,
}

impl Drop for Routed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Routed {
    /// Starts it on a free port (CH, tables up to 1000 points) and waits until it answers.
    pub async fn start(prepared: &Prepared) -> Result<Self> {
        Self::start_with(&prepared.base, "ch").await
    }

    /// Starts it over `base` with `algorithm` (`ch` or `mld`).
    pub async fn start_with(base: &Path, algorithm: &str) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(binaries()?.join("osrm-routed"))
            .args(["--algorithm", algorithm, "--max-table-size", "1000", "-i", "127.0.0.1", "-p", &port.to_string()])
            .arg(base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let routed = Self { child, url: format!("http://127.0.0.1:{port}") };
        for _ in 0..600 {
            if reqwest::get(format!("{}/nearest/v1/driving/0,0", routed.url)).await.is_ok() {
                return Ok(routed);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("osrm-routed did not start")
    }

    /// The travel time of OSRM's `/route` from `a` to `b`, seconds; None when it finds none.
    pub async fn route(&self, client: &reqwest::Client, a: Coord<f64>, b: Coord<f64>) -> Result<Option<f64>> {
        let url = format!(
            "{}/route/v1/driving/{:.7},{:.7};{:.7},{:.7}?overview=full&geometries=geojson",
            self.url, a.x, a.y, b.x, b.y
        );
        let answer: serde_json::Value = client.get(url).send().await?.json().await?;
        Ok(answer["routes"][0]["duration"].as_f64())
    }

    /// The `k` depots nearest to `incident` by OSRM's `/table` from the depots to it:
    /// (depot index, seconds), and the depots' hints (their snaps, which a later request may
    /// pass in `hints` so OSRM need not snap them again — as onemap keeps the depots' snaps).
    pub async fn nearest(
        &self,
        client: &reqwest::Client,
        incident: Coord<f64>,
        depots: &[Coord<f64>],
        hints: Option<&[String]>,
        k: usize,
    ) -> Result<(Vec<(usize, f64)>, Vec<String>)> {
        let points: Vec<String> =
            std::iter::once(incident).chain(depots.iter().copied()).map(|c| format!("{:.7},{:.7}", c.x, c.y)).collect();
        let sources: Vec<String> = (1..=depots.len()).map(|i| i.to_string()).collect();
        let mut url =
            format!("{}/table/v1/driving/{}?sources={}&destinations=0", self.url, points.join(";"), sources.join(";"));
        if let Some(hints) = hints {
            // The incident's is empty: it is snapped anew.
            url.push_str(&format!("&hints=;{}", hints.join(";")));
        }
        let answer: serde_json::Value = client.get(url).send().await?.json().await?;
        let hints: Vec<String> = answer["sources"]
            .as_array()
            .map(|s| s.iter().map(|w| w["hint"].as_str().unwrap_or_default().to_string()).collect())
            .unwrap_or_default();
        let rows = answer["durations"].as_array().context("OSRM answered no durations")?;
        let mut found: Vec<(usize, f64)> =
            rows.iter().enumerate().filter_map(|(i, row)| row[0].as_f64().map(|s| (i, s))).collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        found.truncate(k);
        Ok((found, hints))
    }
}

/// A road as exported: id, class, speed, one-way, longitudes, latitudes.
type Road = (i64, String, f64, bool, Vec<f64>, Vec<f64>);

/// The `route` table of `pool` as an `.osm.pbf` file (ways tagged with their road class, speed
/// and one-way; points shared by coordinate are one node), written as OSM XML and converted by
/// `osmium` (Debian's osmium-tool).
pub async fn export_pbf(pool: &PgPool, path: &Path) -> Result<()> {
    use std::io::Write;
    let rows: Vec<Road> = sqlx::query_as(
        "SELECT id, road_class, speed_kmh, oneway, \
           ARRAY(SELECT ST_X(d.geom) FROM ST_DumpPoints(r.geom) d ORDER BY d.path), \
           ARRAY(SELECT ST_Y(d.geom) FROM ST_DumpPoints(r.geom) d ORDER BY d.path) \
         FROM route r WHERE kind = 'road' ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    let mut nodes: HashMap<(u64, u64), i64> = HashMap::new();
    let mut order: Vec<(f64, f64)> = Vec::new();
    let ways: Vec<Vec<i64>> = rows
        .iter()
        .map(|(_, _, _, _, xs, ys)| {
            xs.iter()
                .zip(ys)
                .map(|(x, y)| {
                    *nodes.entry((x.to_bits(), y.to_bits())).or_insert_with(|| {
                        order.push((*x, *y));
                        order.len() as i64
                    })
                })
                .collect()
        })
        .collect();
    let xml = path.with_extension("").with_extension("osm");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&xml)?);
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" generator=\"onemap bench\">")?;
    for (i, (x, y)) in order.iter().enumerate() {
        writeln!(out, " <node id=\"{}\" version=\"1\" lat=\"{y:.7}\" lon=\"{x:.7}\"/>", i + 1)?;
    }
    for ((id, class, speed, oneway, ..), refs) in rows.iter().zip(&ways) {
        write!(out, " <way id=\"{id}\" version=\"1\">")?;
        for r in refs {
            write!(out, "<nd ref=\"{r}\"/>")?;
        }
        let oneway = if *oneway { "<tag k=\"oneway\" v=\"yes\"/>" } else { "" };
        writeln!(out, "<tag k=\"highway\" v=\"{class}\"/><tag k=\"maxspeed\" v=\"{speed:.0}\"/>{oneway}</way>")?;
    }
    writeln!(out, "</osm>")?;
    out.flush()?;
    drop(out);
    run(Command::new("osmium").args(["cat", "--overwrite", "-o"]).arg(path).arg(&xml))?;
    std::fs::remove_file(&xml)?;
    Ok(())
}
