//! Contamination per State: from the hazard data where the State has any, else from the record's
//! latest `ap_contamination_km2` estimate (marked as such), with the Landmine Monitor's bands.

use std::collections::BTreeMap;

use demine_core::PartialDate;
use demine_core::records::Estimate;
use serde::Serialize;

use crate::M2_PER_KM2;
use crate::inputs::AreaTotal;

/// The Landmine Monitor's contamination bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Band {
    /// Under 5 km².
    Small,
    /// 5 to under 20 km².
    Medium,
    /// 20 to 100 km².
    Large,
    /// Over 100 km².
    Massive,
}

impl Band {
    /// The band of an area in km² (None for a figure that is not a number or negative).
    pub fn of_km2(km2: f64) -> Option<Band> {
        if !km2.is_finite() || km2 < 0.0 {
            None
        } else if km2 > 100.0 {
            Some(Band::Massive)
        } else if km2 >= 20.0 {
            Some(Band::Large)
        } else if km2 >= 5.0 {
            Some(Band::Medium)
        } else {
            Some(Band::Small)
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Band::Small => "small",
            Band::Medium => "medium",
            Band::Large => "large",
            Band::Massive => "massive",
        }
    }

    /// The band's bounds in words.
    pub fn range(self) -> &'static str {
        match self {
            Band::Small => "under 5 km2",
            Band::Medium => "5-19 km2",
            Band::Large => "20-99 km2",
            Band::Massive => "over 100 km2",
        }
    }
}

/// The band of a range: one word when both ends fall in the same band, `a to b` otherwise.
pub fn band_of_range(low_km2: f64, high_km2: f64) -> Option<String> {
    let (a, b) = (Band::of_km2(low_km2)?, Band::of_km2(high_km2)?);
    Some(if a == b {
        a.as_str().to_string()
    } else {
        format!("{} to {}", a.as_str(), b.as_str())
    })
}

/// Where a State's contamination figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContaminationBasis {
    /// The hazardous areas held in the database.
    HazardData,
    /// The record's estimate: no hazard data is held for the State.
    RecordEstimate,
    /// Neither: nothing is known (never read as "no contamination").
    NoData,
}

/// What remains in one State.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contamination {
    pub iso3: String,
    pub basis: ContaminationBasis,
    /// The figure's range in km² (equal ends from the hazard data).
    pub low_km2: Option<f64>,
    pub high_km2: Option<f64>,
    pub band: Option<String>,
    /// Areas that still count as a hazard (hazard data only).
    pub hazard_areas: u64,
    /// Remaining km² by `SHA` / `CHA` (hazard data only).
    pub by_hazard_type: BTreeMap<String, f64>,
    /// Remaining km² by device category. An area listing several categories counts under each,
    /// so these may add up to more than the total; `unrecorded` where no device is listed.
    pub by_device: BTreeMap<String, f64>,
    /// Remaining km² by admin area (`unrecorded` where none is given).
    pub by_admin_area: BTreeMap<String, f64>,
    /// The estimate's date and source (record estimates only).
    pub as_of: Option<PartialDate>,
    pub source: Option<String>,
}

/// A State's contamination from its hazard totals, else from the latest estimate.
pub fn of_state(iso3: &str, areas: &[AreaTotal], estimates: &[Estimate]) -> Contamination {
    let mine: Vec<&AreaTotal> = areas
        .iter()
        .filter(|a| a.iso3.as_deref() == Some(iso3))
        .collect();
    if !mine.is_empty() {
        let mut by_type = BTreeMap::new();
        let mut by_device = BTreeMap::new();
        let mut by_admin = BTreeMap::new();
        let mut total = 0.0;
        let mut n = 0;
        for a in &mine {
            let km2 = a.remaining_m2 / M2_PER_KM2;
            total += km2;
            n += a.hazard_areas;
            *by_type.entry(a.hazard_type.clone()).or_insert(0.0) += km2;
            let admin = a.admin_area.clone().unwrap_or_else(|| "unrecorded".into());
            *by_admin.entry(admin).or_insert(0.0) += km2;
            if a.devices.is_empty() {
                *by_device.entry("unrecorded".to_string()).or_insert(0.0) += km2;
            }
            for d in &a.devices {
                *by_device.entry(d.clone()).or_insert(0.0) += km2;
            }
        }
        return Contamination {
            iso3: iso3.to_string(),
            basis: ContaminationBasis::HazardData,
            low_km2: Some(total),
            high_km2: Some(total),
            band: band_of_range(total, total),
            hazard_areas: n,
            by_hazard_type: by_type,
            by_device,
            by_admin_area: by_admin,
            as_of: None,
            source: None,
        };
    }
    let latest = latest_estimate(estimates, iso3, "ap_contamination_km2");
    match latest {
        Some(e) => Contamination {
            iso3: iso3.to_string(),
            basis: ContaminationBasis::RecordEstimate,
            low_km2: Some(e.low),
            high_km2: Some(e.high),
            band: band_of_range(e.low, e.high),
            hazard_areas: 0,
            by_hazard_type: BTreeMap::new(),
            by_device: BTreeMap::new(),
            by_admin_area: BTreeMap::new(),
            as_of: Some(e.as_of),
            source: Some(e.source.clone()),
        },
        None => Contamination {
            iso3: iso3.to_string(),
            basis: ContaminationBasis::NoData,
            low_km2: None,
            high_km2: None,
            band: None,
            hazard_areas: 0,
            by_hazard_type: BTreeMap::new(),
            by_device: BTreeMap::new(),
            by_admin_area: BTreeMap::new(),
            as_of: None,
            source: None,
        },
    }
}

