//! The national hazard map (accounts only): every stored area held in memory as simplified
//! outlines in a grid of half-degree cells, rebuilt when the store's hazard data version moves, and
//! drawn by the server as an SVG view of any box (areas as links to their pages; where a view
//! holds too many to draw one by one, a density grid of them). Pan and zoom are links; the
//! script turns them into drag and wheel.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use demine_core::hazard::{AreaStatus, HazardType};
use demine_geo::HazardShape;
use demine_server::{AppState, Requester};
use demine_store::{AnyStore, AreaFilter, HazardStore};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::Web;
use crate::html::{Frame, esc, page, url_enc};
use crate::pages::error_page;

/// Grid cell size in degrees.
const CELL: f64 = 0.5;
/// Above this many areas in a view, a density grid is drawn instead of outlines.
pub const MAX_OUTLINES: usize = 4000;

/// The view's own style, so that it draws the same as an image (no page stylesheet applies).
const SVG_STYLE: &str = ".land{fill:#dfeaf5}.countries path{fill:#f4f1ea;stroke:#9aa3ae;stroke-width:1;vector-effect:non-scaling-stroke}\
.a-open{fill:#d32f2f;fill-opacity:.55;stroke:#8e0000}.a-closed{fill:#43a047;fill-opacity:.45;stroke:#1b5e20}\
.t-sha{stroke-dasharray:4 2}.d-open{fill:#d32f2f}.d-closed{fill:#43a047}.mark{fill:#0b5cad;stroke:#fff;stroke-width:2}";

/// One area as the map draws it.
#[derive(Debug, Clone)]
pub struct Lite {
    pub id: i64,
    pub iso3: Option<String>,
    /// The organisation that filed it (for the requester's scope).
    pub organisation: Option<String>,
    pub status: AreaStatus,
    pub hazard_type: HazardType,
    /// West, south, east, north.
    pub bbox: [f64; 4],
    /// Outer rings, simplified (lon, lat).
    pub rings: Vec<Vec<[f32; 2]>>,
}

/// What the layer is built from.
#[derive(Debug, Clone)]
pub struct LayerArea {
    pub id: i64,
    pub iso3: Option<String>,
    pub organisation: Option<String>,
    pub status: AreaStatus,
    pub hazard_type: HazardType,
    pub shape: HazardShape,
}

/// Every area, by grid cell.
#[derive(Debug, Default)]
pub struct Layer {
    pub areas: Vec<Lite>,
    cells: HashMap<(i32, i32), Vec<u32>>,
}

fn cell(lon: f64, lat: f64) -> (i32, i32) {
    ((lon / CELL).floor() as i32, (lat / CELL).floor() as i32)
}

fn simplify(ring: &[demine_geo::Coord], tol: f64) -> Vec<[f32; 2]> {
    let mut out: Vec<[f32; 2]> = Vec::with_capacity(ring.len().min(64));
    let mut last: Option<demine_geo::Coord> = None;
    for c in ring {
        if let Some(l) = last
            && (c.lon - l.lon).abs() < tol
            && (c.lat - l.lat).abs() < tol
        {
            continue;
        }
        out.push([c.lon as f32, c.lat as f32]);
        last = Some(*c);
    }
    out
}

impl Layer {
    /// The layer of these areas.
    pub fn build(areas: impl IntoIterator<Item = LayerArea>) -> Layer {
        let mut layer = Layer::default();
        for LayerArea {
            id,
            iso3,
            organisation,
            status,
            hazard_type,
            shape,
        } in areas
        {
            let Some(b) = shape.bbox() else { continue };
            let rings = match &shape {
                HazardShape::Polygon(p) => vec![simplify(&p.exterior, 1e-5)],
                HazardShape::MultiPolygon(ps) => {
                    ps.iter().map(|p| simplify(&p.exterior, 1e-5)).collect()
                }
                HazardShape::Circle { .. } => Vec::new(),
            };
            let n = layer.areas.len() as u32;
            let (c0, c1) = (cell(b.min_lon, b.min_lat), cell(b.max_lon, b.max_lat));
            // An area spanning many cells (over 64) is filed in its corner cells only and
            // found through `big`, so that one huge area cannot fill the grid.
            if (c1.0 - c0.0 + 1) * (c1.1 - c0.1 + 1) > 64 {
                layer.cells.entry((i32::MIN, i32::MIN)).or_default().push(n);
            } else {
                for x in c0.0..=c1.0 {
                    for y in c0.1..=c1.1 {
                        layer.cells.entry((x, y)).or_default().push(n);
                    }
                }
            }
            layer.areas.push(Lite {
                id,
                iso3,
                organisation,
                status,
                hazard_type,
                bbox: [b.min_lon, b.min_lat, b.max_lon, b.max_lat],
                rings,
            });
        }
        layer
    }

