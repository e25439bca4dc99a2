//! Field forms: submissions of the XLSForms in `forms/` (or a national authority's own), as ODK
//! Central or KoboToolbox export them, become **draft** field reports (a new hazardous area, or a
//! land release activity on an area, or an accident and its victims) that someone other than the
//! importer approves, through the
//! same workflow as reports entered through the API.
//!
//! A mapping file (CSV: `form,question,type,target`, the default is `forms/mapping.csv`) says
//! what each question of each form becomes: a demine field, `keep` (kept with the draft for the
//! reviewer to read), or `ignore`. A row of type `report` says what a form's submissions become
//! (`new-area`, `activity`, or `accident`: see [`crate::accident`]). A
//! question a submission answers that the mapping does not name is an error: an authority's
//! form changed, and its mapping must say what the new question means.
//!
//! Each submission is recognised by its instance id: one imported before is reported as already
//! there, never entered twice; an edit (ODK keeps the replaced version's id as `deprecatedID`;
//! ODK Central also keeps the first id as `KEY`/`__id`) becomes a draft that supersedes the
//! earlier report. A file is imported all-or-nothing: every draft is checked first (the geometry
//! by the same rules as every import, a new area against its State's boundary, an activity's
//! area must exist), then all are entered in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use demine_geo::odk::{self, ExportFile, GeoKind, Submission};
use demine_geo::{FileFormat, Geometry};
use demine_store::accounts::{AccountStore, FieldReport, NewReport, ReportKind};
use demine_store::{HazardStore, hazards_io};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::hazards::HazardImport;
use crate::{AppError, Session};

/// The mapping shipped with the forms in `forms/`.
pub const DEFAULT_MAPPING: &str = include_str!("../../../forms/mapping.csv");

/// How far outside its State's boundary a reported area may reach (as `hazards import`'s
/// default and the API's field reports).
pub const TOLERANCE_M: f64 = 1000.0;

/// The question types a mapping names (XLSForm's).
pub const QUESTION_TYPES: &[&str] = &[
    "text",
    "integer",
    "decimal",
    "date",
    "select_one",
    "select_multiple",
    "geopoint",
    "geotrace",
    "geoshape",
    "calculate",
];

/// What a mapping row may send an answer to, per kind of report. `keep` and `ignore` go
/// with any kind.
pub const AREA_TARGETS: &[&str] = &[
    "area.geometry",
    "area.radius",
    "area.name",
    "area.hazard_type",
    "area.status",
    "area.iso3",
    "area.admin_area",
    "area.organisation",
    "area.notes",
    "area.reported",
    "area.surveyed",
    "area.benchmark",
    "area.devices",
];

/// Targets of an activity's answers (`device.*` are the rows of a repeat of devices found).
pub const ACTIVITY_TARGETS: &[&str] = &[
    "activity.area_id",
    "activity.kind",
    "activity.start",
    "activity.end",
    "activity.organisation",
    "activity.method",
    "activity.depth_cm",
    "activity.perimeter",
    "device.category",
    "device.model",
    "device.location",
    "device.depth_cm",
    "device.condition",
];

/// What a form's submissions become.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FormKind {
    NewArea,
    Activity,
    Accident,
}

/// One question of a form in the mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub name: String,
    /// Its XLSForm type (one of [`QUESTION_TYPES`]).
    pub kind: String,
    /// What it becomes: a target, `keep` or `ignore`.
    pub target: String,
    /// The mapping file's line, for messages.
    pub line: u64,
}

/// One form of the mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormMap {
    pub name: String,
    pub kind: FormKind,
    pub questions: BTreeMap<String, Question>,
}

/// A mapping file read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub name: String,
    pub forms: BTreeMap<String, FormMap>,
}

