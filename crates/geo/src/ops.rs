//! Polygon overlay (union, difference, intersection) and land release accounting.
//!
//! The overlay itself is the georust `geo` crate's `BooleanOps` (planar, in longitude/latitude,
//! which is how RFC 7946 defines edges); this module converts to and from demine's own types and
//! measures the results on the WGS84 ellipsoid with [`crate::geodesy::polygon_area_m2`].

use demine_core::hazard::{Accounting, ActivityKind};
use geo::BooleanOps;

use crate::feature::HazardShape;
use crate::geodesy::{LocalFrame, WGS84_A, WGS84_E2};
use crate::geom::{Coord, Geometry, Polygon, ring_is_ccw};

/// Vertices used for a circle (a reported point with a radius) turned into a polygon.
pub const CIRCLE_VERTICES: usize = 64;

fn ring_to_geo(ring: &[Coord]) -> geo::LineString<f64> {
    geo::LineString::from(
        ring.iter()
            .map(|c| geo::Coord { x: c.lon, y: c.lat })
            .collect::<Vec<_>>(),
    )
}

fn to_geo(polys: &[Polygon]) -> geo::MultiPolygon<f64> {
    geo::MultiPolygon::new(
        polys
            .iter()
            .map(|p| {
                geo::Polygon::new(
                    ring_to_geo(&p.exterior),
                    p.holes.iter().map(|h| ring_to_geo(h)).collect(),
                )
            })
            .collect(),
    )
}

fn ring_from_geo(ls: &geo::LineString<f64>, ccw: bool) -> Vec<Coord> {
    let mut r: Vec<Coord> = ls.0.iter().map(|c| Coord::new(c.x, c.y)).collect();
    if r.first() != r.last()
        && let Some(&first) = r.first()
    {
        r.push(first);
    }
    if r.len() >= 4 && ring_is_ccw(&r) != ccw {
        r.reverse();
    }
    r
}

fn from_geo(mp: &geo::MultiPolygon<f64>) -> Vec<Polygon> {
    mp.0.iter()
        .map(|p| Polygon {
            exterior: ring_from_geo(p.exterior(), true),
            holes: p
                .interiors()
                .iter()
                .map(|h| ring_from_geo(h, false))
                .filter(|h| h.len() >= 4)
                .collect(),
        })
        .filter(|p| p.exterior.len() >= 4)
        .collect()
}

/// The union of polygons.
pub fn union(a: &[Polygon], b: &[Polygon]) -> Vec<Polygon> {
    from_geo(&to_geo(a).union(&to_geo(b)))
}

/// What of `a` is not in `b`.
pub fn difference(a: &[Polygon], b: &[Polygon]) -> Vec<Polygon> {
    if a.is_empty() || b.is_empty() {
        return a.to_vec();
    }
    from_geo(&to_geo(a).difference(&to_geo(b)))
}

/// What `a` and `b` share.
pub fn intersection(a: &[Polygon], b: &[Polygon]) -> Vec<Polygon> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    from_geo(&to_geo(a).intersection(&to_geo(b)))
}

/// Area in m² on the WGS84 ellipsoid of the zone between the equator and latitude `phi`
/// (radians), per radian of longitude (the authalic-latitude integral of M·N·cos φ).
fn zone_area(phi: f64) -> f64 {
    let e2 = WGS84_E2;
    let e = e2.sqrt();
    let b2 = WGS84_A * WGS84_A * (1.0 - e2);
    let s = phi.sin();
    b2 * (s / (2.0 * (1.0 - e2 * s * s)) + (e * s).atanh() / (2.0 * e))
}

/// Gauss-Legendre nodes and weights on [0, 1] (5 points: exact for degree-9 polynomials).
const GL5: [(f64, f64); 5] = [
    (0.046_910_077_030_668, 0.118_463_442_528_095),
    (0.230_765_344_947_158, 0.239_314_335_249_683),
    (0.5, 0.284_444_444_444_444),
    (0.769_234_655_052_842, 0.239_314_335_249_683),
    (0.953_089_922_969_332, 0.118_463_442_528_095),
];

/// Area in m² on the WGS84 ellipsoid of a closed ring whose edges are straight lines in
/// longitude/latitude (as RFC 7946 defines them): −∮ S(φ) dλ by Green's theorem, each edge
/// integrated by Gauss-Legendre quadrature. Unlike the geodesic-edge area, this is exactly
/// additive when an overlay splits an edge at a new vertex, so released + remaining = recorded.
pub fn ring_area_straight_m2(ring: &[Coord]) -> f64 {
    if ring.len() < 4 {
        return 0.0;
    }
    let s0 = zone_area(ring[0].lat.to_radians());
    let mut sum = 0.0;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        let dl = (b.lon - a.lon).to_radians();
        if dl == 0.0 {
            continue;
        }
        let (p0, p1) = (a.lat.to_radians(), b.lat.to_radians());
        let mut s = 0.0;
        for (t, wt) in GL5 {
            s += wt * (zone_area(p0 + (p1 - p0) * t) - s0);
        }
        sum += s * dl;
    }
    (-sum).abs()
}

