//! Shapes as stored (WKB plus a radius for circles), the remaining geometry after land release,
//! and the decoding of the rows that feed the safety check's index.

use demine_geo::{Geometry, HazardRecord, HazardShape, Polygon};

use super::StoredActivity;
use crate::StoreError;

/// Land release over an area's stored activities.
pub(crate) fn compute_release(
    shape: &HazardShape,
    acts: &[StoredActivity],
) -> demine_geo::ops::Released {
    let recorded = demine_geo::ops::shape_polygons(shape);
    let list: Vec<_> = acts
        .iter()
        .map(|a| {
            (
                a.activity.kind,
                demine_geo::ops::geometry_polygons(&a.perimeter),
            )
        })
        .collect();
    demine_geo::ops::release(&recorded, &list)
}

/// The bounding box the store indexes for a shape (a circle's includes its radius).
pub(crate) fn shape_bbox(shape: &HazardShape) -> demine_geo::Bbox {
    match shape {
        HazardShape::Circle { center, radius_m } => {
            let (dx, dy) = demine_geo::degree_margins(center.lat, *radius_m);
            demine_geo::Bbox {
                min_lon: center.lon - dx,
                min_lat: center.lat - dy,
                max_lon: center.lon + dx,
                max_lat: center.lat + dy,
            }
        }
        s => s.to_geometry().bbox().unwrap_or(demine_geo::Bbox {
            min_lon: 0.0,
            min_lat: 0.0,
            max_lon: 0.0,
            max_lat: 0.0,
        }),
    }
}

/// Splits a shape into (WKB of its geometry, radius for a circle).
pub(crate) fn shape_parts(shape: &HazardShape) -> (Vec<u8>, Option<f64>) {
    let radius = match shape {
        HazardShape::Circle { radius_m, .. } => Some(*radius_m),
        _ => None,
    };
    (demine_geo::encode_wkb(&shape.to_geometry()), radius)
}

/// What a new area's row and audit entry need that depends on the area alone: computed for a
/// batch of areas at once, on several threads ([`insert_parts`]).
#[derive(Debug)]
pub(crate) struct InsertParts {
    /// The geometry's WKB.
    pub wkb: Vec<u8>,
    /// A circle's radius.
    pub radius: Option<f64>,
    /// The box the R*Tree indexes.
    pub bbox: demine_geo::Bbox,
    /// The measured ellipsoidal area ([`shape_area_m2`]).
    pub area_m2: f64,
    /// The audit entry's JSON ([`super::audit_json`]).
    pub audit: String,
}

