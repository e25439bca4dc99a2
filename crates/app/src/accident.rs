//! Accident and victim reports (issue 9): a field report of one mine or ERW accident, entered as a
//! draft (from the `accident_victim` form, [`crate::odk`], or the API) and approved by someone
//! else. Approving it writes one row of the registry's `casualties` table per victim, in the same
//! transaction as the decision ([`demine_store::accounts::AccountStore::approve_report`]).
//!
//! The draft is a GeoJSON Feature: its geometry is the accident's position (a Point), which is
//! hazard evidence and stays with the report (accounts only); the casualty rows carry no position.
//! Its properties:
//!
//! | property | meaning |
//! | --- | --- |
//! | `date` | the accident's date, `YYYY-MM-DD`, not in the future |
//! | `iso3` | the State, which must be in the registry |
//! | `admin_area` | optional |
//! | `accuracy_m` | how far the true place may be from the position, metres, optional, > 0 |
//! | `device_category` | the casualties vocabulary (`ap-mine`, `at-mine`, `erw`, ...; the form's `erw-uxo` is `erw`); absent reads as `unknown` (the question is optional) |
//! | `activity` | what the victims were doing, optional, kept in the row's note |
//! | `victims` | a list, each `sex` (female, male, unknown), `outcome` (killed, injured), `deminer` (yes/no), `age` (years, optional: absent is the age group `unknown`) |
//!
//! Nothing is guessed: a State not in the registry, a category, sex or outcome outside the
//! vocabulary, a date in the future, a missing outcome or deminer answer is refused naming where.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use demine_core::schema::{AGE_GROUPS, DEVICE_CATEGORIES, Kind, SEXES};
use demine_store::{Batch, ImportKind};
use serde_json::{Map, Value, json};

use crate::AppError;

/// Targets of an accident form's answers (`victim.*` are the rows of its repeat of victims).
pub const ACCIDENT_TARGETS: &[&str] = &[
    "accident.date",
    "accident.iso3",
    "accident.admin_area",
    "accident.position",
    "accident.accuracy_m",
    "accident.device_category",
    "accident.activity",
    "victim.sex",
    "victim.age",
    "victim.outcome",
    "victim.deminer",
];

/// Age from which a victim counts as an adult (the registry's age groups: child, adult).
const ADULT_AGE: u64 = 18;

/// Where a report's casualty rows come from, as their `source` column says it.
pub fn casualty_source(report_id: Option<i64>, payload: &Value) -> String {
    let report = match report_id {
        Some(id) => format!("demine field report {id}"),
        None => "demine field report (not yet entered)".to_string(),
    };
    match payload
        .pointer("/properties/odk/instance_id")
        .and_then(Value::as_str)
    {
        Some(i) => format!("{report}, form submission {i}"),
        None => report,
    }
}

