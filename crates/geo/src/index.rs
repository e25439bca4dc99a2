//! The hazard index: every hazard that counts (see [`crate::counts_as_hazard`]) in a packed
//! R-tree, with the queries of the safety check.
//!
//! Storage is flat: one array of vertices, one of ring offsets, one entry per polygon (a
//! multipolygon gives one entry per part) or circle (a reported point with a radius). Entries are
//! sorted along a Hilbert curve, and their vertices stored in that order, so hazards that are near
//! in space are near in memory; batch queries sort their points the same way.
//!
//! A query for a point p within D metres:
//! 1. the tree gives the entries whose box meets p ± margins, the margins from
//!    [`degree_margins`] (safe at every latitude, wrapped at the antimeridian);
//! 2. each entry's box is measured in the local frame at p and dropped if it is too far;
//! 3. point-in-polygon (even-odd over all rings, edges straight in lon/lat): inside is 0 m;
//! 4. otherwise the nearest boundary point in the local frame. The frame's error bound decides:
//!    when the frame distance could be on either side of D, or the bound exceeds 1 cm, the
//!    distance is recomputed exactly (Karney) to the nearest point found.
//!
//! Query points anywhere are fine, including next to the antimeridian and the poles (hazards on
//! the other side of ±180° are found). A single hazard polygon, route or site must not itself
//! cross the antimeridian: split it there, as RFC 7946 (section 3.1.9) asks.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::GeoError;
use crate::feature::{HazardRecord, HazardShape};
use crate::geodesy::{
    degree_margins, distance_to_geometry, geodesic_distance, nearest_on_segment, wrap_dlon,
};
use crate::geom::{Coord, Geometry, Polygon, point_in_polygon, segments_intersect};
use crate::rtree::{PackedRTree, Rect, grid16, hilbert16};
use crate::status::counts_as_hazard;
use crate::worker::{FailWorker, join_all};

/// What the index keeps about a hazard besides its shape.
#[derive(Clone, Debug, PartialEq)]
pub struct HazardInfo {
    /// The hazard's id.
    pub id: i64,
    /// Its status.
    pub status: String,
    /// SHA or CHA when known.
    pub hazard_type: Option<String>,
    /// "Polygon", "MultiPolygon" or "Point" (with a radius).
    pub geometry_type: &'static str,
}

/// A hazard found by a query, with its geodesic distance in metres (0 inside).
#[derive(Clone, Debug, PartialEq)]
pub struct Hit<'a> {
    /// The hazard.
    pub hazard: &'a HazardInfo,
    /// Geodesic distance in metres.
    pub distance_m: f64,
}

/// A point of a batch: its id and position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchPoint {
    /// The point's id.
    pub id: i64,
    /// Where it is.
    pub coord: Coord,
}

/// A flagged point of a batch: the point, the nearest hazard (or, in [`BatchMode::Any`], the first
/// found) and the distance in metres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flag {
    /// The point's id.
    pub point_id: i64,
    /// The hazard's id.
    pub hazard_id: i64,
    /// Geodesic distance in metres (0 inside).
    pub distance_m: f64,
}

/// What a batch query reports per flagged point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchMode {
    /// The nearest hazard and its distance; ties go to the smallest hazard id.
    Nearest,
    /// Any hazard within the distance (stops at the first one found): faster when only the
    /// flagged ids matter.
    Any,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    hazard: u32,
    hazard_id: i64,
    /// Rings ring_lo..ring_hi, or for a circle `circle`.
    ring_lo: u32,
    ring_hi: u32,
    circle: u32,
}

const NO_CIRCLE: u32 = u32::MAX;
const EARTH_R: f64 = 6_356_000.0;

/// Upper bound (metres) of the local frame's error for a distance `d` at a latitude whose tangent
/// is `tan_lat`: the parallel's scale changes by tan φ · Δφ across the distance, plus curvature.
#[inline]
fn frame_err(d: f64, tan_lat: f64) -> f64 {
    d * d / EARTH_R * (2.0 * tan_lat + 1.0) + 1e-9 * d
}

/// Per-query constants.
#[derive(Clone, Copy)]
struct Probe {
    p: Coord,
    kx: f64,
    ky: f64,
    tan_lat: f64,
    within: f64,
    dlon: f64,
    dlat: f64,
}

impl Probe {
    fn new(p: Coord, within: f64) -> Self {
        let (s, c) = p.lat.to_radians().sin_cos();
        let w2 = 1.0 - crate::geodesy::WGS84_E2 * s * s;
        let w = w2.sqrt();
        let n = crate::geodesy::WGS84_A / w;
        let m = crate::geodesy::WGS84_A * (1.0 - crate::geodesy::WGS84_E2) / (w2 * w);
        let k = std::f64::consts::PI / 180.0;
        let (kx, ky) = (n * c * k, m * k);
        let tan_lat = if c > 1e-6 { (s / c).abs() } else { 1e6 };
        let within = within.max(0.0);
        let limit = within + 2.0 * frame_err(within, tan_lat) + 1e-3;
        // Margins as in `degree_margins`, bounded without more trigonometry: over the latitude band
        // |φ| + dφ the parallel's radius is at least N(φ)·(cos φ·(1 − dφ²/2) − |sin φ|·dφ).
        let m_min = crate::geodesy::WGS84_A * (1.0 - crate::geodesy::WGS84_E2);
        let dphi = limit / m_min * (1.0 + 1e-9);
        let dlat = dphi.to_degrees() + 1e-12;
        let cos_far = c * (1.0 - dphi * dphi / 2.0) - s.abs() * dphi;
        let dlon = if cos_far > 1e-9 && p.lat.abs() + dlat < 89.999_999 {
            ((limit / (n * cos_far)).to_degrees() * (1.0 + 1e-9) + 1e-12).min(360.0)
        } else {
            360.0
        };
        Self {
            p,
            kx,
            ky,
            tan_lat,
            within,
            dlon,
            dlat,
        }
    }

