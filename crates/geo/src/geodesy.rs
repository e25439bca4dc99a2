//! Geodesy on the WGS84 ellipsoid: radii of curvature, a local metric frame around a point, exact
//! (Karney) geodesic distances, safe degree margins for bounding-box prefilters, distances from a
//! point to lines and polygons, and ellipsoidal areas.
//!
//! Distances to lines and polygons are found in two steps. First the geometry is mapped into a
//! local frame centred on the query point (x = Δlon · N cos φ, y = Δlat · M, with N and M the
//! prime-vertical and meridional radii at the point). That map is affine in lon/lat, so edges that
//! are straight in lon/lat (RFC 7946) stay straight and the nearest boundary point is found with
//! plane geometry. Then the geodesic distance from the query point to that boundary point is
//! computed exactly with Karney's algorithm (geographiclib). The frame is exact at the query point;
//! its scale error grows with distance, so every edge whose frame distance is close to the best one
//! is re-measured exactly and the smallest geodesic distance wins.

use std::sync::LazyLock;

use geographiclib_rs::{Geodesic, InverseGeodesic, PolygonArea, Winding};

use crate::geom::{Coord, Geometry, Polygon, point_in_polygon};

/// WGS84 semi-major axis in metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS84 first eccentricity squared.
pub const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

static GEOD: LazyLock<Geodesic> = LazyLock::new(Geodesic::wgs84);

/// Meridional (M) and prime-vertical (N) radii of curvature in metres at a latitude in degrees.
pub fn radii(lat_deg: f64) -> (f64, f64) {
    let s = lat_deg.to_radians().sin();
    let w2 = 1.0 - WGS84_E2 * s * s;
    let w = w2.sqrt();
    let n = WGS84_A / w;
    let m = WGS84_A * (1.0 - WGS84_E2) / (w2 * w);
    (m, n)
}

/// Metres per degree of longitude and of latitude at a latitude in degrees (local scale).
pub fn metres_per_degree(lat_deg: f64) -> (f64, f64) {
    let (m, n) = radii(lat_deg);
    let k = std::f64::consts::PI / 180.0;
    (n * lat_deg.to_radians().cos() * k, m * k)
}

/// The exact geodesic distance in metres between two positions on WGS84 (Karney's algorithm).
pub fn geodesic_distance(a: Coord, b: Coord) -> f64 {
    if a == b {
        return 0.0;
    }
    GEOD.inverse(a.lat, a.lon, b.lat, b.lon)
}

/// Margins in degrees (longitude, latitude) such that every position within `metres` geodesic
/// distance of a point at latitude `lat_deg` lies within the point ± margins.
///
/// Any path of length s changes latitude by at most s / M_min, with M_min = a(1 − e²) the smallest
/// meridional radius; within that latitude band the radius of the parallel is at least
/// p_min = N cos φ at the band's most poleward latitude, so longitude changes by at most s / p_min.
/// When the band reaches a pole, every longitude is possible and the longitude margin is 360.
pub fn degree_margins(lat_deg: f64, metres: f64) -> (f64, f64) {
    let metres = metres.max(0.0);
    let m_min = WGS84_A * (1.0 - WGS84_E2);
    let dlat = (metres / m_min).to_degrees() * (1.0 + 1e-9) + 1e-12;
    let far = lat_deg.abs() + dlat;
    if far >= 89.999_999 {
        return (360.0, dlat);
    }
    let (_, n) = radii(far);
    let p = n * far.to_radians().cos();
    let dlon = (metres / p).to_degrees() * (1.0 + 1e-9) + 1e-12;
    (dlon.min(360.0), dlat)
}

/// Wraps a longitude difference into [-180, 180).
pub fn wrap_dlon(d: f64) -> f64 {
    if (-180.0..180.0).contains(&d) {
        d
    } else {
        (d + 180.0).rem_euclid(360.0) - 180.0
    }
}

/// A local metric frame centred on a position: x east and y north in metres, exact at the centre.
#[derive(Clone, Copy, Debug)]
pub struct LocalFrame {
    /// The centre.
    pub origin: Coord,
    /// Metres per degree of longitude at the centre.
    pub kx: f64,
    /// Metres per degree of latitude at the centre.
    pub ky: f64,
}

impl LocalFrame {
    /// The frame centred on `origin`.
    pub fn at(origin: Coord) -> Self {
        let (kx, ky) = metres_per_degree(origin.lat);
        Self { origin, kx, ky }
    }

    /// Frame coordinates (metres) of a position; the longitude difference is wrapped.
    pub fn to_xy(&self, c: Coord) -> (f64, f64) {
        (
            wrap_dlon(c.lon - self.origin.lon) * self.kx,
            (c.lat - self.origin.lat) * self.ky,
        )
    }

