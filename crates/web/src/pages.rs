//! The world map, the State page, logging in and out, and the static files.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::Datelike;
use demine_app::registry as view;
use demine_core::records::Estimate;
use demine_server::{AppState, Requester};
use serde::Deserialize;

use crate::Web;
use crate::html::{Frame, esc, figure, page, url_enc};
use crate::world::{self, Colouring};

const STYLE: &str = include_str!("../assets/style.css");
const SCRIPT: &str = include_str!("../assets/app.js");

pub async fn style() -> Response {
    static_file(STYLE, "text/css; charset=utf-8")
}

pub async fn script() -> Response {
    static_file(SCRIPT, "text/javascript; charset=utf-8")
}

fn static_file(body: &'static str, ty: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// A page saying what went wrong, with its status.
pub fn error_page(state: &AppState, r: &Requester, status: StatusCode, msg: &str) -> Response {
    let f = Frame {
        title: "Error",
        requester: r,
        demo: state.demo(),
        current: "",
    };
    let mut resp = page(
        &f,
        &format!(
            "<h1>{}</h1><p class=\"error\" role=\"alert\">{}</p>",
            status.as_u16(),
            esc(msg)
        ),
    );
    *resp.status_mut() = status;
    resp
}

#[derive(Debug, Deserialize)]
pub struct WorldQuery {
    pub as_of: Option<String>,
    pub year: Option<String>,
    pub colour: Option<String>,
}

/// The world map as of a date.
pub async fn world_page(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<WorldQuery>,
) -> Response {
    let today = chrono::Utc::now().date_naive();
    let as_of = match world::pick_date(q.as_of.as_deref(), q.year.as_deref(), today) {
        Ok(d) => d,
        Err(e) => return error_page(&state, &r, StatusCode::BAD_REQUEST, &e),
    };
    let colouring = Colouring::parse(q.colour.as_deref());
    let store = state.store_for(&r);
    let rows = match view::states(&store, as_of, None, false).await {
        Ok(v) => v,
        Err(e) => {
            return error_page(
                &state,
                &r,
                StatusCode::INTERNAL_SERVER_ERROR,
                &e.to_string(),
            );
        }
    };
    let bands = if colouring == Colouring::Contamination {
        match view::estimates(&store, None, Some("ap_contamination_km2"), Some(as_of)).await {
            Ok(e) => world::contamination_bands(&e),
            Err(e) => {
                return error_page(
                    &state,
                    &r,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &e.to_string(),
                );
            }
        }
    } else {
        BTreeMap::new()
    };
    let mut classes: HashMap<&str, (&'static str, &str)> = HashMap::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for row in &rows {
        let class: &'static str = match colouring {
            Colouring::Status => world::legend(Colouring::Status)
                .iter()
                .find(|(k, _)| *k == row.status)
                .map_or("none", |(k, _)| k),
            Colouring::Risk => world::risk_class(row, as_of),
            Colouring::Contamination => bands.get(&row.iso3).copied().unwrap_or("unknown"),
        };
        *counts.entry(class).or_default() += 1;
        classes.insert(row.iso3.as_str(), (class, row.status.as_str()));
    }
    let mut b = String::with_capacity(300_000);
    let _ = write!(
        b,
        "<h1>The Convention in the world <small>as of {as_of}</small></h1>\
         <p class=\"downloads\" id=\"world-report\">The world report as of {as_of}: \
         <a href=\"/reports/world?format=pdf&amp;as_of={as_of}\">PDF</a> · \
         <a href=\"/reports/world?format=html&amp;as_of={as_of}\">HTML</a> · \
         <a href=\"/reports/world?format=md&amp;as_of={as_of}\">Markdown</a> · \
         <a href=\"/reports/world?format=json&amp;as_of={as_of}\">JSON</a></p>\
         <form method=\"get\" action=\"/\" class=\"asof\" id=\"asof-form\">\
         <label>As of <input type=\"date\" name=\"as_of\" id=\"as_of\" value=\"{as_of}\" min=\"1997-01-01\" max=\"{today}\"></label>\
         <label class=\"slider\">Year <input type=\"range\" id=\"year\" name=\"year\" min=\"1997\" max=\"{ty}\" value=\"{y}\" step=\"1\"><output id=\"year-out\">{y}</output></label>\
         <label>Colour by <select name=\"colour\" id=\"colour\">",
        ty = today.year(),
        y = as_of.year(),
    );
    for c in [Colouring::Status, Colouring::Risk, Colouring::Contamination] {
        let label = match c {
            Colouring::Status => "treaty status",
            Colouring::Risk => "clearance deadline",
            Colouring::Contamination => "contamination band",
        };
        let sel = if c == colouring { " selected" } else { "" };
        let _ = write!(b, "<option value=\"{}\"{sel}>{label}</option>", c.key());
    }
    b.push_str("</select></label><button type=\"submit\">Show</button></form>");
    let parties = rows.iter().filter(|r| r.status == "party").count();
    let _ = write!(
        b,
        "<p class=\"lead\" id=\"party-count\">{parties} States Parties of {} States in the registry on {as_of}.</p>",
        rows.len()
    );
    b.push_str("<div class=\"mapwrap\">");
    b.push_str(&world::svg(&classes, as_of));
    b.push_str("</div><ul class=\"legend\">");
    for (class, label) in world::legend(colouring) {
        let n = counts.get(class).copied().unwrap_or(0);
        let _ = write!(
            b,
            "<li><span class=\"swatch c-{class}\"></span>{label} <b>{n}</b></li>"
        );
    }
    b.push_str("</ul>");
    if colouring == Colouring::Contamination {
        b.push_str("<p class=\"note\">Bands from the latest <code>ap_contamination_km2</code> estimate known by the date (Landmine Monitor bands); sources on each State's page.</p>");
    }
    b.push_str("<details class=\"statelist\"><summary>Every State as a list</summary><table><thead><tr><th>State</th><th>Status</th><th>Entry into force</th><th>Clearance deadline</th></tr></thead><tbody>");
    for row in &rows {
        let _ = write!(
            b,
            "<tr><td><a href=\"/state/{iso}?as_of={as_of}\">{name}</a></td><td>{st}</td><td>{eif}</td><td>{cd}</td></tr>",
            iso = esc(&row.iso3),
            name = esc(&row.name),
            st = esc(&row.status),
            eif = row
                .entry_into_force
                .map(|d| d.to_string())
                .unwrap_or_default(),
            cd = row
                .clearance_deadline
                .map(|d| d.to_string())
                .unwrap_or_default(),
        );
    }
    b.push_str("</tbody></table></details>");
    let f = Frame {
        title: "World",
        requester: &r,
        demo: state.demo(),
        current: "world",
    };
    page(&f, &b)
}

