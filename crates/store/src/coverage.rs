//! What the stored hazard data covers, for the safety check's "no hazard data here".
//!
//! "Safe" may only be said about a place the data covers. The store covers:
//! - every State under which at least one hazardous area is filed, whatever its status (a State
//!   whose areas are all released is covered: its land was surveyed); the place's State comes
//!   from the bundled boundaries ([`crate::boundaries`]);
//! - for areas filed under no State, the box around all of them (see `docs/hazards.md`), which
//!   the check widens by its distance.
//!
//! A State with no area filed, and a place in no State (at sea, unmapped), are not covered.

use std::collections::BTreeSet;

use demine_geo::Bbox;

use crate::error::db;
use crate::{AnyStore, StoreError};

/// What the stored hazardous areas cover.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HazardCoverage {
    /// The States (ISO3, upper case) with at least one area filed under them, any status.
    pub states: BTreeSet<String>,
    /// The box around every area filed under no State, if there is one.
    pub unfiled: Option<Bbox>,
    /// How many areas are stored, any status.
    pub areas: u64,
}

type BoxRow = (Option<f64>, Option<f64>, Option<f64>, Option<f64>);

fn to_bbox(r: BoxRow) -> Option<Bbox> {
    match r {
        (Some(min_lon), Some(min_lat), Some(max_lon), Some(max_lat)) => Some(Bbox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        }),
        _ => None,
    }
}

/// The box around every cell of a SQLite R*Tree's root node (`hazard_area_bbox_node`, node 1): a
/// 2-byte depth, a 2-byte cell count, then per cell an 8-byte id and the box as 32-bit floats
/// (min_lon, max_lon, min_lat, max_lat), all big-endian. None for an empty or malformed node (the
/// caller then scans the boxes).
fn rtree_root_extent(data: &[u8]) -> Option<Bbox> {
    const CELL: usize = 8 + 4 * 4;
    let count = usize::from(u16::from_be_bytes([*data.get(2)?, *data.get(3)?]));
    if count == 0 || data.len() < 4 + count * CELL {
        return None;
    }
    let f = |at: usize| -> Option<f64> {
        let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        let v = f64::from(f32::from_be_bytes(b));
        v.is_finite().then_some(v)
    };
    let mut out: Option<Bbox> = None;
    for i in 0..count {
        let at = 4 + i * CELL + 8;
        let b = Bbox {
            min_lon: f(at)?,
            max_lon: f(at + 4)?,
            min_lat: f(at + 8)?,
            max_lat: f(at + 12)?,
        };
        if b.min_lon > b.max_lon || b.min_lat > b.max_lat {
            return None;
        }
        match &mut out {
            Some(o) => o.union(&b),
            None => out = Some(b),
        }
    }
    out
}

/// Areas filed under no State: a NULL or blank `iso3`.
const UNFILED: &str = "iso3 IS NULL OR TRIM(iso3) = ''";

/// Reads what the stored hazardous areas cover: the areas per State from the `iso3` index, then
/// the extent of the unfiled ones (from the SQLite R*Tree, or PostGIS's cached boxes), read only
/// when there are any.
pub async fn hazard_coverage(store: &AnyStore) -> Result<HazardCoverage, StoreError> {
    let per_state = "SELECT iso3, COUNT(*) FROM hazard_areas GROUP BY iso3";
    let counts: Vec<(Option<String>, i64)> = match store {
        AnyStore::Sqlite(s) => sqlx::query_as(per_state).fetch_all(s.pool()).await,
        AnyStore::Postgres(s) => sqlx::query_as(per_state).fetch_all(s.pool()).await,
    }
    .map_err(db("reading the States with hazard data"))?;
    let mut cover = HazardCoverage::default();
    let mut unfiled = 0i64;
    for (iso3, n) in counts {
        cover.areas += u64::try_from(n).unwrap_or(0);
        match iso3.map(|s| s.trim().to_ascii_uppercase()) {
            Some(s) if !s.is_empty() => {
                cover.states.insert(s);
            }
            _ => unfiled += n,
        }
    }
    if unfiled == 0 {
        return Ok(cover);
    }
    let all = u64::try_from(unfiled).unwrap_or(0) == cover.areas;
    let row: BoxRow = match store {
        AnyStore::Sqlite(s) => {
            // Every area is unfiled: the extent is the R*Tree root node's (its cells' boxes
            // hold every entry), read in one row instead of a scan of every box.
            if all {
                let root: Option<(Vec<u8>,)> =
                    sqlx::query_as("SELECT data FROM hazard_area_bbox_node WHERE nodeno = 1")
                        .fetch_optional(s.pool())
                        .await
                        .map_err(db("reading the extent of areas filed under no State"))?;
                if let Some(b) = root.and_then(|(d,)| rtree_root_extent(&d)) {
                    cover.unfiled = Some(b);
                    return Ok(cover);
                }
            }
            // The R*Tree's boxes are rounded outwards to 32-bit floats (a metre or so).
            let sql = if all {
                "SELECT MIN(min_lon), MIN(min_lat), MAX(max_lon), MAX(max_lat) \
                 FROM hazard_area_bbox"
                    .to_string()
            } else {
                format!(
                    "SELECT MIN(min_lon), MIN(min_lat), MAX(max_lon), MAX(max_lat) \
                     FROM hazard_area_bbox WHERE id IN (SELECT id FROM hazard_areas WHERE {UNFILED})"
                )
            };
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_one(s.pool())
                .await
        }
        AnyStore::Postgres(s) => {
            let sql = format!(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM \
                 (SELECT ST_Extent(geom)::box3d AS e FROM hazard_areas WHERE {}) AS x",
                if all { "TRUE" } else { UNFILED }
            );
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_one(s.pool())
                .await
        }
    }
    .map_err(db("reading the extent of areas filed under no State"))?;
    cover.unfiled = to_bbox(row);
    Ok(cover)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(id: u64, b: [f32; 4]) -> Vec<u8> {
        let mut v = id.to_be_bytes().to_vec();
        for x in b {
            v.extend_from_slice(&x.to_be_bytes());
        }
        v
    }

    #[test]
    fn the_root_node_gives_the_extent_of_its_cells() {
        let mut node = vec![0, 2, 0, 2];
        node.extend(cell(7, [102.5, 103.0, 10.5, 11.0]));
        node.extend(cell(9, [104.0, 107.5, 12.0, 14.5]));
        let b = rtree_root_extent(&node).unwrap();
        assert_eq!(
            (b.min_lon, b.max_lon, b.min_lat, b.max_lat),
            (102.5, 107.5, 10.5, 14.5)
        );
        // Empty, truncated or inverted nodes are not trusted.
        assert!(rtree_root_extent(&[0, 0, 0, 0]).is_none());
        assert!(rtree_root_extent(&node[..node.len() - 1]).is_none());
        let mut bad = vec![0, 0, 0, 1];
        bad.extend(cell(1, [105.0, 104.0, 10.0, 11.0]));
        assert!(rtree_root_extent(&bad).is_none());
    }
}
