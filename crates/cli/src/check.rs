//! `demine check`: is a place safe? One point, a batch of points from CSV, or a route/site
//! geometry, against every hazardous area that still counts as a hazard.
//!
//! The hazards come from the store (the database chosen by --db/--database-url): every area the
//! hazard rule (`demine_core::hazard::counts_as_hazard`) keeps, as its remaining geometry
//! (released land is not a hazard). With `--hazards FILE` they come from a file instead.
//!
//! "Safe" is only said about a place the data covers ([`Cover`]): elsewhere the answer is "no
//! hazard data here", with its own exit code, never "safe".

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use demine_geo::csvfmt::read_points;
use demine_geo::geodesy::degree_margins;
use demine_geo::{
    BatchMode, BatchPoint, Bbox, Collection, Coord, Fault, FileFormat, Geometry, HazardIndex,
    HazardRecord, Hit, hazard_records, read_features,
};
use demine_store::boundaries::{self, StateCover};
use demine_store::coverage::HazardCoverage;

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
--points, one line per flagged or uncovered point, sorted by point id: `id,hazard_id,distance_m` \
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

/// The hazard records of the store (one query, decoded on `threads` threads; already selected by
/// the hazard rule) and what the store covers.
fn store_records(
    db: &crate::registry::DbArgs,
    threads: usize,
) -> Result<(Vec<HazardRecord>, HazardCoverage)> {
    use demine_store::HazardStore;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let store = db.open_existing().await?;
        // Store errors are errors (exit 1) here: exit codes 3 and 4 mean hazard and no data.
        // The two queries run side by side (the coverage's are small aggregates).
        let (records, cover) = tokio::join!(
            store.index_records(threads),
            demine_store::coverage::hazard_coverage(&store)
        );
        let mut records = records.context("loading the hazards from the database")?;
        let cover = cover.context("reading what the database covers")?;
        // The store selected these by their stored status; a source word that reads as released
        // (an area reopened since) must not drop them again: show the status that counts.
        for r in &mut records {
            if !demine_geo::counts_as_hazard(&r.status) {
                r.status = demine_core::hazard::AreaStatus::Open.as_str().to_string();
            }
        }
        Ok((records, cover))
    })
}

/// What the hazard data covers: where "safe" may be said. See the command's help and
/// `docs/hazards.md` ("Coverage").
struct Cover {
    /// Boxes covered whole, already widened by the distance.
    boxes: Vec<Bbox>,
    /// Where the covered States' data covers places (None when no State is covered): inside
    /// them, and not within the distance of another State (hazards across that border are not
    /// known).
    states: Option<StateCover>,
    /// The covered States.
    names: std::collections::BTreeSet<String>,
    /// The distance of the check, in metres.
    within: f64,
    /// What the data is, for messages ("the database", or the file's name).
    source: String,
}

/// A box widened by `metres` on every side (at the latitude nearest the equator, where a degree
/// of longitude is longest, so the widening is never more than asked).
/// The box of a ring's vertices.
fn ring_bbox(ring: &[Coord]) -> Option<Bbox> {
    let mut it = ring.iter();
    let mut b = Bbox::of_point(*it.next()?);
    for c in it {
        b.extend(*c);
    }
    Some(b)
}