    /// The probe's own box when one box without a shift covers it.
    fn simple_box(&self) -> Option<Rect> {
        let (lo, hi) = (self.p.lon - self.dlon, self.p.lon + self.dlon);
        (self.dlon < 180.0 && lo >= -180.0 && hi <= 180.0).then_some([
            lo,
            self.p.lat - self.dlat,
            hi,
            self.p.lat + self.dlat,
        ])
    }

    /// The boxes to search (more than one across the antimeridian), with the longitude shift that
    /// brings entries found in each next to the point.
    fn boxes(&self) -> ([(Rect, f64); 3], usize) {
        let (lo, hi) = (self.p.lon - self.dlon, self.p.lon + self.dlon);
        let (ylo, yhi) = (self.p.lat - self.dlat, self.p.lat + self.dlat);
        let none = ([0.0; 4], 0.0);
        if self.dlon >= 180.0 {
            return (
                [
                    ([f64::NEG_INFINITY, ylo, f64::INFINITY, yhi], f64::NAN),
                    none,
                    none,
                ],
                1,
            );
        }
        let mut out = [([lo, ylo, hi, yhi], 0.0), none, none];
        let mut n = 1;
        if lo < -180.0 {
            out[n] = ([lo + 360.0, ylo, 180.0, yhi], 360.0);
            n += 1;
        }
        if hi > 180.0 {
            out[n] = ([-180.0, ylo, hi - 360.0, yhi], -360.0);
            n += 1;
        }
        (out, n)
    }
}

/// The spatial index of hazards.
#[derive(Clone, Debug, Default)]
pub struct HazardIndex {
    hazards: Vec<HazardInfo>,
    entries: Vec<Entry>,
    circles: Vec<(Coord, f64)>,
    ring_start: Vec<u32>,
    verts: Vec<[f64; 2]>,
    tree: PackedRTree,
    excluded: usize,
}

fn check_coords(id: i64, cs: &[Coord]) -> Result<(), GeoError> {
    for c in cs {
        if !(c.lon.is_finite() && c.lat.is_finite() && c.lat.abs() <= 90.0 && c.lon.abs() <= 180.0)
        {
            return Err(GeoError::Hazard {
                id,
                message: format!("coordinate ({}, {}) is out of range", c.lon, c.lat),
            });
        }
    }
    Ok(())
}

/// One polygon or circle before sorting.
struct Part {
    hazard: u32,
    hazard_id: i64,
    rect: Rect,
    key: u64,
    shape: PartShape,
}

enum PartShape {
    Poly(Polygon),
    Circle(Coord, f64),
}

fn rect_of(cs: &[Coord]) -> Rect {
    cs.iter().fold(
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        |r, c| {
            [
                r[0].min(c.lon),
                r[1].min(c.lat),
                r[2].max(c.lon),
                r[3].max(c.lat),
            ]
        },
    )
}

impl HazardIndex {
    /// Builds the index from hazard records, keeping those whose status counts as a hazard
    /// ([`counts_as_hazard`]).
    pub fn build(records: impl IntoIterator<Item = HazardRecord>) -> Result<Self, GeoError> {
        Self::build_with(records, counts_as_hazard)
    }

    /// Builds the index, keeping the records for which `counts(status)` is true.
    pub fn build_with(
        records: impl IntoIterator<Item = HazardRecord>,
        counts: impl Fn(&str) -> bool,
    ) -> Result<Self, GeoError> {
        Self::build_failing(records, counts, FailWorker::NONE)
    }

