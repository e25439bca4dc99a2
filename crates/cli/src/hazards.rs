//! `demine hazards ...` and `demine release ...`: hazardous areas and land release in the store.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use demine_analytics::accounting::AreaBooks;
use demine_app::hazards::HazardImport;
use demine_app::{App, AppError};
use demine_core::hazard::{Accounting, Activity, ActivityKind, AreaStatus, FieldKind, HazardType};
use demine_geo::write::{FileFormat, geometry_json, radius};
use demine_geo::{Bbox, Collection};
use demine_store::hazards::accounting;
use demine_store::{AnyStore, AreaFilter, HazardStore, StoredArea, hazards_io};

use crate::registry::{DbArgs, emit, exit_on};

const EXIT_CODES: &str = "Exit codes: 0 success; 1 failure (database unreachable, file \
unreadable, ...); 2 bad command line; 3 bad input data (the message names the file, the feature \
by index and id, and the fault; nothing was changed); 4 not found; 6 access refused.";

/// File formats for hazardous areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GeoFormat {
    /// GeoJSON (RFC 7946).
    Geojson,
    /// KML (Google Earth, field devices).
    Kml,
    /// KMZ: zipped KML, as Google Earth saves it.
    Kmz,
    /// GeoPackage (QGIS, GDAL): areas with typed columns, and their activities as a second
    /// layer on export.
    Gpkg,
    /// GPX: waypoints with a radius (import and export); polygons are exported as closed tracks.
    Gpx,
    /// CSV with a WKT geometry column (or lon/lat and radius columns on import).
    Csv,
}

impl GeoFormat {
    fn from_path(p: &Path) -> Option<GeoFormat> {
        if p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"))
        {
            return Some(GeoFormat::Gpkg);
        }
        demine_geo::write::FileFormat::from_path(p).map(|f| match f {
            FileFormat::Geojson => GeoFormat::Geojson,
            FileFormat::Kml => GeoFormat::Kml,
            FileFormat::Kmz => GeoFormat::Kmz,
            FileFormat::Gpx => GeoFormat::Gpx,
            FileFormat::Csv => GeoFormat::Csv,
        })
    }
}

impl From<GeoFormat> for FileFormat {
    fn from(f: GeoFormat) -> FileFormat {
        match f {
            GeoFormat::Geojson => FileFormat::Geojson,
            GeoFormat::Kml => FileFormat::Kml,
            GeoFormat::Kmz => FileFormat::Kmz,
            // Read and written through the store (SQLite), never as text: see
            // read_collection_bytes and the export.
            GeoFormat::Gpkg => FileFormat::Geojson,
            GeoFormat::Gpx => FileFormat::Gpx,
            GeoFormat::Csv => FileFormat::Csv,
        }
    }
}

