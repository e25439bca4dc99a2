//! Deciding field reports (drafts from the API or from form submissions, [`crate::odk`]): what
//! approving one would change, approving it (its feature goes through the same import rules as
//! `demine hazards import` or `demine release import`, all-or-nothing) and rejecting it. Someone
//! other than its author decides it. The HTTP API checks roles and scopes on top of this; the CLI
//! works on a database its user holds.

use demine_geo::FileFormat;
use demine_store::accounts::{
    AccountStore, Applied, Apply, Decision, FieldReport, NewReport, ReportKind, ReportStatus,
};
use demine_store::hazards_io;
use serde_json::{Value, json};

use crate::hazards::{ActivitiesImported, HazardImport, HazardImportOutcome, import_error};
use crate::odk::TOLERANCE_M;
use crate::{AppError, Session};

fn properties(feature: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
    feature
        .as_object_mut()
        .map(|f| f.entry("properties").or_insert_with(|| json!({})))
        .and_then(Value::as_object_mut)
}

/// The import a new-area or area-change report makes: its feature (`payload`) as a one-feature
/// GeoJSON file named `name`, filed under the report's State (and organisation), with the
/// changed area's id.
pub fn report_import(
    name: &str,
    payload: &Value,
    iso3: &str,
    organisation: Option<&str>,
    area_id: Option<i64>,
    dry_run: bool,
    threads: usize,
) -> Result<HazardImport, AppError> {
    let mut feature = payload.clone();
    if let Some(props) = properties(&mut feature) {
        props.insert("iso3".into(), iso3.into());
        if let Some(o) = organisation {
            props.insert("organisation".into(), o.into());
        }
        props.remove("id");
    }
    if let Some(f) = feature.as_object_mut() {
        f.remove("id");
        if let Some(id) = area_id {
            f.insert("id".into(), id.into());
        }
    }
    let text = json!({"type": "FeatureCollection", "features": [feature]}).to_string();
    let collection =
        crate::hazards::read_area_file(name, text.as_bytes(), FileFormat::Geojson, None, threads)?;
    Ok(HazardImport {
        name: name.to_string(),
        collection,
        properties: crate::hazards::geojson_properties(text.as_bytes()),
        iso3: Some(iso3.to_string()),
        tolerance_m: TOLERANCE_M,
        dry_run,
    })
}

/// An activity report's feature (`payload`) as the one-feature GeoJSON file `release import`
/// reads, on the area `area_id`.
pub fn activity_text(payload: &Value, area_id: Option<i64>) -> String {
    let mut feature = payload.clone();
    if let Some(props) = properties(&mut feature)
        && let Some(id) = area_id
    {
        props.insert("area_id".into(), id.into());
    }
    json!({"type": "FeatureCollection", "features": [feature]}).to_string()
}

fn stored_import(
    rep: &FieldReport,
    dry_run: bool,
    threads: usize,
) -> Result<HazardImport, AppError> {
    report_import(
        &format!("field report {}", rep.id),
        &rep.payload,
        &rep.iso3,
        rep.organisation.as_deref(),
        rep.area_id,
        dry_run,
        threads,
    )
}

