//! The safety check's hazard index over the store: shared across requests and rebuilt when the
//! hazard data version moved; or, for a process that checks a few places once, built from the
//! areas near them only.
//!
//! Why a shared index never answers from data older than a committed hazard write (the argument
//! in full is in docs/ARCHITECTURE.md, "The shared hazard index"):
//! - the store's hazard version ([`HazardVersion`]) moves in the same transaction as every write
//!   of an area, whoever makes it, and two reads that see the same version saw the same areas;
//! - every check reads the version with a read that *started after the check did* (its own, or
//!   one shared with the checks that arrived before it started, [`VersionReads`]), so it sees
//!   every write committed before the check began;
//! - the index in use is served only when it was built at exactly that version; otherwise the
//!   check waits for a build whose records were read at a version read after that.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use demine_geo::geodesy::degree_margins;
use demine_geo::{Bbox, Geometry};
use demine_store::{AnyStore, HazardStore, HazardVersion};
use tokio::sync::watch;

use crate::{AppError, Checker};

/// How many times a build is tried when the hazard data changes while it reads (the records and
/// the coverage must come from one version) before the check gives up with an error.
const BUILD_TRIES: usize = 5;

/// The shared index and the hazard data version it was built at.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// The index in use: an `Arc` swapped whole, the lock held only to clone or replace it.
    current: RwLock<Option<(HazardVersion, Arc<Checker>)>>,
    /// Held by the one task that rebuilds; checks that need a new version wait for it.
    building: tokio::sync::Mutex<()>,
    /// The version reads shared by concurrent checks.
    reads: VersionReads,
    /// How many times the index was built (for the tests and the logs).
    builds: AtomicU64,
}

impl Shared {
    /// The checker for the store's current hazard data version: the one in use when it was
    /// built at that version (no waiting, no lock held across a read), else a new one (one
    /// builder at a time; the others that need it wait and share it).
    pub(crate) async fn get(
        &self,
        store: &AnyStore,
        threads: usize,
    ) -> Result<Arc<Checker>, AppError> {
        let now = self.reads.read(store).await?;
        if let Some(c) = self.at(now) {
            return Ok(c);
        }
        let _building = self.building.lock().await;
        // Another task may have built it while this one waited: a fresh read (started after
        // the wait ended) tells whether what it built is current.
        let now = self.reads.read(store).await?;
        if let Some(c) = self.at(now) {
            return Ok(c);
        }
        let (checker, version) = build(store, threads).await?;
        self.builds.fetch_add(1, Ordering::Relaxed);
        let checker = Arc::new(checker);
        // Keyed by the version the records and coverage were read at (a version read after
        // `now`): a write during the build moved it again, and the next check rebuilds.
        if let Ok(mut cur) = self.current.write() {
            *cur = Some((version, checker.clone()));
        }
        Ok(checker)
    }

    /// The index in use if it was built at `version`.
    fn at(&self, version: HazardVersion) -> Option<Arc<Checker>> {
        let cur = self.current.read().ok()?;
        match cur.as_ref() {
            Some((v, c)) if *v == version => Some(c.clone()),
            _ => None,
        }
    }

    /// How many times the index was built.
    pub(crate) fn builds(&self) -> u64 {
        self.builds.load(Ordering::Relaxed)
    }
}

/// Reads of the hazard data version shared by the checks that wait for them: a check is
/// answered by a read that started after the check arrived (so it sees every write committed
/// before), but the checks that arrive while one read runs share the next one instead of
/// making one each. One read runs at a time; it runs in its own task, so a check that is
/// cancelled (its client went away) does not leave the others waiting.
#[derive(Debug)]
struct VersionReads {
    state: Arc<Mutex<ReadState>>,
    done: Arc<watch::Sender<u64>>,
}

#[derive(Debug, Default)]
struct ReadState {
    /// Reads started so far; a read's number is the count when it started.
    started: u64,
    /// Whether a read runs now.
    running: bool,
    /// The last read that ended: its number and version (None: it failed).
    last: Option<(u64, Option<HazardVersion>)>,
}

impl Default for VersionReads {
    fn default() -> Self {
        VersionReads {
            state: Arc::default(),
            done: Arc::new(watch::Sender::new(0)),
        }
    }
}

