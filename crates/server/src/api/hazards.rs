//! Hazardous areas and land release, for accounts only: an open hazard's coordinates never reach
//! an anonymous visitor (the store refuses them below the operational tier as well).

use crate::extract::Json;
use crate::extract::{Path, Query};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use demine_geo::Bbox;
use demine_geo::write::FileFormat;
use demine_store::{AreaFilter, AreaVersion, HazardStore};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Requester;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct AreasQuery {
    /// `min_lon,min_lat,max_lon,max_lat` (WGS84 degrees): only areas whose box meets it.
    pub bbox: Option<String>,
    /// Only this State's areas.
    pub iso3: Option<String>,
    /// A map zoom level (0 to 22): outlines are simplified to about a pixel at it, for drawing
    /// (never into an invalid or empty polygon: such an outline comes as recorded). Without it,
    /// outlines come as recorded.
    pub zoom: Option<u8>,
}

/// Parses `min_lon,min_lat,max_lon,max_lat`.
pub fn parse_bbox(s: &str) -> ApiResult<Bbox> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::BadRequest(format!("bbox {s:?}: four numbers, comma-separated")))?;
    let [min_lon, min_lat, max_lon, max_lat] = v[..] else {
        return Err(ApiError::BadRequest(format!(
            "bbox {s:?}: four numbers min_lon,min_lat,max_lon,max_lat"
        )));
    };
    let lon_ok = |x: f64| (-180.0..=180.0).contains(&x);
    let lat_ok = |y: f64| (-90.0..=90.0).contains(&y);
    if !(lon_ok(min_lon) && lon_ok(max_lon) && lat_ok(min_lat) && lat_ok(max_lat))
        || min_lat > max_lat
        || min_lon > max_lon
    {
        return Err(ApiError::BadRequest(format!(
            "bbox {s:?}: longitudes within -180..180, latitudes within -90..90, minimum before \
             maximum"
        )));
    }
    Ok(Bbox {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    })
}

/// Whether the requester's scope holds an area: accounts scoped to a State (and organisation) see
/// only its areas (field teams see their own organisation's work); the others see all.
fn sees(r: &Requester, a: &demine_store::StoredArea) -> bool {
    let Some(u) = &r.user else { return false };
    u.role == demine_store::accounts::Role::Administrator
        || u.iso3.is_none()
        || a.area
            .iso3
            .as_deref()
            .is_some_and(|i| r.in_scope(i, a.area.organisation.as_deref()))
}

/// The area if it exists and the requester's scope holds it, else 404.
async fn scoped_area(
    state: &AppState,
    r: &Requester,
    id: i64,
) -> ApiResult<demine_store::StoredArea> {
    state
        .store_for(r)
        .area(id)
        .await?
        .filter(|a| sees(r, a))
        .ok_or_else(|| ApiError::NotFound(format!("no hazardous area {id}")))
}

fn geojson(text: String) -> Response {
    ([(header::CONTENT_TYPE, "application/geo+json")], text).into_response()
}

/// Areas as a GeoJSON FeatureCollection, every attribute a property.
#[utoipa::path(get, path = "/api/v1/hazards", tag = "hazards", params(AreasQuery),
    security(("token" = []), ("session" = [])),
    responses((status = 200, content_type = "application/geo+json", body = Object),
        (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn areas(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<AreasQuery>,
) -> ApiResult<Response> {
    r.user()?;
    let filter = AreaFilter {
        iso3: q.iso3.map(|s| s.to_uppercase()),
        status: None,
        bbox: q.bbox.as_deref().map(parse_bbox).transpose()?,
    };
    let zoom = match q.zoom {
        Some(z) if z > demine_geo::simplify::MAX_ZOOM => {
            return Err(ApiError::BadRequest(format!(
                "zoom {z}: a map zoom level from 0 to {}",
                demine_geo::simplify::MAX_ZOOM
            )));
        }
        z => z,
    };
    let mut areas = state.store_for(&r).areas(&filter).await?;
    areas.retain(|a| sees(&r, a));
    let text = tokio::task::spawn_blocking(move || {
        if let Some(z) = zoom {
            let tol = demine_geo::simplify::pixel_degrees(z);
            for a in &mut areas {
                a.shape = demine_geo::simplify::simplify_shape(&a.shape, tol);
                if let Some(g) = &a.remaining {
                    a.remaining = Some(demine_geo::simplify::simplify_geometry(g, tol));
                }
            }
        }
        demine_store::hazards_io::export_text(&areas, FileFormat::Geojson)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("writing the areas: {e}")))??;
    Ok(geojson(text))
}

/// One area as a GeoJSON FeatureCollection of one feature.
#[utoipa::path(get, path = "/api/v1/hazards/{id}", tag = "hazards",
    params(("id" = i64, Path)), security(("token" = []), ("session" = [])),
    responses((status = 200, content_type = "application/geo+json", body = Object),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn area(
    State(state): State<AppState>,
    r: Requester,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    r.user()?;
    let a = scoped_area(&state, &r, id).await?;
    let text = demine_store::hazards_io::export_text(&[a], FileFormat::Geojson)?;
    Ok(geojson(text))
}

/// Every version of an area, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    pub id: i64,
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<AreaVersion>,
}

#[utoipa::path(get, path = "/api/v1/hazards/{id}/history", tag = "hazards",
    params(("id" = i64, Path)), security(("token" = []), ("session" = [])),
    responses((status = 200, body = History), (status = 401, body = Problem),
        (status = 404, body = Problem)))]