    /// The areas whose box meets `v` (west, south, east, north) that `who` may see, each once.
    pub fn visible(&self, v: [f64; 4], who: &demine_store::Requester) -> Vec<u32> {
        let mut ids = self.within(v);
        ids.retain(|&i| {
            let a = &self.areas[i as usize];
            who.in_scope(a.iso3.as_deref(), a.organisation.as_deref())
        });
        ids
    }

    /// The areas whose box meets `v` (west, south, east, north), each once.
    pub fn within(&self, v: [f64; 4]) -> Vec<u32> {
        let (c0, c1) = (cell(v[0], v[1]), cell(v[2], v[3]));
        let mut out = Vec::new();
        let meets = |a: &Lite| {
            a.bbox[0] <= v[2] && a.bbox[2] >= v[0] && a.bbox[1] <= v[3] && a.bbox[3] >= v[1]
        };
        let ncells = (i64::from(c1.0 - c0.0) + 1) * (i64::from(c1.1 - c0.1) + 1);
        if ncells > self.cells.len() as i64 {
            out.extend((0..self.areas.len() as u32).filter(|&i| meets(&self.areas[i as usize])));
            return out;
        }
        for x in c0.0..=c1.0 {
            for y in c0.1..=c1.1 {
                if let Some(list) = self.cells.get(&(x, y)) {
                    for &i in list {
                        let a = &self.areas[i as usize];
                        // Filed in several cells: taken in the first cell of the view it is in.
                        let first = cell(a.bbox[0].max(v[0]), a.bbox[1].max(v[1]));
                        if first == (x, y) && meets(a) {
                            out.push(i);
                        }
                    }
                }
            }
        }
        if let Some(big) = self.cells.get(&(i32::MIN, i32::MIN)) {
            out.extend(
                big.iter()
                    .copied()
                    .filter(|&i| meets(&self.areas[i as usize])),
            );
        }
        out
    }

    /// The box of a State's areas.
    pub fn extent(&self, iso3: Option<&str>) -> Option<[f64; 4]> {
        let mut e: Option<[f64; 4]> = None;
        for a in &self.areas {
            if iso3.is_some_and(|s| a.iso3.as_deref() != Some(s)) {
                continue;
            }
            e = Some(match e {
                None => a.bbox,
                Some(b) => [
                    b[0].min(a.bbox[0]),
                    b[1].min(a.bbox[1]),
                    b[2].max(a.bbox[2]),
                    b[3].max(a.bbox[3]),
                ],
            });
        }
        e
    }
}

/// The layer, rebuilt when the store's hazard data version moved (a write of an area; not an
/// account, a field report or the registry). The version is read before the areas, so a write in
/// between leaves a layer newer than its key, which the next request rebuilds.
#[derive(Debug, Default)]
pub struct LayerCache(Mutex<Option<(demine_store::HazardVersion, Arc<Layer>)>>);

impl LayerCache {
    pub async fn get(&self, store: &AnyStore) -> Result<Arc<Layer>, demine_store::StoreError> {
        let version = store.hazard_version().await?;
        let mut g = self.0.lock().await;
        if let Some((v, l)) = g.as_ref()
            && *v == version
        {
            return Ok(l.clone());
        }
        let areas = store.areas(&AreaFilter::default()).await?;
        let layer = Arc::new(Layer::build(areas.into_iter().map(|a| {
            let shape = match a.remaining {
                Some(demine_geo::Geometry::Polygon(p)) => HazardShape::Polygon(p),
                Some(demine_geo::Geometry::MultiPolygon(ps)) => HazardShape::MultiPolygon(ps),
                _ => a.shape,
            };
            LayerArea {
                id: a.area.id,
                iso3: a.area.iso3,
                organisation: a.area.organisation,
                status: a.area.status,
                hazard_type: a.area.hazard_type,
                shape,
            }
        })));
        *g = Some((version, layer.clone()));
        Ok(layer)
    }
}

