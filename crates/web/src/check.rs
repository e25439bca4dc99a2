//! The safety check page: a place typed or clicked on the map (a form image: the click's
//! position is sent without any script), or a CSV of points uploaded. The answer is the check
//! pipeline's (`demine_app`): "safe" only where the data covers the place, else "no data".
//! Anonymous visitors get the verdict only, and a map of boundaries without hazards.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use demine_app::{BatchDetail, Verdict};
use demine_server::{AppState, Requester};
use serde::Deserialize;

use crate::Web;
use crate::hazmap::{draw, fit, parse_bbox};
use crate::html::{Frame, esc, page};

/// The click map's size in pixels.
pub const MAP_W: u32 = 720;
pub const MAP_H: u32 = 400;

fn num(q: &HashMap<String, String>, k: &str) -> Option<Result<f64, String>> {
    q.get(k).filter(|s| !s.trim().is_empty()).map(|s| {
        s.trim()
            .parse::<f64>()
            .map_err(|_| format!("{k} {s:?} is not a number"))
    })
}

fn verdict_words(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Safe => (
            "safe",
            "No hazard within the distance, and the data covers this place.",
        ),
        Verdict::Hazard => ("hazard", "A hazardous area is within the distance."),
        Verdict::NoData => (
            "no-data",
            "No hazard data covers this place: it is not known to be safe.",
        ),
    }
}

