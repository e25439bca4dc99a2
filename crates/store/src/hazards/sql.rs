//! The SQL of the hazard store, written once for both backends as the [`hazard_backend!`] macro
//! and instantiated in `sqlite.rs` and `postgres.rs`. The query that feeds the safety check is
//! `index_records`, at the end of the macro.

/// The columns of `hazard_areas` written on insert, in order (the geometry is the 17th, its
/// measured ellipsoidal area the 22nd).
pub(crate) const AREA_INSERT_COLUMNS: &str = "id, reference, name, hazard_type, status, \
source_status, iso3, admin_area, organisation, reported, surveyed, notes, devices, benchmark, \
custom, radius_m, geom, version, version_status, updated_at, updated_by, area_m2";

/// Number of columns in [`AREA_INSERT_COLUMNS`].
pub(crate) const AREA_INSERT_N: usize = 22;

/// Areas per multi-row INSERT (22 parameters each: 5,632 per statement, within SQLite's 32,766 and
/// PostgreSQL's 65,535). Fewer, larger statements: each one is a round trip to sqlx's SQLite worker
/// thread, which on a busy machine waits to be scheduled.
pub(crate) const AREA_BATCH: usize = 256;

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
                AREA_BATCH, AREA_INSERT_COLUMNS, AREA_INSERT_N, AreaFilter, AreaVersion,
                HazardImportReport, NewArea, Stamp, StoredActivity, StoredArea, audit_json,
                shape_from, shape_parts,
            };
            use crate::StoreError;

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
                area_m2: f64,
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
                    .bind(actor.to_string())
                    .bind(area_m2);
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

            /// Appends one audit entry after the last, through the backend's one audit writer.
            async fn audit_one(
                tx: &mut Tx,
                actor: &str,
                entity: &str,
                key: &str,
                before: Option<String>,
                after: Option<String>,
            ) -> Result<(), StoreError> {
                let mut chain = super::last_audit(tx).await?;
                chain.append(actor, entity, key, before, after);
                super::flush_audit(tx, &mut chain).await
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
                    let s = crate::backend::positional_for::<$db>(s);
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

            use crate::hazards::shape_bbox;

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
                     version = $18, version_status = $19, updated_at = $20, updated_by = $21, \
                     area_m2 = $22 WHERE id = $1",
                    gin(17)
                );
                let q = sqlx::query(sqlx::AssertSqlSafe(sql));
                bind_area(q, &new.area, wkb.clone(), radius, crate::hazards::shape_area_m2(&new.shape), version, status, at, actor)
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
                let old_stamp = Stamp {
                    version: old.version,
                    status: old.version_status,
                    at: &old.updated_at,
                    by: &old.updated_by,
                };
                let new_stamp = Stamp {
                    version,
                    status,
                    at,
                    by: actor,
                };
                audit_one(
                    tx,
                    actor,
                    "hazard_area",
                    &id.to_string(),
                    Some(audit_json(&old.area, &old_wkb, old_radius, &old_stamp)),
                    Some(audit_json(&new.area, &wkb, radius, &new_stamp)),
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
                store_remaining(tx, id, rel.remaining, rel.accounting.remaining_m2).await
            }

            /// Stores what remains of an area after release (empty when only dust remains).
            async fn store_remaining(
                tx: &mut Tx,
                id: i64,
                remaining: Vec<demine_geo::Polygon>,
                remaining_m2: f64,
            ) -> Result<(), StoreError> {
                let g = crate::hazards::stored_remaining(remaining, remaining_m2);
                let sql = format!(
                    "UPDATE hazard_areas SET remaining = {}, remaining_m2 = $2 WHERE id = $3",
                    gin(1)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(demine_geo::encode_wkb(&g))
                    .bind(remaining_m2)
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
                                DumpCol::Bool => serde_json::json!(r.try_get::<Option<bool>, _>(i).map_err(c)?),
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
                // The spatial index is derived data, but what is stored is what box queries see:
                // the dump carries it so that `audit verify` can recompute it (a restore does not
                // read it back; it rebuilds the boxes from the geometry).
                if let Some(rt) = $rtree {
                    let sql = format!("SELECT id, min_lon, max_lon, min_lat, max_lat FROM {rt} ORDER BY id");
                    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(db(format!("reading {rt}")))?;
                    let mut out = Vec::with_capacity(rows.len());
                    for r in rows {
                        let c = |e: sqlx::Error| corrupt(rt, e);
                        let mut m = serde_json::Map::new();
                        m.insert("id".into(), serde_json::json!(r.try_get::<i64, _>(0).map_err(c)?));
                        for (i, k) in ["min_lon", "max_lon", "min_lat", "max_lat"].iter().enumerate() {
                            m.insert((*k).into(), serde_json::json!(r.try_get::<f64, _>(i + 1).map_err(c)?));
                        }
                        out.push(m);
                    }
                    dump.tables.insert(crate::hazards::BBOX_TABLE.to_string(), out);
                }
                Ok(())
            }

            /// Replaces the hazard tables with a dump's (inside the restore's transaction).
            pub(crate) async fn restore_hazards(tx: &mut Tx, dump: &crate::Dump) -> Result<(), StoreError> {
                use crate::hazards::DumpCol;
                let ctx = |s: &str| db(format!("restoring: {s}"));
                let mut clear: Vec<&str> = crate::hazards::RESTORE_CLEARS.to_vec();
                clear.extend(crate::hazards::DUMP_TABLES.iter().rev().map(|(t, _)| *t));
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
                                DumpCol::Bool => q.bind(if v.is_null() { None } else { Some(v.as_bool().ok_or_else(|| wrong("true or false"))?) }),
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

            /// Measures and stores the ellipsoidal area of every area whose `area_m2` is not yet
            /// stored (rows from before migration 0030, rows restored from a dump), in one
            /// transaction; returns how many were measured.
            pub(crate) async fn fill_area_m2(pool: &sqlx::Pool<$db>) -> Result<u64, StoreError> {
                let mut tx = pool.begin().await.map_err(db("measuring the areas"))?;
                let sql = format!(
                    "SELECT id, radius_m, {} FROM hazard_areas WHERE area_m2 IS NULL ORDER BY id",
                    gout("geom")
                );
                let rows = sqlx::query_as::<_, (i64, Option<f64>, Vec<u8>)>(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db("reading the areas not yet measured"))?;
                let n = rows.len() as u64;
                for (id, radius, wkb) in rows {
                    let m2 = crate::hazards::shape_area_m2(&shape_from(id, &wkb, radius)?);
                    sqlx::query("UPDATE hazard_areas SET area_m2 = $1 WHERE id = $2")
                        .bind(m2)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db(format!("storing the measured area of area {id}")))?;
                }
                tx.commit().await.map_err(db("storing the measured areas"))?;
                Ok(n)
            }

            /// Imports areas in one transaction, committed when `commit`, else rolled back (a dry
            /// run: the report says what the import would do, and nothing is written).
            async fn import(
                store: &super::$store,
                areas: &[NewArea],
                actor: &str,
                progress: crate::Progress<'_>,
                commit: bool,
            ) -> Result<HazardImportReport, StoreError> {
                let (mut tx, cache) = store.begin_bulk_write().await?;
                let report = import_in(store, &mut tx, areas, actor, progress, commit).await?;
                super::$store::end_bulk_write(&mut tx, cache).await?;
                if commit {
                    tx.commit().await.map_err(db("committing the import"))?;
                    store.note_head().await?;
                } else {
                    tx.rollback().await.map_err(db("ending the dry run"))?;
                }
                progress(areas.len() as u64, areas.len() as u64);
                Ok(report)
            }

            /// The import's checks and writes inside `tx` (`commit` only says, in the report,
            /// whether the caller means to commit).
            async fn import_in(
                store: &super::$store,
                tx: &mut Tx,
                areas: &[NewArea],
                actor: &str,
                progress: crate::Progress<'_>,
                commit: bool,
            ) -> Result<HazardImportReport, StoreError> {
                use std::collections::{HashMap, HashSet};
                let total = areas.len() as u64;
                let fault = |a: &NewArea, reason: String| crate::FeatureFault {
                    index: a.feature.unwrap_or(0),
                    id: a.id_given.then(|| a.area.id.to_string()),
                    reason,
                };
                let refuse = |faults: Vec<crate::FeatureFault>| StoreError::Features {
                    file: "hazardous areas".into(),
                    faults,
                };
                for a in areas {
                    crate::access::require_write(
                        store.who.as_deref(),
                        a.area.iso3.as_deref(),
                        a.area.organisation.as_deref(),
                        &a.describe(),
                    )?;
                }
                let mut faults = Vec::new();
                let mut seen: HashMap<i64, &NewArea> = HashMap::with_capacity(areas.len());
                for a in areas.iter().filter(|a| a.id_given) {
                    let id = a.area.id;
                    if !(1..=crate::hazards::MAX_AREA_ID).contains(&id) {
                        faults.push(fault(
                            a,
                            format!(
                                "id {id}: an area id is a whole number from 1 to {}",
                                crate::hazards::MAX_AREA_ID
                            ),
                        ));
                    } else if let Some(first) = seen.insert(id, a) {
                        faults.push(fault(
                            a,
                            format!("duplicate id {id}: {} has it too", first.describe()),
                        ));
                    }
                }
                if !faults.is_empty() {
                    return Err(refuse(faults));
                }
                let states: HashSet<String> = sqlx::query_scalar::<_, String>("SELECT iso3 FROM states")
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db("reading the States"))?
                    .into_iter()
                    .collect();
                for a in areas {
                    if let Some(code) = a.area.iso3.as_deref()
                        && !states.contains(code)
                    {
                        faults.push(fault(
                            a,
                            format!("unknown ISO3 code {code:?}: no such State in the registry"),
                        ));
                    }
                }
                if !faults.is_empty() {
                    return Err(refuse(faults));
                }
                let existing: HashSet<i64> = sqlx::query_scalar::<_, i64>("SELECT id FROM hazard_areas")
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db("reading the area ids"))?
                    .into_iter()
                    .collect();
                // New ids for features without one: after every id stored or in the file.
                let mut next_id = existing
                    .iter()
                    .chain(seen.keys())
                    .copied()
                    .max()
                    .unwrap_or(0);
                let at = now();
                let mut report = HazardImportReport {
                    dry_run: !commit,
                    areas: total,
                    ..Default::default()
                };
                // An area is copied only to give it a new id.
                let mut fresh: Vec<std::borrow::Cow<'_, NewArea>> = Vec::new();
                let mut old: Vec<&NewArea> = Vec::new();
                for a in areas {
                    if a.id_given && existing.contains(&a.area.id) {
                        old.push(a);
                    } else if a.id_given {
                        fresh.push(std::borrow::Cow::Borrowed(a));
                    } else {
                        let mut a = a.clone();
                        {
                            next_id += 1;
                            if next_id > crate::hazards::MAX_AREA_ID {
                                return Err(refuse(vec![fault(
                                    &a,
                                    "no area id is left to give a new area".into(),
                                )]));
                            }
                            a.area.id = next_id;
                        }
                        fresh.push(std::borrow::Cow::Owned(a));
                    }
                }
                let mut chain = super::last_audit(tx).await?;
                let mut done = 0u64;
                // The new areas' boxes, written to the R*Tree after the areas in an order that
                // keeps neighbours together ([`crate::hazards::near_first`]): inserted in file
                // order, each box descended to a different part of the tree.
                let mut all_boxes: Vec<(i64, demine_geo::Bbox)> = Vec::with_capacity(fresh.len());
                // Every chunk but the last is full: its statement's text is made once.
                let full_sql = crate::backend::positional_for::<$db>(insert_area_sql(AREA_BATCH));
                for chunk in fresh.chunks(AREA_BATCH) {
                    let sql = if chunk.len() == AREA_BATCH {
                        full_sql.clone()
                    } else {
                        crate::backend::positional_for::<$db>(insert_area_sql(chunk.len()))
                    };
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    let mut boxes = Vec::with_capacity(chunk.len());
                    let stamp = Stamp {
                        version: 1,
                        status: VersionStatus::Draft,
                        at: &at,
                        by: actor,
                    };
                    let refs: Vec<&NewArea> = chunk.iter().map(|a| a.as_ref()).collect();
                    let parts = crate::hazards::insert_parts(&refs, &stamp)?;
                    for (a, p) in refs.into_iter().zip(parts) {
                        chain.append(actor, "hazard_area", &a.area.id.to_string(), None, Some(p.audit));
                        boxes.push((a.area.id, p.bbox));
                        report.inserted_ids.push(a.area.id);
                        q = bind_area(q, &a.area, p.wkb, p.radius, p.area_m2, 1, VersionStatus::Draft, &at, actor);
                    }
                    q.execute(&mut **tx).await.map_err(|e| StoreError::Invalid {
                        file: "hazardous areas".into(),
                        line: 0,
                        column: format!(
                            "areas {}..{}",
                            chunk.first().map_or(0, |a| a.area.id),
                            chunk.last().map_or(0, |a| a.area.id)
                        ),
                        reason: format!("the database refused them: {e}"),
                    })?;
                    all_boxes.extend(boxes);
                    super::flush_audit(tx, &mut chain).await?;
                    report.inserted += chunk.len() as u64;
                    done += chunk.len() as u64;
                    progress(done, total);
                }
                crate::hazards::near_first(&mut all_boxes);
                set_bbox(tx, &all_boxes).await?;
                for a in old {
                    let Some(cur) = read_area(tx, a.area.id).await? else {
                        continue;
                    };
                    // The area as stored must be the writer's too (not only the file's row).
                    crate::access::require_write(
                        store.who.as_deref(),
                        cur.area.iso3.as_deref(),
                        cur.area.organisation.as_deref(),
                        &a.describe(),
                    )?;
                    let merged = crate::hazards::merge_import(&cur.area, a);
                    crate::access::require_write(
                        store.who.as_deref(),
                        merged.area.iso3.as_deref(),
                        merged.area.organisation.as_deref(),
                        &a.describe(),
                    )?;
                    let a = &merged;
                    if cur.area == a.area && cur.shape == a.shape {
                        report.unchanged += 1;
                        report.unchanged_ids.push(a.area.id);
                    } else {
                        new_version(tx, &cur, a, VersionStatus::Draft, actor, &at).await?;
                        report.updated += 1;
                        report.updated_ids.push(a.area.id);
                    }
                    done += 1;
                    if done % 256 == 0 {
                        progress(done, total);
                    }
                }
                Ok(report)
            }

            /// The query `index_records` selects with: every area the hazard rule keeps, as its
            /// remaining geometry, by id.
            fn index_sql() -> String {
                format!(
                    "SELECT id, COALESCE(source_status, status), hazard_type, {}, \
                     CASE WHEN remaining IS NULL THEN radius_m END \
                     FROM hazard_areas WHERE {} ORDER BY id",
                    gout("COALESCE(remaining, geom)"),
                    demine_core::hazard::hazard_sql_filter("status", "remaining_m2")
                )
            }

            /// The hazard data version (`hazard_version`) as `tx` sees it.
            async fn hazard_version_in(tx: &mut Tx) -> Result<crate::HazardVersion, StoreError> {
                let (n, token): (i64, i64) =
                    sqlx::query_as("SELECT n, token FROM hazard_version WHERE id = 1")
                        .fetch_one(&mut **tx)
                        .await
                        .map_err(db("reading the hazard data version"))?;
                Ok(crate::HazardVersion { n, token })
            }

            /// The index rows and the data version read in one snapshot, row by row; a handle
            /// that may write then stores their packed form for the next reader (unless the
            /// version moved meanwhile). A packed index that cannot be written is not an error.
            async fn load_rows(
                store: &super::$store,
                threads: usize,
            ) -> Result<crate::hazards::IndexLoad, StoreError> {
                let mut tx = store.begin_snapshot().await?;
                let version = hazard_version_in(&mut tx).await?;
                let rows: Vec<crate::hazards::IndexRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(index_sql()))
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db("loading the hazards for the index"))?;
                tx.commit().await.map_err(db("ending the read"))?;
                let cache_written = store.writable()
                    && put_index_cache(store, version, &rows).await.unwrap_or(false);
                Ok(crate::hazards::IndexLoad {
                    records: crate::hazards::decode_index_rows(rows, threads)?,
                    version,
                    from_cache: false,
                    cache_written,
                })
            }

            /// Stores the packed form of `rows`, read at the hazard data version `version`,
            /// unless the version moved since (then the rows are stale and nothing is stored).
            /// Returns whether it was stored.
            async fn put_index_cache(
                store: &super::$store,
                version: crate::HazardVersion,
                rows: &[crate::hazards::IndexRow],
            ) -> Result<bool, StoreError> {
                let data = crate::hazards::packed::encode(rows);
                let sha = crate::hazards::packed::digest(&data);
                let mut tx = store.begin_write().await?;
                if hazard_version_in(&mut tx).await? != version {
                    tx.rollback().await.map_err(db("ending the write"))?;
                    return Ok(false);
                }
                sqlx::query(
                    "INSERT INTO hazard_index_cache (id, entries, head, sha256, data) \
                     VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET \
                     entries = excluded.entries, head = excluded.head, sha256 = excluded.sha256, \
                     data = excluded.data",
                )
                .bind(version.n)
                .bind(version.token.to_string())
                .bind(sha)
                .bind(data)
                .execute(&mut *tx)
                .await
                .map_err(db("storing the packed index"))?;
                tx.commit().await.map_err(db("committing the packed index"))?;
                Ok(true)
            }

            /// Records activities in one transaction, committed when `commit`, else rolled back (a
            /// dry run: the same checks and figures, nothing written).
            async fn record_activities(
                store: &super::$store,
                list: &[(Activity, Geometry)],
                actor: &str,
                commit: bool,
            ) -> Result<Vec<StoredActivity>, StoreError> {
                let mut tx = store.begin_write().await?;
                let done = record_in(store, &mut tx, list, actor).await?;
                if commit {
                    tx.commit().await.map_err(db("committing the activities"))?;
                    store.note_head().await?;
                } else {
                    tx.rollback().await.map_err(db("ending the dry run"))?;
                }
                Ok(done)
            }

            /// The activities' checks and writes inside `tx`.
            async fn record_in(
                store: &super::$store,
                tx: &mut Tx,
                list: &[(Activity, Geometry)],
                actor: &str,
            ) -> Result<Vec<StoredActivity>, StoreError> {
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
                        let area = read_area(tx, id).await?.ok_or_else(|| StoreError::NotFound {
                            what: format!("hazardous area {id}"),
                        })?;
                        crate::access::require_write(
                            store.who.as_deref(),
                            area.area.iso3.as_deref(),
                            area.area.organisation.as_deref(),
                            &format!("an activity on hazardous area {id}"),
                        )?;
                        let mut acts = read_activities(tx, id).await?;
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
                            .fetch_one(&mut **tx)
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
                            .execute(&mut **tx)
                            .await
                            .map_err(|e| bad("devices", format!("the database refused a device find: {e}")))?;
                        }
                        store_remaining(tx, id, rel.remaining, rel.accounting.remaining_m2).await?;
                        let mut stored = acts.pop().ok_or_else(|| corrupt("release_activities", "lost"))?;
                        stored.activity.id = new_id;
                        stored.perimeter_m2 = perimeter_m2;
                        stored.released_m2 = released;
                        let after = crate::hazards::activity_json(
                            &stored.activity,
                            &demine_geo::encode_wkb(perimeter),
                            &demine_geo::to_wkt(perimeter),
                            perimeter_m2,
                            released,
                            rel.accounting.remaining_m2,
                            &at,
                            actor,
                        );
                        audit_one(
                            tx,
                            actor,
                            "release_activity",
                            &new_id.to_string(),
                            None,
                            Some(after),
                        )
                        .await?;
                        done.push(stored);
                    }
                    Ok(done)
            }

            /// Approves the current version of an area inside `tx`.
            async fn approve_in(
                store: &super::$store,
                tx: &mut Tx,
                id: i64,
                actor: &str,
            ) -> Result<(), StoreError> {
                let cur = read_area(tx, id).await?.ok_or_else(|| StoreError::NotFound {
                    what: format!("hazardous area {id}"),
                })?;
                crate::access::require_write(
                    store.who.as_deref(),
                    cur.area.iso3.as_deref(),
                    cur.area.organisation.as_deref(),
                    &format!("hazardous area {id}"),
                )?;
                sqlx::query("UPDATE hazard_areas SET version_status = 'approved' WHERE id = $1")
                    .bind(id)
                    .execute(&mut **tx)
                    .await
                    .map_err(db(format!("approving area {id}")))?;
                audit_one(
                    tx,
                    actor,
                    "hazard_area_approval",
                    &id.to_string(),
                    Some(serde_json::json!({"version": cur.version, "version_status": cur.version_status}).to_string()),
                    Some(serde_json::json!({"version": cur.version, "version_status": "approved"}).to_string()),
                )
                .await
            }

            /// Approves a field report in one transaction (see
            /// [`crate::accounts::AccountStore::approve_report`]).
            pub(super) async fn approve_report(
                store: &super::$store,
                id: i64,
                apply: crate::accounts::Apply<'_>,
                note: Option<String>,
                outcome: crate::accounts::OutcomeOf<'_>,
                actor: &str,
            ) -> Result<(crate::accounts::FieldReport, crate::accounts::Applied), StoreError> {
                use crate::accounts::{Applied, Apply, Decision, ReportStatus};
                let mut tx = store.begin_write().await?;
                // Decided meanwhile (another reviewer got there first): nothing is applied.
                super::draft_in(&mut tx, id).await?;
                let applied = match apply {
                    Apply::Areas(areas) => {
                        let report = import_in(store, &mut tx, areas, actor, &|_, _| {}, true).await?;
                        for aid in report.inserted_ids.iter().chain(&report.updated_ids) {
                            approve_in(store, &mut tx, *aid, actor).await?;
                        }
                        Applied::Areas(report)
                    }
                    Apply::Activities(list) => Applied::Activities(record_in(store, &mut tx, list, actor).await?),
                    Apply::Records(batch) => Applied::Records(
                        super::apply_in(store, &mut tx, batch, actor, &|_, _| {}, true).await?,
                    ),
                };
                let outcome = outcome(&applied).map_err(|reason| StoreError::Refused {
                    reason: format!("field report {id}: its outcome: {reason}"),
                })?;
                let decision = Decision {
                    status: ReportStatus::Approved,
                    note,
                    outcome: Some(outcome),
                };
                let after = super::decide_in(&mut tx, id, &decision, actor).await?;
                tx.commit().await.map_err(db(format!("committing the approval of field report {id}")))?;
                store.note_head().await?;
                Ok((after, applied))
            }

            impl crate::hazards::HazardStore for super::$store {
                async fn import_areas(
                    &self,
                    areas: &[NewArea],
                    actor: &str,
                    progress: crate::Progress<'_>,
                ) -> Result<HazardImportReport, StoreError> {
                    import(self, areas, actor, progress, true).await
                }

                async fn plan_import(
                    &self,
                    areas: &[NewArea],
                    actor: &str,
                ) -> Result<HazardImportReport, StoreError> {
                    import(self, areas, actor, &|_, _| {}, false).await
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
                    let what = format!("hazardous area {}", area.area.id);
                    let who = self.who.as_deref();
                    crate::access::require_write(who, cur.area.iso3.as_deref(), cur.area.organisation.as_deref(), &what)?;
                    crate::access::require_write(who, area.area.iso3.as_deref(), area.area.organisation.as_deref(), &what)?;
                    let v = new_version(&mut tx, &cur, area, status, actor, &now()).await?;
                    tx.commit().await.map_err(db("committing the change"))?;
                    self.note_head().await?;
                    Ok(v)
                }

                async fn approve_area(&self, id: i64, actor: &str) -> Result<(), StoreError> {
                    let mut tx = self.begin_write().await?;
                    approve_in(self, &mut tx, id, actor).await?;
                    tx.commit().await.map_err(db("committing the approval"))?;
                    self.note_head().await?;
                    Ok(())
                }

                async fn area(&self, id: i64) -> Result<Option<StoredArea>, StoreError> {
                    crate::access::require(self.access, demine_core::schema::Sensitivity::Partner, "hazard coordinates")?;
                    let mut tx = self.begin_snapshot().await?;
                    let a = read_area(&mut tx, id).await?;
                    tx.commit().await.map_err(db("ending the read"))?;
                    // Outside the reader's scope, an area reads as absent.
                    Ok(a.filter(|a| {
                        crate::access::sees_area(self.who.as_deref(), a.area.iso3.as_deref(), a.area.organisation.as_deref())
                    }))
                }

                async fn areas(&self, filter: &AreaFilter) -> Result<Vec<StoredArea>, StoreError> {
                    crate::access::require(self.access, demine_core::schema::Sensitivity::Partner, "hazard coordinates")?;
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
                    let all: Vec<StoredArea> = rows.iter().map(decode_area).collect::<Result<_, _>>()?;
                    let who = self.who.as_deref();
                    Ok(all
                        .into_iter()
                        .filter(|a| crate::access::sees_area(who, a.area.iso3.as_deref(), a.area.organisation.as_deref()))
                        .collect())
                }

                async fn history(&self, id: i64) -> Result<Vec<AreaVersion>, StoreError> {
                    crate::access::require(self.access, demine_core::schema::Sensitivity::Partner, "hazard coordinates")?;
                    let mut tx = self.begin_snapshot().await?;
                    let Some(cur) = read_area(&mut tx, id).await?.filter(|a| {
                        crate::access::sees_area(self.who.as_deref(), a.area.iso3.as_deref(), a.area.organisation.as_deref())
                    }) else {
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
                    record_activities(self, list, actor, true).await
                }

                async fn plan_activities(
                    &self,
                    list: &[(Activity, Geometry)],
                    actor: &str,
                ) -> Result<Vec<StoredActivity>, StoreError> {
                    record_activities(self, list, actor, false).await
                }

                async fn activities(&self, area_id: i64) -> Result<Vec<StoredActivity>, StoreError> {
                    crate::access::require(self.access, demine_core::schema::Sensitivity::Partner, "hazard coordinates")?;
                    let mut tx = self.begin_snapshot().await?;
                    // Outside the reader's scope, an area has no activities to show.
                    let seen = read_area(&mut tx, area_id).await?.is_none_or(|a| {
                        crate::access::sees_area(self.who.as_deref(), a.area.iso3.as_deref(), a.area.organisation.as_deref())
                    });
                    let a = if seen { read_activities(&mut tx, area_id).await? } else { Vec::new() };
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
                    crate::access::require_write(
                        self.who.as_deref(),
                        Some(&field.iso3),
                        None,
                        &format!("custom field {} of {}", field.name, field.iso3),
                    )?;
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
                    self.note_head().await?;
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

                async fn index_records_cached(&self, threads: usize) -> Result<crate::hazards::IndexLoad, StoreError> {
                    use crate::hazards::packed;
                    crate::access::require(self.access, demine_core::schema::Sensitivity::Partner, "hazard coordinates")?;
                    let mut tx = self.begin_snapshot().await?;
                    let version = hazard_version_in(&mut tx).await?;
                    // The row is kept and its blob borrowed where the driver holds it: decoding
                    // into a Vec would copy the tens of megabytes once more.
                    let cached = sqlx::query(
                        "SELECT entries, head, sha256, data FROM hazard_index_cache WHERE id = 1",
                    )
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db("reading the packed index"))?;
                    tx.commit().await.map_err(db("ending the read"))?;
                    let bad = |e: sqlx::Error| corrupt("hazard_index_cache", e);
                    if let Some(row) = &cached
                        && row.try_get::<i64, _>(0).map_err(bad)? == version.n
                        && row.try_get::<&str, _>(1).map_err(bad)? == version.token.to_string()
                        && let data = row.try_get::<&[u8], _>(3).map_err(bad)?
                        && packed::digest(data) == row.try_get::<&str, _>(2).map_err(bad)?
                        && let Some(records) = packed::decode_records(data, threads)?
                    {
                        return Ok(crate::hazards::IndexLoad {
                            records,
                            version,
                            from_cache: true,
                            cache_written: false,
                        });
                    }
                    load_rows(self, threads).await
                }

                async fn hazard_totals(
                    &self,
                    iso3: Option<&str>,
                ) -> Result<demine_analytics::HazardTotals, StoreError> {
                    use demine_analytics::{AreaTotal, DeviceTotal, ReleaseTotal};
                    use std::collections::BTreeMap;
                    let t = "hazard_areas";
                    let mut tx = self.begin_snapshot().await?;
                    let (cond, acond) = if iso3.is_some() {
                        (" WHERE iso3 = $1", " WHERE a.iso3 = $1")
                    } else {
                        ("", "")
                    };
                    // Areas: where nothing was released the remaining area is the recorded one,
                    // stored when the geometry was written (area_m2); the geometry is read and
                    // measured only for a row whose area was never stored.
                    let sql = format!(
                        "SELECT id, iso3, hazard_type, status, admin_area, devices, radius_m, \
                         remaining_m2, area_m2, \
                         CASE WHEN remaining_m2 IS NULL AND area_m2 IS NULL THEN {} END \
                         FROM hazard_areas{cond}",
                        gout("geom")
                    );
                    type AreaRow = (i64, Option<String>, String, String, Option<String>, String, Option<f64>, Option<f64>, Option<f64>, Option<Vec<u8>>);
                    let mut q = sqlx::query_as::<_, AreaRow>(sqlx::AssertSqlSafe(sql));
                    if let Some(c) = iso3 {
                        q = q.bind(c.to_string());
                    }
                    let rows = q.fetch_all(&mut *tx).await.map_err(db("totalling the hazardous areas"))?;
                    let mut groups: BTreeMap<(Option<String>, String, Option<String>, Vec<String>), AreaTotal> =
                        BTreeMap::new();
                    for (id, code, htype, status, admin, devices, radius, rem, recorded, wkb) in rows {
                        let mut devs: Vec<String> = serde_json::from_str::<Vec<DeviceCategory>>(&devices)
                            .map_err(|e| corrupt(t, format!("area {id}: devices: {e}")))?
                            .iter()
                            .map(|d| d.as_str().to_string())
                            .collect();
                        devs.sort();
                        devs.dedup();
                        let remaining = match (rem, recorded, wkb) {
                            (Some(m), _, _) => m,
                            (None, Some(m), _) => m,
                            (None, None, Some(b)) => crate::hazards::shape_area_m2(&shape_from(id, &b, radius)?),
                            (None, None, None) => return Err(corrupt(t, format!("area {id}: no geometry"))),
                        };
                        let hazard = demine_core::hazard::counts_as_hazard(&status, rem);
                        let g = groups
                            .entry((code.clone(), htype.clone(), admin.clone(), devs.clone()))
                            .or_insert_with(|| AreaTotal {
                                iso3: code,
                                hazard_type: htype,
                                admin_area: admin,
                                devices: devs,
                                hazard_areas: 0,
                                areas: 0,
                                remaining_m2: 0.0,
                            });
                        g.areas += 1;
                        if hazard {
                            g.hazard_areas += 1;
                            g.remaining_m2 += remaining;
                        }
                    }
                    let year = |s: Option<String>| s.and_then(|s| s.get(..4).and_then(|y| y.parse::<i32>().ok()));
                    // Per State, each activity is joined to its area for the State; the world
                    // totals need no State, which spares a million lookups into the areas.
                    let (sql, dsql) = if iso3.is_some() {
                        (
                            format!(
                                "SELECT a.iso3, substr(COALESCE(r.end_date, r.start_date), 1, 4), \
                                 r.kind, COUNT(*), SUM(r.released_m2) FROM release_activities r \
                                 JOIN hazard_areas a ON a.id = r.area_id{acond} \
                                 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
                            ),
                            format!(
                                "SELECT a.iso3, substr(COALESCE(d.destroyed, r.end_date, r.start_date), 1, 4), \
                                 d.category, COUNT(*), SUM(CASE WHEN d.destroyed IS NULL THEN 0 ELSE 1 END) \
                                 FROM device_finds d JOIN release_activities r ON r.id = d.activity_id \
                                 JOIN hazard_areas a ON a.id = r.area_id{acond} \
                                 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
                            ),
                        )
                    } else {
                        (
                            "SELECT CAST(NULL AS TEXT), substr(COALESCE(end_date, start_date), 1, 4), \
                             kind, COUNT(*), SUM(released_m2) FROM release_activities \
                             GROUP BY 2, 3 ORDER BY 2, 3"
                                .to_string(),
                            "SELECT CAST(NULL AS TEXT), substr(COALESCE(d.destroyed, r.end_date, r.start_date), 1, 4), \
                             d.category, COUNT(*), SUM(CASE WHEN d.destroyed IS NULL THEN 0 ELSE 1 END) \
                             FROM device_finds d JOIN release_activities r ON r.id = d.activity_id \
                             GROUP BY 2, 3 ORDER BY 2, 3"
                                .to_string(),
                        )
                    };
                    let mut q = sqlx::query_as::<_, (Option<String>, Option<String>, String, i64, Option<f64>)>(
                        sqlx::AssertSqlSafe(sql),
                    );
                    if let Some(c) = iso3 {
                        q = q.bind(c.to_string());
                    }
                    let releases = q
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db("totalling the land release"))?
                        .into_iter()
                        .map(|(code, y, kind, n, m2)| ReleaseTotal {
                            iso3: code,
                            year: year(y),
                            kind,
                            activities: u64::try_from(n).unwrap_or(0),
                            released_m2: m2.unwrap_or(0.0),
                        })
                        .collect();
                    let mut q = sqlx::query_as::<_, (Option<String>, Option<String>, String, i64, i64)>(
                        sqlx::AssertSqlSafe(dsql),
                    );
                    if let Some(c) = iso3 {
                        q = q.bind(c.to_string());
                    }
                    let devices = q
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db("totalling the devices found"))?
                        .into_iter()
                        .map(|(code, y, category, n, destroyed)| DeviceTotal {
                            iso3: code,
                            year: year(y),
                            category,
                            found: u64::try_from(n).unwrap_or(0),
                            destroyed: u64::try_from(destroyed).unwrap_or(0),
                        })
                        .collect();
                    tx.commit().await.map_err(db("ending the read"))?;
                    Ok(demine_analytics::HazardTotals {
                        areas: groups.into_values().collect(),
                        releases,
                        devices,
                    })
                }

                async fn index_records(&self, threads: usize) -> Result<Vec<HazardRecord>, StoreError> {
                    crate::access::require(self.access, demine_core::schema::Sensitivity::Partner, "hazard coordinates")?;
                    let sql = index_sql();
                    let rows: Vec<crate::hazards::IndexRow> =
                        sqlx::query_as(sqlx::AssertSqlSafe(sql))
                            .fetch_all(&self.pool)
                            .await
                            .map_err(db("loading the hazards for the index"))?;
                    crate::hazards::decode_index_rows(rows, threads)
                }

                async fn index_records_near(&self, boxes: &[demine_geo::Bbox], threads: usize) -> Result<Vec<HazardRecord>, StoreError> {
                    crate::access::require(self.access, demine_core::schema::Sensitivity::Partner, "hazard coordinates")?;
                    if boxes.is_empty() {
                        return Ok(Vec::new());
                    }
                    let mut n = 0;
                    let mut next = || {
                        n += 1;
                        format!("${n}")
                    };
                    let mut cond: Vec<String> = Vec::new();
                    for _ in boxes {
                        let (a, b, c, d) = (next(), next(), next(), next());
                        cond.push(format!(
                            "({})",
                            $bbox
                                .replace("{a}", &a)
                                .replace("{b}", &b)
                                .replace("{c}", &c)
                                .replace("{d}", &d)
                        ));
                    }
                    let sql = format!(
                        "SELECT id, COALESCE(source_status, status), hazard_type, {}, \
                         CASE WHEN remaining IS NULL THEN radius_m END \
                         FROM hazard_areas WHERE ({}) AND {} ORDER BY id",
                        gout("COALESCE(remaining, geom)"),
                        cond.join(" OR "),
                        demine_core::hazard::hazard_sql_filter("status", "remaining_m2")
                    );
                    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                    for b in boxes {
                        q = q.bind(b.min_lon).bind(b.min_lat).bind(b.max_lon).bind(b.max_lat);
                    }
                    let rows: Vec<crate::hazards::IndexRow> = q
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db("loading the hazards near the places checked"))?;
                    crate::hazards::decode_index_rows(rows, threads)
                }
            }
        }
    };
}

pub(crate) use hazard_backend;