/// The casualty rows (JSON objects keyed by the `casualties` columns) approving an accident
/// report writes, one per victim, with ids `field-report-ID-N`; `at` names the report or
/// submission in messages. Checks everything the draft says (see the module's documentation).
pub fn casualty_rows(
    at: &str,
    report_id: Option<i64>,
    payload: &Value,
    states: &BTreeSet<String>,
    today: NaiveDate,
) -> Result<Vec<Map<String, Value>>, AppError> {
    let bad =
        |field: &str, reason: String| AppError::BadInput(format!("{at}: field {field}: {reason}"));
    match payload.pointer("/geometry/type").and_then(Value::as_str) {
        Some("Point") => {}
        _ => {
            return Err(bad(
                "geometry",
                "an accident's position is one point (a geopoint)".into(),
            ));
        }
    }
    let empty = Map::new();
    let props = payload
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let text = |k: &str| {
        props
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let date = text("date").ok_or_else(|| bad("date", "the accident's date is missing".into()))?;
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| bad("date", format!("{date:?} is not a date (YYYY-MM-DD)")))?;
    if day > today {
        return Err(bad(
            "date",
            format!("{date} is in the future (today is {today})"),
        ));
    }
    let iso3 = text("iso3")
        .map(str::to_ascii_uppercase)
        .ok_or_else(|| bad("iso3", "the accident's State is missing".into()))?;
    if !states.contains(&iso3) {
        return Err(bad(
            "iso3",
            format!("unknown ISO3 code {iso3:?}: no such State in the registry"),
        ));
    }
    if let Some(a) = props.get("accuracy_m").filter(|v| !v.is_null()) {
        let ok = a
            .as_f64()
            .or_else(|| a.as_str().and_then(|s| s.trim().parse().ok()))
            .is_some_and(|m: f64| m.is_finite() && m > 0.0);
        if !ok {
            return Err(bad(
                "accuracy_m",
                format!("{a} is not a distance in metres above 0"),
            ));
        }
    }
    let device = match text("device_category") {
        None => "unknown",
        // The form's (and the hazard vocabulary's) name of the category the casualties
        // vocabulary calls erw.
        Some("erw-uxo") => "erw",
        Some(d) => DEVICE_CATEGORIES
            .iter()
            .copied()
            .find(|c| *c == d)
            .ok_or_else(|| {
                bad(
                    "device_category",
                    format!(
                        "{d:?} is not a device category of the casualty record ({})",
                        DEVICE_CATEGORIES.join(", ")
                    ),
                )
            })?,
    };
    let victims = props
        .get("victims")
        .and_then(Value::as_array)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad("victims", "the report names no victim".into()))?;
    let source = casualty_source(report_id, payload);
    let note = text("activity").map(|a| format!("activity at the time: {a}"));
    let mut rows = Vec::with_capacity(victims.len());
    for (n, v) in victims.iter().enumerate() {
        let n = n + 1;
        let vbad = |field: &str, reason: String| bad(&format!("victim {n} {field}"), reason);
        let word = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let sex = word("sex").ok_or_else(|| vbad("sex", "missing".into()))?;
        if !SEXES.contains(&sex) {
            return Err(vbad(
                "sex",
                format!("{sex:?} is not one of {}", SEXES.join(", ")),
            ));
        }
        let (killed, injured) = match word("outcome") {
            Some("killed") => (1, 0),
            Some("injured") => (0, 1),
            Some(o) => {
                return Err(vbad("outcome", format!("{o:?} is not killed or injured")));
            }
            None => return Err(vbad("outcome", "missing".into())),
        };
        let group = match v.get("deminer") {
            Some(Value::Bool(true)) => "deminer",
            Some(Value::Bool(false)) => "civilian",
            Some(Value::String(s)) if s.trim() == "yes" => "deminer",
            Some(Value::String(s)) if s.trim() == "no" => "civilian",
            Some(other) => {
                return Err(vbad("deminer", format!("{other} is not yes or no")));
            }
            None => return Err(vbad("deminer", "missing (yes or no)".into())),
        };
        let age = match v.get("age").filter(|a| !a.is_null()) {
            None => None,
            Some(a) => Some(
                a.as_u64()
                    .or_else(|| a.as_str().and_then(|s| s.trim().parse().ok()))
                    .filter(|y| *y < 120)
                    .ok_or_else(|| vbad("age", format!("{a} is not an age in years (0 to 119)")))?,
            ),
        };
        let age_group = match age {
            None => AGE_GROUPS[2],
            Some(y) if y < ADULT_AGE => AGE_GROUPS[0],
            Some(_) => AGE_GROUPS[1],
        };
        let id = match report_id {
            Some(r) => format!("field-report-{r}-{n}"),
            None => format!("field-report-new-{n}"),
        };
        let mut row = Map::new();
        row.insert("id".into(), json!(id));
        row.insert("date".into(), json!(date));
        row.insert("iso3".into(), json!(iso3));
        row.insert("admin_area".into(), json!(text("admin_area")));
        row.insert("device_category".into(), json!(device));
        row.insert("killed".into(), json!(killed));
        row.insert("injured".into(), json!(injured));
        row.insert("group".into(), json!(group));
        row.insert("age_group".into(), json!(age_group));
        row.insert("sex".into(), json!(sex));
        row.insert("source".into(), json!(source));
        row.insert("note".into(), json!(note));
        rows.push(row);
    }
    Ok(rows)
}