impl Mapping {
    /// Reads a mapping file (CSV with the header `form,question,type,target`); every fault is
    /// named by the file and line.
    pub fn parse(name: &str, text: &str) -> Result<Mapping, AppError> {
        let bad =
            |line: u64, msg: String| AppError::BadInput(format!("{name}: line {line}: {msg}"));
        let mut rdr = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = rdr
            .headers()
            .map_err(|e| bad(1, e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect();
        if headers != ["form", "question", "type", "target"] {
            return Err(bad(
                1,
                format!(
                    "the header is form,question,type,target, not {}",
                    headers.join(",")
                ),
            ));
        }
        let mut kinds: BTreeMap<String, FormKind> = BTreeMap::new();
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec =
                rec.map_err(|e| bad(e.position().map_or(0, csv::Position::line), e.to_string()))?;
            let line = rec.position().map_or(0, csv::Position::line);
            let get = |i: usize| rec.get(i).unwrap_or("").to_string();
            let (form, question, kind, target) = (get(0), get(1), get(2), get(3));
            if form.is_empty() {
                return Err(bad(line, "no form named".into()));
            }
            if kind == "report" {
                let k = match target.as_str() {
                    "new-area" => FormKind::NewArea,
                    "activity" => FormKind::Activity,
                    "accident" => FormKind::Accident,
                    t => {
                        return Err(bad(
                            line,
                            format!(
                                "form {form}: report {t:?}: a form's submissions become new-area, \
                                 activity or accident"
                            ),
                        ));
                    }
                };
                if kinds.insert(form.clone(), k).is_some() {
                    return Err(bad(line, format!("form {form}: a second report row")));
                }
                continue;
            }
            if question.is_empty() {
                return Err(bad(line, format!("form {form}: no question named")));
            }
            if !QUESTION_TYPES.contains(&kind.as_str()) {
                return Err(bad(
                    line,
                    format!(
                        "form {form}, question {question}: type {kind:?} is not one of {} (or \
                         report)",
                        QUESTION_TYPES.join(", ")
                    ),
                ));
            }
            rows.push((
                line,
                form,
                Question {
                    name: question,
                    kind,
                    target,
                    line,
                },
            ));
        }
        let mut forms: BTreeMap<String, FormMap> = BTreeMap::new();
        for (line, form, q) in rows {
            let Some(kind) = kinds.get(&form).copied() else {
                return Err(bad(
                    line,
                    format!(
                        "form {form}: no row says what its submissions become (form,,report,\
                         new-area|activity|accident)"
                    ),
                ));
            };
            let allowed: &[&str] = match kind {
                FormKind::NewArea => AREA_TARGETS,
                FormKind::Activity => ACTIVITY_TARGETS,
                FormKind::Accident => crate::accident::ACCIDENT_TARGETS,
            };
            let t = q.target.as_str();
            if !(t == "keep" || t == "ignore" || allowed.contains(&t)) {
                return Err(bad(
                    line,
                    format!(
                        "form {form}, question {}: unknown field {t:?} (a {} form's answers go to \
                         {}keep or ignore)",
                        q.name,
                        match kind {
                            FormKind::NewArea => "new-area",
                            FormKind::Activity => "activity",
                            FormKind::Accident => "accident",
                        },
                        allowed.iter().map(|a| format!("{a}, ")).collect::<String>()
                    ),
                ));
            }
            let fm = forms.entry(form.clone()).or_insert_with(|| FormMap {
                name: form.clone(),
                kind,
                questions: BTreeMap::new(),
            });
            if fm.questions.contains_key(&q.name) {
                return Err(bad(
                    line,
                    format!("form {form}: question {} is mapped twice", q.name),
                ));
            }
            fm.questions.insert(q.name.clone(), q);
        }
        for (form, kind) in kinds {
            forms.entry(form.clone()).or_insert_with(|| FormMap {
                name: form,
                kind,
                questions: BTreeMap::new(),
            });
        }
        Ok(Mapping {
            name: name.to_string(),
            forms,
        })
    }

    /// The mapping shipped with the forms.
    pub fn default_mapping() -> Result<Mapping, AppError> {
        Mapping::parse("forms/mapping.csv", DEFAULT_MAPPING)
    }
}

/// An export to import.
#[derive(Debug)]
pub struct OdkImport {
    /// The export's files: the main one first, then any ODK Central repeat tables.
    pub files: Vec<ExportFile>,
    pub mapping: Mapping,
    /// The form the submissions are of; found from the export or the answers when absent.
    pub form: Option<String>,
    /// Check everything and report, writing nothing.
    pub dry_run: bool,
}

/// One submission's fate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OdkSubmissionOutcome {
    pub instance_id: String,
    /// Where it is in the file.
    pub at: String,
    /// The draft entered (none for a dry run or a submission already there).
    pub report_id: Option<i64>,
    /// The report it is already in, when imported before.
    pub already: Option<i64>,
    /// The earlier report an edited resubmission supersedes.
    pub supersedes: Option<i64>,
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OdkImportOutcome {
    pub file: String,
    /// ODK Central CSV, ODK Central JSON, KoboToolbox CSV or KoboToolbox JSON.
    pub export: String,
    pub form: String,
    /// new-area, activity or accident.
    pub kind: String,
    pub dry_run: bool,
    pub submissions: usize,
    /// Drafts entered (or to enter).
    pub drafts: usize,
    /// Submissions imported before, left as they are.
    pub already: usize,
    pub each: Vec<OdkSubmissionOutcome>,
}

/// Where a submission is, in messages.
fn place(file: &str, s: &Submission) -> String {
    format!("{file}: {} (instance {})", s.at, s.instance_id)
}

/// Which form the submissions are of.
fn pick_form<'m>(
    mapping: &'m Mapping,
    asked: Option<&str>,
    file: &str,
    subs: &[Submission],
) -> Result<&'m FormMap, AppError> {
    if let Some(f) = asked {
        return mapping.forms.get(f).ok_or_else(|| {
            AppError::BadInput(format!(
                "--form {f}: {} has no form of that name (it has {})",
                mapping.name,
                mapping.forms.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        });
    }
    let named: BTreeSet<&str> = subs.iter().filter_map(|s| s.form_id.as_deref()).collect();
    if let [one] = named.iter().copied().collect::<Vec<_>>()[..]
        && let Some(f) = mapping.forms.get(one)
    {
        return Ok(f);
    }
    let asked: BTreeSet<&str> = subs
        .iter()
        .flat_map(|s| {
            s.answers
                .keys()
                .chain(s.repeats.values().flatten().flat_map(|r| r.answers.keys()))
        })
        .map(String::as_str)
        .collect();
    let fits: Vec<&FormMap> = mapping
        .forms
        .values()
        .filter(|f| !f.questions.is_empty() && asked.iter().all(|q| f.questions.contains_key(*q)))
        .collect();
    match fits[..] {
        [one] => Ok(one),
        _ => Err(AppError::BadInput(format!(
            "{file}: cannot tell which form the submissions are of ({} of the mapping's forms \
             have every question they answer): give --form",
            fits.len()
        ))),
    }
}

/// An answer's mapping row, or the error naming the unmapped question.
/// Feeds every answer of a submission to `take`: the main answers with `props` alone, each
/// repeat row's answers with a map of that row's own. The rows that gave anything come back in
/// order (an activity's devices, an accident's victims).
fn walk<F>(
    s: &Submission,
    form: &FormMap,
    at: &str,
    mapping: &str,
    props: &mut Map<String, Value>,
    take: &mut F,
) -> Result<Vec<Value>, AppError>
where
    F: FnMut(
        &Question,
        &str,
        &str,
        &mut Map<String, Value>,
        Option<&mut Map<String, Value>>,
    ) -> Result<(), AppError>,
{
    for (name, value) in &s.answers {
        let q = question(form, at, name, mapping)?;
        take(q, value, at, props, None)?;
    }
    let mut out = Vec::new();
    for rows in s.repeats.values() {
        for r in rows {
            let where_ = format!("{at} {}", r.at);
            let mut row = Map::new();
            for (name, value) in &r.answers {
                let q = question(form, &where_, name, mapping)?;
                take(q, value, &where_, props, Some(&mut row))?;
            }
            if !row.is_empty() {
                out.push(Value::Object(row));
            }
        }
    }
    Ok(out)
}

fn question<'f>(
    form: &'f FormMap,
    at: &str,
    name: &str,
    mapping: &str,
) -> Result<&'f Question, AppError> {
    form.questions.get(name).ok_or_else(|| {
        AppError::BadInput(format!(
            "{at}: field {name}: form {} has no question {name} in {mapping} (map it, or map it \
             to ignore)",
            form.name
        ))
    })
}

