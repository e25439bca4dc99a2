//! The API types of the hazard store: what an import takes and reports, what is stored and read.

use demine_core::hazard::{Activity, AreaStatus, HazardArea, VersionStatus};
use demine_geo::{Bbox, Geometry, HazardShape};
use serde::Serialize;

/// An area to import: its attributes and its shape (already validated).
#[derive(Debug, Clone, PartialEq)]
pub struct NewArea {
    /// The attributes.
    pub area: HazardArea,
    /// The recorded shape.
    pub shape: HazardShape,
    /// Whether `area.id` names the area. A feature without an id has none: it becomes a new area
    /// with an id the store assigns (and `area.id` is ignored), never the id of its position.
    pub id_given: bool,
    /// Its position in the imported file (from 0), for messages; None when not from a file.
    pub feature: Option<usize>,
}

impl NewArea {
    /// An area whose `area.id` names it (an update, or an insert with that id).
    pub fn with_id(area: HazardArea, shape: HazardShape) -> NewArea {
        NewArea {
            area,
            shape,
            id_given: true,
            feature: None,
        }
    }

    /// How messages name it: its feature and id, or "a new area".
    pub fn describe(&self) -> String {
        let id = if self.id_given {
            format!("id {}", self.area.id)
        } else {
            "no id".to_string()
        };
        match self.feature {
            Some(i) => format!("feature #{i} ({id})"),
            None if self.id_given => format!("area {}", self.area.id),
            None => "a new area".to_string(),
        }
    }
}

/// The largest area id accepted: 2^53 - 1, the largest integer every JSON reader keeps exactly.
pub const MAX_AREA_ID: i64 = (1 << 53) - 1;

/// An area as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredArea {
    /// The attributes.
    pub area: HazardArea,
    /// The recorded shape.
    pub shape: HazardShape,
    /// The recorded shape minus every released perimeter (None while nothing was released).
    pub remaining: Option<Geometry>,
    /// Area of `remaining` in m².
    pub remaining_m2: Option<f64>,
    /// The current version number (from 1).
    pub version: i64,
    /// Whether the current version is a draft or approved.
    pub version_status: VersionStatus,
    /// When the current version was made.
    pub updated_at: String,
    /// Who made it.
    pub updated_by: String,
}

/// One version of an area, superseded or current.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaVersion {
    /// Version number, from 1.
    pub version: i64,
    /// Draft or approved.
    pub version_status: VersionStatus,
    /// When it was made and by whom.
    pub made_at: String,
    /// Who made it.
    pub made_by: String,
    /// When a later version replaced it (None for the current version).
    pub superseded_at: Option<String>,
    /// Who replaced it.
    pub superseded_by: Option<String>,
    /// The attributes as they were.
    pub area: HazardArea,
    /// The geometry as it was (WKT).
    pub geometry_wkt: String,
}

/// A land release activity as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredActivity {
    /// The activity (with its id and devices).
    pub activity: Activity,
    /// Its perimeter.
    pub perimeter: Geometry,
    /// Area of the perimeter in m².
    pub perimeter_m2: f64,
    /// What it released from the area (its perimeter clipped to the land still hazardous then).
    pub released_m2: f64,
    /// When and by whom it was recorded.
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
}

/// Which areas to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AreaFilter {
    /// Only this State's.
    pub iso3: Option<String>,
    /// Only areas with this status.
    pub status: Option<AreaStatus>,
    /// Only areas whose bounding box meets this box.
    pub bbox: Option<Bbox>,
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HazardImportReport {
    /// Whether this was a dry run: nothing was written.
    pub dry_run: bool,
    /// Areas in the import.
    pub areas: u64,
    /// New areas.
    pub inserted: u64,
    /// Existing areas that changed (a new version each).
    pub updated: u64,
    /// Existing areas identical to the import.
    pub unchanged: u64,
    /// The ids of the new areas, in the file's order (ids the store assigned to features without
    /// one included).
    pub inserted_ids: Vec<i64>,
    /// The ids of the areas that got a new version.
    pub updated_ids: Vec<i64>,
    /// The ids of the areas left unchanged.
    pub unchanged_ids: Vec<i64>,
}
