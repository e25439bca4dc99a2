//! The safety check: is a place safe? One point, a batch of points, or route/site geometries,
//! against every hazardous area that still counts as a hazard.
//!
//! A [`Checker`] is an index of the hazards plus what their data covers. It is built from the
//! store (every area the hazard rule keeps, as its remaining geometry, and the States with data:
//! [`Checker::from_store`]) or from a file's areas ([`Checker::from_file`]); its queries are
//! synchronous and need no database, so one checker can be shared (`Arc`) across requests and
//! threads. "Safe" is only said about a place the data covers: elsewhere the answer is
//! [`Verdict::NoData`], never "safe".

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use demine_geo::csvfmt::PointBatch;
use demine_geo::geodesy::degree_margins;
use demine_geo::{
    BatchMode, BatchPoint, Bbox, Coord, Geometry, HazardIndex, HazardRecord, HazardShape, Hit,
};
use demine_store::boundaries::{self, StateCover};
use demine_store::coverage::HazardCoverage;
use serde::{Serialize, Serializer};

use crate::AppError;

/// The answer for one place or feature, in the order the exit code ranks them (a hazard
/// outranks no data, which outranks safe).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Nothing within the distance, and the data covers the place.
    Safe,
    /// Nothing within the distance, but the data does not cover the place: not known to be safe.
    NoData,
    /// A hazard within the distance.
    Hazard,
}

impl Verdict {
    /// `safe`, `no-data` or `hazard`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::NoData => "no-data",
            Verdict::Hazard => "hazard",
        }
    }

    /// The exit code `demine check` documents: 0 safe, 3 hazard, 4 no data.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Safe => 0,
            Verdict::NoData => 4,
            Verdict::Hazard => 3,
        }
    }
}

/// Distances are given to the millimetre.
fn mm<S: Serializer>(d: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d * 1000.0).round() / 1000.0)
}

fn mm_opt<S: Serializer>(d: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => mm(d, s),
        None => s.serialize_none(),
    }
}

/// A hazard within the distance of a place.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HazardHit {
    /// Geodesic distance in metres (0 inside), to the millimetre.
    #[serde(serialize_with = "mm")]
    pub distance_m: f64,
    /// The area's id.
    pub id: i64,
    /// Its status (the source's word when it has one).
    pub status: String,
    /// SHA or CHA when known.
    #[serde(rename = "type")]
    pub hazard_type: Option<String>,
    /// "Polygon", "MultiPolygon" or "Point" (with a radius); for text output.
    #[serde(skip)]
    pub geometry_type: &'static str,
}

impl HazardHit {
    fn of(h: &Hit<'_>) -> HazardHit {
        HazardHit {
            id: h.hazard.id,
            status: h.hazard.status.clone(),
            hazard_type: h.hazard.hazard_type.clone(),
            distance_m: h.distance_m,
            geometry_type: h.hazard.geometry_type,
        }
    }
}

/// Why a place has no hazard data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NoData {
    /// The State the place is in (or, near a border, the State without data), if any.
    pub state: Option<String>,
    /// The reason, in words.
    pub reason: String,
}

/// The answer for one point (`demine check --lon --lat`). As JSON: `hazards`, then for no data
/// `reason`, then `safe`, then for no data `state`, then `status` (keys in alphabetical order, as
/// the CLI has always printed them).
#[derive(Clone, Debug, PartialEq)]
pub struct PointCheck {
    /// The hazards within the distance, nearest first (empty for no data).
    pub hazards: Vec<HazardHit>,
    /// Whether the place is safe: nothing within the distance, and covered by the data.
    pub safe: bool,
    /// The verdict.
    pub status: Verdict,
    /// For [`Verdict::NoData`]: the State and the reason.
    pub no_data: Option<NoData>,
    /// The place checked.
    pub place: Coord,
    /// The distance of the check, in metres.
    pub within_m: f64,
}

impl Serialize for PointCheck {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("hazards", &self.hazards)?;
        if let Some(nd) = &self.no_data {
            m.serialize_entry("reason", &nd.reason)?;
        }
        m.serialize_entry("safe", &self.safe)?;
        if let Some(nd) = &self.no_data {
            m.serialize_entry("state", &nd.state)?;
        }
        m.serialize_entry("status", &self.status)?;
        m.end()
    }
}

