//! The bundled country boundaries (Natural Earth 1:50m, `data/countries_50m.geojson`, embedded in
//! the binary), indexed once per process, to check that an area lies in the State it is filed
//! under, and to tell which State a place is in (the safety check's coverage).

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use demine_geo::{BatchMode, BatchPoint, Coord, Geometry, HazardIndex, HazardRecord, HazardShape};

use crate::StoreError;

const COUNTRIES: &str = include_str!("../../../data/countries_50m.geojson");

/// The boundaries, indexed: each country is a "hazard" of the spatial index whose id is its
/// position in `iso3`.
pub struct Boundaries {
    index: HazardIndex,
    iso3: Vec<String>,
    known: HashMap<String, usize>,
    /// Each country's shape, by position (for [`Boundaries::subset`]).
    shapes: Vec<HazardShape>,
}

impl std::fmt::Debug for Boundaries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Boundaries({} countries)", self.iso3.len())
    }
}

static BOUNDARIES: OnceLock<Boundaries> = OnceLock::new();

const NAME: &str = "countries_50m.geojson";

/// The State codes of the bundled features, by position (geometry skipped unread).
fn feature_codes() -> Result<Vec<Option<String>>, StoreError> {
    #[derive(serde::Deserialize)]
    struct Props {
        iso3: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Feature {
        properties: Props,
        #[serde(rename = "geometry")]
        _geometry: serde::de::IgnoredAny,
    }
    #[derive(serde::Deserialize)]
    struct Collection {
        features: Vec<Feature>,
    }
    let c: Collection = serde_json::from_str(COUNTRIES).map_err(|e| StoreError::BadFile {
        file: NAME.into(),
        reason: format!("the bundled country boundaries do not parse: {e}"),
    })?;
    Ok(c.features.into_iter().map(|f| f.properties.iso3).collect())
}

/// Builds the index. The bundled file is read by demine's own GeoJSON reader without the
/// validation pass: it is fixed data, and `tests::the_bundled_boundaries_validate_unchanged`
/// proves that validation would accept it as it is (no error, no geometry changed), so running
/// it in every process would only cost time (most of a second for 1:50m boundaries).
fn build() -> Result<Boundaries, StoreError> {
    let codes = feature_codes()?;
    let features = demine_geo::geojson::parse_geojson(NAME, COUNTRIES.as_bytes(), 1)?;
    let mut iso3 = Vec::with_capacity(features.len());
    let mut known = HashMap::new();
    let mut records = Vec::with_capacity(features.len());
    let mut shapes = Vec::with_capacity(features.len());
    for f in features {
        let Some(Some(code)) = codes.get(f.index) else {
            continue;
        };
        let shape = match f.geometry {
            Some(Geometry::Polygon(p)) => HazardShape::Polygon(p),
            Some(Geometry::MultiPolygon(ps)) => HazardShape::MultiPolygon(ps),
            _ => continue,
        };
        let n = iso3.len();
        iso3.push(code.clone());
        known.insert(code.clone(), n);
        shapes.push(shape.clone());
        records.push(HazardRecord {
            id: n as i64,
            status: "open".into(),
            hazard_type: None,
            shape,
        });
    }
    Ok(Boundaries {
        index: HazardIndex::build(records)?,
        iso3,
        known,
        shapes,
    })
}

/// The boundaries, built on first use.
pub fn get() -> Result<&'static Boundaries, StoreError> {
    if let Some(b) = BOUNDARIES.get() {
        return Ok(b);
    }
    let b = build()?;
    Ok(BOUNDARIES.get_or_init(|| b))
}

/// Where a geometry stands with respect to a State.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// Within (or within the tolerance of) the State's boundary.
    Inside,
    /// The boundaries do not have this State.
    Unknown,
    /// Farther than the tolerance from the State; the States it is near, if any.
    Outside(Vec<String>),
}

/// The boundaries of a few States, indexed for fast "is this place in one of them" questions.
pub struct StateSet {
    index: HazardIndex,
}

impl std::fmt::Debug for StateSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StateSet({} States)", self.index.len())
    }
}

impl StateSet {
    /// Whether `p` is inside (or on the boundary of) one of the States.
    pub fn contains(&self, p: Coord) -> bool {
        self.near(p, 0.0)
    }

    /// Whether `p` is within `metres` of one of the States (inside is 0 m).
    pub fn near(&self, p: Coord, metres: f64) -> bool {
        self.index.nearest_within(p, metres).is_some()
    }

