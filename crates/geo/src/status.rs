//! Which hazard statuses count as a hazard for the safety check.
//!
//! The rule itself lives in `demine_core::hazard` ([`AreaStatus::counts_as_hazard`], with the
//! dust threshold and the SQL the store selects with, all generated from it); this module applies
//! it to the status words of hazard records. Land that has been released (cleared by clearance,
//! cancelled by non-technical survey), and areas that are closed or handed over, no longer count.
//! Every other status, including unknown or misspelt ones, counts: when in doubt, a place is not
//! declared safe.

pub use demine_core::hazard::AreaStatus;

/// Whether a hazard record with this status word counts as a hazard: the word's meaning
/// (`demine_core::hazard::map_source_status`) decides, so case, blanks and the separators
/// `_`/`-` are ignored ("Handed_Over" is "handed over"), and an unknown word counts.
pub fn counts_as_hazard(status: &str) -> bool {
    demine_core::hazard::word_counts_as_hazard(status)
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
            "handed - over",
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
            "cleared?",
            "clëared",
            "handed",
        ] {
            assert!(counts_as_hazard(s), "{s}");
        }
    }

    #[test]
    fn the_word_rule_is_the_model_rule() {
        // Every model status, written as a word, means itself.
        for s in AreaStatus::ALL {
            assert_eq!(counts_as_hazard(s.as_str()), s.counts_as_hazard(), "{s}");
        }
    }
}