/// Hazardous areas: import, export, list, show (with history), accounting.
#[derive(Debug, Subcommand)]
pub enum HazardsCommand {
    /// Import hazardous areas from a file, all-or-nothing. A feature's id (a whole number from 1)
    /// is the area's id: an existing id makes a new version of that area (the previous version is
    /// kept), an id not stored adds the area with that id. A feature without an id is a new area
    /// with a new id from the store (never the area whose id is its position in the file). The
    /// report lists the ids inserted, updated and left unchanged; --dry-run prints it without
    /// writing. Every State (--iso3 or a feature's iso3) must be in the registry. Properties read: id, status, type (SHA/CHA), name, radius (for points);
    /// also iso3, admin_area, organisation, reported, surveyed (YYYY-MM-DD), notes,
    /// devices (categories), benchmark ([lon, lat]) and custom (the State's custom fields), from
    /// GeoJSON properties, KML ExtendedData, GPX extensions and CSV columns alike.
    #[command(after_help = IMPORT_HELP)]
    Import(ImportArgs),
    /// Export hazardous areas (GeoJSON by default; the format also follows the file's extension).
    #[command(after_help = EXIT_CODES)]
    Export(ExportArgs),
    /// List hazardous areas.
    #[command(after_help = EXIT_CODES)]
    List(ListArgs),
    /// One area in full: attributes, geometry, remaining hazard, activities and every version.
    #[command(after_help = EXIT_CODES)]
    Show {
        /// The area's id.
        id: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Land release accounting in m² on the WGS84 ellipsoid: recorded = cancelled + reduced +
    /// cleared + remaining, for one area or every area of a State.
    #[command(after_help = EXIT_CODES)]
    Accounting {
        /// The area's id.
        #[arg(required_unless_present = "iso3", conflicts_with = "iso3")]
        id: Option<i64>,
        /// Every area of this State, with the State's total.
        #[arg(long, value_name = "ISO3")]
        iso3: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve the current version of an area (field reports are entered as drafts).
    #[command(after_help = EXIT_CODES)]
    Approve {
        /// The area's id.
        id: i64,
    },
    /// Define (or redefine) a custom field of a State's hazardous areas.
    #[command(after_help = EXIT_CODES)]
    DefineField {
        /// The State.
        #[arg(long, value_name = "ISO3")]
        iso3: String,
        /// The field's name.
        #[arg(long)]
        name: String,
        /// Its type.
        #[arg(long = "type", value_name = "TYPE", value_parser = |s: &str| s.parse::<FieldKind>())]
        kind: FieldKind,
        /// For a choice field: the choices, comma-separated.
        #[arg(long, value_delimiter = ',')]
        choices: Vec<String>,
    },
    /// Change an area's status (a new version): open, closed (all land released) or
    /// handed-over. Closed and handed-over areas are left out of the safety check.
    #[command(after_help = EXIT_CODES)]
    Status {
        /// The area's id.
        id: i64,
        /// open, closed or handed-over.
        #[arg(value_parser = |s: &str| s.parse::<AreaStatus>())]
        status: AreaStatus,
    },
    /// Set custom field values of an area (a new version): NAME=VALUE, checked against the
    /// State's definitions.
    #[command(after_help = EXIT_CODES)]
    Set {
        /// The area's id.
        id: i64,
        /// NAME=VALUE pairs.
        #[arg(required = true, value_name = "NAME=VALUE")]
        values: Vec<String>,
    },
}

const IMPORT_HELP: &str = "Validation names each faulty feature by index (from 0) and id: \
unclosed ring (fixed, warned), wrong ring orientation (fixed, warned), repeated vertices (fixed, \
warned), too-short ring, self-intersection, coordinates out of range or swapped (latitude beyond \
90), duplicate ids, a geometry that cannot be an area, and with --iso3 an area farther than \
--tolerance-m from that State's boundary (the bundled Natural Earth 1:50m boundaries). Also \
refused: a ring whose vertices are collinear (no area), a hole outside its polygon or inside \
another hole, a ring around a pole, an empty geometry, an area over 10,000 km2, and a point \
hazard without a radius (unless --default-radius is given), with a radius not above 0 m or over \
10,000 m, or within 1 degree of a pole. A ring that crosses the antimeridian (an edge spanning \
more than 180 degrees of longitude) is split at +/-180 and the overlapping parts of a \
MultiPolygon are merged; both are reported. Files nested deeper than 128 (JSON) or 256 (XML) \
levels are refused. Any error stops the import and nothing is stored.\n\n\
Statuses: the file's status word is kept as given; suspected/confirmed are open SHA/CHA, reduced \
is open, cleared/cancelled/released/closed are closed, handed over is handed-over; anything else \
is open (when in doubt, a place is a hazard).\n\n\
Exit codes: 0 success; 1 failure; 2 bad command line; 3 bad input data (nothing was changed).";

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file: GeoJSON, KML, GPX (waypoints with a radius) or CSV (wkt, or lon/lat + radius).
    pub file: PathBuf,
    /// The format (default: from the file's extension).
    #[arg(long, value_enum)]
    pub format: Option<GeoFormat>,
    /// The State the areas are in: each is checked against its boundary.
    #[arg(long, value_name = "ISO3")]
    pub iso3: Option<String>,
    /// How far outside the State's boundary an area may reach, in metres (border areas; the
    /// boundaries are 1:50m).
    #[arg(long, value_name = "METRES", default_value_t = 1000.0)]
    pub tolerance_m: f64,
    /// The radius in metres of every point hazard that has none (reported per point). Without
    /// it, such a point is refused: demine never guesses a radius.
    #[arg(long, value_name = "METRES")]
    pub default_radius: Option<f64>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Check everything and print what the import would insert, update (by id) and leave
    /// unchanged, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Leave out the lines (GPS tracks and routes not marked as areas, KML LineStrings) and import
    /// the rest, naming each line skipped. Without it a line refuses the whole file.
    #[arg(long)]
    pub skip_lines: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The file to write (default: standard output).
    pub file: Option<PathBuf>,
    /// The format (default: from the file's extension, else GeoJSON).
    #[arg(long, value_enum)]
    pub format: Option<GeoFormat>,
    /// Only this State's areas (a State the registry has; an unknown code is refused).
    #[arg(long, value_name = "ISO3")]
    pub iso3: Option<String>,
    /// Only areas with this status (open, closed, handed-over).
    #[arg(long, value_parser = |s: &str| s.parse::<AreaStatus>())]
    pub status: Option<AreaStatus>,
    /// Which geometry: remaining (what is still a hazard after land release: the safety picture;
    /// areas with nothing left are left out and counted on stderr), recorded (the area as
    /// recorded: what an import restores) or both (a second feature per area where land was
    /// released). Each feature says which in its property geometry_kind; an import accepts only
    /// recorded geometry.
    #[arg(long, value_enum, default_value_t = GeometryChoice::Remaining)]
    pub geometry: GeometryChoice,
    /// Write each point hazard as the polygon of its radius (an area a GIS shows), not a point.
    #[arg(long)]
    pub points_as_circles: bool,
    /// Export the land release activities of the areas instead (perimeters and attributes).
    #[arg(long, conflicts_with = "history")]
    pub activities: bool,
    /// Export every version of the areas instead (the geometry and attributes each had).
    #[arg(long)]
    pub history: bool,
}

/// Which geometry an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GeometryChoice {
    /// What remains a hazard after land release.
    Remaining,
    /// The area as recorded.
    Recorded,
    /// Both, as two features where they differ.
    Both,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this State's areas (a State the registry has; an unknown code is refused).
    #[arg(long, value_name = "ISO3")]
    pub iso3: Option<String>,
    /// Only areas with this status (open, closed, handed-over).
    #[arg(long, value_parser = |s: &str| s.parse::<AreaStatus>())]
    pub status: Option<AreaStatus>,
    /// Only areas whose bounding box meets this box: WEST,SOUTH,EAST,NORTH in degrees.
    #[arg(long, value_name = "W,S,E,N", value_parser = parse_bbox, allow_hyphen_values = true)]
    pub bbox: Option<Bbox>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_bbox(s: &str) -> Result<Bbox, String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{s:?}: expected four numbers WEST,SOUTH,EAST,NORTH"))?;
    match v[..] {
        [w, so, e, n] if w <= e && so <= n => Ok(Bbox {
            min_lon: w,
            min_lat: so,
            max_lon: e,
            max_lat: n,
        }),
        _ => Err(format!(
            "{s:?}: expected WEST,SOUTH,EAST,NORTH with WEST <= EAST and SOUTH <= NORTH"
        )),
    }
}