pub async fn history(
    State(state): State<AppState>,
    r: Requester,
    Path(id): Path<i64>,
) -> ApiResult<Json<History>> {
    r.user()?;
    scoped_area(&state, &r, id).await?;
    let versions = state.store_for(&r).history(id).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!("no hazardous area {id}")));
    }
    Ok(Json(History { id, versions }))
}

/// One land release activity with its perimeter (WKT) and what it released.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityOut {
    #[schema(value_type = Object)]
    pub activity: demine_core::hazard::Activity,
    pub perimeter_wkt: String,
    pub perimeter_m2: f64,
    pub released_m2: f64,
    pub recorded_at: String,
    pub recorded_by: String,
}

/// The land release activities on an area, in the order recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct Activities {
    pub area_id: i64,
    pub activities: Vec<ActivityOut>,
}

#[utoipa::path(get, path = "/api/v1/hazards/{id}/activities", tag = "hazards",
    params(("id" = i64, Path)), security(("token" = []), ("session" = [])),
    responses((status = 200, body = Activities), (status = 401, body = Problem),
        (status = 404, body = Problem)))]
pub async fn activities(
    State(state): State<AppState>,
    r: Requester,
    Path(id): Path<i64>,
) -> ApiResult<Json<Activities>> {
    r.user()?;
    scoped_area(&state, &r, id).await?;
    let list = state.store_for(&r).activities(id).await?;
    Ok(Json(Activities {
        area_id: id,
        activities: list.into_iter().map(activity_out).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ActivitiesQuery {
    /// Only activities on this State's areas.
    pub iso3: Option<String>,
    /// `min_lon,min_lat,max_lon,max_lat`: only activities on areas whose box meets it.
    pub bbox: Option<String>,
}

/// Land release activities on the areas of a State or a box, by area.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityList {
    /// The areas matched (in the requester's scope) that have activities, each with them.
    pub areas: Vec<Activities>,
    /// How many activities in all.
    pub activities: usize,
}

/// The land release activities on the areas of a State or of a box (one of them is needed), in
/// the requester's scope.
#[utoipa::path(get, path = "/api/v1/activities", tag = "hazards", params(ActivitiesQuery),
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = ActivityList), (status = 400, body = Problem),
        (status = 401, body = Problem)))]
pub async fn activity_list(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<ActivitiesQuery>,
) -> ApiResult<Json<ActivityList>> {
    r.user()?;
    if q.iso3.is_none() && q.bbox.is_none() {
        return Err(ApiError::BadRequest(
            "iso3 or bbox: name the State or the box whose activities are wanted".into(),
        ));
    }
    let filter = AreaFilter {
        iso3: q.iso3.map(|s| s.to_uppercase()),
        status: None,
        bbox: q.bbox.as_deref().map(parse_bbox).transpose()?,
    };
    let store = state.store_for(&r);
    let mut areas = store.areas(&filter).await?;
    areas.retain(|a| sees(&r, a));
    let mut out = Vec::new();
    let mut total = 0;
    for a in &areas {
        let list = store.activities(a.area.id).await?;
        if list.is_empty() {
            continue;
        }
        total += list.len();
        out.push(Activities {
            area_id: a.area.id,
            activities: list.into_iter().map(activity_out).collect(),
        });
    }
    Ok(Json(ActivityList {
        areas: out,
        activities: total,
    }))
}

fn activity_out(a: demine_store::StoredActivity) -> ActivityOut {
    ActivityOut {
        perimeter_wkt: demine_geo::wkt::to_wkt(&a.perimeter),
        activity: a.activity,
        perimeter_m2: a.perimeter_m2,
        released_m2: a.released_m2,
        recorded_at: a.recorded_at,
        recorded_by: a.recorded_by,
    }
}
