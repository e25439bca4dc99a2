//! Data entry and review: an editor submits an area (GeoJSON, checked exactly as `demine
//! hazards import` checks a file, with the same messages), which is stored as a draft; a
//! reviewer, another user than its author, approves it.

use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use demine_app::HazardImport;
use demine_core::hazard::VersionStatus;
use demine_geo::FileFormat;
use demine_server::{AppState, Requester};
use demine_store::accounts::Role;
use demine_store::{AreaFilter, HazardStore};
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
    let store = state.store_for(r);
    let drafts: Vec<_> = match store.areas(&AreaFilter::default()).await {
        Ok(list) => list
            .into_iter()
            .filter(|a| a.version_status == VersionStatus::Draft)
            .collect(),
        Err(e) => return error_page(state, r, StatusCode::FORBIDDEN, &e.to_string()),
    };
    b.push_str("<section><h2>Awaiting review</h2>");
    if drafts.is_empty() {
        b.push_str("<p>No draft awaits review.</p>");
    } else {
        b.push_str("<table id=\"drafts\"><thead><tr><th>Area</th><th>State</th><th>Type</th><th>Submitted by</th><th></th></tr></thead><tbody>");
        let reviewer = r.with_role(&[Role::Reviewer, Role::Administrator], "").ok();
        for a in drafts.iter().take(500) {
            // Only a reviewer other than the author is offered the approval.
            let action = match reviewer {
                Some(u) if u.name != a.updated_by => format!(
                    "<form method=\"post\" action=\"/entry/approve/{id}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                     <button type=\"submit\" id=\"approve-{id}\">Approve</button></form>",
                    id = a.area.id
                ),
                _ => "<span class=\"note\">awaiting another user's review</span>".to_string(),
            };
            let _ = write!(
                b,
                "<tr><td><a href=\"/hazards/area/{id}\">{id}</a> {}</td><td>{}</td><td>{}</td><td>{}</td><td>{action}</td></tr>",
                esc(a.area.name.as_deref().unwrap_or("")),
                esc(a.area.iso3.as_deref().unwrap_or("")),
                a.area.hazard_type.as_str(),
                esc(&a.updated_by),
                id = a.area.id
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
    if let Err(e) = r.with_role(&[Role::Editor, Role::Administrator], "submitting an area") {
        return render(
            &state,
            &r,
            Some((false, e.to_string())),
            &f.geojson,
            &f.iso3,
        )
        .await;
    }
    let name = "the submitted area";
    let bytes = f.geojson.as_bytes();
    let session = state.session(&r);
    let outcome = async {
        let iso3 = session.known_state(&f.iso3).await?;
        let collection =
            demine_app::hazards::read_area_file(name, bytes, FileFormat::Geojson, None, 1)?;
        let import = HazardImport {
            name: name.to_string(),
            collection,
            properties: demine_app::hazards::geojson_properties(bytes),
            iso3: Some(iso3),
            tolerance_m: 1000.0,
            dry_run: false,
        };
        session.import_hazards(import, &|_, _| {}).await
    }
    .await;
    match outcome {
        Ok(o) => {
            let ids: Vec<String> = o
                .inserted_ids
                .iter()
                .chain(o.updated_ids.iter())
                .map(|i| i.to_string())
                .collect();
            let msg = format!(
                "submitted: {} new, {} changed, {} unchanged (areas {}); awaiting review",
                o.inserted,
                o.updated,
                o.unchanged,
                ids.join(", ")
            );
            render(&state, &r, Some((true, msg)), "", "").await
        }
        Err(e) => {
            render(
                &state,
                &r,
                Some((false, e.to_string())),
                &f.geojson,
                &f.iso3,
            )
            .await
        }
    }
}

/// Approves an area's draft: a reviewer (or administrator) other than its author.
pub async fn approve(
    State(state): State<AppState>,
    r: Requester,
    uri: Uri,
    Path(id): Path<i64>,
) -> Response {
    if r.user.is_none() {
        return login_redirect(&uri);
    }
    if let Err(e) = r.with_role(&[Role::Reviewer, Role::Administrator], "approving an area") {
        return render(&state, &r, Some((false, e.to_string())), "", "").await;
    }
    let session = state.session(&r);
    let msg = match session.store().area(id).await {
        Ok(Some(a)) if a.updated_by == session.actor() => Err(format!(
            "area {id}: its author ({}) may not approve it; another user must",
            a.updated_by
        )),
        Ok(Some(_)) => session
            .approve(id)
            .await
            .map(|()| format!("area {id} approved"))
            .map_err(|e| e.to_string()),
        Ok(None) => Err(format!("no area {id}")),
        Err(e) => Err(e.to_string()),
    };
    match msg {
        Ok(m) => render(&state, &r, Some((true, m)), "", "").await,
        Err(m) => render(&state, &r, Some((false, m)), "", "").await,
    }
}
