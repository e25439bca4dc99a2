//! The audit side of the hazard store: the JSON the audit entries of areas and activities keep,
//! and the check of a dump's hazard tables against the audit chain. The check replays the chain
//! and recomputes every stored row from it: the areas (deleted ones included), their superseded
//! versions, the approval state, the land release activities and their device finds, the custom
//! field definitions, and the derived data (each area's remaining geometry, recomputed from its
//! recorded geometry and its activities, and the R*Tree boxes, recomputed from the geometry).

use std::collections::{BTreeMap, HashMap};

use demine_core::hazard::{Activity, CustomField, HazardArea, VersionStatus};
use serde_json::{Map, Value as J};
use sha2::{Digest, Sha256};

use super::dump::unhex;
use super::{StoredActivity, compute_release, shape_bbox, shape_from, stored_remaining};
use crate::{AuditEntry, Broken, Dump};

/// The version facts of an area as the audit log keeps them with its attributes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp<'a> {
    /// Version number, from 1.
    pub version: i64,
    /// Draft or approved.
    pub status: VersionStatus,
    /// When the version was made.
    pub at: &'a str,
    /// Who made it.
    pub by: &'a str,
}

fn sha256_hex(b: &[u8]) -> String {
    super::hex(&Sha256::digest(b))
}

fn area_fact(area: &HazardArea, wkb: &[u8], radius: Option<f64>, stamp: &StampText<'_>) -> J {
    let mut v = serde_json::to_value(area).unwrap_or(J::Null);
    if let J::Object(m) = &mut v {
        m.insert("geometry_sha256".into(), sha256_hex(wkb).into());
        if let Some(r) = radius {
            m.insert("radius_m".into(), r.into());
        }
        m.insert("version".into(), stamp.version.into());
        m.insert("version_status".into(), stamp.status.into());
        m.insert("updated_at".into(), stamp.at.into());
        m.insert("updated_by".into(), stamp.by.into());
    }
    v
}

/// A [`Stamp`] as read back from a table (the status as stored, whatever it says).
struct StampText<'a> {
    version: i64,
    status: &'a str,
    at: &'a str,
    by: &'a str,
}

/// The JSON the audit log keeps for an area: its attributes, a hash of its geometry (the geometry
/// itself is in the table and its versions), its radius, and its version, version status, and
/// when and by whom the version was made.
pub(crate) fn audit_json(
    area: &HazardArea,
    wkb: &[u8],
    radius: Option<f64>,
    stamp: &Stamp<'_>,
) -> String {
    let s = StampText {
        version: stamp.version,
        status: stamp.status.as_str(),
        at: stamp.at,
        by: stamp.by,
    };
    area_fact(area, wkb, radius, &s).to_string()
}

/// The JSON the audit log keeps for a land release activity.
#[allow(clippy::too_many_arguments)]
pub(crate) fn activity_json(
    activity: &Activity,
    perimeter_wkb: &[u8],
    perimeter_wkt: &str,
    perimeter_m2: f64,
    released_m2: f64,
    remaining_m2: f64,
    recorded_at: &str,
    recorded_by: &str,
) -> String {
    serde_json::json!({
        "activity": activity,
        "perimeter_wkt": perimeter_wkt,
        "perimeter_sha256": sha256_hex(perimeter_wkb),
        "perimeter_m2": perimeter_m2,
        "released_m2": released_m2,
        "remaining_m2": remaining_m2,
        "recorded_at": recorded_at,
        "recorded_by": recorded_by,
    })
    .to_string()
}