    /// The position with the given frame coordinates.
    pub fn to_coord(&self, x: f64, y: f64) -> Coord {
        let kx = if self.kx > 0.0 {
            self.kx
        } else {
            f64::MIN_POSITIVE
        };
        Coord::new(self.origin.lon + x / kx, self.origin.lat + y / self.ky)
    }
}

/// The point of segment a-b nearest to the origin, and its squared distance (plane geometry).
#[inline]
pub(crate) fn nearest_on_segment(ax: f64, ay: f64, bx: f64, by: f64) -> (f64, f64, f64) {
    let dx = bx - ax;
    let dy = by - ay;
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = ax + t * dx;
    let y = ay + t * dy;
    (x, y, x * x + y * y)
}

/// Tracks frame-nearest candidates along edges and settles the exact distance at the end.
struct Nearest {
    frame: LocalFrame,
    cands: Vec<(f64, f64, f64)>,
    best2: f64,
}

impl Nearest {
    fn new(p: Coord) -> Self {
        Self {
            frame: LocalFrame::at(p),
            cands: Vec::new(),
            best2: f64::INFINITY,
        }
    }

    fn add_path(&mut self, path: &[Coord]) {
        let mut prev: Option<(f64, f64)> = None;
        for c in path {
            let (x, y) = self.frame.to_xy(*c);
            // The vertex itself is a candidate too: near the poles the frame's nearest point of
            // an edge can lie a little inside it while the geodesically nearest is its end.
            let v2 = x * x + y * y;
            self.cands.push((x, y, v2));
            if v2 < self.best2 {
                self.best2 = v2;
            }
            if let Some((px, py)) = prev {
                let (nx, ny, d2) = nearest_on_segment(px, py, x, y);
                if d2 < self.best2 {
                    self.best2 = d2;
                }
                self.cands.push((nx, ny, d2));
            }
            prev = Some((x, y));
        }
    }

    fn finish(self) -> f64 {
        if !self.best2.is_finite() {
            return f64::INFINITY;
        }
        let best = self.best2.sqrt();
        // The frame's scale error is below 1 % within 50 km of the centre away from the poles;
        // re-measure every candidate that could still be the nearest.
        let limit = best * 1.02 + 1.0;
        let limit2 = limit * limit;
        let mut out = f64::INFINITY;
        for (x, y, d2) in self.cands {
            if d2 <= limit2 {
                let q = self.frame.to_coord(x, y);
                out = out.min(geodesic_distance(self.frame.origin, q));
            }
        }
        out
    }
}

/// Geodesic distance in metres from `p` to a line through `path` (edges straight in lon/lat).
pub fn distance_to_linestring(p: Coord, path: &[Coord]) -> f64 {
    let mut n = Nearest::new(p);
    n.add_path(path);
    n.finish()
}

/// Geodesic distance in metres from `p` to a polygon; 0 inside or on the boundary.
pub fn distance_to_polygon(p: Coord, poly: &Polygon) -> f64 {
    distance_to_polygons(p, std::slice::from_ref(poly))
}

/// Geodesic distance in metres from `p` to the nearest of several polygons; 0 inside one.
pub fn distance_to_polygons(p: Coord, polys: &[Polygon]) -> f64 {
    if polys.iter().any(|poly| point_in_polygon_wrapped(p, poly)) {
        return 0.0;
    }
    let mut n = Nearest::new(p);
    for ring in polys.iter().flat_map(Polygon::rings) {
        n.add_path(ring);
    }
    n.finish()
}

/// Point-in-polygon with the polygon's longitudes brought next to the point's (for polygons near
/// the antimeridian).
fn point_in_polygon_wrapped(p: Coord, poly: &Polygon) -> bool {
    let Some(first) = poly.exterior.first() else {
        return false;
    };
    let shift = first.lon + wrap_dlon(p.lon - first.lon) - p.lon;
    if shift == 0.0 {
        point_in_polygon(p, poly)
    } else {
        point_in_polygon(Coord::new(p.lon + shift, p.lat), poly)
    }
}

/// Geodesic distance in metres from `p` to any geometry (0 inside a polygon).
pub fn distance_to_geometry(p: Coord, g: &Geometry) -> f64 {
    match g {
        Geometry::Point(c) => geodesic_distance(p, *c),
        Geometry::MultiPoint(cs) => cs
            .iter()
            .map(|c| geodesic_distance(p, *c))
            .fold(f64::INFINITY, f64::min),
        Geometry::LineString(cs) => distance_to_linestring(p, cs),
        Geometry::MultiLineString(ls) => ls
            .iter()
            .map(|l| distance_to_linestring(p, l))
            .fold(f64::INFINITY, f64::min),
        Geometry::Polygon(poly) => distance_to_polygon(p, poly),
        Geometry::MultiPolygon(ps) => distance_to_polygons(p, ps),
    }
}

