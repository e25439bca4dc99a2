//! Validation of features read from files: every fault names the feature (index and id) and what
//! is wrong. Fixable faults (ring orientation, a missing closing vertex, repeated vertices) are
//! fixed and reported as warnings; the rest are errors, and one error stops the whole import.

use std::collections::HashMap;

use crate::error::{Fault, FaultKind, GeoError, Severity};
use crate::feature::{Collection, Feature};
use crate::geom::{Coord, Geometry, Polygon, orient, ring_signed_area2, segments_intersect};
use crate::worker::FailWorker;

/// Faults found in one geometry part, before they are tied to a feature.
struct Found {
    part: Option<usize>,
    kind: FaultKind,
    severity: Severity,
}

fn warn(part: Option<usize>, kind: FaultKind) -> Found {
    Found {
        part,
        kind,
        severity: Severity::Warning,
    }
}

fn error(part: Option<usize>, kind: FaultKind) -> Found {
    Found {
        part,
        kind,
        severity: Severity::Error,
    }
}

/// The first coordinate fault of a list of positions, if any.
fn coord_fault(cs: &[Coord]) -> Option<FaultKind> {
    for c in cs {
        if !c.lon.is_finite() || !c.lat.is_finite() {
            return Some(FaultKind::NotFinite);
        }
        if c.lat.abs() > 90.0 {
            return Some(if c.lon.abs() <= 90.0 {
                FaultKind::SwappedAxes(*c)
            } else {
                FaultKind::OutOfRange(*c)
            });
        }
        if c.lon.abs() > 180.0 {
            return Some(FaultKind::OutOfRange(*c));
        }
    }
    None
}

/// Drops consecutive repeated positions; returns how many were dropped.
fn drop_repeats(cs: &mut Vec<Coord>) -> usize {
    let before = cs.len();
    cs.dedup();
    before - cs.len()
}

/// Fixes and checks one ring in place. `exterior` decides the wanted orientation.
fn fix_ring(
    ring: &mut Vec<Coord>,
    idx: usize,
    exterior: bool,
    part: Option<usize>,
    out: &mut Vec<Found>,
) -> bool {
    let repeats = drop_repeats(ring);
    if ring.len() > 1 && ring.first() != ring.last() {
        if let Some(&first) = ring.first() {
            ring.push(first);
        }
        out.push(warn(part, FaultKind::UnclosedRing { ring: idx }));
    }
    if repeats > 0 {
        out.push(warn(
            part,
            FaultKind::RepeatedVertex {
                ring: idx,
                count: repeats,
            },
        ));
    }
    let distinct = ring.len().saturating_sub(1);
    if distinct < 3 {
        out.push(error(
            part,
            FaultKind::TooShortRing {
                ring: idx,
                vertices: distinct,
            },
        ));
        return false;
    }
    let a2 = ring_signed_area2(ring);
    if a2 != 0.0 && (a2 > 0.0) != exterior {
        ring.reverse();
        out.push(warn(part, FaultKind::WrongOrientation { ring: idx }));
    }
    true
}

/// An edge for the sweep: its ring, its position in the ring and its x extent.
struct Edge {
    ring: usize,
    pos: usize,
    min_x: f64,
    max_x: f64,
}

/// Whether edges `(er, ep)` and `(fr, fp)` (ring, position) are at fault: non-neighbouring edges
/// of one ring that touch, neighbours that fold back on each other, or edges of two rings that
/// cross. Returns the rings and a place.
fn pair_fault(
    rings: &[&Vec<Coord>],
    (er, ep): (usize, usize),
    (fr, fp): (usize, usize),
) -> Option<(usize, usize, Coord)> {
    let (a, b) = (rings[er][ep], rings[er][ep + 1]);
    let (c, d) = (rings[fr][fp], rings[fr][fp + 1]);
    if a.lat.max(b.lat) < c.lat.min(d.lat) || c.lat.max(d.lat) < a.lat.min(b.lat) {
        return None;
    }
    if er == fr {
        let n = rings[er].len() - 1;
        let (lo, hi) = (ep.min(fp), ep.max(fp));
        let adjacent = hi - lo == 1 || (lo == 0 && hi == n - 1);
        if adjacent {
            // Neighbours share one vertex; they are wrong only if they fold back on each other
            // (a spike): collinear, with the far end of one lying on the other.
            let (far_e, far_f) = if b == c { (a, d) } else { (b, c) };
            if orient(a, b, far_f) == 0.0 && (within(a, b, far_f) || within(c, d, far_e)) {
                return Some((er, fr, far_f));
            }
        } else if segments_intersect(a, b, c, d) {
            return Some((er, fr, a));
        }
    } else if crosses(a, b, c, d) {
        return Some((er.min(fr), er.max(fr), a));
    }
    None
}

