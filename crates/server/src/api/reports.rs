//! The field-report workflow: an editor enters a report as a draft (a new area, a change to an
//! existing one, a land release activity, or an accident and its victims), anyone in scope sees
//! what it would change (the import's dry run, or the casualty rows), and someone other than its
//! author (a reviewer, an administrator, or an editor within their scope) approves it, which
//! applies it through the same import rules as `demine hazards import` in one transaction with
//! the decision (all-or-nothing), or rejects it. An approved report cannot be edited,
//! only superseded by a later report.

use axum::extract::State;
use axum::http::StatusCode;
use demine_store::HazardStore;
use demine_store::accounts::{
    AccountStore, Decision, FieldReport, NewReport, ReportKind, ReportStatus, Role,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Requester;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// How far outside its State's boundary a reported area may reach (as the CLI's default).
pub const TOLERANCE_M: f64 = 1000.0;

/// A report to enter.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReportIn {
    /// new-area, area-change, activity or accident.
    pub kind: String,
    /// The State (ISO3); an editor's own when absent.
    pub iso3: Option<String>,
    /// The area changed, or the area an activity is on.
    pub area_id: Option<i64>,
    /// A GeoJSON Feature: the area (geometry and properties as `hazards import` reads them), the
    /// activity (its perimeter, and properties as `release import` reads them), or the accident
    /// (its position, a Point, and properties as `demine_app::accident` describes them: date,
    /// device_category, activity, accuracy_m, victims with sex, age, outcome, deminer).
    #[schema(value_type = Object)]
    pub feature: serde_json::Value,
    /// The approved report this one replaces.
    pub supersedes: Option<i64>,
}

/// A report as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    #[schema(value_type = Object)]
    pub report: FieldReport,
}

/// Reports the requester may see, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    #[schema(value_type = Vec<Object>)]
    pub reports: Vec<FieldReport>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this State's reports.
    pub iso3: Option<String>,
    /// Only reports with this status (draft, approved, rejected, superseded).
    pub status: Option<String>,
}

fn visible(r: &Requester, rep: &FieldReport) -> bool {
    let Some(u) = &r.user else { return false };
    u.role == Role::Administrator
        || (u.iso3.is_none() && u.organisation.is_none())
        || r.in_scope(&rep.iso3, rep.organisation.as_deref())
}

async fn load(state: &AppState, r: &Requester, id: i64) -> ApiResult<FieldReport> {
    r.user()?;
    let rep = state
        .store()
        .report(id)
        .await?
        .filter(|rep| visible(r, rep))
        .ok_or_else(|| ApiError::NotFound(format!("no field report {id}")))?;
    Ok(rep)
}

#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ListQuery),
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = ReportList), (status = 401, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<ReportList>> {
    r.user()?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(ReportStatus::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "status {s:?}: draft, approved, rejected or superseded"
            ))
        })?),
    };
    let iso3 = q.iso3.map(|s| s.to_uppercase());
    let reports = state
        .store()
        .reports(iso3.as_deref())
        .await?
        .into_iter()
        .filter(|rep| visible(&r, rep) && status.is_none_or(|s| rep.status == s))
        .collect();
    Ok(Json(ReportList { reports }))
}

#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", request_body = ReportIn,
    security(("token" = []), ("session" = [])),
    responses((status = 201, body = ReportOut), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    r: Requester,
    Json(body): Json<ReportIn>,
) -> ApiResult<(StatusCode, Json<ReportOut>)> {
    let report = enter(&state, &r, body).await?;
    Ok((StatusCode::CREATED, Json(ReportOut { report })))
}

