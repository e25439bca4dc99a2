//! What a report is computed from, fetched from the store in one place: the registry's answers
//! (the records loaded once by `demine_store::view::records`, the views computed by
//! `demine_analytics::registry`), the estimates and positions, the sources, and the hazard data
//! in totals (aggregated in SQL by `HazardStore::hazard_totals`).

use chrono::NaiveDate;
use demine_analytics::HazardTotals;
use demine_analytics::compliance::StateCompliance;
use demine_analytics::cost::CostConfig;
use demine_analytics::registry::{self, StateDetail};
use demine_core::records::{Estimate, Position, SourceRecord};
use demine_core::schema::Kind;
use demine_store::view::{self, Need};
use demine_store::{Access, HazardStore, Store};
use serde::de::DeserializeOwned;

use crate::ReportError;

/// Which report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportKind {
    /// The world: every State.
    World,
    /// One State's Monitor-style profile.
    Country { iso3: String },
    /// A draft Art. 7 transparency report for a calendar year.
    Article7 { iso3: String, year: i32 },
    /// The figures an Art. 5(4) extension request must show.
    Extension { iso3: String },
}

impl ReportKind {
    /// The State asked about, if any.
    pub fn iso3(&self) -> Option<&str> {
        match self {
            ReportKind::World => None,
            ReportKind::Country { iso3 }
            | ReportKind::Article7 { iso3, .. }
            | ReportKind::Extension { iso3 } => Some(iso3),
        }
    }
}

/// Everything a report is built from.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub as_of: NaiveDate,
    /// The State in full (State reports).
    pub state: Option<StateDetail>,
    /// Every State's standing and obligations (the world report).
    pub states: Vec<StateCompliance>,
    /// Every estimate known by the date.
    pub estimates: Vec<Estimate>,
    /// Positions on record (the 1997 picture).
    pub positions: Vec<Position>,
    /// The States that had signed by the end of the Ottawa conference (4 December 1997).
    pub signed_1997: Vec<(String, String)>,
    /// The hazard data in totals (the State's, or everyone's).
    pub hazards: HazardTotals,
    /// Every source the registry describes.
    pub sources: Vec<SourceRecord>,
    /// Cost rates set per State.
    pub cost: CostConfig,
    /// The reader's level: below `operational`, the hazard totals come without admin areas.
    pub access: Access,
}

async fn load<S: Store, T: DeserializeOwned>(store: &S, kind: Kind) -> Result<Vec<T>, ReportError> {
    let table = kind.table();
    store
        .records(kind, None)
        .await?
        .iter()
        .map(|r| {
            serde_json::from_value(serde_json::Value::Object(table.to_json(r))).map_err(|e| {
                ReportError::Store(demine_store::StoreError::Corrupt {
                    table: table.sql.into(),
                    reason: e.to_string(),
                })
            })
        })
        .collect()
}

/// A State the registry does not hold is the report's `UnknownState`.
fn not_found(e: demine_store::StoreError, code: &str) -> ReportError {
    match e {
        demine_store::StoreError::NotFound { .. } => ReportError::UnknownState {
            iso3: code.to_string(),
        },
        other => ReportError::Store(other),
    }
}

/// Fetches what `kind` needs as of `as_of`, for a reader at `access` (the store handle's own
/// level caps it: the lower of the two applies).
pub async fn fetch<S: Store + HazardStore>(
    store: &S,
    access: Access,
    kind: &ReportKind,
    as_of: NaiveDate,
) -> Result<Inputs, ReportError> {
    let access = access.min(store.access());
    // The registry's records, each table loaded once: one State's in full, or the world's.
    let recs = match kind.iso3() {
        Some(code) => view::records(store, Need::State(code))
            .await
            .map_err(|e| not_found(e, code))?,
        None => view::records(store, Need::World).await?,
    };
    let state = match kind.iso3() {
        Some(code) => Some(
            registry::state_detail(&recs, code, as_of).map_err(|e| not_found(e.into(), code))?,
        ),
        None => None,
    };
    let states = match kind {
        ReportKind::World => registry::compliance_all(&recs, as_of)
            .map_err(demine_store::StoreError::from)?
            .into_iter()
            .map(|(row, obligations)| StateCompliance {
                iso3: row.iso3,
                name: row.name,
                status: row.status,
                obligations,
            })
            .collect(),
        _ => Vec::new(),
    };
    let estimates = registry::estimates(&recs.estimates, None, None, Some(as_of));
    let (positions, signed_1997) = if matches!(kind, ReportKind::World) {
        let end = NaiveDate::from_ymd_opt(1997, 12, 4).unwrap_or(as_of);
        let signed = registry::states(&recs, end, None, false)
            .map_err(demine_store::StoreError::from)?
            .into_iter()
            .filter(|r| r.status != "not-signatory")
            .map(|r| (r.iso3, r.name))
            .collect();
        (load(store, Kind::Positions).await?, signed)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut hazards = store.hazard_totals(kind.iso3()).await?;
    if access < Access::Operational {
        for a in &mut hazards.areas {
            a.admin_area = None;
        }
    }
    Ok(Inputs {
        as_of,
        state,
        states,
        estimates,
        positions,
        signed_1997,
        hazards,
        sources: recs.sources,
        cost: CostConfig::default(),
        access,
    })
}