/// A geo answer as GeoJSON geometry, after ODK's own rules (latitude first, closed shapes).
fn geo_answer(kind: &str, value: &str, at: &str, field: &str) -> Result<Geometry, AppError> {
    let k = match kind {
        "geopoint" => GeoKind::Point,
        "geotrace" => GeoKind::Trace,
        _ => GeoKind::Shape,
    };
    odk::parse_odk_geometry(k, value)
        .map_err(|e| AppError::BadInput(format!("{at}: field {field}: {e}")))
}

fn is_geo(kind: &str) -> bool {
    matches!(kind, "geopoint" | "geotrace" | "geoshape")
}

fn number(v: &str, at: &str, field: &str) -> Result<Value, AppError> {
    let n: f64 = v
        .trim()
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
        .ok_or_else(|| AppError::BadInput(format!("{at}: field {field}: {v:?} is not a number")))?;
    Ok(if n.fract() == 0.0 && n.abs() < 9.0e15 {
        json!(n as i64)
    } else {
        json!(n)
    })
}

/// The answers kept with a draft (`keep`), geo answers as GeoJSON geometry.
fn keep(
    kept: &mut Map<String, Value>,
    q: &Question,
    value: &str,
    at: &str,
) -> Result<(), AppError> {
    let v = if is_geo(&q.kind) {
        demine_geo::write::geometry_json(&geo_answer(&q.kind, value, at, &q.name)?)
    } else {
        Value::String(value.to_string())
    };
    kept.insert(q.name.clone(), v);
    Ok(())
}