/// The rows as the store's batch of casualty records (read by the same reader as `demine
/// import casualties`, so its checks apply too).
pub fn casualty_batch(name: &str, rows: &[Map<String, Value>]) -> Result<Batch, AppError> {
    let text = Value::Array(rows.iter().cloned().map(Value::Object).collect()).to_string();
    demine_store::io::read_batch(
        ImportKind::Kind(Kind::Casualties),
        &format!("{name}.json"),
        text.as_bytes(),
    )
    .map_err(|e| AppError::BadInput(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states() -> BTreeSet<String> {
        ["KHM".to_string()].into()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default()
    }

    fn report(victims: Value) -> Value {
        json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [102.98, 13.08]},
            "properties": {
                "date": "2026-02-14", "iso3": "KHM", "device_category": "erw-uxo",
                "activity": "farming", "victims": victims,
                "odk": {"instance_id": "uuid:1"}
            }
        })
    }

    #[test]
    fn one_row_per_victim_in_the_registry_vocabulary() -> Result<(), AppError> {
        let p = report(json!([
            {"sex": "male", "age": "34", "outcome": "injured", "deminer": "no"},
            {"sex": "female", "age": 9, "outcome": "killed", "deminer": "no"},
            {"sex": "unknown", "outcome": "injured", "deminer": "yes"},
        ]));
        let rows = casualty_rows("r", Some(7), &p, &states(), today())?;
        let pick = |r: &Map<String, Value>, k: &str| r[k].clone();
        assert_eq!(rows.len(), 3);
        assert_eq!(pick(&rows[0], "id"), "field-report-7-1");
        assert_eq!(pick(&rows[0], "device_category"), "erw");
        assert_eq!(
            (pick(&rows[0], "injured"), pick(&rows[0], "age_group")),
            (json!(1), json!("adult"))
        );
        assert_eq!(
            (pick(&rows[1], "killed"), pick(&rows[1], "age_group")),
            (json!(1), json!("child"))
        );
        assert_eq!(
            (pick(&rows[2], "group"), pick(&rows[2], "age_group")),
            (json!("deminer"), json!("unknown"))
        );
        assert_eq!(
            pick(&rows[0], "source"),
            "demine field report 7, form submission uuid:1"
        );
        let batch = casualty_batch("field report 7", &rows)?;
        assert_eq!(batch.rows.len(), 3);
        Ok(())
    }

    #[test]
    fn nothing_is_guessed() {
        let victim = json!({"sex": "male", "outcome": "injured", "deminer": "no"});
        let with = |k: &str, v: Value| {
            let mut p = report(json!([victim.clone()]));
            p["properties"][k] = v;
            casualty_rows("submission 3", None, &p, &states(), today())
        };
        let msg = |r: Result<Vec<Map<String, Value>>, AppError>| match r {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        };
        assert!(msg(with("iso3", json!("XXZ"))).contains("field iso3: unknown ISO3"));
        assert!(msg(with("date", json!("2026-03-02"))).contains("in the future"));
        assert!(msg(with("device_category", json!("mine"))).contains("device_category"));
        let v = |victim: Value| {
            msg(casualty_rows(
                "s",
                None,
                &report(json!([victim])),
                &states(),
                today(),
            ))
        };
        assert!(
            v(json!({"sex": "male", "outcome": "maimed", "deminer": "no"}))
                .contains("victim 1 outcome")
        );
        assert!(v(json!({"sex": "male", "deminer": "no"})).contains("victim 1 outcome: missing"));
        assert!(
            v(json!({"sex": "x", "outcome": "killed", "deminer": "no"})).contains("victim 1 sex")
        );
        assert!(v(json!({"sex": "male", "outcome": "killed"})).contains("victim 1 deminer"));
        assert!(msg(with("victims", json!([]))).contains("no victim"));
        let mut p = report(json!([victim]));
        p["geometry"] = json!({"type": "Polygon", "coordinates": []});
        assert!(msg(casualty_rows("s", None, &p, &states(), today())).contains("one point"));
    }
}