/// An area's attributes, geometry (WKB) and radius back from its row in a dump.
fn area_from_dump(row: &Map<String, J>) -> Result<(HazardArea, Vec<u8>, Option<f64>), String> {
    let text = |k: &str| row.get(k).and_then(J::as_str).map(str::to_string);
    let parse_json = |k: &str| -> Result<J, String> {
        match text(k) {
            Some(s) => serde_json::from_str(&s).map_err(|e| format!("{k}: {e}")),
            None => Ok(J::Null),
        }
    };
    let mut obj = Map::new();
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

/// The same JSON value as the log would keep it (numbers normalised by a round trip).
fn normal(v: &J) -> J {
    serde_json::from_str(&v.to_string()).unwrap_or(J::Null)
}

fn parse_obj(s: Option<&str>) -> Map<String, J> {
    match s.and_then(|s| serde_json::from_str::<J>(s).ok()) {
        Some(J::Object(m)) => m,
        _ => Map::new(),
    }
}

/// Keys an older entry may not record (they were added to the entries later): where the entry
/// lacks them, they are not compared.
const STAMP_KEYS: [&str; 4] = ["version", "version_status", "updated_at", "updated_by"];

/// What differs between what the log recorded and what is stored, key by key.
fn differences(recorded: &Map<String, J>, stored: &J, optional: &[&str]) -> Vec<String> {
    let stored = match normal(stored) {
        J::Object(m) => m,
        _ => Map::new(),
    };
    let mut keys: Vec<&String> = recorded.keys().chain(stored.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for k in keys {
        let r = recorded.get(k);
        if r.is_none() && optional.contains(&k.as_str()) {
            continue;
        }
        let s = stored.get(k);
        if r != s {
            let show = |v: Option<&J>| v.map_or("nothing".to_string(), J::to_string);
            out.push(format!(
                "{k} is {} but was recorded as {}",
                show(s),
                show(r)
            ));
        }
    }
    out
}

fn int(row: &Map<String, J>, k: &str) -> Option<i64> {
    row.get(k).and_then(J::as_i64)
}

fn text<'a>(row: &'a Map<String, J>, k: &str) -> &'a str {
    row.get(k).and_then(J::as_str).unwrap_or("")
}

/// What the chain says about one area. Entries are kept as they are and parsed only when the
/// stored row is not, byte for byte, what the entry recorded (the common case needs no parsing).
#[derive(Default)]
struct AreaTrail<'a> {
    /// The last `hazard_area` entry.
    last: Option<&'a AuditEntry>,
    /// How many `hazard_area` entries: the current version number.
    version: i64,
    /// A version approved after it was made.
    approved: Option<i64>,
    /// Per superseded version, the entry of the update that superseded it (its `before` is what
    /// the version was).
    superseded: BTreeMap<i64, &'a AuditEntry>,
}

/// One difference between the chain and the data.
fn diff(seq: Option<i64>, table: &str, key: impl Into<String>, reason: String) -> Broken {
    Broken {
        seq,
        entity: table.to_string(),
        key: key.into(),
        reason,
    }
}

/// A row whose key another row of the table has too.
fn twice(table: &str, key: &str) -> Broken {
    diff(
        None,
        table,
        key,
        "the key appears twice: a table holds one row per key".into(),
    )
}

fn rows<'a>(dump: &'a Dump, table: &str) -> &'a [Map<String, J>] {
    dump.tables.get(table).map(Vec::as_slice).unwrap_or(&[])
}

/// Checks every hazard table of a dump against its audit log and appends each difference.
pub(crate) fn verify_hazards(dump: &Dump, out: &mut Vec<Broken>) {
    let mut areas: HashMap<&str, AreaTrail<'_>> = HashMap::new();
    let mut acts: HashMap<&str, (&AuditEntry, Map<String, J>)> = HashMap::new();
    let mut fields: HashMap<&str, (&AuditEntry, Option<&str>)> = HashMap::new();
    for e in &dump.audit {
        match e.entity.as_str() {
            "hazard_area" => {
                let t = areas.entry(e.key.as_str()).or_default();
                if e.before.is_some() {
                    t.superseded.insert(t.version, e);
                }
                t.version += 1;
                t.approved = None;
                t.last = Some(e);
            }
            "hazard_area_approval" => {
                let v = parse_obj(e.after.as_deref())
                    .get("version")
                    .and_then(J::as_i64);
                areas.entry(e.key.as_str()).or_default().approved = v;
            }
            "release_activity" => {
                acts.insert(e.key.as_str(), (e, parse_obj(e.after.as_deref())));
            }
            "custom_field" => {
                fields.insert(e.key.as_str(), (e, e.after.as_deref()));
            }
            _ => {}
        }
    }
    verify_areas(dump, &areas, out);
    verify_versions(dump, &areas, out);
    let stored_acts = verify_activities(dump, &acts, out);
    verify_derived(dump, &stored_acts, out);
    verify_fields(dump, &fields, out);
}