    /// [`HazardIndex::build_with`], with a worker made to fail in tests.
    fn build_failing(
        records: impl IntoIterator<Item = HazardRecord>,
        counts: impl Fn(&str) -> bool,
        fail: FailWorker,
    ) -> Result<Self, GeoError> {
        let mut hazards = Vec::new();
        let mut parts: Vec<Part> = Vec::new();
        let mut excluded = 0;
        for r in records {
            if !counts(&r.status) {
                excluded += 1;
                continue;
            }
            let h = u32::try_from(hazards.len()).map_err(|_| GeoError::Hazard {
                id: r.id,
                message: "too many hazards for one index".into(),
            })?;
            let geometry_type = match &r.shape {
                HazardShape::Polygon(_) => "Polygon",
                HazardShape::MultiPolygon(_) => "MultiPolygon",
                HazardShape::Circle { .. } => "Point",
            };
            let polys = match r.shape {
                HazardShape::Polygon(p) => vec![p],
                HazardShape::MultiPolygon(ps) => ps,
                HazardShape::Circle { center, radius_m } => {
                    check_coords(r.id, &[center])?;
                    if !(radius_m.is_finite() && radius_m >= 0.0) {
                        return Err(GeoError::Hazard {
                            id: r.id,
                            message: format!("radius {radius_m} is not a non-negative number"),
                        });
                    }
                    let (dlon, dlat) = degree_margins(center.lat, radius_m);
                    let dlon = dlon.min(180.0);
                    parts.push(Part {
                        hazard: h,
                        hazard_id: r.id,
                        rect: [
                            center.lon - dlon,
                            center.lat - dlat,
                            center.lon + dlon,
                            center.lat + dlat,
                        ],
                        key: 0,
                        shape: PartShape::Circle(center, radius_m),
                    });
                    Vec::new()
                }
            };
            for p in polys {
                // Checked and measured below, in parallel.
                parts.push(Part {
                    hazard: h,
                    hazard_id: r.id,
                    rect: [0.0; 4],
                    key: 0,
                    shape: PartShape::Poly(p),
                });
            }
            hazards.push(HazardInfo {
                id: r.id,
                status: r.status,
                hazard_type: r.hazard_type,
                geometry_type,
            });
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, 16);
        // Check every polygon's rings and measure its box, in parallel.
        let chunk = parts.len().div_ceil(threads).max(1);
        let errors: Vec<Option<GeoError>> = std::thread::scope(|s| {
            let hs: Vec<_> = parts
                .chunks_mut(chunk)
                .enumerate()
                .map(|(k, c)| {
                    s.spawn(move || {
                        fail.at(k);
                        for part in c.iter_mut() {
                            if let PartShape::Poly(p) = &part.shape {
                                if p.exterior.len() < 4 || p.holes.iter().any(|h| h.len() < 4) {
                                    return Some(GeoError::Hazard {
                                        id: part.hazard_id,
                                        message: "a polygon ring has fewer than 4 positions".into(),
                                    });
                                }
                                for ring in p.rings() {
                                    if let Err(e) = check_coords(part.hazard_id, ring) {
                                        return Some(e);
                                    }
                                }
                                part.rect = rect_of(&p.exterior);
                            }
                        }
                        None
                    })
                })
                .collect();
            join_all("building the hazard index", hs)
        })?;
        if let Some(e) = errors.into_iter().flatten().next() {
            return Err(e);
        }
        // Hilbert order over the extent of all parts.
        let ext = parts.iter().fold(
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            |a, p| {
                [
                    a[0].min(p.rect[0]),
                    a[1].min(p.rect[1]),
                    a[2].max(p.rect[2]),
                    a[3].max(p.rect[3]),
                ]
            },
        );
        for p in &mut parts {
            let cx = (p.rect[0] + p.rect[2]) / 2.0;
            let cy = (p.rect[1] + p.rect[3]) / 2.0;
            p.key = hilbert16(grid16(cx, ext[0], ext[2]), grid16(cy, ext[1], ext[3]));
        }
        parts.sort_unstable_by_key(|p| p.key);
        let counts: Vec<(usize, usize)> = parts
            .iter()
            .map(|p| match &p.shape {
                PartShape::Poly(poly) => (poly.vertex_count(), 1 + poly.holes.len()),
                PartShape::Circle(..) => (0, 0),
            })
            .collect();
        let nverts: usize = counts.iter().map(|c| c.0).sum();
        if nverts >= u32::MAX as usize {
            return Err(GeoError::Hazard {
                id: parts.first().map_or(0, |p| p.hazard_id),
                message: "too many vertices for one index".into(),
            });
        }
        let rects: Vec<Rect> = parts.iter().map(|p| p.rect).collect();
        // Cut the sorted parts into runs of about equal vertex counts; each thread copies its
        // run into its own slice of the vertex array (and frees the source polygons).
        let mut runs: Vec<Vec<Part>> = Vec::new();
        let mut bounds = vec![(0usize, 0usize, 0usize)]; // (part, vertex, ring) where runs start
        {
            let per = nverts.div_ceil(threads).max(1);
            let (mut v, mut r, mut acc) = (0usize, 0usize, 0usize);
            for (i, c) in counts.iter().enumerate() {
                if acc >= per {
                    bounds.push((i, v, r));
                    acc = 0;
                }
                v += c.0;
                r += c.1;
                acc += c.0;
            }
            let mut rest = parts;
            for b in bounds[1..].iter().rev() {
                runs.push(rest.split_off(b.0));
            }
            runs.push(rest);
            runs.reverse();
        }
        let mut verts = vec![[0.0f64; 2]; nverts];
        let mut slices: Vec<&mut [[f64; 2]]> = Vec::with_capacity(runs.len());
        {
            let mut rest: &mut [[f64; 2]] = &mut verts;
            for (k, run) in runs.iter().enumerate() {
                let n: usize = counts[bounds[k].0..bounds[k].0 + run.len()]
                    .iter()
                    .map(|c| c.0)
                    .sum();
                let (a, b) = rest.split_at_mut(n);
                slices.push(a);
                rest = b;
            }
        }
        type RunOut = (Vec<u32>, Vec<Entry>, Vec<(Coord, f64)>);
        let outs: Vec<RunOut> = std::thread::scope(|s| {
            let hs: Vec<_> = runs
                .into_iter()
                .zip(slices)
                .zip(bounds.iter().copied())
                .enumerate()
                .map(|(k, ((run, out), (_, v0, r0)))| {
                    s.spawn(move || {
                        fail.at(k + 1000);
                        let mut ring_ends = Vec::new();
                        let mut entries = Vec::with_capacity(run.len());
                        let mut circles = Vec::new();
                        let mut v = 0usize;
                        let mut r = r0;
                        for p in run {
                            match p.shape {
                                PartShape::Poly(poly) => {
                                    let lo = r as u32;
                                    for ring in poly.rings() {
                                        for (dst, c) in out[v..v + ring.len()].iter_mut().zip(ring)
                                        {
                                            *dst = [c.lon, c.lat];
                                        }
                                        v += ring.len();
                                        r += 1;
                                        ring_ends.push((v0 + v) as u32);
                                    }
                                    entries.push(Entry {
                                        hazard: p.hazard,
                                        hazard_id: p.hazard_id,
                                        ring_lo: lo,
                                        ring_hi: r as u32,
                                        circle: NO_CIRCLE,
                                    });
                                }
                                PartShape::Circle(c, radius) => {
                                    entries.push(Entry {
                                        hazard: p.hazard,
                                        hazard_id: p.hazard_id,
                                        ring_lo: 0,
                                        ring_hi: 0,
                                        circle: circles.len() as u32,
                                    });
                                    circles.push((c, radius));
                                }
                            }
                        }
                        (ring_ends, entries, circles)
                    })
                })
                .collect();
            join_all("building the hazard index", hs)
        })?;
        let mut ring_start = vec![0u32];
        let mut entries = Vec::with_capacity(rects.len());
        let mut circles = Vec::new();
        for (ends, es, cs) in outs {
            let base = circles.len() as u32;
            ring_start.extend(ends);
            entries.extend(es.into_iter().map(|mut e| {
                if e.circle != NO_CIRCLE {
                    e.circle += base;
                }
                e
            }));
            circles.extend(cs);
        }
        if entries.len() != rects.len() {
            return Err(GeoError::Hazard {
                id: 0,
                message: "index build thread failed".into(),
            });
        }
        Ok(Self {
            hazards,
            entries,
            circles,
            ring_start,
            verts,
            tree: PackedRTree::new(rects),
            excluded,
        })
    }