/// Signed area in m² of a closed ring on the ellipsoid (edges taken as geodesics): positive when
/// counter-clockwise.
pub fn ring_area_m2(ring: &[Coord]) -> f64 {
    let n = ring.len();
    let open = if n > 1 && ring[0] == ring[n - 1] {
        &ring[..n - 1]
    } else {
        ring
    };
    if open.len() < 3 {
        return 0.0;
    }
    let mut pa = PolygonArea::new(&GEOD, Winding::CounterClockwise);
    for c in open {
        pa.add_point(c.lat, c.lon);
    }
    let (_perimeter, area, _count) = pa.compute(true);
    area
}

/// Area in m² of a polygon on the WGS84 ellipsoid: the exterior minus the holes.
pub fn polygon_area_m2(poly: &Polygon) -> f64 {
    let outer = ring_area_m2(&poly.exterior).abs();
    let holes: f64 = poly.holes.iter().map(|h| ring_area_m2(h).abs()).sum();
    (outer - holes).max(0.0)
}

/// Area in m² of a geometry on the WGS84 ellipsoid (0 for points and lines).
pub fn geometry_area_m2(g: &Geometry) -> f64 {
    match g {
        Geometry::Polygon(p) => polygon_area_m2(p),
        Geometry::MultiPolygon(ps) => ps.iter().map(polygon_area_m2).sum(),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radii_at_equator_and_pole() {
        let (m, n) = radii(0.0);
        assert!((n - WGS84_A).abs() < 1e-6);
        assert!((m - WGS84_A * (1.0 - WGS84_E2)).abs() < 1e-6);
        let (m90, n90) = radii(90.0);
        assert!((m90 - n90).abs() < 1e-6);
    }

    #[test]
    fn one_degree_of_latitude_at_equator() {
        let d = geodesic_distance(Coord::new(0.0, 0.0), Coord::new(0.0, 1.0));
        assert!((d - 110_574.389).abs() < 0.01, "{d}");
    }

    #[test]
    fn margins_cover_the_distance() {
        for lat in [-80.0, -45.0, 0.0, 12.5, 60.0, 85.0] {
            for metres in [1.0, 100.0, 5000.0] {
                let (dlon, dlat) = degree_margins(lat, metres);
                let p = Coord::new(10.0, lat);
                // A point exactly at the margin must be at least `metres` away.
                assert!(geodesic_distance(p, Coord::new(10.0 + dlon, lat)) >= metres);
                let q = Coord::new(10.0, lat + dlat);
                assert!(geodesic_distance(p, q) >= metres);
            }
        }
        assert_eq!(degree_margins(89.9999, 1000.0).0, 360.0);
    }

    #[test]
    fn wrap() {
        assert_eq!(wrap_dlon(190.0), -170.0);
        assert_eq!(wrap_dlon(-190.0), 170.0);
        assert_eq!(wrap_dlon(10.0), 10.0);
    }

    #[test]
    fn distance_to_square_inside_and_out() {
        let sq = Polygon::new(vec![
            Coord::new(0.0, 0.0),
            Coord::new(0.01, 0.0),
            Coord::new(0.01, 0.01),
            Coord::new(0.0, 0.01),
            Coord::new(0.0, 0.0),
        ]);
        assert_eq!(distance_to_polygon(Coord::new(0.005, 0.005), &sq), 0.0);
        let p = Coord::new(0.005, -0.001);
        let d = distance_to_polygon(p, &sq);
        let exact = geodesic_distance(p, Coord::new(0.005, 0.0));
        assert!((d - exact).abs() < 1e-3, "{d} {exact}");
    }

    #[test]
    fn distance_across_antimeridian() {
        let sq = Polygon::new(vec![
            Coord::new(-179.999, 0.0),
            Coord::new(-179.99, 0.0),
            Coord::new(-179.99, 0.01),
            Coord::new(-179.999, 0.01),
            Coord::new(-179.999, 0.0),
        ]);
        let p = Coord::new(179.999, 0.005);
        let d = distance_to_polygon(p, &sq);
        let exact = geodesic_distance(p, Coord::new(-179.999, 0.005));
        assert!((d - exact).abs() < 1e-3, "{d} {exact}");
    }

    #[test]
    fn area_of_small_square_near_equator() {
        // 0.01 degree square at the equator: about 1113.2 m x 1105.7 m.
        let sq = Polygon::new(vec![
            Coord::new(0.0, 0.0),
            Coord::new(0.01, 0.0),
            Coord::new(0.01, 0.01),
            Coord::new(0.0, 0.01),
            Coord::new(0.0, 0.0),
        ]);
        let a = polygon_area_m2(&sq);
        let (kx, ky) = metres_per_degree(0.005);
        let approx = 0.01 * kx * 0.01 * ky;
        assert!((a - approx).abs() / approx < 1e-4, "{a} {approx}");
        let mut cw = sq.clone();
        cw.exterior.reverse();
        assert!((polygon_area_m2(&cw) - a).abs() < 1e-6);
        assert!(ring_area_m2(&sq.exterior) > 0.0);
        assert!(ring_area_m2(&cw.exterior) < 0.0);
    }
}