/// The `odk` property of a draft: where it came from, and the kept answers.
fn provenance(file: &str, form: &FormMap, s: &Submission, kept: Map<String, Value>) -> Value {
    json!({
        "file": file,
        "form": form.name,
        "instance_id": s.instance_id,
        "root_id": s.root_id,
        "deprecated_id": s.deprecated_id,
        "submitted_at": s.submitted_at,
        "answers": kept,
    })
}

/// A new area's draft: the GeoJSON Feature and the State it is filed under.
fn area_feature(
    file: &str,
    form: &FormMap,
    s: &Submission,
    mapping: &str,
) -> Result<(Value, String, Option<String>), AppError> {
    let at = place(file, s);
    let mut props = Map::new();
    let mut kept = Map::new();
    let mut geometry: Option<(Geometry, &Question)> = None;
    let mut devices: Vec<Value> = Vec::new();
    let mut answers: Vec<(&String, &String, String)> =
        s.answers.iter().map(|(k, v)| (k, v, at.clone())).collect();
    for rows in s.repeats.values() {
        for r in rows {
            for (k, v) in &r.answers {
                answers.push((k, v, format!("{at} {}", r.at)));
            }
        }
    }
    for (name, value, where_) in answers {
        let q = question(form, &where_, name, mapping)?;
        let key = q.target.strip_prefix("area.").unwrap_or(&q.target);
        match q.target.as_str() {
            "ignore" => {}
            "keep" => keep(&mut kept, q, value, &where_)?,
            "area.geometry" => {
                if !matches!(q.kind.as_str(), "geopoint" | "geoshape") {
                    return Err(AppError::BadInput(format!(
                        "{where_}: field {name}: an area's geometry is a geoshape or a geopoint \
                         (with a radius), not a {}",
                        q.kind
                    )));
                }
                if let Some((_, other)) = &geometry {
                    return Err(AppError::BadInput(format!(
                        "{where_}: fields {} and {name} both give the area's geometry",
                        other.name
                    )));
                }
                geometry = Some((geo_answer(&q.kind, value, &where_, name)?, q));
            }
            "area.radius" => {
                props.insert("radius".into(), number(value, &where_, name)?);
            }
            "area.benchmark" => match geo_answer("geopoint", value, &where_, name)? {
                Geometry::Point(c) => {
                    props.insert("benchmark".into(), json!([c.lon, c.lat]));
                }
                _ => {
                    return Err(AppError::BadInput(format!(
                        "{where_}: field {name}: a benchmark is one position"
                    )));
                }
            },
            "area.devices" => {
                devices.extend(value.split_whitespace().map(|d| json!(d)));
            }
            _ => {
                props.insert(key.to_string(), json!(value));
            }
        }
    }
    let Some((g, q)) = geometry else {
        return Err(AppError::BadInput(format!(
            "{at}: no answer gives the area's geometry (a geoshape, or a geopoint with a radius)"
        )));
    };
    if matches!(g, Geometry::Point(_)) && !props.contains_key("radius") {
        return Err(AppError::BadInput(format!(
            "{at}: field {}: a reported point needs its radius (demine never guesses one)",
            q.name
        )));
    }
    if !devices.is_empty() {
        props.insert("devices".into(), Value::Array(devices));
    }
    let iso3 = props
        .get("iso3")
        .and_then(Value::as_str)
        .map(|s| s.trim().to_ascii_uppercase())
        .ok_or_else(|| {
            AppError::BadInput(format!(
                "{at}: no answer gives the area's State (a question mapped to area.iso3)"
            ))
        })?;
    let organisation = props
        .get("organisation")
        .and_then(Value::as_str)
        .map(str::to_string);
    props.insert("odk".into(), provenance(file, form, s, kept));
    let feature = json!({
        "type": "Feature",
        "geometry": demine_geo::write::geometry_json(&g),
        "properties": props,
    });
    Ok((feature, iso3, organisation))
}