/// The [`InsertParts`] of each area, in order, for a first version stamped `stamp`. Large
/// batches are shared among the available cores; a worker thread that fails fails the whole
/// batch ([`demine_geo::GeoError::Worker`]): no area is written without its parts.
pub(crate) fn insert_parts(
    areas: &[&super::NewArea],
    stamp: &super::Stamp<'_>,
) -> Result<Vec<InsertParts>, StoreError> {
    let one = |a: &super::NewArea| {
        let (wkb, radius) = shape_parts(&a.shape);
        InsertParts {
            audit: super::audit_json(&a.area, &wkb, radius, stamp),
            bbox: shape_bbox(&a.shape),
            area_m2: shape_area_m2(&a.shape),
            wkb,
            radius,
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    // Below this many areas a thread costs more than it saves.
    const PER_THREAD_MIN: usize = 64;
    if threads < 2 || areas.len() < 2 * PER_THREAD_MIN {
        return Ok(areas.iter().map(|a| one(a)).collect());
    }
    let per = areas.len().div_ceil(threads).max(PER_THREAD_MIN);
    let parts: Vec<Result<Vec<InsertParts>, StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = areas
            .chunks(per)
            .map(|chunk| s.spawn(move || chunk.iter().map(|a| one(a)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .enumerate()
            .map(|(k, h)| {
                h.join().map_err(|_| {
                    StoreError::Geo(demine_geo::GeoError::Worker {
                        task: "preparing the areas to insert".into(),
                        worker: k,
                        message: "the thread panicked".into(),
                    })
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(areas.len());
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

/// Sorts boxes so that boxes near each other come together: by the Z-order (Morton) key of
/// their centres on a 65,536 x 65,536 grid of the world, then by id. The R*Tree's content does
/// not depend on the order its rows are inserted in; its insertions are cheaper in this one.
pub(crate) fn near_first(boxes: &mut [(i64, demine_geo::Bbox)]) {
    fn cell(v: f64, min: f64, span: f64) -> u64 {
        let t = ((v - min) / span).clamp(0.0, 1.0);
        // In 0..=65535; a NaN (no box has one) goes to 0.
        ((t * 65535.0) as u64).min(65535)
    }
    fn spread(mut v: u64) -> u64 {
        v &= 0xffff;
        v = (v | (v << 8)) & 0x00ff_00ff;
        v = (v | (v << 4)) & 0x0f0f_0f0f;
        v = (v | (v << 2)) & 0x3333_3333;
        (v | (v << 1)) & 0x5555_5555
    }
    let key = |b: &demine_geo::Bbox| {
        let x = cell((b.min_lon + b.max_lon) / 2.0, -180.0, 360.0);
        let y = cell((b.min_lat + b.max_lat) / 2.0, -90.0, 180.0);
        spread(x) | (spread(y) << 1)
    };
    boxes.sort_by_cached_key(|(id, b)| (key(b), *id));
}

/// The recorded ellipsoidal area of a shape in m², measured as the release accounting measures
/// it; stored beside the geometry (`hazard_areas.area_m2`) by every write of a geometry.
pub(crate) fn shape_area_m2(shape: &HazardShape) -> f64 {
    demine_geo::ops::area_m2(&demine_geo::ops::shape_polygons(shape))
}

/// The shape back from WKB and radius.
pub(crate) fn shape_from(
    id: i64,
    wkb: &[u8],
    radius: Option<f64>,
) -> Result<HazardShape, StoreError> {
    let g = demine_geo::decode_wkb(wkb).map_err(|e| StoreError::Corrupt {
        table: "hazard_areas".into(),
        reason: format!("area {id}: {e}"),
    })?;
    HazardShape::from_geometry(g, radius).map_err(|g| StoreError::Corrupt {
        table: "hazard_areas".into(),
        reason: format!("area {id}: a {} cannot be a hazardous area", g.type_name()),
    })
}

/// Below this many m², what remains of an area is overlay dust, not a hazard.
pub(crate) const DUST_M2: f64 = demine_core::hazard::DUST_M2;

/// The remaining geometry as stored: empty when only dust remains.
pub(crate) fn stored_remaining(remaining: Vec<Polygon>, remaining_m2: f64) -> Geometry {
    if remaining_m2 < DUST_M2 {
        Geometry::MultiPolygon(Vec::new())
    } else {
        demine_geo::ops::polygons_geometry(remaining)
    }
}

/// Polygons of a perimeter geometry, or an error naming what is wrong with it.
pub(crate) fn perimeter_polygons(g: &Geometry) -> Result<Vec<Polygon>, StoreError> {
    let ps = demine_geo::ops::geometry_polygons(g);
    if ps.is_empty() {
        return Err(StoreError::Invalid {
            file: "activity".into(),
            line: 0,
            column: "perimeter".into(),
            reason: format!(
                "a perimeter must be a Polygon or MultiPolygon, not a {}",
                g.type_name()
            ),
        });
    }
    Ok(ps)
}

/// A row of the index query: id, status, type, WKB, radius.
pub(crate) type IndexRow = (i64, String, Option<String>, Vec<u8>, Option<f64>);

/// Decodes rows for the index on `threads` threads.
pub(crate) fn decode_index_rows(
    rows: Vec<IndexRow>,
    threads: usize,
) -> Result<Vec<HazardRecord>, StoreError> {
    let one = |(id, status, hazard_type, wkb, radius): IndexRow| {
        shape_from(id, &wkb, radius).map(|shape| HazardRecord {
            id,
            status,
            hazard_type,
            shape,
        })
    };
    let threads = threads.max(1);
    if threads == 1 || rows.len() < 4096 {
        return rows.into_iter().map(one).collect();
    }
    let chunk = rows.len().div_ceil(threads);
    let mut parts: Vec<Vec<_>> = Vec::new();
    let mut rows = rows;
    while rows.len() > chunk {
        let rest = rows.split_off(rows.len() - chunk);
        parts.push(rest);
    }
    parts.push(rows);
    parts.reverse();
    let results: Vec<Result<Vec<HazardRecord>, StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|p| s.spawn(move || p.into_iter().map(one).collect::<Result<Vec<_>, _>>()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(StoreError::Corrupt {
                        table: "hazard_areas".into(),
                        reason: "a decoding thread failed".into(),
                    })
                })
            })
            .collect()
    });
    let mut out = Vec::new();
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}
