//! Outline simplification for drawing at a map zoom level: Douglas-Peucker on each ring, in
//! degrees, to about a pixel of a 256-pixel Web Mercator tile at that zoom. Simplification never
//! makes a polygon invalid or empty: when the simplified polygon (or multipolygon) fails
//! validation, the original is kept. It is for display only; the safety check and every figure
//! use the recorded geometry.

use crate::feature::HazardShape;
use crate::{Coord, Feature, Geometry, Polygon, Severity};

/// The deepest zoom level accepted (what web maps offer).
pub const MAX_ZOOM: u8 = 22;

/// About one pixel at `zoom` in degrees of longitude (a 256-pixel tile spans 360 / 2^zoom
/// degrees). `zoom` above [`MAX_ZOOM`] counts as [`MAX_ZOOM`].
pub fn pixel_degrees(zoom: u8) -> f64 {
    360.0 / (256.0 * f64::from(1u32 << zoom.min(MAX_ZOOM)))
}

/// Distance in degrees (planar) from `p` to the segment `a`-`b`.
fn segment_distance(p: Coord, a: Coord, b: Coord) -> f64 {
    let (dx, dy) = (b.lon - a.lon, b.lat - a.lat);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.lon - a.lon) * dx + (p.lat - a.lat) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (x, y) = (a.lon + t * dx, a.lat + t * dy);
    ((p.lon - x).powi(2) + (p.lat - y).powi(2)).sqrt()
}

/// Marks the vertices of `pts[lo..=hi]` Douglas-Peucker keeps (an explicit stack: no recursion
/// depth to exhaust on long rings).
fn mark(pts: &[Coord], lo: usize, hi: usize, tol: f64, keep: &mut [bool]) {
    let mut stack = vec![(lo, hi)];
    while let Some((lo, hi)) = stack.pop() {
        if hi <= lo + 1 {
            continue;
        }
        let mut far = (lo, 0.0);
        for (i, p) in pts.iter().enumerate().take(hi).skip(lo + 1) {
            let d = segment_distance(*p, pts[lo], pts[hi]);
            if d > far.1 {
                far = (i, d);
            }
        }
        if far.1 > tol {
            keep[far.0] = true;
            stack.push((lo, far.0));
            stack.push((far.0, hi));
        }
    }
}

/// A closed ring simplified to `tol` degrees: still closed, its first vertex kept, and the vertex
/// farthest from it too (so that the ring cannot collapse to a line). A ring too short to
/// simplify comes back as it is.
pub fn simplify_ring(ring: &[Coord], tol: f64) -> Vec<Coord> {
    let n = ring.len();
    if n <= 4 || tol <= 0.0 || !tol.is_finite() {
        return ring.to_vec();
    }
    let first = ring[0];
    let mut far = (0, 0.0);
    for (i, p) in ring.iter().enumerate().take(n - 1) {
        let d = (p.lon - first.lon).powi(2) + (p.lat - first.lat).powi(2);
        if d > far.1 {
            far = (i, d);
        }
    }
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    keep[far.0] = true;
    mark(ring, 0, far.0, tol, &mut keep);
    mark(ring, far.0, n - 1, tol, &mut keep);
    ring.iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(c, _)| *c)
        .collect()
}

fn simplify_polygon(p: &Polygon, tol: f64) -> Polygon {
    Polygon {
        exterior: simplify_ring(&p.exterior, tol),
        holes: p.holes.iter().map(|h| simplify_ring(h, tol)).collect(),
    }
}

/// Whether a geometry passes validation unchanged in substance (no error; the validator may
/// reorient rings, which drawing does not mind).
fn valid(g: &Geometry) -> bool {
    let mut f = Feature::new(0, g.clone());
    crate::validate::validate_feature(&mut f)
        .iter()
        .all(|x| x.severity != Severity::Error)
}

