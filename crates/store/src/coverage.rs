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
const UNFILED: &str = "(a.iso3 IS NULL OR TRIM(a.iso3) = '')";

/// Reads what the stored hazardous areas cover (three small aggregate queries).
pub async fn hazard_coverage(store: &AnyStore) -> Result<HazardCoverage, StoreError> {
    let states_sql = "SELECT DISTINCT iso3 FROM hazard_areas WHERE iso3 IS NOT NULL";
    let count_sql = "SELECT COUNT(*) FROM hazard_areas";
    let (states, areas, unfiled): (Vec<String>, i64, BoxRow) = match store {
        AnyStore::Sqlite(s) => {
            let p = s.pool();
            // The R*Tree's boxes are rounded outwards to 32-bit floats (a metre or so).
            let box_sql = format!(
                "SELECT MIN(b.min_lon), MIN(b.min_lat), MAX(b.max_lon), MAX(b.max_lat) \
                 FROM hazard_areas a JOIN hazard_area_bbox b ON b.id = a.id WHERE {UNFILED}"
            );
            (
                sqlx::query_scalar(states_sql)
                    .fetch_all(p)
                    .await
                    .map_err(db("reading the States with hazard data"))?,
                sqlx::query_scalar(count_sql)
                    .fetch_one(p)
                    .await
                    .map_err(db("counting the hazardous areas"))?,
                sqlx::query_as(sqlx::AssertSqlSafe(box_sql))
                    .fetch_one(p)
                    .await
                    .map_err(db("reading the extent of areas filed under no State"))?,
            )
        }
        AnyStore::Postgres(s) => {
            let p = s.pool();
            let box_sql = format!(
                "SELECT MIN(ST_XMin(a.geom)), MIN(ST_YMin(a.geom)), MAX(ST_XMax(a.geom)), \
                 MAX(ST_YMax(a.geom)) FROM hazard_areas a WHERE {UNFILED}"
            );
            (
                sqlx::query_scalar(states_sql)
                    .fetch_all(p)
                    .await
                    .map_err(db("reading the States with hazard data"))?,
                sqlx::query_scalar(count_sql)
                    .fetch_one(p)
                    .await
                    .map_err(db("counting the hazardous areas"))?,
                sqlx::query_as(sqlx::AssertSqlSafe(box_sql))
                    .fetch_one(p)
                    .await
                    .map_err(db("reading the extent of areas filed under no State"))?,
            )
        }
    };
    Ok(HazardCoverage {
        states: states
            .iter()
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty())
            .collect(),
        unfiled: to_bbox(unfiled),
        areas: u64::try_from(areas).unwrap_or(0),
    })
}
