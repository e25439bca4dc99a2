//! Property tests of the distances against geographiclib: the local-frame method must agree with
//! an independent search along each edge using Karney geodesics only, to within 0.5 m for
//! distances up to 5 km, near the equator, at mid-latitudes and at high latitudes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use demine_geo::geodesy::{
    distance_to_linestring, distance_to_polygon, geodesic_distance, metres_per_degree,
};
use demine_geo::{Coord, Polygon};
use proptest::prelude::*;

/// Independent check: golden-section search of the Karney distance along the lon/lat-straight
/// segment a-b, seeded from a coarse scan (robust to several local minima).
fn brute_segment(p: Coord, a: Coord, b: Coord) -> f64 {
    let at = |t: f64| {
        let q = Coord::new(a.lon + t * (b.lon - a.lon), a.lat + t * (b.lat - a.lat));
        geodesic_distance(p, q)
    };
    let n = 64;
    let mut best_i = 0;
    let mut best = f64::INFINITY;
    for i in 0..=n {
        let d = at(i as f64 / n as f64);
        if d < best {
            best = d;
            best_i = i;
        }
    }
    let mut lo = (best_i as f64 - 1.0).max(0.0) / n as f64;
    let mut hi = (best_i as f64 + 1.0).min(n as f64) / n as f64;
    let g = 0.618_033_988_749_895;
    for _ in 0..80 {
        let m1 = hi - g * (hi - lo);
        let m2 = lo + g * (hi - lo);
        if at(m1) < at(m2) {
            hi = m2;
        } else {
            lo = m1;
        }
    }
    best.min(at((lo + hi) / 2.0))
}

fn brute_path(p: Coord, path: &[Coord]) -> f64 {
    path.windows(2)
        .map(|w| brute_segment(p, w[0], w[1]))
        .fold(f64::INFINITY, f64::min)
}

/// A point at (east, north) metres from `o`, using the local scale (good enough to place test
/// geometry; the distances are measured independently).
fn offset(o: Coord, east: f64, north: f64) -> Coord {
    let (kx, ky) = metres_per_degree(o.lat);
    Coord::new(o.lon + east / kx, o.lat + north / ky)
}

fn latitude_band() -> impl Strategy<Value = f64> {
    prop_oneof![
        -2.0f64..2.0,
        35.0f64..50.0,
        -50.0f64..-35.0,
        65.0f64..78.0,
        -78.0f64..-65.0,
        78.0f64..86.0,
        -86.0f64..-78.0
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn point_to_segment_matches_karney_search(
        lat in latitude_band(),
        lon in -179.0f64..179.0,
        (ax, ay, bx, by) in (-2500.0f64..2500.0, -2500.0f64..2500.0, -2500.0f64..2500.0, -2500.0f64..2500.0),
    ) {
        let p = Coord::new(lon, lat);
        let a = offset(p, ax, ay);
        let b = offset(p, bx, by);
        let ours = distance_to_linestring(p, &[a, b]);
        let want = brute_path(p, &[a, b]);
        prop_assume!(want <= 5000.0);
        prop_assert!((ours - want).abs() <= 0.5, "ours {ours} want {want}");
        // Never below the true minimum by more than the tolerance, nor above any endpoint.
        prop_assert!(ours <= geodesic_distance(p, a).min(geodesic_distance(p, b)) + 1e-6);
    }

    #[test]
    fn point_to_polygon_matches_karney_search(
        lat in latitude_band(),
        lon in -179.0f64..179.0,
        r in 20.0f64..2000.0,
        n in 3usize..12,
        (dx, dy) in (-4000.0f64..4000.0, -4000.0f64..4000.0),
        jitter in proptest::collection::vec(0.4f64..1.0, 12),
    ) {
        let c = Coord::new(lon, lat);
        let mut ring: Vec<Coord> = (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                offset(c, r * jitter[i] * t.cos(), r * jitter[i] * t.sin())
            })
            .collect();
        ring.push(ring[0]);
        let poly = Polygon::new(ring.clone());
        let p = offset(c, dx, dy);
        let ours = distance_to_polygon(p, &poly);
        if demine_geo::geom::point_in_polygon(p, &poly) {
            prop_assert_eq!(ours, 0.0);
        } else {
            let want = brute_path(p, &ring);
            prop_assume!(want <= 5000.0);
            prop_assert!((ours - want).abs() <= 0.5, "ours {ours} want {want}");
        }
    }

    #[test]
    fn point_distance_is_symmetric_and_zero_on_itself(
        lat in -89.0f64..89.0, lon in -180.0f64..180.0,
        e in -5000.0f64..5000.0, nn in -5000.0f64..5000.0,
    ) {
        let p = Coord::new(lon, lat);
        let q = offset(p, e, nn);
        prop_assume!(q.lat.abs() < 90.0);
        let d1 = geodesic_distance(p, q);
        let d2 = geodesic_distance(q, p);
        prop_assert!((d1 - d2).abs() < 1e-6);
        prop_assert_eq!(geodesic_distance(p, p), 0.0);
        // A degenerate line is a point.
        prop_assert!((distance_to_linestring(p, &[q, q]) - d1).abs() < 1e-6);
    }
}
