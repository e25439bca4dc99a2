//! Report downloads: the documents `demine report` writes (a Monitor-style profile of the world
//! or of a State, a draft Art. 7 report, the figures of an Art. 5(4) extension request), in HTML,
//! Markdown, JSON or PDF, made by `demine_report` at the visitor's access level. The handlers only
//! read the request and hand back the bytes; the report crate decides every word and number.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use demine_report::{Format, ReportError, ReportKind};
use demine_server::{AppState, Requester};
use serde::Deserialize;

use crate::pages::error_page;

/// The query of a download: `format` (html, md, json, pdf; html when absent), `as_of`
/// (`YYYY-MM-DD`, today when absent) and, for Art. 7, `year`.
#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    pub format: Option<String>,
    pub as_of: Option<String>,
    pub year: Option<String>,
}

/// `GET /reports/world`.
pub async fn world(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<ReportQuery>,
) -> Response {
    download(&state, &r, ReportKind::World, &q).await
}

/// `GET /reports/{kind}/{iso3}`: `country`, `article7` (with `year`) or `extension`.
pub async fn state_report(
    State(state): State<AppState>,
    r: Requester,
    Path((kind, iso3)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Response {
    let iso3 = iso3.to_ascii_uppercase();
    let kind = match kind.as_str() {
        "country" => ReportKind::Country { iso3: iso3.clone() },
        "extension" => ReportKind::Extension { iso3: iso3.clone() },
        "article7" => {
            let Some(year) = q.year.as_deref() else {
                return bad(
                    &state,
                    &r,
                    "an Art. 7 report needs ?year=YYYY (the calendar year it covers)",
                );
            };
            match year.parse::<i32>() {
                Ok(y) if (1997..=2100).contains(&y) => ReportKind::Article7 {
                    iso3: iso3.clone(),
                    year: y,
                },
                _ => {
                    return bad(
                        &state,
                        &r,
                        &format!("year {year:?} is not a year from 1997 to 2100"),
                    );
                }
            }
        }
        other => {
            return error_page(
                &state,
                &r,
                StatusCode::NOT_FOUND,
                &format!("no report {other:?}: country, article7 or extension"),
            );
        }
    };
    download(&state, &r, kind, &q).await
}

fn bad(state: &AppState, r: &Requester, msg: &str) -> Response {
    error_page(state, r, StatusCode::BAD_REQUEST, msg)
}

async fn download(state: &AppState, r: &Requester, kind: ReportKind, q: &ReportQuery) -> Response {
    let format = match q.format.as_deref().unwrap_or("html").parse::<Format>() {
        Ok(f) => f,
        Err(e) => return bad(state, r, &e),
    };
    let as_of = match q.as_of.as_deref() {
        None | Some("") => chrono::Utc::now().date_naive(),
        Some(s) => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => return bad(state, r, &format!("as_of {s:?} is not a date (YYYY-MM-DD)")),
        },
    };
    let store = state.store_for(r);
    let access = store.access();
    let bytes = match demine_report::make(&store, access, &kind, as_of, format).await {
        Ok(b) => b,
        Err(ReportError::UnknownState { iso3 }) => {
            return error_page(
                state,
                r,
                StatusCode::NOT_FOUND,
                &format!("the registry holds no State {iso3}"),
            );
        }
        Err(e) => return error_page(state, r, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
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
    resp
}
