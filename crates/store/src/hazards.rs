//! Hazardous areas, their versions, land release activities and custom fields: the [`HazardStore`]
//! trait, implemented for both backends by [`hazard_backend!`] (SQLite: WKB blobs and an R*Tree
//! of bounding boxes; PostgreSQL: PostGIS geometry columns with GiST indexes, written with
//! `ST_GeomFromWKB` and read with `ST_AsBinary`). Every change also goes into the audit chain.

use std::future::Future;

use demine_core::hazard::{
    Accounting, Activity, AreaStatus, CustomField, HazardArea, VersionStatus,
};
use demine_geo::{Bbox, Geometry, HazardRecord, HazardShape, Polygon};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Progress, StoreError};

/// An area to import: its attributes and its shape (already validated).
#[derive(Debug, Clone, PartialEq)]
pub struct NewArea {
    /// The attributes.
    pub area: HazardArea,
    /// The recorded shape.
    pub shape: HazardShape,
}

/// An area as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredArea {
    /// The attributes.
    pub area: HazardArea,
    /// The recorded shape.
    pub shape: HazardShape,
    /// The recorded shape minus every released perimeter (None while nothing was released).
    pub remaining: Option<Geometry>,
    /// Area of `remaining` in m².
    pub remaining_m2: Option<f64>,
    /// The current version number (from 1).
    pub version: i64,
    /// Whether the current version is a draft or approved.
    pub version_status: VersionStatus,
    /// When the current version was made.
    pub updated_at: String,
    /// Who made it.
    pub updated_by: String,
}

/// One version of an area, superseded or current.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaVersion {
    /// Version number, from 1.
    pub version: i64,
    /// Draft or approved.
    pub version_status: VersionStatus,
    /// When it was made and by whom.
    pub made_at: String,
    /// Who made it.
    pub made_by: String,
    /// When a later version replaced it (None for the current version).
    pub superseded_at: Option<String>,
    /// Who replaced it.
    pub superseded_by: Option<String>,
    /// The attributes as they were.
    pub area: HazardArea,
    /// The geometry as it was (WKT).
    pub geometry_wkt: String,
}

/// A land release activity as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredActivity {
    /// The activity (with its id and devices).
    pub activity: Activity,
    /// Its perimeter.
    pub perimeter: Geometry,
    /// Area of the perimeter in m².
    pub perimeter_m2: f64,
    /// What it released from the area (its perimeter clipped to the land still hazardous then).
    pub released_m2: f64,
    /// When and by whom it was recorded.
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
}

/// Which areas to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AreaFilter {
    /// Only this State's.
    pub iso3: Option<String>,
    /// Only areas with this status.
    pub status: Option<AreaStatus>,
    /// Only areas whose bounding box meets this box.
    pub bbox: Option<Bbox>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HazardImportReport {
    /// Areas in the import.
    pub areas: u64,
    /// New areas.
    pub inserted: u64,
    /// Existing areas that changed (a new version each).
    pub updated: u64,
    /// Existing areas identical to the import.
    pub unchanged: u64,
}

