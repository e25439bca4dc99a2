//! Properties of validation's fixes and refusals: a box drawn across the antimeridian is split
//! into parts that cover exactly that box (never the rest of the world), overlapping parts of a
//! MultiPolygon are merged so that their area is the area of their union, and a hole is accepted
//! exactly when it lies inside its exterior.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use demine_geo::geom::point_in_polygon;
use demine_geo::ops::area_m2;
use demine_geo::validate::validate_feature;
use demine_geo::{Coord, FaultKind, Feature, Geometry, Polygon, Severity};
use proptest::prelude::*;

fn rect(w: f64, s: f64, e: f64, n: f64) -> Vec<Coord> {
    vec![
        Coord::new(w, s),
        Coord::new(e, s),
        Coord::new(e, n),
        Coord::new(w, n),
        Coord::new(w, s),
    ]
}

fn parts(g: &Option<Geometry>) -> Vec<Polygon> {
    match g {
        Some(Geometry::Polygon(p)) => vec![p.clone()],
        Some(Geometry::MultiPolygon(ps)) => ps.clone(),
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_box_across_the_antimeridian_is_split_into_that_box(
        w in 170.0f64..179.99,
        e in -179.99f64..-170.0,
        s in -60.0f64..59.0,
        h in 0.001f64..1.0,
        tx in 0.01f64..0.99,
        ty in 0.01f64..0.99,
    ) {
        let n = s + h;
        let mut f = Feature::new(0, Geometry::Polygon(Polygon::new(rect(w, s, e, n))));
        let faults = validate_feature(&mut f);
        prop_assert!(faults.iter().all(|x| x.severity == Severity::Warning), "{:?}", faults);
        let split_reported = faults
            .iter()
            .any(|x| matches!(x.kind, FaultKind::AntimeridianSplit { .. }));
        prop_assert!(split_reported, "{:?}", faults);
        let ps = parts(&f.geometry);
        for p in &ps {
            for c in p.rings().flatten() {
                prop_assert!(c.lon.abs() <= 180.0);
            }
        }
        // The same area as the box unwrapped (east of 180), to rounding: the overlay that splits
        // the ring may move a vertex by a fraction of a millimetre, which on a box 20 degrees
        // wide and a few metres tall is more than a part in a million of its area. Allow a
        // shift of 1 cm along the whole outline.
        let whole = area_m2(&[Polygon::new(rect(w, s, e + 360.0, n))]);
        let split = area_m2(&ps);
        let outline_m = 2.0 * ((e + 360.0 - w) + h) * 111_320.0;
        prop_assert!(
            (split - whole).abs() <= 1e-6 * whole + 0.01 * outline_m,
            "{} vs {}", split, whole
        );
        // A point of the box is inside; the other side of the world is not.
        let lon = w + tx * (e + 360.0 - w);
        let lon = if lon > 180.0 { lon - 360.0 } else { lon };
        let lat = s + ty * h;
        let inside = |c: Coord| ps.iter().any(|p| point_in_polygon(c, p));
        prop_assert!(inside(Coord::new(lon, lat)));
        prop_assert!(!inside(Coord::new(0.0, lat)));
        prop_assert!(!inside(Coord::new(w - 1.0, lat)));
    }

    #[test]
    fn overlapping_parts_count_once(
        x1 in 0.0f64..0.01, y1 in 0.0f64..0.01, d1 in 0.001f64..0.01,
        x2 in 0.0f64..0.01, y2 in 0.0f64..0.01, d2 in 0.001f64..0.01,
    ) {
        let a = rect(x1, y1, x1 + d1, y1 + d1);
        let b = rect(x2, y2, x2 + d2, y2 + d2);
        let mut f = Feature::new(
            0,
            Geometry::MultiPolygon(vec![Polygon::new(a.clone()), Polygon::new(b.clone())]),
        );
        let faults = validate_feature(&mut f);
        prop_assert!(faults.iter().all(|x| x.severity == Severity::Warning), "{:?}", faults);
        // Inclusion-exclusion over the two boxes.
        let (iw, is) = (x1.max(x2), y1.max(y2));
        let (ie, inn) = ((x1 + d1).min(x2 + d2), (y1 + d1).min(y2 + d2));
        let both = if iw < ie && is < inn {
            area_m2(&[Polygon::new(rect(iw, is, ie, inn))])
        } else {
            0.0
        };
        let union = area_m2(&[Polygon::new(a)]) + area_m2(&[Polygon::new(b)]) - both;
        let got = area_m2(&parts(&f.geometry));
        prop_assert!((got - union).abs() <= 1e-6 * union + 1.0, "{} vs {}", got, union);
    }

    #[test]
    fn a_hole_is_accepted_exactly_when_inside(
        hx in -0.02f64..0.03, hy in -0.02f64..0.03, hd in 0.0001f64..0.005,
    ) {
        let shell = rect(0.0, 0.0, 0.01, 0.01);
        let hole = rect(hx, hy, hx + hd, hy + hd);
        let inside = hx > 0.0 && hy > 0.0 && hx + hd < 0.01 && hy + hd < 0.01;
        let mut f = Feature::new(0, Geometry::Polygon(Polygon { exterior: shell, holes: vec![hole] }));
        let errors: Vec<_> = validate_feature(&mut f)
            .into_iter()
            .filter(|x| x.severity == Severity::Error)
            .collect();
        prop_assert_eq!(errors.is_empty(), inside, "{:?}", errors);
    }
}