/// Enters a field report as a draft, after checking it as its approval would (the import's dry
/// run: the same rules and messages, the requester's scope): what the API's `POST` and the
/// dashboard's entry page both call.
pub async fn enter(state: &AppState, r: &Requester, body: ReportIn) -> ApiResult<FieldReport> {
    let u = r.with_role(
        &[Role::Editor, Role::Administrator],
        "entering field reports",
    )?;
    let kind = ReportKind::parse(&body.kind).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "kind {:?}: new-area, area-change, activity or accident",
            body.kind
        ))
    })?;
    let iso3 = body
        .iso3
        .clone()
        .or_else(|| u.iso3.clone())
        .ok_or_else(|| ApiError::BadRequest("give the report's State (iso3)".into()))?
        .to_uppercase();
    let organisation = u.organisation.clone();
    r.require_scope(&iso3, organisation.as_deref())?;
    let store = state.store_for(r);
    match (kind, body.area_id) {
        (ReportKind::NewArea, Some(_)) => {
            return Err(ApiError::BadRequest(
                "a new area has no area_id (the store gives it one)".into(),
            ));
        }
        (ReportKind::Accident, Some(_)) => {
            return Err(ApiError::BadRequest(
                "an accident report names no area (area_id): its position is its geometry".into(),
            ));
        }
        (ReportKind::AreaChange | ReportKind::Activity, None) => {
            return Err(ApiError::BadRequest(format!(
                "a report of kind {} names the area (area_id)",
                kind.name()
            )));
        }
        (_, Some(id)) => {
            let area = store
                .area(id)
                .await?
                .ok_or_else(|| ApiError::Unprocessable(format!("no hazardous area {id}")))?;
            let a = &area.area;
            if a.iso3.as_deref() != Some(iso3.as_str()) {
                return Err(ApiError::Unprocessable(format!(
                    "hazardous area {id} is not filed under {iso3}"
                )));
            }
            r.require_scope(&iso3, a.organisation.as_deref())?;
        }
        (ReportKind::NewArea | ReportKind::Accident, None) => {}
    }
    if let Some(old) = body.supersedes {
        let prev = load(state, r, old).await?;
        if prev.status != ReportStatus::Approved {
            return Err(ApiError::Conflict(format!(
                "field report {old} is {}: only an approved report is superseded",
                prev.status.name()
            )));
        }
    }
    check_feature(&body.feature)?;
    let mut new = NewReport {
        kind,
        iso3,
        organisation,
        area_id: body.area_id,
        payload: body.feature,
        supersedes: body.supersedes,
    };
    // Checked as its approval would apply it: the application layer's rules and messages.
    state
        .session(r)
        .check_report("the field report", &mut new)
        .await?;
    Ok(state.store().add_report(&new, &r.actor()).await?)
}