/// A box made to the view's aspect (degrees of longitude shrink with latitude).
pub fn fit(b: [f64; 4], w: f64, h: f64) -> [f64; 4] {
    let (cx, cy) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
    let k = cy.to_radians().cos().max(0.05);
    let mut dx = (b[2] - b[0]).max(1e-4);
    let mut dy = (b[3] - b[1]).max(1e-4);
    if dx * k / w > dy / h {
        dy = dx * k * h / w;
    } else {
        dx = dy * w / h / k;
    }
    let dx = dx.min(360.0);
    let dy = dy.min(180.0);
    let cy = cy.clamp(-90.0 + dy / 2.0, 90.0 - dy / 2.0);
    [cx - dx / 2.0, cy - dy / 2.0, cx + dx / 2.0, cy + dy / 2.0]
}

/// Parses `west,south,east,north`.
pub fn parse_bbox(s: &str) -> Result<[f64; 4], String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("bbox {s:?} is not four numbers west,south,east,north"))?;
    match v.as_slice() {
        [w, so, e, n]
            if w < e
                && so < n
                && v.iter().all(|x| x.is_finite())
                && w.abs() <= 540.0
                && n.abs() <= 90.0
                && so.abs() <= 90.0 =>
        {
            Ok([*w, *so, *e, *n])
        }
        _ => Err(format!(
            "bbox {s:?} is not a box west,south,east,north with west < east and south < north"
        )),
    }
}

fn status_class(s: AreaStatus) -> &'static str {
    match s {
        AreaStatus::Open => "open",
        _ => "closed",
    }
}

/// The SVG of one view: outlines (links to each area), or a density grid when too many.
pub fn draw(
    layer: &Layer,
    v: [f64; 4],
    w: u32,
    h: u32,
    countries: bool,
    who: &demine_store::Requester,
) -> String {
    let (wf, hf) = (f64::from(w), f64::from(h));
    let sx = wf / (v[2] - v[0]);
    let sy = hf / (v[3] - v[1]);
    let px = |lon: f64, lat: f64| ((lon - v[0]) * sx, (v[3] - lat) * sy);
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" class=\"hazsvg\" \
         data-bbox=\"{},{},{},{}\" data-w=\"{w}\" data-h=\"{h}\"><style>{SVG_STYLE}</style><rect width=\"{w}\" height=\"{h}\" class=\"land\"/>",
        v[0], v[1], v[2], v[3]
    );
    if countries {
        background(&mut s, v, sx, sy);
    }
    let ids = layer.visible(v, who);
    if ids.len() > MAX_OUTLINES {
        let cellpx = 6.0;
        let (nx, ny) = ((wf / cellpx).ceil() as usize, (hf / cellpx).ceil() as usize);
        let mut open = vec![0u32; nx * ny];
        let mut closed = vec![0u32; nx * ny];
        for &i in &ids {
            let a = &layer.areas[i as usize];
            let (x, y) = px((a.bbox[0] + a.bbox[2]) / 2.0, (a.bbox[1] + a.bbox[3]) / 2.0);
            if x < 0.0 || y < 0.0 {
                continue;
            }
            let (cx, cy) = ((x / cellpx) as usize, (y / cellpx) as usize);
            if cx >= nx || cy >= ny {
                continue;
            }
            if a.status == AreaStatus::Open {
                open[cy * nx + cx] += 1;
            } else {
                closed[cy * nx + cx] += 1;
            }
        }
        let _ = write!(
            s,
            "<g class=\"density\"><title>{} areas in view: zoom in to see each</title>",
            ids.len()
        );
        for cy in 0..ny {
            for cx in 0..nx {
                let (o, c) = (open[cy * nx + cx], closed[cy * nx + cx]);
                if o + c == 0 {
                    continue;
                }
                let class = if o > 0 { "open" } else { "closed" };
                let op = (0.35 + (f64::from(o + c)).ln() / 8.0).min(1.0);
                let _ = write!(
                    s,
                    "<rect x=\"{}\" y=\"{}\" width=\"{cellpx}\" height=\"{cellpx}\" class=\"d-{class}\" fill-opacity=\"{op:.2}\"/>",
                    cx as f64 * cellpx,
                    cy as f64 * cellpx
                );
            }
        }
        s.push_str("</g>");
    } else {
        for &i in &ids {
            let a = &layer.areas[i as usize];
            let mut d = String::new();
            for ring in &a.rings {
                let mut last = (f64::NAN, f64::NAN);
                let mut k = 0;
                for p in ring {
                    let (x, y) = px(f64::from(p[0]), f64::from(p[1]));
                    let q = ((x * 2.0).round() / 2.0, (y * 2.0).round() / 2.0);
                    if q == last {
                        continue;
                    }
                    last = q;
                    let _ = write!(d, "{}{} {}", if k == 0 { "M" } else { "L" }, q.0, q.1);
                    k += 1;
                }
                if k > 0 {
                    d.push('Z');
                }
            }
            let (x0, y0) = px(a.bbox[0], a.bbox[3]);
            let (x1, y1) = px(a.bbox[2], a.bbox[1]);
            let tiny = (x1 - x0) < 3.0 && (y1 - y0) < 3.0;
            let class = format!(
                "a-{} t-{}",
                status_class(a.status),
                a.hazard_type.as_str().to_ascii_lowercase()
            );
            let _ = write!(
                s,
                "<a href=\"/hazards/area/{id}\" data-id=\"{id}\"><title>area {id}: {ty} {st}</title>",
                id = a.id,
                ty = a.hazard_type.as_str(),
                st = a.status.as_str()
            );
            if tiny || d.is_empty() {
                let _ = write!(
                    s,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" class=\"{class}\"/>",
                    (x0 + x1) / 2.0,
                    (y0 + y1) / 2.0
                );
            } else {
                let _ = write!(s, "<path d=\"{d}\" class=\"{class}\"/>");
            }
            s.push_str("</a>");
        }
    }
    s.push_str("</svg>");
    s
}

