//! The bundled country boundaries (Natural Earth 1:50m, `data/countries_50m.geojson`, embedded in
//! the binary), indexed once per process, to check that an area lies in the State it is filed
//! under, and to tell which State a place is in (the safety check's coverage).

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use demine_geo::{BatchMode, BatchPoint, Coord, Geometry, HazardIndex, HazardRecord, HazardShape};

use crate::StoreError;

const COUNTRIES: &str = include_str!("../../../data/countries_50m.geojson");

/// The boundaries, indexed: each country is a "hazard" of the spatial index whose id is its
/// position in `iso3`.
pub struct Boundaries {
    index: HazardIndex,
    iso3: Vec<String>,
    known: HashMap<String, usize>,
    /// Each country's shape, by position (for [`Boundaries::subset`]).
    shapes: Vec<HazardShape>,
}

impl std::fmt::Debug for Boundaries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Boundaries({} countries)", self.iso3.len())
    }
}

static BOUNDARIES: OnceLock<Boundaries> = OnceLock::new();

const NAME: &str = "countries_50m.geojson";

fn build() -> Result<Boundaries, StoreError> {
    let v: serde_json::Value =
        serde_json::from_str(COUNTRIES).map_err(|e| StoreError::BadFile {
            file: NAME.into(),
            reason: format!("the bundled country boundaries do not parse: {e}"),
        })?;
    let features = v["features"].as_array().cloned().unwrap_or_default();
    let mut iso3 = Vec::with_capacity(features.len());
    let mut known = HashMap::new();
    let mut records = Vec::with_capacity(features.len());
    let mut shapes = Vec::with_capacity(features.len());
    for f in features {
        let Some(code) = f["properties"]["iso3"].as_str() else {
            continue;
        };
        let n = iso3.len();
        // Each geometry goes through demine's own GeoJSON reader (and its validation).
        let text =
            serde_json::json!({"type": "Feature", "properties": {}, "geometry": f["geometry"]})
                .to_string();
        let c = demine_geo::geojson::read_geojson(NAME, text.as_bytes(), 1).or_else(|_| {
            demine_geo::geojson::parse_geojson(NAME, text.as_bytes(), 1).map(|features| {
                demine_geo::Collection {
                    features,
                    warnings: vec![],
                }
            })
        })?;
        let Some(g) = c.features.into_iter().next().and_then(|f| f.geometry) else {
            continue;
        };
        let shape = match g {
            Geometry::Polygon(p) => HazardShape::Polygon(p),
            Geometry::MultiPolygon(ps) => HazardShape::MultiPolygon(ps),
            _ => continue,
        };
        iso3.push(code.to_string());
        known.insert(code.to_string(), n);
        shapes.push(shape.clone());
        records.push(HazardRecord {
            id: n as i64,
            status: "open".into(),
            hazard_type: None,
            shape,
        });
    }
    Ok(Boundaries {
        index: HazardIndex::build(records)?,
        iso3,
        known,
        shapes,
    })
}

/// The boundaries, built on first use.
pub fn get() -> Result<&'static Boundaries, StoreError> {
    if let Some(b) = BOUNDARIES.get() {
        return Ok(b);
    }
    let b = build()?;
    Ok(BOUNDARIES.get_or_init(|| b))
}

/// Where a geometry stands with respect to a State.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// Within (or within the tolerance of) the State's boundary.
    Inside,
    /// The boundaries do not have this State.
    Unknown,
    /// Farther than the tolerance from the State; the States it is near, if any.
    Outside(Vec<String>),
}

/// The boundaries of a few States, indexed for fast "is this place in one of them" questions.
pub struct StateSet {
    index: HazardIndex,
}

impl std::fmt::Debug for StateSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StateSet({} States)", self.index.len())
    }
}

impl StateSet {
    /// Whether `p` is inside (or on the boundary of) one of the States.
    pub fn contains(&self, p: Coord) -> bool {
        self.near(p, 0.0)
    }

    /// Whether `p` is within `metres` of one of the States (inside is 0 m).
    pub fn near(&self, p: Coord, metres: f64) -> bool {
        self.index.nearest_within(p, metres).is_some()
    }

    /// [`StateSet::contains`] for many places, on `threads` threads (the batch check's spatial
    /// index and its parallel query: the boundaries are indexed once, not searched per place).
    pub fn contains_all(&self, places: &[Coord], threads: usize) -> Result<Vec<bool>, StoreError> {
        self.near_all(places, 0.0, threads)
    }

    /// [`StateSet::near`] for many places, on `threads` threads.
    pub fn near_all(
        &self,
        places: &[Coord],
        metres: f64,
        threads: usize,
    ) -> Result<Vec<bool>, StoreError> {
        let mut inside = vec![false; places.len()];
        if places.is_empty() || self.index.is_empty() {
            return Ok(inside);
        }
        let points: Vec<BatchPoint> = places
            .iter()
            .enumerate()
            .map(|(i, &coord)| BatchPoint {
                id: i as i64,
                coord,
            })
            .collect();
        for f in self
            .index
            .check_points(&points, metres, BatchMode::Any, threads)?
        {
            if let Some(slot) = usize::try_from(f.point_id)
                .ok()
                .and_then(|i| inside.get_mut(i))
            {
                *slot = true;
            }
        }
        Ok(inside)
    }
}

impl Boundaries {
    /// Whether the boundaries have this State.
    pub fn has(&self, iso3: &str) -> bool {
        self.known.contains_key(iso3)
    }