/// An activity's draft: the GeoJSON Feature and the area it is on.
fn activity_feature(
    file: &str,
    form: &FormMap,
    s: &Submission,
    mapping: &str,
) -> Result<(Value, i64), AppError> {
    let at = place(file, s);
    let mut props = Map::new();
    let mut kept = Map::new();
    let mut perimeter: Option<Geometry> = None;
    let mut take = |q: &Question,
                    value: &str,
                    where_: &str,
                    props: &mut Map<String, Value>,
                    device: Option<&mut Map<String, Value>>|
     -> Result<(), AppError> {
        let name = q.name.as_str();
        match (q.target.as_str(), device) {
            ("ignore", _) => {}
            ("keep", _) => keep(&mut kept, q, value, where_)?,
            ("activity.perimeter", _) => {
                if q.kind != "geoshape" {
                    return Err(AppError::BadInput(format!(
                        "{where_}: field {name}: an activity's perimeter is a geoshape"
                    )));
                }
                perimeter = Some(geo_answer(&q.kind, value, where_, name)?);
            }
            ("activity.area_id" | "activity.depth_cm", _) => {
                let key = q.target.trim_start_matches("activity.");
                props.insert(key.into(), number(value, where_, name)?);
            }
            ("device.location", Some(d)) => match geo_answer("geopoint", value, where_, name)? {
                Geometry::Point(c) => {
                    d.insert("location".into(), json!([c.lon, c.lat]));
                }
                _ => {
                    return Err(AppError::BadInput(format!(
                        "{where_}: field {name}: a device's location is one position"
                    )));
                }
            },
            ("device.depth_cm", Some(d)) => {
                d.insert("depth_cm".into(), number(value, where_, name)?);
            }
            (t, Some(d)) if t.starts_with("device.") => {
                d.insert(t.trim_start_matches("device.").into(), json!(value));
            }
            (t, None) if t.starts_with("device.") => {
                return Err(AppError::BadInput(format!(
                    "{where_}: field {name}: a device's answers come in a repeat group (one row \
                     per device)"
                )));
            }
            (t, _) => {
                props.insert(t.trim_start_matches("activity.").into(), json!(value));
            }
        }
        Ok(())
    };
    let devices = walk(s, form, &at, mapping, &mut props, &mut take)?;
    let Some(perimeter) = perimeter else {
        return Err(AppError::BadInput(format!(
            "{at}: no answer gives the activity's perimeter (a geoshape mapped to \
             activity.perimeter)"
        )));
    };
    let area_id = props
        .get("area_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| {
            AppError::BadInput(format!(
                "{at}: no answer names the area the activity is on (activity.area_id)"
            ))
        })?;
    props.insert("devices".into(), Value::Array(devices));
    props.insert("odk".into(), provenance(file, form, s, kept));
    let feature = json!({
        "type": "Feature",
        "geometry": demine_geo::write::geometry_json(&perimeter),
        "properties": props,
    });
    Ok((feature, area_id))
}