impl VersionReads {
    /// The hazard data version, from a read that started after this call.
    async fn read(&self, store: &AnyStore) -> Result<HazardVersion, AppError> {
        // Any read numbered above the count now started after this call.
        let need = self.state.lock().map(|s| s.started + 1).ok();
        let Some(need) = need else {
            return Ok(store.hazard_version().await?);
        };
        loop {
            let mut done = {
                let Ok(mut s) = self.state.lock() else { break };
                match s.last {
                    Some((n, Some(v))) if n >= need => return Ok(v),
                    // The shared read failed: this check reads for itself (and reports why).
                    Some((n, None)) if n >= need => break,
                    _ => {}
                }
                if !s.running {
                    s.running = true;
                    s.started += 1;
                    let n = s.started;
                    let (state, tx, store) = (self.state.clone(), self.done.clone(), store.clone());
                    tokio::spawn(async move {
                        let v = store.hazard_version().await.ok();
                        if let Ok(mut s) = state.lock() {
                            s.running = false;
                            s.last = Some((n, v));
                        }
                        tx.send_replace(n);
                    });
                }
                // Subscribed under the lock: the read's end, announced after it, is seen.
                self.done.subscribe()
            };
            if done.changed().await.is_err() {
                break;
            }
        }
        Ok(store.hazard_version().await?)
    }
}

/// Builds the checker from every hazard of the store (its packed index when current) and what
/// the store covers; returns it with the hazard data version both were read at. The records
/// and the version come from one snapshot; the coverage is read beside them, so the version is
/// read before and after as well, and the build is made again when a write came in between.
pub(crate) async fn build(
    store: &AnyStore,
    threads: usize,
) -> Result<(Checker, HazardVersion), AppError> {
    for _ in 0..BUILD_TRIES {
        let before = store.hazard_version().await?;
        // The two reads run side by side (the coverage's are small aggregates).
        let (load, cover) = tokio::join!(
            store.index_records_cached(threads),
            demine_store::coverage::hazard_coverage(store)
        );
        let (load, cover) = (load?, cover?);
        let after = store.hazard_version().await?;
        if before == load.version && load.version == after {
            return Ok((Checker::from_store(load.records, cover)?, load.version));
        }
    }
    Err(AppError::Busy(format!(
        "the hazard data changed during each of {BUILD_TRIES} tries to build the safety check's \
         index: try again"
    )))
}

/// The boxes (at most two per geometry: split at the antimeridian) that hold every place within
/// `within` metres of the geometries.
pub(crate) fn search_boxes(geoms: &[Geometry], within: f64) -> Vec<Bbox> {
    let mut out = Vec::new();
    for g in geoms {
        let Some(b) = g.bbox() else { continue };
        let far = b.min_lat.abs().max(b.max_lat.abs());
        let (dlon, dlat) = degree_margins(far, within);
        // A little more than asked: the R*Tree's boxes are 32-bit floats, rounded outwards.
        let (dlon, dlat) = (dlon + 1e-5, dlat + 1e-5);
        let min_lat = (b.min_lat - dlat).max(-90.0);
        let max_lat = (b.max_lat + dlat).min(90.0);
        let (west, east) = (b.min_lon - dlon, b.max_lon + dlon);
        if east - west >= 360.0 {
            out.push(Bbox {
                min_lon: -180.0,
                min_lat,
                max_lon: 180.0,
                max_lat,
            });
            continue;
        }
        let lat_box = |min_lon: f64, max_lon: f64| Bbox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        };
        out.push(lat_box(west.max(-180.0), east.min(180.0)));
        if west < -180.0 {
            out.push(lat_box(west + 360.0, 180.0));
        }
        if east > 180.0 {
            out.push(lat_box(-180.0, east - 360.0));
        }
    }
    out
}

/// A checker over the hazards near the geometries only (read through the store's box index),
/// with the store's full coverage.
pub(crate) async fn nearby(
    store: &AnyStore,
    geoms: &[Geometry],
    within: f64,
) -> Result<Checker, AppError> {
    let boxes = search_boxes(geoms, within);
    let (records, cover) = tokio::join!(
        store.index_records_near(&boxes, 1),
        demine_store::coverage::hazard_coverage(store)
    );
    Checker::from_store(records?, cover?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use demine_geo::Coord;

    #[test]
    fn boxes_near_the_antimeridian_wrap_round() {
        let b = search_boxes(&[Geometry::Point(Coord::new(179.9999, 0.0))], 1000.0);
        assert_eq!(b.len(), 2, "{b:?}");
        assert!(
            b.iter()
                .any(|x| x.min_lon <= -179.99 && x.max_lon >= -180.0)
        );
        let one = search_boxes(&[Geometry::Point(Coord::new(10.0, 10.0))], 1000.0);
        assert_eq!(one.len(), 1);
        // 1 km is about 0.009 degrees of latitude: the box holds it, with a small margin.
        assert!(
            one[0].max_lat > 10.009 && one[0].max_lat < 10.0095,
            "{one:?}"
        );
    }

    #[test]
    fn near_a_pole_every_longitude_is_searched() {
        let b = search_boxes(&[Geometry::Point(Coord::new(0.0, 89.99))], 5000.0);
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].min_lon, b[0].max_lon), (-180.0, 180.0));
    }
}