    /// The States whose boundary holds `p`: none at sea or in a place the boundaries do not map,
    /// two on a border line.
    pub fn states_at(&self, p: Coord) -> Vec<&str> {
        self.states_near(p, 0.0)
    }

    /// The States within `metres` of `p` (inside is 0 m).
    pub fn states_near(&self, p: Coord, metres: f64) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .index
            .query_point(p, metres)
            .iter()
            .filter_map(|h| usize::try_from(h.hazard.id).ok())
            .filter_map(|i| self.iso3.get(i))
            .map(String::as_str)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// An index of these States' boundaries only (States the boundaries do not have are left out).
    pub fn subset(&self, states: &BTreeSet<String>) -> Result<StateSet, StoreError> {
        self.subset_of(states.iter().filter_map(|s| self.known.get(s).copied()))
    }

    /// An index of every State's boundary but these.
    pub fn all_but(&self, states: &BTreeSet<String>) -> Result<StateSet, StoreError> {
        self.subset_of(
            self.iso3
                .iter()
                .enumerate()
                .filter(|(_, s)| !states.contains(*s))
                .map(|(n, _)| n),
        )
    }

    fn subset_of(&self, positions: impl Iterator<Item = usize>) -> Result<StateSet, StoreError> {
        let records = positions.filter_map(|n| {
            self.shapes.get(n).map(|shape| HazardRecord {
                id: n as i64,
                status: "open".into(),
                hazard_type: None,
                shape: shape.clone(),
            })
        });
        Ok(StateSet {
            index: HazardIndex::build(records)?,
        })
    }

    /// Whether `g` is within `tolerance_m` metres of the State `iso3`, judged on up to four
    /// vertices spread along each polygon's exterior ring (a hazardous area is small beside a
    /// State's boundary at 1:50m, whose own error is of the order of the tolerance).
    pub fn place(&self, iso3: &str, g: &Geometry, tolerance_m: f64) -> Placement {
        let Some(&n) = self.known.get(iso3) else {
            return Placement::Unknown;
        };
        let mut probes = Vec::new();
        let mut sample = |ring: &[demine_geo::Coord]| {
            let k = ring.len().saturating_sub(1).max(1);
            for i in [0, k / 4, k / 2, 3 * k / 4] {
                if let Some(c) = ring.get(i)
                    && !probes.contains(c)
                {
                    probes.push(*c);
                }
            }
        };
        match g {
            Geometry::Polygon(p) => sample(&p.exterior),
            Geometry::MultiPolygon(ps) => ps.iter().for_each(|p| sample(&p.exterior)),
            other => other.for_each_coord(|c| probes.push(c)),
        }
        let mut near = Vec::new();
        for p in probes {
            // Inside first (cheap), then within the tolerance.
            if self
                .index
                .query_point(p, 0.0)
                .iter()
                .any(|h| h.hazard.id == n as i64)
            {
                continue;
            }
            let hits = self.index.query_point(p, tolerance_m);
            if hits.iter().any(|h| h.hazard.id == n as i64) {
                continue;
            }
            for h in hits {
                if let Some(code) = self.iso3.get(h.hazard.id as usize)
                    && !near.contains(code)
                {
                    near.push(code.clone());
                }
            }
            return Placement::Outside(near);
        }
        Placement::Inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use demine_geo::Coord;

    #[test]
    fn phnom_penh_is_in_cambodia_not_thailand() {
        let b = get().unwrap();
        let p = Geometry::Point(Coord::new(104.92, 11.56));
        assert_eq!(b.place("KHM", &p, 1000.0), Placement::Inside);
        assert!(matches!(b.place("THA", &p, 1000.0), Placement::Outside(v) if v == ["KHM"]));
        assert_eq!(b.place("XXX", &p, 1000.0), Placement::Unknown);
    }

    #[test]
    fn states_at_places() {
        let b = get().unwrap();
        assert_eq!(b.states_at(Coord::new(104.92, 11.56)), ["KHM"]);
        assert_eq!(b.states_at(Coord::new(100.5, 13.75)), ["THA"]);
        // The Gulf of Thailand: no State.
        assert!(b.states_at(Coord::new(102.0, 9.0)).is_empty());
        let khm: BTreeSet<String> = ["KHM".to_string(), "XXX".to_string()].into();
        let set = b.subset(&khm).unwrap();
        assert!(set.contains(Coord::new(104.92, 11.56)));
        assert!(!set.contains(Coord::new(100.5, 13.75)));
        assert!(!set.contains(Coord::new(102.0, 9.0)));
        let places = [
            Coord::new(100.5, 13.75),
            Coord::new(104.92, 11.56),
            Coord::new(102.0, 9.0),
            Coord::new(105.5, 13.0),
        ];
        assert_eq!(
            set.contains_all(&places, 2).unwrap(),
            [false, true, false, true]
        );
        let none = b.subset(&BTreeSet::new()).unwrap();
        assert!(!none.contains(Coord::new(104.92, 11.56)));
        // By Poipet, 1.4 km from the Thai border: Thailand is within 3 km, not within 10 m.
        let others = b.all_but(&khm).unwrap();
        let poipet = Coord::new(102.58, 13.62);
        assert!(set.contains(poipet));
        assert!(others.near(poipet, 3000.0));
        assert!(!others.near(poipet, 10.0));
        assert!(!others.near(Coord::new(104.92, 11.56), 3000.0));
        assert_eq!(
            others
                .near_all(&[poipet, Coord::new(104.92, 11.56)], 3000.0, 2)
                .unwrap(),
            [true, false]
        );
    }
}