/// One line or polygon of a route or site file, as judged.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RouteFeature {
    /// Its position in the file, from 0.
    pub index: usize,
    /// For no data: the reason, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For no data: the States without data (null for a part in no State's boundary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub states: Option<Vec<Option<String>>>,
    /// Its verdict.
    pub status: Verdict,
}

/// The answer for a route or site (`demine check --route`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RouteCheck {
    /// One per line or polygon of the file, in file order.
    pub features: Vec<RouteFeature>,
    /// Every hazard within the distance of any feature (its least distance), nearest first.
    pub hazards: Vec<HazardHit>,
    /// Whether every feature is safe.
    pub safe: bool,
    /// The worst verdict of the features.
    pub status: Verdict,
    /// What the hazard data is, for messages ("the database", or the file's name).
    #[serde(skip)]
    pub source: String,
    /// The distance of the check, in metres.
    #[serde(skip)]
    pub within_m: f64,
}

/// A flagged point of a batch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlaggedPoint {
    /// The nearest hazard's distance in metres, to the millimetre (absent with the hazard).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "mm_opt")]
    pub distance_m: Option<f64>,
    /// The nearest hazard (absent when only the flagged ids were asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hazard_id: Option<i64>,
    /// The point's id, as the input gave it (text: "WP001", "Mine 12b", "17").
    pub id: String,
    /// Always [`Verdict::Hazard`].
    pub status: Verdict,
}

/// A point of a batch without hazard data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NoDataPoint {
    /// The point's id, as the input gave it.
    pub id: String,
    /// Always [`Verdict::NoData`].
    pub status: Verdict,
}

/// The answer for a batch of points (`demine check --points`). Safe points are not listed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchCheck {
    /// How many points were checked.
    pub checked: usize,
    /// The flagged points, by point id ([`id_order`]).
    pub flagged: Vec<FlaggedPoint>,
    /// The points without hazard data, by point id ([`id_order`]).
    pub no_data: Vec<NoDataPoint>,
    /// Whether every point is safe.
    pub safe: bool,
    /// The worst verdict.
    pub status: Verdict,
    /// The distance of the check, in metres.
    pub within_m: f64,
    /// Why points have no data, in words (when some have none).
    #[serde(skip)]
    pub no_data_reason: Option<String>,
}

/// How much a batch check reports per flagged point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchDetail {
    /// The nearest hazard and its distance.
    Nearest,
    /// Only that the point is flagged (faster: stops at the first hazard found).
    IdsOnly,
}

/// What the hazard data covers, before it is widened by a check's distance.
#[derive(Debug, Clone)]
enum Extent {
    /// The store: the States with data, and the box of the areas filed under no State.
    Store(HazardCoverage),
    /// A file: the boxes around all its areas (one, or two across the antimeridian).
    File(Vec<Bbox>),
}

/// The hazards as an index, and what their data covers: everything a check needs.
pub struct Checker {
    index: HazardIndex,
    extent: Extent,
    /// What the data is, for messages: "the database" or the file's name.
    source: String,
    /// Covers built for the distances asked so far (a few are kept).
    covers: Mutex<Vec<(u64, Arc<Cover>)>>,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Checker({} hazards from {})",
            self.index.len(),
            self.source
        )
    }
}

/// How many distances a checker keeps a cover for.
const COVERS_KEPT: usize = 8;

/// Checks a distance in metres.
pub fn valid_within(within: f64) -> Result<(), AppError> {
    if within.is_finite() && within >= 0.0 {
        Ok(())
    } else {
        Err(AppError::Invalid(format!(
            "--within must be a non-negative number of metres, not {within}"
        )))
    }
}

/// Checks a place's longitude and latitude.
pub fn valid_place(lon: f64, lat: f64) -> Result<Coord, AppError> {
    if !(lon.is_finite() && lon.abs() <= 180.0) {
        return Err(AppError::Invalid(format!(
            "--lon {lon} is out of range -180..180"
        )));
    }
    if !(lat.is_finite() && lat.abs() <= 90.0) {
        return Err(AppError::Invalid(format!(
            "--lat {lat} is out of range -90..90{}",
            if lon.abs() <= 90.0 {
                " (are --lon and --lat swapped?)"
            } else {
                ""
            }
        )));
    }
    Ok(Coord::new(lon, lat))
}

