//! Features as read from files, and the hazard records the index is built from.

use std::fmt;

use crate::error::{Fault, GeoError};
use crate::geom::{Coord, Geometry, Polygon};

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
            && !(r.is_finite() && r >= 0.0)
        {
            faults.push(fault(FaultKind::BadRadius(r)));
            continue;
        }
        match HazardShape::from_geometry(g, f.properties.radius_m) {
            Ok(shape) => out.push(HazardRecord {
                id,
                status: f.properties.status.unwrap_or_else(|| "unknown".into()),
                hazard_type: f.properties.hazard_type,
                shape,
            }),
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
