//! GeoPackage files (what a QGIS user hands over): written and read through the store's own
//! SQLite driver. Written: the GeoPackage 1.3 tables (`gpkg_spatial_ref_sys`, `gpkg_contents`,
//! `gpkg_geometry_columns`) and one feature table per layer with every attribute as a typed
//! column and the geometry as a GeoPackage blob (`demine_geo::gpkg`). Read: the first features
//! layer (or the one named), any columns, values as GDAL writes them (string lists `(2:a,b)`,
//! date-times, numbers as strings: the attribute readers take them all), in WGS 84 or a UTM
//! zone (reprojected); any other declared CRS is refused, naming it.

use std::path::Path;

use demine_geo::attrs::{self, FieldType};
use demine_geo::gpkg::{Crs, decode_blob, encode_blob};
use demine_geo::write::{OutFeature, feature_fields};
use demine_geo::{Collection, Feature, FeatureId, Geometry, Properties};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Column, Connection, Row, TypeInfo, ValueRef};

use crate::StoreError;

fn fail(file: &Path, reason: impl std::fmt::Display) -> StoreError {
    StoreError::BadFile {
        file: file.display().to_string(),
        reason: reason.to_string(),
    }
}

/// One layer to write: a table name and its features.
#[derive(Debug)]
pub struct Layer<'a> {
    /// The table (and layer) name: letters, digits and `_`.
    pub name: &'a str,
    /// The features.
    pub features: Vec<OutFeature<'a>>,
}

fn quote(id: &str) -> String {
    format!("\"{}\"", id.replace('"', "\"\""))
}

/// Runs an async GeoPackage job on its own thread and runtime, so that it can be called from
/// synchronous code and from inside another runtime alike.
fn blocking<T: Send>(
    path: &Path,
    job: impl std::future::Future<Output = Result<T, StoreError>> + Send,
) -> Result<T, StoreError> {
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| fail(path, e))?;
            rt.block_on(job)
        })
        .join()
        .unwrap_or_else(|_| Err(fail(path, "the GeoPackage thread failed")))
    })
}

