//! `demine check`: is a place safe? One point, a batch of points from CSV, or a route/site
//! geometry, against every hazardous area that still counts as a hazard.
//!
//! The hazards come from the store (the database chosen by --db/--database-url): every open area
//! with land still hazardous, as its remaining geometry (released land is not a hazard). With
//! `--hazards FILE` they come from a file instead.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use demine_geo::csvfmt::read_points;
use demine_geo::{
    BatchMode, BatchPoint, Collection, Coord, Fault, FileFormat, Geometry, HazardIndex,
    HazardRecord, Hit, hazard_records, read_features,
};

/// Arguments of `demine check`.
#[derive(Debug, Args)]
#[command(
    after_help = "Checks against every hazardous area in the database that still counts as a \
hazard: closed and handed-over areas are left out, and land released by survey or clearance is \
cut out of its area (the check uses each area's remaining hazard). With --hazards FILE, the \
areas of the file instead, leaving out those whose status is cleared, cancelled, closed, handed \
over or released. Distances are \
geodesic on the WGS84 ellipsoid (within 0.5 m up to 5 km); a place inside a hazard is at 0 m.\n\n\
Give exactly one of --lon/--lat, --points or --route.\n\n\
Output: for a point or a route, a report, or with --json: {\"safe\": bool, \"hazards\": [{\"id\", \
\"status\", \"type\", \"distance_m\"}]}, nearest first. For --points, one line per \
flagged point, sorted by point id: `id,hazard_id,distance_m` (the nearest hazard), or only the id \
with --ids-only.\n\n\
Exit status: 0 when nothing is within the distance, 3 when a hazard is within it (or a point is \
flagged), 1 on an error (a bad file or feature, named in the message), 2 on bad usage."
)]
pub struct CheckArgs {
    /// Longitude of the place to check, in WGS84 degrees (east positive).
    #[arg(long, allow_hyphen_values = true, requires = "lat")]
    lon: Option<f64>,
    /// Latitude of the place to check, in WGS84 degrees (north positive).
    #[arg(long, allow_hyphen_values = true, requires = "lon")]
    lat: Option<f64>,
    /// CSV of points to check: columns id,lon,lat (a header naming them, in any order, or none).
    #[arg(long, value_name = "FILE.csv", conflicts_with_all = ["lon", "lat", "route"])]
    points: Option<PathBuf>,
    /// A planned route or site: every line or polygon in the file (GeoJSON, KML, GPX tracks and
    /// routes, CSV with a wkt column) is checked with the distance as a buffer.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["lon", "lat"])]
    route: Option<PathBuf>,
    /// Check against the hazardous areas of a file instead of the database: GeoJSON
    /// (.geojson/.json), KML (.kml), GPX (.gpx: waypoints with a radius) or CSV (.csv: id,
    /// status, and a wkt column or lon/lat with a radius column).
    #[arg(long, value_name = "FILE")]
    hazards: Option<PathBuf>,
    /// Safety distance in metres.
    #[arg(long, value_name = "METRES", default_value_t = 100.0)]
    within: f64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// With --points: print only the flagged point ids (faster: stops at the first hazard found).
    #[arg(long, requires = "points")]
    ids_only: bool,
    /// Threads to use (default: every core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Print the time each phase took to standard error.
    #[arg(long)]
    timings: bool,
}

fn threads(args: &CheckArgs) -> usize {
    args.threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1)
}

/// Reads a geometry file by extension into validated features.
fn read_feature_file(path: &Path, threads: usize) -> Result<Collection> {
    read_features_with(path, threads, &mut Vec::new())
}

/// Reads a whole file into `buf` (reusing its memory).
fn read_file_into(path: &Path, buf: &mut Vec<u8>) -> Result<()> {
    use std::io::Read;
    buf.clear();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(buf))
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(())
}

/// [`read_feature_file`] with a caller's buffer for the file's bytes.
fn read_features_with(path: &Path, threads: usize, bytes: &mut Vec<u8>) -> Result<Collection> {
    let name = path.display().to_string();
    let Some(format) = FileFormat::from_path(path) else {
        let other = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        bail!("{name}: unknown file type {other:?} (expected .geojson, .json, .kml, .gpx or .csv)");
    };
    read_file_into(path, bytes)?;
    let c = read_features(format, &name, bytes, threads)?;
    Ok(c)
}

/// Prints the fixes a reader made (orientation, closing vertex, ...), at most ten of them.
pub(crate) fn report_warnings(name: &str, warnings: &[Fault]) {
    if warnings.is_empty() {
        return;
    }
    eprintln!("{name}: {} fix(es) made while reading:", warnings.len());
    for w in warnings.iter().take(10) {
        eprintln!("  {w}");
    }
    if warnings.len() > 10 {
        eprintln!("  ... and {} more", warnings.len() - 10);
    }
}

