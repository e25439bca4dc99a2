//! The safety check's hazard index over the store: shared across requests and rebuilt when the
//! data version moved; or, for a process that checks a few places once, built from the areas
//! near them only.

use std::sync::Arc;

use demine_geo::geodesy::degree_margins;
use demine_geo::{Bbox, Geometry};
use demine_store::{AnyStore, HazardStore, Head};
use tokio::sync::Mutex;

use crate::{AppError, Checker};

/// The shared index and the data version it was built at.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    current: Mutex<Option<(Head, Arc<Checker>)>>,
}

impl Shared {
    /// The checker for the store's current data version: the one held when the version did not
    /// move, else a new one (one builder at a time; the others wait for it and share it).
    pub(crate) async fn get(
        &self,
        store: &AnyStore,
        threads: usize,
    ) -> Result<Arc<Checker>, AppError> {
        let mut cur = self.current.lock().await;
        let version = store.data_version().await?;
        if let Some((v, c)) = cur.as_ref()
            && *v == version
        {
            return Ok(c.clone());
        }
        let checker = Arc::new(build(store, threads).await?);
        // The version read before the build: a write during the build moves it again, and the
        // next check rebuilds (never the other way round: a stale index is never kept as new).
        *cur = Some((version, checker.clone()));
        Ok(checker)
    }

    /// A write was made through this app: forget the index (the next check rebuilds it).
    pub(crate) fn written(&self) {
        if let Ok(mut cur) = self.current.try_lock() {
            *cur = None;
        }
    }
}

/// Builds the checker from every hazard of the store and what the store covers.
pub(crate) async fn build(store: &AnyStore, threads: usize) -> Result<Checker, AppError> {
    // The two reads run side by side (the coverage's are small aggregates).
    let (records, cover) = tokio::join!(
        store.index_records(threads),
        demine_store::coverage::hazard_coverage(store)
    );
    Checker::from_store(records?, cover?)
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
