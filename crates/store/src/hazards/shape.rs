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