fn verify_areas(dump: &Dump, trails: &HashMap<&str, AreaTrail<'_>>, out: &mut Vec<Broken>) {
    let t = "hazard_areas";
    let mut present = std::collections::HashSet::new();
    for row in rows(dump, t) {
        let key = row.get("id").map(ToString::to_string).unwrap_or_default();
        if !present.insert(key.clone()) {
            out.push(twice(t, &key));
            continue;
        }
        let (area, wkb, radius) = match area_from_dump(row) {
            Ok(x) => x,
            Err(r) => {
                out.push(diff(None, t, key, r));
                continue;
            }
        };
        let Some(trail) = trails.get(key.as_str()) else {
            out.push(diff(
                None,
                t,
                key,
                "area is in the database but no audit entry records it".into(),
            ));
            continue;
        };
        let Some(e) = trail.last else {
            out.push(diff(
                None,
                t,
                key,
                "area is in the database but no audit entry records it".into(),
            ));
            continue;
        };
        let stamp = StampText {
            version: int(row, "version").unwrap_or(0),
            status: text(row, "version_status"),
            at: text(row, "updated_at"),
            by: text(row, "updated_by"),
        };
        let stored = area_fact(&area, &wkb, radius, &stamp);
        let approved_later = trail.approved == Some(trail.version);
        if !approved_later
            && stamp.version == trail.version
            && e.after.as_deref() == Some(stored.to_string().as_str())
        {
            continue;
        }
        let mut recorded = parse_obj(e.after.as_deref());
        if recorded.contains_key("version") || trail.approved.is_some() {
            recorded.insert("version".into(), trail.version.into());
        }
        if approved_later {
            recorded.insert("version_status".into(), "approved".into());
        }
        let mut d = differences(&recorded, &stored, &STAMP_KEYS);
        if !recorded.contains_key("version") && stamp.version != trail.version {
            d.push(format!(
                "version is {} but the log records {} version(s)",
                stamp.version, trail.version
            ));
        }
        if !d.is_empty() {
            out.push(diff(
                Some(e.seq),
                t,
                key,
                format!("differs from audit entry #{}: {}", e.seq, d.join("; ")),
            ));
        }
    }
    for (key, trail) in trails {
        if let Some(e) = trail.last
            && !present.contains(*key)
        {
            out.push(diff(
                Some(e.seq),
                t,
                *key,
                format!("area recorded by audit entry #{} is missing", e.seq),
            ));
        }
    }
}

