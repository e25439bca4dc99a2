//! A State's land release books from its areas' accounting: the total (recorded, released by
//! method, remaining), whether it balances, and the totals by area status and hazard type. Each
//! area's own accounting (its recorded shape less the perimeters released from it) is measured
//! by the store; this adds them up.

use std::collections::BTreeMap;

use demine_core::hazard::{Accounting, AreaStatus, HazardType};
use serde::Serialize;

/// One area's books and what the totals group it by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaBooks {
    pub id: i64,
    /// The area's status, when known (an area asked about by id alone is counted in the total
    /// but under no status).
    #[serde(skip)]
    pub status: Option<AreaStatus>,
    /// SHA or CHA, when known.
    #[serde(skip)]
    pub hazard_type: Option<HazardType>,
    pub accounting: Accounting,
}

/// The books of a set of areas (a State's, or one area's).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Books {
    /// Each area's accounting, in the order given.
    pub areas: Vec<AreaBooks>,
    /// Their sum.
    pub total: Accounting,
    /// Whether the total balances (recorded = released + remaining) to within the tolerance.
    pub balances: bool,
    /// The sums by area status (`open`, `closed`, `handed-over`); only the statuses present.
    pub by_status: BTreeMap<String, Accounting>,
    /// The sums by hazard type (`SHA`, `CHA`); only the types present.
    pub by_type: BTreeMap<String, Accounting>,
}

/// Adds up `areas`; the total balances when its imbalance is within `rel` of the recorded area
/// (and 0.01 m², [`Accounting::balances`]). No areas give a zero total that balances: nothing
/// recorded, nothing released.
pub fn books(areas: Vec<AreaBooks>, rel: f64) -> Books {
    let mut total = Accounting::default();
    let mut by_status: BTreeMap<String, Accounting> = BTreeMap::new();
    let mut by_type: BTreeMap<String, Accounting> = BTreeMap::new();
    for a in &areas {
        total.add(&a.accounting);
        if let Some(s) = a.status {
            by_status
                .entry(s.as_str().to_string())
                .or_default()
                .add(&a.accounting);
        }
        if let Some(t) = a.hazard_type {
            by_type
                .entry(t.as_str().to_string())
                .or_default()
                .add(&a.accounting);
        }
    }
    Books {
        balances: total.balances(rel),
        areas,
        total,
        by_status,
        by_type,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;

    fn acc(recorded: f64, cancelled: f64, reduced: f64, cleared: f64) -> Accounting {
        Accounting {
            recorded_m2: recorded,
            cancelled_m2: cancelled,
            reduced_m2: reduced,
            cleared_m2: cleared,
            remaining_m2: recorded - cancelled - reduced - cleared,
        }
    }

    fn area(id: i64, s: Option<AreaStatus>, t: Option<HazardType>, a: Accounting) -> AreaBooks {
        AreaBooks {
            id,
            status: s,
            hazard_type: t,
            accounting: a,
        }
    }

    #[test]
    fn totals_by_status_and_type() {
        let b = books(
            vec![
                area(
                    1,
                    Some(AreaStatus::Open),
                    Some(HazardType::Cha),
                    acc(100.0, 10.0, 20.0, 30.0),
                ),
                area(
                    2,
                    Some(AreaStatus::Closed),
                    Some(HazardType::Cha),
                    acc(50.0, 0.0, 0.0, 50.0),
                ),
                area(
                    3,
                    Some(AreaStatus::Open),
                    Some(HazardType::Sha),
                    acc(200.0, 200.0, 0.0, 0.0),
                ),
            ],
            1e-9,
        );
        assert_eq!(b.total.recorded_m2, 350.0);
        assert_eq!(b.total.cleared_m2, 80.0);
        assert_eq!(b.total.remaining_m2, 40.0);
        assert!(b.balances);
        assert_eq!(b.by_status["open"].recorded_m2, 300.0);
        assert_eq!(b.by_status["closed"].cleared_m2, 50.0);
        assert!(!b.by_status.contains_key("handed-over"));
        assert_eq!(b.by_type["CHA"].recorded_m2, 150.0);
        assert_eq!(b.by_type["SHA"].cancelled_m2, 200.0);
    }

    #[test]
    fn an_area_of_unknown_status_counts_in_the_total_only() {
        let b = books(vec![area(7, None, None, acc(10.0, 0.0, 0.0, 5.0))], 1e-9);
        assert_eq!(b.total.recorded_m2, 10.0);
        assert!(b.by_status.is_empty() && b.by_type.is_empty());
    }

    #[test]
    fn books_that_do_not_balance_say_so() {
        let mut a = acc(100.0, 0.0, 0.0, 0.0);
        a.remaining_m2 = 60.0;
        assert!(!books(vec![area(1, None, None, a)], 1e-9).balances);
    }

    #[test]
    fn the_json_keeps_the_shape_the_cli_printed() {
        let b = books(
            vec![area(
                4,
                Some(AreaStatus::Open),
                None,
                acc(1.0, 0.0, 0.0, 0.0),
            )],
            1e-9,
        );
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(v["areas"][0]["id"], 4);
        assert!(v["areas"][0].get("status").is_none());
        assert_eq!(v["areas"][0]["accounting"]["recorded_m2"], 1.0);
        assert_eq!(v["balances"], true);
    }

    fn arb_area() -> impl Strategy<Value = AreaBooks> {
        (
            0.0f64..1e9,
            0.0f64..1.0,
            0.0f64..1.0,
            0.0f64..1.0,
            proptest::option::of(proptest::sample::select(AreaStatus::ALL)),
            proptest::option::of(proptest::sample::select(HazardType::ALL)),
        )
            .prop_map(|(rec, a, b, c, s, t)| {
                // Shares of the recorded area that add up to at most all of it.
                let sum = (a + b + c).max(1.0);
                area(
                    0,
                    s,
                    t,
                    acc(rec, rec * a / sum, rec * b / sum, rec * c / sum),
                )
            })
    }

    proptest! {
        /// The total is the sum of the areas, the groups never hold more than the total, and
        /// areas that balance give a total that balances.
        #[test]
        fn totals_add_up(areas in proptest::collection::vec(arb_area(), 0..20)) {
            let recorded: f64 = areas.iter().map(|a| a.accounting.recorded_m2).sum();
            let known_status: f64 = areas
                .iter()
                .filter(|a| a.status.is_some())
                .map(|a| a.accounting.recorded_m2)
                .sum();
            let b = books(areas, 1e-9);
            prop_assert!((b.total.recorded_m2 - recorded).abs() <= 1e-6 * recorded.max(1.0));
            let grouped: f64 = b.by_status.values().map(|a| a.recorded_m2).sum();
            prop_assert!((grouped - known_status).abs() <= 1e-6 * known_status.max(1.0));
            let typed: f64 = b.by_type.values().map(|a| a.recorded_m2).sum();
            prop_assert!(typed <= b.total.recorded_m2 * (1.0 + 1e-9) + 1e-6);
            prop_assert!(b.balances);
        }
    }
}