/// Footnotes: each source cited once, numbered in order of first citation.
#[derive(Debug, Default)]
struct Notes {
    order: Vec<String>,
}

impl Notes {
    fn cite(&mut self, source: &str) -> String {
        let mut refs = String::new();
        for id in source
            .split([';', '|'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let n = match self.order.iter().position(|s| s == id) {
                Some(i) => i + 1,
                None => {
                    self.order.push(id.to_string());
                    self.order.len()
                }
            };
            let _ = write!(refs, "<sup><a href=\"#src-{n}\">{n}</a></sup>");
        }
        if refs.is_empty() {
            "<sup class=\"nosrc\">no source</sup>".into()
        } else {
            refs
        }
    }
}

/// A line chart of one measure over time (low and high where they differ), in SVG.
fn chart(points: &[(f64, f64, f64)], unit: &str) -> String {
    if points.len() < 2 {
        return String::new();
    }
    let (w, h, pad) = (480.0, 160.0, 34.0);
    let x0 = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let x1 = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let y1 = points.iter().map(|p| p.2).fold(0.0, f64::max).max(1e-9);
    let sx = |x: f64| pad + (x - x0) / (x1 - x0).max(1e-9) * (w - 2.0 * pad);
    let sy = |y: f64| h - pad / 2.0 - y / y1 * (h - pad);
    let line = |k: usize| {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let v = if k == 1 { p.1 } else { p.2 };
                format!(
                    "{}{:.1},{:.1}",
                    if i == 0 { "M" } else { "L" },
                    sx(p.0),
                    sy(v)
                )
            })
            .collect::<String>()
    };
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"chart in {u}\">\
         <line x1=\"{pad}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" class=\"axis\"/>\
         <text x=\"2\" y=\"12\" class=\"lbl\">{top} {u}</text>\
         <text x=\"{pad}\" y=\"{h}\" class=\"lbl\">{x0:.0}</text>\
         <text x=\"{r}\" y=\"{h}\" class=\"lbl\" text-anchor=\"end\">{x1:.0}</text>",
        b = sy(0.0),
        r = w - pad,
        top = figure(y1),
        u = esc(unit),
    );
    let _ = write!(s, "<path d=\"{}\" class=\"hi\"/>", line(2));
    if points.iter().any(|p| p.1 != p.2) {
        let _ = write!(s, "<path d=\"{}\" class=\"lo\"/>", line(1));
    }
    for p in points {
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"/>",
            sx(p.0),
            sy(p.2)
        );
    }
    s.push_str("</svg>");
    s
}