/// Writes `layers` to a new GeoPackage at `path` (an existing file is refused: never
/// overwritten).
pub fn write_gpkg(path: &Path, layers: &[Layer<'_>]) -> Result<(), StoreError> {
    if path.exists() {
        return Err(fail(
            path,
            "exists already; demine does not overwrite a GeoPackage",
        ));
    }
    blocking(path, write_async(path, layers))
}

async fn write_async(path: &Path, layers: &[Layer<'_>]) -> Result<(), StoreError> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let mut c = SqliteConnection::connect_with(&opts)
        .await
        .map_err(|e| fail(path, e))?;
    let mut tx = c.begin().await.map_err(|e| fail(path, e))?;
    for stmt in [
        "PRAGMA application_id = 1196444487",
        "PRAGMA user_version = 10300",
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, \
         organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT \
         NOT NULL, description TEXT)",
        "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT \
         NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT \
         NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x \
         DOUBLE, max_y DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) \
         REFERENCES gpkg_spatial_ref_sys(srs_id))",
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT \
         NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m \
         TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), \
         CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), \
         CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))",
    ] {
        sqlx::query(stmt)
            .execute(&mut *tx)
            .await
            .map_err(|e| fail(path, e))?;
    }
    let wgs84 = "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,\
AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,\
AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],\
AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],AUTHORITY[\"EPSG\",\"4326\"]]";
    for (name, id, org, code, def) in [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined"),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined"),
        ("WGS 84 geodetic", 4326, "EPSG", 4326, wgs84),
    ] {
        sqlx::query(
            "INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, \
             organization_coordsys_id, definition) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(name)
        .bind(id)
        .bind(org)
        .bind(code)
        .bind(def)
        .execute(&mut *tx)
        .await
        .map_err(|e| fail(path, e))?;
    }
    for layer in layers {
        let maps: Vec<_> = layer.features.iter().map(feature_fields).collect();
        let mut schema = attrs::schema(&maps);
        schema.retain(|(k, _)| !k.eq_ignore_ascii_case("fid") && !k.eq_ignore_ascii_case("geom"));
        let mut cols = String::from("fid INTEGER PRIMARY KEY AUTOINCREMENT, geom GEOMETRY");
        for (k, t) in &schema {
            cols.push_str(&format!(", {} {}", quote(k), t.sql()));
        }
        let table = quote(layer.name);
        // Identifiers are quoted (quote doubles any quote inside), values bound.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE TABLE {table} ({cols})"
        )))
        .execute(&mut *tx)
        .await
        .map_err(|e| fail(path, e))?;
        let mut bbox: Option<demine_geo::Bbox> = None;
        let placeholders: Vec<String> = (0..schema.len() + 1)
            .map(|i| format!("${}", i + 1))
            .collect();
        let names: Vec<String> = std::iter::once("geom".to_string())
            .chain(schema.iter().map(|(k, _)| quote(k)))
            .collect();
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            placeholders.join(", ")
        );
        for (x, m) in layer.features.iter().zip(&maps) {
            let g = x.shape.to_geometry();
            if let Some(b) = g.bbox() {
                bbox = Some(match bbox {
                    None => b,
                    Some(o) => demine_geo::Bbox {
                        min_lon: o.min_lon.min(b.min_lon),
                        min_lat: o.min_lat.min(b.min_lat),
                        max_lon: o.max_lon.max(b.max_lon),
                        max_lat: o.max_lat.max(b.max_lat),
                    },
                });
            }
            let mut q =
                sqlx::query(sqlx::AssertSqlSafe(insert.clone())).bind(encode_blob(&g, 4326));
            for (k, t) in &schema {
                let v = m.get(k);
                q = match (t, v) {
                    (_, None | Some(serde_json::Value::Null)) => q.bind(None::<String>),
                    (FieldType::Integer, Some(v)) => q.bind(v.as_i64()),
                    (FieldType::Real, Some(v)) => q.bind(v.as_f64()),
                    (FieldType::Text, Some(v)) => q.bind(attrs::flat_text(v)),
                };
            }
            q.execute(&mut *tx).await.map_err(|e| fail(path, e))?;
        }
        let geometry_type = {
            let kinds: std::collections::BTreeSet<&str> = layer
                .features
                .iter()
                .map(|x| match x.shape.to_geometry() {
                    Geometry::Point(_) => "POINT",
                    Geometry::Polygon(_) => "POLYGON",
                    Geometry::MultiPolygon(_) => "MULTIPOLYGON",
                    _ => "GEOMETRY",
                })
                .collect();
            match kinds.len() {
                1 => kinds.into_iter().next().unwrap_or("GEOMETRY"),
                _ if !kinds.contains("POINT") && !kinds.contains("GEOMETRY") => "MULTIPOLYGON",
                _ => "GEOMETRY",
            }
        };
        sqlx::query(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, min_x, min_y, max_x, \
             max_y, srs_id) VALUES ($1, 'features', $1, $2, $3, $4, $5, 4326)",
        )
        .bind(layer.name)
        .bind(bbox.map(|b| b.min_lon))
        .bind(bbox.map(|b| b.min_lat))
        .bind(bbox.map(|b| b.max_lon))
        .bind(bbox.map(|b| b.max_lat))
        .execute(&mut *tx)
        .await
        .map_err(|e| fail(path, e))?;
        sqlx::query(
            "INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, \
             srs_id, z, m) VALUES ($1, 'geom', $2, 4326, 0, 0)",
        )
        .bind(layer.name)
        .bind(geometry_type)
        .execute(&mut *tx)
        .await
        .map_err(|e| fail(path, e))?;
    }
    tx.commit().await.map_err(|e| fail(path, e))?;
    c.close().await.map_err(|e| fail(path, e))?;
    Ok(())
}

/// Reads the features of a GeoPackage layer (`layer`, or the first features table) as a
/// validated collection: `id`, `status`, `type`/`hazard_type`, `name`, `radius`/`radius_m`
/// columns into the feature's own fields, every other column into its attributes.
pub fn read_gpkg(path: &Path, layer: Option<&str>) -> Result<Collection, StoreError> {
    let name = path.display().to_string();
    let features = blocking(path, read_async(path, layer))?;
    Ok(demine_geo::validate::validate(&name, features, 1)?)
}