/// The latest estimate of a measure for a State (by the end of its date; the first in file
/// order among equals).
pub fn latest_estimate<'a>(
    estimates: &'a [Estimate],
    iso3: &str,
    measure: &str,
) -> Option<&'a Estimate> {
    let mut best: Option<&Estimate> = None;
    for e in estimates
        .iter()
        .filter(|e| e.measure == measure && e.iso3.is_some_and(|c| c.as_str() == iso3))
    {
        if best.is_none_or(|b| e.as_of.end() > b.as_of.end()) {
            best = Some(e);
        }
    }
    best
}

/// Every State with either hazard data or a contamination estimate, sorted by ISO3.
pub fn world(areas: &[AreaTotal], estimates: &[Estimate]) -> Vec<Contamination> {
    let mut codes: Vec<String> = areas
        .iter()
        .filter_map(|a| a.iso3.clone())
        .chain(
            estimates
                .iter()
                .filter(|e| e.measure == "ap_contamination_km2")
                .filter_map(|e| e.iso3.map(|c| c.to_string())),
        )
        .collect();
    codes.sort();
    codes.dedup();
    codes
        .iter()
        .map(|c| of_state(c, areas, estimates))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bands_follow_the_monitor() {
        assert_eq!(Band::of_km2(150.0), Some(Band::Massive));
        assert_eq!(Band::of_km2(100.0), Some(Band::Large));
        assert_eq!(Band::of_km2(20.0), Some(Band::Large));
        assert_eq!(Band::of_km2(19.9), Some(Band::Medium));
        assert_eq!(Band::of_km2(5.0), Some(Band::Medium));
        assert_eq!(Band::of_km2(4.99), Some(Band::Small));
        assert_eq!(Band::of_km2(-1.0), None);
        assert_eq!(
            band_of_range(10.0, 30.0).as_deref(),
            Some("medium to large")
        );
    }

    fn area(iso3: &str, t: &str, devices: &[&str], m2: f64) -> AreaTotal {
        AreaTotal {
            iso3: Some(iso3.into()),
            hazard_type: t.into(),
            admin_area: None,
            devices: devices.iter().map(|d| d.to_string()).collect(),
            hazard_areas: 1,
            areas: 1,
            remaining_m2: m2,
        }
    }

    #[test]
    fn hazard_data_comes_first_and_a_state_without_any_is_no_data() {
        let areas = vec![
            area("AAA", "SHA", &["ap-mine"], 3_000_000.0),
            area("AAA", "CHA", &[], 4_000_000.0),
        ];
        let c = of_state("AAA", &areas, &[]);
        assert_eq!(c.basis, ContaminationBasis::HazardData);
        assert_eq!(c.low_km2, Some(7.0));
        assert_eq!(c.band.as_deref(), Some("medium"));
        assert_eq!(c.by_device.get("unrecorded"), Some(&4.0));
        let none = of_state("BBB", &areas, &[]);
        assert_eq!(none.basis, ContaminationBasis::NoData);
        assert_eq!(none.low_km2, None);
    }

    proptest! {
        /// Every usable figure falls in exactly one band, and the bands are ordered like the figures.
        #[test]
        fn bands_partition(a in 0.0f64..1e4, b in 0.0f64..1e4) {
            let (ba, bb) = (Band::of_km2(a), Band::of_km2(b));
            prop_assert!(ba.is_some() && bb.is_some());
            let hits = [a < 5.0, (5.0..20.0).contains(&a), (20.0..=100.0).contains(&a), a > 100.0];
            prop_assert_eq!(hits.iter().filter(|h| **h).count(), 1);
            if a <= b { prop_assert!(ba <= bb); }
        }
    }
}
