//! Hazardous areas to and from files: features read by `demine_geo`'s readers turned into areas
//! (with their attributes, custom values and the check against the State's boundary), land
//! release perimeters validated, and the store's areas as the plain features the format writers
//! of `demine_geo::write` take.

use std::collections::BTreeMap;

use demine_core::hazard::{Activity, CustomField, HazardArea, HazardType, map_source_status};
use demine_geo::write::{FileFormat, OutFeature, radius, write_features};
use demine_geo::{Collection, FeatureId, Geometry, HazardShape, hazard_records};

use crate::StoreError;
use crate::boundaries::{self, Placement};
use crate::error::FeatureFault;
use crate::hazards::{NewArea, StoredArea};

/// The status word written on export: the source's word when there is one (so that a file
/// round-trips), else the model's status.
pub fn export_status(a: &HazardArea) -> String {
    a.source_status
        .clone()
        .unwrap_or_else(|| a.status.as_str().to_string())
}

/// One stored area as a feature to write: every attribute as a GeoJSON property (so that a
/// GeoJSON export imports back whole), and the few the other formats carry.
pub fn out_feature(x: &StoredArea) -> OutFeature<'_> {
    let a = &x.area;
    let properties = match serde_json::json!({
        "id": a.id,
        "reference": a.reference,
        "name": a.name,
        "type": a.hazard_type,
        "status": export_status(a),
        "area_status": a.status,
        "iso3": a.iso3,
        "admin_area": a.admin_area,
        "organisation": a.organisation,
        "devices": a.devices,
        "reported": a.reported,
        "surveyed": a.surveyed,
        "benchmark": a.benchmark,
        "notes": a.notes,
        "custom": a.custom,
        "radius_m": radius(&x.shape),
        "remaining_m2": x.remaining_m2,
        "version": x.version,
        "version_status": x.version_status,
    }) {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    OutFeature {
        id: a.id,
        name: a.name.as_deref(),
        status: export_status(a),
        hazard_type: a.hazard_type.to_string(),
        iso3: a.iso3.as_deref(),
        shape: &x.shape,
        properties,
    }
}

/// The areas as text in a format, with their recorded geometry (what re-imports whole).
pub fn export_text(areas: &[StoredArea], format: FileFormat) -> Result<String, StoreError> {
    let features: Vec<OutFeature<'_>> = areas.iter().map(out_feature).collect();
    Ok(write_features(&features, format)?)
}

/// Which geometry an export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExportGeometry {
    /// The recorded area (what an import of the file restores).
    Recorded,
    /// What remains a hazard after land release (the safety picture; the check against the
    /// exported file agrees with the check against the database). An area with nothing left is
    /// not written.
    #[default]
    Remaining,
    /// Both: each area's recorded geometry, and its remaining geometry as a second feature
    /// where land was released.
    Both,
}

/// How to export areas.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExportOptions {
    /// Which geometry.
    pub geometry: ExportGeometry,
    /// Write a point hazard as the polygon of its radius (an area a GIS shows), not a point.
    pub points_as_circles: bool,
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Features written.
    pub features: usize,
    /// Areas left out because nothing of them remains a hazard (remaining geometry only).
    pub nothing_remaining: Vec<i64>,
}