    /// [`StateSet::contains`] for many places, on `threads` threads (the batch check's spatial
    /// index and its parallel query: the boundaries are indexed once, not searched per place).
    pub fn contains_all(&self, places: &[Coord], threads: usize) -> Result<Vec<bool>, StoreError> {
        self.near_all(places, 0.0, threads)
    }

    /// [`StateSet::near`] for many places, on `threads` threads.
    pub fn near_all(
        &self,
        places: &[Coord],
        metres: f64,
        threads: usize,
    ) -> Result<Vec<bool>, StoreError> {
        let mut inside = vec![false; places.len()];
        if places.is_empty() || self.index.is_empty() {
            return Ok(inside);
        }
        let points: Vec<BatchPoint> = places
            .iter()
            .enumerate()
            .map(|(i, &coord)| BatchPoint {
                id: i as i64,
                coord,
            })
            .collect();
        for f in self
            .index
            .check_points(&points, metres, BatchMode::Any, threads)?
        {
            if let Some(slot) = usize::try_from(f.point_id)
                .ok()
                .and_then(|i| inside.get_mut(i))
            {
                *slot = true;
            }
        }
        Ok(inside)
    }
}

/// What a grid cell knows of coverage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    /// A boundary passes within the distance: each place is judged on its own.
    Mixed,
    /// Every place in the cell is covered.
    Covered,
    /// No place in the cell is covered.
    Uncovered,
}

/// Where a set of States' data covers places: inside one of the States, and farther than the
/// distance from every other State (hazards across a border are not known). A grid over the
/// States' extent answers most places at once: a cell no boundary comes near (within the distance)
/// is covered or not as a whole, so only places in cells along boundaries are searched.
pub struct StateCover {
    inside: StateSet,
    others: StateSet,
    metres: f64,
    /// West and south edges of the grid, the cell size in degrees, and the cells, row by row.
    x0: f64,
    y0: f64,
    step: f64,
    nx: usize,
    ny: usize,
    cells: Vec<Cell>,
}

impl std::fmt::Debug for StateCover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StateCover({} x {} cells)", self.nx, self.ny)
    }
}

impl StateCover {
    fn cell(&self, p: Coord) -> Option<Cell> {
        let i = ((p.lon - self.x0) / self.step).floor();
        let j = ((p.lat - self.y0) / self.step).floor();
        if !(i >= 0.0 && j >= 0.0 && (i as usize) < self.nx && (j as usize) < self.ny) {
            return None;
        }
        self.cells.get(j as usize * self.nx + i as usize).copied()
    }

    /// The exact answer for one place.
    fn exact(&self, p: Coord) -> bool {
        self.inside.contains(p) && !self.others.near(p, self.metres)
    }

    /// Whether the data covers `p`.
    pub fn covers(&self, p: Coord) -> bool {
        match self.cell(p) {
            // Outside the grid is outside every covered State.
            None | Some(Cell::Uncovered) => false,
            Some(Cell::Covered) => true,
            Some(Cell::Mixed) => self.exact(p),
        }
    }

    /// [`StateCover::covers`] for many places: the grid first, then batch queries (on `threads`
    /// threads) for the places in cells along boundaries.
    pub fn covers_all(&self, places: &[Coord], threads: usize) -> Result<Vec<bool>, StoreError> {
        let mut out = Vec::with_capacity(places.len());
        let mut mixed: Vec<(usize, Coord)> = Vec::new();
        for (i, p) in places.iter().enumerate() {
            out.push(match self.cell(*p) {
                None | Some(Cell::Uncovered) => false,
                Some(Cell::Covered) => true,
                Some(Cell::Mixed) => {
                    mixed.push((i, *p));
                    false
                }
            });
        }
        if mixed.is_empty() {
            return Ok(out);
        }
        let coords: Vec<Coord> = mixed.iter().map(|m| m.1).collect();
        let inside = self.inside.contains_all(&coords, threads)?;
        let (at, coords): (Vec<usize>, Vec<Coord>) = mixed
            .into_iter()
            .zip(inside)
            .filter(|(_, inside)| *inside)
            .map(|(m, _)| m)
            .unzip();
        let near = self.others.near_all(&coords, self.metres, threads)?;
        for (i, near) in at.into_iter().zip(near) {
            if let Some(slot) = out.get_mut(i) {
                *slot = !near;
            }
        }
        Ok(out)
    }
}

/// Most cells a [`StateCover`] grid has (a few MB).
const MAX_CELLS: f64 = 4_000_000.0;

