//! Casualties per year and State from the record's estimates: totals, killed and injured, and
//! the civilian, child and female shares. A share the record does not give stays unknown.

use std::collections::BTreeMap;

use demine_core::records::{Estimate, source_ids};
use serde::Serialize;

/// Casualties of one subject (a State's ISO3, or `World`) in one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CasualtyYear {
    pub subject: String,
    pub year: i32,
    /// Total casualties (low, high), when recorded.
    pub total: Option<(f64, f64)>,
    pub killed: Option<f64>,
    pub injured: Option<f64>,
    /// Shares of the total, 0 to 1; None when the record does not give them.
    pub civilian_share: Option<f64>,
    pub child_share: Option<f64>,
    pub female_share: Option<f64>,
    /// The device categories: the record's estimates do not break casualties down by device,
    /// so this is `unknown` unless a finer record is held.
    pub device_category: String,
    pub sources: Vec<String>,
}

const MEASURES: [&str; 6] = [
    "casualties_total",
    "casualties_killed",
    "casualties_injured",
    "casualties_civilian_pct",
    "casualties_child_pct",
    "casualties_female_pct",
];

/// Casualties per subject and year, oldest first; `subject` filters (ISO3 or `World`).
pub fn per_year(estimates: &[Estimate], subject: Option<&str>) -> Vec<CasualtyYear> {
    let mut m: BTreeMap<(String, i32), CasualtyYear> = BTreeMap::new();
    for e in estimates
        .iter()
        .filter(|e| MEASURES.contains(&e.measure.as_str()))
    {
        let subj = e
            .iso3
            .map(|c| c.to_string())
            .unwrap_or_else(|| e.subject.clone());
        if subject.is_some_and(|s| !s.eq_ignore_ascii_case(&subj)) {
            continue;
        }
        let year = e.as_of.year();
        let y = m
            .entry((subj.clone(), year))
            .or_insert_with(|| CasualtyYear {
                subject: subj,
                year,
                total: None,
                killed: None,
                injured: None,
                civilian_share: None,
                child_share: None,
                female_share: None,
                device_category: "unknown".into(),
                sources: vec![],
            });
        let share = |pct: f64| (pct / 100.0).clamp(0.0, 1.0);
        match e.measure.as_str() {
            "casualties_total" => {
                y.total = Some(match y.total {
                    // Several sources for one year: keep the widest range they give.
                    Some((l, h)) => (l.min(e.low), h.max(e.high)),
                    None => (e.low, e.high),
                })
            }
            "casualties_killed" => y.killed = Some(e.high),
            "casualties_injured" => y.injured = Some(e.high),
            "casualties_civilian_pct" => y.civilian_share = Some(share(e.high)),
            "casualties_child_pct" => y.child_share = Some(share(e.high)),
            "casualties_female_pct" => y.female_share = Some(share(e.high)),
            _ => {}
        }
        for s in source_ids(&e.source) {
            if !y.sources.iter().any(|x| x == s) {
                y.sources.push(s.to_string());
            }
        }
    }
    m.into_values().collect()
}

/// Killed and injured as shares of the total (each 0..1, adding up to at most 1: when the parts
/// recorded exceed the total recorded, the parts' sum is taken as the total).
pub fn outcome_shares(y: &CasualtyYear) -> Option<(f64, f64)> {
    let (k, i) = (y.killed?, y.injured?);
    let total = y.total.map(|t| t.1).unwrap_or(0.0).max(k + i);
    if total <= 0.0 || !total.is_finite() {
        return None;
    }
    Some((k / total, i / total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn est(measure: &str, v: f64, year: &str) -> Estimate {
        Estimate {
            subject: "World".into(),
            iso3: None,
            measure: measure.into(),
            low: v,
            high: v,
            unit: "people".into(),
            as_of: year.parse().unwrap(),
            source: "s1;s2".into(),
            note: None,
        }
    }

    #[test]
    fn per_year_groups_and_keeps_unknown_shares_unknown() {
        let e = vec![
            est("casualties_total", 5000.0, "2018"),
            est("casualties_civilian_pct", 71.0, "2018"),
            est("casualties_total", 3457.0, "2013"),
        ];
        let y = per_year(&e, Some("World"));
        assert_eq!(y.len(), 2);
        assert_eq!(y[0].year, 2013);
        assert_eq!(y[1].civilian_share, Some(0.71));
        assert_eq!(y[1].female_share, None);
        assert_eq!(y[1].sources, vec!["s1", "s2"]);
    }

    proptest! {
        #[test]
        fn outcome_shares_sum_to_at_most_one(t in 0.0f64..1e5, k in 0.0f64..1e5, i in 0.0f64..1e5) {
            let y = CasualtyYear { subject: "W".into(), year: 2000, total: Some((t, t)), killed: Some(k),
                injured: Some(i), civilian_share: None, child_share: None, female_share: None,
                device_category: "unknown".into(), sources: vec![] };
            if let Some((a, b)) = outcome_shares(&y) {
                prop_assert!(a >= 0.0 && b >= 0.0 && a + b <= 1.0 + 1e-12);
            }
        }

        #[test]
        fn shares_are_fractions(p in -50.0f64..250.0) {
            let y = per_year(&[est("casualties_child_pct", p, "2019")], None);
            let s = y[0].child_share.unwrap_or(-1.0);
            prop_assert!((0.0..=1.0).contains(&s));
        }
    }
}