/// Persistence of hazardous areas and land release.
pub trait HazardStore: Send + Sync {
    /// Imports areas in one transaction: a new id is inserted; an existing id becomes a new
    /// version of that area (the previous version is kept) unless nothing changed. For an
    /// existing area, attributes the import leaves empty keep their current values. Duplicate ids
    /// or a refused row leave the database exactly as it was.
    fn import_areas(
        &self,
        areas: &[NewArea],
        actor: &str,
        progress: Progress<'_>,
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

/// What an import of an existing area changes: what the file says. Attributes the file leaves
/// empty (a file has no admin area, organisation, dates, notes, devices or custom values; no
/// State unless one is given) keep their current values.
pub(crate) fn merge_import(cur: &HazardArea, new: &NewArea) -> NewArea {
    let mut a = new.area.clone();
    let keep = |n: &mut Option<String>, c: &Option<String>| {
        if n.is_none() {
            n.clone_from(c);
        }
    };
    keep(&mut a.reference, &cur.reference);
    keep(&mut a.name, &cur.name);
    keep(&mut a.source_status, &cur.source_status);
    keep(&mut a.iso3, &cur.iso3);
    keep(&mut a.admin_area, &cur.admin_area);
    keep(&mut a.organisation, &cur.organisation);
    keep(&mut a.notes, &cur.notes);
    a.reported = a.reported.or(cur.reported);
    a.surveyed = a.surveyed.or(cur.surveyed);
    a.benchmark = a.benchmark.or(cur.benchmark);
    if a.devices.is_empty() {
        a.devices.clone_from(&cur.devices);
    }
    if a.custom.is_empty() {
        a.custom.clone_from(&cur.custom);
    }
    NewArea {
        area: a,
        shape: new.shape.clone(),
    }
}

/// The JSON the audit log keeps for an area: its attributes and a hash of its geometry (the
/// geometry itself is in the table and its versions).
pub(crate) fn audit_json(area: &HazardArea, wkb: &[u8], radius: Option<f64>) -> String {
    let mut v = serde_json::to_value(area).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(m) = &mut v {
        let h: String = Sha256::digest(wkb)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        m.insert("geometry_sha256".into(), h.into());
        if let Some(r) = radius {
            m.insert("radius_m".into(), r.into());
        }
    }
    v.to_string()
}

/// Splits a shape into (WKB of its geometry, radius for a circle).
pub(crate) fn shape_parts(shape: &HazardShape) -> (Vec<u8>, Option<f64>) {
    let radius = match shape {
        HazardShape::Circle { radius_m, .. } => Some(*radius_m),
        _ => None,
    };
    (demine_geo::encode_wkb(&shape.to_geometry()), radius)
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

/// Below this many m², what remains of an area is overlay dust, not a hazard (the hazard rule's).
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

/// How a column of a hazard table is carried in a [`crate::Dump`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DumpCol {
    Int,
    Real,
    Text,
    /// Geometry, as hex WKB.
    Geom,
}

/// The hazard tables in a dump, parents first, with their columns.
pub(crate) const DUMP_TABLES: &[(&str, &[(&str, DumpCol)])] = {
    use DumpCol::{Geom, Int, Real, Text};
    &[
        (
            "custom_fields",
            &[
                ("iso3", Text),
                ("name", Text),
                ("kind", Text),
                ("choices", Text),
            ],
        ),
        (
            "hazard_areas",
            &[
                ("id", Int),
                ("reference", Text),
                ("name", Text),
                ("hazard_type", Text),
                ("status", Text),
                ("source_status", Text),
                ("iso3", Text),
                ("admin_area", Text),
                ("organisation", Text),
                ("reported", Text),
                ("surveyed", Text),
                ("notes", Text),
                ("devices", Text),
                ("benchmark", Text),
                ("custom", Text),
                ("radius_m", Real),
                ("geom", Geom),
                ("remaining", Geom),
                ("remaining_m2", Real),
                ("version", Int),
                ("version_status", Text),
                ("updated_at", Text),
                ("updated_by", Text),
            ],
        ),
        (
            "hazard_area_versions",
            &[
                ("area_id", Int),
                ("version", Int),
                ("version_status", Text),
                ("made_at", Text),
                ("made_by", Text),
                ("superseded_at", Text),
                ("superseded_by", Text),
                ("data", Text),
                ("geom", Geom),
            ],
        ),
        (
            "release_activities",
            &[
                ("id", Int),
                ("area_id", Int),
                ("kind", Text),
                ("start_date", Text),
                ("end_date", Text),
                ("organisation", Text),
                ("method", Text),
                ("depth_cm", Int),
                ("perimeter", Geom),
                ("perimeter_m2", Real),
                ("released_m2", Real),
                ("recorded_at", Text),
                ("recorded_by", Text),
            ],
        ),
        (
            "device_finds",
            &[
                ("id", Int),
                ("activity_id", Int),
                ("category", Text),
                ("model", Text),
                ("lon", Real),
                ("lat", Real),
                ("depth_cm", Int),
                ("condition", Text),
                ("destroyed", Text),
            ],
        ),
    ]
};

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The columns of `hazard_areas` written on insert, in order (the geometry is the 17th).
pub(crate) const AREA_INSERT_COLUMNS: &str = "id, reference, name, hazard_type, status, \
source_status, iso3, admin_area, organisation, reported, surveyed, notes, devices, benchmark, \
custom, radius_m, geom, version, version_status, updated_at, updated_by";

/// Number of columns in [`AREA_INSERT_COLUMNS`].
pub(crate) const AREA_INSERT_N: usize = 21;

/// Areas per multi-row INSERT.
pub(crate) const AREA_BATCH: usize = 24;

/// Audit entries per multi-row INSERT.
pub(crate) const AUDIT_BATCH: usize = 48;

macro_rules! hazard_backend {
    ($store:ident, $db:ty, geom_in = $gin:literal, geom_out = $gout:literal, bbox = $bbox:literal, rtree = $rtree:expr, after_restore = $after:expr) => {
        mod hazard_impl {
            use demine_core::hazard::{
                Activity, ActivityKind, AreaStatus, CustomField, DeviceCategory, DeviceFind,
                FieldKind, HazardArea, HazardType, VersionStatus,
            };
            use demine_geo::{Geometry, HazardRecord};
            use sqlx::Row as _;

            use crate::hazards::{
                AREA_BATCH, AREA_INSERT_COLUMNS, AREA_INSERT_N, AUDIT_BATCH, AreaFilter,
                AreaVersion, HazardImportReport, NewArea, StoredActivity, StoredArea, audit_json,
                shape_from, shape_parts,
            };
            use crate::{AuditEntry, StoreError};

            type Tx = sqlx::Transaction<'static, $db>;
            type Q<'q> = sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>;

            /// `$n` wrapped in the backend's WKB-to-geometry function.
            fn gin(n: usize) -> String {
                $gin.replace('?', &format!("${n}"))
            }

            fn gout(col: &str) -> String {
                $gout.replace('?', col)
            }

            fn db(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
                crate::error::db(what)
            }

            fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
                StoreError::Corrupt {
                    table: what.to_string(),
                    reason: e.to_string(),
                }
            }

            fn now() -> String {
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            }

            fn area_select(cond: &str) -> String {
                format!(
                    "SELECT id, reference, name, hazard_type, status, source_status, iso3, \
                     admin_area, organisation, reported, surveyed, notes, devices, benchmark, \
                     custom, radius_m, {}, {}, remaining_m2, version, version_status, \
                     updated_at, updated_by FROM hazard_areas{cond} ORDER BY id",
                    gout("geom"),
                    gout("remaining")
                )
            }

            fn parse<T: std::str::FromStr>(
                table: &str,
                v: Option<String>,
            ) -> Result<Option<T>, StoreError>
            where
                T::Err: std::fmt::Display,
            {
                v.map(|s| s.parse::<T>().map_err(|e| corrupt(table, e)))
                    .transpose()
            }

            fn json<T: serde::de::DeserializeOwned>(
                table: &str,
                v: Option<String>,
            ) -> Result<Option<T>, StoreError> {
                v.map(|s| serde_json::from_str(&s).map_err(|e| corrupt(table, e)))
                    .transpose()
            }

            fn decode_area(r: &<$db as sqlx::Database>::Row) -> Result<StoredArea, StoreError> {
                let t = "hazard_areas";
                let c = |e: sqlx::Error| corrupt(t, e);
                let id: i64 = r.try_get(0).map_err(c)?;
                let radius: Option<f64> = r.try_get(15).map_err(c)?;
                let wkb: Vec<u8> = r.try_get(16).map_err(c)?;
                let rem: Option<Vec<u8>> = r.try_get(17).map_err(c)?;
                let remaining = rem
                    .map(|b| demine_geo::decode_wkb(&b).map_err(|e| corrupt(t, e)))
                    .transpose()?;
                let area = HazardArea {
                    id,
                    reference: r.try_get(1).map_err(c)?,
                    name: r.try_get(2).map_err(c)?,
                    hazard_type: parse::<HazardType>(t, r.try_get(3).map_err(c)?)?
                        .unwrap_or(HazardType::Sha),
                    status: parse::<AreaStatus>(t, r.try_get(4).map_err(c)?)?
                        .unwrap_or(AreaStatus::Open),
                    source_status: r.try_get(5).map_err(c)?,
                    iso3: r.try_get(6).map_err(c)?,
                    admin_area: r.try_get(7).map_err(c)?,
                    organisation: r.try_get(8).map_err(c)?,
                    reported: parse(t, r.try_get(9).map_err(c)?)?,
                    surveyed: parse(t, r.try_get(10).map_err(c)?)?,
                    notes: r.try_get(11).map_err(c)?,
                    devices: json(t, r.try_get(12).map_err(c)?)?.unwrap_or_default(),
                    benchmark: json(t, r.try_get(13).map_err(c)?)?.flatten(),
                    custom: json(t, r.try_get(14).map_err(c)?)?.unwrap_or_default(),
                };
                Ok(StoredArea {
                    shape: shape_from(id, &wkb, radius)?,
                    area,
                    remaining,
                    remaining_m2: r.try_get(18).map_err(c)?,
                    version: r.try_get(19).map_err(c)?,
                    version_status: parse::<VersionStatus>(t, r.try_get(20).map_err(c)?)?
                        .unwrap_or(VersionStatus::Draft),
                    updated_at: r.try_get(21).map_err(c)?,
                    updated_by: r.try_get(22).map_err(c)?,
                })
            }

            #[allow(clippy::too_many_arguments)]
            fn bind_area<'q>(
                mut q: Q<'q>,
                a: &HazardArea,
                wkb: Vec<u8>,
                radius: Option<f64>,
                version: i64,
                status: VersionStatus,
                at: &str,
                actor: &str,
            ) -> Q<'q> {
                let js = |v: &serde_json::Value| v.to_string();
                q = q
                    .bind(a.id)
                    .bind(a.reference.clone())
                    .bind(a.name.clone())
                    .bind(a.hazard_type.as_str())
                    .bind(a.status.as_str())
                    .bind(a.source_status.clone())
                    .bind(a.iso3.clone())
                    .bind(a.admin_area.clone())
                    .bind(a.organisation.clone())
                    .bind(a.reported.map(|d| d.to_string()))
                    .bind(a.surveyed.map(|d| d.to_string()))
                    .bind(a.notes.clone())
                    .bind(js(&serde_json::json!(a.devices)))
                    .bind(a.benchmark.map(|b| js(&serde_json::json!(b))))
                    .bind(js(&serde_json::json!(a.custom)))
                    .bind(radius)
                    .bind(wkb)
                    .bind(version)
                    .bind(status.as_str())
                    .bind(at.to_string())
                    .bind(actor.to_string());
                q
            }

            fn insert_area_sql(rows: usize) -> String {
                let mut s = format!("INSERT INTO hazard_areas ({AREA_INSERT_COLUMNS}) VALUES ");
                for r in 0..rows {
                    if r > 0 {
                        s.push_str(", ");
                    }
                    s.push('(');
                    for c in 0..AREA_INSERT_N {
                        let n = r * AREA_INSERT_N + c + 1;
                        if c > 0 {
                            s.push_str(", ");
                        }
                        if c == 16 {
                            s.push_str(&gin(n));
                        } else {
                            s.push_str(&format!("${n}"));
                        }
                    }
                    s.push(')');
                }
                s
            }

            fn insert_audit_sql(rows: usize) -> String {
                let mut s = format!(
                    "INSERT INTO audit_log ({}) VALUES ",
                    crate::backend::AUDIT_COLUMNS
                );
                for r in 0..rows {
                    if r > 0 {
                        s.push_str(", ");
                    }
                    let p: Vec<String> = (1..=9).map(|c| format!("${}", r * 9 + c)).collect();
                    s.push_str(&format!("({})", p.join(", ")));
                }
                s
            }

            async fn last_audit(tx: &mut Tx) -> Result<(i64, String), StoreError> {
                let row = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db("reading the last audit entry"))?;
                match row {
                    None => Ok((0, crate::audit::GENESIS.to_string())),
                    Some(r) => Ok((
                        r.try_get(0).map_err(db("reading the last audit entry"))?,
                        r.try_get(1).map_err(db("reading the last audit entry"))?,
                    )),
                }
            }

