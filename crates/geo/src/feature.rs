//! Features as read from files, and the hazard records the index is built from.

use std::fmt;

use crate::error::{Fault, GeoError};
use crate::geom::{Coord, Geometry, Polygon};

/// The largest radius a point hazard may have, in metres. A reported point with a radius is an
/// area nobody has surveyed yet; a circle wider than 10 km is not a report of one place but a
/// mistake (or an area that must be drawn as a polygon).
pub const MAX_RADIUS_M: f64 = 10_000.0;

/// The largest area one hazard may cover, in m² (10,000 km²). Larger is a mistake in the geometry
/// (a ring read inside out, coordinates in the wrong units), not a minefield.
pub const MAX_AREA_M2: f64 = 1.0e10;

/// A point hazard's circle must stay this many degrees of latitude away from either pole: there a
/// circle is not a shape in longitude/latitude (its area would be wrong).
pub const POLE_MARGIN_DEG: f64 = 1.0;

/// Whether `r` is a usable radius for a point hazard: a number of metres above 0 and at most
/// [`MAX_RADIUS_M`].
pub fn valid_radius(r: f64) -> bool {
    r.is_finite() && r > 0.0 && r <= MAX_RADIUS_M
}

/// Gives every point feature that has no radius the radius `radius_m` (a `--default-radius`),
/// adding one warning per feature so the user sees where it was applied. Returns how many
/// features got it. The caller checks `radius_m` with [`valid_radius`] first (a bad one is
/// refused later, feature by feature, anyway).
pub fn apply_default_radius(c: &mut Collection, radius_m: f64) -> usize {
    use crate::error::{FaultKind, Severity};
    let mut n = 0;
    for f in &mut c.features {
        if matches!(f.geometry, Some(Geometry::Point(_))) && f.properties.radius_m.is_none() {
            f.properties.radius_m = Some(radius_m);
            n += 1;
            c.warnings.push(Fault {
                index: f.index,
                id: f.id.as_ref().map(ToString::to_string),
                part: None,
                kind: FaultKind::DefaultRadius(radius_m),
                severity: Severity::Warning,
            });
        }
    }
    n
}

/// A feature id as written in a source: a number or a string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FeatureId {
    /// An integer id.
    Int(i64),
    /// Any other id.
    Str(String),
}

impl fmt::Display for FeatureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeatureId::Int(i) => write!(f, "{i}"),
            FeatureId::Str(s) => write!(f, "{s}"),
        }
    }
}

/// The properties demine uses; others are ignored by the readers.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Properties {
    /// Hazard status (suspected, confirmed, reduced, cleared, cancelled, closed, handed over...).
    pub status: Option<String>,
    /// Hazard type (SHA or CHA) when given.
    pub hazard_type: Option<String>,
    /// A name or label.
    pub name: Option<String>,
    /// For a point hazard: the radius in metres.
    pub radius_m: Option<f64>,
    /// Every other attribute the file gives (organisation, admin area, dates, notes, devices,
    /// benchmark, custom fields...), as written: text, numbers, or lists and objects where the
    /// format has them. The GeoJSON reader leaves this empty unless asked to keep them
    /// (`geojson::read_geojson_with_attributes`, what an import reads); the KML, GPX, CSV and
    /// GeoPackage readers fill it.
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// One feature of a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Feature {
    /// Position in the source, from 0.
    pub index: usize,
    /// The id (feature id, or an `id` property).
    pub id: Option<FeatureId>,
    /// The properties demine reads.
    pub properties: Properties,
    /// The geometry, if any.
    pub geometry: Option<Geometry>,
}

impl Feature {
    /// A feature with a geometry and nothing else.
    pub fn new(index: usize, geometry: Geometry) -> Self {
        Self {
            index,
            id: None,
            properties: Properties::default(),
            geometry: Some(geometry),
        }
    }
}

