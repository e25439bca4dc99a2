//! The registry's queries: the records a registry view reads, loaded once per request at the
//! store handle's access level and decoded into plain `demine_core` records. What is made of
//! them (status as of a date, deadlines, compliance, the world summary, one State in full) is
//! computed by `demine_analytics::registry`; `demine_app::registry` pairs the two for callers.

use serde::de::DeserializeOwned;

use demine_core::schema::Kind;

pub use demine_analytics::registry::RegistryRecords;

use crate::{Record, Store, StoreError};

/// Which records a registry view needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need<'a> {
    /// The States with their treaty events and extension requests: each State's standing
    /// (`demine_analytics::registry::states`).
    Standing,
    /// Everything the world views read: the States, events, extensions, reports, stockpile
    /// records, estimates, findings of new use and sources (`states`, `compliance_all`,
    /// `world_summary`, `estimates`).
    World,
    /// Everything the registry holds about one State (an ISO3 code, any case), with every
    /// State's row, every estimate (a report compares the State's with the world's), the
    /// findings of new use, the meetings and the sources it may cite (`state_detail`).
    State(&'a str),
    /// The estimates only (`estimates`).
    Estimates,
}

fn typed<T: DeserializeOwned>(kind: Kind, records: &[Record]) -> Result<Vec<T>, StoreError> {
    let table = kind.table();
    records
        .iter()
        .map(|r| {
            serde_json::from_value(serde_json::Value::Object(table.to_json(r))).map_err(|e| {
                StoreError::Corrupt {
                    table: table.sql.into(),
                    reason: e.to_string(),
                }
            })
        })
        .collect()
}

async fn load<S: Store, T: DeserializeOwned>(
    store: &S,
    kind: Kind,
    iso3: Option<&str>,
) -> Result<Vec<T>, StoreError> {
    typed(kind, &store.records(kind, iso3).await?)
}

/// Loads what `need` names, each table once. An ISO3 code that is not one is `NotFound`; a
/// well-formed code the registry does not hold loads empty tables (the computation says the
/// State is not found).
pub async fn records<S: Store>(store: &S, need: Need<'_>) -> Result<RegistryRecords, StoreError> {
    let mut out = RegistryRecords::default();
    match need {
        Need::Standing => {
            out.states = load(store, Kind::States, None).await?;
            out.events = load(store, Kind::Events, None).await?;
            out.extensions = load(store, Kind::Extensions, None).await?;
        }
        Need::World => {
            out.states = load(store, Kind::States, None).await?;
            out.events = load(store, Kind::Events, None).await?;
            out.extensions = load(store, Kind::Extensions, None).await?;
            out.reports = load(store, Kind::Reports, None).await?;
            out.stockpiles = load(store, Kind::Stockpiles, None).await?;
            out.estimates = load(store, Kind::Estimates, None).await?;
            out.use_findings = load(store, Kind::UseFindings, None).await?;
            out.sources = load(store, Kind::Sources, None).await?;
        }
        Need::State(iso3) => {
            let code = iso3
                .parse::<demine_core::Iso3>()
                .map_err(|e| StoreError::NotFound {
                    what: e.to_string(),
                })?
                .to_string();
            let c = Some(code.as_str());
            out.states = load(store, Kind::States, None).await?;
            out.events = load(store, Kind::Events, c).await?;
            out.extensions = load(store, Kind::Extensions, c).await?;
            out.reports = load(store, Kind::Reports, c).await?;
            out.stockpiles = load(store, Kind::Stockpiles, c).await?;
            out.estimates = load(store, Kind::Estimates, None).await?;
            out.positions = load(store, Kind::Positions, c).await?;
            out.commitments = load(store, Kind::Commitments, c).await?;
            out.use_findings = load(store, Kind::UseFindings, None).await?;
            out.meetings = load(store, Kind::Meetings, None).await?;
            out.sources = load(store, Kind::Sources, None).await?;
        }
        Need::Estimates => {
            out.estimates = load(store, Kind::Estimates, None).await?;
        }
    }
    Ok(out)
}
