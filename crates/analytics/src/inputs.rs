//! What the store hands analytics about the hazard data: totals aggregated in SQL, so that a
//! million land release activities come over as a few hundred rows.

use serde::{Deserialize, Serialize};

/// Hazardous areas of one State (or of none), hazard type, admin area and device list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaTotal {
    /// The State the areas are filed under (None: filed under no State).
    pub iso3: Option<String>,
    /// `SHA` or `CHA`.
    pub hazard_type: String,
    pub admin_area: Option<String>,
    /// The device categories the areas list (sorted; empty when none is recorded).
    pub devices: Vec<String>,
    /// Areas in the group that still count as a hazard.
    pub hazard_areas: u64,
    /// Areas in the group, whatever their status.
    pub areas: u64,
    /// What still counts as hazardous, in m² (areas that no longer count add nothing).
    pub remaining_m2: f64,
}

/// Land released by one kind of activity in one State and year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseTotal {
    pub iso3: Option<String>,
    /// The year the activity ended (or started, when it has no end); None when neither parses.
    pub year: Option<i32>,
    /// `non-technical-survey` (cancels), `technical-survey` (reduces) or `clearance` (clears).
    pub kind: String,
    pub activities: u64,
    pub released_m2: f64,
}

/// Devices found by land release in one State, year and category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceTotal {
    pub iso3: Option<String>,
    /// The year destroyed, else the year of the activity.
    pub year: Option<i32>,
    pub category: String,
    pub found: u64,
    pub destroyed: u64,
}

/// Everything the store aggregates about the hazard data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HazardTotals {
    pub areas: Vec<AreaTotal>,
    pub releases: Vec<ReleaseTotal>,
    pub devices: Vec<DeviceTotal>,
}

impl HazardTotals {
    /// Only what is filed under one State.
    pub fn of_state(&self, iso3: &str) -> HazardTotals {
        let is = |c: &Option<String>| c.as_deref() == Some(iso3);
        HazardTotals {
            areas: self.areas.iter().filter(|a| is(&a.iso3)).cloned().collect(),
            releases: self
                .releases
                .iter()
                .filter(|a| is(&a.iso3))
                .cloned()
                .collect(),
            devices: self
                .devices
                .iter()
                .filter(|a| is(&a.iso3))
                .cloned()
                .collect(),
        }
    }

    /// The States with any hazard data, sorted.
    pub fn states(&self) -> Vec<String> {
        let mut s: Vec<String> = self
            .areas
            .iter()
            .filter_map(|a| a.iso3.clone())
            .chain(self.releases.iter().filter_map(|r| r.iso3.clone()))
            .collect();
        s.sort();
        s.dedup();
        s
    }
}
