//! Hazardous areas to and from files: the store's areas as the plain features the format
//! writers of `demine_geo::write` take.

use demine_core::hazard::HazardArea;
use demine_geo::write::{FileFormat, OutFeature, radius, write_features};

use crate::StoreError;
use crate::hazards::StoredArea;

/// The status word written on export: the source's word when there is one (so that a file
/// round-trips), else the model's status.
pub fn export_status(a: &HazardArea) -> String {
    a.source_status
        .clone()
        .unwrap_or_else(|| a.status.as_str().to_string())
}

/// One stored area as a feature to write: every attribute as a GeoJSON property (so that a
/// GeoJSON export imports back whole), and the few the other formats carry.
pub fn out_feature(x: &StoredArea) -> OutFeature<'_> {
    let a = &x.area;
    let properties = match serde_json::json!({
        "id": a.id,
        "reference": a.reference,
        "name": a.name,
        "type": a.hazard_type,
        "status": export_status(a),
        "area_status": a.status,
        "iso3": a.iso3,
        "admin_area": a.admin_area,
        "organisation": a.organisation,
        "devices": a.devices,
        "reported": a.reported,
        "surveyed": a.surveyed,
        "benchmark": a.benchmark,
        "notes": a.notes,
        "custom": a.custom,
        "radius_m": radius(&x.shape),
        "remaining_m2": x.remaining_m2,
        "version": x.version,
        "version_status": x.version_status,
    }) {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    OutFeature {
        id: a.id,
        name: a.name.as_deref(),
        status: export_status(a),
        hazard_type: a.hazard_type.to_string(),
        iso3: a.iso3.as_deref(),
        shape: &x.shape,
        properties,
    }
}

/// The areas as text in a format.
pub fn export_text(areas: &[StoredArea], format: FileFormat) -> Result<String, StoreError> {
    let features: Vec<OutFeature<'_>> = areas.iter().map(out_feature).collect();
    Ok(write_features(&features, format)?)
}
