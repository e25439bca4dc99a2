//! The import merge rule: what an import of an existing area keeps and what it replaces.

use demine_core::hazard::HazardArea;

use super::NewArea;

/// What an import of an existing area changes: what the file says. Attributes the file leaves
/// empty (a file has no admin area, organisation, dates, notes, devices or custom values; no
/// State unless one is given) keep their current values.
pub(crate) fn merge_import(cur: &HazardArea, new: &NewArea) -> NewArea {
    let mut a = new.area.clone();
    let keep = |n: &mut Option<String>, c: &Option<String>| {
        if n.is_none() {
            n.clone_from(c);
        }
    };
    keep(&mut a.reference, &cur.reference);
    keep(&mut a.name, &cur.name);
    keep(&mut a.source_status, &cur.source_status);
    keep(&mut a.iso3, &cur.iso3);
    keep(&mut a.admin_area, &cur.admin_area);
    keep(&mut a.organisation, &cur.organisation);
    keep(&mut a.notes, &cur.notes);
    a.reported = a.reported.or(cur.reported);
    a.surveyed = a.surveyed.or(cur.surveyed);
    a.benchmark = a.benchmark.or(cur.benchmark);
    if a.devices.is_empty() {
        a.devices.clone_from(&cur.devices);
    }
    if a.custom.is_empty() {
        a.custom.clone_from(&cur.custom);
    }
    NewArea {
        area: a,
        shape: new.shape.clone(),
        id_given: new.id_given,
        feature: new.feature,
    }
}