/// Finds a place where edges of the polygon's rings cross or touch (other than neighbouring edges
/// sharing their vertex). Small polygons: every pair, with a box test first and no allocation;
/// larger ones: sort-and-sweep along longitude.
pub(crate) fn find_self_intersection(poly: &Polygon) -> Option<(usize, usize, Coord)> {
    const SMALL: usize = 64;
    let nedges: usize = poly.rings().map(|r| r.len().saturating_sub(1)).sum();
    let mut ring_buf: [&Vec<Coord>; 4] = [&poly.exterior; 4];
    let rings_vec: Vec<&Vec<Coord>>;
    let rings: &[&Vec<Coord>] = if poly.holes.len() < 4 {
        for (i, h) in poly.holes.iter().enumerate() {
            ring_buf[i + 1] = h;
        }
        &ring_buf[..1 + poly.holes.len()]
    } else {
        rings_vec = poly.rings().collect();
        &rings_vec
    };
    if nedges <= SMALL {
        let mut id = [(0usize, 0usize); SMALL];
        let mut bx = [[0.0f64; 4]; SMALL];
        let mut k = 0;
        for (r, ring) in rings.iter().enumerate() {
            for (pos, w) in ring.windows(2).enumerate() {
                id[k] = (r, pos);
                bx[k] = [
                    w[0].lon.min(w[1].lon),
                    w[0].lon.max(w[1].lon),
                    w[0].lat.min(w[1].lat),
                    w[0].lat.max(w[1].lat),
                ];
                k += 1;
            }
        }
        for i in 0..k {
            let [lo, hi, ylo, yhi] = bx[i];
            for j in i + 1..k {
                let o = &bx[j];
                if o[0] <= hi
                    && lo <= o[1]
                    && o[2] <= yhi
                    && ylo <= o[3]
                    && let Some(f) = pair_fault(rings, id[i], id[j])
                {
                    return Some(f);
                }
            }
        }
        return None;
    }
    let mut edges = Vec::with_capacity(nedges);
    for (r, ring) in rings.iter().enumerate() {
        for (pos, w) in ring.windows(2).enumerate() {
            edges.push(Edge {
                ring: r,
                pos,
                min_x: w[0].lon.min(w[1].lon),
                max_x: w[0].lon.max(w[1].lon),
            });
        }
    }
    edges.sort_unstable_by(|a, b| a.min_x.total_cmp(&b.min_x));
    for (i, e) in edges.iter().enumerate() {
        for f in &edges[i + 1..] {
            if f.min_x > e.max_x {
                break;
            }
            if let Some(x) = pair_fault(rings, (e.ring, e.pos), (f.ring, f.pos)) {
                return Some(x);
            }
        }
    }
    None
}

/// Whether `v` lies in the bounding box of segment p-q (on the segment when collinear).
fn within(p: Coord, q: Coord, v: Coord) -> bool {
    v.lon >= p.lon.min(q.lon)
        && v.lon <= p.lon.max(q.lon)
        && v.lat >= p.lat.min(q.lat)
        && v.lat <= p.lat.max(q.lat)
}

/// Proper crossing (interiors cross at one point), or collinear overlap of positive length.
fn crosses(a: Coord, b: Coord, c: Coord, d: Coord) -> bool {
    let d1 = orient(c, d, a);
    let d2 = orient(c, d, b);
    let d3 = orient(a, b, c);
    let d4 = orient(a, b, d);
    if d1 * d2 < 0.0 && d3 * d4 < 0.0 {
        return true;
    }
    if d1 == 0.0 && d2 == 0.0 {
        // collinear: overlap of positive length?
        let (lo1, hi1, lo2, hi2) = if (b.lon - a.lon).abs() >= (b.lat - a.lat).abs() {
            (
                a.lon.min(b.lon),
                a.lon.max(b.lon),
                c.lon.min(d.lon),
                c.lon.max(d.lon),
            )
        } else {
            (
                a.lat.min(b.lat),
                a.lat.max(b.lat),
                c.lat.min(d.lat),
                c.lat.max(d.lat),
            )
        };
        return lo1.max(lo2) < hi1.min(hi2);
    }
    false
}