impl Checker {
    /// A checker over the store's hazard records (already selected by the hazard rule on their
    /// stored status) and the store's coverage.
    pub fn from_store(
        mut records: Vec<HazardRecord>,
        coverage: HazardCoverage,
    ) -> Result<Checker, AppError> {
        // The store selected these by their stored status; a source word that reads as released
        // (an area reopened since) must not drop them again: show the status that counts.
        for r in &mut records {
            if !demine_geo::counts_as_hazard(&r.status) {
                r.status = demine_core::hazard::AreaStatus::Open.as_str().to_string();
            }
        }
        Ok(Checker {
            index: HazardIndex::build_with(records, |_| true)?,
            extent: Extent::Store(coverage),
            source: "the database".into(),
            covers: Mutex::new(Vec::new()),
        })
    }

    /// A checker over a file's hazard records (status rule: [`demine_geo::counts_as_hazard`]);
    /// the file covers the box around all its areas, any status.
    pub fn from_file(records: Vec<HazardRecord>, name: &str) -> Result<Checker, AppError> {
        // One box per polygon (a part split at the antimeridian is a polygon of its own), so
        // that the file's extent can be found on the circle of longitudes.
        let mut parts: Vec<Bbox> = Vec::new();
        for r in &records {
            match &r.shape {
                HazardShape::MultiPolygon(ps) => {
                    parts.extend(ps.iter().filter_map(|p| ring_bbox(&p.exterior)));
                }
                other => parts.extend(other.bbox()),
            }
        }
        Ok(Checker {
            index: HazardIndex::build(records)?,
            extent: Extent::File(file_extent(&parts)),
            source: name.to_string(),
            covers: Mutex::new(Vec::new()),
        })
    }

    /// The index.
    pub fn index(&self) -> &HazardIndex {
        &self.index
    }

    /// What the data is, for messages: "the database" or the file's name.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The cover for a distance (built once per distance, a few kept).
    fn cover(&self, within: f64) -> Result<Arc<Cover>, AppError> {
        let key = within.to_bits();
        if let Ok(list) = self.covers.lock()
            && let Some((_, c)) = list.iter().find(|(k, _)| *k == key)
        {
            return Ok(c.clone());
        }
        let c = Arc::new(match &self.extent {
            Extent::Store(c) => Cover::of_store(c, within)?,
            Extent::File(boxes) => Cover::of_file(boxes, &self.source, within),
        });
        if let Ok(mut list) = self.covers.lock() {
            if list.len() >= COVERS_KEPT {
                list.remove(0);
            }
            list.push((key, c.clone()));
        }
        Ok(c)
    }

    /// Checks one place.
    pub fn check_point(&self, lon: f64, lat: f64, within: f64) -> Result<PointCheck, AppError> {
        valid_within(within)?;
        let p = valid_place(lon, lat)?;
        let hits: Vec<HazardHit> = self
            .index
            .query_point(p, within)
            .iter()
            .map(HazardHit::of)
            .collect();
        let (status, no_data) = if !hits.is_empty() {
            (Verdict::Hazard, None)
        } else {
            let cover = self.cover(within)?;
            if cover.covers(p) {
                (Verdict::Safe, None)
            } else {
                let (reason, state) = cover.no_data_reason(p);
                (Verdict::NoData, Some(NoData { state, reason }))
            }
        };
        Ok(PointCheck {
            hazards: hits,
            safe: status == Verdict::Safe,
            status,
            no_data,
            place: p,
            within_m: within,
        })
    }

