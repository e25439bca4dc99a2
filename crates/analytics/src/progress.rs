//! Land release progress per year by method, devices found and destroyed, and the completion
//! forecast with its interval, compared with the Art. 5 deadline.
//!
//! The forecast (docs/analytics.md): take the release rates (km² a year, all methods) of the
//! last `window` complete calendar years before the date asked about, from the first year with
//! any release (years without any count as zero). Fit a least-squares line through them; the
//! *trend rate* is the line's value at the latest year. The *spread* is the sample standard
//! deviation of those rates. The fast and slow rates are the trend rate plus and minus the
//! spread (the slow one floored at zero). Remaining ÷ rate gives the years to finish: the
//! trend rate the central date, the fast rate the earliest, the slow one the latest (none when
//! the slow rate is zero: at that pace the work never ends). The central date against the
//! deadline in force says on track, or late by how many days.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::M2_PER_KM2;
use crate::inputs::{DeviceTotal, ReleaseTotal};

/// One year of land release in a State (or the world).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct YearProgress {
    pub year: i32,
    /// Cancelled by non-technical survey.
    pub cancelled_m2: f64,
    /// Reduced by technical survey.
    pub reduced_m2: f64,
    pub cleared_m2: f64,
    pub activities: u64,
    pub devices_found: u64,
    pub devices_destroyed: u64,
}

impl YearProgress {
    pub fn released_m2(&self) -> f64 {
        self.cancelled_m2 + self.reduced_m2 + self.cleared_m2
    }
}

/// The release history by year (oldest first), and what has no usable year.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Progress {
    pub years: Vec<YearProgress>,
    /// Activities and devices whose dates give no year.
    pub undated: YearProgress,
    /// Devices destroyed, by category, all years.
    pub destroyed_by_category: BTreeMap<String, u64>,
}

/// Sums the totals (already filtered to a State, or the world) per year.
pub fn progress(releases: &[ReleaseTotal], devices: &[DeviceTotal]) -> Progress {
    let mut years: BTreeMap<i32, YearProgress> = BTreeMap::new();
    let mut undated = YearProgress::default();
    let mut by_cat = BTreeMap::new();
    for r in releases {
        let y = match r.year {
            Some(y) => years.entry(y).or_insert_with(|| YearProgress {
                year: y,
                ..Default::default()
            }),
            None => &mut undated,
        };
        y.activities += r.activities;
        match r.kind.as_str() {
            "non-technical-survey" => y.cancelled_m2 += r.released_m2,
            "technical-survey" => y.reduced_m2 += r.released_m2,
            _ => y.cleared_m2 += r.released_m2,
        }
    }
    for d in devices {
        let y = match d.year {
            Some(y) => years.entry(y).or_insert_with(|| YearProgress {
                year: y,
                ..Default::default()
            }),
            None => &mut undated,
        };
        y.devices_found += d.found;
        y.devices_destroyed += d.destroyed;
        *by_cat.entry(d.category.clone()).or_insert(0) += d.destroyed;
    }
    Progress {
        years: years.into_values().collect(),
        undated,
        destroyed_by_category: by_cat,
    }
}

/// Where the forecast leaves the State against its deadline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// Nothing remains.
    Complete,
    /// The central date falls on or before the deadline.
    OnTrack { margin_days: i64 },
    /// The central date falls after the deadline.
    Late { days: i64 },
    /// At the trend rate the work never ends (the trend is at or below zero).
    NotAtTrend,
    /// No deadline is in force to compare with.
    NoDeadline,
    /// Too little history to forecast.
    CannotForecast { reason: String },
}

/// The completion forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    pub method: String,
    pub remaining_km2: f64,
    /// The years used and their release rates in km².
    pub years: Vec<i32>,
    pub rates_km2: Vec<f64>,
    pub trend_rate_km2: Option<f64>,
    pub spread_km2: Option<f64>,
    pub fast_rate_km2: Option<f64>,
    pub slow_rate_km2: Option<f64>,
    pub earliest: Option<NaiveDate>,
    pub central: Option<NaiveDate>,
    /// None while the slow rate is zero (never at that pace).
    pub latest: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub verdict: Verdict,
}

/// The method in one sentence, as reports print it.
pub const METHOD: &str = "least-squares trend of the annual release rates of the last complete \
years (up to the window), evaluated at the latest year; range = trend ± the rates' sample \
standard deviation; years to finish = remaining ÷ rate";