/// Land release activities.
#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// Record one activity on an area, with its perimeter as WKT.
    #[command(after_help = RELEASE_HELP)]
    Add(AddArgs),
    /// Record activities from a GeoJSON file, all-or-nothing (in one transaction): each feature's
    /// geometry is the perimeter; properties area_id, kind, start, end, organisation, method,
    /// depth_cm, devices (a list of {category, model, location [lon, lat], depth_cm, condition,
    /// destroyed}).
    #[command(after_help = RELEASE_HELP)]
    Import {
        /// The GeoJSON file.
        file: PathBuf,
    },
    /// The activities on an area.
    #[command(after_help = EXIT_CODES)]
    List {
        /// The area's id.
        area: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

const RELEASE_HELP: &str = "Kinds: non-technical-survey (cancels land), technical-survey \
(reduces land), clearance (clears land, to --depth-cm). The perimeter is clipped to what is still \
hazardous in the area; land is counted once, to the first activity that released it. The area's \
remaining hazard (what the safety check uses) is updated at once.\n\n\
Exit codes: 0 success; 1 failure; 2 bad command line; 3 bad input (nothing was changed); 4 no \
such area.";

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The hazardous area.
    #[arg(long, value_name = "ID")]
    pub area: i64,
    /// non-technical-survey, technical-survey or clearance.
    #[arg(long, value_parser = |s: &str| s.parse::<ActivityKind>())]
    pub kind: ActivityKind,
    /// Start date (YYYY-MM-DD).
    #[arg(long, value_parser = crate::registry::parse_date)]
    pub start: chrono::NaiveDate,
    /// End date (YYYY-MM-DD).
    #[arg(long, value_parser = crate::registry::parse_date)]
    pub end: Option<chrono::NaiveDate>,
    /// The organisation.
    #[arg(long)]
    pub organisation: Option<String>,
    /// The method (manual, mechanical, dogs, ...).
    #[arg(long)]
    pub method: Option<String>,
    /// Clearance depth in centimetres (clearance only, and required for it).
    #[arg(long, value_name = "CM")]
    pub depth_cm: Option<u32>,
    /// The perimeter as WKT (POLYGON or MULTIPOLYGON, lon lat).
    #[arg(long, value_name = "WKT")]
    pub perimeter: String,
    /// A device found, as JSON: {"category": "ap-mine", "model": "PMN-2", "location": [lon, lat],
    /// "depth_cm": 5, "condition": "intact", "destroyed": "2024-01-20"}. Repeatable.
    #[arg(long, value_name = "JSON")]
    pub device: Vec<String>,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Bad input: the message, exit code 3 (`main` ends the process).
fn bad_input(msg: impl std::fmt::Display) -> anyhow::Error {
    AppError::BadInput(msg.to_string()).into()
}

/// Reads and validates a file of features; also returns its bytes and format.
fn read_collection_bytes(
    path: &Path,
    format: Option<GeoFormat>,
) -> Result<(Collection, Vec<u8>, GeoFormat)> {
    let name = path.display().to_string();
    let format = match format.or_else(|| GeoFormat::from_path(path)) {
        Some(f) => f,
        None => bail!(
            "{name}: cannot tell the format from the extension; give --format geojson|kml|kmz|gpx|csv"
        ),
    };
    if format == GeoFormat::Gpkg {
        return match demine_store::gpkg::read_gpkg(path, None) {
            Ok(c) => Ok((c, Vec::new(), format)),
            Err(demine_store::StoreError::Geo(e)) => Err(bad_input(e)),
            Err(e) => Err(bad_input(e)),
        };
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    let r = demine_geo::read_features(format.into(), &name, &bytes, threads());
    r.map(|c| (c, bytes, format)).map_err(bad_input)
}

/// Reads and validates a file of areas to import: like [`read_collection_bytes`], but a GeoJSON
/// file's other properties are kept in each feature's attributes in the same pass (the import
/// stores them), so that the file is parsed once.
fn read_import_collection(path: &Path, format: Option<GeoFormat>) -> Result<Collection> {
    let name = path.display().to_string();
    let format = format.or_else(|| GeoFormat::from_path(path));
    if format != Some(GeoFormat::Geojson) {
        return read_collection_bytes(path, format).map(|(c, _, _)| c);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    demine_geo::geojson::read_geojson_with_attributes(&name, &bytes, threads()).map_err(bad_input)
}

fn progress_bar(total: u64, file: &Path) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:40}] {human_pos}/{human_len} areas, {eta} left",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("importing {}", file.display()));
    bar
}

