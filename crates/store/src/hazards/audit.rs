//! The audit side of the hazard store: the JSON an area's audit entries keep, and the check of a
//! dump's hazard tables against the audit chain.

use demine_core::hazard::HazardArea;
use sha2::{Digest, Sha256};

use super::dump::unhex;

/// The JSON the audit log keeps for an area: its attributes and a hash of its geometry (the
/// geometry itself is in the table and its versions).
pub(crate) fn audit_json(area: &HazardArea, wkb: &[u8], radius: Option<f64>) -> String {
    let mut v = serde_json::to_value(area).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(m) = &mut v {
        let h: String = Sha256::digest(wkb)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        m.insert("geometry_sha256".into(), h.into());
        if let Some(r) = radius {
            m.insert("radius_m".into(), r.into());
        }
    }
    v.to_string()
}

/// An area's attributes, geometry (WKB) and radius back from its row in a dump.
fn area_from_dump(
    row: &serde_json::Map<String, serde_json::Value>,
) -> Result<(HazardArea, Vec<u8>, Option<f64>), String> {
    use serde_json::Value as J;
    let text = |k: &str| row.get(k).and_then(J::as_str).map(str::to_string);
    let parse_json = |k: &str| -> Result<J, String> {
        match text(k) {
            Some(s) => serde_json::from_str(&s).map_err(|e| format!("{k}: {e}")),
            None => Ok(J::Null),
        }
    };
    let mut obj = serde_json::Map::new();
    for k in [
        "reference",
        "name",
        "hazard_type",
        "status",
        "source_status",
        "iso3",
        "admin_area",
        "organisation",
        "reported",
        "surveyed",
        "notes",
    ] {
        obj.insert(k.into(), row.get(k).cloned().unwrap_or(J::Null));
    }
    obj.insert("id".into(), row.get("id").cloned().unwrap_or(J::Null));
    obj.insert("devices".into(), parse_json("devices")?);
    obj.insert("benchmark".into(), parse_json("benchmark")?);
    obj.insert("custom".into(), parse_json("custom")?);
    let area: HazardArea =
        serde_json::from_value(J::Object(obj)).map_err(|e| format!("undecodable row: {e}"))?;
    let wkb = text("geom")
        .and_then(|h| unhex(&h))
        .ok_or("geom is not hex WKB")?;
    let radius = row.get("radius_m").and_then(J::as_f64);
    Ok((area, wkb, radius))
}

/// Checks the hazardous areas of a dump against the audit log: each area's current attributes
/// and geometry are what the last `hazard_area` entry for it recorded, and no area exists that
/// the log never saw.
pub(crate) fn verify_dump_areas(dump: &crate::Dump) -> Result<(), crate::Broken> {
    use std::collections::HashMap;
    let mut last: HashMap<&str, &crate::AuditEntry> = HashMap::new();
    for e in &dump.audit {
        if e.entity == "hazard_area" {
            last.insert(e.key.as_str(), e);
        }
    }
    let rows = dump
        .tables
        .get("hazard_areas")
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for row in rows {
        let key = row.get("id").map(ToString::to_string).unwrap_or_default();
        let broken = |seq: Option<i64>, reason: String| crate::Broken {
            seq,
            entity: "hazard_area".into(),
            key: key.clone(),
            reason,
        };
        let (area, wkb, radius) = area_from_dump(row).map_err(|r| broken(None, r))?;
        let Some(e) = last.get(key.as_str()) else {
            return Err(broken(
                None,
                "area is in the database but no audit entry records it".into(),
            ));
        };
        if e.after.as_deref() != Some(audit_json(&area, &wkb, radius).as_str()) {
            return Err(broken(
                Some(e.seq),
                format!(
                    "area differs from what audit entry #{} recorded (changed outside demine?)",
                    e.seq
                ),
            ));
        }
    }
    Ok(())
}
