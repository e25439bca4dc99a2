//! The one error type of demine-geo.

use std::fmt;

use crate::geom::Coord;

/// How serious a validation fault is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Fixed automatically; reported so the user knows the data changed.
    Warning,
    /// Stops the import.
    Error,
}

/// What is wrong with a feature.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// The feature has no geometry.
    MissingGeometry,
    /// The geometry type cannot be used here (for hazards: only polygons and points with a radius).
    UnsupportedGeometry(String),
    /// A coordinate is not a finite number.
    NotFinite,
    /// Latitude beyond ±90 while the longitude would be a valid latitude: axes swapped.
    SwappedAxes(Coord),
    /// A coordinate is out of range (longitude beyond ±180 or latitude beyond ±90).
    OutOfRange(Coord),
    /// A ring's last vertex differs from its first (fixed by adding the closing vertex).
    UnclosedRing { ring: usize },
    /// Consecutive repeated vertices (fixed by dropping the repeats).
    RepeatedVertex { ring: usize, count: usize },
    /// A ring has fewer than 3 distinct vertices (4 positions when closed).
    TooShortRing { ring: usize, vertices: usize },
    /// A line has fewer than 2 positions.
    TooShortLine { positions: usize },
    /// Two edges of a ring (or of two rings) cross or touch.
    SelfIntersection {
        ring: usize,
        other_ring: usize,
        at: Coord,
    },
    /// A ring ran the wrong way (fixed: exterior counter-clockwise, holes clockwise).
    WrongOrientation { ring: usize },
    /// The same id was used by an earlier feature.
    DuplicateId { first_index: usize },
    /// A point hazard's radius that is not a number of metres above 0 and at most
    /// [`crate::feature::MAX_RADIUS_M`].
    BadRadius(f64),
    /// A geometry with no positions or parts (an empty MultiPolygon, MultiPoint, ...).
    EmptyGeometry(String),
    /// A point hazard with no radius (and no default radius given).
    MissingRadius,
    /// A point hazard had no radius; the default radius given was applied (a warning).
    DefaultRadius(f64),
    /// A point hazard whose circle comes within [`crate::feature::POLE_MARGIN_DEG`] degrees of a
    /// pole: its area cannot be drawn in longitude/latitude.
    NearPole { lat: f64, radius_m: f64 },
    /// A hazard larger than [`crate::feature::MAX_AREA_M2`].
    AreaTooLarge { area_m2: f64 },
    /// A ring crossed the antimeridian and was split at ±180 into parts (a warning).
    AntimeridianSplit { parts: usize },
    /// A ring winds around a pole (or spans 360° of longitude): which side is inside is unknown.
    AroundPole { ring: usize },
    /// A ring (or line) encloses no area: its vertices are collinear.
    ZeroArea { ring: usize },
    /// A hole that is not inside its polygon's exterior ring.
    HoleOutsideShell { ring: usize, at: Coord },
    /// A hole inside another hole of the same polygon.
    HoleInsideHole { ring: usize, other_ring: usize },
    /// Parts of a MultiPolygon overlap; they were merged into their union (a warning).
    OverlappingParts { before: usize, after: usize },
    /// The feature's id is not an integer (hazard ids are 64-bit integers).
    BadId(String),
    /// A line (a GPS track or route, a KML LineString) where a hazard area was expected: it is
    /// not marked as an area, so demine does not guess that it is one.
    LineNotArea(String),
    /// A line left out of an import on request (`--skip-lines`; a warning).
    SkippedLine(String),
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::MissingGeometry => write!(f, "no geometry"),
            FaultKind::LineNotArea(t) => write!(
                f,
                "geometry type {t} is not supported here as a hazard: a line (GPS track or \
                 route) is not an area unless marked as one (GPX <type>area</type> or \
                 demine:geometry polygon); mark it, or import with --skip-lines to import the \
                 other features and list each line skipped"
            ),
            FaultKind::SkippedLine(t) => write!(
                f,
                "{t} skipped (--skip-lines): a line is not a hazard area; not imported"
            ),
            FaultKind::UnsupportedGeometry(t) => {
                write!(f, "geometry type {t} is not supported here")
            }
            FaultKind::NotFinite => write!(f, "a coordinate is not a finite number"),
            FaultKind::SwappedAxes(c) => write!(
                f,
                "latitude {} is beyond 90: coordinates look swapped (GeoJSON order is lon, lat)",
                c.lat
            ),
            FaultKind::OutOfRange(c) => write!(
                f,
                "coordinate ({}, {}) is out of range (lon -180..180, lat -90..90)",
                c.lon, c.lat
            ),
            FaultKind::UnclosedRing { ring } => {
                write!(f, "ring {ring} was not closed (closing vertex added)")
            }
            FaultKind::RepeatedVertex { ring, count } => {
                write!(
                    f,
                    "ring {ring} repeated a vertex {count} time(s) (repeats dropped)"
                )
            }
            FaultKind::TooShortRing { ring, vertices } => write!(
                f,
                "ring {ring} has {vertices} distinct vertices; a ring needs at least 3"
            ),
            FaultKind::TooShortLine { positions } => {
                write!(
                    f,
                    "line has {positions} position(s); a line needs at least 2"
                )
            }
            FaultKind::SelfIntersection {
                ring,
                other_ring,
                at,
            } => {
                if ring == other_ring {
                    write!(
                        f,
                        "ring {ring} intersects itself near ({}, {})",
                        at.lon, at.lat
                    )
                } else {
                    write!(
                        f,
                        "rings {ring} and {other_ring} intersect near ({}, {})",
                        at.lon, at.lat
                    )
                }
            }
            FaultKind::WrongOrientation { ring } => write!(
                f,
                "ring {ring} ran the wrong way (reversed: exterior counter-clockwise, holes clockwise)"
            ),
            FaultKind::DuplicateId { first_index } => {
                write!(f, "duplicate id (first used by feature #{first_index})")
            }
            FaultKind::BadRadius(r) => write!(
                f,
                "radius {r} is not a number of metres above 0 and at most {} (a larger area must \
                 be drawn as a polygon)",
                crate::feature::MAX_RADIUS_M
            ),
            FaultKind::EmptyGeometry(t) => write!(f, "{t} is empty (no positions)"),
            FaultKind::MissingRadius => write!(
                f,
                "point hazard has no radius: give one (GeoJSON/KML property \"radius\", CSV column \
                 radius, GPX <gpxx:Proximity> or <radius>), or pass --default-radius METRES"
            ),
            FaultKind::DefaultRadius(r) => {
                write!(
                    f,
                    "point hazard had no radius: --default-radius {r} m applied"
                )
            }
            FaultKind::NearPole { lat, radius_m } => write!(
                f,
                "point hazard at latitude {lat} with radius {radius_m} m reaches within {} degree \
                 of a pole, where a circle cannot be drawn in longitude/latitude: draw it as a \
                 polygon",
                crate::feature::POLE_MARGIN_DEG
            ),
            FaultKind::AreaTooLarge { area_m2 } => write!(
                f,
                "area of {:.0} km2 is larger than the {:.0} km2 a single hazard may cover (a \
                 mistake in the geometry?)",
                area_m2 / 1e6,
                crate::feature::MAX_AREA_M2 / 1e6
            ),
            FaultKind::AntimeridianSplit { parts } => write!(
                f,
                "crossed the antimeridian (an edge spans more than 180 degrees of longitude): \
                 split at +/-180 into {parts} part(s)"
            ),
            FaultKind::AroundPole { ring } => write!(
                f,
                "ring {ring} winds around a pole or spans 360 degrees of longitude: which side is \
                 inside cannot be told; split it at +/-180 into parts"
            ),
            FaultKind::ZeroArea { ring } => write!(
                f,
                "ring {ring} encloses no area (its vertices are collinear)"
            ),
            FaultKind::HoleOutsideShell { ring, at } => write!(
                f,
                "hole (ring {ring}) is not inside the exterior ring: vertex ({}, {}) is outside",
                at.lon, at.lat
            ),
            FaultKind::HoleInsideHole { ring, other_ring } => write!(
                f,
                "hole (ring {ring}) lies inside another hole (ring {other_ring})"
            ),
            FaultKind::OverlappingParts { before, after } => write!(
                f,
                "the MultiPolygon's parts overlap: merged into their union ({before} part(s) \
                 became {after}), so no land is counted twice"
            ),
            FaultKind::BadId(s) => write!(f, "id {s:?} is not a 64-bit integer"),
        }
    }
}