/// Features read and validated from one source, with the warnings about what was fixed.
#[derive(Clone, Debug, Default)]
pub struct Collection {
    /// The features, in source order.
    pub features: Vec<Feature>,
    /// Fixes made while validating (orientation, closing vertices, repeated vertices).
    pub warnings: Vec<Fault>,
}

/// The shape of a hazardous area.
#[derive(Clone, Debug, PartialEq)]
pub enum HazardShape {
    /// One polygon.
    Polygon(Polygon),
    /// Several polygons.
    MultiPolygon(Vec<Polygon>),
    /// A reported point with a radius in metres (an area not yet surveyed).
    Circle {
        /// The reported point.
        center: Coord,
        /// The radius in metres (0 for a bare point).
        radius_m: f64,
    },
}

impl HazardShape {
    /// The shape as a plain geometry (a circle becomes its centre point).
    pub fn to_geometry(&self) -> Geometry {
        match self {
            HazardShape::Polygon(p) => Geometry::Polygon(p.clone()),
            HazardShape::MultiPolygon(ps) => Geometry::MultiPolygon(ps.clone()),
            HazardShape::Circle { center, .. } => Geometry::Point(*center),
        }
    }

    /// The shape's storage form: its WKB (a circle as its centre point) and, for a circle, the
    /// radius in metres (kept beside the WKB, e.g. in its own column).
    pub fn to_wkb(&self) -> (Vec<u8>, Option<f64>) {
        let radius = match self {
            HazardShape::Circle { radius_m, .. } => Some(*radius_m),
            _ => None,
        };
        (crate::wkb::encode_wkb(&self.to_geometry()), radius)
    }

    /// The shape back from its storage form ([`HazardShape::to_wkb`]). A point becomes a circle
    /// (radius 0 when none is given); lines are not hazard shapes.
    pub fn from_wkb(bytes: &[u8], radius_m: Option<f64>) -> Result<Self, GeoError> {
        let g = crate::wkb::decode_wkb(bytes)?;
        Self::from_geometry(g, radius_m).map_err(|g| GeoError::Wkb {
            offset: 0,
            message: format!("a {} is not a hazard shape", g.type_name()),
        })
    }

    /// The box that holds the whole shape (for a circle, the disc), in lon/lat degrees: what a
    /// store's bounding-box index (SQLite R*Tree, PostGIS GiST) should hold.
    pub fn bbox(&self) -> Option<crate::geom::Bbox> {
        match self {
            HazardShape::Circle { center, radius_m } => {
                let (dlon, dlat) = crate::geodesy::degree_margins(center.lat, *radius_m);
                let dlon = dlon.min(180.0);
                Some(crate::geom::Bbox {
                    min_lon: center.lon - dlon,
                    min_lat: (center.lat - dlat).max(-90.0),
                    max_lon: center.lon + dlon,
                    max_lat: (center.lat + dlat).min(90.0),
                })
            }
            other => other.to_geometry().bbox(),
        }
    }

    /// Area in m² on the WGS84 ellipsoid (a circle: π r², exact enough for radii of metres to
    /// kilometres).
    pub fn area_m2(&self) -> f64 {
        match self {
            HazardShape::Polygon(p) => crate::geodesy::polygon_area_m2(p),
            HazardShape::MultiPolygon(ps) => ps.iter().map(crate::geodesy::polygon_area_m2).sum(),
            HazardShape::Circle { radius_m, .. } => std::f64::consts::PI * radius_m * radius_m,
        }
    }

    /// The shape of a geometry: polygons as they are, a point with the given radius (0 if none).
    pub fn from_geometry(g: Geometry, radius_m: Option<f64>) -> Result<Self, Geometry> {
        match g {
            Geometry::Polygon(p) => Ok(HazardShape::Polygon(p)),
            Geometry::MultiPolygon(ps) => Ok(HazardShape::MultiPolygon(ps)),
            Geometry::Point(c) => Ok(HazardShape::Circle {
                center: c,
                radius_m: radius_m.unwrap_or(0.0),
            }),
            other => Err(other),
        }
    }
}