/// Area in m² on the WGS84 ellipsoid of a set of polygons (edges straight in lon/lat; see
/// [`ring_area_straight_m2`]; for small areas it agrees with the geodesic-edge
/// [`crate::geodesy::polygon_area_m2`] to well under a part in a thousand).
pub fn area_m2(polys: &[Polygon]) -> f64 {
    polys
        .iter()
        .map(|p| {
            let holes: f64 = p.holes.iter().map(|h| ring_area_straight_m2(h)).sum();
            (ring_area_straight_m2(&p.exterior) - holes).max(0.0)
        })
        .sum::<f64>()
        + 0.0 // an empty sum is -0.0
}

/// A circle of `radius_m` metres around `center` as a polygon of [`CIRCLE_VERTICES`] vertices
/// (a bare point, radius 0, is no area: an empty list).
pub fn circle_polygon(center: Coord, radius_m: f64) -> Vec<Polygon> {
    if !(radius_m.is_finite() && radius_m > 0.0) {
        return Vec::new();
    }
    let frame = LocalFrame::at(center);
    let mut ring: Vec<Coord> = (0..CIRCLE_VERTICES)
        .map(|i| {
            let t = std::f64::consts::TAU * i as f64 / CIRCLE_VERTICES as f64;
            frame.to_coord(radius_m * t.cos(), radius_m * t.sin())
        })
        .collect();
    ring.push(ring[0]);
    vec![Polygon::new(ring)]
}

/// The polygons of a hazard's shape (a circle is approximated, see [`circle_polygon`]).
pub fn shape_polygons(shape: &HazardShape) -> Vec<Polygon> {
    match shape {
        HazardShape::Polygon(p) => vec![p.clone()],
        HazardShape::MultiPolygon(ps) => ps.clone(),
        HazardShape::Circle { center, radius_m } => circle_polygon(*center, *radius_m),
    }
}

/// The polygons of a geometry (points and lines have none).
pub fn geometry_polygons(g: &Geometry) -> Vec<Polygon> {
    match g {
        Geometry::Polygon(p) => vec![p.clone()],
        Geometry::MultiPolygon(ps) => ps.clone(),
        _ => Vec::new(),
    }
}

/// Polygons back as a geometry: one polygon, a multipolygon, or an empty multipolygon.
pub fn polygons_geometry(mut ps: Vec<Polygon>) -> Geometry {
    if ps.len() == 1 {
        Geometry::Polygon(ps.remove(0))
    } else {
        Geometry::MultiPolygon(ps)
    }
}

/// The result of [`release`]: the books and the land that remains hazardous.
#[derive(Clone, Debug, PartialEq)]
pub struct Released {
    /// The areas in m².
    pub accounting: Accounting,
    /// Per activity, in the order given: the area it released (its perimeter clipped to the land
    /// still hazardous when it came).
    pub per_activity_m2: Vec<f64>,
    /// The recorded polygons minus every released perimeter.
    pub remaining: Vec<Polygon>,
}