    /// Number of hazards in the index.
    pub fn len(&self) -> usize {
        self.hazards.len()
    }

    /// Whether the index holds no hazard.
    pub fn is_empty(&self) -> bool {
        self.hazards.is_empty()
    }

    /// Records left out because their status does not count as a hazard.
    pub fn excluded(&self) -> usize {
        self.excluded
    }

    /// Number of stored vertices.
    pub fn vertex_count(&self) -> usize {
        self.verts.len()
    }

    /// The hazards in the index (in build order).
    pub fn hazards(&self) -> &[HazardInfo] {
        &self.hazards
    }

    /// Approximate bytes held by the index.
    pub fn heap_bytes(&self) -> usize {
        self.verts.capacity() * 16
            + self.ring_start.capacity() * 4
            + self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.circles.capacity() * 24
            + self.tree.heap_bytes()
            + self
                .hazards
                .iter()
                .map(|h| std::mem::size_of::<HazardInfo>() + h.status.capacity())
                .sum::<usize>()
    }

    #[inline]
    fn ring(&self, r: usize) -> &[[f64; 2]] {
        &self.verts[self.ring_start[r] as usize..self.ring_start[r + 1] as usize]
    }

    /// Whether (px, py) is inside the polygon entry (even-odd over all its rings).
    #[inline]
    fn inside(&self, e: &Entry, px: f64, py: f64) -> bool {
        let mut odd = false;
        for r in e.ring_lo as usize..e.ring_hi as usize {
            let ring = self.ring(r);
            let mut a = ring[0];
            for &b in &ring[1..] {
                if (a[1] > py) != (b[1] > py) {
                    let x = a[0] + (py - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
                    if x > px {
                        odd = !odd;
                    }
                }
                a = b;
            }
        }
        odd
    }

    /// Nearest boundary point of a polygon entry in the local frame: (d², x, y); edges entirely
    /// beyond `lim` metres on one side are skipped.
    #[inline]
    fn nearest_boundary(&self, e: &Entry, pr: &Probe, px: f64, lim: f64) -> (f64, f64, f64) {
        let (kx, ky, py) = (pr.kx, pr.ky, pr.p.lat);
        let mut best = (f64::INFINITY, 0.0, 0.0);
        for r in e.ring_lo as usize..e.ring_hi as usize {
            let ring = self.ring(r);
            let mut ax = (ring[0][0] - px) * kx;
            let mut ay = (ring[0][1] - py) * ky;
            for b in &ring[1..] {
                let bx = (b[0] - px) * kx;
                let by = (b[1] - py) * ky;
                let far = (ax > lim && bx > lim)
                    || (ax < -lim && bx < -lim)
                    || (ay > lim && by > lim)
                    || (ay < -lim && by < -lim);
                if !far {
                    let (x, y, d2) = nearest_on_segment(ax, ay, bx, by);
                    if d2 < best.0 {
                        best = (d2, x, y);
                    }
                }
                ax = bx;
                ay = by;
            }
        }
        best
    }

    /// Distance from the probe point to one entry if it can be within `cap` metres (else None).
    /// `shift` is the longitude shift that brings the entry next to the point.
    #[inline]
    fn entry_distance(&self, i: usize, pr: &Probe, shift: f64, cap: f64) -> Option<f64> {
        let e = &self.entries[i];
        let px = pr.p.lon + shift;
        let rect = self.tree.item(i);
        // Lower bound from the entry's box, in the local frame.
        let dx = (rect[0] - px).max(px - rect[2]).max(0.0) * pr.kx;
        let dy = (rect[1] - pr.p.lat).max(pr.p.lat - rect[3]).max(0.0) * pr.ky;
        let cap_frame = cap + 2.0 * frame_err(cap, pr.tan_lat) + 1e-3;
        if dx * dx + dy * dy > cap_frame * cap_frame {
            return None;
        }
        if e.circle != NO_CIRCLE {
            // The box holds the whole disc, so the test above is a lower bound here too.
            let (c, r) = self.circles[e.circle as usize];
            let d = (geodesic_distance(pr.p, c) - r).max(0.0);
            return (d <= cap).then_some(d);
        }
        if dx == 0.0 && dy == 0.0 && self.inside(e, px, pr.p.lat) {
            return Some(0.0);
        }
        let (d2, x, y) = self.nearest_boundary(e, pr, px, cap_frame);
        if d2 > cap_frame * cap_frame {
            return None;
        }
        let df = d2.sqrt();
        let err = frame_err(df, pr.tan_lat);
        let d =
            if err > 0.01 || (df - pr.within).abs() <= err + 1e-3 || (df - cap).abs() <= err + 1e-3
            {
                let q = Coord::new(pr.p.lon + x / pr.kx, pr.p.lat + y / pr.ky);
                geodesic_distance(pr.p, q)
            } else {
                df
            };
        (d <= cap).then_some(d)
    }

    /// Visits every candidate entry for the probe: (entry, longitude shift).
    #[inline]
    fn candidates(&self, pr: &Probe, stack: &mut Vec<(u32, u32)>, mut f: impl FnMut(usize, f64)) {
        let (boxes, n) = pr.boxes();
        for (rect, shift) in &boxes[..n] {
            if shift.is_nan() {
                // Every longitude: bring each entry next to the point individually.
                self.tree.search(rect, stack, |i| {
                    let r = self.tree.item(i);
                    let c = (r[0] + r[2]) / 2.0;
                    let s = c - pr.p.lon - wrap_dlon(c - pr.p.lon);
                    f(i, s);
                });
            } else {
                let s = *shift;
                self.tree.search(rect, stack, |i| f(i, s));
            }
        }
    }

    /// The hazard nearest to `p` within `within` metres (or, with `any`, the first found), as
    /// (hazard position, distance).
    fn nearest_one(
        &self,
        p: Coord,
        within: f64,
        mode: BatchMode,
        stack: &mut Vec<(u32, u32)>,
        cands: &mut Vec<(u32, f64)>,
    ) -> Option<(u32, f64)> {
        let pr = Probe::new(p, within);
        cands.clear();
        self.candidates(&pr, stack, |i, s| cands.push((i as u32, s)));
        self.best_of(&pr, cands.iter().copied(), mode)
    }

    /// The best (nearest, ties by smallest id; or in `Any` mode the first) of the candidate
    /// entries (entry, longitude shift) within the probe's distance.
    #[inline]
    fn best_of(
        &self,
        pr: &Probe,
        cands: impl Iterator<Item = (u32, f64)>,
        mode: BatchMode,
    ) -> Option<(u32, f64)> {
        let mut best: Option<(u32, f64, i64)> = None;
        for (i, s) in cands {
            let e = &self.entries[i as usize];
            let cap = match best {
                None => pr.within,
                Some((_, bd, bid)) => {
                    if bd == 0.0 && e.hazard_id >= bid {
                        continue;
                    }
                    bd
                }
            };
            if let Some(d) = self.entry_distance(i as usize, pr, s, cap) {
                let better = match best {
                    None => true,
                    Some((_, bd, bid)) => d < bd || (d == bd && e.hazard_id < bid),
                };
                if better {
                    best = Some((e.hazard, d, e.hazard_id));
                    if mode == BatchMode::Any {
                        break;
                    }
                }
            }
        }
        best.map(|(h, d, _)| (h, d))
    }

    /// Checks a run of points that are near each other (consecutive along the curve): one tree
    /// search for the run's box serves every point, each point then filtering the shared list by
    /// its own box. Points whose box would need an antimeridian shift go the single-point way.
    #[allow(clippy::too_many_arguments)]
    fn check_run(
        &self,
        run: &[(Coord, u32)],
        within: f64,
        mode: BatchMode,
        stack: &mut Vec<(u32, u32)>,
        cands: &mut Vec<(u32, f64)>,
        shared: &mut Vec<(u32, Rect)>,
        out: &mut Vec<(usize, u32, f64)>,
    ) {
        /// Largest extent of a run's box, in degrees.
        const RUN_SPAN: f64 = 0.01;
        const RUN_MAX: usize = 32;
        let mut i = 0;
        let mut probes: Vec<(Probe, Rect)> = Vec::with_capacity(RUN_MAX);
        while i < run.len() {
            probes.clear();
            let mut gbox = [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ];
            let mut j = i;
            while j < run.len() && j - i < RUN_MAX {
                let pr = Probe::new(run[j].0, within);
                let Some(b) = pr.simple_box() else {
                    break;
                };
                let u = [
                    gbox[0].min(b[0]),
                    gbox[1].min(b[1]),
                    gbox[2].max(b[2]),
                    gbox[3].max(b[3]),
                ];
                if j > i && (u[2] - u[0] > RUN_SPAN || u[3] - u[1] > RUN_SPAN) {
                    break;
                }
                gbox = u;
                probes.push((pr, b));
                j += 1;
            }
            if j == i {
                // This point needs the general path.
                let (p, idx) = run[i];
                if let Some((h, d)) = self.nearest_one(p, within, mode, stack, cands) {
                    out.push((idx as usize, h, d));
                }
                i += 1;
                continue;
            }
            shared.clear();
            self.tree
                .search(&gbox, stack, |e| shared.push((e as u32, self.tree.item(e))));
            for (k, (pr, b)) in probes.iter().enumerate() {
                let mine = shared.iter().filter_map(|(e, r)| {
                    (r[0] <= b[2] && b[0] <= r[2] && r[1] <= b[3] && b[1] <= r[3])
                        .then_some((*e, 0.0))
                });
                if let Some((h, d)) = self.best_of(pr, mine, mode) {
                    out.push((run[i + k].1 as usize, h, d));
                }
            }
            i = j;
        }
    }

    /// Every hazard within `within` metres of `p`, nearest first (ties by id); 0 m inside.
    pub fn query_point(&self, p: Coord, within: f64) -> Vec<Hit<'_>> {
        let pr = Probe::new(p, within);
        let mut best: Vec<Option<f64>> = Vec::new();
        let mut found: Vec<u32> = Vec::new();
        let mut stack = Vec::new();
        let mut cands = Vec::new();
        self.candidates(&pr, &mut stack, |i, s| cands.push((i, s)));
        for (i, s) in cands {
            if let Some(d) = self.entry_distance(i, &pr, s, pr.within) {
                let h = self.entries[i].hazard as usize;
                if best.len() <= h {
                    best.resize(h + 1, None);
                }
                match best[h] {
                    None => {
                        best[h] = Some(d);
                        found.push(h as u32);
                    }
                    Some(old) if d < old => best[h] = Some(d),
                    Some(_) => {}
                }
            }
        }
        let mut hits: Vec<Hit<'_>> = found
            .into_iter()
            .filter_map(|h| {
                best[h as usize].map(|d| Hit {
                    hazard: &self.hazards[h as usize],
                    distance_m: d,
                })
            })
            .collect();
        hits.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.hazard.id.cmp(&b.hazard.id))
        });
        hits
    }

    /// The nearest hazard within `within` metres of `p`, if any.
    pub fn nearest_within(&self, p: Coord, within: f64) -> Option<Hit<'_>> {
        let (h, d) = self.nearest_one(
            p,
            within,
            BatchMode::Nearest,
            &mut Vec::new(),
            &mut Vec::new(),
        )?;
        Some(Hit {
            hazard: &self.hazards[h as usize],
            distance_m: d,
        })
    }

    /// Checks many points on `threads` threads. Returns one [`Flag`] per point within `within`
    /// metres of a hazard, sorted by point id (then input order), or [`GeoError::Worker`] when a
    /// worker thread failed (never a partial answer).
    pub fn check_points(
        &self,
        points: &[BatchPoint],
        within: f64,
        mode: BatchMode,
        threads: usize,
    ) -> Result<Vec<Flag>, GeoError> {
        self.check_points_failing(points, within, mode, threads, FailWorker::NONE)
    }

    /// [`HazardIndex::check_points`], with a worker made to fail in tests (workers of the three
    /// parallel steps are numbered from 0, 1000 and 2000).
    fn check_points_failing(
        &self,
        points: &[BatchPoint],
        within: f64,
        mode: BatchMode,
        threads: usize,
        fail: FailWorker,
    ) -> Result<Vec<Flag>, GeoError> {
        let threads = threads.clamp(1, 64);
        if points.is_empty() || self.entries.is_empty() {
            return Ok(Vec::new());
        }
        const MAX_RUN: usize = u32::MAX as usize;
        if points.len() > MAX_RUN {
            // Point positions are packed into 32 bits below: run in slices.
            let mut all: Vec<Flag> = Vec::new();
            for c in points.chunks(MAX_RUN) {
                all.extend(self.check_points_failing(c, within, mode, threads, fail)?);
            }
            all.sort_by_key(|f| f.point_id);
            return Ok(all);
        }
        // Sort the points along the same Hilbert curve as the entries: keys in parallel, then a
        // radix sort on the 32-bit curve position (stable, so equal keys keep input order).
        let ext = self.tree_extent();
        let part = points.len().div_ceil(threads);
        let order: Vec<u64> = std::thread::scope(|s| {
            let hs: Vec<_> = points
                .chunks(part)
                .enumerate()
                .map(|(k, chunk)| {
                    s.spawn(move || {
                        fail.at(k);
                        chunk
                            .iter()
                            .enumerate()
                            .map(|(j, bp)| {
                                let key = hilbert16(
                                    grid16(bp.coord.lon, ext[0], ext[2]),
                                    grid16(bp.coord.lat, ext[1], ext[3]),
                                );
                                (key << 32) | (k * part + j) as u64
                            })
                            .collect::<Vec<u64>>()
                    })
                })
                .collect();
            join_all("checking points (sorting)", hs).map(|v| v.concat())
        })?;
        let order = radix_sort_high32(order);
        // Gather the points in curve order once (a tight loop lets the cache misses overlap),
        // so the query loop below reads them sequentially.
        let sorted: Vec<(Coord, u32)> = std::thread::scope(|s| {
            let hs: Vec<_> = order
                .chunks(part)
                .enumerate()
                .map(|(k, c)| {
                    s.spawn(move || {
                        fail.at(1000 + k);
                        c.iter()
                            .map(|&key| {
                                let idx = (key & 0xFFFF_FFFF) as usize;
                                (points[idx].coord, idx as u32)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            join_all("checking points (gathering)", hs).map(|v| v.concat())
        })?;
        drop(order);
        const BLOCK: usize = 4096;
        let next = AtomicUsize::new(0);
        let sorted = &sorted;
        let next = &next;
        let flags: Vec<(usize, u32, f64)> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|k| {
                    s.spawn(move || {
                        fail.at(2000 + k);
                        let mut out = Vec::new();
                        let mut stack = Vec::with_capacity(64);
                        let mut cands = Vec::with_capacity(64);
                        let mut shared = Vec::with_capacity(256);
                        loop {
                            let b = next.fetch_add(1, Ordering::Relaxed);
                            let lo = b * BLOCK;
                            if lo >= sorted.len() {
                                break;
                            }
                            let run = &sorted[lo..(lo + BLOCK).min(sorted.len())];
                            self.check_run(
                                run,
                                within,
                                mode,
                                &mut stack,
                                &mut cands,
                                &mut shared,
                                &mut out,
                            );
                        }
                        out
                    })
                })
                .collect();
            join_all("checking points", hs).map(|v| v.concat())
        })?;
        // Back to input order by scattering into a slot per point, then by id (input ids are
        // usually ascending already, and then nothing more is sorted).
        let mut slot: Vec<Option<(u32, f64)>> = vec![None; points.len()];
        for &(idx, h, d) in &flags {
            slot[idx] = Some((h, d));
        }
        drop(flags);
        let mut out: Vec<Flag> = slot
            .iter()
            .zip(points)
            .filter_map(|(s, bp)| {
                s.map(|(h, d)| Flag {
                    point_id: bp.id,
                    hazard_id: self.hazards[h as usize].id,
                    distance_m: d,
                })
            })
            .collect();
        if !out.is_sorted_by_key(|f| f.point_id) {
            out.sort_by_key(|f| f.point_id);
        }
        Ok(out)
    }

    fn tree_extent(&self) -> Rect {
        (0..self.tree.len()).fold(
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            |a, i| {
                let r = self.tree.item(i);
                [
                    a[0].min(r[0]),
                    a[1].min(r[1]),
                    a[2].max(r[2]),
                    a[3].max(r[3]),
                ]
            },
        )
    }

    /// The polygon of a polygon entry, rebuilt from storage.
    fn entry_polygon(&self, e: &Entry) -> Polygon {
        let mut rings = (e.ring_lo as usize..e.ring_hi as usize).map(|r| {
            self.ring(r)
                .iter()
                .map(|v| Coord::new(v[0], v[1]))
                .collect::<Vec<_>>()
        });
        let exterior = rings.next().unwrap_or_default();
        Polygon {
            exterior,
            holes: rings.collect(),
        }
    }

    /// Every hazard within `within` metres of a geometry (a planned route as a line, a site as a
    /// polygon, points), nearest first (ties by id). A hazard that touches or overlaps the
    /// geometry has distance 0.
    pub fn query_geometry(&self, g: &Geometry, within: f64) -> Vec<Hit<'_>> {
        let within = within.max(0.0);
        let Some(b) = g.bbox() else {
            return Vec::new();
        };
        let lat = b.min_lat.abs().max(b.max_lat.abs());
        let (dlon, dlat) = degree_margins(lat, within * 1.01 + 1.0);
        let q = [
            b.min_lon - dlon,
            b.min_lat - dlat,
            b.max_lon + dlon,
            b.max_lat + dlat,
        ];
        let mut cands = Vec::new();
        self.tree.search(&q, &mut Vec::new(), |i| cands.push(i));
        let mut best: std::collections::HashMap<u32, f64> = std::collections::HashMap::new();
        for i in cands {
            let e = &self.entries[i];
            let d = if e.circle != NO_CIRCLE {
                let (c, r) = self.circles[e.circle as usize];
                (distance_to_geometry(c, g) - r).max(0.0)
            } else {
                geometry_to_polygon(g, &self.entry_polygon(e))
            };
            if d <= within {
                let slot = best.entry(e.hazard).or_insert(d);
                if d < *slot {
                    *slot = d;
                }
            }
        }
        let mut hits: Vec<Hit<'_>> = best
            .into_iter()
            .map(|(h, d)| Hit {
                hazard: &self.hazards[h as usize],
                distance_m: d,
            })
            .collect();
        hits.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.hazard.id.cmp(&b.hazard.id))
        });
        hits
    }
}

