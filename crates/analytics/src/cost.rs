//! The cost to finish: per square metre (configured per State, else derived from the funding
//! and release history where both exist) and per mine (the 1997 campaign figure of $300 a mine
//! from the bundled data, its source shown); and the years to finish at the current funding
//! rate.

use std::collections::BTreeMap;

use demine_core::records::Estimate;
use serde::{Deserialize, Serialize};

use crate::M2_PER_KM2;
use crate::contamination::latest_estimate;
use crate::progress::YearProgress;

/// The per-mine figure used when the data holds none: the international ban campaign's 1997
/// estimate of $300 to clear a mine (as reported in the bundled 1997 seed text
/// `002_d49c31f01cd2f01e.txt`).
pub const DEFAULT_COST_PER_MINE_USD: f64 = 300.0;

/// Cost figures set by whoever runs the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostConfig {
    /// US dollars per m² by ISO3: overrides what the history gives.
    pub per_m2_usd: BTreeMap<String, f64>,
}

/// A rate and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    pub usd: f64,
    /// `configured`, `funding and release history (years ...)`, `record` ...
    pub basis: String,
    pub source: Option<String>,
}

/// The cost picture of one State.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostView {
    pub iso3: String,
    pub per_m2: Option<Rate>,
    pub remaining_km2: Option<f64>,
    pub cost_to_finish_usd: Option<f64>,
    pub per_mine: Rate,
    /// The latest `mines_emplaced` estimate (low, high) and its source.
    pub mines: Option<(f64, f64, String)>,
    pub cost_by_mines_usd: Option<(f64, f64)>,
    /// The latest year of funding on record (international + national) and its sources.
    pub annual_funding_usd: Option<(i32, f64, String)>,
    /// Cost to finish ÷ latest annual funding.
    pub years_to_finish: Option<f64>,
    /// What could not be computed and why.
    pub missing: Vec<String>,
}

/// Funding per year (international + national, mid-range), with sources.
pub fn funding_by_year(estimates: &[Estimate], iso3: &str) -> BTreeMap<i32, (f64, String)> {
    let mut m: BTreeMap<i32, (f64, String)> = BTreeMap::new();
    for e in estimates.iter().filter(|e| {
        (e.measure == "funding_international_usd" || e.measure == "funding_national_usd")
            && e.iso3.is_some_and(|c| c.as_str() == iso3)
    }) {
        let y = m.entry(e.as_of.year()).or_insert((0.0, String::new()));
        y.0 += (e.low + e.high) / 2.0;
        if !y.1.is_empty() {
            y.1.push(';');
        }
        y.1.push_str(&e.source);
    }
    m
}

/// The cost view of a State.
pub fn cost(
    iso3: &str,
    remaining_km2: Option<f64>,
    history: &[YearProgress],
    estimates: &[Estimate],
    world_estimates: &[Estimate],
    config: &CostConfig,
) -> CostView {
    let mut missing = Vec::new();
    let funding = funding_by_year(estimates, iso3);
    let per_m2 = if let Some(usd) = config.per_m2_usd.get(iso3) {
        Some(Rate {
            usd: *usd,
            basis: "configured".into(),
            source: None,
        })
    } else {
        let both: Vec<(i32, f64, f64, &String)> = history
            .iter()
            .filter(|y| y.released_m2() > 0.0)
            .filter_map(|y| {
                funding
                    .get(&y.year)
                    .map(|(f, s)| (y.year, *f, y.released_m2(), s))
            })
            .collect();
        if both.is_empty() {
            missing.push(
                "cost per m2: no year has both funding and land release on record, and none is \
                 configured"
                    .into(),
            );
            None
        } else {
            let f: f64 = both.iter().map(|b| b.1).sum();
            let m2: f64 = both.iter().map(|b| b.2).sum();
            let years: Vec<String> = both.iter().map(|b| b.0.to_string()).collect();
            let mut srcs: Vec<&str> = both.iter().map(|b| b.3.as_str()).collect();
            srcs.dedup();
            Some(Rate {
                usd: f / m2,
                basis: format!("funding ÷ land released in {}", years.join(", ")),
                source: Some(srcs.join(";")),
            })
        }
    };
    let cost_to_finish = match (&per_m2, remaining_km2) {
        (Some(r), Some(k)) => Some(r.usd * k * M2_PER_KM2),
        (_, None) => {
            missing.push("cost to finish: the remaining area is not known".into());
            None
        }
        _ => None,
    };
    let per_mine = world_estimates
        .iter()
        .find(|e| e.measure == "clearance_cost_per_mine")
        .map(|e| Rate {
            usd: e.high,
            basis: format!("record: {} estimate", e.as_of),
            source: Some(e.source.clone()),
        })
        .unwrap_or(Rate {
            usd: DEFAULT_COST_PER_MINE_USD,
            basis: "built-in default: the 1997 ban campaign figure".into(),
            source: None,
        });
    let mines = latest_estimate(estimates, iso3, "mines_emplaced")
        .map(|e| (e.low, e.high, e.source.clone()));
    if mines.is_none() {
        missing.push("cost by mines: no estimate of mines emplaced on record".into());
    }
    let cost_by_mines = mines
        .as_ref()
        .map(|(l, h, _)| (l * per_mine.usd, h * per_mine.usd));
    let annual = funding
        .iter()
        .next_back()
        .map(|(y, (f, s))| (*y, *f, s.clone()));
    if annual.is_none() {
        missing.push("years to finish: no funding on record".into());
    }
    let years_to_finish = match (cost_to_finish, &annual) {
        (Some(c), Some((_, f, _))) if *f > 0.0 => Some(c / f),
        _ => None,
    };
    CostView {
        iso3: iso3.to_string(),
        per_m2,
        remaining_km2,
        cost_to_finish_usd: cost_to_finish,
        per_mine,
        mines,
        cost_by_mines_usd: cost_by_mines,
        annual_funding_usd: annual,
        years_to_finish,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(iso3: &str, measure: &str, v: f64, year: &str) -> Estimate {
        Estimate {
            subject: iso3.into(),
            iso3: iso3.parse().ok(),
            measure: measure.into(),
            low: v,
            high: v,
            unit: "USD".into(),
            as_of: year.parse().unwrap(),
            source: "src".into(),
            note: None,
        }
    }

    #[test]
    fn per_m2_from_years_with_both_and_years_to_finish() {
        let h = vec![YearProgress {
            year: 2020,
            cleared_m2: 1_000_000.0,
            ..Default::default()
        }];
        let e = vec![est("AAA", "funding_international_usd", 2_000_000.0, "2020")];
        let c = cost("AAA", Some(3.0), &h, &e, &[], &CostConfig::default());
        assert_eq!(c.per_m2.as_ref().map(|r| r.usd), Some(2.0));
        assert_eq!(c.cost_to_finish_usd, Some(6_000_000.0));
        assert_eq!(c.years_to_finish, Some(3.0));
        assert_eq!(c.per_mine.usd, DEFAULT_COST_PER_MINE_USD);
        assert!(c.missing.iter().any(|m| m.contains("mines")));
    }

    #[test]
    fn configured_rate_wins_and_no_history_is_missing_not_zero() {
        let mut cfg = CostConfig::default();
        let c = cost("AAA", Some(1.0), &[], &[], &[], &cfg);
        assert!(c.per_m2.is_none() && c.cost_to_finish_usd.is_none());
        cfg.per_m2_usd.insert("AAA".into(), 1.5);
        let c = cost("AAA", Some(1.0), &[], &[], &[], &cfg);
        assert_eq!(c.cost_to_finish_usd, Some(1_500_000.0));
    }
}
