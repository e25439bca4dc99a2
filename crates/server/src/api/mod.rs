//! The HTTP API under `/api/v1`: one module per family of routes, each handler thin (HTTP in,
//! a library call, HTTP out). Every route is registered through [`OpenApiRouter`] with its
//! `#[utoipa::path]`, so that the OpenAPI document is generated from the same list the router
//! serves (a test checks that no route escapes it).

pub mod accounts;
pub mod check;
pub mod documents;
pub mod hazards;
pub mod imports;
pub mod registry;
pub mod reports;

pub mod session;

use axum::Json;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// The document's fixed parts; the paths come from the routes.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "demine API",
        description = "The Mine Ban Treaty's record, States' obligations, hazardous areas, land \
                       release and the safety check. Anonymous visitors read treaty data, the \
                       record and national aggregates; hazard geometry and activities need an \
                       account; victims' identities need the restricted permission. Errors are \
                       RFC 9457 problem details.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(Problem)),
    modifiers(&Security),
    tags(
        (name = "service", description = "Health and the API itself"),
        (name = "session", description = "Logging in and out (browser sessions)"),
        (name = "registry", description = "States, the treaty record, estimates and figures"),
        (name = "hazards", description = "Hazardous areas and land release (accounts only)"),
        (name = "check", description = "Is this place safe? A point, a batch, a route"),
        (name = "imports", description = "Files of areas or activities, all-or-nothing (editors)"),
        (name = "documents", description = "The reports `demine report` writes: HTML, Markdown, JSON, PDF"),
        (name = "reports", description = "The field-report workflow: drafts, review, approval"),
        (name = "accounts", description = "Users and API tokens")
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// Every API route with its documentation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(session::whoami, session::login, session::logout))
        .routes(routes!(registry::summary))
        .routes(routes!(registry::states))
        .routes(routes!(registry::state_detail))
        .routes(routes!(registry::estimates))
        .routes(routes!(registry::casualties))
        .routes(routes!(registry::records))
        .routes(routes!(registry::audit))
        .routes(routes!(hazards::areas))
        .routes(routes!(hazards::area))
        .routes(routes!(hazards::history))
        .routes(routes!(hazards::activities))
        .routes(routes!(hazards::activity_list))
        .routes(routes!(registry::devices))
        .routes(routes!(check::point))
        .routes(routes!(check::points))
        .routes(routes!(check::route))
        .routes(routes!(imports::hazards))
        .routes(routes!(imports::activities))
        .routes(routes!(documents::world))
        .routes(routes!(documents::country))
        .routes(routes!(documents::article7))
        .routes(routes!(documents::extension))
        .routes(routes!(reports::list, reports::create))
        .routes(routes!(reports::get, reports::edit))
        .routes(routes!(reports::plan))
        .routes(routes!(reports::approve))
        .routes(routes!(reports::reject))
        .routes(routes!(accounts::list_users, accounts::add_user))
        .routes(routes!(accounts::set_disabled))
        .routes(routes!(accounts::add_token))
}

/// Whether the service is up and its database answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub backend: &'static str,
    pub version: &'static str,
    /// The audit chain's length: changes whenever data does.
    pub data_version: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/health", tag = "service",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
pub async fn health(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> ApiResult<Json<Health>> {
    use demine_store::Store as _;
    let store = state.store();
    let head = store.audit_head().await?;
    Ok(Json(Health {
        status: "ok",
        backend: store.backend(),
        version: env!("CARGO_PKG_VERSION"),
        data_version: head.entries,
    }))
}

/// A date parameter (`YYYY-MM-DD`), today when absent.
pub fn as_of(p: Option<&str>) -> ApiResult<NaiveDate> {
    match p {
        None | Some("") => Ok(chrono::Utc::now().date_naive()),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| ApiError::BadRequest(format!("as_of {s:?} is not a date (YYYY-MM-DD)"))),
    }
}
