//! Hazardous areas, their versions, land release activities and custom fields: the [`HazardStore`]
//! trait, implemented for both backends by [`hazard_backend!`] (SQLite: WKB blobs and an R*Tree
//! of bounding boxes; PostgreSQL: PostGIS geometry columns with GiST indexes, written with
//! `ST_GeomFromWKB` and read with `ST_AsBinary`). Every change also goes into the audit chain.

mod audit;
mod dump;
mod merge;
pub(crate) mod packed;
mod shape;
mod sql;
mod types;

use std::future::Future;

use demine_core::hazard::{Accounting, Activity, CustomField, VersionStatus};
use demine_geo::{Geometry, HazardRecord};

use crate::{Progress, StoreError};

pub(crate) use audit::{BBOX_TABLE, Stamp, activity_json, audit_json, verify_hazards};
pub(crate) use dump::{DUMP_TABLES, DumpCol, RESTORE_CLEARS, hex, unhex};
pub(crate) use merge::merge_import;
pub(crate) use shape::{
    IndexRow, compute_release, decode_index_rows, insert_parts, near_first, perimeter_polygons,
    shape_area_m2, shape_bbox, shape_from, shape_parts, stored_remaining,
};
pub(crate) use sql::{AREA_BATCH, AREA_INSERT_COLUMNS, AREA_INSERT_N, hazard_backend};
pub use types::{
    AreaFilter, AreaVersion, HazardImportReport, MAX_AREA_ID, NewArea, StoredActivity, StoredArea,
};

/// Persistence of hazardous areas and land release.
pub trait HazardStore: Send + Sync {
    /// Imports areas in one transaction. An area without an id (`id_given` false) is a new area
    /// with a new id from the store (one more than the largest id stored or in the import); an
    /// area with an id not stored is inserted with that id; an existing id becomes a new version
    /// of that area (the previous version is kept) unless nothing changed. For an existing area,
    /// attributes the import leaves empty keep their current values. Ids outside 1..=
    /// [`MAX_AREA_ID`], duplicate ids, a State (ISO3) the registry does not have, or a refused
    /// row leave the database exactly as it was. The report lists the ids inserted, updated and
    /// left unchanged.
    fn import_areas(
        &self,
        areas: &[NewArea],
        actor: &str,
        progress: Progress<'_>,
    ) -> impl Future<Output = Result<HazardImportReport, StoreError>> + Send;

    /// What [`HazardStore::import_areas`] would do, with the same checks, writing nothing (the
    /// import runs in a transaction that is rolled back): a dry run.
    fn plan_import(
        &self,
        areas: &[NewArea],
        actor: &str,
    ) -> impl Future<Output = Result<HazardImportReport, StoreError>> + Send;