fn verify_versions(dump: &Dump, trails: &HashMap<&str, AreaTrail<'_>>, out: &mut Vec<Broken>) {
    let t = "hazard_area_versions";
    let mut present = std::collections::HashSet::new();
    for row in rows(dump, t) {
        let area_id = int(row, "area_id").unwrap_or(0);
        let version = int(row, "version").unwrap_or(0);
        let key = format!("{area_id} v{version}");
        if !present.insert((area_id.to_string(), version)) {
            out.push(twice(t, &key));
            continue;
        }
        let Some(update) = trails
            .get(area_id.to_string().as_str())
            .and_then(|tr| tr.superseded.get(&version))
        else {
            out.push(diff(
                None,
                t,
                key,
                "version is in the database but no audit entry superseded it".into(),
            ));
            continue;
        };
        let data: J = serde_json::from_str(text(row, "data")).unwrap_or(J::Null);
        let radius = data.get("radius_m").and_then(J::as_f64);
        let area: Result<HazardArea, _> = serde_json::from_value(data);
        let wkb = unhex(text(row, "geom"));
        let (Ok(area), Some(wkb)) = (area, wkb) else {
            out.push(diff(
                Some(update.seq),
                t,
                key,
                "undecodable data or geometry".into(),
            ));
            continue;
        };
        let stamp = StampText {
            version,
            status: text(row, "version_status"),
            at: text(row, "made_at"),
            by: text(row, "made_by"),
        };
        let stored = area_fact(&area, &wkb, radius, &stamp);
        let seq = &update.seq;
        let by = &update.actor;
        let at = parse_obj(update.after.as_deref())
            .get("updated_at")
            .and_then(J::as_str)
            .map(str::to_string);
        let same = update.before.as_deref() == Some(stored.to_string().as_str())
            && at.as_deref() == Some(text(row, "superseded_at"))
            && text(row, "superseded_by") == by;
        if same {
            continue;
        }
        let mut recorded = parse_obj(update.before.as_deref());
        if recorded.contains_key("version") {
            recorded.insert("version".into(), version.into());
        }
        let mut d = differences(&recorded, &stored, &STAMP_KEYS);
        if let Some(at) = &at
            && text(row, "superseded_at") != at
        {
            d.push(format!(
                "superseded_at is {:?} but was recorded as {at:?}",
                text(row, "superseded_at")
            ));
        }
        if text(row, "superseded_by") != by {
            d.push(format!(
                "superseded_by is {:?} but was recorded as {by:?}",
                text(row, "superseded_by")
            ));
        }
        if !d.is_empty() {
            out.push(diff(
                Some(*seq),
                t,
                key,
                format!("differs from audit entry #{seq}: {}", d.join("; ")),
            ));
        }
    }
    for (id, trail) in trails {
        for (v, update) in &trail.superseded {
            let seq = update.seq;
            if !present.contains(&((*id).to_string(), *v)) {
                out.push(diff(
                    Some(seq),
                    t,
                    format!("{id} v{v}"),
                    format!("version superseded by audit entry #{seq} is missing"),
                ));
            }
        }
    }
}