/// The features of an export: each area's shape as `opts` chooses, with the property
/// `geometry_kind` (`recorded`, `remaining`, or `circle` for a point written as its polygon),
/// so that an import refuses a geometry that is not the recorded one.
fn export_shapes(
    areas: &[StoredArea],
    opts: &ExportOptions,
) -> (Vec<(usize, HazardShape, &'static str)>, ExportSummary) {
    let mut out = Vec::with_capacity(areas.len());
    let mut summary = ExportSummary::default();
    let as_circle = |shape: &HazardShape, kind: &'static str| match shape {
        HazardShape::Circle { center, radius_m } if opts.points_as_circles => {
            let mut ps = demine_geo::ops::circle_polygon(*center, *radius_m);
            match ps.len() {
                1 => (HazardShape::Polygon(ps.remove(0)), "circle"),
                _ => (shape.clone(), kind),
            }
        }
        _ => (shape.clone(), kind),
    };
    for (i, x) in areas.iter().enumerate() {
        let remaining = x.remaining.as_ref().map(|g| {
            let ps = demine_geo::ops::geometry_polygons(g);
            match ps.len() {
                0 => None,
                1 => ps.into_iter().next().map(HazardShape::Polygon),
                _ => Some(HazardShape::MultiPolygon(ps)),
            }
        });
        let recorded = || as_circle(&x.shape, "recorded");
        match opts.geometry {
            ExportGeometry::Recorded => {
                let (s, k) = recorded();
                out.push((i, s, k));
            }
            ExportGeometry::Remaining => match remaining {
                None => {
                    let (s, k) = recorded();
                    out.push((i, s, k));
                }
                Some(None) => summary.nothing_remaining.push(x.area.id),
                Some(Some(r)) => out.push((i, r, "remaining")),
            },
            ExportGeometry::Both => {
                let (s, k) = recorded();
                out.push((i, s, k));
                if let Some(Some(r)) = remaining {
                    out.push((i, r, "remaining"));
                }
            }
        }
    }
    summary.features = out.len();
    (out, summary)
}

/// The areas as text in a format, with the geometry `opts` chooses.
pub fn export_text_with(
    areas: &[StoredArea],
    format: FileFormat,
    opts: &ExportOptions,
) -> Result<(String, ExportSummary), StoreError> {
    let (shapes, summary) = export_shapes(areas, opts);
    let features: Vec<OutFeature<'_>> = shapes
        .iter()
        .filter_map(|(i, shape, kind)| {
            let x = areas.get(*i)?;
            let mut f = out_feature(x);
            f.shape = shape;
            f.properties.insert("geometry_kind".into(), (*kind).into());
            Some(f)
        })
        .collect();
    Ok((write_features(&features, format)?, summary))
}

/// Land release activities as features (the perimeter as geometry, every attribute as a
/// property; a GeoJSON of them is what `demine release import` reads).
pub fn activities_text(
    acts: &[crate::hazards::StoredActivity],
    format: FileFormat,
) -> Result<String, StoreError> {
    let shapes = activity_shapes(acts);
    let features = activity_features(acts, &shapes);
    Ok(write_features(&features, format)?)
}

fn activity_shapes(acts: &[crate::hazards::StoredActivity]) -> Vec<HazardShape> {
    acts.iter()
        .map(|a| {
            HazardShape::from_geometry(a.perimeter.clone(), None)
                .unwrap_or(HazardShape::MultiPolygon(Vec::new()))
        })
        .collect()
}

fn activity_features<'a>(
    acts: &'a [crate::hazards::StoredActivity],
    shapes: &'a [HazardShape],
) -> Vec<OutFeature<'a>> {
    acts.iter()
        .zip(shapes)
        .map(|(a, shape)| {
            let mut properties = match serde_json::to_value(&a.activity) {
                Ok(serde_json::Value::Object(m)) => m,
                _ => serde_json::Map::new(),
            };
            properties.insert("perimeter_m2".into(), a.perimeter_m2.into());
            OutFeature {
                id: a.activity.id,
                name: None,
                status: a.activity.kind.to_string(),
                hazard_type: String::new(),
                iso3: None,
                shape,
                properties,
            }
        })
        .collect()
}

