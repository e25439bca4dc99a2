//! The registry: the world picture, States with their status and compliance, estimates, the
//! record's tables (extensions, completions, reports, funding, casualties ...) and the audit
//! log. Every read goes through the store at the requester's tier, which refuses what the tier
//! may not see (victims' identities need the restricted permission).

use crate::extract::Json;
use crate::extract::{Path, Query};
use axum::extract::State;
use demine_analytics::registry as views;
use demine_app::registry as fetch;
use demine_core::schema::Kind;
use demine_store::Store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Requester;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct AsOf {
    /// The date the answer is as of (YYYY-MM-DD); today when absent.
    pub as_of: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SummaryQuery {
    /// The date the answer is as of (YYYY-MM-DD); today when absent.
    pub as_of: Option<String>,
    /// Deadlines falling within this many days are listed (default 365, at most 36500).
    pub horizon: Option<i64>,
}

/// The world picture.
#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    pub as_of: String,
    #[schema(value_type = Object)]
    pub summary: views::WorldSummary,
}

#[utoipa::path(get, path = "/api/v1/summary", tag = "registry", params(SummaryQuery),
    responses((status = 200, body = Summary), (status = 400, body = Problem)))]
pub async fn summary(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<SummaryQuery>,
) -> ApiResult<Json<Summary>> {
    let as_of = super::as_of(q.as_of.as_deref())?;
    let horizon = q.horizon.unwrap_or(365);
    if !(0..=36_500).contains(&horizon) {
        return Err(ApiError::BadRequest(format!(
            "horizon {horizon} is not a number of days from 0 to 36500"
        )));
    }
    let summary = fetch::world_summary(&state.store_for(&r), as_of, horizon).await?;
    Ok(Json(Summary {
        as_of: as_of.to_string(),
        summary,
    }))
}

/// Every State's standing.
#[derive(Debug, Serialize, ToSchema)]
pub struct States {
    pub as_of: String,
    #[schema(value_type = Vec<Object>)]
    pub states: Vec<views::StateRow>,
}

#[utoipa::path(get, path = "/api/v1/states", tag = "registry", params(AsOf),
    responses((status = 200, body = States), (status = 400, body = Problem)))]
pub async fn states(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<AsOf>,
) -> ApiResult<Json<States>> {
    let as_of = super::as_of(q.as_of.as_deref())?;
    let states = fetch::states(&state.store_for(&r), as_of, None, false).await?;
    Ok(Json(States {
        as_of: as_of.to_string(),
        states,
    }))
}

/// One State in full: standing, deadlines, the record and compliance.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateDetail {
    pub as_of: String,
    #[schema(value_type = Object)]
    pub state: views::StateDetail,
}

#[utoipa::path(get, path = "/api/v1/states/{iso3}", tag = "registry",
    params(("iso3" = String, Path, description = "ISO 3166-1 alpha-3 code"), AsOf),
    responses((status = 200, body = StateDetail), (status = 404, body = Problem)))]
pub async fn state_detail(
    State(state): State<AppState>,
    r: Requester,
    Path(iso3): Path<String>,
    Query(q): Query<AsOf>,
) -> ApiResult<Json<StateDetail>> {
    let as_of = super::as_of(q.as_of.as_deref())?;
    let detail = fetch::state_detail(&state.store_for(&r), &iso3.to_uppercase(), as_of).await?;
    Ok(Json(StateDetail {
        as_of: as_of.to_string(),
        state: detail,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct EstimatesQuery {
    /// An ISO3 code or a subject such as `World`.
    pub subject: Option<String>,
    /// One measure (such as `contaminated_km2`).
    pub measure: Option<String>,
    /// Only what was known by this date (YYYY-MM-DD).
    pub as_of: Option<String>,
}

/// Estimates with their sources; where sources disagree, all of them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Estimates {
    #[schema(value_type = Vec<Object>)]
    pub estimates: Vec<demine_core::records::Estimate>,
}

#[utoipa::path(get, path = "/api/v1/estimates", tag = "registry", params(EstimatesQuery),
    responses((status = 200, body = Estimates), (status = 400, body = Problem)))]
pub async fn estimates(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<EstimatesQuery>,
) -> ApiResult<Json<Estimates>> {
    let as_of = match q.as_of.as_deref() {
        None => None,
        Some(s) => Some(super::as_of(Some(s))?),
    };
    let estimates = fetch::estimates(
        &state.store_for(&r),
        q.subject.as_deref(),
        q.measure.as_deref(),
        as_of,
    )
    .await?;
    Ok(Json(Estimates { estimates }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct Iso3Query {
    /// Only this State's rows.
    pub iso3: Option<String>,
}

/// Rows of one table of the registry, each as an object keyed by column, with its source.
#[derive(Debug, Serialize, ToSchema)]
pub struct Records {
    pub kind: String,
    /// The tier the table belongs to.
    pub tier: String,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
}

async fn read_kind(
    state: &AppState,
    r: &Requester,
    kind: Kind,
    iso3: Option<&str>,
) -> ApiResult<Json<Records>> {
    let store = state.store_for(r);
    let iso3 = iso3.map(str::to_uppercase);
    let t = kind.table();
    let rows = match store.records(kind, iso3.as_deref()).await {
        Err(demine_store::StoreError::Forbidden { .. }) if r.user.is_none() => {
            return Err(ApiError::Unauthenticated(format!(
                "{} needs an account with the {} tier",
                t.name,
                demine_store::access::needed(t.sensitivity)
            )));
        }
        other => other?,
    };
    Ok(Json(Records {
        kind: t.name.to_string(),
        tier: demine_store::access::needed(t.sensitivity)
            .name()
            .to_string(),
        rows: rows.iter().map(|x| t.to_json(x)).collect(),
    }))
}

/// Casualty figures: aggregates, public. (Victims' identities are the `victims` table of
/// `/api/v1/records/{kind}`, for the restricted permission only.)
#[utoipa::path(get, path = "/api/v1/casualties", tag = "registry", params(Iso3Query),
    responses((status = 200, body = Records)))]
pub async fn casualties(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<Iso3Query>,
) -> ApiResult<Json<Records>> {
    read_kind(&state, &r, Kind::Casualties, q.iso3.as_deref()).await
}

/// Any table of the registry by its name (`states`, `sources`, `meetings`, `events`,
/// `extensions`, `reports`, `positions`, `commitments`, `estimates`, `stockpiles`, `casualties`,
/// `victims`, `funding`, `use_findings`): the record (extensions, completions as events,
/// transparency reports), funding, and the rest.
#[utoipa::path(get, path = "/api/v1/records/{kind}", tag = "registry",
    params(("kind" = String, Path, description = "The table's name"), Iso3Query),
    responses((status = 200, body = Records), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn records(
    State(state): State<AppState>,
    r: Requester,
    Path(kind): Path<String>,
    Query(q): Query<Iso3Query>,
) -> ApiResult<Json<Records>> {
    let k = Kind::ALL
        .into_iter()
        .find(|k| k.name() == kind)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no table {kind:?}: the tables are {}",
                Kind::ALL.map(|k| k.name()).join(", ")
            ))
        })?;
    read_kind(&state, &r, k, q.iso3.as_deref()).await
}

