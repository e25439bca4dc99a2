//! Documents: the reports `demine report` writes (the world, a State's profile, a draft Art. 7
//! transparency report, the figures of an Art. 5(4) extension request) in HTML, Markdown, JSON
//! or PDF, made by `demine_report` at the requester's access level. The handlers read the
//! parameters and hand back the bytes; the report crate decides every word and number.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use demine_report::{Format, ReportError, ReportKind};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Requester;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Path, Query};
use crate::state::AppState;

/// The years an Art. 7 report may cover.
const YEARS: std::ops::RangeInclusive<i32> = 1997..=2100;

#[derive(Debug, Deserialize, IntoParams)]
pub struct DocumentQuery {
    /// html, md, json or pdf (json when absent).
    pub format: Option<String>,
    /// The date the document is as of (YYYY-MM-DD); today when absent.
    pub as_of: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct Article7Query {
    /// The calendar year the report covers (1997 to 2100).
    pub year: Option<String>,
    /// html, md, json or pdf (json when absent).
    pub format: Option<String>,
    /// The date the document is as of (YYYY-MM-DD); today when absent.
    pub as_of: Option<String>,
}

fn format_of(p: Option<&str>) -> ApiResult<Format> {
    match p {
        None | Some("") => Ok(Format::Json),
        Some(s) => s
            .parse()
            .map_err(|_| ApiError::BadRequest(format!("format {s:?}: html, md, json or pdf"))),
    }
}

/// The State code of the path: three letters, upper-cased.
fn iso3_of(s: &str) -> ApiResult<String> {
    s.parse::<demine_core::Iso3>()
        .map(|c| c.to_string())
        .map_err(|e| ApiError::BadRequest(format!("iso3 {s:?}: {e}")))
}

fn year_of(p: Option<&str>) -> ApiResult<i32> {
    let s = p.ok_or_else(|| {
        ApiError::BadRequest("year: an Art. 7 report names the calendar year it covers".into())
    })?;
    match s.trim().parse::<i32>() {
        Ok(y) if YEARS.contains(&y) => Ok(y),
        _ => Err(ApiError::BadRequest(format!(
            "year {s:?} is not a year from {} to {}",
            YEARS.start(),
            YEARS.end()
        ))),
    }
}

fn report_error(e: ReportError) -> ApiError {
    match e {
        ReportError::UnknownState { iso3 } => {
            ApiError::NotFound(format!("iso3 {iso3}: the registry holds no such State"))
        }
        ReportError::Store(s) => s.into(),
        other => {
            tracing::error!(error = %other, "report");
            ApiError::Internal(other.to_string())
        }
    }
}

/// Fetches the inputs at the requester's level, builds and renders the document (off the async
/// threads: a PDF takes a while), and serves it as a download.
async fn document(
    state: &AppState,
    r: &Requester,
    kind: ReportKind,
    format: Option<&str>,
    as_of: Option<&str>,
) -> ApiResult<Response> {
    let format = format_of(format)?;
    let as_of: NaiveDate = super::as_of(as_of)?;
    let store = state.store_for(r);
    let inputs = demine_report::fetch(&store, store.access(), &kind, as_of)
        .await
        .map_err(report_error)?;
    let k = kind.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        let report = demine_report::build(&inputs, &k)?;
        demine_report::render(&report, format)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("making the document: {e}")))?
    .map_err(report_error)?;
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    let name = demine_report::file_name(&kind, as_of, format);
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// The world: treaty status, compliance, contamination, land release, casualties, funding and
/// the world on 3 December 1997.
#[utoipa::path(get, path = "/api/v1/documents/world", tag = "documents", params(DocumentQuery),
    responses((status = 200, description = "The document in the format asked", content(
            (Object = "application/json"), (String = "text/html"), (String = "text/markdown"),
            (Vec<u8> = "application/pdf"))),
        (status = 400, body = Problem)))]
pub async fn world(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<DocumentQuery>,
) -> ApiResult<Response> {
    document(
        &state,
        &r,
        ReportKind::World,
        q.format.as_deref(),
        q.as_of.as_deref(),
    )
    .await
}

/// One State's Monitor-style profile.
#[utoipa::path(get, path = "/api/v1/documents/country/{iso3}", tag = "documents",
    params(("iso3" = String, Path, description = "ISO 3166-1 alpha-3 code"), DocumentQuery),
    responses((status = 200, description = "The document in the format asked", content(
            (Object = "application/json"), (String = "text/html"), (String = "text/markdown"),
            (Vec<u8> = "application/pdf"))),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn country(
    State(state): State<AppState>,
    r: Requester,
    Path(iso3): Path<String>,
    Query(q): Query<DocumentQuery>,
) -> ApiResult<Response> {
    let kind = ReportKind::Country {
        iso3: iso3_of(&iso3)?,
    };
    document(&state, &r, kind, q.format.as_deref(), q.as_of.as_deref()).await
}

/// A draft Art. 7 transparency report for a calendar year (`year`, required).
#[utoipa::path(get, path = "/api/v1/documents/article7/{iso3}", tag = "documents",
    params(("iso3" = String, Path, description = "ISO 3166-1 alpha-3 code"), Article7Query),
    responses((status = 200, description = "The document in the format asked", content(
            (Object = "application/json"), (String = "text/html"), (String = "text/markdown"),
            (Vec<u8> = "application/pdf"))),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn article7(
    State(state): State<AppState>,
    r: Requester,
    Path(iso3): Path<String>,
    Query(q): Query<Article7Query>,
) -> ApiResult<Response> {
    let kind = ReportKind::Article7 {
        iso3: iso3_of(&iso3)?,
        year: year_of(q.year.as_deref())?,
    };
    document(&state, &r, kind, q.format.as_deref(), q.as_of.as_deref()).await
}

/// The figures an Art. 5(4) extension request must show.
#[utoipa::path(get, path = "/api/v1/documents/extension/{iso3}", tag = "documents",
    params(("iso3" = String, Path, description = "ISO 3166-1 alpha-3 code"), DocumentQuery),
    responses((status = 200, description = "The document in the format asked", content(
            (Object = "application/json"), (String = "text/html"), (String = "text/markdown"),
            (Vec<u8> = "application/pdf"))),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn extension(
    State(state): State<AppState>,
    r: Requester,
    Path(iso3): Path<String>,
    Query(q): Query<DocumentQuery>,
) -> ApiResult<Response> {
    let kind = ReportKind::Extension {
        iso3: iso3_of(&iso3)?,
    };
    document(&state, &r, kind, q.format.as_deref(), q.as_of.as_deref()).await
}