/// One validation finding about one feature.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// Position of the feature in its source, from 0.
    pub index: usize,
    /// The feature's id as written in the source, if it had one.
    pub id: Option<String>,
    /// For a polygon inside a multipolygon, its position (from 0).
    pub part: Option<usize>,
    /// What is wrong.
    pub kind: FaultKind,
    /// Whether it was fixed (warning) or stops the import (error).
    pub severity: Severity,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{sev}: feature #{}", self.index)?;
        if let Some(id) = &self.id {
            write!(f, " (id {id})")?;
        }
        if let Some(p) = self.part {
            write!(f, ", polygon {p}")?;
        }
        write!(f, ": {}", self.kind)
    }
}

fn list_faults(faults: &[Fault]) -> String {
    const SHOWN: usize = 20;
    let mut s = String::new();
    for f in faults.iter().take(SHOWN) {
        s.push_str("\n  ");
        s.push_str(&f.to_string());
    }
    if faults.len() > SHOWN {
        s.push_str(&format!("\n  ... and {} more", faults.len() - SHOWN));
    }
    s
}

/// Everything that can go wrong in demine-geo.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    /// The text is not well-formed in its format.
    #[error("{source_name}: line {line}, column {column}: {message}")]
    Syntax {
        /// The file (or other source) being read.
        source_name: String,
        /// Line, from 1.
        line: usize,
        /// Column in bytes, from 1.
        column: usize,
        /// What was expected or found.
        message: String,
    },
    /// Well-formed, but features failed validation; nothing was imported.
    #[error("{source_name}: {} feature fault(s), nothing imported:{}", .faults.len(), list_faults(.faults))]
    Invalid {
        /// The file (or other source) being read.
        source_name: String,
        /// Every error found (warnings are not repeated here).
        faults: Vec<Fault>,
    },
    /// A batch of points that cannot be checked as given (an empty id, an id given twice).
    #[error("{source_name}: {message}")]
    Points {
        /// The file or request the points came from.
        source_name: String,
        /// What is wrong and where.
        message: String,
    },
    /// A CSV record could not be used.
    #[error("{source_name}: line {line}: {message}")]
    Csv {
        /// The file being read.
        source_name: String,
        /// Line, from 1.
        line: u64,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A form submission (ODK Central, KoboToolbox export) could not be used.
    #[error("{source_name}: {at}: {message}")]
    Submission {
        /// The file being read.
        source_name: String,
        /// Where: a line, or a submission's position.
        at: String,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A WKB byte string could not be decoded.
    #[error("WKB: at byte {offset}: {message}")]
    Wkb {
        /// Offset of the fault in the byte string.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// A WKT string could not be parsed.
    #[error("WKT: at character {offset}: {message}")]
    Wkt {
        /// Offset of the fault in the text.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// A hazard record cannot go into the index.
    #[error("hazard {id}: {message}")]
    Hazard {
        /// The hazard's id.
        id: i64,
        /// What is wrong.
        message: String,
    },
    /// A worker thread of a parallel step failed: its share of the answer is missing, so the
    /// whole step fails rather than answer with points or features left out.
    #[error(
        "{task}: worker thread {worker} failed ({message}); no answer is given, since a partial \
         one could call a hazardous place safe"
    )]
    Worker {
        /// The step (e.g. "checking points").
        task: String,
        /// Which worker, from 0.
        worker: usize,
        /// What the worker's panic said.
        message: String,
    },
    /// Reading from a source failed.
    #[error("{source_name}: {source}")]
    Io {
        /// The file (or other source) being read.
        source_name: String,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
}

/// Reads a whole source into memory, naming it in the error.
pub fn read_source(source_name: &str, mut input: impl std::io::Read) -> Result<Vec<u8>, GeoError> {
    let mut buf = Vec::new();
    input.read_to_end(&mut buf).map_err(|source| GeoError::Io {
        source_name: source_name.to_string(),
        source,
    })?;
    Ok(buf)
}

/// Line and column (both from 1, column in bytes) of a byte offset in a text.
pub(crate) fn line_col(text: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let t = b"ab\ncd\nef";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 4), (2, 2));
        assert_eq!(line_col(t, 6), (3, 1));
    }

    #[test]
    fn fault_display_names_feature_and_fault() {
        let f = Fault {
            index: 3,
            id: Some("17".into()),
            part: None,
            kind: FaultKind::TooShortRing {
                ring: 0,
                vertices: 2,
            },
            severity: Severity::Error,
        };
        assert_eq!(
            f.to_string(),
            "error: feature #3 (id 17): ring 0 has 2 distinct vertices; a ring needs at least 3"
        );
    }
}