/// Country outlines under a view (from the world map's simplified boundaries).
pub fn background(s: &mut String, v: [f64; 4], sx: f64, sy: f64) {
    let w = crate::world::world();
    let k = crate::world::SCALE;
    // World map units to view pixels: x = (lon + 180) * k, y = (TOP - lat) * k.
    let a = sx / k;
    let e = -(v[0] + 180.0) * sx;
    let d = sy / k;
    let f = -(crate::world::TOP_LAT - v[3]) * sy;
    let _ = write!(
        s,
        "<g class=\"countries\" transform=\"matrix({a} 0 0 {d} {e} {f})\">"
    );
    for c in &w.countries {
        if c.bbox[0] > v[2] || c.bbox[2] < v[0] || c.bbox[1] > v[3] || c.bbox[3] < v[1] {
            continue;
        }
        let _ = write!(s, "<path d=\"{}\"/>", c.path);
    }
    s.push_str("</g>");
}

#[derive(Debug, Deserialize)]
pub struct MapQuery {
    pub iso3: Option<String>,
    pub bbox: Option<String>,
    pub w: Option<u32>,
    pub h: Option<u32>,
}

/// The store the shared layer is built from: every area at the operational tier. What each
/// requester sees of it is filtered by their scope ([`Layer::visible`]).
pub fn layer_store(state: &AppState) -> AnyStore {
    state
        .app()
        .store()
        .clone()
        .with_access(demine_store::Access::Operational)
}

fn login_redirect(uri: &Uri) -> Response {
    let next = uri.path_and_query().map_or("/", |p| p.as_str());
    Redirect::to(&format!("/login?next={}", url_enc(next))).into_response()
}

fn size(q: &MapQuery) -> (u32, u32) {
    (
        q.w.unwrap_or(960).clamp(200, 2400),
        q.h.unwrap_or(600).clamp(150, 2400),
    )
}

