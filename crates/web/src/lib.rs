//! demine-web: the offline dashboard `demine serve` mounts next to the API. Server-rendered HTML
//! with our own CSS and script (embedded, served from `/static/`), no CDN, no external tiles,
//! fonts or scripts: every page works with no network and without JavaScript (links, forms, a
//! server-drawn SVG map with pan and zoom links); the script makes the hazard map fluid.
//!
//! Pages: the world map (`/`, coloured by treaty status, deadline risk or contamination band as
//! of a date), a State (`/state/{iso3}`), the national hazard map (`/hazards`, accounts only,
//! views drawn by the server from an in-memory layer rebuilt when the hazard data version moves), an
//! area (`/hazards/area/{id}`), the safety check (`/check`, a point typed or clicked, or a CSV of
//! points), data entry and review (`/entry`), report downloads (`/reports/world`,
//! `/reports/{country|article7|extension}/{iso3}` in HTML, Markdown, JSON or PDF), and logging in
//! and out.
//!
//! Anonymous visitors never receive hazard geometry: every route that draws or lists areas
//! needs an account, and the check's map for them shows boundaries only.

pub mod cache;
pub mod check;
pub mod entry;
pub mod hazmap;
pub mod html;
pub mod pages;
pub mod reports;
pub mod world;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use demine_server::AppState;

/// What the pages share beyond the server's state (which holds the application and its check
/// index): the hazard map's layer, and the country reports the State pages quote.
#[derive(Debug, Default)]
pub struct Web {
    pub layer: hazmap::LayerCache,
    pub reports: cache::VersionedCache<demine_report::Report>,
}

/// The dashboard's routes, to merge into the server's router (`demine_server::app`).
pub fn pages() -> Router<AppState> {
    let web = Arc::new(Web::default());
    // Built now, so that the first page is as fast as the rest.
    let _ = world::world();
    Router::new()
        .route("/", get(pages::world_page))
        .route("/state/{iso3}", get(pages::state_page))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/static/style.css", get(pages::style))
        .route("/static/app.js", get(pages::script))
        .route("/hazards", get(hazmap::map_page))
        .route("/hazards/view.svg", get(hazmap::view_svg))
        .route("/hazards/area/{id}", get(hazmap::area_page))
        .route("/reports/world", get(reports::world))
        .route("/reports/{kind}/{iso3}", get(reports::state_report))
        .route("/check", get(check::check_page).post(check::check_upload))
        .route("/check/map.svg", get(check::map_svg))
        .route("/entry", get(entry::entry_page).post(entry::submit))
        .route("/entry/approve/{id}", post(entry::approve))
        .layer(axum::Extension(web))
}