/// The hazard records of a file given with `--hazards` (the store is the default source).
/// `buf` holds the file's bytes while it is read; the caller may reuse it afterwards (a batch
/// check reads its points into memory that is already mapped).
pub fn load_hazard_records(
    path: &Path,
    threads: usize,
    buf: &mut Vec<u8>,
) -> Result<Vec<HazardRecord>> {
    let name = path.display().to_string();
    let c = read_features_with(path, threads, buf)?;
    report_warnings(&name, &c.warnings);
    Ok(hazard_records(&name, c.features)?)
}

/// Builds the index from records (status rule: [`demine_geo::counts_as_hazard`]).
pub fn build_index(records: Vec<HazardRecord>) -> Result<HazardIndex> {
    Ok(HazardIndex::build(records)?)
}

struct Clock {
    on: bool,
    t: Instant,
}

impl Clock {
    fn lap(&mut self, what: &str) {
        if self.on {
            eprintln!("{what}: {:.3} s", self.t.elapsed().as_secs_f64());
        }
        self.t = Instant::now();
    }
}

/// The hazard records of the store: one query, decoded on `threads` threads.
fn store_records(db: &crate::registry::DbArgs, threads: usize) -> Result<Vec<HazardRecord>> {
    use demine_store::HazardStore;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let store = db.open_existing().await?;
        store
            .index_records(threads)
            .await
            .map_err(crate::registry::exit_on)
    })
}

/// Runs `demine check`.
pub fn run(db: &crate::registry::DbArgs, args: CheckArgs) -> Result<()> {
    if !(args.within.is_finite() && args.within >= 0.0) {
        bail!(
            "--within must be a non-negative number of metres, not {}",
            args.within
        );
    }
    let modes = [
        args.lon.is_some(),
        args.points.is_some(),
        args.route.is_some(),
    ];
    if modes.iter().filter(|m| **m).count() != 1 {
        bail!("give exactly one of --lon/--lat, --points or --route (see demine check --help)");
    }
    let n = threads(&args);
    let mut clock = Clock {
        on: args.timings,
        t: Instant::now(),
    };
    let mut buf = Vec::new();
    // From the store, the points file is read on another thread meanwhile: loading the hazards
    // keeps mostly one core busy. From a file, both readings share one buffer, one after the other.
    let (records, early_points) = match (&args.hazards, &args.points) {
        (Some(path), _) => (load_hazard_records(path, n, &mut buf)?, None),
        (None, Some(points)) => std::thread::scope(|s| {
            let reader = s.spawn(|| read_batch_points(points, n, &mut Vec::new()));
            let records = store_records(db, n);
            let points = reader
                .join()
                .map_err(|_| anyhow::anyhow!("reading {} stopped", points.display()));
            Ok::<_, anyhow::Error>((records?, Some(points??)))
        })?,
        (None, None) => (store_records(db, n)?, None),
    };
    clock.lap("hazards read");
    let index = build_index(records)?;
    clock.lap("index built");
    if args.timings {
        eprintln!(
            "index: {} hazards ({} left out by status), {} vertices, {:.1} MiB",
            index.len(),
            index.excluded(),
            index.vertex_count(),
            index.heap_bytes() as f64 / 1048576.0
        );
    }
    let unsafe_found = if let (Some(lon), Some(lat)) = (args.lon, args.lat) {
        check_point(&index, lon, lat, &args)?
    } else if let Some(path) = &args.points {
        let points = match early_points {
            Some(points) => points,
            None => read_batch_points(path, n, &mut buf)?,
        };
        clock.lap("points read");
        check_batch(&index, points, &args, n, &mut clock)?
    } else if let Some(route) = &args.route {
        check_route(&index, route, &args, n)?
    } else {
        false
    };
    if unsafe_found {
        std::io::stdout().flush().ok();
        std::process::exit(3);
    }
    Ok(())
}