/// The check form, the map and, when a place was given, the answer.
pub async fn check_page(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut errors: Vec<String> = Vec::new();
    let within = match num(&q, "within") {
        None => 100.0,
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            errors.push(e);
            100.0
        }
    };
    let view = match q.get("bbox").filter(|s| !s.is_empty()) {
        Some(b) => match parse_bbox(b) {
            Ok(v) => Some(fit(v, f64::from(MAP_W), f64::from(MAP_H))),
            Err(e) => {
                errors.push(e);
                None
            }
        },
        None => None,
    };
    // A click on the map: its pixel, in the view it was drawn for.
    let clicked = match (num(&q, "map.x"), num(&q, "map.y"), view) {
        (Some(Ok(x)), Some(Ok(y)), Some(v)) => Some((
            v[0] + x / f64::from(MAP_W) * (v[2] - v[0]),
            v[3] - y / f64::from(MAP_H) * (v[3] - v[1]),
        )),
        _ => None,
    };
    let place = match clicked {
        Some(p) => Some(p),
        None => match (num(&q, "lon"), num(&q, "lat")) {
            (Some(Ok(lon)), Some(Ok(lat))) => Some((lon, lat)),
            (Some(Err(e)), _) | (_, Some(Err(e))) => {
                errors.push(e);
                None
            }
            (Some(_), None) => {
                errors.push("a latitude is needed with the longitude".into());
                None
            }
            (None, Some(_)) => {
                errors.push("a longitude is needed with the latitude".into());
                None
            }
            (None, None) => None,
        },
    };
    let mut answer = String::new();
    if let Some((lon, lat)) = place {
        let session = state.session(&r);
        match session.check_point(lon, lat, within).await {
            Ok(c) => {
                let (class, words) = verdict_words(c.status);
                let _ = write!(
                    answer,
                    "<section class=\"verdict v-{class}\" id=\"verdict\" data-status=\"{class}\"><h2>{}</h2><p>{words}</p>\
                     <p>Place {lon:.6}, {lat:.6} · within {within} m</p>",
                    c.status.as_str()
                );
                if let Some(nd) = &c.no_data {
                    let _ = write!(answer, "<p>{}</p>", esc(&nd.reason));
                }
                if !c.hazards.is_empty() {
                    answer.push_str("<table><thead><tr><th>Area</th><th>Type</th><th>Status</th><th>Distance</th></tr></thead><tbody>");
                    for h in &c.hazards {
                        let _ = write!(
                            answer,
                            "<tr><td><a href=\"/hazards/area/{id}\">{id}</a></td><td>{}</td><td>{}</td><td class=\"num\">{:.1} m</td></tr>",
                            esc(h.hazard_type.as_deref().unwrap_or("")),
                            esc(&h.status),
                            h.distance_m,
                            id = h.id
                        );
                    }
                    answer.push_str("</tbody></table>");
                } else if c.status == Verdict::Hazard {
                    answer
                        .push_str("<p class=\"note\">Log in to see which areas and how near.</p>");
                }
                answer.push_str("</section>");
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    let v = view.unwrap_or_else(|| match place {
        Some((lon, lat)) => fit(
            [lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05],
            f64::from(MAP_W),
            f64::from(MAP_H),
        ),
        None => fit(
            [-180.0, -60.0, 180.0, 84.0],
            f64::from(MAP_W),
            f64::from(MAP_H),
        ),
    });
    let bbox = format!("{:.6},{:.6},{:.6},{:.6}", v[0], v[1], v[2], v[3]);
    let mark = place
        .map(|(lon, lat)| format!("&mark={lon:.6},{lat:.6}"))
        .unwrap_or_default();
    let mut b = String::from("<h1>Safety check</h1>");
    for e in &errors {
        let _ = write!(b, "<p class=\"error\" role=\"alert\">{}</p>", esc(e));
    }
    b.push_str(&answer);
    let _ = write!(
        b,
        "<form method=\"get\" action=\"/check\" class=\"stack\" id=\"check-form\">\
         <div class=\"row\"><label>Longitude <input name=\"lon\" id=\"lon\" inputmode=\"decimal\" value=\"{lon}\"></label>\
         <label>Latitude <input name=\"lat\" id=\"lat\" inputmode=\"decimal\" value=\"{lat}\"></label>\
         <label>Within (m) <input name=\"within\" id=\"within\" inputmode=\"decimal\" value=\"{within}\"></label>\
         <button type=\"submit\" id=\"check-submit\">Check</button></div>\
         <p class=\"note\">Or click the map: the place clicked is checked.</p>\
         <input type=\"hidden\" name=\"bbox\" value=\"{bbox}\">\
         <div class=\"clickmap\"><input type=\"image\" name=\"map\" id=\"checkmap\" alt=\"Map: click a place to check it\" \
          width=\"{MAP_W}\" height=\"{MAP_H}\" src=\"/check/map.svg?bbox={bbox}{mark}\"></div></form>\
         <h2>Check a file of points</h2>\
         <form method=\"post\" action=\"/check?csrf={csrf}\" enctype=\"multipart/form-data\" class=\"stack\" id=\"upload-form\">\
         <label>CSV with columns id, lon, lat <input type=\"file\" name=\"points\" id=\"points\" accept=\".csv,text/csv\" required></label>\
         <label>Within (m) <input name=\"within\" value=\"{within}\" inputmode=\"decimal\"></label>\
         <button type=\"submit\" id=\"upload-submit\">Check the points</button></form>",
        lon = place.map(|p| format!("{:.6}", p.0)).unwrap_or_default(),
        lat = place.map(|p| format!("{:.6}", p.1)).unwrap_or_default(),
        csrf = csrf_of(&r),
    );
    let f = Frame {
        title: "Safety check",
        requester: &r,
        demo: state.demo(),
        current: "check",
    };
    let mut resp = page(&f, &b);
    if !errors.is_empty() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    resp
}

/// The session's CSRF token (empty for anonymous visitors and tokens).
pub fn csrf_of(r: &Requester) -> String {
    match &r.via {
        demine_server::auth::Via::Session { csrf, .. } => crate::html::url_enc(csrf),
        _ => String::new(),
    }
}

#[derive(Debug, Deserialize)]
pub struct MapSvgQuery {
    pub bbox: Option<String>,
    pub mark: Option<String>,
}

/// The click map: boundaries, the hazards for an account (never for an anonymous visitor), and
/// the place checked.
pub async fn map_svg(
    State(state): State<AppState>,
    Extension(web): Extension<Arc<Web>>,
    r: Requester,
    Query(q): Query<MapSvgQuery>,
) -> Response {
    let raw = match q.bbox.as_deref().map(parse_bbox) {
        Some(Ok(b)) => b,
        Some(Err(e)) => {
            return axum::response::IntoResponse::into_response((StatusCode::BAD_REQUEST, e));
        }
        None => [-180.0, -60.0, 180.0, 84.0],
    };
    let v = fit(raw, f64::from(MAP_W), f64::from(MAP_H));
    let layer = if r.user.is_some() {
        match web.layer.get(&crate::hazmap::layer_store(&state)).await {
            Ok(l) => l,
            Err(e) => {
                return axum::response::IntoResponse::into_response((
                    StatusCode::INTERNAL_SERVER_ERROR,
                    e.to_string(),
                ));
            }
        }
    } else {
        Arc::new(crate::hazmap::Layer::default())
    };
    let mut s = draw(&layer, v, MAP_W, MAP_H, true, &r.store_requester());
    if let Some((lon, lat)) = q
        .mark
        .as_deref()
        .and_then(|m| m.split_once(','))
        .and_then(|(a, b)| Some((a.parse::<f64>().ok()?, b.parse::<f64>().ok()?)))
    {
        let x = (lon - v[0]) / (v[2] - v[0]) * f64::from(MAP_W);
        let y = (v[3] - lat) / (v[3] - v[1]) * f64::from(MAP_H);
        s.truncate(s.len() - "</svg>".len());
        let _ = write!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" class=\"mark\"/></svg>"
        );
    }
    crate::html::svg(s)
}

/// A CSV of points checked as a batch.
pub async fn check_upload(
    State(state): State<AppState>,
    r: Requester,
    mut form: Multipart,
) -> Response {
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut within = 100.0;
    let mut errors = Vec::new();
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let fname = field.file_name().unwrap_or("points.csv").to_string();
                match field.bytes().await {
                    Ok(bytes) if name == "points" => file = Some((fname, bytes.to_vec())),
                    Ok(bytes) if name == "within" => {
                        let t = String::from_utf8_lossy(&bytes).trim().to_string();
                        if !t.is_empty() {
                            match t.parse::<f64>() {
                                Ok(v) => within = v,
                                Err(_) => errors.push(format!("within {t:?} is not a number")),
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(e) => errors.push(format!("reading the upload: {e}")),
                }
            }
            Ok(None) => break,
            Err(e) => {
                errors.push(format!("reading the upload: {e}"));
                break;
            }
        }
    }
    let mut b = String::from("<h1>Safety check of a file</h1>");
    match (&file, errors.is_empty()) {
        (Some((name, bytes)), true) => {
            let session = state.session(&r);
            let result =
                match demine_geo::csvfmt::read_point_batch(name, bytes, state.app().threads()) {
                    Ok(points) => session
                        .check_points(name, &points, within, BatchDetail::Nearest)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
            match result {
                Ok(c) => {
                    let (class, words) = verdict_words(c.status);
                    let _ = write!(
                        b,
                        "<section class=\"verdict v-{class}\" id=\"verdict\" data-status=\"{class}\"><h2>{}</h2><p>{words}</p>\
                         <p id=\"batch-summary\">{} points from {} checked within {within} m: {} flagged, {} without data.</p>",
                        c.status.as_str(),
                        c.checked,
                        esc(name),
                        c.flagged.len(),
                        c.no_data.len()
                    );
                    if let Some(reason) = &c.no_data_reason {
                        let _ = write!(b, "<p>Points without data: {}.</p>", esc(reason));
                    }
                    if !c.flagged.is_empty() {
                        b.push_str("<table id=\"flagged\"><thead><tr><th>Point</th><th>Nearest area</th><th>Distance</th></tr></thead><tbody>");
                        for f in &c.flagged {
                            let _ = write!(
                                b,
                                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                                esc(&f.id),
                                f.hazard_id
                                    .map(|h| format!("<a href=\"/hazards/area/{h}\">{h}</a>"))
                                    .unwrap_or_else(|| "(log in to see)".into()),
                                f.distance_m
                                    .map(|d| format!("{d:.1} m"))
                                    .unwrap_or_default()
                            );
                        }
                        b.push_str("</tbody></table>");
                    }
                    if !c.no_data.is_empty() {
                        b.push_str("<p>Without data: ");
                        let ids: Vec<&str> = c.no_data.iter().map(|p| p.id.as_str()).collect();
                        b.push_str(&esc(&ids.join(", ")));
                        b.push_str("</p>");
                    }
                    b.push_str("</section>");
                }
                Err(e) => errors.push(e),
            }
        }
        (None, true) => errors.push("no file of points was sent (the field is points)".into()),
        _ => {}
    }
    for e in &errors {
        let _ = write!(b, "<p class=\"error\" role=\"alert\">{}</p>", esc(e));
    }
    b.push_str("<p><a href=\"/check\">Check another place or file</a></p>");
    let f = Frame {
        title: "Safety check",
        requester: &r,
        demo: state.demo(),
        current: "check",
    };
    let mut resp = page(&f, &b);
    if !errors.is_empty() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    resp
}