impl Boundaries {
    /// Where the data of these States covers places at the distance `metres` (see
    /// [`StateCover`]). States the boundaries do not have cover nothing.
    pub fn cover(&self, states: &BTreeSet<String>, metres: f64) -> Result<StateCover, StoreError> {
        let metres = if metres.is_finite() {
            metres.max(0.0)
        } else {
            0.0
        };
        let covered: Vec<usize> = states
            .iter()
            .filter_map(|s| self.known.get(s).copied())
            .collect();
        let bbox = |n: usize| self.shapes.get(n).and_then(HazardShape::bbox);
        let mut ext: Option<demine_geo::Bbox> = None;
        for b in covered.iter().filter_map(|n| bbox(*n)) {
            match &mut ext {
                Some(e) => e.union(&b),
                None => ext = Some(b),
            }
        }
        let inside = self.subset_of(covered.iter().copied())?;
        let Some(ext) = ext else {
            return Ok(StateCover {
                inside,
                others: self.subset_of(std::iter::empty())?,
                metres,
                x0: 0.0,
                y0: 0.0,
                step: 1.0,
                nx: 0,
                ny: 0,
                cells: Vec::new(),
            });
        };
        // The margin a boundary must keep from a cell for the cell to be judged whole.
        let far_lat = ext.min_lat.abs().max(ext.max_lat.abs());
        let (mlon, mlat) = demine_geo::degree_margins(far_lat, metres * 1.01 + 1.0);
        let (mlon, mlat) = (mlon.min(360.0) + 1e-7, mlat + 1e-7);
        let region = demine_geo::Bbox {
            min_lon: ext.min_lon - mlon,
            min_lat: ext.min_lat - mlat,
            max_lon: ext.max_lon + mlon,
            max_lat: ext.max_lat + mlat,
        };
        // Other States that reach the region matter; the rest are too far to.
        let others: Vec<usize> = (0..self.iso3.len())
            .filter(|n| !covered.contains(n))
            .filter(|n| bbox(*n).is_some_and(|b| b.intersects(&region)))
            .collect();
        let (w, h) = (
            region.max_lon - region.min_lon,
            region.max_lat - region.min_lat,
        );
        let step = 0.01f64.max((w * h / MAX_CELLS).sqrt());
        let nx = ((w / step).ceil() as usize).max(1);
        let ny = ((h / step).ceil() as usize).max(1);
        let mut cells = vec![Cell::Uncovered; nx * ny];
        let (x0, y0) = (region.min_lon, region.min_lat);
        let idx = |v: f64, o: f64, n: usize| -> usize {
            let k = ((v - o) / step).floor();
            if k <= 0.0 { 0 } else { (k as usize).min(n - 1) }
        };
        // Every cell a boundary edge (widened by the margin) touches is judged place by place.
        for n in covered.iter().chain(&others) {
            let Some(shape) = self.shapes.get(*n) else {
                continue;
            };
            let polys: &[demine_geo::Polygon] = match shape {
                HazardShape::Polygon(p) => std::slice::from_ref(p),
                HazardShape::MultiPolygon(ps) => ps,
                HazardShape::Circle { .. } => &[],
            };
            for ring in polys.iter().flat_map(|p| p.rings()) {
                for e in ring.windows(2) {
                    let (a, b) = (e[0], e[1]);
                    let (i0, i1) = (
                        idx(a.lon.min(b.lon) - mlon, x0, nx),
                        idx(a.lon.max(b.lon) + mlon, x0, nx),
                    );
                    let (j0, j1) = (
                        idx(a.lat.min(b.lat) - mlat, y0, ny),
                        idx(a.lat.max(b.lat) + mlat, y0, ny),
                    );
                    for j in j0..=j1 {
                        for c in &mut cells[j * nx + i0..=j * nx + i1] {
                            *c = Cell::Mixed;
                        }
                    }
                }
            }
        }
        let mut cover = StateCover {
            inside,
            others: self.subset_of(others.into_iter())?,
            metres,
            x0,
            y0,
            step,
            nx,
            ny,
            cells: Vec::new(),
        };
        // A cell no boundary comes near is what its centre is, and so is every cell it reaches
        // without crossing a boundary: one search per connected run of such cells.
        let mut seen = vec![false; nx * ny];
        let mut stack = Vec::new();
        for start in 0..nx * ny {
            if seen[start] || cells[start] == Cell::Mixed {
                continue;
            }
            let (i, j) = (start % nx, start / nx);
            let c = Coord::new(x0 + (i as f64 + 0.5) * step, y0 + (j as f64 + 0.5) * step);
            let value = if cover.exact(c) {
                Cell::Covered
            } else {
                Cell::Uncovered
            };
            seen[start] = true;
            stack.push(start);
            while let Some(k) = stack.pop() {
                cells[k] = value;
                let (i, j) = (k % nx, k / nx);
                let mut visit = |n: usize| {
                    if !seen[n] && cells[n] != Cell::Mixed {
                        seen[n] = true;
                        stack.push(n);
                    }
                };
                if i > 0 {
                    visit(k - 1);
                }
                if i + 1 < nx {
                    visit(k + 1);
                }
                if j > 0 {
                    visit(k - nx);
                }
                if j + 1 < ny {
                    visit(k + nx);
                }
            }
        }
        cover.cells = cells;
        Ok(cover)
    }