/// Sorts `(key << 32) | index` values by their upper 32 bits, stably (least significant digit
/// first, 8 bits a pass).
fn radix_sort_high32(mut v: Vec<u64>) -> Vec<u64> {
    let mut tmp = vec![0u64; v.len()];
    for pass in 0..4 {
        let shift = 32 + pass * 8;
        let mut count = [0usize; 257];
        for &x in &v {
            count[((x >> shift) & 0xFF) as usize + 1] += 1;
        }
        if count.contains(&v.len()) {
            continue; // every value has the same digit: nothing moves
        }
        for i in 0..256 {
            count[i + 1] += count[i];
        }
        for &x in &v {
            let d = ((x >> shift) & 0xFF) as usize;
            tmp[count[d]] = x;
            count[d] += 1;
        }
        std::mem::swap(&mut v, &mut tmp);
    }
    v
}

/// The paths (point lists) of a geometry: each point alone, each line, each polygon ring.
fn paths(g: &Geometry) -> Vec<&[Coord]> {
    match g {
        Geometry::Point(c) => vec![std::slice::from_ref(c)],
        Geometry::MultiPoint(cs) => cs.iter().map(std::slice::from_ref).collect(),
        Geometry::LineString(l) => vec![l.as_slice()],
        Geometry::MultiLineString(ls) => ls.iter().map(Vec::as_slice).collect(),
        Geometry::Polygon(p) => p.rings().map(Vec::as_slice).collect(),
        Geometry::MultiPolygon(ps) => ps
            .iter()
            .flat_map(|p| p.rings())
            .map(Vec::as_slice)
            .collect(),
    }
}