/// The activities as stored (with their device finds), checked against the log; returns them by
/// area for the derived-data check.
fn verify_activities(
    dump: &Dump,
    recorded: &HashMap<&str, (&AuditEntry, Map<String, J>)>,
    out: &mut Vec<Broken>,
) -> BTreeMap<i64, Vec<StoredActivity>> {
    let t = "release_activities";
    let mut devices: BTreeMap<i64, Vec<(i64, J)>> = BTreeMap::new();
    let act_ids: std::collections::HashSet<i64> =
        rows(dump, t).iter().filter_map(|r| int(r, "id")).collect();
    for d in rows(dump, "device_finds") {
        let id = int(d, "id").unwrap_or(0);
        let activity = int(d, "activity_id").unwrap_or(0);
        if !act_ids.contains(&activity) {
            out.push(diff(
                None,
                "device_finds",
                id.to_string(),
                format!("device find of activity {activity}, which is not in the database"),
            ));
            continue;
        }
        let location = match (
            d.get("lon").and_then(J::as_f64),
            d.get("lat").and_then(J::as_f64),
        ) {
            (Some(x), Some(y)) => serde_json::json!([x, y]),
            _ => J::Null,
        };
        let v = serde_json::json!({
            "category": d.get("category"),
            "model": d.get("model"),
            "location": location,
            "depth_cm": d.get("depth_cm"),
            "condition": d.get("condition"),
            "destroyed": d.get("destroyed"),
        });
        devices.entry(activity).or_default().push((id, v));
    }
    let mut by_area: BTreeMap<i64, Vec<StoredActivity>> = BTreeMap::new();
    let mut present = std::collections::HashSet::new();
    let mut list: Vec<&Map<String, J>> = rows(dump, t).iter().collect();
    list.sort_by_key(|r| int(r, "id"));
    for row in list {
        let id = int(row, "id").unwrap_or(0);
        let key = id.to_string();
        if !present.insert(key.clone()) {
            out.push(twice(t, &key));
            continue;
        }
        let mut devs = devices.remove(&id).unwrap_or_default();
        devs.sort_by_key(|(i, _)| *i);
        let activity = serde_json::json!({
            "id": id,
            "area_id": row.get("area_id"),
            "kind": row.get("kind"),
            "start": row.get("start_date"),
            "end": row.get("end_date"),
            "organisation": row.get("organisation"),
            "method": row.get("method"),
            "depth_cm": row.get("depth_cm"),
            "devices": devs.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        });
        let wkb = unhex(text(row, "perimeter")).unwrap_or_default();
        let (activity, perimeter) = match (
            serde_json::from_value::<Activity>(activity),
            demine_geo::decode_wkb(&wkb),
        ) {
            (Ok(a), Ok(g)) => (a, g),
            (Err(e), _) => {
                out.push(diff(None, t, key, format!("undecodable activity: {e}")));
                continue;
            }
            (_, Err(e)) => {
                out.push(diff(None, t, key, format!("undecodable perimeter: {e}")));
                continue;
            }
        };
        let f = |k: &str| row.get(k).and_then(J::as_f64).unwrap_or(f64::NAN);
        let stored = StoredActivity {
            perimeter_m2: f("perimeter_m2"),
            released_m2: f("released_m2"),
            recorded_at: text(row, "recorded_at").to_string(),
            recorded_by: text(row, "recorded_by").to_string(),
            perimeter,
            activity,
        };
        match recorded.get(key.as_str()) {
            None => out.push(diff(
                None,
                t,
                key,
                "activity is in the database but no audit entry records it".into(),
            )),
            Some((e, rec)) => {
                let fact = serde_json::json!({
                    "activity": stored.activity,
                    "perimeter_wkt": demine_geo::to_wkt(&stored.perimeter),
                    "perimeter_sha256": sha256_hex(&wkb),
                    "perimeter_m2": stored.perimeter_m2,
                    "released_m2": stored.released_m2,
                    "recorded_at": stored.recorded_at,
                    "recorded_by": stored.recorded_by,
                });
                let mut rec = rec.clone();
                // The area's remaining hazard just after it: derived data, checked on the area.
                rec.remove("remaining_m2");
                let mut d = differences(
                    &rec,
                    &fact,
                    &[
                        "perimeter_sha256",
                        "perimeter_m2",
                        "recorded_at",
                        "recorded_by",
                    ],
                );
                // Name the device finds when they are what differs.
                let rec_devs = rec.get("activity").and_then(|a| a.get("devices")).cloned();
                let devs = normal(&serde_json::json!(stored.activity.devices));
                if rec_devs.as_ref() != Some(&devs) {
                    out.push(diff(
                        Some(e.seq),
                        "device_finds",
                        format!("activity {key}"),
                        format!(
                            "the device finds are {devs} but audit entry #{} recorded {}",
                            e.seq,
                            rec_devs.unwrap_or(J::Null)
                        ),
                    ));
                    d.retain(|x| !x.starts_with("activity "));
                    let mut a = stored.activity.clone();
                    a.devices.clear();
                    let mut ra = rec.get("activity").cloned().unwrap_or(J::Null);
                    if let J::Object(m) = &mut ra {
                        m.insert("devices".into(), J::Array(Vec::new()));
                    }
                    if normal(&serde_json::json!(a)) != ra {
                        d.push("the activity's attributes differ".into());
                    }
                }
                if !d.is_empty() {
                    out.push(diff(
                        Some(e.seq),
                        t,
                        key,
                        format!("differs from audit entry #{}: {}", e.seq, d.join("; ")),
                    ));
                }
            }
        }
        by_area
            .entry(stored.activity.area_id)
            .or_default()
            .push(stored);
    }
    for (activity, devs) in devices {
        if act_ids.contains(&activity) {
            for (id, _) in devs {
                out.push(diff(
                    None,
                    "device_finds",
                    id.to_string(),
                    "device find not recorded".into(),
                ));
            }
        }
    }
    for (key, (e, _)) in recorded {
        if !present.contains(*key) {
            out.push(diff(
                Some(e.seq),
                t,
                *key,
                format!("activity recorded by audit entry #{} is missing", e.seq),
            ));
        }
    }
    by_area
}