    /// Changes one area (a new version, the previous kept), as a draft or approved.
    fn update_area(
        &self,
        area: &NewArea,
        status: VersionStatus,
        actor: &str,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Approves the current version of an area.
    fn approve_area(
        &self,
        id: i64,
        actor: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// One area.
    fn area(&self, id: i64) -> impl Future<Output = Result<Option<StoredArea>, StoreError>> + Send;

    /// Areas matching the filter, by id.
    fn areas(
        &self,
        filter: &AreaFilter,
    ) -> impl Future<Output = Result<Vec<StoredArea>, StoreError>> + Send;

    /// Every version of an area, oldest first, the current one last.
    fn history(&self, id: i64)
    -> impl Future<Output = Result<Vec<AreaVersion>, StoreError>> + Send;

    /// Records land release activities, each on its area with its perimeter and devices found,
    /// in one transaction (all or none), in order; updates each area's remaining geometry.
    fn record_activities(
        &self,
        list: &[(Activity, Geometry)],
        actor: &str,
    ) -> impl Future<Output = Result<Vec<StoredActivity>, StoreError>> + Send;

    /// What [`HazardStore::record_activities`] would record (the same checks, scope and
    /// released areas), in a transaction rolled back: nothing is written.
    fn plan_activities(
        &self,
        list: &[(Activity, Geometry)],
        actor: &str,
    ) -> impl Future<Output = Result<Vec<StoredActivity>, StoreError>> + Send;

    /// Records one activity (see [`HazardStore::record_activities`]).
    fn record_activity(
        &self,
        activity: &Activity,
        perimeter: &Geometry,
        actor: &str,
    ) -> impl Future<Output = Result<StoredActivity, StoreError>> + Send {
        async move {
            let list = [(activity.clone(), perimeter.clone())];
            let mut v = self.record_activities(&list, actor).await?;
            v.pop().ok_or_else(|| StoreError::Corrupt {
                table: "release_activities".into(),
                reason: "the activity was not returned".into(),
            })
        }
    }

    /// The activities on an area, in the order they were recorded.
    fn activities(
        &self,
        area_id: i64,
    ) -> impl Future<Output = Result<Vec<StoredActivity>, StoreError>> + Send;

    /// Defines (or redefines) a custom field for a State's areas.
    fn define_field(
        &self,
        field: &CustomField,
        actor: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A State's custom fields.
    fn fields(
        &self,
        iso3: &str,
    ) -> impl Future<Output = Result<Vec<CustomField>, StoreError>> + Send;

    /// What the safety check needs, fast: every area the hazard rule keeps
    /// (`demine_core::hazard::hazard_sql_filter`), as its remaining geometry (the recorded one
    /// while nothing was released), by id. One query; the WKB is decoded on `threads` threads.
    fn index_records(
        &self,
        threads: usize,
    ) -> impl Future<Output = Result<Vec<HazardRecord>, StoreError>> + Send;

    /// The hazard data in totals, for analytics and reports (one State's, or all): areas by
    /// State, hazard type, admin area and device list with what still counts as a hazard;
    /// land released by State, year and kind; devices found and destroyed by State, year and
    /// category. Aggregated in SQL (a million activities come back as a few hundred rows); no
    /// coordinates, so any access level may read it. Without a State, the land release and the
    /// devices come as world totals (`iso3` None): what the world report needs, without looking
    /// up every activity's area.
    fn hazard_totals(
        &self,
        iso3: Option<&str>,
    ) -> impl Future<Output = Result<demine_analytics::HazardTotals, StoreError>> + Send;
    /// [`HazardStore::index_records`] for the areas whose bounding box meets one of `boxes`
    /// (through the SQLite R*Tree or the PostGIS GiST index): what a check of a few places needs.
    fn index_records_near(
        &self,
        boxes: &[demine_geo::Bbox],
        threads: usize,
    ) -> impl Future<Output = Result<Vec<HazardRecord>, StoreError>> + Send;

    /// [`HazardStore::index_records`] and the hazard data version ([`HazardVersion`]), read in
    /// one snapshot: from the packed cache (`hazard_index_cache`) when it was made at this version and its SHA-256
    /// matches, else from the areas row by row, after which a handle that may write stores the
    /// packed form for the next reader (a cache, not a fact: no audit entry, the version does not
    /// move). A stale or damaged cache is never used.
    fn index_records_cached(
        &self,
        threads: usize,
    ) -> impl Future<Output = Result<IndexLoad, StoreError>> + Send;
}

/// The version of the hazard data alone (the `hazard_version` row): bumped, in the same
/// transaction, by every insert, update or delete of a hazardous area, whoever makes it (database
/// triggers, on both backends), and by nothing else (accounts, field reports and the registry
/// leave it). Two reads that return the same version saw the same areas; `token` is drawn at
/// random on every change, so a count that comes back (a database restored from a copy and
/// written again) does not bring back a version seen before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HazardVersion {
    /// How many changes the areas have seen (statements on PostgreSQL, rows on SQLite).
    pub n: i64,
    /// Random, drawn anew with every change.
    pub token: i64,
}

/// The safety check's hazard records with the data version they were read at
/// ([`HazardStore::index_records_cached`]).
#[derive(Debug, Clone)]
pub struct IndexLoad {
    /// What [`HazardStore::index_records`] returns, at `version`.
    pub records: Vec<HazardRecord>,
    /// The hazard data version the records were read at, in the same snapshot.
    pub version: HazardVersion,
    /// Whether they came from the packed cache (else from the areas, row by row).
    pub from_cache: bool,
    /// Whether the packed cache was written (it was missing, stale or damaged, and the handle
    /// may write).
    pub cache_written: bool,
}

/// The accounting of one area from what is stored: recorded = cancelled + reduced + cleared +
/// remaining, on the WGS84 ellipsoid.
pub async fn accounting<S: HazardStore>(store: &S, id: i64) -> Result<Accounting, StoreError> {
    let area = store.area(id).await?.ok_or_else(|| StoreError::NotFound {
        what: format!("hazardous area {id}"),
    })?;
    let acts = store.activities(id).await?;
    Ok(compute_release(&area.shape, &acts).accounting)
}

macro_rules! any_delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            crate::AnyStore::Sqlite($s) => $e.await,
            crate::AnyStore::Postgres($s) => $e.await,
        }
    };
}

