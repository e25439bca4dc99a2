//! How the hazard tables and the server's account tables are carried in a [`crate::Dump`]:
//! their columns, and hex for geometry.

/// How a column of a hazard table is carried in a [`crate::Dump`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DumpCol {
    Int,
    Real,
    Text,
    /// A flag (`BOOLEAN` in PostgreSQL, 0/1 in SQLite), as JSON `true`/`false`.
    Bool,
    /// Geometry, as hex WKB.
    Geom,
}

/// The hazard tables and the account tables in a dump, parents first, with their columns.
///
/// The accounts (users with their password hashes, API token hashes) and the field reports are
/// part of what a backup must give back: without them a restore would lose every draft awaiting
/// review and every login. Browser sessions are not carried: a restore ends them all (see
/// [`RESTORE_CLEARS`]).
pub(crate) const DUMP_TABLES: &[(&str, &[(&str, DumpCol)])] = {
    use DumpCol::{Bool, Geom, Int, Real, Text};
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
                ("area_m2", Real),
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
        (
            "users",
            &[
                ("name", Text),
                ("password_hash", Text),
                ("role", Text),
                ("iso3", Text),
                ("organisation", Text),
                ("restricted", Bool),
                ("disabled", Bool),
                ("created_at", Text),
                ("updated_at", Text),
            ],
        ),
        (
            "api_tokens",
            &[
                ("token_hash", Text),
                ("user_name", Text),
                ("label", Text),
                ("created_at", Text),
                ("revoked", Bool),
            ],
        ),
        (
            "field_reports",
            &[
                ("id", Int),
                ("kind", Text),
                ("iso3", Text),
                ("organisation", Text),
                ("area_id", Int),
                ("payload", Text),
                ("status", Text),
                ("author", Text),
                ("created_at", Text),
                ("updated_at", Text),
                ("reviewer", Text),
                ("decided_at", Text),
                ("note", Text),
                ("supersedes", Int),
                ("outcome", Text),
            ],
        ),
    ]
};

/// Tables a restore empties without refilling them: browser sessions belong to the database
/// they were opened on, so a restore logs everyone out (children before parents).
pub(crate) const RESTORE_CLEARS: &[&str] = &["sessions"];

/// Lower-case hexadecimal (without a `format!` per byte: dumps and the audit check hex every
/// geometry of the database).
pub(crate) fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(char::from(DIGITS[usize::from(x >> 4)]));
        s.push(char::from(DIGITS[usize::from(x & 15)]));
    }
    s
}

pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks_exact(2)
        .map(|p| Some((digit(p[0])? << 4) | digit(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_round_trips_and_refuses_what_is_not_hex() {
        let b: Vec<u8> = (0..=255).collect();
        let h = super::hex(&b);
        assert_eq!(&h[..8], "00010203");
        assert_eq!(&h[h.len() - 4..], "feff");
        assert_eq!(super::unhex(&h), Some(b));
        assert_eq!(super::unhex("0A"), Some(vec![10]));
        for bad in ["0", "zz", "0g", "+1", " 1"] {
            assert_eq!(super::unhex(bad), None, "{bad}");
        }
    }
}