            async fn write_audit(tx: &mut Tx, entries: &[AuditEntry]) -> Result<(), StoreError> {
                for chunk in entries.chunks(AUDIT_BATCH) {
                    let sql = insert_audit_sql(chunk.len());
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for e in chunk {
                        q = q
                            .bind(e.seq)
                            .bind(e.at.clone())
                            .bind(e.actor.clone())
                            .bind(e.entity.clone())
                            .bind(e.key.clone())
                            .bind(e.before.clone())
                            .bind(e.after.clone())
                            .bind(e.prev_hash.clone())
                            .bind(e.hash.clone());
                    }
                    q.execute(&mut **tx)
                        .await
                        .map_err(db("appending to the audit log"))?;
                }
                Ok(())
            }

            /// Appends one audit entry after the last.
            async fn audit_one(
                tx: &mut Tx,
                actor: &str,
                entity: &str,
                key: &str,
                before: Option<String>,
                after: Option<String>,
            ) -> Result<(), StoreError> {
                let prev = last_audit(tx).await?;
                let e = AuditEntry::next((prev.0, &prev.1), actor, entity, key, before, after);
                write_audit(tx, std::slice::from_ref(&e)).await
            }

            async fn set_bbox(tx: &mut Tx, rows: &[(i64, demine_geo::Bbox)]) -> Result<(), StoreError> {
                let Some(table) = $rtree else { return Ok(()) };
                for chunk in rows.chunks(AREA_BATCH) {
                    let mut s = format!(
                        "INSERT OR REPLACE INTO {table} (id, min_lon, max_lon, min_lat, max_lat) VALUES "
                    );
                    for i in 0..chunk.len() {
                        if i > 0 {
                            s.push_str(", ");
                        }
                        let b = i * 5;
                        s.push_str(&format!(
                            "(${}, ${}, ${}, ${}, ${})",
                            b + 1,
                            b + 2,
                            b + 3,
                            b + 4,
                            b + 5
                        ));
                    }
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(s));
                    for (id, bb) in chunk {
                        q = q
                            .bind(*id)
                            .bind(bb.min_lon)
                            .bind(bb.max_lon)
                            .bind(bb.min_lat)
                            .bind(bb.max_lat);
                    }
                    q.execute(&mut **tx)
                        .await
                        .map_err(db("indexing bounding boxes"))?;
                }
                Ok(())
            }

            fn shape_bbox(shape: &demine_geo::HazardShape) -> demine_geo::Bbox {
                match shape {
                    demine_geo::HazardShape::Circle { center, radius_m } => {
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

            async fn read_area(tx: &mut Tx, id: i64) -> Result<Option<StoredArea>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(area_select(" WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db(format!("reading hazardous area {id}")))?;
                row.map(|r| decode_area(&r)).transpose()
            }

            /// Moves the current version of an area into its history and writes the new one.
            async fn new_version(
                tx: &mut Tx,
                old: &StoredArea,
                new: &NewArea,
                status: VersionStatus,
                actor: &str,
                at: &str,
            ) -> Result<i64, StoreError> {
                let id = old.area.id;
                let (old_wkb, old_radius) = shape_parts(&old.shape);
                let mut data = serde_json::to_value(&old.area).map_err(|e| corrupt("hazard_areas", e))?;
                if let (serde_json::Value::Object(m), Some(r)) = (&mut data, old_radius) {
                    m.insert("radius_m".into(), r.into());
                }
                let sql = format!(
                    "INSERT INTO hazard_area_versions (area_id, version, version_status, made_at, \
                     made_by, superseded_at, superseded_by, data, geom) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, {})",
                    gin(9)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(old.version)
                    .bind(old.version_status.as_str())
                    .bind(old.updated_at.clone())
                    .bind(old.updated_by.clone())
                    .bind(at.to_string())
                    .bind(actor.to_string())
                    .bind(data.to_string())
                    .bind(old_wkb.clone())
                    .execute(&mut **tx)
                    .await
                    .map_err(db(format!("keeping version {} of area {id}", old.version)))?;
                let (wkb, radius) = shape_parts(&new.shape);
                let version = old.version + 1;
                let geometry_changed = wkb != old_wkb || radius != old_radius;
                let sql = format!(
                    "UPDATE hazard_areas SET reference = $2, name = $3, hazard_type = $4, \
                     status = $5, source_status = $6, iso3 = $7, admin_area = $8, \
                     organisation = $9, reported = $10, surveyed = $11, notes = $12, \
                     devices = $13, benchmark = $14, custom = $15, radius_m = $16, geom = {}, \
                     version = $18, version_status = $19, updated_at = $20, updated_by = $21 \
                     WHERE id = $1",
                    gin(17)
                );
                let q = sqlx::query(sqlx::AssertSqlSafe(sql));
                bind_area(q, &new.area, wkb.clone(), radius, version, status, at, actor)
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| StoreError::Invalid {
                        file: "hazardous areas".into(),
                        line: 0,
                        column: format!("area {id}"),
                        reason: format!("the database refused the new version: {e}"),
                    })?;
                if geometry_changed {
                    set_bbox(tx, &[(id, shape_bbox(&new.shape))]).await?;
                    recompute_remaining(tx, id, &new.shape).await?;
                }
                audit_one(
                    tx,
                    actor,
                    "hazard_area",
                    &id.to_string(),
                    Some(audit_json(&old.area, &old_wkb, old_radius)),
                    Some(audit_json(&new.area, &wkb, radius)),
                )
                .await?;
                Ok(version)
            }

            async fn read_activities(tx: &mut Tx, area_id: i64) -> Result<Vec<StoredActivity>, StoreError> {
                let t = "release_activities";
                let sql = format!(
                    "SELECT id, area_id, kind, start_date, end_date, organisation, method, \
                     depth_cm, {}, perimeter_m2, released_m2, recorded_at, recorded_by \
                     FROM release_activities WHERE area_id = $1 ORDER BY id",
                    gout("perimeter")
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(area_id)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db(format!("reading the activities on area {area_id}")))?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let c = |e: sqlx::Error| corrupt(t, e);
                    let wkb: Vec<u8> = r.try_get(8).map_err(c)?;
                    let depth: Option<i64> = r.try_get(7).map_err(c)?;
                    out.push(StoredActivity {
                        activity: Activity {
                            id: r.try_get(0).map_err(c)?,
                            area_id: r.try_get(1).map_err(c)?,
                            kind: parse::<ActivityKind>(t, r.try_get(2).map_err(c)?)?
                                .unwrap_or(ActivityKind::Clearance),
                            start: parse(t, r.try_get(3).map_err(c)?)?
                                .unwrap_or(chrono::NaiveDate::MIN),
                            end: parse(t, r.try_get(4).map_err(c)?)?,
                            organisation: r.try_get(5).map_err(c)?,
                            method: r.try_get(6).map_err(c)?,
                            depth_cm: depth.map(|d| d.clamp(0, u32::MAX as i64) as u32),
                            devices: Vec::new(),
                        },
                        perimeter: demine_geo::decode_wkb(&wkb).map_err(|e| corrupt(t, e))?,
                        perimeter_m2: r.try_get(9).map_err(c)?,
                        released_m2: r.try_get(10).map_err(c)?,
                        recorded_at: r.try_get(11).map_err(c)?,
                        recorded_by: r.try_get(12).map_err(c)?,
                    });
                }
                for a in &mut out {
                    let rows = sqlx::query(
                        "SELECT category, model, lon, lat, depth_cm, condition, destroyed \
                         FROM device_finds WHERE activity_id = $1 ORDER BY id",
                    )
                    .bind(a.activity.id)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db("reading device finds"))?;
                    for r in rows {
                        let t = "device_finds";
                        let c = |e: sqlx::Error| corrupt(t, e);
                        let lon: Option<f64> = r.try_get(2).map_err(c)?;
                        let lat: Option<f64> = r.try_get(3).map_err(c)?;
                        let depth: Option<i64> = r.try_get(4).map_err(c)?;
                        a.activity.devices.push(DeviceFind {
                            category: parse::<DeviceCategory>(t, r.try_get(0).map_err(c)?)?
                                .unwrap_or(DeviceCategory::ErwUxo),
                            model: r.try_get(1).map_err(c)?,
                            location: lon.zip(lat).map(|(x, y)| [x, y]),
                            depth_cm: depth.map(|d| d.clamp(0, u32::MAX as i64) as u32),
                            condition: r.try_get(5).map_err(c)?,
                            destroyed: parse(t, r.try_get(6).map_err(c)?)?,
                        });
                    }
                }
                Ok(out)
            }

            /// Recomputes and stores an area's remaining geometry from its activities.
            async fn recompute_remaining(
                tx: &mut Tx,
                id: i64,
                shape: &demine_geo::HazardShape,
            ) -> Result<(), StoreError> {
                let acts = read_activities(tx, id).await?;
                if acts.is_empty() {
                    return Ok(());
                }
                let rel = crate::hazards::compute_release(shape, &acts);
                let g = crate::hazards::stored_remaining(rel.remaining, rel.accounting.remaining_m2);
                let sql = format!(
                    "UPDATE hazard_areas SET remaining = {}, remaining_m2 = $2 WHERE id = $3",
                    gin(1)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(demine_geo::encode_wkb(&g))
                    .bind(rel.accounting.remaining_m2)
                    .bind(id)
                    .execute(&mut **tx)
                    .await
                    .map_err(db(format!("updating the remaining hazard of area {id}")))?;
                Ok(())
            }

            /// Adds the hazard tables to a dump (inside the dump's snapshot).
            pub(crate) async fn dump_hazards(
                conn: &mut <$db as sqlx::Database>::Connection,
                dump: &mut crate::Dump,
            ) -> Result<(), StoreError> {
                use crate::hazards::DumpCol;
                for (table, cols) in crate::hazards::DUMP_TABLES {
                    let list: Vec<String> = cols
                        .iter()
                        .map(|(c, t)| if *t == DumpCol::Geom { gout(c) } else { (*c).to_string() })
                        .collect();
                    let sql = format!("SELECT {} FROM {table} ORDER BY 1, 2", list.join(", "));
                    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(db(format!("reading {table}")))?;
                    let mut out = Vec::with_capacity(rows.len());
                    for r in rows {
                        let c = |e: sqlx::Error| corrupt(table, e);
                        let mut m = serde_json::Map::new();
                        for (i, (name, t)) in cols.iter().enumerate() {
                            let v = match t {
                                DumpCol::Int => serde_json::json!(r.try_get::<Option<i64>, _>(i).map_err(c)?),
                                DumpCol::Real => serde_json::json!(r.try_get::<Option<f64>, _>(i).map_err(c)?),
                                DumpCol::Text => serde_json::json!(r.try_get::<Option<String>, _>(i).map_err(c)?),
                                DumpCol::Geom => serde_json::json!(r
                                    .try_get::<Option<Vec<u8>>, _>(i)
                                    .map_err(c)?
                                    .map(|b| crate::hazards::hex(&b))),
                            };
                            m.insert((*name).to_string(), v);
                        }
                        out.push(m);
                    }
                    dump.tables.insert((*table).to_string(), out);
                }
                Ok(())
            }

            /// Replaces the hazard tables with a dump's (inside the restore's transaction).
            pub(crate) async fn restore_hazards(tx: &mut Tx, dump: &crate::Dump) -> Result<(), StoreError> {
                use crate::hazards::DumpCol;
                let ctx = |s: &str| db(format!("restoring: {s}"));
                let mut clear: Vec<&str> = crate::hazards::DUMP_TABLES.iter().rev().map(|(t, _)| *t).collect();
                if let Some(rt) = $rtree {
                    clear.push(rt);
                }
                for t in clear {
                    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {t}")))
                        .execute(&mut **tx)
                        .await
                        .map_err(ctx(t))?;
                }
                let bad = |table: &str, n: usize, col: &str, reason: String| StoreError::Invalid {
                    file: "backup".into(),
                    line: n as u64 + 1,
                    column: format!("{table}.{col}"),
                    reason,
                };
                let mut boxes = Vec::new();
                for (table, cols) in crate::hazards::DUMP_TABLES {
                    let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
                    let params: Vec<String> = cols
                        .iter()
                        .enumerate()
                        .map(|(i, (_, t))| if *t == DumpCol::Geom { gin(i + 1) } else { format!("${}", i + 1) })
                        .collect();
                    let sql = format!(
                        "INSERT INTO {table} ({}) VALUES ({})",
                        names.join(", "),
                        params.join(", ")
                    );
                    for (n, row) in dump.tables.get(*table).map(Vec::as_slice).unwrap_or(&[]).iter().enumerate() {
                        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                        for (name, t) in cols.iter() {
                            let v = row.get(*name).unwrap_or(&serde_json::Value::Null);
                            let wrong = |what: &str| bad(table, n, name, format!("{v} is not {what}"));
                            q = match t {
                                DumpCol::Int => q.bind(if v.is_null() { None } else { Some(v.as_i64().ok_or_else(|| wrong("an integer"))?) }),
                                DumpCol::Real => q.bind(if v.is_null() { None } else { Some(v.as_f64().ok_or_else(|| wrong("a number"))?) }),
                                DumpCol::Text => q.bind(if v.is_null() { None } else { Some(v.as_str().ok_or_else(|| wrong("text"))?.to_string()) }),
                                DumpCol::Geom => {
                                    let b = if v.is_null() {
                                        None
                                    } else {
                                        let b = v.as_str().and_then(crate::hazards::unhex).ok_or_else(|| wrong("hex WKB"))?;
                                        let g = demine_geo::decode_wkb(&b).map_err(|e| bad(table, n, name, e.to_string()))?;
                                        if *table == "hazard_areas" && *name == "geom" {
                                            let id = row.get("id").and_then(serde_json::Value::as_i64).unwrap_or(0);
                                            let radius = row.get("radius_m").and_then(serde_json::Value::as_f64);
                                            if let Ok(shape) = demine_geo::HazardShape::from_geometry(g, radius) {
                                                boxes.push((id, shape_bbox(&shape)));
                                            }
                                        }
                                        Some(b)
                                    };
                                    q.bind(b)
                                }
                            };
                        }
                        q.execute(&mut **tx).await.map_err(|e| bad(table, n, "-", format!("the database refused the row: {e}")))?;
                    }
                }
                set_bbox(tx, &boxes).await?;
                for stmt in $after {
                    sqlx::query(sqlx::AssertSqlSafe(stmt.to_string()))
                        .execute(&mut **tx)
                        .await
                        .map_err(ctx("resetting sequences"))?;
                }
                Ok(())
            }

            impl crate::hazards::HazardStore for super::$store {
                async fn import_areas(
                    &self,
                    areas: &[NewArea],
                    actor: &str,
                    progress: crate::Progress<'_>,
                ) -> Result<HazardImportReport, StoreError> {
                    use std::collections::{HashMap, HashSet};
                    let total = areas.len() as u64;
                    let mut seen: HashMap<i64, usize> = HashMap::with_capacity(areas.len());
                    for (i, a) in areas.iter().enumerate() {
                        if let Some(first) = seen.insert(a.area.id, i) {
                            return Err(StoreError::Invalid {
                                file: "hazardous areas".into(),
                                line: i as u64,
                                column: "id".into(),
                                reason: format!(
                                    "feature #{i}: duplicate id {}: feature #{first} has it too",
                                    a.area.id
                                ),
                            });
                        }
                    }
                    let mut tx = self.begin_write().await?;
                    let existing: HashSet<i64> = sqlx::query_scalar::<_, i64>("SELECT id FROM hazard_areas")
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db("reading the area ids"))?
                        .into_iter()
                        .collect();
                    let at = now();
                    let mut report = HazardImportReport {
                        areas: total,
                        ..Default::default()
                    };
                    let (fresh, old): (Vec<&NewArea>, Vec<&NewArea>) =
                        areas.iter().partition(|a| !existing.contains(&a.area.id));
                    let mut prev = last_audit(&mut tx).await?;
                    let mut done = 0u64;
                    for chunk in fresh.chunks(AREA_BATCH) {
                        let sql = insert_area_sql(chunk.len());
                        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                        let mut entries = Vec::with_capacity(chunk.len());
                        let mut boxes = Vec::with_capacity(chunk.len());
                        for a in chunk {
                            let (wkb, radius) = shape_parts(&a.shape);
                            let e = AuditEntry::next(
                                (prev.0, &prev.1),
                                actor,
                                "hazard_area",
                                &a.area.id.to_string(),
                                None,
                                Some(audit_json(&a.area, &wkb, radius)),
                            );
                            prev = (e.seq, e.hash.clone());
                            entries.push(e);
                            boxes.push((a.area.id, shape_bbox(&a.shape)));
                            q = bind_area(q, &a.area, wkb, radius, 1, VersionStatus::Draft, &at, actor);
                        }
                        q.execute(&mut *tx).await.map_err(|e| StoreError::Invalid {
                            file: "hazardous areas".into(),
                            line: 0,
                            column: format!(
                                "areas {}..{}",
                                chunk.first().map_or(0, |a| a.area.id),
                                chunk.last().map_or(0, |a| a.area.id)
                            ),
                            reason: format!("the database refused them: {e}"),
                        })?;
                        set_bbox(&mut tx, &boxes).await?;
                        write_audit(&mut tx, &entries).await?;
                        report.inserted += chunk.len() as u64;
                        done += chunk.len() as u64;
                        progress(done, total);
                    }
                    for a in old {
                        let Some(cur) = read_area(&mut tx, a.area.id).await? else {
                            continue;
                        };
                        let merged = crate::hazards::merge_import(&cur.area, a);
                        let a = &merged;
                        if cur.area == a.area && cur.shape == a.shape {
                            report.unchanged += 1;
                        } else {
                            new_version(&mut tx, &cur, a, VersionStatus::Draft, actor, &at).await?;
                            report.updated += 1;
                        }
                        done += 1;
                        if done % 256 == 0 {
                            progress(done, total);
                        }
                    }
                    tx.commit().await.map_err(db("committing the import"))?;
                    progress(total, total);
                    Ok(report)
                }

                async fn update_area(
                    &self,
                    area: &NewArea,
                    status: VersionStatus,
                    actor: &str,
                ) -> Result<i64, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let cur = read_area(&mut tx, area.area.id).await?.ok_or_else(|| {
                        StoreError::NotFound {
                            what: format!("hazardous area {}", area.area.id),
                        }
                    })?;
                    let v = new_version(&mut tx, &cur, area, status, actor, &now()).await?;
                    tx.commit().await.map_err(db("committing the change"))?;
                    Ok(v)
                }

                async fn approve_area(&self, id: i64, actor: &str) -> Result<(), StoreError> {
                    let mut tx = self.begin_write().await?;
                    let cur = read_area(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound {
                        what: format!("hazardous area {id}"),
                    })?;
                    sqlx::query("UPDATE hazard_areas SET version_status = 'approved' WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db(format!("approving area {id}")))?;
                    let key = format!("{id}");
                    audit_one(
                        &mut tx,
                        actor,
                        "hazard_area_approval",
                        &key,
                        Some(serde_json::json!({"version": cur.version, "version_status": cur.version_status}).to_string()),
                        Some(serde_json::json!({"version": cur.version, "version_status": "approved"}).to_string()),
                    )
                    .await?;
                    tx.commit().await.map_err(db("committing the approval"))?;
                    Ok(())
                }

                async fn area(&self, id: i64) -> Result<Option<StoredArea>, StoreError> {
                    let mut tx = self.begin_snapshot().await?;
                    let a = read_area(&mut tx, id).await?;
                    tx.commit().await.map_err(db("ending the read"))?;
                    Ok(a)
                }

                async fn areas(&self, filter: &AreaFilter) -> Result<Vec<StoredArea>, StoreError> {
                    let mut cond: Vec<String> = Vec::new();
                    let mut n = 0;
                    let mut next = || {
                        n += 1;
                        format!("${n}")
                    };
                    if filter.bbox.is_some() {
                        let (a, b, c, d) = (next(), next(), next(), next());
                        cond.push(
                            $bbox
                                .replace("{a}", &a)
                                .replace("{b}", &b)
                                .replace("{c}", &c)
                                .replace("{d}", &d),
                        );
                    }
                    if filter.iso3.is_some() {
                        cond.push(format!("iso3 = {}", next()));
                    }
                    if filter.status.is_some() {
                        cond.push(format!("status = {}", next()));
                    }
                    let w = if cond.is_empty() {
                        String::new()
                    } else {
                        format!(" WHERE {}", cond.join(" AND "))
                    };
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(area_select(&w)));
                    if let Some(b) = filter.bbox {
                        q = q.bind(b.min_lon).bind(b.min_lat).bind(b.max_lon).bind(b.max_lat);
                    }
                    if let Some(i) = &filter.iso3 {
                        q = q.bind(i.clone());
                    }
                    if let Some(s) = filter.status {
                        q = q.bind(s.as_str());
                    }
                    let rows = q
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db("listing hazardous areas"))?;
                    rows.iter().map(decode_area).collect()
                }

                async fn history(&self, id: i64) -> Result<Vec<AreaVersion>, StoreError> {
                    let mut tx = self.begin_snapshot().await?;
                    let Some(cur) = read_area(&mut tx, id).await? else {
                        return Err(StoreError::NotFound {
                            what: format!("hazardous area {id}"),
                        });
                    };
                    let sql = format!(
                        "SELECT version, version_status, made_at, made_by, superseded_at, \
                         superseded_by, data, {} FROM hazard_area_versions WHERE area_id = $1 \
                         ORDER BY version",
                        gout("geom")
                    );
                    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(id)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db(format!("reading the history of area {id}")))?;
                    let t = "hazard_area_versions";
                    let mut out = Vec::with_capacity(rows.len() + 1);
                    for r in rows {
                        let c = |e: sqlx::Error| corrupt(t, e);
                        let data: String = r.try_get(6).map_err(c)?;
                        let wkb: Vec<u8> = r.try_get(7).map_err(c)?;
                        let g = demine_geo::decode_wkb(&wkb).map_err(|e| corrupt(t, e))?;
                        out.push(AreaVersion {
                            version: r.try_get(0).map_err(c)?,
                            version_status: parse::<VersionStatus>(t, r.try_get(1).map_err(c)?)?
                                .unwrap_or(VersionStatus::Draft),
                            made_at: r.try_get(2).map_err(c)?,
                            made_by: r.try_get(3).map_err(c)?,
                            superseded_at: r.try_get(4).map_err(c)?,
                            superseded_by: r.try_get(5).map_err(c)?,
                            area: serde_json::from_str(&data).map_err(|e| corrupt(t, e))?,
                            geometry_wkt: demine_geo::to_wkt(&g),
                        });
                    }
                    out.push(AreaVersion {
                        version: cur.version,
                        version_status: cur.version_status,
                        made_at: cur.updated_at.clone(),
                        made_by: cur.updated_by.clone(),
                        superseded_at: None,
                        superseded_by: None,
                        geometry_wkt: demine_geo::to_wkt(&cur.shape.to_geometry()),
                        area: cur.area,
                    });
                    tx.commit().await.map_err(db("ending the read"))?;
                    Ok(out)
                }

                async fn record_activities(
                    &self,
                    list: &[(Activity, Geometry)],
                    actor: &str,
                ) -> Result<Vec<StoredActivity>, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let mut done = Vec::with_capacity(list.len());
                    for (n, (activity, perimeter)) in list.iter().enumerate() {
                        let bad = |column: &str, reason: String| StoreError::Invalid {
                            file: "activities".into(),
                            line: n as u64 + 1,
                            column: column.to_string(),
                            reason,
                        };
                        activity.check().map_err(|e| match e {
                            demine_core::CoreError::InvalidField { column, reason } => bad(&column, reason),
                            other => bad("-", other.to_string()),
                        })?;
                        let polys = crate::hazards::perimeter_polygons(perimeter)?;
                        let id = activity.area_id;
                        let area = read_area(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound {
                            what: format!("hazardous area {id}"),
                        })?;
                        let mut acts = read_activities(&mut tx, id).await?;
                        let at = now();
                        acts.push(StoredActivity {
                            activity: activity.clone(),
                            perimeter: perimeter.clone(),
                            perimeter_m2: 0.0,
                            released_m2: 0.0,
                            recorded_at: at.clone(),
                            recorded_by: actor.to_string(),
                        });
                        let rel = crate::hazards::compute_release(&area.shape, &acts);
                        let released = rel.per_activity_m2.last().copied().unwrap_or(0.0);
                        if released <= 0.0 {
                            return Err(bad(
                                "perimeter",
                                format!(
                                    "the perimeter releases nothing from area {id}: it does not \
                                     overlap the land still hazardous there"
                                ),
                            ));
                        }
                        let perimeter_m2 = demine_geo::ops::area_m2(&polys);
                        let sql = format!(
                            "INSERT INTO release_activities (area_id, kind, start_date, end_date, \
                             organisation, method, depth_cm, perimeter, perimeter_m2, released_m2, \
                             recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, {}, $9, \
                             $10, $11, $12) RETURNING id",
                            gin(8)
                        );
                        let new_id: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                            .bind(id)
                            .bind(activity.kind.as_str())
                            .bind(activity.start.to_string())
                            .bind(activity.end.map(|d| d.to_string()))
                            .bind(activity.organisation.clone())
                            .bind(activity.method.clone())
                            .bind(activity.depth_cm.map(i64::from))
                            .bind(demine_geo::encode_wkb(perimeter))
                            .bind(perimeter_m2)
                            .bind(released)
                            .bind(at.clone())
                            .bind(actor.to_string())
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(|e| bad("-", format!("the database refused the activity: {e}")))?;
                        for d in &activity.devices {
                            sqlx::query(
                                "INSERT INTO device_finds (activity_id, category, model, lon, lat, \
                                 depth_cm, condition, destroyed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                            )
                            .bind(new_id)
                            .bind(d.category.as_str())
                            .bind(d.model.clone())
                            .bind(d.location.map(|l| l[0]))
                            .bind(d.location.map(|l| l[1]))
                            .bind(d.depth_cm.map(i64::from))
                            .bind(d.condition.clone())
                            .bind(d.destroyed.map(|x| x.to_string()))
                            .execute(&mut *tx)
                            .await
                            .map_err(|e| bad("devices", format!("the database refused a device find: {e}")))?;
                        }
                        let g = crate::hazards::stored_remaining(rel.remaining, rel.accounting.remaining_m2);
                        let sql = format!(
                            "UPDATE hazard_areas SET remaining = {}, remaining_m2 = $2 WHERE id = $3",
                            gin(1)
                        );
                        sqlx::query(sqlx::AssertSqlSafe(sql))
                            .bind(demine_geo::encode_wkb(&g))
                            .bind(rel.accounting.remaining_m2)
                            .bind(id)
                            .execute(&mut *tx)
                            .await
                            .map_err(db(format!("updating the remaining hazard of area {id}")))?;
                        let mut stored = acts.pop().ok_or_else(|| corrupt("release_activities", "lost"))?;
                        stored.activity.id = new_id;
                        stored.perimeter_m2 = perimeter_m2;
                        stored.released_m2 = released;
                        let after = serde_json::json!({
                            "activity": stored.activity,
                            "perimeter_wkt": demine_geo::to_wkt(perimeter),
                            "released_m2": released,
                            "remaining_m2": rel.accounting.remaining_m2,
                        });
                        audit_one(
                            &mut tx,
                            actor,
                            "release_activity",
                            &new_id.to_string(),
                            None,
                            Some(after.to_string()),
                        )
                        .await?;
                        done.push(stored);
                    }
                    tx.commit().await.map_err(db("committing the activities"))?;
                    Ok(done)
                }

                async fn activities(&self, area_id: i64) -> Result<Vec<StoredActivity>, StoreError> {
                    let mut tx = self.begin_snapshot().await?;
                    let a = read_activities(&mut tx, area_id).await?;
                    tx.commit().await.map_err(db("ending the read"))?;
                    Ok(a)
                }

                async fn define_field(&self, field: &CustomField, actor: &str) -> Result<(), StoreError> {
                    field.check().map_err(|e| StoreError::Invalid {
                        file: "custom field".into(),
                        line: 0,
                        column: field.name.clone(),
                        reason: e.to_string(),
                    })?;
                    let mut tx = self.begin_write().await?;
                    let before: Option<(String, String)> = sqlx::query_as(
                        "SELECT kind, choices FROM custom_fields WHERE iso3 = $1 AND name = $2",
                    )
                    .bind(field.iso3.clone())
                    .bind(field.name.clone())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db("reading custom fields"))?;
                    let choices = serde_json::json!(field.choices).to_string();
                    sqlx::query(
                        "INSERT INTO custom_fields (iso3, name, kind, choices) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (iso3, name) DO UPDATE SET kind = excluded.kind, choices = excluded.choices",
                    )
                    .bind(field.iso3.clone())
                    .bind(field.name.clone())
                    .bind(field.kind.as_str())
                    .bind(choices)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("defining a custom field"))?;
                    audit_one(
                        &mut tx,
                        actor,
                        "custom_field",
                        &format!("{}+{}", field.iso3, field.name),
                        before.map(|(k, c)| serde_json::json!({"kind": k, "choices": c}).to_string()),
                        Some(serde_json::to_string(field).map_err(|e| corrupt("custom_fields", e))?),
                    )
                    .await?;
                    tx.commit().await.map_err(db("committing the custom field"))?;
                    Ok(())
                }

                async fn fields(&self, iso3: &str) -> Result<Vec<CustomField>, StoreError> {
                    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                        "SELECT iso3, name, kind, choices FROM custom_fields WHERE iso3 = $1 ORDER BY name",
                    )
                    .bind(iso3.to_string())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db("reading custom fields"))?;
                    rows.into_iter()
                        .map(|(iso3, name, kind, choices)| {
                            Ok(CustomField {
                                iso3,
                                name,
                                kind: kind.parse::<FieldKind>().map_err(|e| corrupt("custom_fields", e))?,
                                choices: serde_json::from_str(&choices)
                                    .map_err(|e| corrupt("custom_fields", e))?,
                            })
                        })
                        .collect()
                }

                async fn index_records(&self, threads: usize) -> Result<Vec<HazardRecord>, StoreError> {
                    let sql = format!(
                        "SELECT id, COALESCE(source_status, status), hazard_type, {}, \
                         CASE WHEN remaining IS NULL THEN radius_m END \
                         FROM hazard_areas WHERE {} ORDER BY id",
                        gout("COALESCE(remaining, geom)"),
                        demine_core::hazard::hazard_sql_filter("status", "remaining_m2")
                    );
                    let rows: Vec<crate::hazards::IndexRow> =
                        sqlx::query_as(sqlx::AssertSqlSafe(sql))
                            .fetch_all(&self.pool)
                            .await
                            .map_err(db("loading the hazards for the index"))?;
                    crate::hazards::decode_index_rows(rows, threads)
                }
            }
        }
    };
}