/// A geometry simplified for drawing: polygons and multipolygons ring by ring, each polygon
/// kept as recorded when its simplified form would be invalid, and the whole kept as recorded
/// when the simplified parts together would be (parts made to overlap). Points and lines come
/// back as they are.
pub fn simplify_geometry(g: &Geometry, tol: f64) -> Geometry {
    let one = |p: &Polygon| {
        let s = simplify_polygon(p, tol);
        if s == *p || valid(&Geometry::Polygon(s.clone())) {
            s
        } else {
            p.clone()
        }
    };
    match g {
        Geometry::Polygon(p) => Geometry::Polygon(one(p)),
        Geometry::MultiPolygon(ps) => {
            let s = Geometry::MultiPolygon(ps.iter().map(one).collect());
            if valid(&s) { s } else { g.clone() }
        }
        other => other.clone(),
    }
}

/// A hazard shape simplified for drawing ([`simplify_geometry`]); a circle stays a circle.
pub fn simplify_shape(s: &HazardShape, tol: f64) -> HazardShape {
    match s {
        HazardShape::Polygon(p) => match simplify_geometry(&Geometry::Polygon(p.clone()), tol) {
            Geometry::Polygon(q) => HazardShape::Polygon(q),
            _ => s.clone(),
        },
        HazardShape::MultiPolygon(ps) => {
            match simplify_geometry(&Geometry::MultiPolygon(ps.clone()), tol) {
                Geometry::MultiPolygon(qs) => HazardShape::MultiPolygon(qs),
                _ => s.clone(),
            }
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(lon: f64, lat: f64) -> Coord {
        Coord::new(lon, lat)
    }

    /// A ring around (0, 0) of `n` vertices at radii `r` (a star when they vary), closed.
    fn star(radii: &[f64]) -> Vec<Coord> {
        let n = radii.len();
        let mut v: Vec<Coord> = radii
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let a = std::f64::consts::TAU * i as f64 / n as f64;
                c(r * a.cos(), r * a.sin())
            })
            .collect();
        v.push(v[0]);
        v
    }

    #[test]
    fn pixel_size_halves_with_each_zoom() {
        assert!((pixel_degrees(0) - 360.0 / 256.0).abs() < 1e-12);
        assert!((pixel_degrees(1) * 2.0 - pixel_degrees(0)).abs() < 1e-12);
        assert_eq!(pixel_degrees(30), pixel_degrees(MAX_ZOOM));
    }

    #[test]
    fn a_fine_circle_loses_vertices_at_a_far_zoom_and_none_close_up() {
        let ring = star(&[0.01; 400]);
        let far = simplify_ring(&ring, pixel_degrees(8));
        assert!(far.len() < 40, "{}", far.len());
        assert_eq!(far.first(), far.last());
        let near = simplify_ring(&ring, pixel_degrees(22));
        assert_eq!(near.len(), ring.len());
        let g = simplify_geometry(&Geometry::Polygon(Polygon::new(ring)), pixel_degrees(8));
        assert!(valid(&g));
    }

    #[test]
    fn a_polygon_that_would_collapse_is_kept_as_recorded() {
        // A thin sliver, narrower than a pixel: simplified it would be a line (no area).
        let ring = vec![
            c(0.0, 0.0),
            c(0.5, 0.000_001),
            c(1.0, 0.0),
            c(1.0, 0.000_002),
            c(0.5, 0.000_003),
            c(0.0, 0.000_002),
            c(0.0, 0.0),
        ];
        let p = Geometry::Polygon(Polygon::new(ring));
        let s = simplify_geometry(&p, pixel_degrees(0));
        assert!(valid(&s), "{s:?}");
        assert!(matches!(&s, Geometry::Polygon(q) if q.exterior.len() >= 4));
    }

    proptest! {
        /// Whatever the outline and zoom, the result is valid, closed and not empty.
        #[test]
        fn simplified_polygons_stay_valid(
            radii in prop::collection::vec(0.001f64..0.02, 5..80),
            zoom in 0u8..=22,
        ) {
            let p = Geometry::Polygon(Polygon::new(star(&radii)));
            prop_assume!(valid(&p));
            let s = simplify_geometry(&p, pixel_degrees(zoom));
            prop_assert!(valid(&s), "{:?}", s);
            match &s {
                Geometry::Polygon(q) => {
                    prop_assert!(q.exterior.len() >= 4);
                    prop_assert_eq!(q.exterior.first(), q.exterior.last());
                }
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}