/// Land release accounting for one area: `activities` in the order they happened, each with its
/// perimeter. Each perimeter is clipped to what was still hazardous when it came, so land is
/// counted once, to the first activity that released it; what is outside the recorded area
/// releases nothing. recorded = cancelled + reduced + cleared + remaining (up to the rounding of
/// the ellipsoidal area of pieces whose new vertices lie on straight lon/lat edges).
pub fn release(recorded: &[Polygon], activities: &[(ActivityKind, Vec<Polygon>)]) -> Released {
    let mut remaining = recorded.to_vec();
    let mut acc = Accounting {
        recorded_m2: area_m2(recorded),
        ..Accounting::default()
    };
    let mut per = Vec::with_capacity(activities.len());
    for (kind, perimeter) in activities {
        let freed = area_m2(&intersection(&remaining, perimeter));
        per.push(freed);
        match kind {
            ActivityKind::NonTechnicalSurvey => acc.cancelled_m2 += freed,
            ActivityKind::TechnicalSurvey => acc.reduced_m2 += freed,
            ActivityKind::Clearance => acc.cleared_m2 += freed,
        }
        remaining = difference(&remaining, perimeter);
    }
    acc.remaining_m2 = area_m2(&remaining);
    Released {
        accounting: acc,
        per_activity_m2: per,
        remaining,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::point_in_polygon;
    use proptest::prelude::*;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
        Polygon::new(vec![
            Coord::new(x0, y0),
            Coord::new(x1, y0),
            Coord::new(x1, y1),
            Coord::new(x0, y1),
            Coord::new(x0, y0),
        ])
    }

    #[test]
    fn difference_of_a_corner() {
        let a = vec![rect(104.0, 11.0, 104.01, 11.01)];
        let b = vec![rect(104.005, 11.005, 104.02, 11.02)];
        let d = difference(&a, &b);
        assert_eq!(d.len(), 1);
        assert!(ring_is_ccw(&d[0].exterior));
        let full = area_m2(&a);
        let quarter = area_m2(&intersection(&a, &b));
        assert!((quarter / full - 0.25).abs() < 1e-3, "{quarter} {full}");
        assert!((area_m2(&d) + quarter - full).abs() < 1e-3 * full);
        let u = union(&a, &b);
        assert!((area_m2(&u) - (full + area_m2(&b) - quarter)).abs() < 1e-3 * full);
    }

    #[test]
    fn a_hole_in_the_middle() {
        let a = vec![rect(0.0, 0.0, 0.01, 0.01)];
        let b = vec![rect(0.004, 0.004, 0.006, 0.006)];
        let d = difference(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].holes.len(), 1);
        assert!(!ring_is_ccw(&d[0].holes[0]));
        assert!(!point_in_polygon(Coord::new(0.005, 0.005), &d[0]));
        assert!(point_in_polygon(Coord::new(0.001, 0.001), &d[0]));
    }

    #[test]
    fn release_counts_overlaps_once() {
        let rec = vec![rect(0.0, 0.0, 0.01, 0.01)];
        let left = vec![rect(-0.01, -0.01, 0.005, 0.02)];
        let r = release(
            &rec,
            &[
                (ActivityKind::NonTechnicalSurvey, left.clone()),
                (ActivityKind::Clearance, left),
            ],
        );
        let a = r.accounting;
        assert!((a.cancelled_m2 / a.recorded_m2 - 0.5).abs() < 1e-3);
        assert_eq!(a.cleared_m2, 0.0);
        assert!(a.balances(1e-6), "{a:?}");
        assert_eq!(r.per_activity_m2.len(), 2);
    }

    #[test]
    fn straight_edge_area_agrees_with_geodesic_area_for_small_polygons() {
        for (x, y, w) in [
            (104.0, 12.0, 0.01),
            (10.0, 60.0, 0.05),
            (-70.0, -33.0, 0.001),
        ] {
            let p = rect(x, y, x + w, y + w);
            let a = area_m2(std::slice::from_ref(&p));
            let g = crate::geodesy::polygon_area_m2(&p);
            assert!((a - g).abs() / g < 1e-4, "{a} {g}");
        }
        // Whole-zone sanity: the band from the equator to 1°N over 1° of longitude.
        let band = rect(0.0, 0.0, 1.0, 1.0);
        let a = area_m2(&[band]);
        assert!((a - 12_308_778_361.0).abs() / a < 1e-3, "{a}");
    }

    #[test]
    fn circles_have_their_area() {
        let c = circle_polygon(Coord::new(105.0, 12.0), 100.0);
        let a = area_m2(&c);
        let exact = std::f64::consts::PI * 100.0 * 100.0;
        assert!((a - exact).abs() / exact < 0.01, "{a}");
        assert!(circle_polygon(Coord::new(0.0, 0.0), 0.0).is_empty());
    }

    fn arb_rect() -> impl Strategy<Value = Polygon> {
        (
            0.0f64..0.02,
            0.0f64..0.02,
            0.0005f64..0.015,
            0.0005f64..0.015,
        )
            .prop_map(|(x, y, w, h)| rect(104.0 + x, 12.0 + y, 104.0 + x + w, 12.0 + y + h))
    }

    fn arb_kind() -> impl Strategy<Value = ActivityKind> {
        prop_oneof![
            Just(ActivityKind::NonTechnicalSurvey),
            Just(ActivityKind::TechnicalSurvey),
            Just(ActivityKind::Clearance),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn accounting_balances_and_remaining_stays_inside(
            recorded in proptest::collection::vec(arb_rect(), 1..3),
            acts in proptest::collection::vec((arb_kind(), arb_rect()), 0..6),
            probes in proptest::collection::vec((0.0f64..0.04, 0.0f64..0.04), 20),
        ) {
            let recorded = union(&recorded, &[]);
            let acts: Vec<(ActivityKind, Vec<Polygon>)> =
                acts.into_iter().map(|(k, p)| (k, vec![p])).collect();
            let r = release(&recorded, &acts);
            let a = r.accounting;
            prop_assert!(a.balances(1e-6), "{:?} imbalance {}", a, a.imbalance_m2());
            prop_assert!(a.cancelled_m2 >= 0.0 && a.reduced_m2 >= 0.0 && a.cleared_m2 >= 0.0);
            prop_assert!(a.remaining_m2 <= a.recorded_m2 * (1.0 + 1e-9) + 0.01);
            // remaining ⊆ recorded, and nothing released is still in remaining.
            for (dx, dy) in probes {
                let p = Coord::new(104.0 + dx, 12.0 + dy);
                let in_rem = r.remaining.iter().any(|q| point_in_polygon(p, q));
                let in_rec = recorded.iter().any(|q| point_in_polygon(p, q));
                prop_assert!(!in_rem || in_rec, "{p:?} remains but was never recorded");
                let released = acts.iter().any(|(_, ps)| ps.iter().any(|q| {
                    // strictly inside a perimeter (boundaries may go either way)
                    point_in_polygon(p, q)
                        && q.exterior.iter().all(|v| (v.lon - p.lon).abs() > 1e-9 && (v.lat - p.lat).abs() > 1e-9)
                }));
                prop_assert!(!(in_rem && released), "{p:?} was released but remains");
            }
        }
    }
}