/// Geodesic distance in metres between a geometry and a polygon: 0 when they touch or overlap;
/// otherwise the smallest distance from a vertex of one to the boundary of the other (in the
/// plane of lon/lat-straight edges the minimum is always reached at a vertex).
pub fn geometry_to_polygon(g: &Geometry, poly: &Polygon) -> f64 {
    let gp = paths(g);
    // Any vertex of g inside the polygon, or edges crossing?
    for path in &gp {
        if path.iter().any(|c| point_in_polygon(*c, poly)) {
            return 0.0;
        }
    }
    let g_polys: Vec<&Polygon> = match g {
        Geometry::Polygon(p) => vec![p],
        Geometry::MultiPolygon(ps) => ps.iter().collect(),
        _ => Vec::new(),
    };
    if g_polys.iter().any(|gp| {
        poly.exterior
            .first()
            .is_some_and(|c| point_in_polygon(*c, gp))
    }) {
        return 0.0;
    }
    for path in &gp {
        for e in path.windows(2) {
            for ring in poly.rings() {
                for f in ring.windows(2) {
                    if segments_intersect(e[0], e[1], f[0], f[1]) {
                        return 0.0;
                    }
                }
            }
        }
    }
    let mut best = f64::INFINITY;
    for path in &gp {
        for c in path.iter() {
            best = best.min(crate::geodesy::distance_to_polygon(*c, poly));
        }
    }
    for c in poly.rings().flatten() {
        for path in &gp {
            let d = if path.len() == 1 {
                geodesic_distance(*c, path[0])
            } else {
                crate::geodesy::distance_to_linestring(*c, path)
            };
            best = best.min(d);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodesy::LocalFrame;

    /// The local frame's error stays under `frame_err` (which decides when to recompute exactly).
    #[test]
    fn frame_error_bound_holds() {
        let mut worst: f64 = 0.0;
        for lat in [
            -85.0, -70.0, -45.0, -12.0, 0.0, 12.0, 30.0, 60.0, 75.0, 85.0,
        ] {
            for k in 0..72 {
                let az = f64::from(k) * 5.0_f64.to_radians();
                for d in [1.0, 50.0, 100.0, 500.0, 2000.0, 5000.0, 10_000.0] {
                    let p = Coord::new(20.0, lat);
                    let f = LocalFrame::at(p);
                    let q = f.to_coord(d * az.cos(), d * az.sin());
                    let (x, y) = f.to_xy(q);
                    let frame = (x * x + y * y).sqrt();
                    let exact = geodesic_distance(p, q);
                    let tan = f64::to_radians(lat).tan().abs();
                    let err = (frame - exact).abs();
                    assert!(err <= frame_err(frame, tan), "lat {lat} d {d}: {err}");
                    worst = worst.max(err / frame_err(frame, tan));
                }
            }
        }
        assert!(worst > 0.0);
    }

    #[test]
    fn radix_sort_is_a_stable_sort_on_the_key() {
        let mut x: u64 = 12345;
        let mut v: Vec<u64> = (0..10_000u64)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 40) << 32) | i
            })
            .collect();
        v.push(7u64 << 32);
        let got = radix_sort_high32(v.clone());
        v.sort_by_key(|k| k >> 32);
        assert_eq!(got, v);
        assert_eq!(radix_sort_high32(vec![3, 2, 1]), vec![3, 2, 1]);
    }

    #[test]
    fn probe_margins_are_safe() {
        for lat in [-89.0, -60.0, 0.0, 45.0, 80.0, 89.99] {
            for within in [0.0, 10.0, 100.0, 5000.0] {
                let pr = Probe::new(Coord::new(0.0, lat), within);
                let (dlon, dlat) = degree_margins(lat, within);
                assert!(pr.dlon >= dlon.min(360.0) - 1e-12, "{lat} {within}");
                assert!(pr.dlat >= dlat - 1e-12);
            }
        }
    }
}

