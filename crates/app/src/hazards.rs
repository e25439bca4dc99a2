//! The hazard workflows: importing areas (the boundary check, custom fields, dry runs, default
//! radii), status changes, custom field definitions and values, approvals, and land release
//! activities. Each returns a typed result; the callers (the CLI, the server) print or serve it.

use std::collections::{BTreeMap, BTreeSet};

use demine_core::hazard::{
    Activity, AreaStatus, CustomField, DeviceFind, FieldKind, VersionStatus, validate_custom,
};
use demine_geo::{Collection, FileFormat, Geometry};
use demine_store::{
    HazardImportReport, HazardStore, Kind, NewArea, Progress, Store, StoreError, StoredActivity,
    hazards_io,
};
use serde::Serialize;

use crate::{AppError, Session};

/// A hazard file to import, already read and validated ([`read_area_file`]).
#[derive(Debug)]
pub struct HazardImport {
    /// How messages name the file.
    pub name: String,
    /// Its features (with any default radius applied).
    pub collection: Collection,
    /// The GeoJSON properties of each feature, in file order (empty for other formats).
    pub properties: Vec<serde_json::Map<String, serde_json::Value>>,
    /// The State the areas are in (each is checked against its boundary).
    pub iso3: Option<String>,
    /// How far outside the State's boundary an area may reach, in metres.
    pub tolerance_m: f64,
    /// Check everything and report, writing nothing.
    pub dry_run: bool,
}

/// What an import did (or, for a dry run, would do). JSON keys in alphabetical order, as the
/// CLI has always printed them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HazardImportOutcome {
    /// Areas in the file.
    pub areas: u64,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// The file.
    pub file: String,
    /// How many fixes were made while reading (orientation, closing vertices, ...).
    pub fixes: usize,
    /// New areas.
    pub inserted: u64,
    /// Ids of the new areas, in file order.
    pub inserted_ids: Vec<i64>,
    /// Existing areas identical to the file.
    pub unchanged: u64,
    /// Ids of the areas left unchanged.
    pub unchanged_ids: Vec<i64>,
    /// Existing areas that got a new version.
    pub updated: u64,
    /// Ids of the areas that got a new version.
    pub updated_ids: Vec<i64>,
    /// States the bundled boundaries do not have: their areas were not checked against them.
    #[serde(skip)]
    pub unchecked_states: Vec<String>,
}

impl HazardImportOutcome {
    pub(crate) fn of(
        file: &str,
        r: HazardImportReport,
        fixes: usize,
        unchecked: Vec<String>,
    ) -> Self {
        HazardImportOutcome {
            file: file.to_string(),
            dry_run: r.dry_run,
            areas: r.areas,
            inserted: r.inserted,
            updated: r.updated,
            unchanged: r.unchanged,
            inserted_ids: r.inserted_ids,
            updated_ids: r.updated_ids,
            unchanged_ids: r.unchanged_ids,
            fixes,
            unchecked_states: unchecked,
        }
    }
}

/// A new version of one area (a status change, custom values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionMade {
    /// The area.
    pub id: i64,
    /// The new version's number.
    pub version: i64,
    /// Always a draft: it awaits approval.
    pub version_status: VersionStatus,
    /// The area's status in the new version.
    pub status: AreaStatus,
}

/// A land release activity recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityRecorded {
    /// The activity's id.
    pub id: i64,
    /// The area it is on.
    pub area_id: i64,
    /// What it released the land as (cancelled, reduced, cleared).
    pub released_as: String,
    /// What it released, in m².
    pub released_m2: f64,
}

impl ActivitiesImported {
    /// The summary of activities as the store recorded them (or would have).
    pub(crate) fn of(file: &str, dry_run: bool, stored: &[StoredActivity]) -> Self {
        let recorded: Vec<ActivityRecorded> = stored
            .iter()
            .map(|st| ActivityRecorded {
                id: st.activity.id,
                area_id: st.activity.area_id,
                released_as: st.activity.kind.released_as().to_string(),
                released_m2: st.released_m2,
            })
            .collect();
        ActivitiesImported {
            file: file.to_string(),
            dry_run,
            activities: stored.len(),
            released_m2: stored.iter().map(|s| s.released_m2).sum(),
            recorded,
        }
    }
}