/// Takes the line features (LineString, MultiLineString) out of `c`, adding one warning per line
/// that names it, so that an import can go on with the rest (`--skip-lines`) and say what it left
/// out. Returns how many were skipped.
pub fn skip_lines(c: &mut Collection) -> usize {
    use crate::error::{FaultKind, Severity};
    let before = c.features.len();
    let mut kept = Vec::with_capacity(before);
    for f in std::mem::take(&mut c.features) {
        match &f.geometry {
            Some(g @ (Geometry::LineString(_) | Geometry::MultiLineString(_))) => {
                let what = match &f.properties.name {
                    Some(n) if !n.trim().is_empty() => format!("{} {n:?}", g.type_name()),
                    _ => g.type_name().to_string(),
                };
                c.warnings.push(Fault {
                    index: f.index,
                    id: f.id.as_ref().map(ToString::to_string),
                    part: None,
                    kind: FaultKind::SkippedLine(what),
                    severity: Severity::Warning,
                });
            }
            _ => kept.push(f),
        }
    }
    c.features = kept;
    before - c.features.len()
}

/// What the hazard index is built from: one hazardous area.
#[derive(Clone, Debug, PartialEq)]
pub struct HazardRecord {
    /// The hazard's id (the store's primary key).
    pub id: i64,
    /// Its status; see [`crate::counts_as_hazard`].
    pub status: String,
    /// SHA or CHA when known.
    pub hazard_type: Option<String>,
    /// Where it is.
    pub shape: HazardShape,
}

