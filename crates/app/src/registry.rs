//! The registry's views for a caller: the store loads the records a view reads
//! (`demine_store::view::records`, at the store handle's access level, each table once), and
//! `demine_analytics::registry` computes the view from them. Errors are the store's, as callers
//! have always handled them (a State not found is `NotFound`, the treaty engine's refusal
//! `Treaty`).
//!
//! A caller that needs several views of the same records (the world report: compliance, the
//! estimates and the standing on another day) loads them once with `view::records` and calls
//! the computations itself.

use chrono::NaiveDate;
use demine_analytics::registry::{self, StateDetail, StateRow, StatusFilter, WorldSummary};
use demine_core::compliance::Obligation;
use demine_core::records::Estimate;
use demine_store::view::{self, Need};
use demine_store::{Store, StoreError};

/// Every State's standing as of `as_of`, sorted by ISO3 ([`registry::states`]).
pub async fn states<S: Store>(
    store: &S,
    as_of: NaiveDate,
    filter: Option<StatusFilter>,
    all_entities: bool,
) -> Result<Vec<StateRow>, StoreError> {
    let recs = view::records(store, Need::Standing).await?;
    Ok(registry::states(&recs, as_of, filter, all_entities)?)
}

/// One State in full as of `as_of` ([`registry::state_detail`]).
pub async fn state_detail<S: Store>(
    store: &S,
    iso3: &str,
    as_of: NaiveDate,
) -> Result<StateDetail, StoreError> {
    let recs = view::records(store, Need::State(iso3)).await?;
    Ok(registry::state_detail(&recs, iso3, as_of)?)
}

/// The world picture as of `as_of`, deadlines within `horizon_days` ([`registry::world_summary`]).
pub async fn world_summary<S: Store>(
    store: &S,
    as_of: NaiveDate,
    horizon_days: i64,
) -> Result<WorldSummary, StoreError> {
    let recs = view::records(store, Need::World).await?;
    Ok(registry::world_summary(&recs, as_of, horizon_days)?)
}

/// Every State of the treaty universe with its obligations ([`registry::compliance_all`]).
pub async fn compliance_all<S: Store>(
    store: &S,
    as_of: NaiveDate,
) -> Result<Vec<(StateRow, Vec<Obligation>)>, StoreError> {
    let recs = view::records(store, Need::World).await?;
    Ok(registry::compliance_all(&recs, as_of)?)
}

/// The estimates of a subject and measure known by `as_of` ([`registry::estimates`]).
pub async fn estimates<S: Store>(
    store: &S,
    subject: Option<&str>,
    measure: Option<&str>,
    as_of: Option<NaiveDate>,
) -> Result<Vec<Estimate>, StoreError> {
    let recs = view::records(store, Need::Estimates).await?;
    Ok(registry::estimates(
        &recs.estimates,
        subject,
        measure,
        as_of,
    ))
}