/// Whether two remaining areas in m² are the same number as far as floating point goes.
fn same_m2(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The derived data: each area's remaining geometry and area (recomputed from its recorded
/// geometry and its activities) and, where the dump has them (SQLite), its R*Tree box
/// (recomputed from its geometry).
fn verify_derived(dump: &Dump, acts: &BTreeMap<i64, Vec<StoredActivity>>, out: &mut Vec<Broken>) {
    let t = "hazard_areas";
    let boxes: Option<HashMap<i64, [f64; 4]>> = dump.tables.get(BBOX_TABLE).map(|list| {
        list.iter()
            .filter_map(|r| {
                let f = |k: &str| r.get(k).and_then(J::as_f64).unwrap_or(f64::NAN);
                int(r, "id")
                    .map(|id| (id, [f("min_lon"), f("max_lon"), f("min_lat"), f("max_lat")]))
            })
            .collect()
    });
    let mut ids = std::collections::HashSet::new();
    for row in rows(dump, t) {
        let Some(id) = int(row, "id") else { continue };
        ids.insert(id);
        let Some(wkb) = unhex(text(row, "geom")) else {
            continue;
        };
        let Ok(shape) = shape_from(id, &wkb, row.get("radius_m").and_then(J::as_f64)) else {
            out.push(diff(None, t, id.to_string(), "undecodable geometry".into()));
            continue;
        };
        // The measured area (migration 0030) is derived: absent is fine (it is measured when
        // read), present it must be the geometry's.
        if let Some(stored) = row.get("area_m2").and_then(J::as_f64) {
            let m2 = crate::hazards::shape_area_m2(&shape);
            if !same_m2(stored, m2) {
                out.push(diff(
                    None,
                    t,
                    id.to_string(),
                    format!(
                        "the stored measured area {stored:.3} m2 does not match the recorded \
                         geometry ({m2:.3} m2)"
                    ),
                ));
            }
        }
        let stored_rem = row.get("remaining").and_then(J::as_str);
        let stored_m2 = row.get("remaining_m2").and_then(J::as_f64);
        match acts.get(&id) {
            None => {
                if stored_rem.is_some() || stored_m2.is_some() {
                    out.push(diff(
                        None,
                        t,
                        id.to_string(),
                        "remaining geometry is set but no activity released anything from \
                         the area"
                            .into(),
                    ));
                }
            }
            Some(list) => {
                let rel = compute_release(&shape, list);
                let m2 = rel.accounting.remaining_m2;
                let g = stored_remaining(rel.remaining, m2);
                let expected = demine_geo::encode_wkb(&g);
                let geom_ok = stored_rem.and_then(unhex).is_some_and(|b| {
                    b == expected || demine_geo::decode_wkb(&b).ok() == Some(g.clone())
                });
                let m2_ok = stored_m2.is_some_and(|s| same_m2(s, m2));
                if !geom_ok || !m2_ok {
                    out.push(diff(
                        None,
                        t,
                        id.to_string(),
                        format!(
                            "the remaining hazard {} does not match what the recorded geometry \
                             and the {} activit(ies) leave ({m2:.3} m2)",
                            match (geom_ok, stored_m2) {
                                (false, _) => "geometry".to_string(),
                                (true, Some(s)) => format!("area {s:.3} m2"),
                                (true, None) => "area (none)".to_string(),
                            },
                            list.len()
                        ),
                    ));
                }
            }
        }
        if let Some(boxes) = &boxes {
            let want = shape_bbox(&shape);
            match boxes.get(&id) {
                None => out.push(diff(
                    None,
                    BBOX_TABLE,
                    id.to_string(),
                    "the area has no box in the spatial index".into(),
                )),
                Some(b) => {
                    // The R*Tree keeps 32-bit floats, rounded outwards.
                    const SLACK: f64 = 1e-3;
                    let ok = b[0] <= want.min_lon
                        && b[1] >= want.max_lon
                        && b[2] <= want.min_lat
                        && b[3] >= want.max_lat
                        && want.min_lon - b[0] <= SLACK
                        && b[1] - want.max_lon <= SLACK
                        && want.min_lat - b[2] <= SLACK
                        && b[3] - want.max_lat <= SLACK;
                    if !ok {
                        out.push(diff(
                            None,
                            BBOX_TABLE,
                            id.to_string(),
                            format!(
                                "the box [{}, {}, {}, {}] is not the area's geometry's box \
                                 [{}, {}, {}, {}] (lon min/max, lat min/max)",
                                b[0],
                                b[1],
                                b[2],
                                b[3],
                                want.min_lon,
                                want.max_lon,
                                want.min_lat,
                                want.max_lat
                            ),
                        ));
                    }
                }
            }
        }
    }
    if let Some(boxes) = &boxes {
        for id in boxes.keys() {
            if !ids.contains(id) {
                out.push(diff(
                    None,
                    BBOX_TABLE,
                    id.to_string(),
                    "a box in the spatial index for an area that is not in the database".into(),
                ));
            }
        }
    }
    for (area, list) in acts {
        if !ids.contains(area) {
            for a in list {
                out.push(diff(
                    None,
                    "release_activities",
                    a.activity.id.to_string(),
                    format!("activity on area {area}, which is not in the database"),
                ));
            }
        }
    }
}

/// The SQLite R*Tree of area boxes, as a dump carries it (PostgreSQL has none: PostGIS derives
/// its boxes from the geometry itself).
pub(crate) const BBOX_TABLE: &str = "hazard_area_bbox";

fn verify_fields(
    dump: &Dump,
    recorded: &HashMap<&str, (&AuditEntry, Option<&str>)>,
    out: &mut Vec<Broken>,
) {
    let t = "custom_fields";
    let mut present = std::collections::HashSet::new();
    for row in rows(dump, t) {
        let key = format!("{}+{}", text(row, "iso3"), text(row, "name"));
        if !present.insert(key.clone()) {
            out.push(twice(t, &key));
            continue;
        }
        let choices: Result<Vec<String>, _> = serde_json::from_str(text(row, "choices"));
        let field = serde_json::json!({
            "iso3": row.get("iso3"),
            "name": row.get("name"),
            "kind": row.get("kind"),
            "choices": choices.unwrap_or_default(),
        });
        let field: Result<CustomField, _> = serde_json::from_value(field);
        let stored = field.map(|f| serde_json::json!(f)).unwrap_or(J::Null);
        match recorded.get(key.as_str()) {
            None => out.push(diff(
                None,
                t,
                key,
                "custom field is in the database but no audit entry records it".into(),
            )),
            Some((e, after)) => {
                let rec = parse_obj(*after);
                let d = differences(&rec, &stored, &[]);
                if !d.is_empty() {
                    out.push(diff(
                        Some(e.seq),
                        t,
                        key,
                        format!("differs from audit entry #{}: {}", e.seq, d.join("; ")),
                    ));
                }
            }
        }
    }
    for (key, (e, _)) in recorded {
        if !present.contains(*key) {
            out.push(diff(
                Some(e.seq),
                t,
                *key,
                format!("custom field recorded by audit entry #{} is missing", e.seq),
            ));
        }
    }
}
