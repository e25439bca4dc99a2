//! Geodesy on the WGS84 ellipsoid, the spatial index behind the safety check, and format readers.
//!
//! No I/O: readers take text or a reader handed to them. The pieces:
//! - [`geom`]: plain lon/lat geometry types and planar predicates.
//! - [`geodesy`]: radii, a local metric frame, Karney geodesic distances, point-to-geometry
//!   distances, ellipsoidal areas, safe degree margins.
//! - [`index`]: the hazard index (packed R-tree) with point, batch, polygon and route queries.
//! - readers: [`geojson`], [`kml`], [`gpx`], [`csvfmt`] (lon/lat or WKT), [`wkt`], and the [`wkb`]
//!   codec for storage; [`validate`] checks and fixes what they read.
//!
//! How the pieces fit (a store builds the index from its rows the same way):
//!
//! ```
//! use demine_geo::{
//!     BatchMode, BatchPoint, Coord, HazardIndex, HazardRecord, HazardShape, Polygon,
//! };
//!
//! let square = Polygon::new(vec![
//!     Coord::new(104.0, 12.0),
//!     Coord::new(104.01, 12.0),
//!     Coord::new(104.01, 12.01),
//!     Coord::new(104.0, 12.01),
//!     Coord::new(104.0, 12.0),
//! ]);
//! let shape = HazardShape::Polygon(square);
//! // Storage form: WKB plus the radius of a point hazard (None here), and the box to index.
//! let (wkb, radius) = shape.to_wkb();
//! assert_eq!(HazardShape::from_wkb(&wkb, radius)?, shape);
//! assert!(shape.bbox().is_some());
//!
//! let records = vec![
//!     HazardRecord { id: 1, status: "confirmed".into(), hazard_type: Some("CHA".into()), shape },
//!     HazardRecord {
//!         id: 2,
//!         status: "cleared".into(), // released land: left out of the index
//!         hazard_type: None,
//!         shape: HazardShape::Circle { center: Coord::new(104.1, 12.1), radius_m: 50.0 },
//!     },
//! ];
//! let index = HazardIndex::build(records)?;
//! assert_eq!(index.len(), 1);
//!
//! // One place: every hazard within 100 m, nearest first (inside = 0 m).
//! let hits = index.query_point(Coord::new(104.005, 12.005), 100.0);
//! assert_eq!((hits[0].hazard.id, hits[0].distance_m), (1, 0.0));
//!
//! // Many places, on every core: one flag per point within 100 m, sorted by point id.
//! let points = [
//!     BatchPoint { id: 7, coord: Coord::new(104.005, 12.005) },
//!     BatchPoint { id: 8, coord: Coord::new(104.5, 12.5) },
//! ];
//! let flags = index.check_points(&points, 100.0, BatchMode::Nearest, 2)?;
//! assert_eq!(flags.len(), 1);
//! assert_eq!((flags[0].point_id, flags[0].hazard_id), (7, 1));
//! # Ok::<(), demine_geo::GeoError>(())
//! ```

mod antimeridian;
pub mod attrs;
pub mod csvfmt;
pub mod error;
pub mod feature;
pub mod geodesy;
pub mod geojson;
pub mod geom;
pub mod gpkg;
pub mod gpx;
pub mod index;
mod json;
pub mod kml;
pub mod kmz;
pub mod odk;
pub mod ops;
mod rtree;
pub mod simplify;
pub mod status;
pub mod validate;
pub mod wkb;
pub mod wkt;
mod worker;
pub mod write;
pub mod xlsx;
mod xml;

pub use error::{Fault, FaultKind, GeoError, Severity};
pub use feature::{
    Collection, Feature, FeatureId, HazardRecord, HazardShape, MAX_AREA_M2, MAX_RADIUS_M,
    Properties, apply_default_radius, hazard_records, skip_lines, valid_radius,
};
pub use geodesy::{
    degree_margins, distance_to_geometry, geodesic_distance, geometry_area_m2, polygon_area_m2,
};
pub use geom::{Bbox, Coord, Geometry, Polygon};
pub use index::{BatchMode, BatchPoint, Flag, HazardIndex, HazardInfo, Hit};
pub use status::counts_as_hazard;
pub use wkb::{decode_wkb, encode_wkb};
pub use wkt::{parse_wkt, to_wkt};
pub use write::{FileFormat, read_features};