/// An accident's draft: the GeoJSON Feature (its position as geometry, the victims a list) and
/// the State it is filed under.
fn accident_feature(
    file: &str,
    form: &FormMap,
    s: &Submission,
    mapping: &str,
) -> Result<(Value, String), AppError> {
    let at = place(file, s);
    let mut props = Map::new();
    let mut kept = Map::new();
    let mut position: Option<Geometry> = None;
    let mut take = |q: &Question,
                    value: &str,
                    where_: &str,
                    props: &mut Map<String, Value>,
                    victim: Option<&mut Map<String, Value>>|
     -> Result<(), AppError> {
        let name = q.name.as_str();
        match (q.target.as_str(), victim) {
            ("ignore", _) => {}
            ("keep", _) => keep(&mut kept, q, value, where_)?,
            ("accident.position", _) => {
                if q.kind != "geopoint" {
                    return Err(AppError::BadInput(format!(
                        "{where_}: field {name}: an accident's position is a geopoint"
                    )));
                }
                position = Some(geo_answer(&q.kind, value, where_, name)?);
            }
            ("accident.accuracy_m", _) => {
                props.insert("accuracy_m".into(), number(value, where_, name)?);
            }
            ("victim.age", Some(v)) => {
                v.insert("age".into(), number(value, where_, name)?);
            }
            (t, Some(v)) if t.starts_with("victim.") => {
                v.insert(t.trim_start_matches("victim.").into(), json!(value.trim()));
            }
            (t, None) if t.starts_with("victim.") => {
                return Err(AppError::BadInput(format!(
                    "{where_}: field {name}: a victim's answers come in a repeat group (one row \
                     per victim)"
                )));
            }
            (t, _) => {
                props.insert(
                    t.trim_start_matches("accident.").into(),
                    json!(value.trim()),
                );
            }
        }
        Ok(())
    };
    let victims = walk(s, form, &at, mapping, &mut props, &mut take)?;
    let Some(position) = position else {
        return Err(AppError::BadInput(format!(
            "{at}: no answer gives the accident's position (a geopoint mapped to \
             accident.position)"
        )));
    };
    let iso3 = props
        .get("iso3")
        .and_then(Value::as_str)
        .map(|s| s.trim().to_ascii_uppercase())
        .ok_or_else(|| {
            AppError::BadInput(format!(
                "{at}: no answer gives the accident's State (a question mapped to accident.iso3)"
            ))
        })?;
    props.insert("iso3".into(), json!(iso3));
    props.insert("victims".into(), Value::Array(victims));
    props.insert("odk".into(), provenance(file, form, s, kept));
    let feature = json!({
        "type": "Feature",
        "geometry": demine_geo::write::geometry_json(&position),
        "properties": props,
    });
    Ok((feature, iso3))
}

/// The `odk` provenance of a stored report, if it came from a form.
fn stored_ids(r: &FieldReport) -> Option<(&str, &str)> {
    let o = r.payload.get("properties")?.get("odk")?;
    Some((o.get("instance_id")?.as_str()?, o.get("root_id")?.as_str()?))
}

fn one_feature(feature: &Value) -> String {
    json!({"type": "FeatureCollection", "features": [feature]}).to_string()
}