fn check_polygon(poly: &mut Polygon, part: Option<usize>, out: &mut Vec<Found>) {
    let mut rings_ok = true;
    if let Some(k) = poly.rings().find_map(|r| coord_fault(r)) {
        out.push(error(part, k));
        return;
    }
    rings_ok &= fix_ring(&mut poly.exterior, 0, true, part, out);
    for (i, h) in poly.holes.iter_mut().enumerate() {
        rings_ok &= fix_ring(h, i + 1, false, part, out);
    }
    if rings_ok && let Some((ring, other_ring, at)) = find_self_intersection(poly) {
        out.push(error(
            part,
            FaultKind::SelfIntersection {
                ring,
                other_ring,
                at,
            },
        ));
    }
}

fn check_line(line: &mut Vec<Coord>, part: Option<usize>, out: &mut Vec<Found>) {
    if let Some(k) = coord_fault(line) {
        out.push(error(part, k));
        return;
    }
    let repeats = drop_repeats(line);
    if repeats > 0 {
        out.push(warn(
            part,
            FaultKind::RepeatedVertex {
                ring: 0,
                count: repeats,
            },
        ));
    }
    if line.len() < 2 {
        out.push(error(
            part,
            FaultKind::TooShortLine {
                positions: line.len(),
            },
        ));
    }
}

/// Fixes what can be fixed in one geometry and reports every fault (without feature context).
fn check_geometry(g: &mut Geometry, out: &mut Vec<Found>) {
    match g {
        Geometry::Point(c) => {
            if let Some(k) = coord_fault(std::slice::from_ref(c)) {
                out.push(error(None, k));
            }
        }
        Geometry::MultiPoint(cs) => {
            if let Some(k) = coord_fault(cs) {
                out.push(error(None, k));
            }
        }
        Geometry::LineString(l) => check_line(l, None, out),
        Geometry::MultiLineString(ls) => {
            for (i, l) in ls.iter_mut().enumerate() {
                check_line(l, Some(i), out);
            }
        }
        Geometry::Polygon(p) => check_polygon(p, None, out),
        Geometry::MultiPolygon(ps) => {
            for (i, p) in ps.iter_mut().enumerate() {
                check_polygon(p, Some(i), out);
            }
        }
    }
}

/// Fixes and checks one feature's geometry; returns its faults (warnings and errors).
pub fn validate_feature(f: &mut Feature) -> Vec<Fault> {
    let mut found = Vec::new();
    match &mut f.geometry {
        Some(g) => check_geometry(g, &mut found),
        None => found.push(error(None, FaultKind::MissingGeometry)),
    }
    let id = f.id.as_ref().map(ToString::to_string);
    found
        .into_iter()
        .map(|x| Fault {
            index: f.index,
            id: id.clone(),
            part: x.part,
            kind: x.kind,
            severity: x.severity,
        })
        .collect()
}

/// Duplicate-id faults over a list of features.
pub fn duplicate_ids(features: &[Feature]) -> Vec<Fault> {
    let mut seen = HashMap::with_capacity(features.len());
    let mut out = Vec::new();
    for f in features {
        if let Some(id) = &f.id
            && let Some(first) = seen.insert(id, f.index)
        {
            out.push(Fault {
                index: f.index,
                id: Some(id.to_string()),
                part: None,
                kind: FaultKind::DuplicateId { first_index: first },
                severity: Severity::Error,
            });
            seen.insert(id, first);
        }
    }
    out
}

/// Validates every feature (in parallel on `threads` threads), fixing what can be fixed. Returns
/// the collection with its warnings, or [`GeoError::Invalid`] listing every error.
pub fn validate(
    source_name: &str,
    features: Vec<Feature>,
    threads: usize,
) -> Result<Collection, GeoError> {
    validate_failing(source_name, features, threads, FailWorker::NONE)
}