async fn read_async(path: &Path, layer: Option<&str>) -> Result<Vec<Feature>, StoreError> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true);
    let mut c = SqliteConnection::connect_with(&opts)
        .await
        .map_err(|e| fail(path, format!("cannot open as SQLite/GeoPackage: {e}")))?;
    let layers: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c JOIN \
         gpkg_geometry_columns g ON g.table_name = c.table_name WHERE c.data_type = 'features' \
         ORDER BY c.table_name",
    )
    .fetch_all(&mut c)
    .await
    .map_err(|e| {
        fail(
            path,
            format!("not a GeoPackage of features (gpkg_contents/gpkg_geometry_columns): {e}"),
        )
    })?;
    let chosen = match layer {
        Some(l) => layers.iter().find(|(t, _, _)| t == l).ok_or_else(|| {
            fail(
                path,
                format!(
                    "no layer {l:?}; layers: {}",
                    layers
                        .iter()
                        .map(|(t, _, _)| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?,
        None => layers
            .iter()
            .find(|(t, _, _)| t != "activities")
            .or(layers.first())
            .ok_or_else(|| fail(path, "no features layer"))?,
    };
    let (table, geom_col, srs_id) = chosen.clone();
    let srs: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT srs_name, organization, organization_coordsys_id FROM gpkg_spatial_ref_sys \
         WHERE srs_id = $1",
    )
    .bind(srs_id)
    .fetch_optional(&mut c)
    .await
    .map_err(|e| fail(path, format!("gpkg_spatial_ref_sys: {e}")))?;
    let Some((srs_name, org, code)) = srs else {
        return Err(fail(
            path,
            format!("layer {table} declares SRS id {srs_id}, which gpkg_spatial_ref_sys lacks"),
        ));
    };
    let Some(crs) = Crs::from_epsg(&org, code) else {
        return Err(fail(
            path,
            format!(
                "layer {table} is in {srs_name} ({org}:{code}); demine reads WGS 84 (EPSG:4326) \
                 and UTM zones (EPSG:326xx/327xx): reproject it, e.g. ogr2ogr -t_srs EPSG:4326"
            ),
        ));
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT * FROM {}",
        quote(&table)
    )))
    .fetch_all(&mut c)
    .await
    .map_err(|e| fail(path, format!("layer {table}: {e}")))?;
    let mut out = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        let mut props = Properties::default();
        let mut id = None;
        let mut geometry = None;
        for (i, col) in row.columns().iter().enumerate() {
            let cname = col.name();
            let lower = cname.to_ascii_lowercase();
            let raw = row
                .try_get_raw(i)
                .map_err(|e| fail(path, format!("feature {index}, column {cname}: {e}")))?;
            if raw.is_null() {
                continue;
            }
            let tn = raw.type_info().name().to_ascii_uppercase();
            if cname == geom_col {
                let b: Vec<u8> = row
                    .try_get(i)
                    .map_err(|e| fail(path, format!("feature {index}, column {cname}: {e}")))?;
                let (_, g) = decode_blob(&b)
                    .map_err(|e| fail(path, format!("feature {index}, column {cname}: {e}")))?;
                geometry = Some(crs.geometry_to_lon_lat(g));
                continue;
            }
            let value: serde_json::Value = match tn.as_str() {
                "INTEGER" => row
                    .try_get::<i64, _>(i)
                    .map(serde_json::Value::from)
                    .unwrap_or(serde_json::Value::Null),
                "REAL" => row
                    .try_get::<f64, _>(i)
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null),
                "BLOB" => continue,
                _ => row
                    .try_get::<String, _>(i)
                    .map(serde_json::Value::String)
                    .unwrap_or(serde_json::Value::Null),
            };
            let text = attrs::flat_text(&value).unwrap_or_default();
            match lower.as_str() {
                "fid" => {}
                "id" => {
                    id = Some(match value.as_i64() {
                        Some(i) => FeatureId::Int(i),
                        None => match text.trim().parse::<i64>() {
                            Ok(i) => FeatureId::Int(i),
                            Err(_) => FeatureId::Str(text.trim().to_string()),
                        },
                    })
                }
                "status" => props.status = Some(text),
                "type" | "hazard_type" => props.hazard_type = Some(text),
                "name" => props.name = Some(text),
                "radius" | "radius_m" => {
                    props.radius_m = Some(text.trim().parse::<f64>().map_err(|_| {
                        fail(
                            path,
                            format!("feature {index}, column {cname}: {text:?} is not a number"),
                        )
                    })?)
                }
                _ => {
                    props.attributes.insert(cname.to_string(), value);
                }
            }
        }
        out.push(Feature {
            index,
            id,
            properties: props,
            geometry,
        });
    }
    c.close().await.map_err(|e| fail(path, e))?;
    Ok(out)
}
