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

/// Whether a closed ring with twice-signed-area `a2` encloses no area: exactly zero, or so small
/// against the ring's extent that only rounding made it non-zero (collinear vertices).
fn is_zero_area(ring: &[Coord], a2: f64) -> bool {
    let Some(b) = crate::geom::Bbox::of_coords(ring) else {
        return true;
    };
    let span = (b.max_lon - b.min_lon) + (b.max_lat - b.min_lat);
    a2 == 0.0 || a2.abs() <= 1e-12 * span * span
}

/// Holes must lie inside the exterior ring and outside each other (their edges do not cross:
/// that was checked before). Returns the first fault.
fn hole_fault(poly: &Polygon) -> Option<FaultKind> {
    use crate::geom::{Bbox, point_in_ring};
    let strictly_inside = |v: Coord, ring: &[Coord]| point_in_ring(v, ring) && !on_ring(v, ring);
    for (i, h) in poly.holes.iter().enumerate() {
        // Every vertex inside the exterior or on it, and at least one strictly inside (a hole
        // equal to its exterior would leave nothing).
        if let Some(&at) = h.iter().find(|&&v| !point_in_ring(v, &poly.exterior)) {
            return Some(FaultKind::HoleOutsideShell { ring: i + 1, at });
        }
        if !h.iter().any(|&v| strictly_inside(v, &poly.exterior))
            && let Some(&at) = h.first()
        {
            // All on the boundary: inside only if some edge midpoint is inside.
            let mid_inside = h.windows(2).any(|w| {
                let m = Coord::new((w[0].lon + w[1].lon) / 2.0, (w[0].lat + w[1].lat) / 2.0);
                strictly_inside(m, &poly.exterior)
            });
            if !mid_inside {
                return Some(FaultKind::HoleOutsideShell { ring: i + 1, at });
            }
        }
    }
    let boxes: Vec<Option<Bbox>> = poly.holes.iter().map(|h| Bbox::of_coords(h)).collect();
    let mut found = None;
    meeting_pairs(&boxes, |i, j| {
        let (h, g) = (&poly.holes[i], &poly.holes[j]);
        let (inner, outer) = if h.iter().any(|&v| strictly_inside(v, g)) {
            (i, j)
        } else if g.iter().any(|&v| strictly_inside(v, h)) {
            (j, i)
        } else {
            return false;
        };
        found = Some(FaultKind::HoleInsideHole {
            ring: inner + 1,
            other_ring: outer + 1,
        });
        true
    });
    found
}

/// Calls `f` on each pair (i, j) of boxes that meet, sweeping along longitude so that many
/// disjoint boxes cost a sort, not every pair; stops when `f` returns true.
fn meeting_pairs(
    boxes: &[Option<crate::geom::Bbox>],
    mut f: impl FnMut(usize, usize) -> bool,
) -> bool {
    let mut order: Vec<(usize, crate::geom::Bbox)> = boxes
        .iter()
        .enumerate()
        .filter_map(|(i, b)| b.map(|b| (i, b)))
        .collect();
    order.sort_unstable_by(|a, b| a.1.min_lon.total_cmp(&b.1.min_lon));
    for (k, (i, a)) in order.iter().enumerate() {
        for (j, b) in &order[k + 1..] {
            if b.min_lon > a.max_lon {
                break;
            }
            if a.intersects(b) && f(*i, *j) {
                return true;
            }
        }
    }
    false
}

/// Whether `p` lies on one of the ring's edges.
fn on_ring(p: Coord, ring: &[Coord]) -> bool {
    ring.windows(2)
        .any(|w| orient(w[0], w[1], p) == 0.0 && within(w[0], w[1], p))
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
    if !rings_ok {
        return;
    }
    if let Some((ring, other_ring, at)) = find_self_intersection(poly) {
        out.push(error(
            part,
            FaultKind::SelfIntersection {
                ring,
                other_ring,
                at,
            },
        ));
    } else if let Some(ring) = poly
        .rings()
        .position(|r| is_zero_area(r, ring_signed_area2(r)))
    {
        out.push(error(part, FaultKind::ZeroArea { ring }));
    } else if let Some(k) = hole_fault(poly) {
        out.push(error(part, k));
    }
}

/// What to do with a polygon that may cross the antimeridian.
enum Crossing {
    /// It does not cross (or has a coordinate fault, reported later): check it as it is.
    No,
    /// It crossed and was split into these parts (reported).
    Split(Vec<Polygon>),
    /// It cannot be split (reported as an error).
    Refused,
}