/// Years beyond which a date is not given (the pace would take more than a millennium).
const MAX_YEARS: f64 = 1000.0;

fn after(as_of: NaiveDate, years: f64) -> Option<NaiveDate> {
    if !years.is_finite() || !(0.0..=MAX_YEARS).contains(&years) {
        return None;
    }
    as_of.checked_add_signed(chrono::Duration::days((years * 365.2425).round() as i64))
}

/// The forecast from a history (see the module's text for the method).
pub fn forecast(
    history: &[YearProgress],
    remaining_m2: f64,
    as_of: NaiveDate,
    deadline: Option<NaiveDate>,
    window: usize,
) -> Forecast {
    let remaining_km2 = remaining_m2.max(0.0) / M2_PER_KM2;
    let mut f = Forecast {
        method: METHOD.to_string(),
        remaining_km2,
        years: vec![],
        rates_km2: vec![],
        trend_rate_km2: None,
        spread_km2: None,
        fast_rate_km2: None,
        slow_rate_km2: None,
        earliest: None,
        central: None,
        latest: None,
        deadline,
        verdict: Verdict::CannotForecast {
            reason: String::new(),
        },
    };
    if remaining_m2 <= 0.0 {
        f.earliest = Some(as_of);
        f.central = Some(as_of);
        f.latest = Some(as_of);
        f.verdict = Verdict::Complete;
        return f;
    }
    let last = as_of.year() - 1;
    let by_year: BTreeMap<i32, f64> = history
        .iter()
        .filter(|y| y.year <= last)
        .map(|y| (y.year, y.released_m2() / M2_PER_KM2))
        .collect();
    let Some(first) = by_year.keys().next().copied() else {
        f.verdict = Verdict::CannotForecast {
            reason: format!("no land release recorded before {}", as_of.year()),
        };
        return f;
    };
    let start = first.max(last - window.max(1) as i32 + 1);
    f.years = (start..=last).collect();
    f.rates_km2 = f
        .years
        .iter()
        .map(|y| by_year.get(y).copied().unwrap_or(0.0))
        .collect();
    if f.years.len() < 2 {
        f.verdict = Verdict::CannotForecast {
            reason: format!(
                "one complete year of land release ({first}); a trend needs at least two"
            ),
        };
        return f;
    }
    let n = f.years.len() as f64;
    let xs: Vec<f64> = f.years.iter().map(|y| f64::from(*y - start)).collect();
    let mx = xs.iter().sum::<f64>() / n;
    let my = f.rates_km2.iter().sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let sxy: f64 = xs
        .iter()
        .zip(&f.rates_km2)
        .map(|(x, y)| (x - mx) * (y - my))
        .sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let trend = my + slope * (xs[xs.len() - 1] - mx);
    let spread = (f.rates_km2.iter().map(|y| (y - my).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let fast = trend.max(0.0) + spread;
    let slow = (trend - spread).max(0.0);
    f.trend_rate_km2 = Some(trend);
    f.spread_km2 = Some(spread);
    f.fast_rate_km2 = Some(fast);
    f.slow_rate_km2 = Some(slow);
    f.earliest = (fast > 0.0)
        .then(|| after(as_of, remaining_km2 / fast))
        .flatten();
    f.central = (trend > 0.0)
        .then(|| after(as_of, remaining_km2 / trend))
        .flatten();
    f.latest = (slow > 0.0)
        .then(|| after(as_of, remaining_km2 / slow))
        .flatten();
    f.verdict = match (f.central, deadline) {
        (None, _) => Verdict::NotAtTrend,
        (Some(_), None) => Verdict::NoDeadline,
        (Some(c), Some(d)) if c <= d => Verdict::OnTrack {
            margin_days: (d - c).num_days(),
        },
        (Some(c), Some(d)) => Verdict::Late {
            days: (c - d).num_days(),
        },
    };
    f
}

/// Annual milestones of a plan at a given rate: (year, released that year, remaining at its end)
/// in km², until nothing remains or `max_years` pass.
pub fn milestones(
    remaining_km2: f64,
    rate_km2: f64,
    first_year: i32,
    max_years: usize,
) -> Vec<(i32, f64, f64)> {
    let mut out = Vec::new();
    if rate_km2 <= 0.0 || !rate_km2.is_finite() {
        return out;
    }
    let mut left = remaining_km2.max(0.0);
    let mut y = first_year;
    while left > 0.0 && out.len() < max_years {
        let r = rate_km2.min(left);
        left -= r;
        out.push((y, r, left));
        y += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn hist(rates: &[(i32, f64)]) -> Vec<YearProgress> {
        rates
            .iter()
            .map(|(y, km2)| YearProgress {
                year: *y,
                cleared_m2: km2 * M2_PER_KM2,
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn a_steady_rate_gives_a_point_forecast() {
        let h = hist(&[(2020, 2.0), (2021, 2.0), (2022, 2.0), (2023, 2.0)]);
        let f = forecast(
            &h,
            10.0 * M2_PER_KM2,
            d("2024-01-01"),
            Some(d("2030-01-01")),
            5,
        );
        assert_eq!(f.trend_rate_km2, Some(2.0));
        assert_eq!(f.spread_km2, Some(0.0));
        assert_eq!(f.central, Some(d("2028-12-31")));
        assert_eq!(f.earliest, f.central);
        assert!(matches!(f.verdict, Verdict::OnTrack { .. }));
    }

    #[test]
    fn late_by_the_days_past_the_deadline_and_the_current_year_is_left_out() {
        let h = hist(&[(2022, 1.0), (2023, 1.0), (2024, 50.0)]);
        let f = forecast(
            &h,
            10.0 * M2_PER_KM2,
            d("2024-06-01"),
            Some(d("2025-06-01")),
            5,
        );
        assert_eq!(f.years, vec![2022, 2023]);
        assert!(matches!(f.verdict, Verdict::Late { days } if days > 3000));
    }

    #[test]
    fn one_year_cannot_forecast_and_nothing_left_is_complete() {
        let h = hist(&[(2023, 1.0)]);
        let f = forecast(&h, 1.0, d("2024-06-01"), None, 5);
        assert!(matches!(f.verdict, Verdict::CannotForecast { .. }));
        let f = forecast(&h, 0.0, d("2024-06-01"), None, 5);
        assert_eq!(f.verdict, Verdict::Complete);
    }

    #[test]
    fn progress_sums_by_method_and_keeps_undated_apart() {
        let r = vec![
            ReleaseTotal {
                iso3: None,
                year: Some(2020),
                kind: "clearance".into(),
                activities: 2,
                released_m2: 5.0,
            },
            ReleaseTotal {
                iso3: None,
                year: Some(2020),
                kind: "technical-survey".into(),
                activities: 1,
                released_m2: 3.0,
            },
            ReleaseTotal {
                iso3: None,
                year: None,
                kind: "non-technical-survey".into(),
                activities: 1,
                released_m2: 7.0,
            },
        ];
        let p = progress(&r, &[]);
        assert_eq!(p.years.len(), 1);
        assert_eq!(p.years[0].released_m2(), 8.0);
        assert_eq!(p.undated.cancelled_m2, 7.0);
    }

    #[test]
    fn milestones_end_at_zero() {
        let m = milestones(5.0, 2.0, 2026, 50);
        assert_eq!(
            m,
            vec![(2026, 2.0, 3.0), (2027, 2.0, 1.0), (2028, 1.0, 0.0)]
        );
        assert!(milestones(5.0, 0.0, 2026, 50).is_empty());
    }

    proptest! {
        /// The interval contains the central date: earliest <= central <= latest where given.
        #[test]
        fn interval_contains_trend(rates in proptest::collection::vec(0.0f64..50.0, 2..8),
                                   remaining in 0.001f64..500.0) {
            let h: Vec<(i32, f64)> = rates.iter().enumerate().map(|(i, r)| (2010 + i as i32, *r)).collect();
            let f = forecast(&hist(&h), remaining * M2_PER_KM2, d("2030-01-01"), Some(d("2035-01-01")), 10);
            if let (Some(e), Some(c)) = (f.earliest, f.central) { prop_assert!(e <= c); }
            if let (Some(c), Some(l)) = (f.central, f.latest) { prop_assert!(c <= l); }
            if f.central.is_some() { prop_assert!(f.earliest.is_some()); }
            let (fast, slow) = (f.fast_rate_km2.unwrap_or(0.0), f.slow_rate_km2.unwrap_or(0.0));
            prop_assert!(slow <= fast);
        }
    }
}