/// The audit log, as the requester's tier may see it (entries about data above it keep their
/// sequence, time, actor and hashes; keys and payloads are withheld).
#[derive(Debug, Serialize, ToSchema)]
pub struct Audit {
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<demine_store::AuditEntry>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Only entries after this sequence number.
    pub after: Option<i64>,
    /// At most this many entries (default 500, at most 5000).
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "registry", params(AuditQuery),
    responses((status = 200, body = Audit), (status = 401, body = Problem)))]
pub async fn audit(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Audit>> {
    r.user()?;
    let store = state.store_for(&r);
    let after = q.after.unwrap_or(0);
    let limit = q.limit.unwrap_or(500).min(5000);
    let entries: Vec<_> = store
        .audit_entries()
        .await?
        .into_iter()
        .filter(|e| e.seq > after)
        .take(limit)
        .collect();
    Ok(Json(Audit {
        entries: demine_store::access::redact_entries(entries, r.access()),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DevicesQuery {
    /// Only what is filed under this State.
    pub iso3: Option<String>,
}

/// One device category as the hazard data knows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceCount {
    /// The category (`ap-mine`, `at-mine`, `ied`, `uxo`, `cluster-munition`, ...).
    pub category: String,
    /// Hazardous areas whose records list it, whatever their status.
    pub areas: u64,
    /// Of those, the areas that still count as a hazard.
    pub hazard_areas: u64,
    /// Devices of the category found by land release activities.
    pub found: u64,
    /// Of those, the devices recorded as destroyed.
    pub destroyed: u64,
}

/// The device categories the hazard data knows, with counts. Aggregates only (no place), so
/// every tier reads them; a category absent here is one the data does not record, not one that
/// is absent on the ground.
#[derive(Debug, Serialize, ToSchema)]
pub struct Devices {
    /// The State asked about, or None for the world.
    pub iso3: Option<String>,
    pub categories: Vec<DeviceCount>,
    /// Where the figures come from.
    pub source: String,
}

#[utoipa::path(get, path = "/api/v1/devices", tag = "registry", params(DevicesQuery),
    responses((status = 200, body = Devices), (status = 400, body = Problem)))]
pub async fn devices(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<DevicesQuery>,
) -> ApiResult<Json<Devices>> {
    use demine_store::HazardStore as _;
    let iso3 = q
        .iso3
        .as_deref()
        .map(|s| {
            s.parse::<demine_core::Iso3>()
                .map(|c| c.to_string())
                .map_err(|e| ApiError::BadRequest(format!("iso3 {s:?}: {e}")))
        })
        .transpose()?;
    let totals = state.store_for(&r).hazard_totals(iso3.as_deref()).await?;
    let totals = match &iso3 {
        Some(code) => totals.of_state(code),
        None => totals,
    };
    let categories = device_counts(&totals);
    Ok(Json(Devices {
        iso3,
        categories,
        source: "the hazard data: the devices each area's record lists, and the finds recorded \
                 by land release activities"
            .into(),
    }))
}

/// Counts per category from the store's totals, sorted by category.
fn device_counts(t: &demine_analytics::HazardTotals) -> Vec<DeviceCount> {
    let mut by: std::collections::BTreeMap<&str, DeviceCount> = Default::default();
    for a in &t.areas {
        for c in &a.devices {
            let e = by.entry(c.as_str()).or_insert_with(|| DeviceCount {
                category: c.clone(),
                areas: 0,
                hazard_areas: 0,
                found: 0,
                destroyed: 0,
            });
            e.areas += a.areas;
            e.hazard_areas += a.hazard_areas;
        }
    }
    for d in &t.devices {
        let e = by
            .entry(d.category.as_str())
            .or_insert_with(|| DeviceCount {
                category: d.category.clone(),
                areas: 0,
                hazard_areas: 0,
                found: 0,
                destroyed: 0,
            });
        e.found += d.found;
        e.destroyed += d.destroyed;
    }
    by.into_values().collect()
}