    /// Checks a batch of points on `threads` threads. An empty batch is refused (`name` names it
    /// in the message).
    pub fn check_points(
        &self,
        name: &str,
        batch: &PointBatch,
        within: f64,
        detail: BatchDetail,
        threads: usize,
    ) -> Result<BatchCheck, AppError> {
        valid_within(within)?;
        let points = &batch.points[..];
        if points.is_empty() {
            return Err(AppError::Invalid(format!(
                "{name}: no points to check (the file is empty or holds only a header)"
            )));
        }
        let mode = match detail {
            BatchDetail::Nearest => BatchMode::Nearest,
            BatchDetail::IdsOnly => BatchMode::Any,
        };
        let flags = self.index.check_points(points, within, mode, threads)?;
        // Coverage, for the points not flagged (a flagged point is flagged whatever the coverage).
        let cover = self.cover(within)?;
        let rest = unflagged(points, &flags);
        let places: Vec<Coord> = rest.iter().map(|p| p.coord).collect();
        let covered = cover.covers_all(&places, threads)?;
        let mut no_data: Vec<i64> = rest
            .iter()
            .zip(&covered)
            .filter(|(_, c)| !**c)
            .map(|(p, _)| p.id)
            .collect();
        drop(places);
        drop(rest);
        if !no_data.is_sorted() {
            no_data.sort_unstable();
        }
        let status = if !flags.is_empty() {
            Verdict::Hazard
        } else if !no_data.is_empty() {
            Verdict::NoData
        } else {
            Verdict::Safe
        };
        let no_data_reason = (!no_data.is_empty()).then(|| {
            if cover.is_empty() {
                format!("{} holds no hazardous area at all", cover.source)
            } else {
                format!("outside what {} covers", cover.source)
            }
        });
        let ids_only = detail == BatchDetail::IdsOnly;
        let mut r = BatchCheck {
            within_m: within,
            checked: points.len(),
            status,
            safe: status == Verdict::Safe,
            flagged: flags
                .iter()
                .map(|f| FlaggedPoint {
                    id: batch.id(f.point_id).to_string(),
                    status: Verdict::Hazard,
                    hazard_id: (!ids_only).then_some(f.hazard_id),
                    distance_m: (!ids_only).then_some(f.distance_m),
                })
                .collect(),
            no_data: no_data
                .into_iter()
                .map(|position| NoDataPoint {
                    id: batch.id(position).to_string(),
                    status: Verdict::NoData,
                })
                .collect(),
            no_data_reason,
        };
        sort_by_id(&mut r.flagged, |f| &f.id);
        sort_by_id(&mut r.no_data, |p| &p.id);
        Ok(r)
    }

    /// Checks route or site geometries (each with its position in the file) with the distance
    /// as a buffer. No geometry at all is refused (`name` names the file).
    pub fn check_route(
        &self,
        name: &str,
        geoms: &[(usize, Geometry)],
        within: f64,
        threads: usize,
    ) -> Result<RouteCheck, AppError> {
        valid_within(within)?;
        if geoms.is_empty() {
            return Err(AppError::Invalid(format!("{name}: no geometry to check")));
        }
        let cover = self.cover(within)?;
        let mut best: BTreeMap<i64, Hit<'_>> = BTreeMap::new();
        let mut features: Vec<RouteFeature> = Vec::new();
        for (k, g) in geoms {
            let hits = self.index.query_geometry(g, within);
            if hits.is_empty() {
                let samples = route_samples(g);
                let covered = cover.covers_all(&samples, threads)?;
                if covered.iter().all(|c| *c) {
                    features.push(RouteFeature {
                        index: *k,
                        status: Verdict::Safe,
                        states: None,
                        reason: None,
                    });
                    continue;
                }
                let mut states: Vec<Option<String>> = Vec::new();
                for (p, _) in samples.iter().zip(&covered).filter(|(_, c)| !**c).take(64) {
                    let names = cover.missing_states(*p);
                    let found: Vec<Option<String>> = if names.is_empty() {
                        vec![None]
                    } else {
                        names.into_iter().map(Some).collect()
                    };
                    for s in found {
                        if !states.contains(&s) {
                            states.push(s);
                        }
                    }
                }
                let reason = no_data_label(&states);
                features.push(RouteFeature {
                    index: *k,
                    status: Verdict::NoData,
                    states: Some(states),
                    reason: Some(reason),
                });
                continue;
            }
            features.push(RouteFeature {
                index: *k,
                status: Verdict::Hazard,
                states: None,
                reason: None,
            });
            for h in hits {
                match best.get(&h.hazard.id) {
                    Some(old) if old.distance_m <= h.distance_m => {}
                    _ => {
                        best.insert(h.hazard.id, h);
                    }
                }
            }
        }
        let mut hits: Vec<Hit<'_>> = best.into_values().collect();
        hits.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.hazard.id.cmp(&b.hazard.id))
        });
        let status = features
            .iter()
            .map(|f| f.status)
            .max()
            .unwrap_or(Verdict::NoData);
        Ok(RouteCheck {
            features,
            hazards: hits.iter().map(HazardHit::of).collect(),
            safe: status == Verdict::Safe,
            status,
            source: self.source.clone(),
            within_m: within,
        })
    }
}

