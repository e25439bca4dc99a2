//! The world on 3 December 1997, the day the Convention opened for signature in Ottawa, computed
//! from the bundled seed records (figures, positions) and the treaty events: how many mines and
//! where, the competing estimates, the cost of clearing them, the casualties a year, and who
//! signed and who refused and why.

use chrono::NaiveDate;
use demine_core::records::{Estimate, Position};
use serde::Serialize;

/// A figure with its range and source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub subject: String,
    pub measure: String,
    pub low: f64,
    pub high: f64,
    pub unit: String,
    pub source: String,
    pub note: Option<String>,
}

impl From<&Estimate> for Figure {
    fn from(e: &Estimate) -> Figure {
        Figure {
            subject: e.subject.clone(),
            measure: e.measure.clone(),
            low: e.low,
            high: e.high,
            unit: e.unit.clone(),
            source: e.source.clone(),
            note: e.note.clone(),
        }
    }
}

/// The 1997 picture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct World1997 {
    pub date: NaiveDate,
    /// Every world estimate of mines emplaced (they disagree: all are kept).
    pub world_mines: Vec<Figure>,
    pub affected_states: Option<Figure>,
    /// The States with a 1997 estimate of mines emplaced, most first.
    pub most_mined: Vec<Figure>,
    pub cost_per_mine: Option<Figure>,
    /// Each world estimate of mines × the cost per mine (low, high) in USD.
    pub clearance_bill_usd: Vec<(f64, f64)>,
    pub casualties_per_year: Option<Figure>,
    /// States that had signed by the end of the Ottawa conference (ISO3, name).
    pub signed: Vec<(String, String)>,
    /// The positions on record: who led, who refused and why.
    pub positions: Vec<Position>,
    /// Other 1997 figures on record.
    pub other: Vec<Figure>,
}

/// The day the Convention opened for signature.
pub fn ottawa() -> NaiveDate {
    NaiveDate::from_ymd_opt(1997, 12, 3).unwrap_or_default()
}

/// Computes the picture from estimates dated 1997, the positions, and the signatories on the
/// last day of the Ottawa signing conference (given by the caller from the treaty engine).
pub fn world_1997(
    estimates: &[Estimate],
    positions: &[Position],
    signed: &[(String, String)],
) -> World1997 {
    let of97: Vec<&Estimate> = estimates
        .iter()
        .filter(|e| e.as_of.year() == 1997)
        .collect();
    let world = |m: &str| {
        of97.iter()
            .filter(|e| e.iso3.is_none() && e.measure == m)
            .map(|e| Figure::from(*e))
            .collect::<Vec<_>>()
    };
    let world_mines = world("mines_emplaced");
    let cost_per_mine = world("clearance_cost_per_mine").into_iter().next();
    let mut most: Vec<Figure> = of97
        .iter()
        .filter(|e| e.iso3.is_some() && e.measure == "mines_emplaced")
        .map(|e| Figure::from(*e))
        .collect();
    most.sort_by(|a, b| b.high.total_cmp(&a.high).then(a.subject.cmp(&b.subject)));
    let bill = cost_per_mine
        .as_ref()
        .map(|c| {
            world_mines
                .iter()
                .map(|m| (m.low * c.high, m.high * c.high))
                .collect()
        })
        .unwrap_or_default();
    let known = [
        "mines_emplaced",
        "clearance_cost_per_mine",
        "mine_affected_states",
        "civilian_casualties_per_year",
    ];
    let mut ps: Vec<Position> = positions
        .iter()
        .filter(|p| p.as_of.year() <= 1997)
        .cloned()
        .collect();
    ps.sort_by(|a, b| a.iso3.as_str().cmp(b.iso3.as_str()));
    World1997 {
        date: ottawa(),
        world_mines,
        affected_states: world("mine_affected_states").into_iter().next(),
        most_mined: most,
        cost_per_mine,
        clearance_bill_usd: bill,
        casualties_per_year: world("civilian_casualties_per_year").into_iter().next(),
        signed: signed.to_vec(),
        positions: ps,
        other: of97
            .iter()
            .filter(|e| !known.contains(&e.measure.as_str()))
            .map(|e| Figure::from(*e))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(iso3: Option<&str>, measure: &str, low: f64, high: f64) -> Estimate {
        Estimate {
            subject: iso3.unwrap_or("World").into(),
            iso3: iso3.and_then(|c| c.parse().ok()),
            measure: measure.into(),
            low,
            high,
            unit: "mines".into(),
            as_of: "1997".parse().unwrap(),
            source: "seed".into(),
            note: None,
        }
    }

    #[test]
    fn both_world_estimates_are_kept_and_the_bill_is_computed() {
        let e = vec![
            est(None, "mines_emplaced", 80e6, 110e6),
            est(None, "mines_emplaced", 10e6, 10e6),
            est(None, "clearance_cost_per_mine", 300.0, 300.0),
            est(Some("EGY"), "mines_emplaced", 23e6, 23e6),
            est(Some("AGO"), "mines_emplaced", 12e6, 12e6),
        ];
        let w = world_1997(&e, &[], &[]);
        assert_eq!(w.world_mines.len(), 2);
        assert_eq!(w.clearance_bill_usd[0], (24e9, 33e9));
        assert_eq!(w.most_mined[0].subject, "EGY");
    }
}