fn check_feature(f: &serde_json::Value) -> ApiResult<()> {
    if f.get("type").and_then(|t| t.as_str()) != Some("Feature") {
        return Err(ApiError::Unprocessable(
            "feature: a GeoJSON Feature ({\"type\": \"Feature\", \"geometry\": ..., \
             \"properties\": ...})"
                .into(),
        ));
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports",
    params(("id" = i64, Path)), security(("token" = []), ("session" = [])),
    responses((status = 200, body = ReportOut), (status = 401, body = Problem),
        (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    r: Requester,
    Path(id): Path<i64>,
) -> ApiResult<Json<ReportOut>> {
    Ok(Json(ReportOut {
        report: load(&state, &r, id).await?,
    }))
}

/// A draft's new feature.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReportEdit {
    #[schema(value_type = Object)]
    pub feature: serde_json::Value,
}

#[utoipa::path(put, path = "/api/v1/reports/{id}", tag = "reports",
    params(("id" = i64, Path)), request_body = ReportEdit,
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = ReportOut), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub async fn edit(
    State(state): State<AppState>,
    r: Requester,
    Path(id): Path<i64>,
    Json(body): Json<ReportEdit>,
) -> ApiResult<Json<ReportOut>> {
    let rep = load(&state, &r, id).await?;
    let u = r.user()?;
    if rep.author != u.name && u.role != Role::Administrator {
        return Err(ApiError::Forbidden(format!(
            "only its author ({}) edits field report {id}",
            rep.author
        )));
    }
    check_feature(&body.feature)?;
    let report = state
        .store()
        .edit_report(id, &body.feature, &r.actor())
        .await?;
    Ok(Json(ReportOut { report }))
}

/// What approving a report would change (or, once approved, what it changed).
#[derive(Debug, Serialize, ToSchema)]
pub struct Plan {
    pub id: i64,
    /// What the import would do: areas inserted, updated, unchanged, with their ids.
    #[schema(value_type = Object)]
    pub plan: serde_json::Value,
}

#[utoipa::path(get, path = "/api/v1/reports/{id}/plan", tag = "reports",
    params(("id" = i64, Path)), security(("token" = []), ("session" = [])),
    responses((status = 200, body = Plan), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn plan(
    State(state): State<AppState>,
    r: Requester,
    Path(id): Path<i64>,
) -> ApiResult<Json<Plan>> {
    // Loaded first for the requester's scope (a report out of scope is not found); the plan
    // itself is the application layer's, as the CLI's `demine reports plan`.
    load(&state, &r, id).await?;
    let plan = state.session(&r).plan_report(id).await?;
    Ok(Json(Plan { id, plan }))
}

/// A reviewer's note.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DecisionIn {
    pub note: Option<String>,
}

/// Whether the requester may approve or reject the report: a reviewer, administrator or editor
/// in its scope, and not its author.
pub fn may_decide(r: &Requester, rep: &FieldReport) -> ApiResult<()> {
    let u = r.with_role(
        &[Role::Reviewer, Role::Administrator, Role::Editor],
        "deciding field reports",
    )?;
    if u.name == rep.author {
        return Err(ApiError::Forbidden(format!(
            "{} wrote field report {}: someone else decides it",
            u.name, rep.id
        )));
    }
    r.require_scope(&rep.iso3, rep.organisation.as_deref())
}

#[utoipa::path(post, path = "/api/v1/reports/{id}/approve", tag = "reports",
    params(("id" = i64, Path)), request_body = DecisionIn,
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = ReportOut), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn approve(
    State(state): State<AppState>,
    r: Requester,
    Path(id): Path<i64>,
    Json(body): Json<DecisionIn>,
) -> ApiResult<Json<ReportOut>> {
    let report = approve_report(&state, &r, id, body.note).await?;
    Ok(Json(ReportOut { report }))
}

/// Approves a draft: applies it through the import (all-or-nothing) and marks it approved with
/// what the import did. What the API and the dashboard's entry page both call.
pub async fn approve_report(
    state: &AppState,
    r: &Requester,
    id: i64,
    note: Option<String>,
) -> ApiResult<FieldReport> {
    let rep = load(state, r, id).await?;
    may_decide(r, &rep)?;
    if rep.status != ReportStatus::Draft {
        return Err(ApiError::Conflict(format!(
            "field report {id} is {}: only a draft is approved",
            rep.status.name()
        )));
    }
    // The roles and scope are the server's; applying the report (the edit rules for a report
    // that supersedes another, the import, the areas approved, the decision) is the application
    // layer's, the same as the CLI's `demine reports approve`.
    Ok(state.session(r).approve_report(id, note).await?)
}

/// The drafts the requester may see, newest first.
pub async fn drafts(state: &AppState, r: &Requester) -> ApiResult<Vec<FieldReport>> {
    r.user()?;
    Ok(state
        .store()
        .reports(None)
        .await?
        .into_iter()
        .filter(|rep| visible(r, rep) && rep.status == ReportStatus::Draft)
        .collect())
}

#[utoipa::path(post, path = "/api/v1/reports/{id}/reject", tag = "reports",
    params(("id" = i64, Path)), request_body = DecisionIn,
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = ReportOut), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub async fn reject(
    State(state): State<AppState>,
    r: Requester,
    Path(id): Path<i64>,
    Json(body): Json<DecisionIn>,
) -> ApiResult<Json<ReportOut>> {
    let rep = load(&state, &r, id).await?;
    may_decide(&r, &rep)?;
    let decision = Decision {
        status: ReportStatus::Rejected,
        note: body.note,
        outcome: None,
    };
    let report = state
        .store()
        .decide_report(id, &decision, &r.actor())
        .await?;
    Ok(Json(ReportOut { report }))
}
