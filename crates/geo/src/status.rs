//! Which hazard statuses count as a hazard for the safety check.
//!
//! Land that has been released (cleared by clearance, cancelled by non-technical survey), and areas
//! that are closed or handed over, no longer count. Every other status, including unknown or
//! misspelt ones, counts: when in doubt, a place is not declared safe.

/// The normalised statuses that do not count as hazards.
pub const RELEASED_STATUSES: &[&str] = &[
    "cleared",
    "cancelled",
    "canceled",
    "closed",
    "handed over",
    "released",
];

/// Whether an area with this status counts as a hazard. Case, surrounding blanks and the
/// separators `_`/`-` are ignored ("Handed_Over" is "handed over").
pub fn counts_as_hazard(status: &str) -> bool {
    let norm: String = status
        .trim()
        .chars()
        .map(|c| match c {
            '_' | '-' => ' ',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    let norm = norm.split_whitespace().collect::<Vec<_>>().join(" ");
    let norm = if norm == "handedover" {
        "handed over".to_string()
    } else {
        norm
    };
    !RELEASED_STATUSES.contains(&norm.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_statuses_do_not_count() {
        for s in [
            "cleared",
            "Cleared",
            " CANCELLED ",
            "canceled",
            "closed",
            "handed over",
            "Handed_Over",
            "handed-over",
            "handedover",
            "released",
        ] {
            assert!(!counts_as_hazard(s), "{s}");
        }
    }

    #[test]
    fn open_and_unknown_statuses_count() {
        for s in [
            "suspected",
            "confirmed",
            "reduced",
            "open",
            "",
            "unknown",
            "clear",
        ] {
            assert!(counts_as_hazard(s), "{s}");
        }
    }
}