/// How a route feature without data names the States concerned.
fn no_data_label(states: &[Option<String>]) -> String {
    let named: Vec<&str> = states.iter().flatten().map(String::as_str).collect();
    let sea = states.iter().any(Option::is_none);
    match (named.is_empty(), sea) {
        (true, _) => "no hazard data (in no State's boundary: at sea or unmapped)".to_string(),
        (false, false) => format!("no hazard data for {}", named.join("/")),
        (false, true) => format!(
            "no hazard data for {} (and part in no State's boundary)",
            named.join("/")
        ),
    }
}

/// The order of point ids in answers: ids that are whole numbers by value, before text ids, which
/// go by their text ("2" < "10" < "Mine 12b" < "WP001").
pub fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<i64>(), b.parse::<i64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// Sorts by [`id_order`] unless already in that order (the usual file is).
fn sort_by_id<T>(items: &mut [T], id: impl Fn(&T) -> &str) {
    if !items.is_sorted_by(|a, b| id_order(id(a), id(b)).is_le()) {
        items.sort_by(|a, b| id_order(id(a), id(b)));
    }
}

/// The points no hazard is within the distance of: ids and places, in input order. `flags` is
/// sorted by point id.
fn unflagged(points: &[BatchPoint], flags: &[demine_geo::Flag]) -> Vec<BatchPoint> {
    let mut out = Vec::with_capacity(points.len().saturating_sub(flags.len()));
    if points.is_sorted_by_key(|p| p.id) {
        // One walk over both lists.
        let mut f = flags.iter().map(|f| f.point_id).peekable();
        for p in points {
            while f.next_if(|id| *id < p.id).is_some() {}
            if f.peek() != Some(&p.id) {
                out.push(*p);
            }
        }
    } else {
        out.extend(
            points
                .iter()
                .filter(|p| flags.binary_search_by_key(&p.id, |f| f.point_id).is_err()),
        );
    }
    out
}

/// Places along a geometry where its coverage is judged: every vertex, and points spaced at most
/// 0.005 degrees (about 500 m) along every edge.
fn route_samples(g: &Geometry) -> Vec<Coord> {
    const STEP: f64 = 0.005;
    let mut out = Vec::new();
    let mut path = |cs: &[Coord]| {
        for w in cs.windows(2) {
            let (a, b) = (w[0], w[1]);
            let steps = ((b.lon - a.lon).abs().max((b.lat - a.lat).abs()) / STEP).ceil();
            let steps = if steps.is_finite() {
                steps.clamp(1.0, 1e6) as usize
            } else {
                1
            };
            for k in 0..steps {
                let t = k as f64 / steps as f64;
                out.push(Coord::new(
                    a.lon + (b.lon - a.lon) * t,
                    a.lat + (b.lat - a.lat) * t,
                ));
            }
        }
        if let Some(last) = cs.last() {
            out.push(*last);
        }
    };
    match g {
        Geometry::Point(c) => path(std::slice::from_ref(c)),
        Geometry::MultiPoint(cs) => cs.iter().for_each(|c| path(std::slice::from_ref(c))),
        Geometry::LineString(l) => path(l),
        Geometry::MultiLineString(ls) => ls.iter().for_each(|l| path(l)),
        Geometry::Polygon(p) => p.rings().for_each(|r| path(r)),
        Geometry::MultiPolygon(ps) => ps.iter().flat_map(|p| p.rings()).for_each(|r| path(r)),
    }
    out
}

/// The box around geometries (route samples), for reading only the hazards near them.
pub fn geometries_bbox<'a>(geoms: impl IntoIterator<Item = &'a Geometry>) -> Option<Bbox> {
    let mut out: Option<Bbox> = None;
    for g in geoms {
        if let Some(b) = g.bbox() {
            match &mut out {
                Some(o) => o.union(&b),
                None => out = Some(b),
            }
        }
    }
    out
}

/// What the hazard data covers: where "safe" may be said. See `demine check --help` and
/// `docs/hazards.md` ("Coverage").
struct Cover {
    /// Boxes covered whole, already widened by the distance.
    boxes: Vec<Bbox>,
    /// Where the covered States' data covers places (None when no State is covered): inside
    /// them, and not within the distance of another State (hazards across that border are not
    /// known).
    states: Option<StateCover>,
    /// The covered States.
    names: BTreeSet<String>,
    /// The distance of the check, in metres.
    within: f64,
    /// What the data is, for messages ("the database", or the file's name).
    source: String,
    /// Whether the data is a file's (its messages say "the area the file covers").
    file: bool,
}