pub(crate) use hazard_backend;

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

    async fn activities(&self, area_id: i64) -> Result<Vec<StoredActivity>, StoreError> {
        any_delegate!(self, s => s.activities(area_id))
    }

    async fn define_field(&self, field: &CustomField, actor: &str) -> Result<(), StoreError> {
        any_delegate!(self, s => s.define_field(field, actor))
    }

    async fn fields(&self, iso3: &str) -> Result<Vec<CustomField>, StoreError> {
        any_delegate!(self, s => s.fields(iso3))
    }

    async fn index_records(&self, threads: usize) -> Result<Vec<HazardRecord>, StoreError> {
        any_delegate!(self, s => s.index_records(threads))
    }
}

/// An area's attributes, geometry (WKB) and radius back from its row in a dump.
fn area_from_dump(
    row: &serde_json::Map<String, serde_json::Value>,
) -> Result<(HazardArea, Vec<u8>, Option<f64>), String> {
    use serde_json::Value as J;
    let text = |k: &str| row.get(k).and_then(J::as_str).map(str::to_string);
    let parse_json = |k: &str| -> Result<J, String> {
        match text(k) {
            Some(s) => serde_json::from_str(&s).map_err(|e| format!("{k}: {e}")),
            None => Ok(J::Null),
        }
    };
    let mut obj = serde_json::Map::new();
    for k in [
        "reference",
        "name",
        "hazard_type",
        "status",
        "source_status",
        "iso3",
        "admin_area",
        "organisation",
        "reported",
        "surveyed",
        "notes",
    ] {
        obj.insert(k.into(), row.get(k).cloned().unwrap_or(J::Null));
    }
    obj.insert("id".into(), row.get("id").cloned().unwrap_or(J::Null));
    obj.insert("devices".into(), parse_json("devices")?);
    obj.insert("benchmark".into(), parse_json("benchmark")?);
    obj.insert("custom".into(), parse_json("custom")?);
    let area: HazardArea =
        serde_json::from_value(J::Object(obj)).map_err(|e| format!("undecodable row: {e}"))?;
    let wkb = text("geom")
        .and_then(|h| unhex(&h))
        .ok_or("geom is not hex WKB")?;
    let radius = row.get("radius_m").and_then(J::as_f64);
    Ok((area, wkb, radius))
}