/// Writes areas (the geometry `opts` chooses) and their land release activities to a new
/// GeoPackage: layers `hazardous_areas` and `activities`.
pub fn export_gpkg(
    path: &std::path::Path,
    areas: &[StoredArea],
    acts: &[crate::hazards::StoredActivity],
    opts: &ExportOptions,
) -> Result<ExportSummary, StoreError> {
    let (shapes, summary) = export_shapes(areas, opts);
    let features: Vec<OutFeature<'_>> = shapes
        .iter()
        .filter_map(|(i, shape, kind)| {
            let x = areas.get(*i)?;
            let mut f = out_feature(x);
            f.shape = shape;
            f.properties.insert("geometry_kind".into(), (*kind).into());
            Some(f)
        })
        .collect();
    let act_shapes = activity_shapes(acts);
    let layers = [
        crate::gpkg::Layer {
            name: "hazardous_areas",
            features,
        },
        crate::gpkg::Layer {
            name: "activities",
            features: activity_features(acts, &act_shapes),
        },
    ];
    crate::gpkg::write_gpkg(path, &layers)?;
    Ok(summary)
}

/// Every version of areas as features (the geometry as it was; `geometry_kind` = `version`, so
/// that an import refuses the file).
pub fn history_text(
    versions: &[(i64, crate::hazards::AreaVersion)],
    format: FileFormat,
) -> Result<String, StoreError> {
    let mut shapes = Vec::with_capacity(versions.len());
    for (id, v) in versions {
        let g = demine_geo::parse_wkt(&v.geometry_wkt).map_err(|e| StoreError::Invalid {
            file: format!("area {id} version {}", v.version),
            line: 0,
            column: "geometry".into(),
            reason: e.to_string(),
        })?;
        // A version keeps its geometry as WKT: a point hazard's version is its centre point.
        shapes.push(
            HazardShape::from_geometry(g, None).unwrap_or(HazardShape::MultiPolygon(Vec::new())),
        );
    }
    let features: Vec<OutFeature<'_>> = versions
        .iter()
        .zip(&shapes)
        .map(|((id, v), shape)| {
            let a = &v.area;
            let properties = match serde_json::json!({
                "area_id": id,
                "version": v.version,
                "version_status": v.version_status,
                "made_at": v.made_at,
                "made_by": v.made_by,
                "superseded_at": v.superseded_at,
                "superseded_by": v.superseded_by,
                "name": a.name,
                "type": a.hazard_type,
                "status": export_status(a),
                "iso3": a.iso3,
                "admin_area": a.admin_area,
                "organisation": a.organisation,
                "devices": a.devices,
                "reported": a.reported,
                "surveyed": a.surveyed,
                "benchmark": a.benchmark,
                "notes": a.notes,
                "custom": a.custom,
                "geometry_kind": "version",
            }) {
                serde_json::Value::Object(m) => m,
                _ => serde_json::Map::new(),
            };
            OutFeature {
                id: *id,
                name: a.name.as_deref(),
                status: export_status(a),
                hazard_type: a.hazard_type.to_string(),
                iso3: a.iso3.as_deref(),
                shape,
                properties,
            }
        })
        .collect();
    Ok(write_features(&features, format)?)
}

/// The properties of each feature of a GeoJSON text, by position (the fast reader keeps only the
/// few the safety check needs). Geometry is skipped unparsed.
pub fn geojson_properties(bytes: &[u8]) -> Vec<serde_json::Map<String, serde_json::Value>> {
    #[derive(serde::Deserialize)]
    struct F {
        #[serde(default)]
        properties: Option<serde_json::Map<String, serde_json::Value>>,
        #[serde(default)]
        #[allow(dead_code)]
        geometry: serde::de::IgnoredAny,
    }
    #[derive(serde::Deserialize)]
    struct Fc {
        #[serde(default)]
        features: Option<Vec<F>>,
        #[serde(default)]
        properties: Option<serde_json::Map<String, serde_json::Value>>,
    }
    // The file has already been read and validated by demine's own reader, so a failure here
    // only means there are no properties to add.
    match serde_json::from_slice::<Fc>(bytes) {
        Ok(Fc {
            features: Some(fs), ..
        }) => fs
            .into_iter()
            .map(|f| f.properties.unwrap_or_default())
            .collect(),
        Ok(Fc { properties, .. }) => vec![properties.unwrap_or_default()],
        Err(_) => Vec::new(),
    }
}

