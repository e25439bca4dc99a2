//! How the hazard tables are carried in a [`crate::Dump`]: their columns, and hex for geometry.

/// How a column of a hazard table is carried in a [`crate::Dump`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DumpCol {
    Int,
    Real,
    Text,
    /// Geometry, as hex WKB.
    Geom,
}

/// The hazard tables in a dump, parents first, with their columns.
pub(crate) const DUMP_TABLES: &[(&str, &[(&str, DumpCol)])] = {
    use DumpCol::{Geom, Int, Real, Text};
    &[
        (
            "custom_fields",
            &[
                ("iso3", Text),
                ("name", Text),
                ("kind", Text),
                ("choices", Text),
            ],
        ),
        (
            "hazard_areas",
            &[
                ("id", Int),
                ("reference", Text),
                ("name", Text),
                ("hazard_type", Text),
                ("status", Text),
                ("source_status", Text),
                ("iso3", Text),
                ("admin_area", Text),
                ("organisation", Text),
                ("reported", Text),
                ("surveyed", Text),
                ("notes", Text),
                ("devices", Text),
                ("benchmark", Text),
                ("custom", Text),
                ("radius_m", Real),
                ("geom", Geom),
                ("remaining", Geom),
                ("remaining_m2", Real),
                ("version", Int),
                ("version_status", Text),
                ("updated_at", Text),
                ("updated_by", Text),
            ],
        ),
        (
            "hazard_area_versions",
            &[
                ("area_id", Int),
                ("version", Int),
                ("version_status", Text),
                ("made_at", Text),
                ("made_by", Text),
                ("superseded_at", Text),
                ("superseded_by", Text),
                ("data", Text),
                ("geom", Geom),
            ],
        ),
        (
            "release_activities",
            &[
                ("id", Int),
                ("area_id", Int),
                ("kind", Text),
                ("start_date", Text),
                ("end_date", Text),
                ("organisation", Text),
                ("method", Text),
                ("depth_cm", Int),
                ("perimeter", Geom),
                ("perimeter_m2", Real),
                ("released_m2", Real),
                ("recorded_at", Text),
                ("recorded_by", Text),
            ],
        ),
        (
            "device_finds",
            &[
                ("id", Int),
                ("activity_id", Int),
                ("category", Text),
                ("model", Text),
                ("lon", Real),
                ("lat", Real),
                ("depth_cm", Int),
                ("condition", Text),
                ("destroyed", Text),
            ],
        ),
    ]
};

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