/// Checks the hazardous areas of a dump against the audit log: each area's current attributes
/// and geometry are what the last `hazard_area` entry for it recorded, and no area exists that
/// the log never saw.
pub(crate) fn verify_dump_areas(dump: &crate::Dump) -> Result<(), crate::Broken> {
    use std::collections::HashMap;
    let mut last: HashMap<&str, &crate::AuditEntry> = HashMap::new();
    for e in &dump.audit {
        if e.entity == "hazard_area" {
            last.insert(e.key.as_str(), e);
        }
    }
    let rows = dump
        .tables
        .get("hazard_areas")
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for row in rows {
        let key = row.get("id").map(ToString::to_string).unwrap_or_default();
        let broken = |seq: Option<i64>, reason: String| crate::Broken {
            seq,
            entity: "hazard_area".into(),
            key: key.clone(),
            reason,
        };
        let (area, wkb, radius) = area_from_dump(row).map_err(|r| broken(None, r))?;
        let Some(e) = last.get(key.as_str()) else {
            return Err(broken(
                None,
                "area is in the database but no audit entry records it".into(),
            ));
        };
        if e.after.as_deref() != Some(audit_json(&area, &wkb, radius).as_str()) {
            return Err(broken(
                Some(e.seq),
                format!(
                    "area differs from what audit entry #{} recorded (changed outside demine?)",
                    e.seq
                ),
            ));
        }
    }
    Ok(())
}
