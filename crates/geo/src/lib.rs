//! Geodesy on the WGS84 ellipsoid, the spatial index behind the safety check, and format readers.
//!
//! No I/O: readers take text or a reader handed to them. The pieces:
//! - [`geom`]: plain lon/lat geometry types and planar predicates.
//! - [`geodesy`]: radii, a local metric frame, Karney geodesic distances, point-to-geometry
//!   distances, ellipsoidal areas, safe degree margins.
//! - [`index`]: the hazard index (packed R-tree) with point, batch, polygon and route queries.
//! - readers: [`geojson`], [`kml`], [`gpx`], [`csvfmt`] (lon/lat or WKT), [`wkt`], and the [`wkb`]
//!   codec for storage; [`validate`] checks and fixes what they read.

pub mod csvfmt;
pub mod error;
pub mod feature;
pub mod geodesy;
pub mod geojson;
pub mod geom;
pub mod gpx;
pub mod index;
mod json;
pub mod kml;
pub mod ops;
mod rtree;
pub mod status;
pub mod validate;
pub mod wkb;
pub mod wkt;
mod xml;

pub use error::{Fault, FaultKind, GeoError, Severity};
pub use feature::{
    Collection, Feature, FeatureId, HazardRecord, HazardShape, Properties, hazard_records,
};
pub use geodesy::{
    degree_margins, distance_to_geometry, geodesic_distance, geometry_area_m2, polygon_area_m2,
};
pub use geom::{Bbox, Coord, Geometry, Polygon};
pub use index::{BatchMode, BatchPoint, Flag, HazardIndex, HazardInfo, Hit};
pub use status::counts_as_hazard;
pub use wkb::{decode_wkb, encode_wkb};
pub use wkt::{parse_wkt, to_wkt};
