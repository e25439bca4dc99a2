//! The hazard index against brute force: the same hazards found, with the same distances, for
//! random hazards (polygons with holes, multipolygons, circles, every status) and random points.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use demine_geo::geodesy::{distance_to_polygons, geodesic_distance, metres_per_degree};
use demine_geo::index::geometry_to_polygon;
use demine_geo::{
    BatchMode, BatchPoint, Coord, Geometry, HazardIndex, HazardRecord, HazardShape, Polygon,
    counts_as_hazard,
};
use proptest::prelude::*;

const STATUSES: [&str; 6] = [
    "suspected",
    "confirmed",
    "reduced",
    "cleared",
    "cancelled",
    "handed over",
];

fn offset(o: Coord, east: f64, north: f64) -> Coord {
    let (kx, ky) = metres_per_degree(o.lat);
    Coord::new(o.lon + east / kx, o.lat + north / ky)
}

fn star(c: Coord, r: f64, n: usize, jit: &[f64], clockwise: bool) -> Vec<Coord> {
    let mut ring: Vec<Coord> = (0..n)
        .map(|i| {
            let t = i as f64 / n as f64 * std::f64::consts::TAU;
            let t = if clockwise { -t } else { t };
            offset(
                c,
                r * jit[i % jit.len()] * t.cos(),
                r * jit[i % jit.len()] * t.sin(),
            )
        })
        .collect();
    ring.push(ring[0]);
    ring
}

#[derive(Debug, Clone)]
struct Spec {
    dx: f64,
    dy: f64,
    r: f64,
    n: usize,
    kind: u8,
    status: usize,
    jit: Vec<f64>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        -3000.0f64..3000.0,
        -3000.0f64..3000.0,
        20.0f64..600.0,
        3usize..14,
        0u8..4,
        0usize..6,
        proptest::collection::vec(0.5f64..1.0, 14),
    )
        .prop_map(|(dx, dy, r, n, kind, status, jit)| Spec {
            dx,
            dy,
            r,
            n,
            kind,
            status,
            jit,
        })
}

/// Brings shapes east of the antimeridian to the west side; shapes that would cross it are left
/// out (crossing polygons are not supported).
fn normalise(mut r: HazardRecord) -> Option<HazardRecord> {
    let mut lons = Vec::new();
    r.shape.to_geometry().for_each_coord(|c| lons.push(c.lon));
    let east = lons.iter().filter(|l| **l > 180.0).count();
    if east == 0 {
        if let HazardShape::Circle { center, radius_m } = r.shape {
            let (dlon, _) = demine_geo::degree_margins(center.lat, radius_m);
            if center.lon + dlon > 180.0 {
                return None;
            }
        }
        return Some(r);
    }
    if east != lons.len() {
        return None;
    }
    let shift = |c: &mut Coord| c.lon -= 360.0;
    match &mut r.shape {
        HazardShape::Polygon(p) => {
            p.exterior.iter_mut().for_each(shift);
            p.holes.iter_mut().flatten().for_each(shift);
        }
        HazardShape::MultiPolygon(ps) => {
            for p in ps {
                p.exterior.iter_mut().for_each(shift);
                p.holes.iter_mut().flatten().for_each(shift);
            }
        }
        HazardShape::Circle { center, radius_m } => {
            let (dlon, _) = demine_geo::degree_margins(center.lat, *radius_m);
            if center.lon - dlon < 180.0 {
                return None;
            }
            center.lon -= 360.0;
        }
    }
    Some(r)
}

fn build(origin: Coord, specs: &[Spec]) -> Vec<HazardRecord> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let c = offset(origin, s.dx, s.dy);
            let shape = match s.kind {
                0 => HazardShape::Polygon(Polygon::new(star(c, s.r, s.n, &s.jit, false))),
                1 => HazardShape::Polygon(Polygon {
                    exterior: star(c, s.r, s.n, &s.jit, false),
                    holes: vec![star(c, s.r * 0.3, 4, &[1.0], true)],
                }),
                2 => HazardShape::MultiPolygon(vec![
                    Polygon::new(star(c, s.r * 0.4, s.n, &s.jit, false)),
                    Polygon::new(star(offset(c, s.r * 1.5, 0.0), s.r * 0.4, 5, &s.jit, false)),
                ]),
                _ => HazardShape::Circle {
                    center: c,
                    radius_m: s.r * 0.5,
                },
            };
            HazardRecord {
                id: 1000 - i as i64,
                status: STATUSES[s.status].to_string(),
                hazard_type: None,
                shape,
            }
        })
        .filter_map(normalise)
        .collect()
}

fn brute(p: Coord, r: &HazardRecord) -> f64 {
    match &r.shape {
        HazardShape::Polygon(poly) => distance_to_polygons(p, std::slice::from_ref(poly)),
        HazardShape::MultiPolygon(ps) => distance_to_polygons(p, ps),
        HazardShape::Circle { center, radius_m } => {
            (geodesic_distance(p, *center) - radius_m).max(0.0)
        }
    }
}

/// Distances from the index may come from the local frame (error bound under 1 cm) where brute
/// force uses Karney only.
const EPS: f64 = 0.02;