impl Session<'_> {
    /// Imports an export's submissions as draft field reports, all-or-nothing (see the module's
    /// documentation).
    pub async fn import_odk(&self, import: OdkImport) -> Result<OdkImportOutcome, AppError> {
        let OdkImport {
            files,
            mapping,
            form,
            dry_run,
        } = import;
        let file = files.first().map(|f| f.name.clone()).unwrap_or_default();
        let (flavour, subs) =
            odk::read_submissions(&files).map_err(|e| AppError::BadInput(e.to_string()))?;
        let form = pick_form(&mapping, form.as_deref(), &file, &subs)?;
        let store = self.store();
        let states = if form.kind == FormKind::Accident {
            self.state_codes().await?
        } else {
            BTreeSet::new()
        };
        let today = chrono::Utc::now().date_naive();
        let existing = store.reports(None).await?;
        let mut todo: Vec<NewReport> = Vec::new();
        let mut each = Vec::new();
        for s in &subs {
            let at = place(&file, s);
            let mut out = OdkSubmissionOutcome {
                instance_id: s.instance_id.clone(),
                at: s.at.clone(),
                report_id: None,
                already: None,
                supersedes: None,
            };
            if let Some(r) = existing
                .iter()
                .find(|r| stored_ids(r).is_some_and(|(i, _)| i == s.instance_id))
            {
                out.already = Some(r.id);
                each.push(out);
                continue;
            }
            out.supersedes = existing
                .iter()
                .find(|r| {
                    stored_ids(r).is_some_and(|(i, root)| {
                        s.deprecated_id.as_deref() == Some(i) || root == s.root_id
                    })
                })
                .map(|r| r.id);
            let report = match form.kind {
                FormKind::NewArea => {
                    let (feature, iso3, organisation) =
                        area_feature(&file, form, s, &mapping.name)?;
                    self.check_area_draft(&at, &feature, &iso3).await?;
                    NewReport {
                        kind: ReportKind::NewArea,
                        iso3,
                        organisation,
                        area_id: None,
                        payload: feature,
                        supersedes: out.supersedes,
                    }
                }
                FormKind::Accident => {
                    let (feature, iso3) = accident_feature(&file, form, s, &mapping.name)?;
                    crate::accident::casualty_rows(&at, None, &feature, &states, today)?;
                    NewReport {
                        kind: ReportKind::Accident,
                        iso3,
                        organisation: None,
                        area_id: None,
                        payload: feature,
                        supersedes: out.supersedes,
                    }
                }
                FormKind::Activity => {
                    let (feature, area_id) = activity_feature(&file, form, s, &mapping.name)?;
                    hazards_io::read_activities(&at, &one_feature(&feature))
                        .map_err(|e| AppError::BadInput(e.to_string()))?;
                    let area = store.area(area_id).await?.ok_or_else(|| {
                        AppError::BadInput(format!("{at}: no hazardous area {area_id}"))
                    })?;
                    let iso3 = area.area.iso3.clone().ok_or_else(|| {
                        AppError::BadInput(format!(
                            "{at}: hazardous area {area_id} has no State: a field report is \
                             filed under one"
                        ))
                    })?;
                    NewReport {
                        kind: ReportKind::Activity,
                        iso3,
                        organisation: area.area.organisation.clone(),
                        area_id: Some(area_id),
                        payload: feature,
                        supersedes: out.supersedes,
                    }
                }
            };
            todo.push(report);
            each.push(out);
        }
        let drafts = todo.len();
        if !dry_run && !todo.is_empty() {
            let stored = store.add_reports(&todo, self.actor()).await?;
            let mut ids = stored.iter().map(|r| r.id);
            for o in each.iter_mut().filter(|o| o.already.is_none()) {
                o.report_id = ids.next();
            }
        }
        Ok(OdkImportOutcome {
            file,
            export: flavour.name().to_string(),
            form: form.name.clone(),
            kind: match form.kind {
                FormKind::NewArea => "new-area",
                FormKind::Activity => "activity",
                FormKind::Accident => "accident",
            }
            .to_string(),
            dry_run,
            submissions: subs.len(),
            drafts,
            already: each.iter().filter(|o| o.already.is_some()).count(),
            each,
        })
    }

    /// Checks a new area's draft as approving it would import it: geometry by the rules of every
    /// import, the State in the registry, the area within its boundary. Writes nothing.
    async fn check_area_draft(
        &self,
        at: &str,
        feature: &Value,
        iso3: &str,
    ) -> Result<(), AppError> {
        let text = one_feature(feature);
        let collection = crate::hazards::read_area_file(
            at,
            text.as_bytes(),
            FileFormat::Geojson,
            None,
            self.app().threads(),
        )?;
        self.import_hazards(
            HazardImport {
                name: at.to_string(),
                collection,
                properties: crate::hazards::geojson_properties(text.as_bytes()),
                iso3: Some(iso3.to_string()),
                tolerance_m: TOLERANCE_M,
                dry_run: true,
            },
            &|_, _| {},
        )
        .await
        .map(|_| ())
    }
}