fn export_options(a: &ExportArgs) -> hazards_io::ExportOptions {
    hazards_io::ExportOptions {
        geometry: match a.geometry {
            GeometryChoice::Remaining => hazards_io::ExportGeometry::Remaining,
            GeometryChoice::Recorded => hazards_io::ExportGeometry::Recorded,
            GeometryChoice::Both => hazards_io::ExportGeometry::Both,
        },
        points_as_circles: a.points_as_circles,
    }
}

fn note_nothing_remaining(summary: &hazards_io::ExportSummary) {
    if !summary.nothing_remaining.is_empty() {
        eprintln!(
            "note: {} area(s) with nothing remaining after land release are not in this \
             remaining-geometry export: {}",
            summary.nothing_remaining.len(),
            id_list(&summary.nothing_remaining)
        );
    }
}

/// Runs `demine hazards ...`.
pub fn run(db: &DbArgs, command: HazardsCommand) -> Result<u8> {
    let rt = runtime()?;
    let mut out = String::new();
    rt.block_on(run_async(db, command, &mut out))?;
    emit(&out)?;
    Ok(0)
}

async fn run_async(db: &DbArgs, command: HazardsCommand, o: &mut String) -> Result<()> {
    match command {
        HazardsCommand::Import(a) => {
            let name = a.file.display().to_string();
            let iso3 = demine_app::hazards::check_import_options(
                a.iso3.as_deref(),
                a.tolerance_m,
                a.default_radius,
            )?;
            let mut c = read_import_collection(&a.file, a.format)?;
            if let Some(r) = a.default_radius {
                demine_geo::apply_default_radius(&mut c, r);
            }
            if a.skip_lines {
                demine_geo::skip_lines(&mut c);
            }
            crate::check::report_warnings(&name, &c.warnings);
            let properties = hazards_io::take_feature_properties(&mut c);
            // A dry run compares the file with a database that exists; it creates none (and loads
            // no bundled data into one).
            let store = if a.dry_run {
                db.open_existing_writable().await?
            } else {
                db.open().await?
            };
            let app = App::new(store).with_threads(threads());
            let bar = std::sync::OnceLock::new();
            let progress = |done: u64, total: u64| {
                if total >= 10_000 {
                    bar.get_or_init(|| progress_bar(total, &a.file))
                        .set_position(done);
                }
            };
            let import = HazardImport {
                name: name.clone(),
                collection: c,
                properties,
                iso3,
                tolerance_m: a.tolerance_m,
                dry_run: a.dry_run,
            };
            let r = app
                .session(db.requester())
                .import_hazards(import, &progress)
                .await;
            if let Some(b) = bar.get() {
                b.finish_and_clear();
            }
            let r = r?;
            for code in &r.unchecked_states {
                eprintln!(
                    "warning: the bundled boundaries have no {code}; areas not checked against it"
                );
            }
            if a.json {
                let _ = writeln!(o, "{}", serde_json::to_string(&r)?);
            } else {
                let warnings = r.fixes;
                let (head, inserted, updated) = if r.dry_run {
                    ("dry run, nothing written: ", "to insert", "to update")
                } else {
                    ("", "inserted", "updated")
                };
                let _ = writeln!(
                    o,
                    "{name}: {head}{} areas: {} {inserted}, {} {updated} (new versions), {} unchanged; {warnings} fix(es)",
                    r.areas, r.inserted, r.updated, r.unchanged
                );
                let _ = writeln!(o, "  {inserted}: {}", id_list(&r.inserted_ids));
                let _ = writeln!(o, "  {updated}: {}", id_list(&r.updated_ids));
                let _ = writeln!(o, "  unchanged: {}", id_list(&r.unchanged_ids));
            }
        }
        HazardsCommand::Export(a) => {
            let store = db.open_read().await?;
            let iso3 = known_state(&store, a.iso3.as_deref()).await?;
            let areas = store
                .areas(&AreaFilter {
                    iso3,
                    status: a.status,
                    bbox: None,
                })
                .await
                .map_err(exit_on)?;
            let file = a.file.clone().filter(|f| f.as_os_str() != "-");
            let format = a
                .format
                .or_else(|| file.as_deref().and_then(GeoFormat::from_path))
                .unwrap_or(GeoFormat::Geojson);
            if format == GeoFormat::Gpkg {
                let Some(p) = file else {
                    bail!("GeoPackage is a database file: give a file to write it to")
                };
                let mut acts = Vec::new();
                for x in &areas {
                    acts.extend(store.activities(x.area.id).await.map_err(exit_on)?);
                }
                let summary = hazards_io::export_gpkg(&p, &areas, &acts, &export_options(&a))
                    .map_err(bad_input)?;
                note_nothing_remaining(&summary);
                return Ok(());
            }
            let text = if a.activities {
                let mut acts = Vec::new();
                for x in &areas {
                    acts.extend(store.activities(x.area.id).await.map_err(exit_on)?);
                }
                hazards_io::activities_text(&acts, format.into())?
            } else if a.history {
                let mut versions = Vec::new();
                for x in &areas {
                    let id = x.area.id;
                    let h = store.history(id).await.map_err(exit_on)?;
                    versions.extend(h.into_iter().map(|v| (id, v)));
                }
                hazards_io::history_text(&versions, format.into())?
            } else {
                let (text, summary) =
                    hazards_io::export_text_with(&areas, format.into(), &export_options(&a))?;
                note_nothing_remaining(&summary);
                text
            };
            match file {
                Some(p) if format == GeoFormat::Kmz => {
                    let kmz = demine_geo::kmz::write_kmz(&text).map_err(bad_input)?;
                    std::fs::write(&p, kmz).with_context(|| format!("writing {}", p.display()))?;
                }
                None if format == GeoFormat::Kmz => {
                    bail!("KMZ is a zip archive: give a file to write it to")
                }
                Some(p) => {
                    std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?;
                    if format == GeoFormat::Csv {
                        // GDAL reads the column types from a .csvt and the CRS from a .prj.
                        let csv_text = std::fs::read_to_string(&p)
                            .with_context(|| format!("reading {}", p.display()))?;
                        let types = demine_geo::write::csvt_for(&csv_text);
                        let t = p.with_extension("csvt");
                        std::fs::write(&t, types)
                            .with_context(|| format!("writing {}", t.display()))?;
                        let prj = p.with_extension("prj");
                        std::fs::write(&prj, demine_geo::write::WGS84_PRJ)
                            .with_context(|| format!("writing {}", prj.display()))?;
                    }
                }
                None => o.push_str(&text),
            }
        }
        HazardsCommand::List(a) => {
            let store = db.open_read().await?;
            let iso3 = known_state(&store, a.iso3.as_deref()).await?;
            let areas = store
                .areas(&AreaFilter {
                    iso3,
                    status: a.status,
                    bbox: a.bbox,
                })
                .await
                .map_err(exit_on)?;
            if a.json {
                let v: Vec<_> = areas.iter().map(summary_json).collect();
                let _ = writeln!(o, "{}", serde_json::Value::Array(v));
            } else {
                let _ = writeln!(
                    o,
                    "{:>8}  {:4}  {:11}  {:10}  {:4}  {:>14}  name",
                    "id", "type", "status", "source", "iso3", "area m2"
                );
                for s in &areas {
                    let _ = writeln!(
                        o,
                        "{:>8}  {:4}  {:11}  {:10}  {:4}  {:>14.1}  {}",
                        s.area.id,
                        s.area.hazard_type.as_str(),
                        s.area.status.as_str(),
                        s.area.source_status.as_deref().unwrap_or("-"),
                        s.area.iso3.as_deref().unwrap_or("-"),
                        recorded_m2(s),
                        s.area.name.as_deref().unwrap_or("")
                    );
                }
                let _ = writeln!(o, "{} area(s)", areas.len());
            }
        }
        HazardsCommand::Show { id, json } => {
            let store = db.open_read().await?;
            let s = store
                .area(id)
                .await
                .map_err(exit_on)?
                .ok_or_else(|| not_found(id))?;
            let history = store.history(id).await.map_err(exit_on)?;
            let acts = store.activities(id).await.map_err(exit_on)?;
            let acc = accounting(&store, id).await.map_err(exit_on)?;
            if json {
                let v = serde_json::json!({
                    "area": s.area,
                    "geometry": geometry_json(&s.shape.to_geometry()),
                    "radius_m": radius(&s.shape),
                    "remaining": s.remaining.as_ref().map(geometry_json),
                    "version": s.version,
                    "version_status": s.version_status,
                    "updated_at": s.updated_at,
                    "updated_by": s.updated_by,
                    "accounting": acc,
                    "activities": acts.iter().map(|a| serde_json::json!({
                        "activity": a.activity,
                        "perimeter": geometry_json(&a.perimeter),
                        "perimeter_m2": a.perimeter_m2,
                        "released_m2": a.released_m2,
                        "recorded_at": a.recorded_at,
                        "recorded_by": a.recorded_by,
                    })).collect::<Vec<_>>(),
                    "history": history,
                });
                let _ = writeln!(o, "{v}");
            } else {
                let a = &s.area;
                let _ = writeln!(
                    o,
                    "hazardous area {} ({})",
                    a.id,
                    a.name.as_deref().unwrap_or("unnamed")
                );
                let _ = writeln!(
                    o,
                    "  type {}, status {}{}",
                    a.hazard_type,
                    a.status,
                    a.source_status
                        .as_deref()
                        .map(|x| format!(" (source: {x})"))
                        .unwrap_or_default()
                );
                let _ = writeln!(
                    o,
                    "  State {}, admin area {}, organisation {}",
                    a.iso3.as_deref().unwrap_or("-"),
                    a.admin_area.as_deref().unwrap_or("-"),
                    a.organisation.as_deref().unwrap_or("-")
                );
                if !a.custom.is_empty() {
                    let _ = writeln!(o, "  custom fields: {}", serde_json::json!(a.custom));
                }
                let _ = writeln!(
                    o,
                    "  geometry: {}",
                    demine_geo::to_wkt(&s.shape.to_geometry())
                );
                print_accounting(o, "  ", &acc);
                let _ = writeln!(o, "  activities: {}", acts.len());
                for x in &acts {
                    let _ = writeln!(
                        o,
                        "    #{} {} {}..{} by {}: released {:.1} m2 of a {:.1} m2 perimeter, {} device(s)",
                        x.activity.id,
                        x.activity.kind,
                        x.activity.start,
                        x.activity.end.map(|d| d.to_string()).unwrap_or_default(),
                        x.activity.organisation.as_deref().unwrap_or("-"),
                        x.released_m2,
                        x.perimeter_m2,
                        x.activity.devices.len()
                    );
                }
                let _ = writeln!(o, "  history ({} version(s)):", history.len());
                for v in &history {
                    let _ = writeln!(
                        o,
                        "    v{} {} made {} by {}{}",
                        v.version,
                        v.version_status.as_str(),
                        v.made_at,
                        v.made_by,
                        v.superseded_at
                            .as_deref()
                            .map(|t| format!(
                                ", superseded {t} by {}",
                                v.superseded_by.as_deref().unwrap_or("?")
                            ))
                            .unwrap_or_else(|| " (current)".into())
                    );
                }
            }
        }
        HazardsCommand::Accounting { id, iso3, json } => {
            let store = db.open_read().await?;
            let iso3 = known_state(&store, iso3.as_deref()).await?;
            // (id, status, type): the status and type when the State's areas were listed.
            let ids: Vec<(i64, Option<AreaStatus>, Option<HazardType>)> = match (id, &iso3) {
                (Some(id), _) => vec![(id, None, None)],
                (None, Some(code)) => store
                    .areas(&AreaFilter {
                        iso3: Some(code.clone()),
                        ..Default::default()
                    })
                    .await
                    .map_err(exit_on)?
                    .iter()
                    .map(|a| (a.area.id, Some(a.area.status), Some(a.area.hazard_type)))
                    .collect(),
                (None, None) => bail!("give an area id or --iso3"),
            };
            let mut per = Vec::new();
            for (i, status, hazard_type) in ids {
                per.push(AreaBooks {
                    id: i,
                    status,
                    hazard_type,
                    accounting: accounting(&store, i).await.map_err(exit_on)?,
                });
            }
            let b = demine_analytics::accounting::books(per, 1e-9);
            if json {
                let _ = writeln!(o, "{}", serde_json::to_value(&b)?);
            } else {
                for a in &b.areas {
                    let _ = writeln!(o, "area {}:", a.id);
                    print_accounting(o, "  ", &a.accounting);
                }
                if iso3.is_some() {
                    let _ = writeln!(o, "total over {} area(s):", b.areas.len());
                    print_accounting(o, "  ", &b.total);
                    for (what, groups) in [("status", &b.by_status), ("type", &b.by_type)] {
                        for (k, a) in groups {
                            let _ = writeln!(
                                o,
                                "  {what} {k}: recorded {:.1} m2, released {:.1} m2, remaining {:.1} m2",
                                a.recorded_m2,
                                a.released_m2(),
                                a.remaining_m2
                            );
                        }
                    }
                }
            }
        }
        HazardsCommand::Approve { id } => {
            let app = App::new(db.open().await?);
            app.session(db.requester()).approve(id).await?;
            let _ = writeln!(o, "area {id}: current version approved");
        }
        HazardsCommand::DefineField {
            iso3,
            name,
            kind,
            choices,
        } => {
            let app = App::new(db.open().await?);
            let f = app
                .session(db.requester())
                .define_field(&iso3, &name, kind, choices)
                .await?;
            let _ = writeln!(
                o,
                "{}: custom field {} ({}) defined",
                f.iso3, f.name, f.kind
            );
        }
        HazardsCommand::Status { id, status } => {
            let app = App::new(db.open().await?);
            let v = app.session(db.requester()).set_status(id, status).await?;
            let _ = writeln!(
                o,
                "area {id}: status {status}, version {} (draft)",
                v.version
            );
        }
        HazardsCommand::Set { id, values } => {
            let app = App::new(db.open().await?);
            let v = app.session(db.requester()).set_custom(id, &values).await?;
            let _ = writeln!(o, "area {id}: version {} (draft)", v.version);
        }
    }
    Ok(())
}

