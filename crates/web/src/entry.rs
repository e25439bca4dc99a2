//! Data entry and review, on the field-report workflow the API serves (`/api/v1/reports`): an
//! editor submits an area (GeoJSON, checked exactly as `demine hazards import` checks a file,
//! with the same messages), which is stored as a draft field report; a reviewer, another user
//! than its author, approves it, which applies it through the import.

use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use demine_server::api::reports::{self, ReportIn};
use demine_server::{AppState, Requester};
use serde::Deserialize;

use crate::check::csrf_of;
use crate::html::{Frame, esc, page, url_enc};
use crate::pages::error_page;

async fn render(
    state: &AppState,
    r: &Requester,
    message: Option<(bool, String)>,
    geojson: &str,
    iso3: &str,
) -> Response {
    let mut b = String::from("<h1>Data entry and review</h1>");
    if let Some((ok, m)) = &message {
        let _ = write!(
            b,
            "<p class=\"{}\" role=\"{}\" id=\"entry-message\">{}</p>",
            if *ok { "ok" } else { "error" },
            if *ok { "status" } else { "alert" },
            esc(m)
        );
    }
    let csrf = csrf_of(r);
    let _ = write!(
        b,
        "<section><h2>Submit an area</h2>\
         <form method=\"post\" action=\"/entry\" class=\"stack\" id=\"entry-form\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>State (ISO3) <input name=\"iso3\" id=\"entry-iso3\" value=\"{iso3}\" maxlength=\"3\" required></label>\
         <label>Area as GeoJSON (a Feature or FeatureCollection; properties as in a hazard file)\
         <textarea name=\"geojson\" id=\"entry-geojson\" rows=\"8\" required>{gj}</textarea></label>\
         <button type=\"submit\" id=\"entry-submit\">Submit for review</button></form>\
         <p class=\"note\">Checked as <code>demine hazards import</code> checks a file; it is stored as a draft until a reviewer approves it.</p></section>",
        iso3 = esc(iso3),
        gj = esc(geojson)
    );
    let drafts = match reports::drafts(state, r).await {
        Ok(list) => list,
        Err(e) => return error_page(state, r, e.status(), &e.to_string()),
    };
    b.push_str("<section><h2>Awaiting review</h2>");
    if drafts.is_empty() {
        b.push_str("<p>No draft awaits review.</p>");
    } else {
        b.push_str("<table id=\"drafts\"><thead><tr><th>Report</th><th>Kind</th><th>State</th><th>Submitted by</th><th></th></tr></thead><tbody>");
        for rep in drafts.iter().take(500) {
            // Only someone who may decide it (not its author) is offered the approval.
            let action = if reports::may_decide(r, rep).is_ok() {
                format!(
                    "<form method=\"post\" action=\"/entry/approve/{id}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                     <button type=\"submit\" id=\"approve-{id}\">Approve</button></form>",
                    id = rep.id
                )
            } else {
                "<span class=\"note\">awaiting another user's review</span>".to_string()
            };
            let name = rep
                .payload
                .pointer("/properties/name")
                // An accident has no name: its date says which one it is.
                .or_else(|| rep.payload.pointer("/properties/date"))
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let _ = write!(
                b,
                "<tr><td>{id} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{action}</td></tr>",
                esc(name),
                rep.kind.name(),
                esc(&rep.iso3),
                esc(&rep.author),
                id = rep.id
            );
        }
        b.push_str("</tbody></table>");
    }
    b.push_str("</section>");
    let f = Frame {
        title: "Data entry",
        requester: r,
        demo: state.demo(),
        current: "entry",
    };
    let mut resp = page(&f, &b);
    if message.as_ref().is_some_and(|(ok, _)| !ok) {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    resp
}

fn login_redirect(uri: &Uri) -> Response {
    let next = uri.path_and_query().map_or("/", |p| p.as_str());
    Redirect::to(&format!("/login?next={}", url_enc(next))).into_response()
}

pub async fn entry_page(State(state): State<AppState>, r: Requester, uri: Uri) -> Response {
    if r.user.is_none() {
        return login_redirect(&uri);
    }
    render(&state, &r, None, "", "").await
}

#[derive(Debug, Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    pub iso3: String,
    #[serde(default)]
    pub geojson: String,
}

/// Submits an area: checked and stored as a draft, or refused with the CLI's message.
pub async fn submit(
    State(state): State<AppState>,
    r: Requester,
    uri: Uri,
    Form(f): Form<EntryForm>,
) -> Response {
    if r.user.is_none() {
        return login_redirect(&uri);
    }
    let feature = match serde_json::from_str::<serde_json::Value>(&f.geojson) {
        Ok(v) if v.get("type").and_then(|t| t.as_str()) == Some("FeatureCollection") => match v
            .get("features")
            .and_then(|x| x.as_array())
            .map(Vec::as_slice)
        {
            Some([one]) => Ok(one.clone()),
            _ => Err(
                "the submitted area: a FeatureCollection of exactly one feature (one \
                          field report per area)"
                    .to_string(),
            ),
        },
        Ok(v) => Ok(v),
        Err(e) => Err(format!("the submitted area: not JSON: {e}")),
    };
    let outcome = match feature {
        Ok(feature) => {
            // A feature with an id changes that area; without one it is a new area.
            let area_id = feature
                .get("id")
                .or_else(|| feature.pointer("/properties/id"))
                .and_then(|v| v.as_i64());
            let body = ReportIn {
                kind: if area_id.is_some() {
                    "area-change"
                } else {
                    "new-area"
                }
                .into(),
                iso3: Some(f.iso3.trim().to_string()).filter(|s| !s.is_empty()),
                area_id,
                feature,
                supersedes: None,
            };
            reports::enter(&state, &r, body)
                .await
                .map_err(|e| e.to_string())
        }
        Err(m) => Err(m),
    };
    match outcome {
        Ok(rep) => {
            let msg = format!(
                "submitted: field report {} ({}, {}); awaiting review",
                rep.id,
                rep.kind.name(),
                rep.iso3
            );
            render(&state, &r, Some((true, msg)), "", "").await
        }
        Err(e) => render(&state, &r, Some((false, e)), &f.geojson, &f.iso3).await,
    }
}

/// Approves a draft field report: someone who may decide it, not its author. The report is
/// applied through the import, as the API's approval does.
pub async fn approve(
    State(state): State<AppState>,
    r: Requester,
    uri: Uri,
    Path(id): Path<i64>,
) -> Response {
    if r.user.is_none() {
        return login_redirect(&uri);
    }
    let msg = match reports::approve_report(&state, &r, id, None).await {
        Ok(rep) => {
            let ids: Vec<String> = ["inserted_ids", "updated_ids"]
                .iter()
                .filter_map(|k| rep.outcome.as_ref().and_then(|o| o.get(*k)))
                .filter_map(|v| v.as_array())
                .flatten()
                .map(ToString::to_string)
                .collect();
            let casualties = rep
                .outcome
                .as_ref()
                .and_then(|o| o.get("casualties"))
                .and_then(|v| v.as_u64());
            Ok(if let Some(n) = casualties {
                format!("field report {id} approved: {n} casualty record(s) written")
            } else if ids.is_empty() {
                format!("field report {id} approved")
            } else {
                format!("field report {id} approved: area {}", ids.join(", "))
            })
        }
        Err(e) => Err(e.to_string()),
    };
    match msg {
        Ok(m) => render(&state, &r, Some((true, m)), "", "").await,
        Err(m) => render(&state, &r, Some((false, m)), "", "").await,
    }
}