/// An import checked and turned into the store's areas ([`Session::prepare_import`]).
#[derive(Debug)]
pub(crate) struct PreparedImport {
    pub name: String,
    pub areas: Vec<NewArea>,
    pub fixes: usize,
    pub unchecked: Vec<String>,
    pub dry_run: bool,
}

/// A store error of an import as the caller sees it: features refused are bad input, named
/// under the import's file.
pub(crate) fn import_error(name: &str, e: StoreError) -> AppError {
    match e {
        StoreError::Features { faults, .. } => AppError::BadInput(
            StoreError::Features {
                file: name.to_string(),
                faults,
            }
            .to_string(),
        ),
        e => AppError::Store(e),
    }
}

/// Activities imported from a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivitiesImported {
    /// The file.
    pub file: String,
    /// Whether nothing was written (the ids are then those the activities would have had).
    pub dry_run: bool,
    /// How many activities.
    pub activities: usize,
    /// What they released, in m², in total.
    pub released_m2: f64,
    /// Each one.
    pub recorded: Vec<ActivityRecorded>,
}

/// Checks the options of an import: the State code, the tolerance and the default radius.
/// Returns the State code in upper case.
pub fn check_import_options(
    iso3: Option<&str>,
    tolerance_m: f64,
    default_radius: Option<f64>,
) -> Result<Option<String>, AppError> {
    let iso3 = iso3
        .map(|s| s.parse::<demine_core::Iso3>())
        .transpose()
        .map_err(|e| AppError::Invalid(format!("--iso3: {e}")))?
        .map(|c| c.to_string());
    if !(tolerance_m.is_finite() && tolerance_m >= 0.0) {
        return Err(AppError::Invalid(
            "--tolerance-m must be a non-negative number of metres".into(),
        ));
    }
    check_default_radius(default_radius)?;
    Ok(iso3)
}

/// Checks a default radius for point hazards without one.
pub fn check_default_radius(r: Option<f64>) -> Result<(), AppError> {
    match r {
        Some(r) if !demine_geo::valid_radius(r) => Err(AppError::Invalid(format!(
            "--default-radius must be a number of metres above 0 and at most {}, not {r}",
            demine_geo::MAX_RADIUS_M
        ))),
        _ => Ok(()),
    }
}

/// Reads and validates a file of areas (bad geometry is bad input, exit code 3), applying a
/// default radius to point hazards without one. The collection's warnings are the fixes made.
pub fn read_area_file(
    name: &str,
    bytes: &[u8],
    format: FileFormat,
    default_radius: Option<f64>,
    threads: usize,
) -> Result<Collection, AppError> {
    check_default_radius(default_radius)?;
    let mut c = demine_geo::read_features(format, name, bytes, threads)
        .map_err(|e| AppError::BadInput(e.to_string()))?;
    if let Some(r) = default_radius {
        demine_geo::apply_default_radius(&mut c, r);
    }
    Ok(c)
}

/// The GeoJSON properties of a file's features (what a GeoJSON import reads besides geometry).
pub fn geojson_properties(bytes: &[u8]) -> Vec<serde_json::Map<String, serde_json::Value>> {
    hazards_io::geojson_properties(bytes)
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound {
        what: format!("hazardous area {id}"),
    }
}