/// The box of a ring's vertices.
fn ring_bbox(ring: &[Coord]) -> Option<Bbox> {
    let mut it = ring.iter();
    let mut b = Bbox::of_point(*it.next()?);
    for c in it {
        b.extend(*c);
    }
    Some(b)
}

/// The extent of a file's areas: their latitudes, and the shortest arc of longitudes that holds
/// every area (the circle minus its widest gap), as one box, or two when that arc crosses the
/// antimeridian. Data drawn across ±180 covers a narrow band there, never the whole world.
fn file_extent(parts: &[Bbox]) -> Vec<Bbox> {
    let Some(first) = parts.first() else {
        return Vec::new();
    };
    let (mut min_lat, mut max_lat) = (first.min_lat, first.max_lat);
    let mut spans: Vec<(f64, f64)> = Vec::with_capacity(parts.len());
    for b in parts {
        min_lat = min_lat.min(b.min_lat);
        max_lat = max_lat.max(b.max_lat);
        spans.push((b.min_lon, b.max_lon));
    }
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Merge overlapping spans, then find the widest gap between them, the one across ±180
    // (from the last span's end round to the first span's start) included.
    let mut merged: Vec<(f64, f64)> = Vec::new();
    for (lo, hi) in spans {
        match merged.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    let (Some(&(first_lo, _)), Some(&(_, last_hi))) = (merged.first(), merged.last()) else {
        return Vec::new();
    };
    let mut widest = (first_lo + 360.0 - last_hi, None);
    for (i, w) in merged.windows(2).enumerate() {
        let gap = w[1].0 - w[0].1;
        if gap > widest.0 {
            widest = (gap, Some(i));
        }
    }
    let lat_box = |min_lon, max_lon| Bbox {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    };
    match widest.1 {
        // The widest gap is across ±180: one box from the first span to the last.
        None => vec![lat_box(first_lo, last_hi)],
        // The widest gap is inside: the extent runs east from after it round through ±180.
        Some(i) => vec![
            lat_box(merged[i + 1].0, 180.0),
            lat_box(-180.0, merged[i].1),
        ],
    }
}

/// A box widened by `metres` on every side (at the latitude nearest the equator, where a degree
/// of longitude is longest, so the widening is never more than asked).
pub(crate) fn widen(b: Bbox, metres: f64) -> Bbox {
    let lat = if b.min_lat <= 0.0 && b.max_lat >= 0.0 {
        0.0
    } else {
        b.min_lat.abs().min(b.max_lat.abs())
    };
    let (_, dlat) = degree_margins(0.0, metres);
    let (dlon, _) = degree_margins(lat, metres);
    let dlon = dlon.min(360.0);
    Bbox {
        min_lon: b.min_lon - dlon,
        min_lat: b.min_lat - dlat,
        max_lon: b.max_lon + dlon,
        max_lat: b.max_lat + dlat,
    }
}

fn in_box(b: &Bbox, p: Coord) -> bool {
    b.min_lon <= p.lon && p.lon <= b.max_lon && b.min_lat <= p.lat && p.lat <= b.max_lat
}

impl Cover {
    /// The database's coverage: the States with areas filed under them, and the box of the areas
    /// filed under no State.
    fn of_store(c: &HazardCoverage, within: f64) -> Result<Cover, AppError> {
        let states = if c.states.is_empty() {
            None
        } else {
            Some(boundaries::get()?.cover(&c.states, within)?)
        };
        Ok(Cover {
            boxes: c.unfiled.map(|b| widen(b, within)).into_iter().collect(),
            states,
            names: c.states.clone(),
            within,
            source: "the database".into(),
            file: false,
        })
    }

    /// A hazards file's coverage: the box around all its areas, any status.
    fn of_file(extent: &[Bbox], name: &str, within: f64) -> Cover {
        Cover {
            boxes: extent.iter().map(|b| widen(*b, within)).collect(),
            states: None,
            names: BTreeSet::new(),
            within,
            source: name.to_string(),
            file: true,
        }
    }

    fn is_empty(&self) -> bool {
        self.boxes.is_empty() && self.states.is_none()
    }

    /// Whether the data covers `p`.
    fn covers(&self, p: Coord) -> bool {
        self.boxes.iter().any(|b| in_box(b, p)) || self.states.as_ref().is_some_and(|s| s.covers(p))
    }

    /// [`Cover::covers`] for many places: the boxes first, then one batch query of the covered
    /// States' boundaries for the places left.
    fn covers_all(&self, places: &[Coord], threads: usize) -> Result<Vec<bool>, AppError> {
        let mut covered: Vec<bool> = places
            .iter()
            .map(|p| self.boxes.iter().any(|b| in_box(b, *p)))
            .collect();
        if let Some(states) = &self.states {
            let (left, at): (Vec<Coord>, Vec<usize>) = places
                .iter()
                .zip(&covered)
                .enumerate()
                .filter(|(_, (_, c))| !**c)
                .map(|(i, (p, _))| (*p, i))
                .unzip();
            for (i, c) in at.into_iter().zip(states.covers_all(&left, threads)?) {
                if let Some(slot) = covered.get_mut(i) {
                    *slot = c;
                }
            }
        }
        Ok(covered)
    }

    /// The States without data that make `p` uncovered: the State it is in, or when that one is
    /// covered, the others within the distance. Empty at sea.
    fn missing_states(&self, p: Coord) -> Vec<String> {
        let at = state_names(p);
        if !at.iter().any(|s| self.names.contains(s)) {
            return at;
        }
        boundaries::get()
            .map(|b| {
                b.states_near(p, self.within)
                    .into_iter()
                    .filter(|s| !self.names.contains(*s))
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Why `p` has no data, in words, and the State it is in (if any).
    fn no_data_reason(&self, p: Coord) -> (String, Option<String>) {
        let states = state_names(p);
        let state = states.first().cloned();
        if states.iter().any(|s| self.names.contains(s)) {
            // In a covered State, but near another one without data.
            let near = self.missing_states(p);
            let text = format!(
                "no hazard data for {} within {} m of here (across the border from {}; {} \
                 holds no hazardous area filed under {})",
                near.join("/"),
                self.within,
                states.join("/"),
                self.source,
                near.join("/")
            );
            return (text, near.first().cloned().or(state));
        }
        let what = if self.is_empty() {
            format!("{} holds no hazardous area at all", self.source)
        } else if self.states.is_none() && self.file {
            format!("the place is outside the area {} covers", self.source)
        } else {
            format!(
                "{} holds no hazardous area filed under this State",
                self.source
            )
        };
        let text = match states.as_slice() {
            [] if self.is_empty() => {
                format!("no hazard data here (in no State's boundary: at sea or unmapped; {what})")
            }
            [] => "no hazard data here (in no State's boundary: at sea or unmapped)".to_string(),
            s => format!("no hazard data for {} here ({what})", s.join("/")),
        };
        (text, state)
    }
}

/// The States (ISO3) whose boundary holds `p`; none when the boundaries cannot be read.
fn state_names(p: Coord) -> Vec<String> {
    boundaries::get()
        .map(|b| b.states_at(p).into_iter().map(String::from).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(min_lon: f64, max_lon: f64) -> Bbox {
        Bbox {
            min_lon,
            min_lat: -16.1,
            max_lon,
            max_lat: -16.0,
        }
    }

    #[test]
    fn a_file_across_the_antimeridian_covers_a_band_there_not_the_world() {
        let ext = file_extent(&[b(179.9, 180.0), b(-180.0, -179.9)]);
        assert_eq!(ext.len(), 2, "{ext:?}");
        let at = |lon: f64| ext.iter().any(|x| in_box(x, Coord::new(lon, -16.05)));
        assert!(at(179.95) && at(-179.95) && at(180.0));
        assert!(!at(0.0) && !at(179.0) && !at(-179.0));
    }

    #[test]
    fn a_file_elsewhere_has_one_box_from_its_first_to_its_last_area() {
        let ext = file_extent(&[b(10.0, 11.0), b(12.0, 13.0), b(10.5, 10.7)]);
        assert_eq!(ext.len(), 1);
        assert_eq!((ext[0].min_lon, ext[0].max_lon), (10.0, 13.0));
        assert!(file_extent(&[]).is_empty());
    }

    #[test]
    fn verdicts_rank_and_map_to_the_documented_exit_codes() {
        assert!(Verdict::Hazard > Verdict::NoData && Verdict::NoData > Verdict::Safe);
        assert_eq!(Verdict::Safe.exit_code(), 0);
        assert_eq!(Verdict::Hazard.exit_code(), 3);
        assert_eq!(Verdict::NoData.exit_code(), 4);
        assert_eq!(
            serde_json::to_string(&Verdict::NoData).unwrap(),
            "\"no-data\""
        );
    }
}