/// A State named with --iso3, in upper case, which must be in the registry: a typo would
/// otherwise read as a State without hazardous areas (or file a field under no State).
async fn known_state(store: &AnyStore, code: Option<&str>) -> Result<Option<String>> {
    let Some(code) = code else { return Ok(None) };
    let code = code.trim().to_ascii_uppercase();
    let found = demine_store::Store::records(store, demine_store::Kind::States, Some(&code))
        .await
        .map_err(exit_on)?;
    if found.is_empty() {
        return Err(bad_input(format!(
            "--iso3 {code}: unknown ISO3 code, no such State in the registry (`demine states \
             --all` lists them)"
        )));
    }
    Ok(Some(code))
}

/// Ids as ranges: `1-3, 7, 9-12` (or `none`); after 40 ranges, how many more ids there are
/// (`--json` lists every id).
fn id_list(ids: &[i64]) -> String {
    const SHOWN: usize = 40;
    if ids.is_empty() {
        return "none".into();
    }
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let start = ids[i];
        let mut end = start;
        while i + 1 < ids.len() && ids[i + 1] == end + 1 {
            i += 1;
            end = ids[i];
        }
        if parts.len() == SHOWN {
            let more = ids.len() - i + (end - start) as usize;
            parts.push(format!("... and {more} more (--json lists them all)"));
            break;
        }
        parts.push(if end == start {
            format!("{start}")
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

fn not_found(id: i64) -> anyhow::Error {
    AppError::NotFound {
        what: format!("hazardous area {id}"),
    }
    .into()
}

fn print_accounting(o: &mut String, pad: &str, a: &Accounting) {
    let _ = writeln!(o, "{pad}recorded  {:>16.1} m2", a.recorded_m2);
    let _ = writeln!(
        o,
        "{pad}cancelled {:>16.1} m2 (non-technical survey)",
        a.cancelled_m2
    );
    let _ = writeln!(
        o,
        "{pad}reduced   {:>16.1} m2 (technical survey)",
        a.reduced_m2
    );
    let _ = writeln!(o, "{pad}cleared   {:>16.1} m2 (clearance)", a.cleared_m2);
    let _ = writeln!(o, "{pad}remaining {:>16.1} m2", a.remaining_m2);
    let _ = writeln!(
        o,
        "{pad}balance: recorded - released - remaining = {:.3} m2",
        a.imbalance_m2()
    );
}

fn recorded_m2(s: &StoredArea) -> f64 {
    demine_geo::ops::area_m2(&demine_geo::ops::shape_polygons(&s.shape))
}

fn summary_json(s: &StoredArea) -> serde_json::Value {
    serde_json::json!({
        "id": s.area.id,
        "reference": s.area.reference,
        "name": s.area.name,
        "type": s.area.hazard_type,
        "status": s.area.status,
        "source_status": s.area.source_status,
        "iso3": s.area.iso3,
        "recorded_m2": recorded_m2(s),
        "remaining_m2": s.remaining_m2,
        "version": s.version,
        "version_status": s.version_status,
    })
}

/// The areas as text in a format.
pub fn export_text(areas: &[StoredArea], format: GeoFormat) -> Result<String> {
    Ok(demine_store::hazards_io::export_text(areas, format.into())?)
}

/// Writes every area as GeoJSON into `path` (for `demine export all`).
pub async fn export_all_geojson(store: &AnyStore, path: &Path) -> Result<usize> {
    let areas = store.areas(&AreaFilter::default()).await.map_err(exit_on)?;
    let text = export_text(&areas, GeoFormat::Geojson)?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(areas.len())
}

/// Runs `demine release ...`.
pub fn run_release(db: &DbArgs, command: ReleaseCommand) -> Result<u8> {
    let rt = runtime()?;
    let mut out = String::new();
    rt.block_on(release_async(db, command, &mut out))?;
    emit(&out)?;
    Ok(0)
}

async fn release_async(db: &DbArgs, command: ReleaseCommand, o: &mut String) -> Result<()> {
    match command {
        ReleaseCommand::Add(a) => {
            let perimeter = demine_geo::parse_wkt(&a.perimeter)
                .map_err(|e| bad_input(format!("--perimeter: {e}")))?;
            let mut devices = Vec::new();
            for d in &a.device {
                devices.push(demine_app::hazards::parse_device(d)?);
            }
            let act = Activity {
                id: 0,
                area_id: a.area,
                kind: a.kind,
                start: a.start,
                end: a.end,
                organisation: a.organisation,
                method: a.method,
                depth_cm: a.depth_cm,
                devices,
            };
            let perimeter =
                hazards_io::validated_perimeter("--perimeter", 0, perimeter).map_err(bad_input)?;
            let app = App::new(db.open().await?);
            let st = app
                .session(db.requester())
                .record_activity(act, perimeter)
                .await?;
            let _ = writeln!(
                o,
                "activity {} on area {}: {} released {:.1} m2",
                st.id, st.area_id, st.released_as, st.released_m2
            );
        }
        ReleaseCommand::Import { file } => {
            let name = file.display().to_string();
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {name}"))?;
            let app = App::new(db.open().await?);
            let r = app
                .session(db.requester())
                .import_activities(&name, &text)
                .await?;
            let _ = writeln!(
                o,
                "{name}: {} activities recorded, {:.1} m2 released",
                r.activities, r.released_m2
            );
        }
        ReleaseCommand::List { area, json } => {
            let store = db.open_read().await?;
            if store.area(area).await.map_err(exit_on)?.is_none() {
                return Err(not_found(area));
            }
            let acts = store.activities(area).await.map_err(exit_on)?;
            if json {
                let v: Vec<_> = acts
                    .iter()
                    .map(|a| {
                        serde_json::json!({
                            "activity": a.activity,
                            "perimeter": geometry_json(&a.perimeter),
                            "perimeter_m2": a.perimeter_m2,
                            "released_m2": a.released_m2,
                            "recorded_at": a.recorded_at,
                            "recorded_by": a.recorded_by,
                        })
                    })
                    .collect();
                let _ = writeln!(o, "{}", serde_json::Value::Array(v));
            } else {
                for a in &acts {
                    let _ = writeln!(
                        o,
                        "#{} {} {} released {:.1} m2, {} device(s)",
                        a.activity.id,
                        a.activity.kind,
                        a.activity.start,
                        a.released_m2,
                        a.activity.devices.len()
                    );
                }
                let _ = writeln!(o, "{} activit(ies)", acts.len());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_listed_as_ranges_and_capped() {
        assert_eq!(super::id_list(&[]), "none");
        assert_eq!(super::id_list(&[1, 2, 3, 7, 9, 10]), "1-3, 7, 9-10");
        assert_eq!(super::id_list(&[5, 4]), "5, 4");
        let many: Vec<i64> = (0..100).map(|i| i * 2).collect();
        let s = super::id_list(&many);
        assert!(
            s.ends_with("... and 60 more (--json lists them all)"),
            "{s}"
        );
        let runs: Vec<i64> = (0..45).flat_map(|i| [i * 10, i * 10 + 1]).collect();
        let s = super::id_list(&runs);
        assert!(
            s.ends_with("390-391, ... and 10 more (--json lists them all)"),
            "{s}"
        );
    }
}