/// The map page: a view with pan and zoom links and the legend.
pub async fn map_page(
    State(state): State<AppState>,
    Extension(web): Extension<Arc<Web>>,
    r: Requester,
    uri: Uri,
    Query(q): Query<MapQuery>,
) -> Response {
    if r.user.is_none() {
        return login_redirect(&uri);
    }
    let layer = match web.layer.get(&layer_store(&state)).await {
        Ok(l) => l,
        Err(e) => {
            return error_page(
                &state,
                &r,
                StatusCode::INTERNAL_SERVER_ERROR,
                &e.to_string(),
            );
        }
    };
    let (w, h) = size(&q);
    let iso3 = q
        .iso3
        .as_deref()
        .map(str::to_ascii_uppercase)
        .filter(|s| !s.is_empty());
    let raw = match q.bbox.as_deref().filter(|s| !s.is_empty()) {
        Some(b) => match parse_bbox(b) {
            Ok(b) => b,
            Err(e) => return error_page(&state, &r, StatusCode::BAD_REQUEST, &e),
        },
        None => layer
            .extent(iso3.as_deref())
            .or_else(|| {
                let wd = crate::world::world();
                iso3.as_ref()
                    .and_then(|i| wd.by_iso3.get(i))
                    .map(|&i| wd.countries[i].bbox)
            })
            .map(|b| {
                let (mx, my) = ((b[2] - b[0]) * 0.05 + 0.01, (b[3] - b[1]) * 0.05 + 0.01);
                [b[0] - mx, b[1] - my, b[2] + mx, b[3] + my]
            })
            .unwrap_or([-180.0, -60.0, 180.0, 84.0]),
    };
    let v = fit(raw, f64::from(w), f64::from(h));
    let (dx, dy) = (v[2] - v[0], v[3] - v[1]);
    let link = |b: [f64; 4]| {
        format!(
            "/hazards?bbox={:.5},{:.5},{:.5},{:.5}{}",
            b[0],
            b[1],
            b[2],
            b[3],
            iso3.as_deref()
                .map(|i| format!("&iso3={i}"))
                .unwrap_or_default()
        )
    };
    let zoom = |f: f64| {
        let (cx, cy) = ((v[0] + v[2]) / 2.0, (v[1] + v[3]) / 2.0);
        [
            cx - dx * f / 2.0,
            cy - dy * f / 2.0,
            cx + dx * f / 2.0,
            cy + dy * f / 2.0,
        ]
    };
    let who = r.store_requester();
    let n = layer.visible(v, &who).len();
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Hazard map{}</h1><p class=\"lead\">{n} areas in view of {} held. Drag to pan, wheel to zoom, click an area for its history.</p>\
         <nav class=\"pan\" aria-label=\"pan and zoom\">\
         <a href=\"{}\" id=\"zoom-in\">+ Zoom in</a><a href=\"{}\" id=\"zoom-out\">- Zoom out</a>\
         <a href=\"{}\">← West</a><a href=\"{}\">East →</a><a href=\"{}\">↑ North</a><a href=\"{}\">↓ South</a></nav>\
         <div class=\"hazmap\" id=\"hazmap\">{}</div>\
         <ul class=\"legend\"><li><span class=\"swatch a-open\"></span>Open (counts as a hazard)</li>\
         <li><span class=\"swatch a-closed\"></span>Closed or handed over</li>\
         <li><span class=\"swatch t-sha\"></span>Dashed: suspected (SHA)</li><li><span class=\"swatch t-cha\"></span>Solid: confirmed (CHA)</li></ul>",
        iso3.as_deref()
            .map(|i| format!(" <small>{}</small>", esc(i)))
            .unwrap_or_default(),
        layer.areas.len(),
        link(zoom(0.5)),
        link(zoom(2.0)),
        link([v[0] - dx / 3.0, v[1], v[2] - dx / 3.0, v[3]]),
        link([v[0] + dx / 3.0, v[1], v[2] + dx / 3.0, v[3]]),
        link([v[0], v[1] + dy / 3.0, v[2], v[3] + dy / 3.0]),
        link([v[0], v[1] - dy / 3.0, v[2], v[3] - dy / 3.0]),
        draw(&layer, v, w, h, true, &who),
    );
    let f = Frame {
        title: "Hazard map",
        requester: &r,
        demo: state.demo(),
        current: "hazards",
    };
    page(&f, &b)
}

