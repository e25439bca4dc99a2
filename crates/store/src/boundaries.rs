//! The bundled country boundaries (Natural Earth 1:50m, `data/countries_50m.geojson`, embedded in
//! the binary), indexed once per process, to check that an area lies in the State it is filed
//! under.

use std::collections::HashMap;
use std::sync::OnceLock;

use demine_geo::{Geometry, HazardIndex, HazardRecord, HazardShape};

use crate::StoreError;

const COUNTRIES: &str = include_str!("../../../data/countries_50m.geojson");

/// The boundaries, indexed: each country is a "hazard" of the spatial index whose id is its
/// position in `iso3`.
pub struct Boundaries {
    index: HazardIndex,
    iso3: Vec<String>,
    known: HashMap<String, usize>,
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

impl Boundaries {
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
}