/// The attributes of each feature of a file, by position: for GeoJSON read from its bytes
/// ([`geojson_properties`]), for the other formats what their readers kept in
/// `Properties::attributes`.
pub fn feature_properties(
    c: &Collection,
    geojson: Option<&[u8]>,
) -> Vec<serde_json::Map<String, serde_json::Value>> {
    if let Some(bytes) = geojson {
        return geojson_properties(bytes);
    }
    let n = c.features.iter().map(|f| f.index + 1).max().unwrap_or(0);
    let mut out = vec![serde_json::Map::new(); n];
    for f in &c.features {
        if let Some(slot) = out.get_mut(f.index) {
            slot.clone_from(&f.properties.attributes);
        }
    }
    out
}

/// The attributes of each feature of a collection, by position, moved out of its features'
/// `Properties::attributes` (a GeoJSON file read with
/// `demine_geo::geojson::read_geojson_with_attributes`, or any other format): what
/// [`feature_properties`] returns, without a copy and without reading the file again.
pub fn take_feature_properties(
    c: &mut Collection,
) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let n = c.features.iter().map(|f| f.index + 1).max().unwrap_or(0);
    let mut out = vec![serde_json::Map::new(); n];
    for f in &mut c.features {
        if let Some(slot) = out.get_mut(f.index) {
            *slot = std::mem::take(&mut f.properties.attributes);
        }
    }
    out
}