/// One view as SVG (what the script fetches while panning and zooming).
pub async fn view_svg(
    State(state): State<AppState>,
    Extension(web): Extension<Arc<Web>>,
    r: Requester,
    Query(q): Query<MapQuery>,
) -> Response {
    if r.user.is_none() {
        return (
            StatusCode::UNAUTHORIZED,
            "hazard maps need an account: log in",
        )
            .into_response();
    }
    let Some(bbox) = q.bbox.as_deref() else {
        return (
            StatusCode::BAD_REQUEST,
            "bbox=west,south,east,north is needed",
        )
            .into_response();
    };
    let raw = match parse_bbox(bbox) {
        Ok(b) => b,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    let layer = match web.layer.get(&layer_store(&state)).await {
        Ok(l) => l,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let (w, h) = size(&q);
    let v = fit(raw, f64::from(w), f64::from(h));
    crate::html::svg(draw(&layer, v, w, h, true, &r.store_requester()))
}

/// One area: its attributes, outline, history and activities.
pub async fn area_page(
    State(state): State<AppState>,
    Extension(web): Extension<Arc<Web>>,
    r: Requester,
    uri: Uri,
    Path(id): Path<i64>,
) -> Response {
    if r.user.is_none() {
        return login_redirect(&uri);
    }
    let store = state.store_for(&r);
    let area = match store.area(id).await {
        Ok(Some(a)) => a,
        Ok(None) => return error_page(&state, &r, StatusCode::NOT_FOUND, &format!("no area {id}")),
        Err(e) => return error_page(&state, &r, StatusCode::FORBIDDEN, &e.to_string()),
    };
    let history = store.history(id).await.unwrap_or_default();
    let activities = store.activities(id).await.unwrap_or_default();
    let a = &area.area;
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Area {id} <small>{}</small></h1><dl class=\"facts\" id=\"area-facts\">",
        esc(a.name.as_deref().unwrap_or(""))
    );
    let facts = [
        ("State", a.iso3.clone().unwrap_or_default()),
        ("Type", a.hazard_type.as_str().to_string()),
        ("Status", a.status.as_str().to_string()),
        ("Source status", a.source_status.clone().unwrap_or_default()),
        ("Reference", a.reference.clone().unwrap_or_default()),
        ("Admin area", a.admin_area.clone().unwrap_or_default()),
        ("Organisation", a.organisation.clone().unwrap_or_default()),
        (
            "Version",
            format!(
                "{} ({}) by {} at {}",
                area.version,
                area.version_status.as_str(),
                area.updated_by,
                area.updated_at
            ),
        ),
        (
            "Remaining",
            area.remaining_m2
                .map(|m| format!("{} m²", crate::html::thousands(m)))
                .unwrap_or_else(|| "as recorded (nothing released)".into()),
        ),
    ];
    for (k, v) in facts {
        let _ = write!(b, "<dt>{k}</dt><dd>{}</dd>", esc(&v));
    }
    b.push_str("</dl>");
    if let Some(bb) = area.shape.bbox() {
        let layer = Layer::build([LayerArea {
            id,
            iso3: a.iso3.clone(),
            organisation: a.organisation.clone(),
            status: a.status,
            hazard_type: a.hazard_type,
            shape: area.shape.clone(),
        }]);
        let (mx, my) = (
            (bb.max_lon - bb.min_lon) * 0.3 + 1e-3,
            (bb.max_lat - bb.min_lat) * 0.3 + 1e-3,
        );
        let v = fit(
            [
                bb.min_lon - mx,
                bb.min_lat - my,
                bb.max_lon + mx,
                bb.max_lat + my,
            ],
            480.0,
            300.0,
        );
        b.push_str("<div class=\"mini\">");
        b.push_str(&draw(&layer, v, 480, 300, true, &r.store_requester()));
        let _ = write!(
            b,
            "</div><p><a href=\"/hazards?bbox={:.5},{:.5},{:.5},{:.5}\">Show on the map</a></p>",
            v[0], v[1], v[2], v[3]
        );
    }
    b.push_str("<h2>History</h2><table id=\"history\"><thead><tr><th>Version</th><th>State</th><th>Made</th><th>By</th><th>Status</th></tr></thead><tbody>");
    for h in &history {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            h.version,
            h.version_status.as_str(),
            esc(&h.made_at),
            esc(&h.made_by),
            h.area.status.as_str()
        );
    }
    b.push_str("</tbody></table><h2>Activities</h2>");
    if activities.is_empty() {
        b.push_str("<p>No land release activity recorded.</p>");
    } else {
        b.push_str("<table><thead><tr><th>Kind</th><th>From</th><th>To</th><th>Organisation</th><th>Released</th></tr></thead><tbody>");
        for x in &activities {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} m²</td></tr>",
                x.activity.kind.as_str(),
                x.activity.start,
                x.activity.end.map(|d| d.to_string()).unwrap_or_default(),
                esc(x.activity.organisation.as_deref().unwrap_or("")),
                crate::html::thousands(x.released_m2)
            );
        }
        b.push_str("</tbody></table>");
    }
    let _ = web;
    let title = format!("Area {id}");
    let f = Frame {
        title: &title,
        requester: &r,
        demo: state.demo(),
        current: "hazards",
    };
    page(&f, &b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use demine_geo::{Coord, Polygon};

    fn square(x: f64, y: f64, d: f64) -> HazardShape {
        HazardShape::Polygon(Polygon {
            exterior: vec![
                Coord::new(x, y),
                Coord::new(x + d, y),
                Coord::new(x + d, y + d),
                Coord::new(x, y + d),
                Coord::new(x, y),
            ],
            holes: vec![],
        })
    }

    fn layer(n: i64) -> Layer {
        Layer::build((0..n).map(|i| {
            let x = 100.0 + (i % 100) as f64 * 0.05;
            let y = 10.0 + (i / 100) as f64 * 0.05;
            LayerArea {
                id: i,
                iso3: Some("KHM".to_string()),
                organisation: Some(if i % 2 == 0 { "A" } else { "B" }.to_string()),
                status: AreaStatus::Open,
                hazard_type: HazardType::Cha,
                shape: square(x, y, 0.01),
            }
        }))
    }

    #[test]
    fn a_view_finds_each_area_in_it_once_as_brute_force_does() {
        let l = layer(2000);
        for v in [
            [100.2, 10.3, 101.7, 12.2],
            [99.0, 9.0, 106.0, 21.0],
            [100.49, 10.0, 100.51, 10.02],
        ] {
            let mut got: Vec<i64> = l
                .within(v)
                .iter()
                .map(|&i| l.areas[i as usize].id)
                .collect();
            got.sort_unstable();
            let n = got.len();
            got.dedup();
            assert_eq!(n, got.len(), "an area listed twice");
            let want: Vec<i64> = l
                .areas
                .iter()
                .filter(|a| {
                    a.bbox[0] <= v[2] && a.bbox[2] >= v[0] && a.bbox[1] <= v[3] && a.bbox[3] >= v[1]
                })
                .map(|a| a.id)
                .collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn a_crowded_view_is_a_density_grid_and_a_close_one_links_each_area() {
        let l = layer(5000);
        let all = demine_store::Requester::local("t", demine_store::Access::Operational);
        let wide = draw(&l, [99.0, 9.0, 106.0, 13.0], 800, 600, false, &all);
        assert!(wide.contains("class=\"density\"") && !wide.contains("/hazards/area/"));
        let close = draw(&l, [100.0, 10.0, 100.2, 10.1], 800, 600, false, &all);
        assert!(close.contains("/hazards/area/0\"") && !close.contains("density"));
        // A team sees its own organisation's areas only.
        let team = all.clone().scoped("KHM", Some("B"));
        let mine = draw(&l, [100.0, 10.0, 100.2, 10.1], 800, 600, false, &team);
        assert!(!mine.contains("/hazards/area/0\"") && mine.contains("/hazards/area/1\""));
    }

    #[test]
    fn boxes_are_checked() {
        assert!(parse_bbox("1,2,3,4").is_ok());
        assert!(parse_bbox("3,2,1,4").is_err());
        assert!(parse_bbox("a,b,c,d").is_err());
        assert!(parse_bbox("1,2,3").is_err());
        let f = fit([100.0, 10.0, 101.0, 11.0], 800.0, 400.0);
        assert!(((f[2] - f[0]) * 10.5f64.to_radians().cos() / (f[3] - f[1]) - 2.0).abs() < 1e-6);
    }
}