fn antimeridian_polygon(poly: &Polygon, part: Option<usize>, out: &mut Vec<Found>) -> Crossing {
    if poly.rings().any(|r| coord_fault(r).is_some())
        || !poly.rings().any(|r| crate::antimeridian::crosses(r))
    {
        return Crossing::No;
    }
    let mut closed = poly.clone();
    for r in std::iter::once(&mut closed.exterior).chain(closed.holes.iter_mut()) {
        r.dedup();
        if r.len() > 1
            && r.first() != r.last()
            && let Some(&first) = r.first()
        {
            r.push(first);
        }
    }
    match crate::antimeridian::split_polygon(&closed) {
        Ok(parts) if !parts.is_empty() => {
            out.push(warn(
                part,
                FaultKind::AntimeridianSplit { parts: parts.len() },
            ));
            Crossing::Split(parts)
        }
        Ok(_) => {
            out.push(error(part, FaultKind::ZeroArea { ring: 0 }));
            Crossing::Refused
        }
        Err(crate::antimeridian::SplitError::AroundPole { ring }) => {
            out.push(error(part, FaultKind::AroundPole { ring }));
            Crossing::Refused
        }
    }
}

/// Checks the parts of a multipolygon and merges parts that overlap (so that no land is counted
/// twice), reporting the merge.
fn check_parts(ps: &mut Vec<Polygon>, out: &mut Vec<Found>) {
    let mut parts = Vec::with_capacity(ps.len());
    let mut refused = false;
    for (i, p) in std::mem::take(ps).into_iter().enumerate() {
        match antimeridian_polygon(&p, Some(i), out) {
            Crossing::No => parts.push(p),
            Crossing::Split(more) => parts.extend(more),
            Crossing::Refused => {
                refused = true;
                parts.push(p);
            }
        }
    }
    *ps = parts;
    if refused {
        return;
    }
    let errors_before = out.iter().filter(|f| f.severity == Severity::Error).count();
    for (i, p) in ps.iter_mut().enumerate() {
        check_polygon(p, Some(i), out);
    }
    let errors_after = out.iter().filter(|f| f.severity == Severity::Error).count();
    if errors_after == errors_before {
        merge_overlaps(ps, out);
    }
}