#[cfg(test)]
mod worker_tests {
    use super::*;
    use crate::worker::FailWorker;

    fn squares(n: usize) -> Vec<HazardRecord> {
        (0..n)
            .map(|i| {
                let x = 100.0 + (i % 50) as f64 * 0.01;
                let y = 10.0 + (i / 50) as f64 * 0.01;
                HazardRecord {
                    id: i as i64,
                    status: "suspected".into(),
                    hazard_type: None,
                    shape: HazardShape::Polygon(Polygon::new(vec![
                        Coord::new(x, y),
                        Coord::new(x + 0.005, y),
                        Coord::new(x + 0.005, y + 0.005),
                        Coord::new(x, y + 0.005),
                        Coord::new(x, y),
                    ])),
                }
            })
            .collect()
    }

    fn points(n: usize) -> Vec<BatchPoint> {
        (0..n)
            .map(|i| BatchPoint {
                id: i as i64,
                coord: Coord::new(
                    100.0 + (i % 97) as f64 * 0.005,
                    10.0 + (i / 97) as f64 * 0.005,
                ),
            })
            .collect()
    }

    /// A worker of any of the batch check's three parallel steps that fails fails the check:
    /// its points are not reported safe.
    #[test]
    fn a_failed_batch_worker_fails_the_check() {
        let index = HazardIndex::build(squares(400)).unwrap();
        let pts = points(20_000);
        let all = index
            .check_points(&pts, 10.0, BatchMode::Nearest, 4)
            .unwrap();
        assert!(!all.is_empty());
        for k in [0, 3, 1000, 1002, 2000, 2003] {
            for mode in [BatchMode::Nearest, BatchMode::Any] {
                let e = index
                    .check_points_failing(&pts, 10.0, mode, 4, FailWorker(Some(k)))
                    .unwrap_err();
                assert!(matches!(e, GeoError::Worker { .. }), "worker {k}: {e:?}");
                assert!(e.to_string().contains("checking points"), "{e}");
            }
        }
    }

    /// A failed worker while the index is built fails the build: no index with hazards missing.
    #[test]
    fn a_failed_build_worker_fails_the_build() {
        for k in [0, 1000] {
            let e = HazardIndex::build_failing(squares(400), counts_as_hazard, FailWorker(Some(k)))
                .unwrap_err();
            assert!(matches!(e, GeoError::Worker { .. }), "worker {k}: {e:?}");
            assert!(e.to_string().contains("building the hazard index"), "{e}");
        }
    }
}