    /// Whether the boundaries have this State.
    pub fn has(&self, iso3: &str) -> bool {
        self.known.contains_key(iso3)
    }

    /// The States whose boundary holds `p`: none at sea or in a place the boundaries do not map,
    /// two on a border line.
    pub fn states_at(&self, p: Coord) -> Vec<&str> {
        self.states_near(p, 0.0)
    }

    /// The States within `metres` of `p` (inside is 0 m).
    pub fn states_near(&self, p: Coord, metres: f64) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .index
            .query_point(p, metres)
            .iter()
            .filter_map(|h| usize::try_from(h.hazard.id).ok())
            .filter_map(|i| self.iso3.get(i))
            .map(String::as_str)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// An index of these States' boundaries only (States the boundaries do not have are left out).
    pub fn subset(&self, states: &BTreeSet<String>) -> Result<StateSet, StoreError> {
        self.subset_of(states.iter().filter_map(|s| self.known.get(s).copied()))
    }

    /// An index of every State's boundary but these.
    pub fn all_but(&self, states: &BTreeSet<String>) -> Result<StateSet, StoreError> {
        self.subset_of(
            self.iso3
                .iter()
                .enumerate()
                .filter(|(_, s)| !states.contains(*s))
                .map(|(n, _)| n),
        )
    }

    fn subset_of(&self, positions: impl Iterator<Item = usize>) -> Result<StateSet, StoreError> {
        let records = positions.filter_map(|n| {
            self.shapes.get(n).map(|shape| HazardRecord {
                id: n as i64,
                status: "open".into(),
                hazard_type: None,
                shape: shape.clone(),
            })
        });
        Ok(StateSet {
            index: HazardIndex::build(records)?,
        })
    }