fn origin() -> impl Strategy<Value = Coord> {
    prop_oneof![
        (-10.0f64..10.0, -5.0f64..5.0),
        (100.0f64..110.0, 10.0f64..15.0),
        (-80.0f64..-60.0, -60.0f64..-45.0),
        (20.0f64..30.0, 68.0f64..75.0),
        (179.9f64..180.0, -1.0f64..1.0),
    ]
    .prop_map(|(x, y)| Coord::new(x, y))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn point_queries_equal_brute_force(
        o in origin(),
        specs in proptest::collection::vec(spec(), 1..40),
        pts in proptest::collection::vec((-3500.0f64..3500.0, -3500.0f64..3500.0), 1..60),
        within in prop_oneof![Just(0.0), 1.0f64..800.0],
    ) {
        let records = build(o, &specs);
        let index = HazardIndex::build(records.clone()).unwrap();
        let active: Vec<&HazardRecord> = records.iter().filter(|r| counts_as_hazard(&r.status)).collect();
        prop_assert_eq!(index.len(), active.len());
        let mut batch = Vec::new();
        for (k, (e, n)) in pts.iter().enumerate() {
            let mut p = offset(o, *e, *n);
            if p.lon > 180.0 { p.lon -= 360.0; }
            batch.push(BatchPoint { id: k as i64, coord: p });
            let hits = index.query_point(p, within);
            let mut want: Vec<(i64, f64)> = active.iter().map(|r| (r.id, brute(p, r))).filter(|x| x.1 <= within + EPS).collect();
            want.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            // Every hit is right, and nothing clearly within is missed.
            for h in &hits {
                let b = want.iter().find(|w| w.0 == h.hazard.id);
                prop_assert!(b.is_some(), "hit {} at {} not in brute force", h.hazard.id, h.distance_m);
                prop_assert!((b.unwrap().1 - h.distance_m).abs() <= EPS);
            }
            for w in want.iter().filter(|w| w.1 <= within - EPS) {
                prop_assert!(hits.iter().any(|h| h.hazard.id == w.0), "missed {} at {}", w.0, w.1);
            }
            // Sorted nearest first.
            prop_assert!(hits.windows(2).all(|x| x[0].distance_m <= x[1].distance_m));
        }
        // Batch: nearest mode agrees with the point queries; any mode flags the same points.
        let flags = index.check_points(&batch, within, BatchMode::Nearest, 3).unwrap();
        let any = index.check_points(&batch, within, BatchMode::Any, 2).unwrap();
        prop_assert!(flags.windows(2).all(|x| x[0].point_id < x[1].point_id));
        for bp in &batch {
            let hits = index.query_point(bp.coord, within);
            let f = flags.iter().find(|f| f.point_id == bp.id);
            let a = any.iter().find(|f| f.point_id == bp.id);
            prop_assert_eq!(f.is_some(), !hits.is_empty());
            prop_assert_eq!(a.is_some(), !hits.is_empty());
            if let Some(f) = f {
                prop_assert!((f.distance_m - hits[0].distance_m).abs() <= 1e-9);
                if f.distance_m == 0.0 {
                    // Ties inside go to the smallest id.
                    let min_id = hits.iter().filter(|h| h.distance_m == 0.0).map(|h| h.hazard.id).min();
                    prop_assert_eq!(Some(f.hazard_id), min_id);
                }
            }
        }
    }

    #[test]
    fn route_queries_equal_brute_force(
        o in origin(),
        specs in proptest::collection::vec(spec(), 1..25),
        route in proptest::collection::vec((-3000.0f64..3000.0, -3000.0f64..3000.0), 2..6),
        within in 0.0f64..500.0,
    ) {
        let records = build(o, &specs);
        let index = HazardIndex::build(records.clone()).unwrap();
        let line: Vec<Coord> = route.iter().map(|(e, n)| offset(o, *e, *n)).collect();
        prop_assume!(line.iter().all(|c| c.lon <= 180.0));
        let g = Geometry::LineString(line);
        let hits = index.query_geometry(&g, within);
        for r in records.iter().filter(|r| counts_as_hazard(&r.status)) {
            let d = match &r.shape {
                HazardShape::Polygon(p) => geometry_to_polygon(&g, p),
                HazardShape::MultiPolygon(ps) => ps.iter().map(|p| geometry_to_polygon(&g, p)).fold(f64::INFINITY, f64::min),
                HazardShape::Circle { center, radius_m } => (demine_geo::distance_to_geometry(*center, &g) - radius_m).max(0.0),
            };
            let found = hits.iter().find(|h| h.hazard.id == r.id);
            if d <= within {
                prop_assert!(found.is_some(), "route missed hazard {} at {d}", r.id);
                prop_assert!((found.unwrap().distance_m - d).abs() < 1e-6);
            } else {
                prop_assert!(found.is_none());
            }
        }
    }
}

#[test]
fn excluded_statuses_never_appear() {
    let o = Coord::new(104.0, 12.0);
    let records = build(
        o,
        &[Spec {
            dx: 0.0,
            dy: 0.0,
            r: 100.0,
            n: 6,
            kind: 0,
            status: 3,
            jit: vec![1.0],
        }],
    );
    let index = HazardIndex::build(records).unwrap();
    assert!(index.is_empty());
    assert_eq!(index.excluded(), 1);
    assert!(index.query_point(o, 1000.0).is_empty());
}