impl HazardStore for crate::AnyStore {
    async fn import_areas(
        &self,
        areas: &[NewArea],
        actor: &str,
        progress: Progress<'_>,
    ) -> Result<HazardImportReport, StoreError> {
        any_delegate!(self, s => s.import_areas(areas, actor, progress))
    }

    async fn plan_import(
        &self,
        areas: &[NewArea],
        actor: &str,
    ) -> Result<HazardImportReport, StoreError> {
        any_delegate!(self, s => s.plan_import(areas, actor))
    }

    async fn update_area(
        &self,
        area: &NewArea,
        status: VersionStatus,
        actor: &str,
    ) -> Result<i64, StoreError> {
        any_delegate!(self, s => s.update_area(area, status, actor))
    }

    async fn approve_area(&self, id: i64, actor: &str) -> Result<(), StoreError> {
        any_delegate!(self, s => s.approve_area(id, actor))
    }

    async fn area(&self, id: i64) -> Result<Option<StoredArea>, StoreError> {
        any_delegate!(self, s => s.area(id))
    }

    async fn areas(&self, filter: &AreaFilter) -> Result<Vec<StoredArea>, StoreError> {
        any_delegate!(self, s => s.areas(filter))
    }

    async fn history(&self, id: i64) -> Result<Vec<AreaVersion>, StoreError> {
        any_delegate!(self, s => s.history(id))
    }

    async fn record_activities(
        &self,
        list: &[(Activity, Geometry)],
        actor: &str,
    ) -> Result<Vec<StoredActivity>, StoreError> {
        any_delegate!(self, s => s.record_activities(list, actor))
    }

    async fn plan_activities(
        &self,
        list: &[(Activity, Geometry)],
        actor: &str,
    ) -> Result<Vec<StoredActivity>, StoreError> {
        any_delegate!(self, s => s.plan_activities(list, actor))
    }

    async fn activities(&self, area_id: i64) -> Result<Vec<StoredActivity>, StoreError> {
        any_delegate!(self, s => s.activities(area_id))
    }

    async fn define_field(&self, field: &CustomField, actor: &str) -> Result<(), StoreError> {
        any_delegate!(self, s => s.define_field(field, actor))
    }

    async fn fields(&self, iso3: &str) -> Result<Vec<CustomField>, StoreError> {
        any_delegate!(self, s => s.fields(iso3))
    }

    async fn hazard_totals(
        &self,
        iso3: Option<&str>,
    ) -> Result<demine_analytics::HazardTotals, StoreError> {
        any_delegate!(self, s => s.hazard_totals(iso3))
    }

    async fn index_records(&self, threads: usize) -> Result<Vec<HazardRecord>, StoreError> {
        any_delegate!(self, s => s.index_records(threads))
    }

    async fn index_records_near(
        &self,
        boxes: &[demine_geo::Bbox],
        threads: usize,
    ) -> Result<Vec<HazardRecord>, StoreError> {
        any_delegate!(self, s => s.index_records_near(boxes, threads))
    }

    async fn index_records_cached(&self, threads: usize) -> Result<IndexLoad, StoreError> {
        any_delegate!(self, s => s.index_records_cached(threads))
    }
}