    /// Whether `g` is within `tolerance_m` metres of the State `iso3`, judged on up to four
    /// vertices spread along each polygon's exterior ring (a hazardous area is small beside a
    /// State's boundary at 1:50m, whose own error is of the order of the tolerance).
    pub fn place(&self, iso3: &str, g: &Geometry, tolerance_m: f64) -> Placement {
        let Some(&n) = self.known.get(iso3) else {
            return Placement::Unknown;
        };
        let mut probes = Vec::new();
        let mut sample = |ring: &[demine_geo::Coord]| {
            let k = ring.len().saturating_sub(1).max(1);
            for i in [0, k / 4, k / 2, 3 * k / 4] {
                if let Some(c) = ring.get(i)
                    && !probes.contains(c)
                {
                    probes.push(*c);
                }
            }
        };
        match g {
            Geometry::Polygon(p) => sample(&p.exterior),
            Geometry::MultiPolygon(ps) => ps.iter().for_each(|p| sample(&p.exterior)),
            other => other.for_each_coord(|c| probes.push(c)),
        }
        let mut near = Vec::new();
        for p in probes {
            // Inside first (cheap), then within the tolerance.
            if self
                .index
                .query_point(p, 0.0)
                .iter()
                .any(|h| h.hazard.id == n as i64)
            {
                continue;
            }
            let hits = self.index.query_point(p, tolerance_m);
            if hits.iter().any(|h| h.hazard.id == n as i64) {
                continue;
            }
            for h in hits {
                if let Some(code) = self.iso3.get(h.hazard.id as usize)
                    && !near.contains(code)
                {
                    near.push(code.clone());
                }
            }
            return Placement::Outside(near);
        }
        Placement::Inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use demine_geo::Coord;

    /// The run-time build skips validation (see [`build`]): validation must accept the bundled
    /// file as it is. Reorienting a ring or dropping a repeated vertex changes no answer of the
    /// index; anything else (a closing vertex added, a split, a merge, a refused ring) would, and
    /// fails this test.
    #[test]
    fn the_bundled_boundaries_validate_unchanged() {
        use demine_geo::FaultKind;
        let c = demine_geo::geojson::read_geojson(NAME, COUNTRIES.as_bytes(), 1)
            .unwrap_or_else(|e| panic!("the bundled boundaries do not validate: {e}"));
        for w in &c.warnings {
            assert!(
                matches!(
                    w.kind,
                    FaultKind::WrongOrientation { .. } | FaultKind::RepeatedVertex { .. }
                ),
                "validation would change the bundled boundaries: {w:?}"
            );
        }
        let parsed = demine_geo::geojson::parse_geojson(NAME, COUNTRIES.as_bytes(), 1).unwrap();
        assert_eq!(parsed.len(), c.features.len());
        assert_eq!(
            get().unwrap().iso3.len(),
            feature_codes().unwrap().iter().flatten().count()
        );
    }

    #[test]
    fn phnom_penh_is_in_cambodia_not_thailand() {
        let b = get().unwrap();
        let p = Geometry::Point(Coord::new(104.92, 11.56));
        assert_eq!(b.place("KHM", &p, 1000.0), Placement::Inside);
        assert!(matches!(b.place("THA", &p, 1000.0), Placement::Outside(v) if v == ["KHM"]));
        assert_eq!(b.place("XXX", &p, 1000.0), Placement::Unknown);
    }

    #[test]
    fn states_at_places() {
        let b = get().unwrap();
        assert_eq!(b.states_at(Coord::new(104.92, 11.56)), ["KHM"]);
        assert_eq!(b.states_at(Coord::new(100.5, 13.75)), ["THA"]);
        // The Gulf of Thailand: no State.
        assert!(b.states_at(Coord::new(102.0, 9.0)).is_empty());
        let khm: BTreeSet<String> = ["KHM".to_string(), "XXX".to_string()].into();
        let set = b.subset(&khm).unwrap();
        assert!(set.contains(Coord::new(104.92, 11.56)));
        assert!(!set.contains(Coord::new(100.5, 13.75)));
        assert!(!set.contains(Coord::new(102.0, 9.0)));
        let places = [
            Coord::new(100.5, 13.75),
            Coord::new(104.92, 11.56),
            Coord::new(102.0, 9.0),
            Coord::new(105.5, 13.0),
        ];
        assert_eq!(
            set.contains_all(&places, 2).unwrap(),
            [false, true, false, true]
        );
        let none = b.subset(&BTreeSet::new()).unwrap();
        assert!(!none.contains(Coord::new(104.92, 11.56)));
        // By Poipet, 1.4 km from the Thai border: Thailand is within 3 km, not within 10 m.
        let others = b.all_but(&khm).unwrap();
        let poipet = Coord::new(102.58, 13.62);
        assert!(set.contains(poipet));
        assert!(others.near(poipet, 3000.0));
        assert!(!others.near(poipet, 10.0));
        assert!(!others.near(Coord::new(104.92, 11.56), 3000.0));
        assert_eq!(
            others
                .near_all(&[poipet, Coord::new(104.92, 11.56)], 3000.0, 2)
                .unwrap(),
            [true, false]
        );
    }

    /// The grid answers exactly what the place-by-place search answers, near borders, coasts and
    /// far from them, one place at a time and in a batch.
    #[test]
    fn cover_grid_agrees_with_the_search() {
        let b = get().unwrap();
        for (states, metres) in [
            (vec!["KHM"], 100.0),
            (vec!["KHM"], 3000.0),
            (vec!["KHM", "THA"], 0.0),
            (vec!["XXX"], 100.0),
        ] {
            let set: BTreeSet<String> = states.iter().map(|s| s.to_string()).collect();
            let cover = b.cover(&set, metres).unwrap();
            let mut places = Vec::new();
            // A lattice over Cambodia and its neighbours, off the grid's own lines.
            for i in 0..300 {
                for j in 0..200 {
                    places.push(Coord::new(
                        101.0 + i as f64 * 0.0237 + 0.00011,
                        9.0 + j as f64 * 0.0313 + 0.00007,
                    ));
                }
            }
            // Exactly on the border (a vertex Cambodia and Thailand share) and beside it.
            places.push(Coord::new(102.5668, 13.6265));
            places.push(Coord::new(102.58, 13.62));
            let batch = cover.covers_all(&places, 2).unwrap();
            let mut covered = 0;
            for (p, got) in places.iter().zip(&batch) {
                let want = cover.exact(*p);
                assert_eq!(*got, want, "{states:?} {metres} m at {p:?}");
                assert_eq!(cover.covers(*p), want, "{states:?} {metres} m at {p:?}");
                covered += usize::from(want);
            }
            if states == ["XXX"] {
                assert_eq!(covered, 0);
            } else {
                assert!(covered > 1000, "{states:?}: {covered}");
            }
        }
    }
}
