//! Imports: a file of hazardous areas or of land release activities as the request body, through
//! the same `demine_app` workflow as `demine hazards import` and `demine release import` (the
//! boundary check and its tolerance, custom fields, dry runs, the same messages), all-or-nothing.
//! Only editors and administrators import; the store refuses anything outside their scope.

use axum::extract::State;
use demine_app::HazardImport;
use demine_app::hazards::{ActivitiesImported, HazardImportOutcome};
use demine_geo::FileFormat;
use demine_store::accounts::Role;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Requester;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Query};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct HazardsImportQuery {
    /// geojson, kml, kmz, gpx or csv (geojson when absent).
    pub format: Option<String>,
    /// Check everything and say what the import would insert, update and leave unchanged,
    /// writing nothing.
    pub dry_run: Option<bool>,
    /// The State the areas are in: each is checked against its boundary.
    pub iso3: Option<String>,
    /// How far outside the State's boundary an area may reach, in metres (default 1000).
    pub tolerance_m: Option<f64>,
    /// The radius in metres of every point hazard that has none. Without it such a point is
    /// refused: demine never guesses a radius.
    pub default_radius: Option<f64>,
    /// Leave out lines (tracks, routes) instead of refusing the file.
    pub skip_lines: Option<bool>,
    /// How messages name the file (default `request body`).
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ActivitiesImportQuery {
    /// geojson (the only format activities come in; geojson when absent).
    pub format: Option<String>,
    /// Check everything (areas, scope, what each releases) and write nothing.
    pub dry_run: Option<bool>,
    /// How messages name the file (default `request body`).
    pub name: Option<String>,
}

/// What an import of areas did, or for a dry run would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct HazardsImported {
    /// Areas in the file, inserted, updated and unchanged (with their ids), fixes made while
    /// reading, and whether nothing was written: as `demine hazards import --json` prints it.
    #[schema(value_type = Object)]
    pub result: HazardImportOutcome,
    /// States the bundled boundaries do not have: their areas were not checked against them.
    pub unchecked_states: Vec<String>,
}

/// What an import of activities did, or for a dry run would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivitiesDone {
    /// Each activity with its area and what it released (m²), and the total.
    #[schema(value_type = Object)]
    pub result: ActivitiesImported,
}

fn format_of(p: Option<&str>) -> ApiResult<FileFormat> {
    match p.map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("geojson") | Some("json") => Ok(FileFormat::Geojson),
        Some("kml") => Ok(FileFormat::Kml),
        Some("kmz") => Ok(FileFormat::Kmz),
        Some("gpx") => Ok(FileFormat::Gpx),
        Some("csv") => Ok(FileFormat::Csv),
        Some(other) => Err(ApiError::BadRequest(format!(
            "format {other:?}: geojson, kml, kmz, gpx or csv"
        ))),
    }
}

fn importer(r: &Requester) -> ApiResult<()> {
    r.with_role(&[Role::Editor, Role::Administrator], "importing files")?;
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/imports/hazards", tag = "imports",
    params(HazardsImportQuery),
    request_body(description = "The file, as `demine hazards import` reads it", content(
        (Object = "application/geo+json"), (String = "application/vnd.google-earth.kml+xml"),
        (Vec<u8> = "application/vnd.google-earth.kmz"), (String = "application/gpx+xml"),
        (String = "text/csv"))),
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = HazardsImported), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn hazards(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<HazardsImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<HazardsImported>> {
    importer(&r)?;
    let format = format_of(q.format.as_deref())?;
    let tolerance_m = q.tolerance_m.unwrap_or(super::reports::TOLERANCE_M);
    let iso3 =
        demine_app::hazards::check_import_options(q.iso3.as_deref(), tolerance_m, q.default_radius)
            .map_err(|e| {
                ApiError::BadRequest(
                    e.to_string()
                        .replace("--tolerance-m", "tolerance_m")
                        .replace("--default-radius", "default_radius")
                        .replace("--iso3", "iso3"),
                )
            })?;
    let name = q.name.unwrap_or_else(|| "request body".into());
    let threads = state.app().threads();
    let (default_radius, skip_lines) = (q.default_radius, q.skip_lines.unwrap_or(false));
    let n = name.clone();
    let (collection, properties) = tokio::task::spawn_blocking(move || {
        let mut c =
            demine_app::hazards::read_area_file(&n, &body, format, default_radius, threads)?;
        if skip_lines {
            demine_geo::skip_lines(&mut c);
        }
        let props = demine_store::hazards_io::feature_properties(
            &c,
            (format == FileFormat::Geojson).then_some(&body[..]),
        );
        Ok::<_, demine_app::AppError>((c, props))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("reading {name}: {e}")))??;
    let import = HazardImport {
        name,
        collection,
        properties,
        iso3,
        tolerance_m,
        dry_run: q.dry_run.unwrap_or(false),
    };
    let mut result = state.session(&r).import_hazards(import, &|_, _| {}).await?;
    let unchecked_states = std::mem::take(&mut result.unchecked_states);
    Ok(Json(HazardsImported {
        result,
        unchecked_states,
    }))
}

#[utoipa::path(post, path = "/api/v1/imports/activities", tag = "imports",
    params(ActivitiesImportQuery),
    request_body(description = "A GeoJSON FeatureCollection, as `demine release import` reads it",
        content((Object = "application/geo+json"))),
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = ActivitiesDone), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn activities(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<ActivitiesImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ActivitiesDone>> {
    importer(&r)?;
    if format_of(q.format.as_deref())? != FileFormat::Geojson {
        return Err(ApiError::BadRequest(
            "format: activities come as geojson only".into(),
        ));
    }
    let name = q.name.unwrap_or_else(|| "request body".into());
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::Unprocessable(format!("{name}: not UTF-8 text: {e}")))?;
    let session = state.session(&r);
    let result = if q.dry_run.unwrap_or(false) {
        session.plan_activities(&name, text).await?
    } else {
        session.import_activities(&name, text).await?
    };
    Ok(Json(ActivitiesDone { result }))
}