/// A table of estimates of the measures that start with `prefix`, with a chart per measure.
fn estimates_section(b: &mut String, notes: &mut Notes, list: &[&Estimate]) {
    let mut by_measure: BTreeMap<&str, Vec<&Estimate>> = BTreeMap::new();
    for e in list {
        by_measure.entry(e.measure.as_str()).or_default().push(e);
    }
    for (measure, mut es) in by_measure {
        es.sort_by_key(|e| e.as_of.start());
        let pts: Vec<(f64, f64, f64)> = es
            .iter()
            .map(|e| {
                let d = e.as_of.start();
                (
                    f64::from(d.year()) + f64::from(d.ordinal()) / 366.0,
                    e.low,
                    e.high,
                )
            })
            .collect();
        let _ = write!(b, "<h3><code>{}</code></h3>", esc(measure));
        b.push_str(&chart(&pts, es.first().map_or("", |e| e.unit.as_str())));
        b.push_str("<table><thead><tr><th>As of</th><th>Figure</th><th>Unit</th><th>Note</th></tr></thead><tbody>");
        for e in es {
            let fig = if e.low == e.high {
                figure(e.low)
            } else {
                format!("{}–{}", figure(e.low), figure(e.high))
            };
            let _ = write!(
                b,
                "<tr><td>{}</td><td class=\"num\">{fig}{}</td><td>{}</td><td>{}</td></tr>",
                e.as_of,
                notes.cite(&e.source),
                esc(&e.unit),
                esc(e.note.as_deref().unwrap_or(""))
            );
        }
        b.push_str("</tbody></table>");
    }
}