/// Turns validated features into hazard records. A feature without an id gets its position + 1;
/// a feature without a status gets "unknown" (which counts as a hazard). Only polygons,
/// multipolygons and points (with their radius) are hazards; anything else is an error naming the
/// feature.
pub fn hazard_records(
    source_name: &str,
    features: Vec<Feature>,
) -> Result<Vec<HazardRecord>, GeoError> {
    use crate::error::{FaultKind, Severity};
    let mut out = Vec::with_capacity(features.len());
    let mut faults = Vec::new();
    let mut seen: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for f in features {
        let shown = f.id.as_ref().map(ToString::to_string);
        let fault = |kind| Fault {
            index: f.index,
            id: shown.clone(),
            part: None,
            kind,
            severity: Severity::Error,
        };
        let id = match &f.id {
            None => f.index as i64 + 1,
            Some(FeatureId::Int(i)) => *i,
            Some(FeatureId::Str(s)) => match s.trim().parse::<i64>() {
                Ok(i) => i,
                Err(_) => {
                    faults.push(fault(FaultKind::BadId(s.clone())));
                    continue;
                }
            },
        };
        if let Some(first) = seen.insert(id, f.index) {
            faults.push(fault(FaultKind::DuplicateId { first_index: first }));
            continue;
        }
        let Some(g) = f.geometry else {
            faults.push(fault(FaultKind::MissingGeometry));
            continue;
        };
        if let Some(r) = f.properties.radius_m
            && !valid_radius(r)
        {
            // Also on a polygon, where it is not used: a bad number is a fault in the file.
            faults.push(fault(FaultKind::BadRadius(r)));
            continue;
        }
        if let Geometry::Point(c) = &g {
            // A point hazard needs a radius, within bounds, and a circle clear of the poles.
            let Some(r) = f.properties.radius_m else {
                faults.push(fault(FaultKind::MissingRadius));
                continue;
            };
            if !valid_radius(r) {
                faults.push(fault(FaultKind::BadRadius(r)));
                continue;
            }
            let (_, dlat) = crate::geodesy::degree_margins(c.lat, r);
            if c.lat.abs() + dlat > 90.0 - POLE_MARGIN_DEG {
                faults.push(fault(FaultKind::NearPole {
                    lat: c.lat,
                    radius_m: r,
                }));
                continue;
            }
        }
        // Edges straight in lon/lat (RFC 7946), as the store measures recorded areas: a band
        // drawn the long way round the world is measured as the band it is.
        // Measured only when the box could hold that much (a degree is at most 111.7 km).
        let box_bound = g.bbox().map_or(0.0, |b| {
            let k = 111_700.0;
            (b.max_lon - b.min_lon) * k * (b.max_lat - b.min_lat) * k
        });
        let area_m2 = if box_bound > MAX_AREA_M2 {
            crate::ops::area_m2(&crate::ops::geometry_polygons(&g))
        } else {
            0.0
        };
        if area_m2 > MAX_AREA_M2 {
            faults.push(fault(FaultKind::AreaTooLarge { area_m2 }));
            continue;
        }
        match HazardShape::from_geometry(g, f.properties.radius_m) {
            Ok(shape) => out.push(HazardRecord {
                id,
                status: f.properties.status.unwrap_or_else(|| "unknown".into()),
                hazard_type: f.properties.hazard_type,
                shape,
            }),
            Err(g @ (Geometry::LineString(_) | Geometry::MultiLineString(_))) => {
                faults.push(fault(FaultKind::LineNotArea(g.type_name().to_string())))
            }
            Err(g) => faults.push(fault(FaultKind::UnsupportedGeometry(
                g.type_name().to_string(),
            ))),
        }
    }
    if faults.is_empty() {
        Ok(out)
    } else {
        Err(GeoError::Invalid {
            source_name: source_name.to_string(),
            faults,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Polygon {
        Polygon::new(vec![
            Coord::new(104.0, 12.0),
            Coord::new(104.01, 12.0),
            Coord::new(104.01, 12.01),
            Coord::new(104.0, 12.01),
            Coord::new(104.0, 12.0),
        ])
    }

    #[test]
    fn storage_round_trip_of_every_shape() {
        for shape in [
            HazardShape::Polygon(square()),
            HazardShape::MultiPolygon(vec![square(), square()]),
            HazardShape::Circle {
                center: Coord::new(104.5, 12.5),
                radius_m: 75.0,
            },
        ] {
            let (wkb, radius) = shape.to_wkb();
            assert_eq!(HazardShape::from_wkb(&wkb, radius).unwrap(), shape);
        }
        let line = crate::wkb::encode_wkb(&Geometry::LineString(vec![
            Coord::new(0., 0.),
            Coord::new(1., 1.),
        ]));
        assert!(HazardShape::from_wkb(&line, None).is_err());
    }

    #[test]
    fn bbox_and_area() {
        let c = HazardShape::Circle {
            center: Coord::new(104.5, 12.5),
            radius_m: 100.0,
        };
        let b = c.bbox().unwrap();
        let east =
            crate::geodesy::geodesic_distance(Coord::new(104.5, 12.5), Coord::new(b.max_lon, 12.5));
        assert!((100.0..100.1).contains(&east), "{east}");
        assert!((c.area_m2() - 31_415.93).abs() < 0.01);
        let p = HazardShape::Polygon(square());
        assert_eq!(p.bbox().unwrap().min_lon, 104.0);
        // About 1088 m x 1106 m.
        let a = p.area_m2();
        assert!((a - 1_203_600.0).abs() / a < 0.01, "{a}");
    }

    fn point(lon: f64, lat: f64, radius: Option<f64>) -> Feature {
        let mut f = Feature::new(0, Geometry::Point(Coord::new(lon, lat)));
        f.properties.radius_m = radius;
        f
    }

    fn refused(f: Feature) -> String {
        hazard_records("h", vec![f]).unwrap_err().to_string()
    }

    #[test]
    fn point_hazards_need_a_sane_radius() {
        let e = refused(point(104.0, 12.0, None));
        assert!(
            e.contains("no radius") && e.contains("--default-radius"),
            "{e}"
        );
        for r in [0.0, -5.0, 1e12, 1e300, f64::NAN, f64::INFINITY, 10_000.5] {
            let e = refused(point(104.0, 12.0, Some(r)));
            assert!(e.contains("above 0 and at most 10000"), "{r}: {e}");
        }
        assert!(hazard_records("h", vec![point(104.0, 12.0, Some(10_000.0))]).is_ok());
        let e = refused(point(0.0, 90.0, Some(1000.0)));
        assert!(e.contains("pole"), "{e}");
        let e = refused(point(0.0, -88.995, Some(1000.0)));
        assert!(e.contains("pole"), "{e}");
        assert!(hazard_records("h", vec![point(0.0, 88.9, Some(1000.0))]).is_ok());
        // A bad radius on a polygon is a fault in the file too.
        let mut p = Feature::new(0, Geometry::Polygon(square()));
        p.properties.radius_m = Some(-5.0);
        assert!(refused(p).contains("radius -5"));
    }

    #[test]
    fn default_radius_is_applied_and_reported() {
        let mut c = Collection {
            features: vec![
                point(104.0, 12.0, None),
                Feature {
                    index: 1,
                    ..point(104.0, 12.1, Some(20.0))
                },
                Feature::new(2, Geometry::Polygon(square())),
            ],
            warnings: vec![],
        };
        assert_eq!(apply_default_radius(&mut c, 150.0), 1);
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].to_string().contains("--default-radius 150 m"));
        let r = hazard_records("h", c.features).unwrap();
        assert_eq!(
            r[0].shape,
            HazardShape::Circle {
                center: Coord::new(104.0, 12.0),
                radius_m: 150.0
            }
        );
        assert!(matches!(r[1].shape, HazardShape::Circle { radius_m, .. } if radius_m == 20.0));
    }

    #[test]
    fn areas_larger_than_the_bound_are_refused() {
        let big = Polygon::new(vec![
            Coord::new(0.0, 0.0),
            Coord::new(2.0, 0.0),
            Coord::new(2.0, 1.0),
            Coord::new(0.0, 1.0),
            Coord::new(0.0, 0.0),
        ]);
        let e = refused(Feature::new(0, Geometry::Polygon(big)));
        assert!(e.contains("larger than the 10000 km2"), "{e}");
        // A thin band the long way round the world (no edge spans more than 180 degrees).
        let band = Polygon::new(vec![
            Coord::new(-179.9, -16.1),
            Coord::new(0.0, -16.1),
            Coord::new(179.9, -16.1),
            Coord::new(179.9, -16.0),
            Coord::new(0.0, -16.0),
            Coord::new(-179.9, -16.0),
            Coord::new(-179.9, -16.1),
        ]);
        let e = refused(Feature::new(0, Geometry::Polygon(band)));
        assert!(e.contains("larger than the 10000 km2"), "{e}");
    }

    #[test]
    fn records_from_features_need_integer_ids_and_unique() {
        let mut f = Feature::new(0, Geometry::Polygon(square()));
        f.id = Some(FeatureId::Str("A-1".into()));
        let e = hazard_records("h", vec![f]).unwrap_err();
        assert!(e.to_string().contains("not a 64-bit integer"), "{e}");
        let a = Feature::new(0, Geometry::Polygon(square()));
        let mut b = Feature::new(1, Geometry::Polygon(square()));
        b.id = Some(FeatureId::Int(1)); // collides with the position-based id of `a`
        let e = hazard_records("h", vec![a, b]).unwrap_err();
        assert!(e.to_string().contains("duplicate id"), "{e}");
        let line = Feature::new(
            0,
            Geometry::LineString(vec![Coord::new(0., 0.), Coord::new(1., 1.)]),
        );
        let e = hazard_records("h", vec![line]).unwrap_err();
        assert!(e.to_string().contains("LineString is not supported"), "{e}");
    }
}
