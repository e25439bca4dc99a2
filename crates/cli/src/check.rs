//! `demine check`: is a place safe? One point, a batch of points from CSV, or a route/site
//! geometry, against every hazardous area that still counts as a hazard.
//!
//! The hazards come from the store (the database chosen by --db/--database-url): every area the
//! hazard rule (`demine_core::hazard::counts_as_hazard`) keeps, as its remaining geometry
//! (released land is not a hazard). With `--hazards FILE` they come from a file instead.
//!
//! "Safe" is only said about a place the data covers: elsewhere the answer is "no hazard data
//! here", with its own exit code, never "safe". The check itself is `demine_app`'s: this module
//! reads the files, calls it and prints the answer.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use demine_app::{
    App, BatchCheck, BatchDetail, Checker, HazardHit, PointCheck, RouteCheck, Verdict,
};
use demine_geo::csvfmt::{PointBatch, read_point_batch};
use demine_geo::{
    Collection, Fault, FileFormat, Geometry, HazardRecord, hazard_records, read_features,
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
\"Safe\" is only said about a place the hazard data covers. The database covers the States \
(bundled Natural Earth boundaries) under which at least one hazardous area is filed, whatever its \
status, and the box around the areas filed under no State, widened by --within; but not a place \
within --within of another State without data (on or near a border, hazards across it are \
unknown). A file given with --hazards covers the box around all its areas (any status), widened \
by --within. A place \
in another State, at sea or on an empty database gets \"NO DATA: no hazard data for <State> \
here\" and exit status 4, never \"safe\". A place within the distance of a hazard is flagged \
whatever the coverage.\n\n\
Output: for a point, a report, or with --json: {\"safe\": bool, \"status\": \
\"safe\"|\"hazard\"|\"no-data\", \"state\": ISO3 or null (for no-data), \"hazards\": [{\"id\", \
\"status\", \"type\", \"distance_m\"}]}, nearest first. For a route, the same plus \"features\": \
[{\"index\", \"status\", \"states\" (for no-data)}], one per line or polygon of the file. For \
--points, one line per flagged or uncovered point, sorted by point id (ids are text, kept as \
given; whole numbers by value, before text ids): `id,hazard_id,distance_m` \
(the nearest hazard) or `id,no-data,` (no hazard data there; safe points are not listed); with \
--json {\"within_m\", \"checked\", \"status\", \"safe\", \"flagged\": [...], \"no_data\": [{\"id\", \
\"status\"}]}. With --ids-only, only the flagged ids, and a count of the uncovered points on \
standard error.\n\n\
Exit status: 0 safe (nothing within the distance, and every place covered by hazard data); 3 a \
hazard is within the distance (a point or route feature is flagged; this outranks no data); 4 \
no hazard data for at least one place, and nothing flagged; 1 on an error (a bad file or \
feature, named in the message, or a failed worker thread: no partial answer is given); 2 on bad \
usage."
)]
pub struct CheckArgs {
    /// Longitude of the place to check, in WGS84 degrees (east positive).
    #[arg(long, allow_hyphen_values = true, requires = "lat")]
    lon: Option<f64>,
    /// Latitude of the place to check, in WGS84 degrees (north positive).
    #[arg(long, allow_hyphen_values = true, requires = "lon")]
    lat: Option<f64>,
    /// Points to check: a CSV with columns id,lon,lat (a header naming them, in any order, or
    /// none), or a GPX file whose waypoints are the points, named by their <name>. Ids are text
    /// ("WP001", "Mine 12b"); an empty id or one given twice is refused with both lines.
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
    /// With --hazards: the radius in metres of every point hazard that has none (reported per
    /// point). Without it, such a point is refused: demine never guesses a radius.
    #[arg(long, value_name = "METRES", requires = "hazards")]
    default_radius: Option<f64>,
    /// Safety distance in metres.
    #[arg(
        long,
        value_name = "METRES",
        default_value_t = 100.0,
        allow_hyphen_values = true
    )]
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
    default_radius: Option<f64>,
    buf: &mut Vec<u8>,
) -> Result<Vec<HazardRecord>> {
    let name = path.display().to_string();
    let mut c = read_features_with(path, threads, buf)?;
    if let Some(r) = default_radius {
        demine_geo::apply_default_radius(&mut c, r);
    }
    report_warnings(&name, &c.warnings);
    Ok(hazard_records(&name, c.features)?)
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

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The geometries of a route or site file, each with its position in the file.
fn read_route(route: &Path, n: usize) -> Result<(String, Vec<(usize, Geometry)>)> {
    let name = route.display().to_string();
    let c = read_feature_file(route, n)?;
    report_warnings(&name, &c.warnings);
    let geoms: Vec<(usize, Geometry)> = c
        .features
        .into_iter()
        .filter_map(|f| f.geometry.map(|g| (f.index, g)))
        .collect();
    if geoms.is_empty() {
        bail!("{name}: no geometry to check");
    }
    Ok((name, geoms))
}

/// Runs `demine check`; returns the exit code of its answer (0 safe, 3 hazard, 4 no data).
pub fn run(db: &crate::registry::DbArgs, args: CheckArgs) -> Result<u8> {
    demine_app::check::valid_within(args.within)?;
    demine_app::hazards::check_default_radius(args.default_radius)?;
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
    let verdict = match &args.hazards {
        Some(path) => {
            let mut buf = Vec::new();
            let records = load_hazard_records(path, n, args.default_radius, &mut buf)?;
            clock.lap("hazards read");
            let checker = Checker::from_file(records, &path.display().to_string())?;
            clock.lap("index built");
            timings(&args, &checker);
            check_with(&checker, &args, n, &mut clock, &mut buf)?
        }
        None => check_store(db, &args, n, &mut clock)?,
    };
    Ok(verdict.exit_code())
}

/// Prints the index's size with --timings.
fn timings(args: &CheckArgs, checker: &Checker) {
    if args.timings {
        let index = checker.index();
        eprintln!(
            "index: {} hazards ({} left out by status), {} vertices, {:.1} MiB",
            index.len(),
            index.excluded(),
            index.vertex_count(),
            index.heap_bytes() as f64 / 1048576.0
        );
    }
}

/// Checks against a checker already built (from a file).
fn check_with(
    checker: &Checker,
    args: &CheckArgs,
    n: usize,
    clock: &mut Clock,
    buf: &mut Vec<u8>,
) -> Result<Verdict> {
    if let (Some(lon), Some(lat)) = (args.lon, args.lat) {
        let r = checker.check_point(lon, lat, args.within)?;
        print_point(&r, args);
        Ok(r.status)
    } else if let Some(path) = &args.points {
        let points = read_batch_points(path, n, buf)?;
        clock.lap("points read");
        let name = path.display().to_string();
        let r = checker.check_points(&name, &points, args.within, detail(args), n)?;
        clock.lap("points and coverage checked");
        print_batch(&r, &name, args, clock)?;
        Ok(r.status)
    } else if let Some(route) = &args.route {
        let (name, geoms) = read_route(route, n)?;
        let r = checker.check_route(&name, &geoms, args.within, n)?;
        print_route(&r, &name, args);
        Ok(r.status)
    } else {
        bail!("give exactly one of --lon/--lat, --points or --route (see demine check --help)");
    }
}

fn detail(args: &CheckArgs) -> BatchDetail {
    if args.ids_only {
        BatchDetail::IdsOnly
    } else {
        BatchDetail::Nearest
    }
}

/// Checks against the store: one point or a route reads only the areas near it (the store's box
/// index); a batch uses the whole index, while its points file is read on another thread.
fn check_store(
    db: &crate::registry::DbArgs,
    args: &CheckArgs,
    n: usize,
    clock: &mut Clock,
) -> Result<Verdict> {
    let rt = runtime()?;
    let store = rt.block_on(db.open_existing())?;
    let app = App::new(store).with_threads(n);
    let session = app.session(db.requester());
    if let (Some(lon), Some(lat)) = (args.lon, args.lat) {
        let r = rt.block_on(session.check_point_nearby(lon, lat, args.within))?;
        clock.lap("checked");
        print_point(&r, args);
        return Ok(r.status);
    }
    if let Some(route) = &args.route {
        let (name, geoms) = read_route(route, n)?;
        let r = rt.block_on(session.check_route_nearby(&name, &geoms, args.within))?;
        clock.lap("checked");
        print_route(&r, &name, args);
        return Ok(r.status);
    }
    let Some(path) = &args.points else {
        bail!("give exactly one of --lon/--lat, --points or --route (see demine check --help)");
    };
    // Loading the hazards keeps mostly one core busy: the points are read meanwhile.
    let (checker, points) = std::thread::scope(|s| {
        let reader = s.spawn(|| read_batch_points(path, n, &mut Vec::new()));
        let checker: Result<Arc<Checker>> = rt.block_on(app.checker()).map_err(Into::into);
        let points = reader.join().map_err(|_| {
            anyhow::anyhow!(
                "reading {}: the reading thread failed; nothing was checked",
                path.display()
            )
        });
        Ok::<_, anyhow::Error>((checker?, points??))
    })?;
    clock.lap("hazards read, index built, points read");
    timings(args, &checker);
    let name = path.display().to_string();
    let mut r = checker.check_points(&name, &points, args.within, detail(args), n)?;
    if session.requester().access < demine_app::Access::Operational {
        r.flagged.iter_mut().for_each(|f| {
            f.hazard_id = None;
            f.distance_m = None;
        });
    }
    clock.lap("points and coverage checked");
    print_batch(&r, &name, args, clock)?;
    Ok(r.status)
}

fn print_point(r: &PointCheck, args: &CheckArgs) {
    if args.json {
        println!("{}", serde_json::to_string(r).unwrap_or_default());
        return;
    }
    let what = format!("({}, {})", r.place.lon, r.place.lat);
    match &r.no_data {
        Some(nd) => println!(
            "NO DATA: {}: {what} is not known to be safe; nothing can be said about hazards \
             within {} m",
            nd.reason, args.within
        ),
        None => print_hits(&what, args.within, &r.hazards, r.status),
    }
}

fn print_route(r: &RouteCheck, name: &str, args: &CheckArgs) {
    if args.json {
        println!("{}", serde_json::to_string(r).unwrap_or_default());
        return;
    }
    let what = format!("the route in {name}");
    if r.status != Verdict::NoData || !r.hazards.is_empty() {
        print_hits(&what, args.within, &r.hazards, r.status);
    }
    for f in r.features.iter().filter(|f| f.status == Verdict::NoData) {
        println!(
            "NO DATA: {} along feature #{} of {what}: not known to be safe ({} has no \
             hazardous area covering it)",
            f.reason.as_deref().unwrap_or("no hazard data"),
            f.index,
            r.source
        );
    }
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

/// Reads and parses the points to check, using `buf` for the file's bytes (released after): a
/// CSV (`id,lon,lat`), or a GPX file whose waypoints are the points, each named by its `<name>`.
/// Ids stay the text they are; an empty id or an id given twice is refused.
fn read_batch_points(path: &Path, n: usize, buf: &mut Vec<u8>) -> Result<PointBatch> {
    let name = path.display().to_string();
    read_file_into(path, buf)?;
    if buf.iter().all(u8::is_ascii_whitespace) {
        bail!("{name}: no points to check (the file is empty)");
    }
    let is_gpx = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gpx"));
    let points = if is_gpx {
        gpx_points(&name, buf)?
    } else {
        read_point_batch(&name, buf, n)?
    };
    *buf = Vec::new();
    Ok(points)
}

/// The waypoints of a GPX file as points named by their `<name>`. A track or route is refused
/// (check it with --route), and so is a waypoint without a name.
fn gpx_points(name: &str, bytes: &[u8]) -> Result<PointBatch> {
    let c = demine_geo::gpx::read_gpx(name, bytes)?;
    let mut items = Vec::with_capacity(c.features.len());
    for (k, f) in c.features.iter().enumerate() {
        match &f.geometry {
            Some(Geometry::Point(p)) => items.push((
                f.properties.name.clone().unwrap_or_default(),
                *p,
                format!("waypoint {} (GPX item {})", items.len() + 1, k + 1),
            )),
            _ => bail!(
                "{name}: GPX item {} is a track or route, not a waypoint: check it with --route",
                k + 1
            ),
        }
    }
    Ok(PointBatch::new(name, items)?)
}

/// Writes a point id as one CSV field (quoted when it holds a comma, a quote or a line break).
fn push_id(buf: &mut Vec<u8>, id: &str) {
    if id.contains([',', '"', '\n', '\r']) {
        buf.push(b'"');
        buf.extend_from_slice(id.replace('"', "\"\"").as_bytes());
        buf.push(b'"');
    } else {
        buf.extend_from_slice(id.as_bytes());
    }
}

fn print_batch(r: &BatchCheck, name: &str, args: &CheckArgs, clock: &mut Clock) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        // Buffered: standard output is line-buffered, and the serializer writes a few bytes at
        // a time (a million flagged points made it a tenth of the batch check's time).
        let mut w = std::io::BufWriter::with_capacity(1 << 20, &mut out);
        serde_json::to_writer(&mut w, r)?;
        w.write_all(b"\n")?;
        w.flush()?;
    } else {
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
        // Flagged and uncovered points, merged by id (uncovered ones only without --ids-only).
        let mut f = r.flagged.iter().peekable();
        let mut nd = if args.ids_only {
            &[][..]
        } else {
            &r.no_data[..]
        }
        .iter()
        .peekable();
        loop {
            let flagged_next = match (f.peek(), nd.peek()) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(a), Some(b)) => demine_app::check::id_order(&a.id, &b.id).is_le(),
            };
            if flagged_next {
                let Some(f) = f.next() else { break };
                push_id(&mut buf, &f.id);
                if let (Some(h), Some(d)) = (f.hazard_id, f.distance_m) {
                    buf.push(b',');
                    push_i64(&mut buf, h);
                    buf.push(b',');
                    push_metres(&mut buf, d);
                }
                buf.push(b'\n');
            } else {
                let Some(p) = nd.next() else { break };
                push_id(&mut buf, &p.id);
                buf.extend_from_slice(b",no-data,\n");
            }
            if buf.len() > (1 << 20) - 64 {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        out.write_all(&buf)?;
    }
    out.flush()?;
    clock.lap("output written");
    if !r.no_data.is_empty() {
        let shown: Vec<String> = r.no_data.iter().take(10).map(|p| p.id.clone()).collect();
        eprintln!(
            "{name}: {} of {} point(s) have no hazard data ({}) and are not known to be safe: \
             ids {}{}{}",
            r.no_data.len(),
            r.checked,
            r.no_data_reason
                .as_deref()
                .unwrap_or("outside what the data covers"),
            shown.join(", "),
            if r.no_data.len() > shown.len() {
                ", ..."
            } else {
                ""
            },
            if args.ids_only && !args.json {
                " (listed as `id,no-data,` without --ids-only)"
            } else {
                ""
            }
        );
    }
    if args.timings {
        eprintln!(
            "{} points checked, {} flagged, {} without hazard data",
            r.checked,
            r.flagged.len(),
            r.no_data.len()
        );
    }
    Ok(())
}

fn print_hits(what: &str, within: f64, hits: &[HazardHit], status: Verdict) {
    if hits.is_empty() && status == Verdict::Hazard {
        // The hazards were withheld from this reader: the verdict stands.
        println!("NOT SAFE: a hazard is within {within} m of {what}");
        return;
    }
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
            h.id,
            h.status,
            h.hazard_type
                .as_deref()
                .map(|t| format!(", {t}"))
                .unwrap_or_default(),
            h.geometry_type
        );
    }
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