/// [`validate`], with a worker made to fail in tests.
fn validate_failing(
    source_name: &str,
    mut features: Vec<Feature>,
    threads: usize,
    fail: FailWorker,
) -> Result<Collection, GeoError> {
    let threads = threads.max(1);
    let chunk = features.len().div_ceil(threads).max(1);
    let faults: Vec<Fault> = if threads == 1 || features.len() < 1024 {
        features.iter_mut().flat_map(validate_feature).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = features
                .chunks_mut(chunk)
                .enumerate()
                .map(|(k, c)| {
                    s.spawn(move || {
                        fail.at(k);
                        c.iter_mut().flat_map(validate_feature).collect::<Vec<_>>()
                    })
                })
                .collect();
            crate::worker::join_all(&format!("{source_name}: validating features"), handles)
                .map(|v| v.concat())
        })?
    };
    finish(source_name, features, faults)
}

/// Completes validation of features already checked one by one (`faults` holds what that found):
/// adds the duplicate-id check, and fails with every error or returns the collection with its
/// warnings.
pub fn finish(
    source_name: &str,
    features: Vec<Feature>,
    mut faults: Vec<Fault>,
) -> Result<Collection, GeoError> {
    faults.extend(duplicate_ids(&features));
    let (errors, warnings): (Vec<Fault>, Vec<Fault>) = faults
        .into_iter()
        .partition(|f| f.severity == Severity::Error);
    if errors.is_empty() {
        Ok(Collection { features, warnings })
    } else {
        let mut errors = errors;
        errors.sort_by_key(|f| f.index);
        Err(GeoError::Invalid {
            source_name: source_name.to_string(),
            faults: errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::ring_is_ccw;

    fn c(lon: f64, lat: f64) -> Coord {
        Coord::new(lon, lat)
    }

    fn feature(g: Geometry) -> Feature {
        Feature::new(0, g)
    }

    #[test]
    fn clockwise_exterior_is_reversed_with_a_warning() {
        let mut f = feature(Geometry::Polygon(Polygon::new(vec![
            c(0., 0.),
            c(0., 1.),
            c(1., 1.),
            c(1., 0.),
            c(0., 0.),
        ])));
        let faults = validate_feature(&mut f);
        assert_eq!(faults.len(), 1);
        assert_eq!(faults[0].severity, Severity::Warning);
        let Some(Geometry::Polygon(p)) = &f.geometry else {
            panic!()
        };
        assert!(ring_is_ccw(&p.exterior));
        // idempotent
        assert!(validate_feature(&mut f).is_empty());
    }

    #[test]
    fn missing_closing_vertex_is_added() {
        let mut f = feature(Geometry::Polygon(Polygon::new(vec![
            c(0., 0.),
            c(1., 0.),
            c(1., 1.),
        ])));
        let faults = validate_feature(&mut f);
        assert_eq!(faults.len(), 1);
        assert!(matches!(
            faults[0].kind,
            FaultKind::UnclosedRing { ring: 0 }
        ));
        let Some(Geometry::Polygon(p)) = &f.geometry else {
            panic!()
        };
        assert_eq!(p.exterior.len(), 4);
    }

    #[test]
    fn too_short_ring_is_an_error() {
        let mut f = feature(Geometry::Polygon(Polygon::new(vec![
            c(0., 0.),
            c(1., 0.),
            c(0., 0.),
        ])));
        let faults = validate_feature(&mut f);
        assert!(faults.iter().any(|x| x.severity == Severity::Error
            && matches!(x.kind, FaultKind::TooShortRing { vertices: 2, .. })));
    }

    #[test]
    fn bow_tie_is_a_self_intersection() {
        let mut f = feature(Geometry::Polygon(Polygon::new(vec![
            c(0., 0.),
            c(1., 1.),
            c(1., 0.),
            c(0., 1.),
            c(0., 0.),
        ])));
        let faults = validate_feature(&mut f);
        assert!(
            faults
                .iter()
                .any(|x| matches!(x.kind, FaultKind::SelfIntersection { .. })),
            "{faults:?}"
        );
    }

    #[test]
    fn large_rings_use_the_sweep_and_agree() {
        let mut ring: Vec<Coord> = (0..100)
            .map(|i| {
                let t = f64::from(i) / 100.0 * std::f64::consts::TAU;
                c(t.cos(), t.sin())
            })
            .collect();
        ring.push(ring[0]);
        let ok = Polygon::new(ring.clone());
        assert_eq!(find_self_intersection(&ok), None);
        ring.swap(10, 60);
        let bad = Polygon::new(ring);
        assert!(find_self_intersection(&bad).is_some());
        // The small-polygon path agrees on the same shape with fewer vertices.
        let mut small: Vec<Coord> = (0..20)
            .map(|i| {
                let t = f64::from(i) / 20.0 * std::f64::consts::TAU;
                c(t.cos(), t.sin())
            })
            .collect();
        small.push(small[0]);
        assert_eq!(find_self_intersection(&Polygon::new(small.clone())), None);
        small.swap(2, 12);
        assert!(find_self_intersection(&Polygon::new(small)).is_some());
    }

    #[test]
    fn spike_is_a_self_intersection() {
        let mut f = feature(Geometry::Polygon(Polygon::new(vec![
            c(0., 0.),
            c(2., 0.),
            c(1., 0.),
            c(1., 1.),
            c(0., 0.),
        ])));
        let faults = validate_feature(&mut f);
        assert!(
            faults
                .iter()
                .any(|x| matches!(x.kind, FaultKind::SelfIntersection { .. })),
            "{faults:?}"
        );
    }

    #[test]
    fn swapped_axes_and_out_of_range() {
        let mut f = feature(Geometry::Point(c(12.0, 104.9)));
        let faults = validate_feature(&mut f);
        assert!(matches!(faults[0].kind, FaultKind::SwappedAxes(_)));
        let mut f = feature(Geometry::Point(c(190.0, 10.0)));
        let faults = validate_feature(&mut f);
        assert!(matches!(faults[0].kind, FaultKind::OutOfRange(_)));
    }

    #[test]
    fn duplicate_ids_name_both() {
        use crate::feature::FeatureId;
        let mut a = feature(Geometry::Point(c(1., 1.)));
        a.id = Some(FeatureId::Int(5));
        let mut b = a.clone();
        b.index = 1;
        let faults = duplicate_ids(&[a, b]);
        assert_eq!(faults.len(), 1);
        assert_eq!(faults[0].index, 1);
        assert!(matches!(
            faults[0].kind,
            FaultKind::DuplicateId { first_index: 0 }
        ));
    }

    #[test]
    fn hole_orientation_is_clockwise() {
        let mut f = feature(Geometry::Polygon(Polygon {
            exterior: vec![c(0., 0.), c(4., 0.), c(4., 4.), c(0., 4.), c(0., 0.)],
            holes: vec![vec![c(1., 1.), c(2., 1.), c(2., 2.), c(1., 2.), c(1., 1.)]],
        }));
        let faults = validate_feature(&mut f);
        assert_eq!(faults.len(), 1, "{faults:?}");
        assert!(matches!(
            faults[0].kind,
            FaultKind::WrongOrientation { ring: 1 }
        ));
    }

    #[test]
    fn valid_collection_passes_and_invalid_fails_whole() {
        let good = feature(Geometry::Point(c(1., 1.)));
        let mut bad = feature(Geometry::Point(c(1., 100.)));
        bad.index = 1;
        assert!(validate("t", vec![good.clone()], 1).is_ok());
        let err = validate("t", vec![good, bad], 2).unwrap_err();
        assert!(err.to_string().contains("feature #1"), "{err}");
    }

    /// A failed validation worker fails validation: its features are not passed unchecked.
    #[test]
    fn a_failed_validation_worker_fails_validation() {
        let fs: Vec<Feature> = (0..4096)
            .map(|i| Feature::new(i, Geometry::Point(Coord::new(1.0, 2.0))))
            .collect();
        assert!(validate("f", fs.clone(), 4).is_ok());
        let e = validate_failing("f", fs, 4, FailWorker(Some(1))).unwrap_err();
        assert!(matches!(e, GeoError::Worker { worker: 1, .. }), "{e:?}");
        assert!(e.to_string().contains("validating features"), "{e}");
    }
}
