//! demine-server: the HTTP API of demine (`demine serve`). axum under `/api/v1`, an OpenAPI 3.1
//! document generated from the routes (`/api/v1/openapi.json`) with a browsable page that works
//! offline (`/api/v1/docs`), accounts (argon2 passwords, browser sessions with CSRF tokens, API
//! tokens), the field-report workflow and the data tiers.
//!
//! The router is composable: [`app`] merges the API router with whatever else a caller serves
//! (the dashboard's pages) over one [`AppState`]; handlers get the requester through the
//! [`auth::Requester`] extractor.

pub mod accounts;
pub mod api;
pub mod auth;
pub mod demo;
pub mod error;
pub mod extract;
pub mod serve;
pub mod state;

use axum::Router;
use axum::http::{HeaderName, HeaderValue};
use axum::response::IntoResponse;
use utoipa_swagger_ui::SwaggerUi;

pub use auth::Requester;
pub use error::{ApiError, ApiResult};
pub use state::AppState;

/// The header that marks every response of the demo server.
pub const SYNTHETIC_HEADER: &str = "demine-data";

/// No pages: the router to give [`app`] until the dashboard's lands.
pub fn no_pages() -> Router<AppState> {
    Router::new()
}

/// The API router and its OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    api::router().split_for_parts()
}

/// The whole application: the API, its document and browsable page, and `pages` (the
/// dashboard's router, or an empty one), with authentication, the body limit, request tracing
/// and, for the demo, the synthetic label on every response.
pub fn app(state: AppState, pages: Router<AppState>) -> Router {
    let (api, doc) = api();
    let router = Router::new()
        .merge(api)
        .merge(pages)
        .merge(SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", doc))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    let router = if state.demo() {
        router.layer(axum::middleware::from_fn(demo::label_synthetic))
    } else {
        router
    };
    router
        .layer(axum::extract::DefaultBodyLimit::max(state::MAX_BODY))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> impl IntoResponse {
    ApiError::NotFound(format!("no route {}", uri.path()))
}

async fn security_headers(mut resp: axum::response::Response) -> axum::response::Response {
    let h = resp.headers_mut();
    h.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
    resp
}