impl Session<'_> {
    /// Checks a report about to be entered as its approval would (an import's dry run, the
    /// activities' plan, an accident's casualty rows), writing nothing; `name` names it in
    /// messages. An accident's feature is filed under the report's State: a different State in
    /// its properties is refused.
    pub async fn check_report(&self, name: &str, new: &mut NewReport) -> Result<(), AppError> {
        match new.kind {
            ReportKind::Activity => {
                self.plan_activities(name, &activity_text(&new.payload, new.area_id))
                    .await?;
            }
            ReportKind::Accident => {
                if let Some(props) = properties(&mut new.payload) {
                    match props.get("iso3").and_then(Value::as_str) {
                        Some(c) if !c.trim().eq_ignore_ascii_case(&new.iso3) => {
                            return Err(AppError::BadInput(format!(
                                "{name}: field iso3: {c:?}, but the report is filed under {}",
                                new.iso3
                            )));
                        }
                        _ => {
                            props.insert("iso3".into(), new.iso3.clone().into());
                        }
                    }
                }
                let states = self.state_codes().await?;
                crate::accident::casualty_rows(
                    name,
                    None,
                    &new.payload,
                    &states,
                    chrono::Utc::now().date_naive(),
                )?;
            }
            ReportKind::NewArea | ReportKind::AreaChange => {
                let import = report_import(
                    name,
                    &new.payload,
                    &new.iso3,
                    new.organisation.as_deref(),
                    new.area_id,
                    true,
                    self.app().threads(),
                )?;
                self.import_hazards(import, &|_, _| {}).await?;
            }
        }
        Ok(())
    }

    /// Field reports, newest first; with `iso3` only that State's, with `status` only those.
    pub async fn field_reports(
        &self,
        iso3: Option<&str>,
        status: Option<ReportStatus>,
    ) -> Result<Vec<FieldReport>, AppError> {
        let iso3 = iso3.map(str::to_ascii_uppercase);
        Ok(self
            .store()
            .reports(iso3.as_deref())
            .await?
            .into_iter()
            .filter(|r| status.is_none_or(|s| r.status == s))
            .collect())
    }

    async fn draft(&self, id: i64) -> Result<FieldReport, AppError> {
        let rep = self
            .store()
            .report(id)
            .await?
            .ok_or_else(|| AppError::NotFound {
                what: format!("field report {id}"),
            })?;
        if rep.status != ReportStatus::Draft {
            return Err(AppError::Invalid(format!(
                "field report {id} is {}: only a draft is approved or rejected",
                rep.status.name()
            )));
        }
        if rep.author == self.actor() {
            return Err(AppError::Refused(format!(
                "{} wrote field report {id}: someone else decides it",
                rep.author
            )));
        }
        Ok(rep)
    }

    /// Approves a draft: applies it (an area imported and its version approved, or an activity
    /// recorded) and records the decision with what it did.
    pub async fn approve_report(
        &self,
        id: i64,
        note: Option<String>,
    ) -> Result<FieldReport, AppError> {
        let mut rep = self.draft(id).await?;
        if let Some(old) = rep.supersedes {
            self.edit_target(&mut rep, old).await?;
        }
        let name = format!("field report {}", rep.id);
        let store = self.store();
        let actor = self.actor();
        let (decided, _) = match rep.kind {
            ReportKind::Activity => {
                let todo = self
                    .prepare_activities(&name, &activity_text(&rep.payload, rep.area_id))
                    .await?;
                let outcome = |a: &Applied| match a {
                    Applied::Activities(stored) => {
                        serde_json::to_value(ActivitiesImported::of(&name, false, stored))
                            .map_err(|e| e.to_string())
                    }
                    _ => Err("an activity report recorded no activity".into()),
                };
                store
                    .approve_report(id, Apply::Activities(&todo), note, &outcome, actor)
                    .await?
            }
            ReportKind::Accident => {
                let batch = self.accident_batch(&rep).await?;
                let outcome = |a: &Applied| match a {
                    Applied::Records(r) => Ok(json!({
                        "casualties": r.inserted,
                        "ids": batch.rows.iter().filter_map(|row| row.values.first()).map(|v| v.to_text()).collect::<Vec<_>>(),
                        "source": crate::accident::casualty_source(Some(rep.id), &rep.payload),
                    })),
                    _ => Err("an accident report wrote no casualty records".into()),
                };
                store
                    .approve_report(id, Apply::Records(&batch), note, &outcome, actor)
                    .await?
            }
            ReportKind::NewArea | ReportKind::AreaChange => {
                let import = stored_import(&rep, false, self.app().threads())?;
                let p = self.prepare_import(import).await?;
                let outcome = |a: &Applied| match a {
                    Applied::Areas(r) => serde_json::to_value(HazardImportOutcome::of(
                        &p.name,
                        r.clone(),
                        p.fixes,
                        p.unchecked.clone(),
                    ))
                    .map_err(|e| e.to_string()),
                    _ => Err("an area report imported no area".into()),
                };
                store
                    .approve_report(id, Apply::Areas(&p.areas), note, &outcome, actor)
                    .await
                    .map_err(|e| import_error(&p.name, e))?
            }
        };
        self.app().written().await;
        Ok(decided)
    }

    /// The casualty rows approving an accident report writes (checked now, as on entry: the
    /// registry's States may have changed since).
    async fn accident_rows(
        &self,
        rep: &FieldReport,
    ) -> Result<Vec<serde_json::Map<String, Value>>, AppError> {
        let states = self.state_codes().await?;
        crate::accident::casualty_rows(
            &format!("field report {}", rep.id),
            Some(rep.id),
            &rep.payload,
            &states,
            chrono::Utc::now().date_naive(),
        )
    }

    async fn accident_batch(&self, rep: &FieldReport) -> Result<demine_store::Batch, AppError> {
        let rows = self.accident_rows(rep).await?;
        crate::accident::casualty_batch(&format!("field report {}", rep.id), &rows)
    }

    /// For a report that edits an earlier one (an edited form submission): the earlier must be
    /// decided first, and an edited new area changes the area the earlier report made instead of
    /// making a second one. An activity already recorded is not recorded again.
    async fn edit_target(&self, rep: &mut FieldReport, old: i64) -> Result<(), AppError> {
        let Some(prev) = self.store().report(old).await? else {
            return Err(AppError::NotFound {
                what: format!("field report {old}, which field report {} edits", rep.id),
            });
        };
        match prev.status {
            ReportStatus::Draft => Err(AppError::Invalid(format!(
                "field report {} edits field report {old}, still a draft: decide that one first (reject it to keep only the edit)",
                rep.id
            ))),
            ReportStatus::Rejected => Ok(()),
            ReportStatus::Approved | ReportStatus::Superseded => match (prev.kind, rep.kind) {
                (ReportKind::NewArea | ReportKind::AreaChange, ReportKind::NewArea) => {
                    let made = prev.area_id.or_else(|| {
                        prev.outcome
                            .as_ref()
                            .and_then(|o| o["inserted_ids"][0].as_i64())
                    });
                    let Some(area) = made else {
                        return Err(AppError::Invalid(format!(
                            "field report {old} records no area it made: field report {} cannot be applied as its edit",
                            rep.id
                        )));
                    };
                    rep.area_id = Some(area);
                    rep.kind = ReportKind::AreaChange;
                    Ok(())
                }
                // A change to an area stands on its own: it names the area it changes.
                (ReportKind::NewArea | ReportKind::AreaChange, ReportKind::AreaChange) => Ok(()),
                (ReportKind::NewArea | ReportKind::AreaChange, ReportKind::Activity) => {
                    Err(AppError::Invalid(format!(
                        "field report {} is an activity and cannot edit field report {old}, an \
                         area report",
                        rep.id
                    )))
                }
                (ReportKind::Accident, _) | (_, ReportKind::Accident) => {
                    Err(AppError::Invalid(format!(
                        "field report {} edits field report {old}, already decided: an \
                         accident's casualties are not recorded twice (reject this report; \
                         correct the casualty record with the national authority)",
                        rep.id
                    )))
                }
                (ReportKind::Activity, _) => Err(AppError::Invalid(format!(
                    "field report {} edits field report {old}, an activity already recorded: an activity is not recorded twice (reject this report; correct the activity with the national authority)",
                    rep.id
                ))),
            },
        }
    }

    /// Rejects a draft, with a note for its author.
    pub async fn reject_report(
        &self,
        id: i64,
        note: Option<String>,
    ) -> Result<FieldReport, AppError> {
        self.draft(id).await?;
        let decision = Decision {
            status: ReportStatus::Rejected,
            note,
            outcome: None,
        };
        Ok(self
            .store()
            .decide_report(id, &decision, self.actor())
            .await?)
    }

    /// What approving a report would change (an import's dry run), writing nothing.
    pub async fn plan_report(&self, id: i64) -> Result<Value, AppError> {
        let rep = self
            .store()
            .report(id)
            .await?
            .ok_or_else(|| AppError::NotFound {
                what: format!("field report {id}"),
            })?;
        match rep.kind {
            ReportKind::Activity => {
                let name = format!("field report {}", rep.id);
                let acts =
                    hazards_io::read_activities(&name, &activity_text(&rep.payload, rep.area_id))
                        .map_err(|e| AppError::BadInput(e.to_string()))?;
                Ok(json!({"dry_run": true, "activities": acts.len(), "area_id": rep.area_id}))
            }
            ReportKind::Accident => {
                let rows = self.accident_rows(&rep).await?;
                Ok(json!({"dry_run": true, "casualties": rows.len(), "rows": rows}))
            }
            ReportKind::NewArea | ReportKind::AreaChange => {
                let import = stored_import(&rep, true, self.app().threads())?;
                let out = self.import_hazards(import, &|_, _| {}).await?;
                serde_json::to_value(out)
                    .map_err(|e| AppError::Invalid(format!("field report {id}: plan: {e}")))
            }
        }
    }
}