/// One State: status and timeline, obligations and compliance, contamination, release,
/// casualties, stockpiles, funding, each figure with its source as a footnote.
pub async fn state_page(
    State(state): State<AppState>,
    Extension(web): Extension<Arc<Web>>,
    r: Requester,
    Path(iso3): Path<String>,
    Query(q): Query<WorldQuery>,
) -> Response {
    let today = chrono::Utc::now().date_naive();
    let as_of = match world::pick_date(q.as_of.as_deref(), q.year.as_deref(), today) {
        Ok(d) => d,
        Err(e) => return error_page(&state, &r, StatusCode::BAD_REQUEST, &e),
    };
    let iso3 = iso3.to_ascii_uppercase();
    let store = state.store_for(&r);
    let d = match view::state_detail(&store, &iso3, as_of).await {
        Ok(d) => d,
        Err(demine_store::StoreError::NotFound { .. }) => {
            return error_page(
                &state,
                &r,
                StatusCode::NOT_FOUND,
                &format!("the registry holds no State {iso3}"),
            );
        }
        Err(e) => {
            return error_page(&state, &r, StatusCode::NOT_FOUND, &e.to_string());
        }
    };
    let mut n = Notes::default();
    let mut b = String::with_capacity(32_000);
    let _ = write!(
        b,
        "<h1>{name} <small>{iso}</small></h1>\
         <form method=\"get\" class=\"asof\"><label>As of <input type=\"date\" name=\"as_of\" value=\"{as_of}\" min=\"1997-01-01\" max=\"{today}\"></label><button type=\"submit\">Show</button></form>\
         <p class=\"downloads\" id=\"state-reports\">Reports as of {as_of}: the profile \
         (<a href=\"/reports/country/{lc}?format=pdf&amp;as_of={as_of}\">PDF</a>, \
         <a href=\"/reports/country/{lc}?format=html&amp;as_of={as_of}\">HTML</a>, \
         <a href=\"/reports/country/{lc}?format=md&amp;as_of={as_of}\">Markdown</a>, \
         <a href=\"/reports/country/{lc}?format=json&amp;as_of={as_of}\">JSON</a>); \
         a draft Art. 7 report for {prev} (<a href=\"/reports/article7/{lc}?year={prev}&amp;format=pdf&amp;as_of={as_of}\">PDF</a>, \
         <a href=\"/reports/article7/{lc}?year={prev}&amp;format=html&amp;as_of={as_of}\">HTML</a>); \
         the figures of an Art. 5(4) extension request (<a href=\"/reports/extension/{lc}?format=pdf&amp;as_of={as_of}\">PDF</a>, \
         <a href=\"/reports/extension/{lc}?format=html&amp;as_of={as_of}\">HTML</a>).</p>\
         <section id=\"status\"><h2>Status</h2><p class=\"status s-{st}\" id=\"state-status\">{st}</p><dl class=\"facts\">",
        name = esc(&d.row.name),
        iso = esc(&d.row.iso3),
        st = esc(&d.row.status),
        lc = url_enc(&d.row.iso3.to_ascii_lowercase()),
        prev = as_of.year() - 1,
    );
    let dates = [
        ("Entry into force", d.row.entry_into_force),
        ("Initial report due", d.initial_report_due),
        (
            "Stockpile destruction deadline (Art. 4)",
            d.row.stockpile_destruction_deadline,
        ),
        (
            "Original clearance deadline (Art. 5(1))",
            d.original_clearance_deadline,
        ),
        ("Clearance deadline in force", d.row.clearance_deadline),
        ("Withdrawal effective", d.row.withdrawal_effective),
    ];
    for (label, v) in dates {
        let _ = write!(
            b,
            "<dt>{label}</dt><dd>{}</dd>",
            v.map_or_else(|| "—".to_string(), |d| d.to_string())
        );
    }
    b.push_str("</dl><p class=\"basis\">");
    for basis in &d.basis {
        let _ = write!(
            b,
            "<span>Art. {}: {}</span> ",
            esc(&basis.article),
            esc(&basis.reason)
        );
    }
    b.push_str("</p>");
    if let Some(w) = &d.withdrawal_notice {
        let _ = write!(b, "<p class=\"warn\">Withdrawal: {}</p>", esc(&w.status));
    }
    b.push_str("<h3>Timeline</h3><ol class=\"timeline\">");
    let mut events: Vec<_> = d
        .events
        .iter()
        .chain(d.completion_declarations.iter())
        .collect();
    events.sort_by_key(|e| e.date.start());
    events.dedup_by(|a, b| a == b);
    for e in events {
        let _ = write!(
            b,
            "<li><time>{}</time> {}{}{}</li>",
            e.date,
            esc(&e.event.replace('_', " ")),
            e.note
                .as_deref()
                .map(|t| format!(" — {}", esc(t)))
                .unwrap_or_default(),
            n.cite(&e.source)
        );
    }
    for x in &d.extensions {
        let _ = write!(
            b,
            "<li>extension request {} {}{}{}</li>",
            x.number,
            esc(&x.decision),
            x.granted_until
                .map(|g| format!(", granted until {g}"))
                .unwrap_or_default(),
            n.cite(&x.source)
        );
    }
    b.push_str("</ol></section>");
    b.push_str("<section id=\"compliance\"><h2>Obligations and compliance</h2><table><thead><tr><th>Obligation</th><th>Deadline</th><th>Status</th><th>Met on</th></tr></thead><tbody>");
    for o in &d.compliance {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td class=\"cs cs-{st}\">{st}</td><td>{}{}</td></tr>",
            esc(&o.obligation.replace('-', " ")),
            o.deadline
                .map(|d| d.to_string())
                .unwrap_or_else(|| "—".into()),
            o.met_on.map(|d| d.to_string()).unwrap_or_default(),
            o.source.as_deref().map(|s| n.cite(s)).unwrap_or_default(),
            st = o.status.as_str(),
        );
    }
    b.push_str("</tbody></table><p class=\"note\">Unknown means no record decides; it is never read as overdue or met.</p></section>");
    b.push_str("<section id=\"contamination\"><h2>Contamination</h2>");
    match &d.contamination {
        Some(c) => {
            let _ = write!(
                b,
                "<p class=\"big\">{}–{} km² <span class=\"band b-{band}\">{band}</span> as of {}{}</p>",
                figure(c.low_km2),
                figure(c.high_km2),
                c.as_of,
                n.cite(&c.source),
                band = esc(&c.band)
            );
        }
        None => b.push_str(
            "<p class=\"unknown\">No contamination estimate on record (unknown, not zero).</p>",
        ),
    }
    let pick = |p: &dyn Fn(&str) -> bool| -> Vec<&Estimate> {
        d.estimates.iter().filter(|e| p(&e.measure)).collect()
    };
    estimates_section(&mut b, &mut n, &pick(&|m| m.contains("contamination")));
    b.push_str("</section><section id=\"release\"><h2>Release progress</h2>");
    let release =
        pick(&|m| m.contains("destroyed") || m.contains("released") || m.contains("cleared"));
    if release.is_empty() {
        b.push_str("<p class=\"unknown\">No release figures on record.</p>");
    }
    estimates_section(&mut b, &mut n, &release);
    b.push_str("</section>");
    b.push_str(&release_and_forecast(&state, &web, &r, &d.row.iso3, as_of).await);
    b.push_str("<section id=\"casualties\"><h2>Casualties</h2>");
    let cas = pick(&|m| m.starts_with("casualties"));
    if cas.is_empty() {
        b.push_str("<p class=\"unknown\">No casualty figures on record.</p>");
    }
    estimates_section(&mut b, &mut n, &cas);
    b.push_str("</section><section id=\"stockpiles\"><h2>Stockpiles</h2>");
    if d.stockpiles.is_empty() {
        b.push_str("<p class=\"unknown\">No stockpile record held.</p>");
    } else {
        b.push_str("<table><thead><tr><th>Date</th><th>Record</th><th>Device</th><th>Quantity</th></tr></thead><tbody>");
        for s in &d.stockpiles {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}{}</td></tr>",
                s.date,
                esc(&s.record.replace('_', " ")),
                esc(&s.device_type),
                s.quantity
                    .map(|q| figure(q as f64))
                    .unwrap_or_else(|| "—".into()),
                n.cite(&s.source)
            );
        }
        b.push_str("</tbody></table>");
    }
    b.push_str("</section><section id=\"funding\"><h2>Funding</h2>");
    let fund = pick(&|m| m.starts_with("funding"));
    if fund.is_empty() {
        b.push_str("<p class=\"unknown\">No funding figures on record.</p>");
    }
    estimates_section(&mut b, &mut n, &fund);
    b.push_str("</section>");
    if r.user.is_some() {
        let _ = write!(
            b,
            "<p><a class=\"button\" href=\"/hazards?iso3={}\">National hazard map</a></p>",
            url_enc(&d.row.iso3)
        );
    }
    b.push_str("<section id=\"sources\"><h2>Sources</h2><ol class=\"sources\">");
    for (i, id) in n.order.iter().enumerate() {
        let desc = d.sources.iter().find(|s| &s.id == id);
        match desc {
            Some(s) => {
                let _ = write!(
                    b,
                    "<li id=\"src-{k}\"><b>{t}</b>, {p}, {y}. <span class=\"url\">{u}</span> <code>{id}</code></li>",
                    k = i + 1,
                    t = esc(&s.title),
                    p = esc(&s.publisher),
                    y = s.year.map_or_else(|| "n.d.".to_string(), |y| y.to_string()),
                    u = esc(&s.url),
                    id = esc(id)
                );
            }
            None => {
                let _ = write!(b, "<li id=\"src-{}\"><code>{}</code></li>", i + 1, esc(id));
            }
        }
    }
    b.push_str("</ol></section>");
    let title = d.row.name.clone();
    let f = Frame {
        title: &title,
        requester: &r,
        demo: state.demo(),
        current: "world",
    };
    page(&f, &b)
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    pub next: Option<String>,
    pub error: Option<String>,
}