/// What a feature's properties say beyond id, status, type, name and radius.
fn extra_attributes(
    area: &mut HazardArea,
    p: &serde_json::Map<String, serde_json::Value>,
    iso3: Option<&str>,
    fields: &BTreeMap<String, Vec<CustomField>>,
) -> Result<(), String> {
    use demine_geo::attrs;
    use serde_json::Value as J;
    match p.get("geometry_kind").and_then(J::as_str) {
        None | Some("recorded") => {}
        Some(kind) => {
            return Err(format!(
                "its geometry is not the recorded area but {kind:?} (an export with --geometry \
                 remaining or both, --points-as-circles or --history): export with --geometry \
                 recorded to re-import"
            ));
        }
    }
    let text = |k: &str| {
        match p.get(k) {
            Some(J::String(s)) => Some(s.trim().to_string()),
            Some(J::Number(n)) => Some(n.to_string()),
            _ => None,
        }
        .filter(|s| !s.is_empty())
    };
    let date = |k: &str| -> Result<Option<chrono::NaiveDate>, String> {
        text(k)
            .map(|s| attrs::parse_date(&s).map_err(|e| format!("{k} {e}")))
            .transpose()
    };
    area.iso3 = match (iso3, text("iso3")) {
        (Some(c), Some(x)) if !x.eq_ignore_ascii_case(c) => {
            return Err(format!("its iso3 property {x:?} is not --iso3 {c}"));
        }
        (Some(c), _) => Some(c.to_string()),
        (None, Some(x)) => Some(
            x.parse::<demine_core::Iso3>()
                .map_err(|e| e.to_string())?
                .to_string(),
        ),
        (None, None) => None,
    };
    area.admin_area = text("admin_area");
    area.organisation = text("organisation");
    area.notes = text("notes");
    area.reported = date("reported")?;
    area.surveyed = date("surveyed")?;
    if let Some(v) = p.get("devices").filter(|v| !v.is_null()) {
        let list = attrs::list_items(v).map_err(|e| format!("devices: {e}"))?;
        for s in list {
            area.devices.push(
                s.parse()
                    .map_err(|e: demine_core::CoreError| format!("devices: {e}"))?,
            );
        }
    }
    if let Some(v) = p
        .get("benchmark")
        .filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
    {
        let b = attrs::number_pair(v).map_err(|_| format!("benchmark {v} is not [lon, lat]"))?;
        if !(b[0].abs() <= 180.0 && b[1].abs() <= 90.0) {
            return Err(format!("benchmark {v} is not a longitude/latitude"));
        }
        area.benchmark = Some(b);
    }
    let custom = match p.get("custom") {
        Some(v) => attrs::object(v).map_err(|e| format!("custom: {e}"))?,
        None => None,
    };
    if let Some(m) = custom {
        let m: BTreeMap<String, serde_json::Value> = m.into_iter().collect();
        if !m.is_empty() {
            let Some(code) = &area.iso3 else {
                return Err("custom field values need a State (iso3)".into());
            };
            let defs = fields.get(code).map(Vec::as_slice).unwrap_or(&[]);
            area.custom =
                demine_core::hazard::validate_custom(defs, &m).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Turns validated features into areas (ids, statuses, types, and from GeoJSON `props` every
/// other attribute), checking custom values against the States' `fields` and each area against
/// its State's boundary (`tolerance_m` metres of slack, plus a point's radius). A State the
/// bundled boundaries do not have is reported once through `on_unknown_state` and not checked.
/// All-or-nothing: every faulty feature is named in one [`StoreError::Features`].
///
/// A feature without an id becomes a new area (`id_given` false: the store gives it a new id),
/// never the area whose id is its position in the file. An id must be a whole number from 1 to
/// [`crate::hazards::MAX_AREA_ID`]. With `states` (the registry's ISO3 codes), a State the
/// registry does not have is a fault naming the code and the feature.
#[allow(clippy::too_many_arguments)]
pub fn to_areas(
    name: &str,
    mut c: Collection,
    iso3: Option<&str>,
    tolerance_m: f64,
    props: &[serde_json::Map<String, serde_json::Value>],
    fields: &BTreeMap<String, Vec<CustomField>>,
    states: Option<&std::collections::BTreeSet<String>>,
    mut on_unknown_state: impl FnMut(&str),
) -> Result<Vec<NewArea>, StoreError> {
    // Per feature: index, id as written, name, status (hazard_records keeps none of these).
    type Extra = (usize, Option<String>, Option<String>, Option<String>);
    let extra: Vec<Extra> = c
        .features
        .iter()
        .map(|f| {
            (
                f.index,
                f.id.as_ref().map(ToString::to_string),
                f.properties.name.clone().filter(|n| !n.trim().is_empty()),
                f.properties.status.clone().filter(|n| !n.trim().is_empty()),
            )
        })
        .collect();
    let mut faults = Vec::new();
    let max = crate::hazards::MAX_AREA_ID;
    for f in &mut c.features {
        let id = match &f.id {
            None => {
                // A placeholder no real id can have (they are checked to be positive below), so
                // that the reader's duplicate check never pairs an id-less feature with an id.
                f.id = Some(FeatureId::Int(-(f.index as i64) - 1));
                continue;
            }
            Some(FeatureId::Int(i)) => Some(*i),
            Some(FeatureId::Str(s)) => s.trim().parse::<i64>().ok(),
        };
        if let Some(i) = id
            && !(1..=max).contains(&i)
        {
            faults.push(FeatureFault {
                index: f.index,
                id: f.id.as_ref().map(ToString::to_string),
                reason: format!("id {i}: an area id is a whole number from 1 to {max}"),
            });
        }
    }
    if !faults.is_empty() {
        return Err(StoreError::Features {
            file: name.to_string(),
            faults,
        });
    }
    let records = hazard_records(name, c.features)?;
    let mut out = Vec::with_capacity(records.len());
    let any_state = iso3.is_some()
        || props
            .iter()
            .any(|p| p.get("iso3").is_some_and(|v| !v.is_null()));
    let boundaries = if any_state {
        Some(boundaries::get()?)
    } else {
        None
    };
    let empty = serde_json::Map::new();
    let mut unknown_warned = false;
    for (r, (index, reference, fname, status)) in records.into_iter().zip(extra) {
        let mapped = map_source_status(status.as_deref().unwrap_or(""));
        let hazard_type = match r.hazard_type.as_deref().map(str::parse::<HazardType>) {
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                faults.push(FeatureFault {
                    index,
                    id: reference.clone(),
                    reason: e.to_string(),
                });
                continue;
            }
            None => mapped.hazard_type.unwrap_or(HazardType::Sha),
        };
        let mut area = HazardArea {
            id: if reference.is_some() { r.id } else { 0 },
            reference: reference.clone(),
            name: fname,
            hazard_type,
            status: mapped.status,
            source_status: status,
            devices: vec![],
            benchmark: None,
            iso3: None,
            admin_area: None,
            organisation: None,
            reported: None,
            surveyed: None,
            notes: None,
            custom: BTreeMap::new(),
        };
        if let Err(e) =
            extra_attributes(&mut area, props.get(index).unwrap_or(&empty), iso3, fields)
        {
            faults.push(FeatureFault {
                index,
                id: reference.clone(),
                reason: e,
            });
            continue;
        }
        if let (Some(code), Some(known)) = (area.iso3.as_deref(), states)
            && !known.contains(code)
        {
            faults.push(FeatureFault {
                index,
                id: reference.clone(),
                reason: format!(
                    "unknown ISO3 code {code:?} (from {}): no such State in the registry",
                    if iso3.is_some() {
                        "--iso3"
                    } else {
                        "its iso3 property"
                    }
                ),
            });
            continue;
        }
        if let (Some(code), Some(b)) = (area.iso3.as_deref(), boundaries) {
            let g = match &r.shape {
                HazardShape::Circle { center, .. } => Geometry::Point(*center),
                s => s.to_geometry(),
            };
            let slack = match &r.shape {
                HazardShape::Circle { radius_m, .. } => *radius_m,
                _ => 0.0,
            };
            match b.place(code, &g, tolerance_m + slack) {
                Placement::Inside => {}
                Placement::Unknown => {
                    if !unknown_warned {
                        on_unknown_state(code);
                        unknown_warned = true;
                    }
                }
                Placement::Outside(near) => faults.push(FeatureFault {
                    index,
                    id: reference.clone(),
                    reason: format!(
                        "the area is outside {code} (more than {tolerance_m} m from its boundary){}",
                        if near.is_empty() {
                            String::new()
                        } else {
                            format!("; it is in or near {}", near.join(", "))
                        }
                    ),
                }),
            }
        }
        out.push(NewArea {
            area,
            shape: r.shape,
            id_given: reference.is_some(),
            feature: Some(index),
        });
    }
    if !faults.is_empty() {
        return Err(StoreError::Features {
            file: name.to_string(),
            faults,
        });
    }
    Ok(out)
}

/// Validates a land release perimeter like any imported feature: fixable faults are fixed, the
/// rest (and anything but a polygon or multipolygon) are a [`StoreError::BadFile`] naming `what`.
pub fn validated_perimeter(what: &str, index: usize, g: Geometry) -> Result<Geometry, StoreError> {
    let bad = |reason: String| StoreError::BadFile {
        file: what.to_string(),
        reason,
    };
    let mut f = demine_geo::Feature::new(index, g);
    f.id = Some(FeatureId::Str(what.to_string()));
    let faults = demine_geo::validate::validate_feature(&mut f);
    let errors: Vec<String> = faults
        .iter()
        .filter(|x| x.severity == demine_geo::Severity::Error)
        .map(ToString::to_string)
        .collect();
    if !errors.is_empty() {
        return Err(bad(errors.join("; ")));
    }
    match f.geometry {
        Some(g @ (Geometry::Polygon(_) | Geometry::MultiPolygon(_))) => Ok(g),
        Some(g) => Err(bad(format!(
            "a perimeter must be a Polygon or MultiPolygon, not a {}",
            g.type_name()
        ))),
        None => Err(bad("no perimeter".into())),
    }
}

/// Land release activities from a GeoJSON FeatureCollection: each feature's properties are an
/// [`Activity`] (checked), its geometry the perimeter (validated). All-or-nothing: the first
/// fault is a [`StoreError::BadFile`] naming the file and the feature by index.
pub fn read_activities(name: &str, text: &str) -> Result<Vec<(Activity, Geometry)>, StoreError> {
    let bad = |file: &str, reason: String| StoreError::BadFile {
        file: file.to_string(),
        reason,
    };
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        bad(
            name,
            format!("line {}, column {}: {e}", e.line(), e.column()),
        )
    })?;
    let features = v["features"]
        .as_array()
        .ok_or_else(|| bad(name, "not a GeoJSON FeatureCollection".into()))?;
    let mut out = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let where_ = format!("{name}: feature #{i}");
        let act: Activity = serde_json::from_value(f["properties"].clone())
            .map_err(|e| bad(&where_, e.to_string()))?;
        act.check().map_err(|e| bad(&where_, e.to_string()))?;
        let g = demine_geo::geojson::parse_geojson(name, f["geometry"].to_string().as_bytes(), 1)
            .map_err(|e| bad(&where_, e.to_string()))?
            .into_iter()
            .next()
            .and_then(|f| f.geometry)
            .ok_or_else(|| bad(&where_, "no perimeter geometry".into()))?;
        out.push((act, validated_perimeter(&where_, i, g)?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use demine_geo::{Coord, Polygon};

    const FILE: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","id":1,"properties":{"radius":50,"status":"confirmed","iso3":"KHM",
        "reported":"2024-02-03","devices":["ap-mine"],"benchmark":[104.9,11.5]},
       "geometry":{"type":"Point","coordinates":[104.92,11.56]}},
      {"type":"Feature","id":2,"properties":{"radius":50,"status":"suspected","iso3":"KHM","reported":"03/02/2024"},
       "geometry":{"type":"Point","coordinates":[104.92,11.57]}},
      {"type":"Feature","id":3,"properties":{"radius":50,"status":"suspected","iso3":"THA"},
       "geometry":{"type":"Point","coordinates":[104.93,11.56]}},
      {"type":"Feature","id":4,"properties":{"radius":50,"status":"suspected","iso3":"ZZZ"},
       "geometry":{"type":"Point","coordinates":[104.93,11.58]}}
    ]}"#;

    fn read(text: &str) -> Collection {
        demine_geo::geojson::read_geojson("f.geojson", text.as_bytes(), 1).unwrap()
    }

    #[test]
    fn properties_come_by_position() {
        let p = geojson_properties(FILE.as_bytes());
        assert_eq!(p.len(), 4);
        assert_eq!(p[0]["iso3"], "KHM");
        assert_eq!(p[2]["iso3"], "THA");
        assert!(geojson_properties(b"not json").is_empty());
    }

    #[test]
    fn faults_name_file_feature_id_and_field() {
        let mut unknown = Vec::new();
        let e = to_areas(
            "f.geojson",
            read(FILE),
            None,
            1000.0,
            &geojson_properties(FILE.as_bytes()),
            &BTreeMap::new(),
            None,
            |c| unknown.push(c.to_string()),
        )
        .unwrap_err();
        let StoreError::Features { file, faults } = &e else {
            panic!("{e}")
        };
        assert_eq!(file, "f.geojson");
        assert_eq!(faults.len(), 2, "{e}");
        assert_eq!((faults[0].index, faults[0].id.as_deref()), (1, Some("2")));
        assert!(faults[0].reason.contains("reported"), "{e}");
        assert_eq!((faults[1].index, faults[1].id.as_deref()), (2, Some("3")));
        assert!(faults[1].reason.contains("outside THA"), "{e}");
        assert!(e.to_string().starts_with(
            "f.geojson: 2 feature fault(s), nothing imported:\n  error: feature #1 (id 2): reported"
        ));
        assert_eq!(unknown, ["ZZZ"]);
    }

    #[test]
    fn good_features_become_areas() {
        let text = FILE
            .replace("03/02/2024", "2024-02-03")
            .replace("THA", "KHM");
        let areas = to_areas(
            "f.geojson",
            read(&text),
            Some("KHM"),
            1000.0,
            &geojson_properties(text.as_bytes()),
            &BTreeMap::new(),
            None,
            |_| {},
        );
        // Feature 4 says ZZZ while --iso3 says KHM.
        let e = areas.unwrap_err().to_string();
        assert!(
            e.contains("feature #3 (id 4): its iso3 property \"ZZZ\" is not --iso3 KHM"),
            "{e}"
        );
        let text = text.replace("ZZZ", "KHM");
        let areas = to_areas(
            "f.geojson",
            read(&text),
            Some("KHM"),
            1000.0,
            &geojson_properties(text.as_bytes()),
            &BTreeMap::new(),
            None,
            |_| {},
        )
        .unwrap();
        assert_eq!(areas.len(), 4);
        let a = &areas[0].area;
        assert_eq!((a.id, a.iso3.as_deref()), (1, Some("KHM")));
        assert_eq!(a.benchmark, Some([104.9, 11.5]));
        assert_eq!(a.devices.len(), 1);
        assert_eq!(a.source_status.as_deref(), Some("confirmed"));
    }

    #[test]
    fn activities_name_the_faulty_feature() {
        let good = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
          "properties":{"area_id":1,"kind":"clearance","start":"2024-01-02","depth_cm":20},
          "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}]}"#;
        let acts = read_activities("r.geojson", good).unwrap();
        assert_eq!(acts.len(), 1);
        assert_eq!(acts[0].0.area_id, 1);
        assert!(matches!(acts[0].1, Geometry::Polygon(_)));
        let e = read_activities("r.geojson", "{\n nope").unwrap_err();
        assert!(
            e.to_string().starts_with("r.geojson: line 2, column"),
            "{e}"
        );
        let e = read_activities("r.geojson", "{}").unwrap_err();
        assert_eq!(e.to_string(), "r.geojson: not a GeoJSON FeatureCollection");
        let point = good.replace(
            r#""type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]"#,
            r#""type":"Point","coordinates":[0,0]"#,
        );
        let e = read_activities("r.geojson", &point).unwrap_err();
        assert_eq!(
            e.to_string(),
            "r.geojson: feature #0: a perimeter must be a Polygon or MultiPolygon, not a Point"
        );
    }

    #[test]
    fn perimeters_must_be_valid_areas() {
        let sq = Polygon::new(vec![
            Coord::new(0.0, 0.0),
            Coord::new(1.0, 0.0),
            Coord::new(1.0, 1.0),
            Coord::new(0.0, 1.0),
            Coord::new(0.0, 0.0),
        ]);
        assert!(validated_perimeter("p", 0, Geometry::Polygon(sq)).is_ok());
        let e = validated_perimeter("--perimeter", 0, Geometry::Point(Coord::new(0.0, 0.0)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "--perimeter: a perimeter must be a Polygon or MultiPolygon, not a Point"
        );
        let bowtie = Polygon::new(vec![
            Coord::new(0.0, 0.0),
            Coord::new(1.0, 1.0),
            Coord::new(1.0, 0.0),
            Coord::new(0.0, 1.0),
            Coord::new(0.0, 0.0),
        ]);
        let e = validated_perimeter("x", 3, Geometry::Polygon(bowtie))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x: error: feature #3"), "{e}");
    }
}