fn hits_json(hits: &[Hit<'_>]) -> serde_json::Value {
    serde_json::Value::Array(
        hits.iter()
            .map(|h| {
                serde_json::json!({
                    "id": h.hazard.id,
                    "status": h.hazard.status,
                    "type": h.hazard.hazard_type,
                    "distance_m": (h.distance_m * 1000.0).round() / 1000.0,
                })
            })
            .collect(),
    )
}

fn print_hits(what: &str, within: f64, hits: &[Hit<'_>]) {
    if hits.is_empty() {
        println!("SAFE: no hazard within {within} m of {what}");
        return;
    }
    println!(
        "NOT SAFE: {} hazard(s) within {within} m of {what}:",
        hits.len()
    );
    for h in hits {
        let place = if h.distance_m == 0.0 {
            "inside".to_string()
        } else {
            format!("{:.1} m", h.distance_m)
        };
        println!(
            "  hazard {} ({}{}, {}): {place}",
            h.hazard.id,
            h.hazard.status,
            h.hazard
                .hazard_type
                .as_deref()
                .map(|t| format!(", {t}"))
                .unwrap_or_default(),
            h.hazard.geometry_type
        );
    }
}

fn check_point(index: &HazardIndex, lon: f64, lat: f64, args: &CheckArgs) -> Result<bool> {
    if !(lon.is_finite() && lon.abs() <= 180.0) {
        bail!("--lon {lon} is out of range -180..180");
    }
    if !(lat.is_finite() && lat.abs() <= 90.0) {
        bail!(
            "--lat {lat} is out of range -90..90{}",
            if lon.abs() <= 90.0 {
                " (are --lon and --lat swapped?)"
            } else {
                ""
            }
        );
    }
    let hits = index.query_point(Coord::new(lon, lat), args.within);
    if args.json {
        let v = serde_json::json!({ "safe": hits.is_empty(), "hazards": hits_json(&hits) });
        println!("{v}");
    } else {
        print_hits(&format!("({lon}, {lat})"), args.within, &hits);
    }
    Ok(!hits.is_empty())
}

fn check_route(index: &HazardIndex, route: &Path, args: &CheckArgs, n: usize) -> Result<bool> {
    let name = route.display().to_string();
    let c = read_feature_file(route, n)?;
    report_warnings(&name, &c.warnings);
    let geoms: Vec<Geometry> = c.features.into_iter().filter_map(|f| f.geometry).collect();
    if geoms.is_empty() {
        bail!("{name}: no geometry to check");
    }
    let mut best: std::collections::BTreeMap<i64, Hit<'_>> = std::collections::BTreeMap::new();
    for g in &geoms {
        for h in index.query_geometry(g, args.within) {
            match best.get(&h.hazard.id) {
                Some(old) if old.distance_m <= h.distance_m => {}
                _ => {
                    best.insert(h.hazard.id, h);
                }
            }
        }
    }
    let mut hits: Vec<Hit<'_>> = best.into_values().collect();
    hits.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then(a.hazard.id.cmp(&b.hazard.id))
    });
    if args.json {
        let v = serde_json::json!({ "safe": hits.is_empty(), "hazards": hits_json(&hits) });
        println!("{v}");
    } else {
        print_hits(&format!("the route in {name}"), args.within, &hits);
    }
    Ok(!hits.is_empty())
}

fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_i64(buf: &mut Vec<u8>, v: i64) {
    if v < 0 {
        buf.push(b'-');
    }
    push_u64(buf, v.unsigned_abs());
}

/// Writes a non-negative distance with 3 decimals (millimetres).
fn push_metres(buf: &mut Vec<u8>, d: f64) {
    let mm = (d * 1000.0).round() as u64;
    push_u64(buf, mm / 1000);
    buf.push(b'.');
    let f = mm % 1000;
    buf.extend_from_slice(&[
        b'0' + (f / 100) as u8,
        b'0' + (f / 10 % 10) as u8,
        b'0' + (f % 10) as u8,
    ]);
}

/// Reads and parses the CSV of points to check, using `buf` for the file's bytes (released after).
fn read_batch_points(path: &Path, n: usize, buf: &mut Vec<u8>) -> Result<Vec<BatchPoint>> {
    let name = path.display().to_string();
    read_file_into(path, buf)?;
    let points = read_points(&name, buf, n)?;
    *buf = Vec::new();
    Ok(points)
}

fn check_batch(
    index: &HazardIndex,
    points: Vec<BatchPoint>,
    args: &CheckArgs,
    n: usize,
    clock: &mut Clock,
) -> Result<bool> {
    let mode = if args.ids_only {
        BatchMode::Any
    } else {
        BatchMode::Nearest
    };
    let flags = index.check_points(&points, args.within, mode, n)?;
    clock.lap("points checked");
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let v = serde_json::json!({
            "within_m": args.within,
            "checked": points.len(),
            "flagged": flags.iter().map(|f| if args.ids_only {
                serde_json::json!({ "id": f.point_id })
            } else {
                serde_json::json!({
                    "id": f.point_id,
                    "hazard_id": f.hazard_id,
                    "distance_m": (f.distance_m * 1000.0).round() / 1000.0,
                })
            }).collect::<Vec<_>>(),
        });
        writeln!(out, "{v}")?;
    } else {
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
        for f in &flags {
            push_i64(&mut buf, f.point_id);
            if !args.ids_only {
                buf.push(b',');
                push_i64(&mut buf, f.hazard_id);
                buf.push(b',');
                push_metres(&mut buf, f.distance_m);
            }
            buf.push(b'\n');
            if buf.len() > (1 << 20) - 64 {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        out.write_all(&buf)?;
    }
    out.flush()?;
    clock.lap("output written");
    if args.timings {
        eprintln!("{} points checked, {} flagged", points.len(), flags.len());
    }
    Ok(!flags.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formatting() {
        let mut b = Vec::new();
        push_i64(&mut b, -120);
        b.push(b' ');
        push_metres(&mut b, 99.9996);
        b.push(b' ');
        push_metres(&mut b, 0.0);
        b.push(b' ');
        push_metres(&mut b, 12.05);
        assert_eq!(String::from_utf8(b).unwrap(), "-120 100.000 0.000 12.050");
    }
}