/// Replaces overlapping parts by their union. Only parts whose boxes meet are candidates; they
/// overlap when the union's area is less than the sum of the parts'.
fn merge_overlaps(ps: &mut Vec<Polygon>, out: &mut Vec<Found>) {
    use crate::geom::Bbox;
    let boxes: Vec<Option<Bbox>> = ps.iter().map(|p| Bbox::of_coords(&p.exterior)).collect();
    if !meeting_pairs(&boxes, |_, _| true) {
        return;
    }
    let sum = crate::ops::area_m2(ps);
    let mut merged: Vec<Polygon> = Vec::new();
    for p in ps.iter() {
        merged = if merged.is_empty() {
            vec![p.clone()]
        } else {
            crate::ops::union(&merged, std::slice::from_ref(p))
        };
    }
    // The overlay snaps to a fine grid: keep every position in range.
    for p in &mut merged {
        for r in std::iter::once(&mut p.exterior).chain(p.holes.iter_mut()) {
            for c in r.iter_mut() {
                c.lon = c.lon.clamp(-180.0, 180.0);
                c.lat = c.lat.clamp(-90.0, 90.0);
            }
        }
    }
    let union = crate::ops::area_m2(&merged);
    // Below a square metre or a part in a million, the difference is the overlay's rounding.
    if sum - union > 1.0 + 1e-6 * sum && !merged.is_empty() {
        out.push(warn(
            None,
            FaultKind::OverlappingParts {
                before: ps.len(),
                after: merged.len(),
            },
        ));
        *ps = merged;
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

/// Fixes what can be fixed in one geometry and reports every fault (without feature context). A
/// polygon or line that crosses the antimeridian becomes a multi-geometry of its parts.
fn check_geometry(g: &mut Geometry, out: &mut Vec<Found>) {
    let empty = |out: &mut Vec<Found>, g: &Geometry| {
        out.push(error(
            None,
            FaultKind::EmptyGeometry(g.type_name().to_string()),
        ));
    };
    match g {
        Geometry::Point(c) => {
            if let Some(k) = coord_fault(std::slice::from_ref(c)) {
                out.push(error(None, k));
            }
        }
        Geometry::MultiPoint(cs) => {
            if cs.is_empty() {
                empty(out, g);
            } else if let Some(k) = coord_fault(cs) {
                out.push(error(None, k));
            }
        }
        Geometry::LineString(l) => {
            if coord_fault(l).is_none() && crate::antimeridian::crosses(l) {
                let pieces = crate::antimeridian::split_line(l);
                out.push(warn(
                    None,
                    FaultKind::AntimeridianSplit {
                        parts: pieces.len(),
                    },
                ));
                *g = Geometry::MultiLineString(pieces);
                check_geometry(g, out);
            } else {
                check_line(l, None, out);
            }
        }
        Geometry::MultiLineString(ls) => {
            if ls.is_empty() {
                empty(out, g);
                return;
            }
            let mut lines = Vec::with_capacity(ls.len());
            for (i, l) in std::mem::take(ls).into_iter().enumerate() {
                if coord_fault(&l).is_none() && crate::antimeridian::crosses(&l) {
                    let pieces = crate::antimeridian::split_line(&l);
                    out.push(warn(
                        Some(i),
                        FaultKind::AntimeridianSplit {
                            parts: pieces.len(),
                        },
                    ));
                    lines.extend(pieces);
                } else {
                    lines.push(l);
                }
            }
            *ls = lines;
            for (i, l) in ls.iter_mut().enumerate() {
                check_line(l, Some(i), out);
            }
        }
        Geometry::Polygon(p) => match antimeridian_polygon(p, None, out) {
            Crossing::No => check_polygon(p, None, out),
            Crossing::Split(mut parts) => {
                if parts.len() == 1 {
                    let mut one = parts.remove(0);
                    check_polygon(&mut one, None, out);
                    *p = one;
                } else {
                    let errors = out.iter().filter(|f| f.severity == Severity::Error).count();
                    for (i, q) in parts.iter_mut().enumerate() {
                        check_polygon(q, Some(i), out);
                    }
                    if out.iter().filter(|f| f.severity == Severity::Error).count() == errors {
                        merge_overlaps(&mut parts, out);
                    }
                    *g = Geometry::MultiPolygon(parts);
                }
            }
            Crossing::Refused => {}
        },
        Geometry::MultiPolygon(ps) => {
            if ps.is_empty() {
                empty(out, g);
            } else {
                check_parts(ps, out);
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

    fn kinds(faults: &[Fault]) -> Vec<&FaultKind> {
        faults.iter().map(|x| &x.kind).collect()
    }

    fn square(x: f64, y: f64, d: f64) -> Vec<Coord> {
        vec![c(x, y), c(x + d, y), c(x + d, y + d), c(x, y + d), c(x, y)]
    }

    #[test]
    fn antimeridian_polygon_is_split_not_inverted() {
        let mut f = feature(Geometry::Polygon(Polygon::new(vec![
            c(179.9, -16.0),
            c(-179.9, -16.0),
            c(-179.9, -16.1),
            c(179.9, -16.1),
        ])));
        let faults = validate_feature(&mut f);
        assert!(
            faults.iter().all(|x| x.severity == Severity::Warning),
            "{faults:?}"
        );
        assert!(kinds(&faults).contains(&&FaultKind::AntimeridianSplit { parts: 2 }));
        let Some(Geometry::MultiPolygon(ps)) = &f.geometry else {
            panic!("{:?}", f.geometry)
        };
        let inside = |p: Coord| ps.iter().any(|x| crate::geom::point_in_polygon(p, x));
        assert!(inside(c(179.95, -16.05)) && inside(c(-179.95, -16.05)));
        assert!(!inside(c(0.0, -16.05)));
        // Idempotent: the parts are valid as they are.
        let again = validate_feature(&mut f);
        assert!(again.is_empty(), "{again:?}");
    }

    #[test]
    fn ring_around_a_pole_is_refused() {
        let mut f = feature(Geometry::Polygon(Polygon::new(vec![
            c(0.0, 85.0),
            c(120.0, 85.0),
            c(-120.0, 85.0),
            c(0.0, 85.0),
        ])));
        let faults = validate_feature(&mut f);
        assert_eq!(kinds(&faults), vec![&FaultKind::AroundPole { ring: 0 }]);
    }

    #[test]
    fn antimeridian_line_is_split() {
        let mut f = feature(Geometry::LineString(vec![c(179.5, 0.0), c(-179.5, 0.0)]));
        let faults = validate_feature(&mut f);
        assert_eq!(
            kinds(&faults),
            vec![&FaultKind::AntimeridianSplit { parts: 2 }]
        );
        assert!(matches!(&f.geometry, Some(Geometry::MultiLineString(ls)) if ls.len() == 2));
    }

    #[test]
    fn hole_outside_its_shell_is_refused() {
        let mut f = feature(Geometry::Polygon(Polygon {
            exterior: square(0.0, 0.0, 0.001),
            holes: vec![square(0.01, 0.01, 0.0001)],
        }));
        let faults = validate_feature(&mut f);
        assert!(
            faults
                .iter()
                .any(|x| matches!(x.kind, FaultKind::HoleOutsideShell { ring: 1, .. })),
            "{faults:?}"
        );
        // The same hole inside is fine.
        let mut f = feature(Geometry::Polygon(Polygon {
            exterior: square(0.0, 0.0, 0.001),
            holes: vec![square(0.0004, 0.0004, 0.0001)],
        }));
        let faults = validate_feature(&mut f);
        assert!(
            faults.iter().all(|x| x.severity == Severity::Warning),
            "{faults:?}"
        );
    }

    #[test]
    fn hole_inside_a_hole_is_refused() {
        let mut f = feature(Geometry::Polygon(Polygon {
            exterior: square(0.0, 0.0, 1.0),
            holes: vec![square(0.1, 0.1, 0.5), square(0.2, 0.2, 0.1)],
        }));
        let faults = validate_feature(&mut f);
        assert!(
            faults
                .iter()
                .any(|x| matches!(x.kind, FaultKind::HoleInsideHole { .. })),
            "{faults:?}"
        );
    }

    #[test]
    fn hole_inside_a_later_or_earlier_hole_is_refused() {
        for holes in [
            vec![square(0.2, 0.2, 0.1), square(0.1, 0.1, 0.5)],
            vec![square(0.1, 0.1, 0.5), square(0.2, 0.2, 0.1)],
        ] {
            let mut f = feature(Geometry::Polygon(Polygon {
                exterior: square(0.0, 0.0, 1.0),
                holes,
            }));
            let faults = validate_feature(&mut f);
            assert!(
                faults
                    .iter()
                    .any(|x| matches!(x.kind, FaultKind::HoleInsideHole { .. })
                        && x.to_string().contains("inside another hole")),
                "{faults:?}"
            );
        }
        // Many disjoint holes and parts go through the sweep without a fault.
        let holes: Vec<_> = (0..2000)
            .map(|i| square(0.001 + 0.0004 * f64::from(i), 0.5, 0.0002))
            .collect();
        let mut f = feature(Geometry::Polygon(Polygon {
            exterior: square(0.0, 0.0, 1.0),
            holes,
        }));
        assert!(
            validate_feature(&mut f)
                .iter()
                .all(|x| x.severity == Severity::Warning)
        );
    }

    #[test]
    fn collinear_ring_is_refused_even_with_rounding() {
        for ring in [
            vec![c(0.0, 0.0), c(0.1, 0.1), c(0.3, 0.3), c(0.0, 0.0)],
            vec![
                c(104.1, 11.3),
                c(104.2, 11.4),
                c(104.3, 11.5),
                c(104.1, 11.3),
            ],
        ] {
            let mut f = feature(Geometry::Polygon(Polygon::new(ring)));
            let faults = validate_feature(&mut f);
            assert!(
                faults.iter().any(|x| x.severity == Severity::Error),
                "{faults:?}"
            );
        }
    }

    #[test]
    fn overlapping_parts_are_merged_touching_parts_kept() {
        let mut f = feature(Geometry::MultiPolygon(vec![
            Polygon::new(square(0.0, 0.0, 0.01)),
            Polygon::new(square(0.005, 0.0, 0.01)),
        ]));
        let faults = validate_feature(&mut f);
        assert_eq!(
            kinds(&faults),
            vec![&FaultKind::OverlappingParts {
                before: 2,
                after: 1
            }]
        );
        let Some(Geometry::MultiPolygon(ps)) = &f.geometry else {
            panic!()
        };
        let merged = crate::ops::area_m2(ps);
        let one = crate::ops::area_m2(&[Polygon::new(square(0.0, 0.0, 0.01))]);
        assert!((merged / one - 1.5).abs() < 1e-3, "{merged} vs {one}");
        let mut f = feature(Geometry::MultiPolygon(vec![
            Polygon::new(square(0.0, 0.0, 0.01)),
            Polygon::new(square(0.01, 0.0, 0.01)),
        ]));
        assert!(validate_feature(&mut f).is_empty());
        // A part repeated exactly.
        let mut f = feature(Geometry::MultiPolygon(vec![
            Polygon::new(square(0.0, 0.0, 0.01)),
            Polygon::new(square(0.0, 0.0, 0.01)),
        ]));
        let faults = validate_feature(&mut f);
        assert!(
            matches!(faults[0].kind, FaultKind::OverlappingParts { .. }),
            "{faults:?}"
        );
    }

    #[test]
    fn empty_geometries_are_refused() {
        for g in [
            Geometry::MultiPolygon(vec![]),
            Geometry::MultiPoint(vec![]),
            Geometry::MultiLineString(vec![]),
        ] {
            let mut f = feature(g);
            let faults = validate_feature(&mut f);
            assert!(
                matches!(faults[0].kind, FaultKind::EmptyGeometry(_)),
                "{faults:?}"
            );
        }
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