impl Session<'_> {
    /// The States of the registry (ISO3).
    pub(crate) async fn state_codes(&self) -> Result<BTreeSet<String>, AppError> {
        Ok(Store::records(self.store(), Kind::States, None)
            .await?
            .iter()
            .filter_map(|r| r.first().and_then(|v| v.as_str()).map(str::to_string))
            .collect())
    }

    /// A State named by the requester, in upper case, which must be in the registry: a typo would
    /// otherwise read as a State without hazardous areas (or file a field under no State).
    pub async fn known_state(&self, code: &str) -> Result<String, AppError> {
        let code = code.trim().to_ascii_uppercase();
        let found = Store::records(self.store(), Kind::States, Some(&code)).await?;
        if found.is_empty() {
            return Err(AppError::BadInput(format!(
                "--iso3 {code}: unknown ISO3 code, no such State in the registry (`demine states \
                 --all` lists them)"
            )));
        }
        Ok(code)
    }

    /// Imports areas, all-or-nothing: every State must be in the registry, every area within
    /// (the tolerance of) its State's boundary, custom values valid for the State's fields, ids
    /// sound. A dry run reports what the import would do and writes nothing. `progress` gets
    /// (done, total) while areas are written.
    pub async fn import_hazards(
        &self,
        import: HazardImport,
        progress: Progress<'_>,
    ) -> Result<HazardImportOutcome, AppError> {
        let p = self.prepare_import(import).await?;
        let store = self.store();
        let actor = self.actor();
        let r = if p.dry_run {
            store.plan_import(&p.areas, actor).await
        } else {
            store.import_areas(&p.areas, actor, progress).await
        };
        let r = r.map_err(|e| import_error(&p.name, e))?;
        if !p.dry_run {
            self.app().written().await;
        }
        Ok(HazardImportOutcome::of(&p.name, r, p.fixes, p.unchecked))
    }

    /// An import's file turned into the areas the store imports, with the import's checks (the
    /// States, the boundaries, custom fields), writing nothing.
    pub(crate) async fn prepare_import(
        &self,
        import: HazardImport,
    ) -> Result<PreparedImport, AppError> {
        let HazardImport {
            name,
            collection,
            properties,
            iso3,
            tolerance_m,
            dry_run,
        } = import;
        let iso3 = check_import_options(iso3.as_deref(), tolerance_m, None)?;
        let fixes = collection.warnings.len();
        let store = self.store();
        let states = self.state_codes().await?;
        if let Some(code) = &iso3
            && !states.contains(code)
        {
            return Err(AppError::BadInput(format!(
                "{name}: --iso3 {code}: unknown ISO3 code, no such State in the registry \
                 (`demine states --all` lists them); nothing was imported"
            )));
        }
        let mut codes: BTreeSet<String> = properties
            .iter()
            .filter_map(|p| p.get("iso3").and_then(serde_json::Value::as_str))
            .map(str::to_ascii_uppercase)
            .collect();
        codes.extend(iso3.clone());
        let mut fields = BTreeMap::new();
        for code in codes {
            let f = store.fields(&code).await?;
            fields.insert(code, f);
        }
        let mut unchecked = Vec::new();
        let areas = hazards_io::to_areas(
            &name,
            collection,
            iso3.as_deref(),
            tolerance_m,
            &properties,
            &fields,
            Some(&states),
            |code| unchecked.push(code.to_string()),
        )
        .map_err(|e| match e {
            StoreError::Geo(g) => AppError::BadInput(g.to_string()),
            e @ StoreError::Features { .. } => AppError::BadInput(e.to_string()),
            e => AppError::Store(e),
        })?;
        Ok(PreparedImport {
            name,
            areas,
            fixes,
            unchecked,
            dry_run,
        })
    }

    /// Changes an area's status: a new draft version (the source's status word is dropped: the
    /// model's word is now the truth; the old word stays in the history).
    pub async fn set_status(&self, id: i64, status: AreaStatus) -> Result<VersionMade, AppError> {
        let store = self.store();
        let s = store.area(id).await?.ok_or_else(|| not_found(id))?;
        let mut area = s.area.clone();
        area.status = status;
        area.source_status = None;
        let v = store
            .update_area(
                &NewArea::with_id(area, s.shape.clone()),
                VersionStatus::Draft,
                self.actor(),
            )
            .await?;
        self.app().written().await;
        Ok(VersionMade {
            id,
            version: v,
            version_status: VersionStatus::Draft,
            status,
        })
    }

    /// Sets custom field values of an area (`NAME=VALUE` each), checked against its State's
    /// definitions and merged with the values it has: a new draft version.
    pub async fn set_custom(&self, id: i64, values: &[String]) -> Result<VersionMade, AppError> {
        let store = self.store();
        let s = store.area(id).await?.ok_or_else(|| not_found(id))?;
        let Some(code) = s.area.iso3.clone() else {
            return Err(AppError::BadInput(format!(
                "area {id} has no State; custom fields are defined per State"
            )));
        };
        let defs = store.fields(&code).await?;
        let mut custom = s.area.custom.clone();
        for kv in values {
            let Some((k, v)) = kv.split_once('=') else {
                return Err(AppError::BadInput(format!("{kv:?}: expected NAME=VALUE")));
            };
            custom.insert(
                k.trim().to_string(),
                serde_json::Value::String(v.to_string()),
            );
        }
        let custom = validate_custom(&defs, &custom)
            .map_err(|e| AppError::BadInput(format!("area {id}: {e}")))?;
        let mut area = s.area.clone();
        area.custom = custom;
        let status = area.status;
        let v = store
            .update_area(
                &NewArea::with_id(area, s.shape.clone()),
                VersionStatus::Draft,
                self.actor(),
            )
            .await?;
        self.app().written().await;
        Ok(VersionMade {
            id,
            version: v,
            version_status: VersionStatus::Draft,
            status,
        })
    }

    /// Defines (or redefines) a custom field of a State's areas; the State must be in the
    /// registry.
    pub async fn define_field(
        &self,
        iso3: &str,
        name: &str,
        kind: FieldKind,
        choices: Vec<String>,
    ) -> Result<CustomField, AppError> {
        let iso3 = self.known_state(iso3).await?;
        let f = CustomField {
            iso3,
            name: name.to_string(),
            kind,
            choices,
        };
        self.store().define_field(&f, self.actor()).await?;
        self.app().written().await;
        Ok(f)
    }

    /// Approves the current version of an area.
    pub async fn approve(&self, id: i64) -> Result<(), AppError> {
        self.store().approve_area(id, self.actor()).await?;
        self.app().written().await;
        Ok(())
    }

    /// Records one land release activity on an area, with its perimeter (validated here) and the
    /// devices found.
    pub async fn record_activity(
        &self,
        activity: Activity,
        perimeter: Geometry,
    ) -> Result<ActivityRecorded, AppError> {
        let perimeter = hazards_io::validated_perimeter("--perimeter", 0, perimeter)
            .map_err(|e| AppError::BadInput(e.to_string()))?;
        let st = self
            .store()
            .record_activity(&activity, &perimeter, self.actor())
            .await?;
        self.app().written().await;
        Ok(ActivityRecorded {
            id: st.activity.id,
            area_id: st.activity.area_id,
            released_as: st.activity.kind.released_as().to_string(),
            released_m2: st.released_m2,
        })
    }

    /// Records the activities of a GeoJSON file, all-or-nothing: each feature's area must exist.
    pub async fn import_activities(
        &self,
        name: &str,
        text: &str,
    ) -> Result<ActivitiesImported, AppError> {
        self.activities_from(name, text, false).await
    }

    /// What [`Session::import_activities`] would record, with the same checks and messages
    /// (scope included), writing nothing.
    pub async fn plan_activities(
        &self,
        name: &str,
        text: &str,
    ) -> Result<ActivitiesImported, AppError> {
        self.activities_from(name, text, true).await
    }

    /// The activities of a GeoJSON file, read and checked (each one's area must exist and be
    /// readable), writing nothing.
    pub(crate) async fn prepare_activities(
        &self,
        name: &str,
        text: &str,
    ) -> Result<Vec<(Activity, Geometry)>, AppError> {
        let todo = hazards_io::read_activities(name, text)
            .map_err(|e| AppError::BadInput(e.to_string()))?;
        let store = self.store();
        for (i, (act, _)) in todo.iter().enumerate() {
            if store.area(act.area_id).await?.is_none() {
                return Err(AppError::BadInput(format!(
                    "{name}: feature #{i}: no hazardous area {}",
                    act.area_id
                )));
            }
        }
        Ok(todo)
    }

    async fn activities_from(
        &self,
        name: &str,
        text: &str,
        dry_run: bool,
    ) -> Result<ActivitiesImported, AppError> {
        let todo = self.prepare_activities(name, text).await?;
        let store = self.store();
        let stored = if dry_run {
            store.plan_activities(&todo, self.actor()).await?
        } else {
            let stored = store.record_activities(&todo, self.actor()).await?;
            self.app().written().await;
            stored
        };
        Ok(ActivitiesImported::of(name, dry_run, &stored))
    }
}

/// Parses a device found, as JSON (`--device`).
pub fn parse_device(s: &str) -> Result<DeviceFind, AppError> {
    serde_json::from_str(s).map_err(|e| AppError::BadInput(format!("--device {s}: {e}")))
}