/// Only paths of this site are followed after logging in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/".into(),
    }
}

pub async fn login_form(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<LoginQuery>,
) -> Response {
    login_page(
        &state,
        &r,
        q.next.as_deref(),
        q.error.as_deref(),
        StatusCode::OK,
    )
}

fn login_page(
    state: &AppState,
    r: &Requester,
    next: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let mut b = String::from("<h1>Log in</h1>");
    if let Some(e) = error {
        let _ = write!(b, "<p class=\"error\" role=\"alert\">{}</p>", esc(e));
    }
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/login?next={}\" class=\"stack\" id=\"login-form\">\
         <label>Name <input name=\"name\" id=\"name\" autocomplete=\"username\" required></label>\
         <label>Password <input type=\"password\" name=\"password\" id=\"password\" autocomplete=\"current-password\" required></label>\
         <button type=\"submit\" id=\"login-submit\">Log in</button></form>\
         <p class=\"note\">Without an account you see the treaty, the record and national figures; hazard maps need an account.</p>",
        url_enc(&safe_next(next))
    );
    let f = Frame {
        title: "Log in",
        requester: r,
        demo: state.demo(),
        current: "",
    };
    let mut resp = page(&f, &b);
    *resp.status_mut() = status;
    resp
}

/// Logs in through the API's own login (its rate limit, its cookie), then goes to `next`.
pub async fn login(
    State(state): State<AppState>,
    Query(q): Query<LoginQuery>,
    req: Request,
) -> Response {
    let next = safe_next(q.next.as_deref());
    match demine_server::api::session::login(State(state.clone()), req).await {
        Ok(resp) if resp.status().is_success() => {
            let mut out = Redirect::to(&next).into_response();
            if let Some(c) = resp.headers().get(header::SET_COOKIE) {
                out.headers_mut().insert(header::SET_COOKIE, c.clone());
            }
            out
        }
        Ok(resp) => login_page(
            &state,
            &Requester::anonymous(),
            Some(&next),
            Some("the login was refused"),
            resp.status(),
        ),
        Err(e) => {
            let status = e.status();
            login_page(
                &state,
                &Requester::anonymous(),
                Some(&next),
                Some(&e.to_string()),
                status,
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// Ends the session (the CSRF token was checked by the server's middleware).
pub async fn logout(
    State(state): State<AppState>,
    Extension(_web): Extension<Arc<Web>>,
    r: Requester,
    Form(_f): Form<CsrfForm>,
) -> Response {
    match demine_server::api::session::logout(State(state.clone()), r.clone()).await {
        Ok(resp) => {
            let mut out = Redirect::to("/").into_response();
            if let Some(c) = resp.headers().get(header::SET_COOKIE) {
                out.headers_mut().insert(header::SET_COOKIE, c.clone());
            }
            out
        }
        Err(e) => error_page(&state, &r, e.status(), &e.to_string()),
    }
}

/// The land released per year by method and the completion forecast against the Art. 5 deadline,
/// as the country report computes and words them (`demine_report`, at the visitor's access
/// level), with the report's own sources listed after them. The report is built once per State,
/// date, reader's access and scope, and data version (`Web::reports`).
async fn release_and_forecast(
    state: &AppState,
    web: &Web,
    r: &Requester,
    iso3: &str,
    as_of: chrono::NaiveDate,
) -> String {
    let store = state.store_for(r);
    let kind = demine_report::ReportKind::Country {
        iso3: iso3.to_string(),
    };
    let who = r.store_requester();
    let key = crate::cache::Key {
        iso3: iso3.to_string(),
        as_of,
        access: store.access(),
        scope: (who.iso3, who.organisation),
    };
    let made = match store.data_version().await {
        Ok(head) => {
            let version = format!("{:?}/{}", head.entries, head.hash);
            web.reports
                .get_or_build(&version, key, async {
                    let inputs = demine_report::fetch(&store, store.access(), &kind, as_of).await?;
                    demine_report::build(&inputs, &kind)
                })
                .await
        }
        Err(e) => Err(demine_report::ReportError::Store(e)),
    };
    let report = match made {
        Ok(rep) => rep,
        Err(e) => {
            return format!(
                "<section id=\"report-forecast\"><h2>Completion forecast</h2>\
                 <p class=\"unknown\">No forecast could be made: {}</p></section>",
                esc(&e.to_string())
            );
        }
    };
    let mut o = String::new();
    for id in ["release", "forecast"] {
        if let Some(s) = report.sections.iter().find(|s| s.id == id) {
            let mut s = s.clone();
            s.id = format!("report-{id}");
            o.push_str(&demine_report::html::section(&s, "rfn"));
        }
    }
    let cited: Vec<_> = report
        .footnotes
        .iter()
        .filter(|f| o.contains(&format!("#rfn{}\"", f.n)))
        .collect();
    if !cited.is_empty() {
        o.push_str("<ol class=\"sources report-sources\">");
        for f in cited {
            let _ = write!(
                o,
                "<li id=\"rfn{n}\" value=\"{n}\">{}</li>",
                esc(&f.text),
                n = f.n
            );
        }
        o.push_str("</ol>");
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/hazards?iso3=KHM")), "/hazards?iso3=KHM");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn sources_are_numbered_once_in_order() {
        let mut n = Notes::default();
        assert!(n.cite("a").contains(">1<"));
        assert!(n.cite("b; a").contains(">2<"));
        assert!(n.cite("a").contains(">1<"));
        assert_eq!(n.order, vec!["a", "b"]);
        assert!(n.cite("").contains("no source"));
    }

    #[test]
    fn a_chart_needs_two_points() {
        assert!(chart(&[(2000.0, 1.0, 2.0)], "km2").is_empty());
        let c = chart(&[(2000.0, 1.0, 2.0), (2005.0, 0.5, 1.0)], "km2");
        assert!(c.starts_with("<svg") && c.contains("class=\"lo\""));
    }
}
