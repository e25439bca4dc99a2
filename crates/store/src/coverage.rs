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