/// The extent of a file's areas: their latitudes, and the shortest arc of longitudes that holds
/// every area (the circle minus its widest gap), as one box, or two when that arc crosses the
/// antimeridian. Data drawn across ±180 covers a narrow band there, never the whole world.
fn file_extent(parts: &[Bbox]) -> Vec<Bbox> {
    let Some(first) = parts.first() else {
        return Vec::new();
    };
    let (mut min_lat, mut max_lat) = (first.min_lat, first.max_lat);
    let mut spans: Vec<(f64, f64)> = Vec::with_capacity(parts.len());
    for b in parts {
        min_lat = min_lat.min(b.min_lat);
        max_lat = max_lat.max(b.max_lat);
        spans.push((b.min_lon, b.max_lon));
    }
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Merge overlapping spans, then find the widest gap between them, the one across ±180
    // (from the last span's end round to the first span's start) included.
    let mut merged: Vec<(f64, f64)> = Vec::new();
    for (lo, hi) in spans {
        match merged.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    let (Some(&(first_lo, _)), Some(&(_, last_hi))) = (merged.first(), merged.last()) else {
        return Vec::new();
    };
    let mut widest = (first_lo + 360.0 - last_hi, None);
    for (i, w) in merged.windows(2).enumerate() {
        let gap = w[1].0 - w[0].1;
        if gap > widest.0 {
            widest = (gap, Some(i));
        }
    }
    let lat_box = |min_lon, max_lon| Bbox {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    };
    match widest.1 {
        // The widest gap is across ±180: one box from the first span to the last.
        None => vec![lat_box(first_lo, last_hi)],
        // The widest gap is inside: the extent runs east from after it round through ±180.
        Some(i) => vec![
            lat_box(merged[i + 1].0, 180.0),
            lat_box(-180.0, merged[i].1),
        ],
    }
}

fn widen(b: Bbox, metres: f64) -> Bbox {
    let lat = if b.min_lat <= 0.0 && b.max_lat >= 0.0 {
        0.0
    } else {
        b.min_lat.abs().min(b.max_lat.abs())
    };
    let (_, dlat) = degree_margins(0.0, metres);
    let (dlon, _) = degree_margins(lat, metres);
    let dlon = dlon.min(360.0);
    Bbox {
        min_lon: b.min_lon - dlon,
        min_lat: b.min_lat - dlat,
        max_lon: b.max_lon + dlon,
        max_lat: b.max_lat + dlat,
    }
}

fn in_box(b: &Bbox, p: Coord) -> bool {
    b.min_lon <= p.lon && p.lon <= b.max_lon && b.min_lat <= p.lat && p.lat <= b.max_lat
}

impl Cover {
    /// The database's coverage: the States with areas filed under them, and the box of the areas
    /// filed under no State.
    fn of_store(c: &HazardCoverage, within: f64) -> Result<Cover> {
        let states = if c.states.is_empty() {
            None
        } else {
            Some(boundaries::get()?.cover(&c.states, within)?)
        };
        Ok(Cover {
            boxes: c.unfiled.map(|b| widen(b, within)).into_iter().collect(),
            states,
            names: c.states.clone(),
            within,
            source: "the database".into(),
        })
    }

    /// A hazards file's coverage: the box around all its areas, any status.
    fn of_file(records: &[HazardRecord], name: &str, within: f64) -> Cover {
        // One box per polygon (a part split at the antimeridian is a polygon of its own), so
        // that the file's extent can be found on the circle of longitudes.
        let mut parts: Vec<Bbox> = Vec::new();
        for r in records {
            match &r.shape {
                demine_geo::HazardShape::MultiPolygon(ps) => {
                    parts.extend(ps.iter().filter_map(|p| ring_bbox(&p.exterior)));
                }
                other => parts.extend(other.bbox()),
            }
        }
        Cover {
            boxes: file_extent(&parts)
                .into_iter()
                .map(|b| widen(b, within))
                .collect(),
            states: None,
            names: Default::default(),
            within,
            source: name.to_string(),
        }
    }

    fn is_empty(&self) -> bool {
        self.boxes.is_empty() && self.states.is_none()
    }

    /// Whether the data covers `p`.
    fn covers(&self, p: Coord) -> bool {
        self.boxes.iter().any(|b| in_box(b, p)) || self.states.as_ref().is_some_and(|s| s.covers(p))
    }

    /// [`Cover::covers`] for many places: the boxes first, then one batch query of the covered
    /// States' boundaries for the places left.
    fn covers_all(&self, places: &[Coord], threads: usize) -> Result<Vec<bool>> {
        let mut covered: Vec<bool> = places
            .iter()
            .map(|p| self.boxes.iter().any(|b| in_box(b, *p)))
            .collect();
        if let Some(states) = &self.states {
            let (left, at): (Vec<Coord>, Vec<usize>) = places
                .iter()
                .zip(&covered)
                .enumerate()
                .filter(|(_, (_, c))| !**c)
                .map(|(i, (p, _))| (*p, i))
                .unzip();
            for (i, c) in at.into_iter().zip(states.covers_all(&left, threads)?) {
                if let Some(slot) = covered.get_mut(i) {
                    *slot = c;
                }
            }
        }
        Ok(covered)
    }

    /// The States without data that make `p` uncovered: the State it is in, or when that one is
    /// covered, the others within the distance. Empty at sea.
    fn missing_states(&self, p: Coord) -> Vec<String> {
        let at = state_names(p);
        if !at.iter().any(|s| self.names.contains(s)) {
            return at;
        }
        boundaries::get()
            .map(|b| {
                b.states_near(p, self.within)
                    .into_iter()
                    .filter(|s| !self.names.contains(*s))
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Why `p` has no data, in words, and the State it is in (if any).
    fn no_data_reason(&self, p: Coord) -> (String, Option<String>) {
        let states = state_names(p);
        let state = states.first().cloned();
        if states.iter().any(|s| self.names.contains(s)) {
            // In a covered State, but near another one without data.
            let near = self.missing_states(p);
            let text = format!(
                "no hazard data for {} within {} m of here (across the border from {}; {} \
                 holds no hazardous area filed under {})",
                near.join("/"),
                self.within,
                states.join("/"),
                self.source,
                near.join("/")
            );
            return (text, near.first().cloned().or(state));
        }
        let what = if self.is_empty() {
            format!("{} holds no hazardous area at all", self.source)
        } else if self.states.is_none() && self.source != "the database" {
            format!("the place is outside the area {} covers", self.source)
        } else {
            format!(
                "{} holds no hazardous area filed under this State",
                self.source
            )
        };
        let text = match states.as_slice() {
            [] if self.is_empty() => {
                format!("no hazard data here (in no State's boundary: at sea or unmapped; {what})")
            }
            [] => "no hazard data here (in no State's boundary: at sea or unmapped)".to_string(),
            s => format!("no hazard data for {} here ({what})", s.join("/")),
        };
        (text, state)
    }
}

/// The States (ISO3) whose boundary holds `p`; none when the boundaries cannot be read.
fn state_names(p: Coord) -> Vec<String> {
    boundaries::get()
        .map(|b| b.states_at(p).into_iter().map(String::from).collect())
        .unwrap_or_default()
}

/// The answer for one place or feature, in the order the exit code ranks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Safe,
    NoData,
    Hazard,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::NoData => "no-data",
            Verdict::Hazard => "hazard",
        }
    }

    fn exit_code(self) -> i32 {
        match self {
            Verdict::Safe => 0,
            Verdict::NoData => 4,
            Verdict::Hazard => 3,
        }
    }
}

/// Runs `demine check`.
pub fn run(db: &crate::registry::DbArgs, args: CheckArgs) -> Result<()> {
    if !(args.within.is_finite() && args.within >= 0.0) {
        bail!(
            "--within must be a non-negative number of metres, not {}",
            args.within
        );
    }
    if let Some(r) = args.default_radius
        && !demine_geo::valid_radius(r)
    {
        bail!(
            "--default-radius must be a number of metres above 0 and at most {}, not {r}",
            demine_geo::MAX_RADIUS_M
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
    let ((records, from_store), early_points) = match (&args.hazards, &args.points) {
        (Some(path), _) => {
            let records = load_hazard_records(path, n, args.default_radius, &mut buf)?;
            let cover = Cover::of_file(&records, &path.display().to_string(), args.within);
            ((records, Err(cover)), None)
        }
        (None, Some(points)) => std::thread::scope(|s| {
            let reader = s.spawn(|| read_batch_points(points, n, &mut Vec::new()));
            let records = store_records(db, n);
            let points = reader.join().map_err(|_| {
                anyhow::anyhow!(
                    "reading {}: the reading thread failed; nothing was checked",
                    points.display()
                )
            });
            let (records, cover) = records?;
            Ok::<_, anyhow::Error>(((records, Ok(cover)), Some(points??)))
        })?,
        (None, None) => {
            let (records, cover) = store_records(db, n)?;
            ((records, Ok(cover)), None)
        }
    };
    clock.lap("hazards read");
    let (index, cover) = match from_store {
        // The store's query already applied the hazard rule to the stored status.
        Ok(c) => (
            HazardIndex::build_with(records, |_| true)?,
            Cover::of_store(&c, args.within)?,
        ),
        Err(cover) => (build_index(records)?, cover),
    };
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
    let verdict = if let (Some(lon), Some(lat)) = (args.lon, args.lat) {
        check_point(&index, &cover, lon, lat, &args)?
    } else if let Some(path) = &args.points {
        let points = match early_points {
            Some(points) => points,
            None => read_batch_points(path, n, &mut buf)?,
        };
        clock.lap("points read");
        check_batch(&index, &cover, points, &args, n, &mut clock)?
    } else if let Some(route) = &args.route {
        check_route(&index, &cover, route, &args, n)?
    } else {
        bail!("give exactly one of --lon/--lat, --points or --route (see demine check --help)");
    };
    if verdict != Verdict::Safe {
        std::io::stdout().flush().ok();
        std::process::exit(verdict.exit_code());
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

fn check_point(
    index: &HazardIndex,
    cover: &Cover,
    lon: f64,
    lat: f64,
    args: &CheckArgs,
) -> Result<Verdict> {
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
    let p = Coord::new(lon, lat);
    let hits = index.query_point(p, args.within);
    let verdict = if !hits.is_empty() {
        Verdict::Hazard
    } else if cover.covers(p) {
        Verdict::Safe
    } else {
        Verdict::NoData
    };
    let what = format!("({lon}, {lat})");
    if verdict == Verdict::NoData {
        let (reason, state) = cover.no_data_reason(p);
        if args.json {
            let v = serde_json::json!({
                "safe": false,
                "status": verdict.as_str(),
                "state": state,
                "reason": reason,
                "hazards": [],
            });
            println!("{v}");
        } else {
            println!(
                "NO DATA: {reason}: {what} is not known to be safe; nothing can be said about \
                 hazards within {} m",
                args.within
            );
        }
        return Ok(verdict);
    }
    if args.json {
        let v = serde_json::json!({
            "safe": verdict == Verdict::Safe,
            "status": verdict.as_str(),
            "hazards": hits_json(&hits),
        });
        println!("{v}");
    } else {
        print_hits(&what, args.within, &hits);
    }
    Ok(verdict)
}

/// Places along a geometry where its coverage is judged: every vertex, and points spaced at most
/// 0.005 degrees (about 500 m) along every edge.
fn route_samples(g: &Geometry) -> Vec<Coord> {
    const STEP: f64 = 0.005;
    let mut out = Vec::new();
    let mut path = |cs: &[Coord]| {
        for w in cs.windows(2) {
            let (a, b) = (w[0], w[1]);
            let steps = ((b.lon - a.lon).abs().max((b.lat - a.lat).abs()) / STEP).ceil();
            let steps = if steps.is_finite() {
                steps.clamp(1.0, 1e6) as usize
            } else {
                1
            };
            for k in 0..steps {
                let t = k as f64 / steps as f64;
                out.push(Coord::new(
                    a.lon + (b.lon - a.lon) * t,
                    a.lat + (b.lat - a.lat) * t,
                ));
            }
        }
        if let Some(last) = cs.last() {
            out.push(*last);
        }
    };
    match g {
        Geometry::Point(c) => path(std::slice::from_ref(c)),
        Geometry::MultiPoint(cs) => cs.iter().for_each(|c| path(std::slice::from_ref(c))),
        Geometry::LineString(l) => path(l),
        Geometry::MultiLineString(ls) => ls.iter().for_each(|l| path(l)),
        Geometry::Polygon(p) => p.rings().for_each(|r| path(r)),
        Geometry::MultiPolygon(ps) => ps.iter().flat_map(|p| p.rings()).for_each(|r| path(r)),
    }
    out
}

fn check_route(
    index: &HazardIndex,
    cover: &Cover,
    route: &Path,
    args: &CheckArgs,
    n: usize,
) -> Result<Verdict> {
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
    let mut best: std::collections::BTreeMap<i64, Hit<'_>> = std::collections::BTreeMap::new();
    // Per feature: its index in the file, its verdict, and for no data the States concerned
    // (`None` stands for a part in no State) and the reason.
    let mut features: Vec<(usize, Verdict, Vec<Option<String>>)> = Vec::new();
    for (k, g) in &geoms {
        let hits = index.query_geometry(g, args.within);
        let verdict = if !hits.is_empty() {
            Verdict::Hazard
        } else {
            let samples = route_samples(g);
            let covered = cover.covers_all(&samples, n)?;
            let mut states: Vec<Option<String>> = Vec::new();
            for (p, _) in samples.iter().zip(&covered).filter(|(_, c)| !**c).take(64) {
                let names = cover.missing_states(*p);
                let found: Vec<Option<String>> = if names.is_empty() {
                    vec![None]
                } else {
                    names.into_iter().map(Some).collect()
                };
                for s in found {
                    if !states.contains(&s) {
                        states.push(s);
                    }
                }
            }
            if covered.iter().all(|c| *c) {
                Verdict::Safe
            } else {
                features.push((*k, Verdict::NoData, states));
                continue;
            }
        };
        features.push((*k, verdict, Vec::new()));
        for h in hits {
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
    let verdict = features
        .iter()
        .map(|f| f.1)
        .max()
        .unwrap_or(Verdict::NoData);
    let label = |states: &[Option<String>]| -> String {
        let named: Vec<&str> = states.iter().flatten().map(String::as_str).collect();
        let sea = states.iter().any(Option::is_none);
        match (named.is_empty(), sea) {
            (true, _) => "no hazard data (in no State's boundary: at sea or unmapped)".to_string(),
            (false, false) => format!("no hazard data for {}", named.join("/")),
            (false, true) => format!(
                "no hazard data for {} (and part in no State's boundary)",
                named.join("/")
            ),
        }
    };
    if args.json {
        let fs: Vec<serde_json::Value> = features
            .iter()
            .map(|(k, v, states)| {
                let mut o = serde_json::json!({ "index": k, "status": v.as_str() });
                if *v == Verdict::NoData {
                    o["states"] = serde_json::json!(states);
                    o["reason"] = serde_json::json!(label(states));
                }
                o
            })
            .collect();
        let v = serde_json::json!({
            "safe": verdict == Verdict::Safe,
            "status": verdict.as_str(),
            "hazards": hits_json(&hits),
            "features": fs,
        });
        println!("{v}");
    } else {
        let what = format!("the route in {name}");
        if !hits.is_empty() || verdict == Verdict::Safe {
            print_hits(&what, args.within, &hits);
        }
        for (k, _, states) in features.iter().filter(|f| f.1 == Verdict::NoData) {
            println!(
                "NO DATA: {} along feature #{k} of {what}: not known to be safe ({} has no \
                 hazardous area covering it)",
                label(states),
                cover.source
            );
        }
    }
    Ok(verdict)
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
    if buf.iter().all(u8::is_ascii_whitespace) {
        bail!("{name}: no points to check (the file is empty)");
    }
    let points = read_points(&name, buf, n)?;
    *buf = Vec::new();
    Ok(points)
}

/// The points no hazard is within the distance of: ids and places, in input order. `flags` is
/// sorted by point id.
fn unflagged(points: &[BatchPoint], flags: &[demine_geo::Flag]) -> Vec<BatchPoint> {
    let mut out = Vec::with_capacity(points.len().saturating_sub(flags.len()));
    if points.is_sorted_by_key(|p| p.id) {
        // One walk over both lists.
        let mut f = flags.iter().map(|f| f.point_id).peekable();
        for p in points {
            while f.next_if(|id| *id < p.id).is_some() {}
            if f.peek() != Some(&p.id) {
                out.push(*p);
            }
        }
    } else {
        out.extend(
            points
                .iter()
                .filter(|p| flags.binary_search_by_key(&p.id, |f| f.point_id).is_err()),
        );
    }
    out
}

fn check_batch(
    index: &HazardIndex,
    cover: &Cover,
    points: Vec<BatchPoint>,
    args: &CheckArgs,
    n: usize,
    clock: &mut Clock,
) -> Result<Verdict> {
    let name = args
        .points
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if points.is_empty() {
        bail!("{name}: no points to check (the file is empty or holds only a header)");
    }
    let mode = if args.ids_only {
        BatchMode::Any
    } else {
        BatchMode::Nearest
    };
    let flags = index.check_points(&points, args.within, mode, n)?;
    clock.lap("points checked");
    // Coverage, for the points not flagged (a flagged point is flagged whatever the coverage).
    let rest = unflagged(&points, &flags);
    let places: Vec<Coord> = rest.iter().map(|p| p.coord).collect();
    let covered = cover.covers_all(&places, n)?;
    let mut no_data: Vec<i64> = rest
        .iter()
        .zip(&covered)
        .filter(|(_, c)| !**c)
        .map(|(p, _)| p.id)
        .collect();
    drop(places);
    drop(rest);
    if !no_data.is_sorted() {
        no_data.sort_unstable();
    }
    clock.lap("coverage checked");
    let verdict = if !flags.is_empty() {
        Verdict::Hazard
    } else if !no_data.is_empty() {
        Verdict::NoData
    } else {
        Verdict::Safe
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let v = serde_json::json!({
            "within_m": args.within,
            "checked": points.len(),
            "status": verdict.as_str(),
            "safe": verdict == Verdict::Safe,
            "flagged": flags.iter().map(|f| if args.ids_only {
                serde_json::json!({ "id": f.point_id, "status": "hazard" })
            } else {
                serde_json::json!({
                    "id": f.point_id,
                    "status": "hazard",
                    "hazard_id": f.hazard_id,
                    "distance_m": (f.distance_m * 1000.0).round() / 1000.0,
                })
            }).collect::<Vec<_>>(),
            "no_data": no_data.iter().map(|id| serde_json::json!({
                "id": id,
                "status": "no-data",
            })).collect::<Vec<_>>(),
        });
        writeln!(out, "{v}")?;
    } else {
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
        // Flagged and uncovered points, merged by id (uncovered ones only without --ids-only).
        let mut nd = if args.ids_only { &[][..] } else { &no_data[..] }
            .iter()
            .peekable();
        let put_no_data = |buf: &mut Vec<u8>, id: i64| {
            push_i64(buf, id);
            buf.extend_from_slice(b",no-data,\n");
        };
        for f in &flags {
            while let Some(id) = nd.next_if(|id| **id < f.point_id) {
                put_no_data(&mut buf, *id);
            }
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
        for id in nd {
            put_no_data(&mut buf, *id);
            if buf.len() > (1 << 20) - 64 {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        out.write_all(&buf)?;
    }
    out.flush()?;
    clock.lap("output written");
    if !no_data.is_empty() {
        let shown: Vec<String> = no_data.iter().take(10).map(ToString::to_string).collect();
        let why = if cover.is_empty() {
            format!("{} holds no hazardous area at all", cover.source)
        } else {
            format!("outside what {} covers", cover.source)
        };
        eprintln!(
            "{name}: {} of {} point(s) have no hazard data ({why}) and are not known to be safe: \
             ids {}{}{}",
            no_data.len(),
            points.len(),
            shown.join(", "),
            if no_data.len() > shown.len() {
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
            points.len(),
            flags.len(),
            no_data.len()
        );
    }
    Ok(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(min_lon: f64, max_lon: f64) -> Bbox {
        Bbox {
            min_lon,
            min_lat: -16.1,
            max_lon,
            max_lat: -16.0,
        }
    }

    #[test]
    fn a_file_across_the_antimeridian_covers_a_band_there_not_the_world() {
        let ext = file_extent(&[b(179.9, 180.0), b(-180.0, -179.9)]);
        assert_eq!(ext.len(), 2, "{ext:?}");
        let at = |lon: f64| ext.iter().any(|x| in_box(x, Coord::new(lon, -16.05)));
        assert!(at(179.95) && at(-179.95) && at(180.0));
        assert!(!at(0.0) && !at(179.0) && !at(-179.0));
    }

    #[test]
    fn a_file_elsewhere_has_one_box_from_its_first_to_its_last_area() {
        let ext = file_extent(&[b(10.0, 11.0), b(12.0, 13.0), b(10.5, 10.7)]);
        assert_eq!(ext.len(), 1);
        assert_eq!((ext[0].min_lon, ext[0].max_lon), (10.0, 13.0));
        assert!(file_extent(&[]).is_empty());
    }

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
